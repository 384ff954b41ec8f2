//! permessage-deflate through whole connections: negotiation in the real handshake, round trips
//! in every window/context combination (the 12.x/13.x families of the well-known suite),
//! fragmentation, partial mode, per-message opt-out, and decompression bombs.

use alloc::string::{String, ToString};
use alloc::vec::Vec;
use alloc::{format, vec};

use super::*;
use crate::deflate::{DeflateConfig, DeflateParams};
use crate::frame::FrameHeader;
use crate::handshake::ExtensionOffer;
use crate::testkit::drain;
use crate::{ConnectionError, FixedEntropy, ReceiveMode, SendOptions};

const T0: Instant = Instant::ZERO;

fn config(deflate: Option<DeflateConfig>) -> Config {
    Config::default().ping_interval(None).deflate(deflate)
}

/// Most bytes one chunk of a message an extension decodes holds (`recv::CHUNK_DECODE_STEP`).
const CHUNK_DECODE_STEP: usize = 64 << 10;

/// A client connection for `url` (not yet open).
fn client_for(url: &str, config: Config) -> Connection {
    let target = Target::parse(url).unwrap();
    Connection::client(
        T0,
        &target,
        &ClientOptions::default(),
        config,
        FixedEntropy::new(1),
    )
    .unwrap()
}

/// The permessage-deflate parameters in force, from what was negotiated.
fn deflate(conn: &Connection) -> Option<DeflateParams> {
    conn.negotiated()
        .deflate()
        .map(|offer| DeflateParams::from_response(offer).unwrap())
}

fn send(conn: &mut Connection, message: impl Into<Message>) {
    conn.send(message.into(), SendOptions::default()).unwrap();
}

/// A client and a server after the real opening handshake.
fn pair(client: Config, server: Config) -> (Connection, Connection) {
    let mut c = client_for("ws://localhost/", client);
    let mut s = Connection::server(T0, server, FixedEntropy::new(2));
    s.handle_input(T0, &drain(&mut c));
    assert!(matches!(s.poll_event(), Some(Event::Request(_))));
    s.accept(Accept::default()).unwrap();
    assert!(matches!(s.poll_event(), Some(Event::Open)));
    c.handle_input(T0, &drain(&mut s));
    assert!(matches!(c.poll_event(), Some(Event::Open)));
    (c, s)
}

/// Received data, owned: whole messages, or partial pieces joined (with their sizes).
#[derive(Debug, Default, PartialEq)]
struct Got {
    messages: Vec<(MessageKind, Vec<u8>)>,
    largest_piece: usize,
    failure: Option<ConnectionError>,
}

fn moved(from: &mut Connection, to: &mut Connection) -> (usize, Got) {
    let wire = drain(from);
    to.handle_input(T0, &wire);
    let mut got = Got::default();
    let mut partial: Option<(MessageKind, Vec<u8>)> = None;
    while let Some(event) = to.poll_event() {
        match event {
            Event::Message { kind, data } => got.messages.push((kind, data.to_vec())),
            Event::Chunk { kind, data, fin } => {
                got.largest_piece = got.largest_piece.max(data.len());
                let p = partial.get_or_insert_with(|| (kind, Vec::new()));
                p.1.extend_from_slice(data);
                if fin {
                    got.messages.extend(partial.take());
                }
            }
            Event::Closed(Err(e)) => got.failure = Some(e.clone()),
            _ => {}
        }
    }
    (wire.len(), got)
}

/// JSON-like text, compressible like real traffic.
fn json(len: usize) -> Vec<u8> {
    let mut s = String::new();
    let mut i = 0u32;
    while s.len() < len {
        s.push_str(&format!(
            "{{\"id\":{i},\"user\":\"user{}\",\"score\":{},\"tags\":[\"a\",\"b{}\"]}},",
            i % 97,
            i.wrapping_mul(2_654_435_761) % 100_000,
            i % 7
        ));
        i += 1;
    }
    s.truncate(len);
    s.into_bytes()
}

/// Incompressible bytes.
fn noise(len: usize) -> Vec<u8> {
    let mut x = 0x2545_f491_u32;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect()
}

/// The next event, if it is a whole message.
fn message(conn: &mut Connection) -> Option<(MessageKind, Vec<u8>)> {
    match conn.poll_event() {
        Some(Event::Message { kind, data }) => Some((kind, data.to_vec())),
        _ => None,
    }
}

fn first_byte(wire: &[u8]) -> u8 {
    wire[0]
}

#[test]
fn rfc7692_negotiated_by_default_in_both_roles() {
    let (mut c, mut s) = pair(
        config(Some(Default::default())),
        config(Some(Default::default())),
    );
    let request = s.request().unwrap();
    assert_eq!(
        request.extensions(),
        [ExtensionOffer::new("permessage-deflate").with_param("client_max_window_bits")]
    );
    // The server's defaults: each of its messages compressed on its own, a 12-bit window for
    // itself and, as the offer allows, the client.
    let answer = ExtensionOffer::new("permessage-deflate")
        .with_param("server_no_context_takeover")
        .with_param_value("server_max_window_bits", "12")
        .with_param_value("client_max_window_bits", "12");
    let agreed = DeflateParams::from_response(&answer).unwrap();
    assert_eq!(
        (agreed.server_max_window_bits, agreed.client_max_window_bits),
        (12, 12)
    );
    assert_eq!((deflate(&c), deflate(&s)), (Some(agreed), Some(agreed)));
    assert_eq!(c.negotiated().extensions, [answer]);
    assert_eq!(s.negotiated().extensions, c.negotiated().extensions);
    // RSV1 on compressed messages (§6), never on control frames (§6.1) or small messages.
    let text = json(1000);
    send(&mut c, text.clone());
    let wire = drain(&mut c);
    assert_eq!(first_byte(&wire), 0xc2);
    assert!(wire.len() < 500, "compressed: {}", wire.len());
    s.handle_input(T0, &wire);
    assert_eq!(message(&mut s), Some((MessageKind::Binary, text)));
    send(&mut s, "short");
    s.ping(b"p").unwrap();
    let wire = drain(&mut s);
    assert_eq!((wire[0], wire[7]), (0x81, 0x89));
}

#[test]
fn deflate_off_on_either_side_means_no_extension() {
    for (client, server) in [
        (None, Some(Default::default())),
        (Some(Default::default()), None),
    ] {
        let (mut c, mut s) = pair(config(client), config(server));
        assert_eq!((deflate(&c), deflate(&s)), (None, None));
        assert!(c.negotiated().extensions.is_empty());
        send(&mut c, json(1000));
        let (len, got) = moved(&mut c, &mut s);
        assert!(len > 1000);
        assert_eq!(got.messages, [(MessageKind::Binary, json(1000))]);
    }
}

#[test]
fn the_applications_own_extension_choice_stands() {
    let mut c = client_for("ws://h/", config(Some(Default::default())));
    let mut s = Connection::server(T0, config(Some(Default::default())), FixedEntropy::new(2));
    s.handle_input(T0, &drain(&mut c));
    let _ = s.poll_event();
    let own = ExtensionOffer::new("permessage-deflate").with_param("server_no_context_takeover");
    s.accept(Accept::default().extension(own.clone())).unwrap();
    assert!(
        s.core.extension.is_none(),
        "the application installs its own"
    );
    assert_eq!(s.negotiated().extensions, [own]);
    c.handle_input(T0, &drain(&mut s));
    let _ = c.poll_event();
    assert_eq!(
        deflate(&c).map(|p| p.server_no_context_takeover),
        Some(true)
    );
    assert!(c.core.extension.is_some(), "the client installed the codec");
}

#[test]
fn rfc7692_7_1_a_response_the_client_cannot_use_fails_the_handshake() {
    let mut c = client_for("ws://h/", config(Some(Default::default())));
    let request = String::from_utf8(drain(&mut c)).unwrap();
    let key = request
        .lines()
        .find_map(|l| l.strip_prefix("Sec-WebSocket-Key: "))
        .unwrap();
    let response = format!(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Accept: {}\r\n\
         Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\r\n",
        crate::handshake::accept_key(key.as_bytes())
    );
    c.handle_input(T0, response.as_bytes());
    match c.poll_event() {
        Some(Event::Closed(Err(ConnectionError::Handshake(e)))) => {
            assert!(
                matches!(e, HandshakeError::InvalidExtensionResponse(_)),
                "{e}"
            );
            assert!(e.to_string().contains("client_max_window_bits"), "{e}");
        }
        other => panic!("{other:?}"),
    }
}

/// Sizes of the 12.x/13.x families: 16 B to 256 KiB.
const SIZES: [usize; 11] = [
    16,
    64,
    256,
    1 << 10,
    4 << 10,
    8 << 10,
    16 << 10,
    32 << 10,
    64 << 10,
    128 << 10,
    256 << 10,
];

/// One connection pair asking for `agreed`, exchanging every size both ways, twice each (so
/// context takeover, or its absence, is exercised).
fn round_trips(agreed: (u8, u8, bool, bool), sizes: &[usize], frame: usize) {
    let (server_bits, client_bits, server_nct, client_nct) = agreed;
    let ask = DeflateConfig::default()
        .server_max_window_bits(server_bits)
        .client_max_window_bits(client_bits)
        .server_no_context_takeover(server_nct)
        .client_no_context_takeover(client_nct);
    // A server that takes whatever the client asks for (the defaults would lower both
    // windows to 12 bits and keep no context).
    let server = DeflateConfig::default()
        .server_no_context_takeover(false)
        .server_max_window_bits(15)
        .client_max_window_bits(15);
    let (mut c, mut s) = pair(
        config(Some(ask)).send_frame_size(frame),
        config(Some(server)).send_frame_size(frame),
    );
    let want = DeflateParams {
        server_no_context_takeover: server_nct,
        client_no_context_takeover: client_nct,
        server_max_window_bits: server_bits,
        client_max_window_bits: client_bits,
    };
    assert_eq!(
        (deflate(&c), deflate(&s)),
        (Some(want), Some(want)),
        "{agreed:?}"
    );
    for &size in sizes {
        for data in [json(size), noise(size)] {
            for _ in 0..2 {
                send(&mut c, data.clone());
                let (sent, got) = moved(&mut c, &mut s);
                assert_eq!(
                    got.messages,
                    [(MessageKind::Binary, data.clone())],
                    "{agreed:?} {size}"
                );
                if size >= 1024 && data[0] == b'{' {
                    assert!(sent < size / 2, "{agreed:?} {size}: {sent} bytes sent");
                }
                send(&mut s, data.clone());
                let (_, got) = moved(&mut s, &mut c);
                assert_eq!(
                    got.messages,
                    [(MessageKind::Binary, data.clone())],
                    "{agreed:?} {size}"
                );
            }
        }
    }
}

#[test]
fn compression_12_x_default_parameters_all_sizes() {
    round_trips((15, 15, false, false), &SIZES, 64 << 10);
}

#[test]
fn compression_13_x_every_window_and_context_combination() {
    for server_bits in 8..=15 {
        for client_bits in [8, 9, 12, 15] {
            for (server_nct, client_nct) in
                [(false, false), (true, false), (false, true), (true, true)]
            {
                let sizes: &[usize] = if (server_bits + client_bits) % 3 == 0 {
                    &SIZES
                } else {
                    &[16, 256, 4 << 10, 32 << 10]
                };
                round_trips(
                    (server_bits, client_bits, server_nct, client_nct),
                    sizes,
                    4 << 10,
                );
            }
        }
    }
}

#[test]
fn streamed_and_fragmented_messages_decompress_across_frames() {
    let (mut c, mut s) = pair(
        config(Some(Default::default())),
        config(Some(Default::default())),
    );
    let data = json(300_000);
    c.begin_message(MessageKind::Text, SendOptions::default())
        .unwrap();
    for piece in data.chunks(7_000) {
        c.send_chunk(piece.to_vec(), false).unwrap();
    }
    c.send_chunk(Vec::new(), true).unwrap();
    let wire = drain(&mut c);
    // RSV1 on the first frame only (§6.1), continuations clear.
    let mut at = 0;
    let mut firsts = Vec::new();
    while at < wire.len() {
        let (h, n) = FrameHeader::decode(&wire[at..]).unwrap().unwrap();
        firsts.push((h.opcode, h.rsv));
        at += n + h.payload_len as usize;
    }
    assert!(firsts.len() > 40);
    assert_eq!(firsts[0], (OpCode::Text, Rsv::RSV1));
    assert!(
        firsts[1..]
            .iter()
            .all(|&f| f == (OpCode::Continuation, Rsv::NONE))
    );
    s.handle_input(T0, &wire);
    assert_eq!(message(&mut s), Some((MessageKind::Text, data.clone())));
    // The same bytes fed one at a time decode the same.
    send(&mut c, String::from_utf8(data[..20_000].to_vec()).unwrap());
    let wire = drain(&mut c);
    let mut got = None;
    for b in &wire {
        s.handle_input(T0, core::slice::from_ref(b));
        if let Some(Event::Message { data, .. }) = s.poll_event() {
            got = Some(data.to_vec());
        }
    }
    assert_eq!(got.as_deref(), Some(&data[..20_000]));
}

#[test]
fn chunks_mode_hands_out_inflated_data_in_bounded_pieces() {
    let receiver = config(Some(Default::default()))
        .receive_mode(ReceiveMode::Chunks)
        .max_message_size(u64::MAX);
    // The sender compresses as hard as it can, as an attacker would.
    let sender = config(Some(DeflateConfig::default().level(9)));
    let (mut c, mut s) = pair(sender, receiver);
    // 8 MiB of zeros: about 8 KiB on the wire, inflated 64 KiB at a time.
    let zeros = vec![0u8; 8 << 20];
    send(&mut c, zeros.clone());
    let (sent, got) = moved(&mut c, &mut s);
    assert!(sent < 16 << 10, "{sent}");
    assert_eq!(got.messages.len(), 1);
    assert!(got.messages[0].1 == zeros);
    assert!(got.largest_piece <= CHUNK_DECODE_STEP);
    assert!(
        s.input.scratch.capacity() <= CHUNK_DECODE_STEP,
        "{}",
        s.input.scratch.capacity()
    );
    // Text is still validated across pieces, and the connection goes on.
    let text = json(200_000);
    send(&mut c, String::from_utf8(text.clone()).unwrap());
    let (_, got) = moved(&mut c, &mut s);
    assert_eq!(got.messages, [(MessageKind::Text, text)]);
}

#[test]
fn decompression_bomb_fails_with_1009_without_allocating_past_the_limit() {
    const LIMIT: u64 = 1 << 20;
    let receiver = config(Some(Default::default())).max_message_size(LIMIT);
    // The sender compresses as hard as it can, as an attacker would.
    let sender = config(Some(DeflateConfig::default().level(9)));
    let (mut c, mut s) = pair(sender, receiver.clone());
    // 10 MiB of zeros compresses to about 10 KiB.
    send(&mut c, vec![0u8; 10 << 20]);
    let (sent, got) = moved(&mut c, &mut s);
    assert!(sent < 16 << 10, "{sent}");
    assert_eq!(
        got.failure,
        Some(ConnectionError::MessageTooBig { limit: LIMIT })
    );
    let close = drain(&mut s);
    assert_eq!(
        &close[..4],
        [0x88, 0x11, 0x03, 0xf1],
        "close frame with 1009"
    );
    let held = s.input.assembly.capacity() + s.input.scratch.capacity();
    assert!(held <= LIMIT as usize, "assembly held {held} bytes");
    // A message of exactly the limit is fine.
    let (mut c, mut s) = pair(config(Some(Default::default())), receiver);
    send(&mut c, vec![7u8; LIMIT as usize]);
    let (_, got) = moved(&mut c, &mut s);
    assert_eq!(got.failure, None);
    assert_eq!(got.messages[0].1.len(), LIMIT as usize);
    assert!(s.input.assembly.capacity() <= LIMIT as usize);
}

#[test]
fn uncompressed_opt_out_per_message() {
    let (mut c, mut s) = pair(
        config(Some(Default::default())),
        config(Some(Default::default())),
    );
    let data = json(4000);
    let plain = SendOptions::default().compress(false);
    c.send(Message::binary(data.clone()), plain).unwrap();
    let wire = drain(&mut c);
    assert_eq!(first_byte(&wire), 0x82);
    assert!(wire.len() > 4000);
    s.handle_input(T0, &wire);
    assert_eq!(message(&mut s), Some((MessageKind::Binary, data.clone())));
    c.begin_message(MessageKind::Text, plain).unwrap();
    c.send_chunk(&b"abc"[..], false).unwrap();
    c.send_chunk(&b"def"[..], true).unwrap();
    let wire = drain(&mut c);
    assert_eq!(first_byte(&wire), 0x01);
    s.handle_input(T0, &wire);
    assert_eq!(
        message(&mut s),
        Some((MessageKind::Text, b"abcdef".to_vec()))
    );
    // The compression context is unaffected: compressed messages still round-trip.
    send(&mut c, data.clone());
    let (_, got) = moved(&mut c, &mut s);
    assert_eq!(got.messages, [(MessageKind::Binary, data)]);
}

#[test]
fn corrupt_compressed_data_fails_with_1002_and_invalid_text_with_1007() {
    let (mut c, mut s) = pair(
        config(Some(Default::default())),
        config(Some(Default::default())),
    );
    // A reserved block type (BTYPE 11) is invalid DEFLATE.
    let mut frame = vec![0xc2, 0x81, 0, 0, 0, 0, 0x07];
    s.handle_input(T0, &frame);
    let got = moved(&mut c, &mut s).1;
    assert!(
        matches!(got.failure, Some(ConnectionError::Protocol(_))),
        "{got:?}"
    );
    // Compressed bytes that inflate to invalid UTF-8 in a text message.
    let (mut c, mut s) = pair(
        config(Some(Default::default())),
        config(Some(Default::default())),
    );
    let mut compressor = crate::deflate::Deflate::new(
        deflate(&c).unwrap(),
        Role::Client,
        &DeflateConfig::default().threshold(0),
    )
    .always_compress();
    let mut payload = Vec::new();
    Extension::encode(
        &mut compressor,
        MessageKind::Binary,
        &[0xff, 0xfe],
        true,
        true,
        &mut payload,
    )
    .unwrap();
    frame = vec![0xc1, 0x80 | payload.len() as u8, 0, 0, 0, 0];
    frame.extend_from_slice(&payload);
    s.handle_input(T0, &frame);
    let got = moved(&mut c, &mut s).1;
    assert_eq!(got.failure, Some(ConnectionError::InvalidUtf8));
}

#[test]
fn open_installs_the_codec_from_negotiated_extensions() {
    let negotiated = Negotiated::new(
        None,
        vec![ExtensionOffer::new("permessage-deflate").with_param("server_no_context_takeover")],
    );
    let mut c = Connection::open(
        T0,
        Role::Client,
        negotiated.clone(),
        config(Some(Default::default())),
        FixedEntropy::new(1),
    );
    let mut s = Connection::open(
        T0,
        Role::Server,
        negotiated,
        config(Some(Default::default())),
        FixedEntropy::new(2),
    );
    assert_eq!(
        deflate(&s).map(|p| p.server_no_context_takeover),
        Some(true)
    );
    assert!(s.core.extension.is_some() && c.core.extension.is_some());
    let _ = (c.poll_event(), s.poll_event());
    send(&mut s, json(1000));
    let (sent, got) = moved(&mut s, &mut c);
    assert!(sent < 1000);
    assert_eq!(got.messages, [(MessageKind::Binary, json(1000))]);
}
