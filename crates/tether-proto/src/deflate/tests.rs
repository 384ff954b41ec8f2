//! RFC 7692 negotiation (§5, §7.1) and data (§7.2.3) examples.

use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

use super::*;
use crate::extension::{Decoded, Extension};
use crate::frame::Rsv;
use crate::{MessageKind, Role};

fn offers(header: &str) -> Vec<ExtensionOffer> {
    ExtensionOffer::parse_header(header).unwrap()
}

/// The server's answer to `header` as a header value, or `None` when it declines.
fn answer(config: DeflateConfig, header: &str) -> Option<String> {
    config
        .negotiate(&offers(header))
        .map(|(response, _)| response.to_header_value())
}

fn params(s: (bool, bool, u8, u8)) -> DeflateParams {
    DeflateParams {
        server_no_context_takeover: s.0,
        client_no_context_takeover: s.1,
        server_max_window_bits: s.2,
        client_max_window_bits: s.3,
    }
}

const DEFAULT: (bool, bool, u8, u8) = (false, false, 15, 15);

/// A server that neither limits its own window nor asks the client to, and keeps its context
/// unless asked (the settings before the server defaults): its answers are the RFC's
/// examples as written.
fn wide() -> DeflateConfig {
    DeflateConfig::default()
        .server_no_context_takeover(false)
        .server_max_window_bits(15)
        .client_max_window_bits(15)
}

// ---- server: offers (RFC 7692 §5, §7.1) ----

#[test]
fn rfc7692_7_1_simplest_offer_is_accepted_as_is() {
    // §7.1.3? §5: "Sec-WebSocket-Extensions: permessage-deflate" — the simplest offer.
    let c = wide();
    let (response, agreed) = c.negotiate(&offers("permessage-deflate")).unwrap();
    assert_eq!(response.to_header_value(), "permessage-deflate");
    assert_eq!(agreed, params(DEFAULT));
    // "Since the "client_max_window_bits" extension parameter is not included in this offer,
    // the server must not accept the offer with an extension negotiation response that
    // includes" it — a server that requires a smaller client window declines; one that only
    // prefers it accepts the client's 15 bits.
    let limited = c.client_max_window_bits(10);
    assert_eq!(
        answer(
            limited.require_client_max_window_bits(true),
            "permessage-deflate"
        ),
        None
    );
    let (response, agreed) = limited.negotiate(&offers("permessage-deflate")).unwrap();
    assert_eq!(response.to_header_value(), "permessage-deflate");
    assert_eq!(agreed, params(DEFAULT));
}

#[test]
fn rfc7692_7_1_2_2_bare_client_max_window_bits() {
    // "permessage-deflate; client_max_window_bits": the client supports limiting its window.
    let offer = "permessage-deflate; client_max_window_bits";
    assert_eq!(answer(wide(), offer).as_deref(), Some("permessage-deflate"));
    let limited = wide().client_max_window_bits(10);
    let (response, agreed) = limited.negotiate(&offers(offer)).unwrap();
    assert_eq!(
        response.to_header_value(),
        "permessage-deflate; client_max_window_bits=10"
    );
    assert_eq!(agreed.client_max_window_bits, 10);
    // A value in the offer is a hint the client keeps to; it is confirmed (or lowered).
    assert_eq!(
        answer(wide(), "permessage-deflate; client_max_window_bits=9").as_deref(),
        Some("permessage-deflate; client_max_window_bits=9")
    );
    assert_eq!(
        answer(limited, "permessage-deflate; client_max_window_bits=12").as_deref(),
        Some("permessage-deflate; client_max_window_bits=10")
    );
}

#[test]
fn rfc7692_7_1_several_offers_first_acceptable_wins() {
    // §7.1 example: "permessage-deflate; client_max_window_bits; server_max_window_bits=10,
    // permessage-deflate; client_max_window_bits" — the server picks the first it supports.
    let header = "permessage-deflate; client_max_window_bits; server_max_window_bits=10, \
                  permessage-deflate; client_max_window_bits";
    let (response, agreed) = wide().negotiate(&offers(header)).unwrap();
    assert_eq!(
        response.to_header_value(),
        "permessage-deflate; server_max_window_bits=10"
    );
    assert_eq!(agreed, params((false, false, 10, 15)));
    // Malformed or foreign offers are skipped, not errors.
    let header = "x-webkit-deflate-frame, permessage-deflate; bogus, \
                  permessage-deflate; server_max_window_bits=16, \
                  permessage-deflate; server_no_context_takeover";
    assert_eq!(
        answer(wide(), header).as_deref(),
        Some("permessage-deflate; server_no_context_takeover")
    );
    assert_eq!(answer(wide(), "permessage-deflate; a=1, foo"), None);
    assert_eq!(answer(wide(), "foo"), None);
}

#[test]
fn rfc7692_7_1_each_offer_parameter_is_honoured() {
    let d = wide();
    // §7.1.1.1 server_no_context_takeover: accepted by echoing it.
    let (r, p) = d
        .negotiate(&offers("permessage-deflate; server_no_context_takeover"))
        .unwrap();
    assert_eq!(
        r.to_header_value(),
        "permessage-deflate; server_no_context_takeover"
    );
    assert_eq!(p, params((true, false, 15, 15)));
    // §7.1.1.2 client_no_context_takeover: a hint, confirmed.
    let (r, p) = d
        .negotiate(&offers("permessage-deflate; client_no_context_takeover"))
        .unwrap();
    assert_eq!(
        r.to_header_value(),
        "permessage-deflate; client_no_context_takeover"
    );
    assert_eq!(p, params((false, true, 15, 15)));
    // §7.1.2.1 server_max_window_bits: "the same or smaller value", every size 8..=15.
    for bits in 8..=15u8 {
        let (r, p) = d
            .negotiate(&offers(&alloc::format!(
                "permessage-deflate; server_max_window_bits={bits}"
            )))
            .unwrap();
        assert_eq!(
            r.to_header_value(),
            alloc::format!("permessage-deflate; server_max_window_bits={bits}")
        );
        assert_eq!(p.server_max_window_bits, bits);
    }
    assert_eq!(
        answer(
            d.server_max_window_bits(11),
            "permessage-deflate; server_max_window_bits=13"
        )
        .as_deref(),
        Some("permessage-deflate; server_max_window_bits=11")
    );
    // The server's own settings appear even when not asked for (§7.1.1.1, §7.1.2.1).
    let strict = d
        .server_no_context_takeover(true)
        .client_no_context_takeover(true)
        .server_max_window_bits(9)
        .client_max_window_bits(8);
    assert_eq!(
        answer(strict, "permessage-deflate; client_max_window_bits").as_deref(),
        Some(
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover; \
             server_max_window_bits=9; client_max_window_bits=8"
        )
    );
}

// ---- client: responses ----

fn check(config: DeflateConfig, response: &str) -> Result<DeflateParams, HandshakeError> {
    config.accept_response(&offers(response)[0])
}

#[test]
fn rfc7692_7_1_client_accepts_each_response_parameter() {
    let d = DeflateConfig::default();
    assert_eq!(
        d.offer().to_header_value(),
        "permessage-deflate; client_max_window_bits"
    );
    assert_eq!(check(d, "permessage-deflate"), Ok(params(DEFAULT)));
    assert_eq!(
        check(d, "permessage-deflate; server_no_context_takeover"),
        Ok(params((true, false, 15, 15)))
    );
    assert_eq!(
        check(d, "permessage-deflate; client_no_context_takeover"),
        Ok(params((false, true, 15, 15)))
    );
    // §7.1.2.1: "A server MAY include the "server_max_window_bits" extension parameter in the
    // response even if the extension negotiation offer does not include" it.
    assert_eq!(
        check(d, "permessage-deflate; server_max_window_bits=10"),
        Ok(params((false, false, 10, 15)))
    );
    // We offer client_max_window_bits, so the server may limit our window, down to 8.
    assert_eq!(
        check(d, "permessage-deflate; client_max_window_bits=8"),
        Ok(params((false, false, 15, 8)))
    );
    assert_eq!(
        check(d, "permessage-deflate; client_max_window_bits=\"12\""),
        Ok(params((false, false, 15, 12)))
    );
    // What we ask for and what we promise.
    let asked = d
        .server_no_context_takeover(true)
        .client_no_context_takeover(true)
        .server_max_window_bits(10)
        .client_max_window_bits(9);
    assert_eq!(
        asked.offer().to_header_value(),
        "permessage-deflate; server_no_context_takeover; client_no_context_takeover; \
         server_max_window_bits=10; client_max_window_bits=9"
    );
    assert_eq!(
        check(
            asked,
            "permessage-deflate; server_no_context_takeover; server_max_window_bits=8"
        ),
        Ok(params((true, true, 8, 9)))
    );
}

#[test]
fn rfc7692_7_1_client_fails_on_responses_it_cannot_use() {
    let d = DeflateConfig::default();
    let asked = d
        .server_no_context_takeover(true)
        .server_max_window_bits(10);
    for (config, response) in [
        (d, "permessage-deflate; foo"),
        (
            d,
            "permessage-deflate; server_no_context_takeover; server_no_context_takeover",
        ),
        (d, "permessage-deflate; server_no_context_takeover=yes"),
        (d, "permessage-deflate; server_max_window_bits=7"),
        (d, "permessage-deflate; server_max_window_bits"),
        // §7.1.2.2: in a response, client_max_window_bits must have a value.
        (d, "permessage-deflate; client_max_window_bits"),
        (d, "permessage-deflate; client_max_window_bits=16"),
        // Asked for and not confirmed, or confirmed larger than asked.
        (asked, "permessage-deflate; server_max_window_bits=10"),
        (asked, "permessage-deflate; server_no_context_takeover"),
        (
            asked,
            "permessage-deflate; server_no_context_takeover; server_max_window_bits=11",
        ),
        (
            d.client_max_window_bits(10),
            "permessage-deflate; client_max_window_bits=11",
        ),
    ] {
        let e = check(config, response).unwrap_err();
        assert!(
            matches!(e, HandshakeError::InvalidExtensionResponse(_)),
            "{response}: {e:?}"
        );
    }
}

#[test]
fn from_response_fills_in_defaults() {
    let p =
        DeflateParams::from_response(&offers("permessage-deflate; client_max_window_bits=9")[0]);
    assert_eq!(p, Ok(params((false, false, 15, 9))));
    assert!(DeflateParams::from_response(&ExtensionOffer::new("x")).is_err());
}

// ---- data: RFC 7692 §7.2.3 ----

/// The codec of one end, compressing every message (threshold 0) at level 6 (zlib's default,
/// with which the RFC's example bytes were made; other levels may choose other, equally valid,
/// encodings).
fn codec(role: Role, agreed: (bool, bool, u8, u8)) -> Deflate {
    let config = DeflateConfig::default().threshold(0).level(6);
    Deflate::new(params(agreed), role, &config).always_compress()
}

/// Decodes one message given in pieces, resuming after every `Full`, `limit` bytes at a time.
fn inflate(d: &mut Deflate, pieces: &[&[u8]], limit: usize) -> Vec<u8> {
    let mut out = Vec::new();
    for (i, piece) in pieces.iter().enumerate() {
        let fin = i + 1 == pieces.len();
        let mut input = *piece;
        loop {
            let before = out.len();
            let status = d.decode(Rsv::RSV1, input, fin, &mut out, limit).unwrap();
            assert!(out.len() - before <= limit);
            input = &[];
            if status == Decoded::Done {
                break;
            }
            assert_eq!(out.len() - before, limit, "Full only at the limit");
        }
    }
    out
}

fn deflate(e: &mut Deflate, pieces: &[&[u8]]) -> (Rsv, Vec<u8>) {
    let mut out = Vec::new();
    let mut rsv = Rsv::NONE;
    for (i, piece) in pieces.iter().enumerate() {
        let bits = e
            .encode(
                MessageKind::Text,
                piece,
                i == 0,
                i + 1 == pieces.len(),
                &mut out,
            )
            .unwrap();
        if i == 0 {
            rsv = bits;
        }
    }
    (rsv, out)
}

const HELLO: &[u8] = &[0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00];

#[test]
fn rfc7692_7_2_3_1_hello_in_one_block() {
    // "0xc1 0x07 0xf2 0x48 0xcd 0xc9 0xc9 0x07 0x00" — RSV1 on a text frame.
    let mut server = codec(Role::Server, DEFAULT);
    assert_eq!(
        deflate(&mut server, &[b"Hello"]),
        (Rsv::RSV1, HELLO.to_vec())
    );
    let mut client = codec(Role::Client, DEFAULT);
    assert_eq!(inflate(&mut client, &[HELLO], 1 << 10), b"Hello");
    // Fragmented: "0x41 0x03 0xf2 0x48 0xcd" then "0x80 0x04 0xc9 0xc9 0x07 0x00".
    assert_eq!(
        inflate(&mut client, &[&HELLO[..3], &HELLO[3..]], 1 << 10),
        b"Hello"
    );
    // Decoding one byte at a time gives the same.
    assert_eq!(inflate(&mut client, &[HELLO], 1), b"Hello");
}

#[test]
fn rfc7692_7_2_3_2_sharing_the_lz77_window() {
    // "the second message "Hello" ... 0xc1 0x05 0xf2 0x00 0x11 0x00 0x00".
    let second: &[u8] = &[0xf2, 0x00, 0x11, 0x00, 0x00];
    let mut server = codec(Role::Server, DEFAULT);
    assert_eq!(deflate(&mut server, &[b"Hello"]).1, HELLO);
    assert_eq!(deflate(&mut server, &[b"Hello"]).1, second);
    let mut client = codec(Role::Client, DEFAULT);
    assert_eq!(inflate(&mut client, &[HELLO], 64), b"Hello");
    assert_eq!(inflate(&mut client, &[second], 64), b"Hello");
    // Without context takeover each message stands alone.
    let mut server = codec(Role::Server, (true, false, 15, 15));
    assert_eq!(deflate(&mut server, &[b"Hello"]).1, HELLO);
    assert_eq!(deflate(&mut server, &[b"Hello"]).1, HELLO);
    let mut client = codec(Role::Client, (true, false, 15, 15));
    assert_eq!(inflate(&mut client, &[HELLO], 64), b"Hello");
    assert_eq!(inflate(&mut client, &[HELLO], 64), b"Hello");
    // ... and a back-reference into a previous message is invalid then.
    let mut out = Vec::new();
    assert!(
        client
            .decode(Rsv::RSV1, second, true, &mut out, 64)
            .is_err()
    );
}

#[test]
fn rfc7692_7_2_3_3_to_5_stored_final_and_two_blocks() {
    let mut client = codec(Role::Client, DEFAULT);
    // §7.2.3.3 "Using a DEFLATE Block with No Compression".
    let stored: &[u8] = &[
        0x00, 0x05, 0x00, 0xfa, 0xff, 0x48, 0x65, 0x6c, 0x6c, 0x6f, 0x00,
    ];
    assert_eq!(inflate(&mut client, &[stored], 64), b"Hello");
    // §7.2.3.4 "Using a DEFLATE Block with BFINAL Set to 1".
    let last: &[u8] = &[0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0x00];
    assert_eq!(inflate(&mut client, &[last], 64), b"Hello");
    // §7.2.3.5 "Two DEFLATE Blocks in One Message".
    let two: &[u8] = &[
        0xf2, 0x48, 0x05, 0x00, 0x00, 0x00, 0xff, 0xff, 0xca, 0xc9, 0xc9, 0x07, 0x00,
    ];
    assert_eq!(inflate(&mut client, &[two], 64), b"Hello");
    assert_eq!(
        inflate(&mut client, &[&two[..6], &two[6..9], &two[9..]], 3),
        b"Hello"
    );
    // The decoder keeps working after all of them.
    assert_eq!(inflate(&mut client, &[HELLO], 64), b"Hello");
}

#[test]
fn rfc7692_7_2_3_6_empty_message_and_threshold() {
    // An empty message compresses to the single octet 0x00.
    let mut server = codec(Role::Server, DEFAULT);
    assert_eq!(deflate(&mut server, &[b""]), (Rsv::RSV1, vec![0x00]));
    let mut client = codec(Role::Client, DEFAULT);
    assert_eq!(inflate(&mut client, &[&[0x00]], 64), b"");
    assert_eq!(inflate(&mut client, &[&[]], 64), b"");
    // Below the threshold a whole message goes out uncompressed (RSV1 clear).
    let mut thresholded =
        Deflate::new(params(DEFAULT), Role::Server, &DeflateConfig::default()).always_compress();
    assert_eq!(
        deflate(&mut thresholded, &[&[b'a'; 127]]),
        (Rsv::NONE, vec![])
    );
    assert_eq!(deflate(&mut thresholded, &[&[b'a'; 128]]).0, Rsv::RSV1);
}

#[test]
fn decoding_stops_at_the_limit_and_resumes() {
    let data: Vec<u8> = (0..200_000u32)
        .flat_map(|i| (i % 251).to_le_bytes())
        .collect();
    let mut server = codec(Role::Server, DEFAULT);
    let (_, wire) = deflate(&mut server, &[&data[..1000], &data[1000..]]);
    assert!(wire.len() < data.len() / 4);
    for limit in [1, 1000, 65536, data.len()] {
        let mut client = codec(Role::Client, DEFAULT);
        assert_eq!(inflate(&mut client, &[&wire], limit), data, "limit {limit}");
    }
    // Exactly at the limit is Done; one byte short is Full with the limit reached.
    let mut client = codec(Role::Client, DEFAULT);
    let mut out = Vec::new();
    let status = client.decode(Rsv::RSV1, &wire, true, &mut out, data.len());
    assert_eq!((status, out.len()), (Ok(Decoded::Done), data.len()));
    let mut client = codec(Role::Client, DEFAULT);
    let mut out = Vec::new();
    let status = client.decode(Rsv::RSV1, &wire, true, &mut out, data.len() - 1);
    assert_eq!((status, out.len()), (Ok(Decoded::Full), data.len() - 1));
    assert!(out.capacity() < data.len(), "no allocation past the limit");
}

#[test]
fn rfc7692_7_2_2_a_small_last_piece_inflated_with_the_tail_gives_the_same_message() {
    // Compressed to under a KiB, a last piece goes into the decompressor together with the
    // appended tail: stopped at any limit, split anywhere, with the context kept or not, the
    // message comes out the same, and the next one (which may refer back to it) too.
    let data: Vec<u8> = (0..3000u32)
        .map(|i| b"abcdefg"[(i % 7) as usize] ^ (i / 97) as u8)
        .collect();
    let next: Vec<u8> = data.iter().rev().copied().collect();
    for agreed in [DEFAULT, (true, true, 15, 15)] {
        let mut server = codec(Role::Server, agreed);
        let (_, wire) = deflate(&mut server, &[&data]);
        let (_, wire_next) = deflate(&mut server, &[&next]);
        assert!(
            wire.len() <= 1024 && wire_next.len() <= 1024,
            "{}",
            wire.len()
        );
        for limit in (1..=data.len())
            .step_by(7)
            .chain([data.len() - 1, data.len()])
        {
            let mut client = codec(Role::Client, agreed);
            assert_eq!(inflate(&mut client, &[&wire], limit), data, "limit {limit}");
            assert_eq!(
                inflate(&mut client, &[&wire_next], limit),
                next,
                "limit {limit}"
            );
        }
        for split in 0..=wire.len() {
            let mut client = codec(Role::Client, agreed);
            let pieces = [&wire[..split], &wire[split..]];
            assert_eq!(inflate(&mut client, &pieces, 100), data, "split {split}");
            assert_eq!(
                inflate(&mut client, &[&wire_next], 100),
                next,
                "split {split}"
            );
        }
    }
}

#[test]
fn window_bits_8_compresses_with_distances_an_8_bit_window_accepts() {
    // Our compressor runs with 9 bits when 8 are agreed (see the module docs): zlib never
    // emits a match farther than 2^9 - 262 = 250 bytes, within a 256-byte window.
    // A 600-byte pseudo-random block repeated: the best matches are 600 bytes back.
    let block: Vec<u8> = (0..600u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8 % 64 + b'0')
        .collect();
    let data = block.repeat(30);
    let distance = |bits: u8| {
        let mut server = codec(Role::Server, (false, false, bits, bits));
        let (_, wire) = deflate(&mut server, &[&data]);
        let mut pos = 0;
        (
            max_distance(&mut BitReader {
                data: &wire,
                pos: &mut pos,
            }),
            wire,
        )
    };
    assert!(distance(15).0 >= 600, "the walker sees the far matches");
    let (max, wire) = distance(8);
    assert!((1..=256).contains(&max), "{max}");
    let mut client = codec(Role::Client, (false, false, 8, 8));
    assert_eq!(inflate(&mut client, &[&wire], 1 << 20), data);
}

/// A minimal DEFLATE walker that returns the largest match distance used (fixed and dynamic
/// Huffman blocks, stored blocks), to check the window bound independently of zlib.
pub(super) struct BitReader<'a> {
    pub(super) data: &'a [u8],
    pub(super) pos: &'a mut usize,
}

impl BitReader<'_> {
    fn bit(&mut self) -> u32 {
        let b = self.data.get(*self.pos / 8).copied().unwrap_or(0);
        let v = u32::from((b >> (*self.pos % 8)) & 1);
        *self.pos += 1;
        v
    }

    fn bits(&mut self, n: u32) -> u32 {
        (0..n).fold(0, |acc, i| acc | (self.bit() << i))
    }

    fn done(&self) -> bool {
        *self.pos / 8 >= self.data.len()
    }
}

/// Canonical Huffman decoding table: (lengths per symbol).
fn decode_sym(r: &mut BitReader<'_>, lengths: &[u8]) -> usize {
    let mut code = 0u32;
    let mut first = 0u32;
    let mut index = 0usize;
    let mut sorted: Vec<usize> = (0..lengths.len()).filter(|&s| lengths[s] > 0).collect();
    sorted.sort_by_key(|&s| (lengths[s], s));
    for len in 1..=15u8 {
        code |= r.bit();
        let count = lengths.iter().filter(|&&l| l == len).count() as u32;
        if code < first + count {
            return sorted[index + (code - first) as usize];
        }
        index += count as usize;
        first = (first + count) << 1;
        code <<= 1;
    }
    panic!("bad code");
}

pub(super) fn max_distance(r: &mut BitReader<'_>) -> u32 {
    const LEN_BASE: [u32; 29] = [
        3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115,
        131, 163, 195, 227, 258,
    ];
    const LEN_EXTRA: [u32; 29] = [
        0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0,
    ];
    const DIST_BASE: [u32; 30] = [
        1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537,
        2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577,
    ];
    let mut max = 0;
    while !r.done() {
        let _final = r.bit();
        match r.bits(2) {
            0 => {
                *r.pos = r.pos.div_ceil(8) * 8;
                let len = r.bits(16);
                let _nlen = r.bits(16);
                *r.pos += 8 * len as usize;
            }
            kind => {
                let (lit, dist): (Vec<u8>, Vec<u8>) = if kind == 1 {
                    let mut lit = vec![8u8; 288];
                    lit[144..256].fill(9);
                    lit[256..280].fill(7);
                    (lit, vec![5; 30])
                } else {
                    let hlit = r.bits(5) as usize + 257;
                    let hdist = r.bits(5) as usize + 1;
                    let hclen = r.bits(4) as usize + 4;
                    const ORDER: [usize; 19] = [
                        16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15,
                    ];
                    let mut cl = [0u8; 19];
                    for &i in &ORDER[..hclen] {
                        cl[i] = r.bits(3) as u8;
                    }
                    let mut lengths = Vec::new();
                    while lengths.len() < hlit + hdist {
                        match decode_sym(r, &cl) {
                            s @ 0..=15 => lengths.push(s as u8),
                            16 => {
                                let prev = *lengths.last().unwrap();
                                let n = 3 + r.bits(2);
                                lengths.extend((0..n).map(|_| prev));
                            }
                            17 => lengths.extend((0..3 + r.bits(3)).map(|_| 0)),
                            _ => lengths.extend((0..11 + r.bits(7)).map(|_| 0)),
                        }
                    }
                    (lengths[..hlit].to_vec(), lengths[hlit..].to_vec())
                };
                loop {
                    let sym = decode_sym(r, &lit);
                    if sym < 256 {
                        continue;
                    }
                    if sym == 256 {
                        break;
                    }
                    let i = sym - 257;
                    let _len = LEN_BASE[i] + r.bits(LEN_EXTRA[i]);
                    let d = decode_sym(r, &dist);
                    let extra = if d < 4 { 0 } else { (d as u32 - 2) / 2 };
                    max = max.max(DIST_BASE[d] + r.bits(extra));
                }
            }
        }
    }
    max
}
