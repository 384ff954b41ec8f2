//! The settings beyond RFC 7692's parameters and the role defaults: server windows and memory
//! level, incompressible messages, and the release of idle state.

use alloc::string::String;
use alloc::vec::Vec;
use alloc::{format, vec};

use super::tests::{BitReader, max_distance};
use super::*;
use crate::extension::{Decoded, Extension};
use crate::frame::Rsv;
use crate::handshake::{Accept, ClientOptions, Target};
use crate::testkit::drain;
use crate::{Config, FixedEntropy, Instant, Message, MessageKind, Role, SendOptions};
use crate::{Connection, Event};

mod reuse;

fn offers(header: &str) -> Vec<ExtensionOffer> {
    ExtensionOffer::parse_header(header).unwrap()
}

/// The server's answer to `header` and what it agrees, or `None` when it declines.
fn answer(config: DeflateConfig, header: &str) -> Option<(String, DeflateParams)> {
    config
        .negotiate(&offers(header))
        .map(|(response, agreed)| (response.to_header_value(), agreed))
}

fn params(server_nct: bool, client_nct: bool, server: u8, client: u8) -> DeflateParams {
    DeflateParams {
        server_no_context_takeover: server_nct,
        client_no_context_takeover: client_nct,
        server_max_window_bits: server,
        client_max_window_bits: client,
    }
}

/// JSON-like text, message `n` of a stream.
fn json(n: usize, len: usize) -> Vec<u8> {
    let mut s = String::new();
    let mut i = n * 1000;
    while s.len() < len {
        s.push_str(&format!(
            "{{\"id\":{i},\"user\":\"user{}\",\"score\":{}}},",
            i % 97,
            i.wrapping_mul(2_654_435_761) % 100_000
        ));
        i += 1;
    }
    s.truncate(len);
    s.into_bytes()
}

fn noise(len: usize, seed: u32) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            (x >> 11) as u8
        })
        .collect()
}

// ---- negotiation: the server's defaults (RFC 7692 §7.1.1.1, §7.1.2) ----

#[test]
fn rfc7692_7_1_1_1_server_default_is_no_context_takeover_stated_unasked() {
    // "A server MAY include the "server_no_context_takeover" extension parameter in an
    // extension negotiation response even if the extension negotiation offer being accepted
    // by the extension negotiation response didn't include" it.
    let d = DeflateConfig::default();
    assert_eq!(d.server_no_context_takeover, None);
    let (response, agreed) = answer(d, "permessage-deflate; client_max_window_bits").unwrap();
    assert!(
        response.contains("server_no_context_takeover"),
        "{response}"
    );
    assert!(agreed.server_no_context_takeover);
    assert!(!agreed.client_no_context_takeover);
    // A server set to keep its context keeps it, unless the client asks.
    let keeps = d.server_no_context_takeover(false);
    let (response, agreed) = answer(keeps, "permessage-deflate").unwrap();
    assert!(!response.contains("no_context_takeover"), "{response}");
    assert!(!agreed.server_no_context_takeover);
    let (response, agreed) =
        answer(keeps, "permessage-deflate; server_no_context_takeover").unwrap();
    assert!(
        response.contains("server_no_context_takeover"),
        "{response}"
    );
    assert!(agreed.server_no_context_takeover);
    // A client does not ask by default, asks when set, and accepts the server's statement
    // either way (the server is the one bound by it).
    assert!(!d.offer().to_header_value().contains("no_context_takeover"));
    let asks = d.server_no_context_takeover(true);
    assert_eq!(
        asks.offer().to_header_value(),
        "permessage-deflate; server_no_context_takeover; client_max_window_bits"
    );
    let (response, server_agreed) = d.negotiate(&d.offer().into_iter_one()).unwrap();
    assert_eq!(d.accept_response(&response), Ok(server_agreed));
    assert!(server_agreed.server_no_context_takeover);
    // A client that asked fails a response that does not confirm it.
    let (response, _) = keeps.negotiate(&d.offer().into_iter_one()).unwrap();
    assert!(asks.accept_response(&response).is_err());
}

#[test]
fn rfc7692_7_1_2_1_server_default_window_is_12_bits_and_stated_unasked() {
    // "A server MAY include the "server_max_window_bits" extension parameter in the response
    // even if the extension negotiation offer does not include" it.
    let d = DeflateConfig::default();
    assert_eq!(
        answer(d, "permessage-deflate"),
        Some((
            "permessage-deflate; server_no_context_takeover; server_max_window_bits=12".into(),
            params(true, false, 12, 15)
        ))
    );
    // An offer asking for less gets less; asking for more gets our 12 ("same or smaller").
    for (asked, got) in [(8, 8), (9, 9), (11, 11), (12, 12), (13, 12), (15, 12)] {
        let (response, agreed) = answer(
            d,
            &format!(
                "permessage-deflate; server_no_context_takeover; server_max_window_bits={asked}"
            ),
        )
        .unwrap();
        assert_eq!(
            response,
            format!("permessage-deflate; server_no_context_takeover; server_max_window_bits={got}")
        );
        assert_eq!(agreed.server_max_window_bits, got);
    }
    // Set explicitly: that many bits, 15 included (then stated only when asked).
    assert_eq!(
        answer(d.server_max_window_bits(15), "permessage-deflate")
            .unwrap()
            .0,
        "permessage-deflate; server_no_context_takeover"
    );
    assert_eq!(
        answer(
            d.server_max_window_bits(15),
            "permessage-deflate; server_no_context_takeover; server_max_window_bits=15"
        )
        .unwrap()
        .0,
        "permessage-deflate; server_no_context_takeover; server_max_window_bits=15"
    );
    assert_eq!(
        answer(d.server_max_window_bits(9), "permessage-deflate")
            .unwrap()
            .1,
        params(true, false, 9, 15)
    );
}

#[test]
fn rfc7692_7_1_2_2_server_asks_12_bit_client_window_only_where_the_offer_allows() {
    let d = DeflateConfig::default();
    // Bare client_max_window_bits: "the client supports this parameter" — we ask for 12.
    assert_eq!(
        answer(d, "permessage-deflate; client_max_window_bits"),
        Some((
            "permessage-deflate; server_no_context_takeover; server_max_window_bits=12; client_max_window_bits=12".into(),
            params(true, false, 12, 12)
        ))
    );
    // A value: the smaller of the client's and ours.
    for (offered, got) in [(8, 8), (10, 10), (12, 12), (14, 12), (15, 12)] {
        let (response, agreed) = answer(
            d,
            &format!("permessage-deflate; client_max_window_bits={offered}"),
        )
        .unwrap();
        assert_eq!(
            response,
            format!(
                "permessage-deflate; server_no_context_takeover; server_max_window_bits=12; client_max_window_bits={got}"
            )
        );
        assert_eq!(agreed.client_max_window_bits, got);
    }
    // No client_max_window_bits in the offer: the response "MUST NOT include" it.
    let (response, agreed) = answer(d, "permessage-deflate").unwrap();
    assert!(!response.contains("client_max_window_bits"), "{response}");
    assert_eq!(agreed.client_max_window_bits, 15);
    // ... unless we require a smaller window: then the offer is declined, and the next
    // acceptable one taken.
    let strict = d
        .client_max_window_bits(10)
        .require_client_max_window_bits(true);
    assert_eq!(answer(strict, "permessage-deflate"), None);
    assert_eq!(
        answer(
            strict,
            "permessage-deflate, permessage-deflate; client_max_window_bits"
        )
        .unwrap()
        .0,
        "permessage-deflate; server_no_context_takeover; server_max_window_bits=12; client_max_window_bits=10"
    );
    // Requiring 15 bits requires nothing.
    assert!(
        answer(
            d.client_max_window_bits(15)
                .require_client_max_window_bits(true),
            "permessage-deflate"
        )
        .is_some()
    );
}

#[test]
fn client_defaults_offer_as_before_and_accept_the_server_defaults() {
    let d = DeflateConfig::default();
    assert_eq!(
        d.offer().to_header_value(),
        "permessage-deflate; client_max_window_bits"
    );
    // Memory level and level are local: never in an offer or a response.
    let local = d.mem_level(2).level(9).threshold(0);
    assert_eq!(local.offer(), d.offer());
    assert_eq!(
        answer(local, "permessage-deflate"),
        answer(d, "permessage-deflate")
    );
    // What our own server answers by default is accepted.
    let (response, server_agreed) = d.negotiate(&d.offer().into_iter_one()).unwrap();
    assert_eq!(d.accept_response(&response), Ok(server_agreed));
    assert_eq!(server_agreed, params(true, false, 12, 12));
    // require_client_max_window_bits is a server setting: a client ignores it.
    assert_eq!(d.require_client_max_window_bits(true).offer(), d.offer());
}

trait IntoIterOne {
    fn into_iter_one(self) -> Vec<ExtensionOffer>;
}

impl IntoIterOne for ExtensionOffer {
    fn into_iter_one(self) -> Vec<ExtensionOffer> {
        vec![self]
    }
}

#[test]
fn setters_clamp_and_the_role_decides_the_defaults() {
    let d = DeflateConfig::default();
    assert_eq!(
        (
            d.mem_level,
            d.server_max_window_bits,
            d.client_max_window_bits
        ),
        (None, None, None)
    );
    assert_eq!(d.mem_level_for(Role::Server), SERVER_DEFAULT_MEM_LEVEL);
    assert_eq!(d.mem_level_for(Role::Client), CLIENT_DEFAULT_MEM_LEVEL);
    assert_eq!(d.mem_level(0).mem_level, Some(1));
    assert_eq!(d.mem_level(12).mem_level, Some(9));
    for role in [Role::Server, Role::Client] {
        assert_eq!(d.mem_level(3).mem_level_for(role), 3);
    }
    assert_eq!(d.server_max_window_bits(3).server_max_window_bits, Some(8));
    assert_eq!(
        d.server_max_window_bits(20).server_max_window_bits,
        Some(15)
    );
    assert_eq!(d.client_max_window_bits(0).client_max_window_bits, Some(8));
    // A field set by hand out of range is clamped where it is used.
    let mut raw = d;
    raw.server_max_window_bits = Some(40);
    raw.client_max_window_bits = Some(1);
    raw.mem_level = Some(0);
    assert_eq!(
        raw.offer().to_header_value(),
        "permessage-deflate; client_max_window_bits=8"
    );
    assert_eq!(raw.mem_level_for(Role::Server), 1);
    assert_eq!(
        answer(raw, "permessage-deflate; client_max_window_bits")
            .unwrap()
            .1,
        params(true, false, 15, 8)
    );
}

// ---- data ----

/// Sends `data` through `send` and, when compressed, decodes it with `recv`; returns what the
/// receiver got and whether it went compressed.
fn through(send: &mut Deflate, recv: &mut Deflate, data: &[u8]) -> (Vec<u8>, Rsv, usize) {
    let mut wire = Vec::new();
    let rsv = send
        .encode(MessageKind::Binary, data, true, true, &mut wire)
        .unwrap();
    if rsv.is_empty() {
        return (data.to_vec(), rsv, data.len());
    }
    let mut out = Vec::new();
    let status = recv.decode(rsv, &wire, true, &mut out, usize::MAX).unwrap();
    assert_eq!(status, Decoded::Done);
    (out, rsv, wire.len())
}

fn ends(agreed: DeflateParams, config: &DeflateConfig) -> (Deflate, Deflate) {
    (
        Deflate::new(agreed, Role::Server, config),
        Deflate::new(agreed, Role::Client, config),
    )
}

#[test]
fn round_trips_for_every_window_memory_level_level_and_context_setting() {
    let messages: Vec<Vec<u8>> = (0..4)
        .map(|n| json(n, [300, 1400, 5000, 40_000][n]))
        .chain([noise(3000, 9), [json(7, 2000), noise(200, 3)].concat()])
        .collect();
    for bits in 8..=15u8 {
        for mem_level in [1, 5, 8, 9] {
            for level in [1, 6] {
                for reset in [false, true] {
                    let config = DeflateConfig::default().mem_level(mem_level).level(level);
                    let agreed = params(reset, reset, bits, bits);
                    let (mut server, mut client) = ends(agreed, &config);
                    for (i, data) in messages.iter().chain(messages.iter()).enumerate() {
                        let (got, rsv, wire) = through(&mut server, &mut client, data);
                        let case = (bits, mem_level, level, reset, i);
                        assert!(got == *data, "{case:?}");
                        if data[0] == b'{' && data.len() >= 1400 {
                            assert_eq!(rsv, Rsv::RSV1, "{case:?}");
                            assert!(wire < data.len() / 2, "{case:?}: {wire}");
                        }
                        let (got, _, _) = through(&mut client, &mut server, data);
                        assert!(got == *data, "{case:?} back");
                    }
                }
            }
        }
    }
}

#[test]
fn rfc7692_7_1_2_compressed_distances_stay_within_the_agreed_window() {
    // A 700-byte pseudo-random block repeated: the best matches are 700 bytes back, beyond
    // windows of 9 bits and under; at 10 bits and over they are in reach.
    let block: Vec<u8> = (0..700u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8 % 64 + b'0')
        .collect();
    let data = block.repeat(40);
    for bits in 8..=15u8 {
        for mem_level in [1, 5, 9] {
            let config = DeflateConfig::default().mem_level(mem_level);
            let (mut server, _) = ends(params(false, false, bits, bits), &config);
            let mut wire = Vec::new();
            let rsv = server
                .encode(MessageKind::Binary, &data, true, true, &mut wire)
                .unwrap();
            assert_eq!(rsv, Rsv::RSV1);
            wire.extend_from_slice(&[0, 0, 0xff, 0xff]);
            let mut pos = 0;
            let max = max_distance(&mut BitReader {
                data: &wire,
                pos: &mut pos,
            });
            assert!(max >= 1, "{bits} {mem_level}");
            assert!(max <= 1 << bits, "{bits} {mem_level}: distance {max}");
        }
    }
}

#[test]
fn incompressible_message_goes_uncompressed_and_the_next_one_still_decodes() {
    for reset in [false, true] {
        let config = DeflateConfig::default();
        let (mut server, mut client) = ends(params(reset, reset, 12, 12), &config);
        let first = json(1, 3000);
        assert_eq!(through(&mut server, &mut client, &first).1, Rsv::RSV1);
        // Random bytes are caught by the sample: RSV1 clear, not a byte of compressor work.
        let random = noise(64 << 10, 5);
        let mut wire = vec![1, 2, 3];
        let rsv = server
            .encode(MessageKind::Binary, &random, true, true, &mut wire)
            .unwrap();
        assert_eq!((rsv, wire), (Rsv::NONE, vec![1, 2, 3]), "reset {reset}");
        // The peer's window never saw them; ours either: the next message refers back to the
        // first (when context is kept) and decodes.
        let next = json(1, 3000);
        let (got, rsv, size) = through(&mut server, &mut client, &next);
        assert_eq!((got == next, rsv), (true, Rsv::RSV1), "reset {reset}");
        if !reset {
            assert!(
                size < 100,
                "context kept across the skipped message: {size}"
            );
        }
    }
}

#[test]
fn text_is_compressed_without_the_sample_binary_is_sampled_first() {
    // Random text mixing ASCII and two-byte characters spreads its bytes evenly enough for the
    // sample to call it incompressible, yet dynamic Huffman codes shrink it. Sent as text it
    // goes to the compressor and out compressed; the same bytes as binary are judged by the
    // sample and go out as they are.
    let mut x = 7u32;
    let mut text = String::new();
    while text.len() < 8000 {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        let c = match x % 2 {
            0 => char::from_u32(0x21 + (x >> 8) % 94),
            _ => char::from_u32(0x80 + (x >> 8) % 0x780),
        };
        text.push(c.unwrap());
    }
    assert!(sample::looks_incompressible(text.as_bytes()));
    for reset in [false, true] {
        let config = DeflateConfig::default().level(6);
        let (mut server, mut client) = ends(params(reset, reset, 15, 15), &config);
        let mut wire = Vec::new();
        let rsv = server
            .encode(MessageKind::Text, text.as_bytes(), true, true, &mut wire)
            .unwrap();
        assert_eq!(rsv, Rsv::RSV1, "reset {reset}");
        assert!(wire.len() < text.len(), "reset {reset}: {}", wire.len());
        let mut got = Vec::new();
        client
            .decode(rsv, &wire, true, &mut got, usize::MAX)
            .unwrap();
        assert!(got == text.as_bytes(), "reset {reset}");
        let mut wire = Vec::new();
        let rsv = server
            .encode(MessageKind::Binary, text.as_bytes(), true, true, &mut wire)
            .unwrap();
        assert_eq!((rsv, wire.len()), (Rsv::NONE, 0), "reset {reset}");
    }
}

#[test]
fn a_message_that_did_not_shrink_goes_uncompressed_and_resets_the_compressor() {
    // Too short for the sample to judge (under 128 bytes): compressed, found larger, sent as
    // it is. The compressor took those bytes in; the peer never sees them.
    let config = DeflateConfig::default().threshold(0);
    for reset in [false, true] {
        let (mut server, mut client) = ends(params(reset, reset, 15, 15), &config);
        assert_eq!(
            through(&mut server, &mut client, &json(2, 2000)).1,
            Rsv::RSV1
        );
        let random = noise(120, 77);
        let mut wire = Vec::new();
        let rsv = server
            .encode(MessageKind::Binary, &random, true, true, &mut wire)
            .unwrap();
        assert_eq!((rsv, wire.len()), (Rsv::NONE, 0), "reset {reset}");
        // A message repeating those bytes: a compressor that kept them would refer back to
        // bytes the peer does not have, and the peer would decode garbage or fail.
        let mut next = random.clone();
        next.extend_from_slice(&random);
        next.extend_from_slice(&json(3, 2000));
        let (got, rsv, _) = through(&mut server, &mut client, &next);
        assert_eq!(rsv, Rsv::RSV1);
        assert!(got == next, "reset {reset}");
    }
}

#[test]
fn a_streamed_message_whose_first_piece_is_incompressible_is_sent_uncompressed() {
    let (mut server, _) = ends(params(false, false, 12, 12), &DeflateConfig::default());
    let mut wire = Vec::new();
    let rsv = server
        .encode(MessageKind::Binary, &noise(4096, 1), true, false, &mut wire)
        .unwrap();
    assert_eq!((rsv, wire.len()), (Rsv::NONE, 0));
    // One whose first piece is compressible is compressed, whatever follows.
    let rsv = server
        .encode(MessageKind::Binary, &json(0, 4096), true, false, &mut wire)
        .unwrap();
    assert_eq!(rsv, Rsv::RSV1);
    let rsv = server
        .encode(MessageKind::Binary, &noise(4096, 1), false, true, &mut wire)
        .unwrap();
    assert_eq!(rsv, Rsv::NONE, "continuation frames never carry RSV1");
    assert!(
        wire.len() > 4096,
        "the random piece was compressed all the same"
    );
}

// ---- idle state ----

#[test]
fn without_context_takeover_an_idle_codec_holds_no_state() {
    let config = DeflateConfig::default();
    for (server_nct, client_nct) in [(false, false), (true, false), (false, true), (true, true)] {
        let (mut server, mut client) = ends(params(server_nct, client_nct, 12, 12), &config);
        assert_eq!(server.holds_state(), (false, false), "created on first use");
        let data = json(0, 1400);
        through(&mut client, &mut server, &data);
        through(&mut server, &mut client, &data);
        // The server's compressor is kept only with context takeover; its decompressor only
        // when the client keeps context; the other way round for the client.
        assert_eq!(
            server.holds_state(),
            (!server_nct, !client_nct),
            "{server_nct} {client_nct}"
        );
        assert_eq!(client.holds_state(), (!client_nct, !server_nct));
        // Incompressible or small messages take no state at all.
        let (mut server, mut client) = ends(params(server_nct, client_nct, 12, 12), &config);
        through(&mut server, &mut client, &noise(5000, 2));
        through(&mut server, &mut client, b"short");
        assert_eq!(server.holds_state(), (false, false));
    }
}

#[test]
fn the_pool_is_bounded_and_hands_out_reset_state() {
    // Many codecs released at once: the pool keeps at most its bound.
    let config = DeflateConfig::default();
    let mut codecs: Vec<(Deflate, Deflate)> = (0..pool::MAX_DEFLATES + 6)
        .map(|_| ends(params(false, false, 11, 11), &config))
        .collect();
    let secret = json(5, 5000);
    for (server, client) in &mut codecs {
        through(server, client, &secret);
    }
    drop(codecs);
    let (deflates, inflates) = pool::len();
    assert!(deflates <= pool::MAX_DEFLATES && inflates <= pool::MAX_INFLATES);
    // A codec taking pooled state (which last compressed `secret` with context) must not
    // refer to it: a fresh decoder decodes its output, and the output is not a mere
    // reference to the earlier message.
    let (mut server, _) = ends(params(false, false, 11, 11), &config);
    let (_, mut fresh) = ends(params(false, false, 11, 11), &config);
    let (got, _, size) = through(&mut server, &mut fresh, &secret);
    assert!(got == secret);
    assert!(size > 500, "{size}");
    // clear_pool frees what is there (other tests may be adding to it meanwhile).
    let _ = clear_pool();
    let (deflates, inflates) = pool::len();
    assert!(deflates <= pool::MAX_DEFLATES && inflates <= pool::MAX_INFLATES);
}

// ---- through whole connections ----

const T0: Instant = Instant::ZERO;

/// The permessage-deflate agreement a connection runs with.
fn agreed(conn: &Connection) -> Option<DeflateParams> {
    conn.negotiated()
        .deflate()
        .map(|answer| DeflateParams::from_response(answer).unwrap())
}

fn pair(client: DeflateConfig, server: DeflateConfig) -> (Connection, Connection) {
    let config = |d| Config::default().ping_interval(None).deflate(Some(d));
    let mut c = Connection::client(
        T0,
        &Target::parse("ws://localhost/").unwrap(),
        &ClientOptions::default(),
        config(client),
        FixedEntropy::new(1),
    )
    .unwrap();
    let mut s = Connection::server(T0, config(server), FixedEntropy::new(2));
    s.handle_input(T0, &drain(&mut c));
    assert!(matches!(s.poll_event(), Some(Event::Request(_))));
    s.accept(Accept::default()).unwrap();
    assert!(matches!(s.poll_event(), Some(Event::Open)));
    c.handle_input(T0, &drain(&mut s));
    assert!(matches!(c.poll_event(), Some(Event::Open)));
    (c, s)
}

/// Moves what `from` sends to `to`; returns the first frame's first byte and the message.
fn moved(from: &mut Connection, to: &mut Connection) -> (u8, Vec<u8>) {
    let wire = drain(from);
    to.handle_input(T0, &wire);
    match to.poll_event() {
        Some(Event::Message { data, .. }) => (wire[0], data.to_vec()),
        other => panic!("{other:?}"),
    }
}

#[test]
fn connections_negotiate_the_server_defaults_and_skip_incompressible_messages() {
    // (the client asks for no context takeover, the server keeps its context unless asked,
    // compact contexts at both ends)
    for (nct, keeps, compact) in [
        (false, false, false),
        (false, true, false),
        (true, true, false),
        (false, true, true),
    ] {
        let client = DeflateConfig::default()
            .server_no_context_takeover(nct)
            .client_no_context_takeover(nct)
            .compact_context(compact);
        let mut server = DeflateConfig::default().compact_context(compact);
        if keeps {
            server = server.server_no_context_takeover(false);
        }
        let (mut c, mut s) = pair(client, server);
        assert_eq!(agreed(&c), Some(params(nct || !keeps, nct, 12, 12)));
        assert_eq!(agreed(&s), agreed(&c));
        for (data, compressed) in [
            (json(0, 1400), true),
            (noise(64 << 10, 4), false),
            (json(1, 1400), true),
            (noise(300, 8), false),
            (json(0, 1400), true),
        ] {
            let want = if compressed { 0xc2 } else { 0x82 };
            c.send(Message::binary(data.clone()), SendOptions::default())
                .unwrap();
            assert_eq!(moved(&mut c, &mut s), (want, data.clone()), "{nct}");
            s.send(Message::binary(data.clone()), SendOptions::default())
                .unwrap();
            assert_eq!(moved(&mut s, &mut c), (want, data.clone()), "{nct}");
        }
    }
}

// ---- compact context ----

/// Decodes one message `limit` bytes at a time, as partial mode does.
fn decode_in_steps(d: &mut Deflate, wire: &[u8], limit: usize) -> Vec<u8> {
    let mut out = Vec::new();
    let mut input = wire;
    loop {
        let before = out.len();
        let status = d.decode(Rsv::RSV1, input, true, &mut out, limit).unwrap();
        assert!(out.len() - before <= limit);
        input = &[];
        if status == Decoded::Done {
            return out;
        }
    }
}

#[test]
fn compact_context_keeps_only_the_window_and_compresses_as_well() {
    let messages: Vec<Vec<u8>> = (0..6)
        .map(|n| json(n % 3, [200, 1400, 3000, 1400, 200, 20_000][n]))
        .chain([noise(2000, 4), json(1, 1400), noise(90, 6), json(2, 3000)])
        .collect();
    for bits in 8..=15u8 {
        for (level, mem_level) in [(1, 5), (6, 8), (9, 1)] {
            let agreed = params(false, false, bits, bits);
            let plain = DeflateConfig::default().level(level).mem_level(mem_level);
            let compact = plain.compact_context(true);
            let (mut kept, _) = ends(agreed, &plain);
            // Compact at both ends, and each end against an end that keeps its state.
            let (mut server, mut client) = ends(agreed, &compact);
            let (_, mut kept_client) = ends(agreed, &plain);
            let (mut kept_sender, mut compact_client) = (
                Deflate::new(agreed, Role::Server, &plain),
                Deflate::new(agreed, Role::Client, &compact),
            );
            let (mut total, mut total_kept) = (0, 0);
            for (i, data) in messages.iter().enumerate() {
                let case = (bits, level, mem_level, i);
                let mut wire = Vec::new();
                let rsv = server
                    .encode(MessageKind::Binary, data, true, true, &mut wire)
                    .unwrap();
                let mut kept_wire = Vec::new();
                let kept_rsv = kept
                    .encode(MessageKind::Binary, data, true, true, &mut kept_wire)
                    .unwrap();
                assert_eq!(rsv, kept_rsv, "{case:?}");
                assert_eq!(server.holds_state(), (false, false), "{case:?}");
                if rsv == Rsv::RSV1 {
                    total += wire.len();
                    total_kept += kept_wire.len();
                    // In steps of 100 bytes the window takes every piece.
                    assert!(
                        decode_in_steps(&mut client, &wire, 100) == *data,
                        "{case:?}"
                    );
                    assert_eq!(client.holds_state(), (false, false), "{case:?}");
                    assert!(decode_in_steps(&mut kept_client, &wire, 1 << 20) == *data);
                }
                let (got, _, _) = through(&mut kept_sender, &mut compact_client, data);
                assert!(got == *data, "{case:?} kept sender, compact receiver");
            }
            // The same context either way: within 2% (and a few bytes).
            assert!(
                total * 100 <= total_kept * 102 + 64,
                "{bits} {level}: {total} vs {total_kept}"
            );
        }
    }
}

#[test]
fn compact_context_has_no_effect_without_context_takeover() {
    let compact = DeflateConfig::default().compact_context(true);
    let (mut server, mut client) = ends(params(true, false, 12, 12), &compact);
    let data = json(0, 1400);
    through(&mut server, &mut client, &data);
    through(&mut client, &mut server, &data);
    // The server resets (nothing kept), the client keeps its context as a window: neither
    // holds a state.
    assert_eq!(server.holds_state(), (false, false));
    assert_eq!(client.holds_state(), (false, false));
    // A repeat from the client refers back to the first message: tiny.
    let (got, _, size) = through(&mut client, &mut server, &data);
    assert!(got == data && size < 100, "{size}");
    // From the server, without context takeover, it cannot.
    let (got, _, size) = through(&mut server, &mut client, &data);
    assert!(got == data && size > 200, "{size}");
}
