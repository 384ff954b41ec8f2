//! Scenario tests of the state machine, one per RFC 6455 rule, driven with hand-built bytes.

use alloc::string::{String, ToString};
use alloc::vec;
use alloc::vec::Vec;
use core::time::Duration;

use super::*;
use crate::frame::{FrameHeader, apply_mask};
use crate::{FixedEntropy, ProtocolError, ReceiveMode};

pub(super) const T0: Instant = Instant::ZERO;
pub(super) const KEY: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];

/// An owned copy of an event, for assertions.
#[derive(Clone, Debug, PartialEq)]
enum Ev {
    Open,
    Text(String),
    Binary(Vec<u8>),
    Data(MessageKind, Vec<u8>, bool),
    Ping(Vec<u8>),
    Pong(Vec<u8>),
    Closed(u16, String),
    Failed(ConnectionError),
}

pub(super) fn config() -> Config {
    Config::default().ping_interval(None)
}

pub(super) fn open(role: Role, config: Config) -> Connection {
    Connection::open(
        role,
        Negotiated::default(),
        config,
        FixedEntropy::new(9),
        T0,
    )
}

pub(super) fn server() -> Connection {
    open(Role::Server, config())
}

pub(super) fn client() -> Connection {
    open(Role::Client, config())
}

fn events(conn: &mut Connection) -> Vec<Ev> {
    let mut out = Vec::new();
    while let Some(event) = conn.poll_event() {
        out.push(match event {
            Event::Open => Ev::Open,
            Event::Message(Message::Text(t)) => Ev::Text(t.to_string()),
            Event::Message(Message::Binary(b)) => Ev::Binary(b.to_vec()),
            Event::Data { kind, payload, fin } => Ev::Data(kind, payload.to_vec(), fin),
            Event::Ping(p) => Ev::Ping(p.to_vec()),
            Event::Pong(p) => Ev::Pong(p.to_vec()),
            Event::Closed(Ok(frame)) => Ev::Closed(frame.code.as_u16(), frame.reason.clone()),
            Event::Closed(Err(e)) => Ev::Failed(e.clone()),
            Event::Request(_) => panic!("unexpected request"),
        });
    }
    out
}

/// A frame as a client sends it (masked with `KEY`); `b0` is the whole first byte.
pub(super) fn masked(b0: u8, payload: &[u8]) -> Vec<u8> {
    frame(b0, payload, Some(KEY))
}

/// A frame as a server sends it (unmasked).
pub(super) fn unmasked(b0: u8, payload: &[u8]) -> Vec<u8> {
    frame(b0, payload, None)
}

pub(super) fn frame(b0: u8, payload: &[u8], mask: Option<[u8; 4]>) -> Vec<u8> {
    let header = FrameHeader {
        fin: b0 & 0x80 != 0,
        rsv: Rsv::from_header_byte(b0),
        opcode: OpCode::from_bits(b0 & 0x0f).unwrap(),
        mask,
        payload_len: payload.len() as u64,
    };
    let mut head = [0; 14];
    let n = header.encode(&mut head);
    let mut out = head[..n].to_vec();
    let start = out.len();
    out.extend_from_slice(payload);
    if let Some(key) = mask {
        apply_mask(&mut out[start..], key, 0);
    }
    out
}

/// Splits output into (first byte, unmasked payload) per frame; panics on a truncated frame.
pub(super) fn frames(mut bytes: &[u8]) -> Vec<(u8, Vec<u8>)> {
    let mut out = Vec::new();
    while !bytes.is_empty() {
        let (h, n) = FrameHeader::decode(bytes).unwrap().expect("a whole header");
        let len = h.payload_len as usize;
        assert!(bytes.len() >= n + len, "truncated frame");
        let mut payload = bytes[n..n + len].to_vec();
        if let Some(key) = h.mask {
            apply_mask(&mut payload, key, 0);
        }
        let b0 = (u8::from(h.fin) << 7) | h.rsv.bits() | h.opcode.bits();
        out.push((b0, payload));
        bytes = &bytes[n + len..];
    }
    out
}

pub(super) fn close_payload(code: u16, reason: &str) -> Vec<u8> {
    let mut p = code.to_be_bytes().to_vec();
    p.extend_from_slice(reason.as_bytes());
    p
}

/// Asserts the connection failed with `error`, sent a close frame with `code` (if any), and
/// wants the transport closed.
fn assert_failed(conn: &mut Connection, error: ConnectionError, code: Option<u16>) {
    let evs = events(conn);
    assert_eq!(evs.last(), Some(&Ev::Failed(error)), "events: {evs:?}");
    let sent = frames(&conn.take_transmit());
    match code {
        Some(code) => {
            assert_eq!(sent.len(), 1, "one close frame: {sent:?}");
            assert_eq!(sent[0].0, 0x88);
            assert_eq!(u16::from_be_bytes([sent[0].1[0], sent[0].1[1]]), code);
        }
        None => assert!(sent.is_empty(), "nothing sent: {sent:?}"),
    }
    assert_eq!(conn.poll_transmit(), Transmit::Close);
    assert_eq!(conn.state(), State::Closed);
    assert!(conn.poll_event().is_none(), "nothing after Closed");
    conn.handle_input(T0, &masked(0x81, b"more"));
    assert!(
        conn.poll_event().is_none(),
        "input after failure is ignored"
    );
}

// ---- §5.7 examples ----

#[test]
fn rfc6455_5_7_single_frame_unmasked_text_from_server() {
    let mut c = client();
    c.handle_input(T0, &[0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f]);
    assert_eq!(events(&mut c), [Ev::Text("Hello".into())]);
}

#[test]
fn rfc6455_5_7_single_frame_masked_text_from_client() {
    let mut s = server();
    s.handle_input(
        T0,
        &[
            0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58,
        ],
    );
    assert_eq!(events(&mut s), [Ev::Text("Hello".into())]);
}

#[test]
fn rfc6455_5_7_fragmented_unmasked_text() {
    let mut c = client();
    c.handle_input(T0, &[0x01, 0x03, 0x48, 0x65, 0x6c]);
    assert_eq!(events(&mut c), []);
    c.handle_input(T0, &[0x80, 0x02, 0x6c, 0x6f]);
    assert_eq!(events(&mut c), [Ev::Text("Hello".into())]);
}

/// Entropy that always gives the §5.7 masking key.
fn rfc_key(buf: &mut [u8]) {
    for (b, k) in buf.iter_mut().zip(KEY.iter().cycle()) {
        *b = *k;
    }
}

#[test]
fn rfc6455_5_7_unmasked_ping_and_masked_pong() {
    let mut c = Connection::open(Role::Client, Negotiated::default(), config(), rfc_key, T0);
    c.handle_input(T0, &[0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f]);
    assert_eq!(events(&mut c), [Ev::Ping(b"Hello".to_vec())]);
    assert_eq!(
        c.take_transmit(),
        [
            0x8a, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58
        ]
    );
}

#[test]
fn rfc6455_5_7_256_byte_and_64k_binary_frames_decode() {
    let mut c = client();
    let mut input = vec![0x82, 0x7e, 0x01, 0x00];
    input.extend_from_slice(&[1; 256]);
    input.extend_from_slice(&[0x82, 0x7f, 0, 0, 0, 0, 0, 1, 0, 0]);
    input.extend_from_slice(&[2; 65536]);
    c.handle_input(T0, &input);
    assert_eq!(
        events(&mut c),
        [Ev::Binary(vec![1; 256]), Ev::Binary(vec![2; 65536])]
    );
}

#[test]
fn rfc6455_5_7_256_byte_and_64k_binary_headers() {
    let mut s = open(Role::Server, config().send_frame_size(1 << 20));
    s.send_binary(&[0; 256]).unwrap();
    assert_eq!(s.take_transmit()[..4], [0x82, 0x7e, 0x01, 0x00]);
    s.send_binary(&[0; 65536]).unwrap();
    assert_eq!(
        s.take_transmit()[..10],
        [0x82, 0x7f, 0, 0, 0, 0, 0, 1, 0, 0]
    );
}

#[test]
fn rfc6455_5_7_server_sends_exact_hello() {
    let mut s = server();
    s.send_text("Hello").unwrap();
    assert_eq!(
        s.take_transmit(),
        [0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f]
    );
}

#[test]
fn rfc6455_5_3_client_masks_with_injected_key() {
    let mut c = Connection::open(Role::Client, Negotiated::default(), config(), rfc_key, T0);
    c.send_text("Hello").unwrap();
    assert_eq!(
        c.take_transmit(),
        [
            0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58
        ]
    );
}

#[test]
fn rfc6455_5_3_fresh_masking_key_per_frame() {
    let mut c = client();
    c.send_binary(b"one").unwrap();
    c.send_binary(b"two").unwrap();
    let out = c.take_transmit();
    let (a, n) = FrameHeader::decode(&out).unwrap().unwrap();
    let (b, _) = FrameHeader::decode(&out[n + 3..]).unwrap().unwrap();
    assert!(a.mask.is_some() && b.mask.is_some());
    assert_ne!(a.mask, b.mask);
}

// ---- §5.1, §5.2 framing rules ----

#[test]
fn rfc6455_5_1_server_fails_unmasked_client_frame_with_1002() {
    let mut s = server();
    s.handle_input(T0, &unmasked(0x81, b"hi"));
    assert_failed(&mut s, ProtocolError::UnmaskedFrame.into(), Some(1002));
}

#[test]
fn rfc6455_5_1_client_fails_masked_server_frame_with_1002() {
    let mut c = client();
    c.handle_input(T0, &masked(0x81, b"hi"));
    assert_failed(&mut c, ProtocolError::MaskedFrame.into(), Some(1002));
}

#[test]
fn rfc6455_5_2_reserved_bits_without_extension_fail_with_1002() {
    for b0 in [0xc1u8, 0xa1, 0x91] {
        let mut s = server();
        s.handle_input(T0, &masked(b0, b"x"));
        assert_failed(
            &mut s,
            ProtocolError::ReservedBits(b0 & 0x70).into(),
            Some(1002),
        );
    }
}

#[test]
fn rfc6455_5_2_reserved_opcodes_fail_with_1002() {
    for op in [3u8, 7, 0xb, 0xf] {
        let mut s = server();
        s.handle_input(T0, &[0x80 | op, 0x80, 1, 2, 3, 4]);
        assert_failed(&mut s, ProtocolError::ReservedOpcode(op).into(), Some(1002));
    }
}

#[test]
fn rfc6455_5_2_64_bit_length_with_top_bit_fails_with_1002() {
    let mut s = server();
    s.handle_input(T0, &[0x82, 0xff, 0x80, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4]);
    assert_failed(&mut s, ProtocolError::LengthOverflow.into(), Some(1002));
}

// ---- §5.4 fragmentation ----

#[test]
fn rfc6455_5_4_continuation_without_message_fails_with_1002() {
    let mut s = server();
    s.handle_input(T0, &masked(0x80, b"x"));
    assert_failed(
        &mut s,
        ProtocolError::UnexpectedContinuation.into(),
        Some(1002),
    );
}

#[test]
fn rfc6455_5_4_new_data_frame_inside_fragmented_message_fails_with_1002() {
    let mut s = server();
    s.handle_input(T0, &[masked(0x01, b"a"), masked(0x81, b"b")].concat());
    assert_failed(
        &mut s,
        ProtocolError::ExpectedContinuation.into(),
        Some(1002),
    );
}

#[test]
fn rfc6455_5_4_control_frames_interleaved_in_fragmented_message() {
    let mut s = server();
    let input = [
        masked(0x01, b"frag"),
        masked(0x89, b"ping!"),
        masked(0x00, b"ment"),
        masked(0x8a, b"pong"),
        masked(0x80, b"ed"),
    ]
    .concat();
    s.handle_input(T0, &input);
    assert_eq!(
        events(&mut s),
        [
            Ev::Ping(b"ping!".to_vec()),
            Ev::Pong(b"pong".to_vec()),
            Ev::Text("fragmented".into())
        ]
    );
    assert_eq!(frames(&s.take_transmit()), [(0x8a, b"ping!".to_vec())]);
}

// ---- §5.5 control frames ----

#[test]
fn rfc6455_5_5_control_frame_over_125_bytes_fails_with_1002() {
    let mut s = server();
    s.handle_input(T0, &masked(0x89, &[0; 126]));
    assert_failed(
        &mut s,
        ProtocolError::ControlFrameTooLong(126).into(),
        Some(1002),
    );
}

#[test]
fn rfc6455_5_5_fragmented_control_frame_fails_with_1002() {
    let mut s = server();
    s.handle_input(T0, &masked(0x09, b"x"));
    assert_failed(
        &mut s,
        ProtocolError::FragmentedControlFrame.into(),
        Some(1002),
    );
}

#[test]
fn rfc6455_5_5_2_ping_is_answered_with_same_payload_even_125_bytes() {
    let mut s = server();
    let payload: Vec<u8> = (0..125).collect();
    s.handle_input(T0, &masked(0x89, &payload));
    assert_eq!(events(&mut s), [Ev::Ping(payload.clone())]);
    assert_eq!(frames(&s.take_transmit()), [(0x8a, payload)]);
}

#[test]
fn rfc6455_5_5_2_unsent_pong_is_replaced_by_newer_one() {
    let mut s = server();
    s.send_binary(&[7; 100]).unwrap(); // output not yet written
    for i in 0..1000u32 {
        s.handle_input(T0, &masked(0x89, &i.to_be_bytes()));
    }
    assert_eq!(events(&mut s).len(), 1000);
    let sent = frames(&s.take_transmit());
    assert_eq!(sent.len(), 2, "one data frame and one pong: {}", sent.len());
    assert_eq!(sent[1], (0x8a, 999u32.to_be_bytes().to_vec()));
}

#[test]
fn rfc6455_5_5_2_auto_pong_can_be_turned_off() {
    let mut s = open(Role::Server, config().auto_pong(false));
    s.handle_input(T0, &masked(0x89, b"x"));
    assert_eq!(events(&mut s), [Ev::Ping(b"x".to_vec())]);
    assert!(s.take_transmit().is_empty());
    s.send_pong(b"x").unwrap();
    assert_eq!(frames(&s.take_transmit()), [(0x8a, b"x".to_vec())]);
}

#[test]
fn rfc6455_5_5_3_unsolicited_pong_is_reported_and_not_answered() {
    let mut s = server();
    s.handle_input(T0, &masked(0x8a, b"beat"));
    assert_eq!(events(&mut s), [Ev::Pong(b"beat".to_vec())]);
    assert!(s.take_transmit().is_empty());
}

// ---- §5.5.1, §7 closing ----

#[test]
fn rfc6455_5_5_1_peer_close_is_echoed_and_server_closes_transport_first() {
    let mut s = server();
    s.handle_input(T0, &masked(0x88, &close_payload(1001, "bye")));
    assert_eq!(events(&mut s), [Ev::Closed(1001, "bye".into())]);
    assert_eq!(
        frames(&s.take_transmit()),
        [(0x88, close_payload(1001, ""))]
    );
    assert_eq!(s.poll_transmit(), Transmit::Close);
    assert_eq!(s.send_text("late"), Err(SendError::Closed));
    assert_eq!(
        s.close_result(),
        Some(Ok(&CloseFrame::new(CloseCode::GOING_AWAY, "bye")))
    );
}

#[test]
fn rfc6455_7_1_1_client_waits_for_server_to_close_transport() {
    let mut c = client();
    c.close(CloseCode::NORMAL, "done", T0).unwrap();
    assert_eq!(
        frames(&c.take_transmit()),
        [(0x88, close_payload(1000, "done"))]
    );
    assert_eq!(c.state(), State::Closing);
    c.handle_input(T0, &unmasked(0x88, &close_payload(1000, "")));
    assert_eq!(events(&mut c), [Ev::Closed(1000, String::new())]);
    assert_eq!(
        c.poll_transmit(),
        Transmit::Idle,
        "the client waits for the server's TCP close"
    );
    c.handle_eof(T0);
    assert_eq!(c.poll_transmit(), Transmit::Close);
}

#[test]
fn rfc6455_7_1_1_client_closes_transport_itself_after_close_timeout() {
    let mut c = client();
    c.handle_input(T0, &unmasked(0x88, &close_payload(1000, "")));
    assert_eq!(events(&mut c), [Ev::Closed(1000, String::new())]);
    let _ = c.take_transmit();
    assert_eq!(c.poll_transmit(), Transmit::Idle);
    let deadline = c.poll_timeout().unwrap();
    assert_eq!(deadline, T0 + Duration::from_secs(10));
    c.handle_timeout(deadline);
    assert_eq!(c.poll_transmit(), Transmit::Close);
}

#[test]
fn rfc6455_7_1_2_unanswered_close_fails_after_close_timeout() {
    let mut s = server();
    s.close(CloseCode::NORMAL, "", T0).unwrap();
    let _ = s.take_transmit();
    s.handle_timeout(T0 + Duration::from_secs(9));
    assert_eq!(events(&mut s), []);
    s.handle_timeout(T0 + Duration::from_secs(10));
    assert_failed(&mut s, ConnectionError::CloseTimeout, None);
}

#[test]
fn rfc6455_5_5_1_close_without_payload_reports_1005_and_echoes_empty() {
    let mut s = server();
    s.handle_input(T0, &masked(0x88, b""));
    assert_eq!(events(&mut s), [Ev::Closed(1005, String::new())]);
    assert_eq!(frames(&s.take_transmit()), [(0x88, Vec::new())]);
}

#[test]
fn rfc6455_5_5_1_close_with_one_byte_payload_fails_with_1002() {
    let mut s = server();
    s.handle_input(T0, &masked(0x88, &[0x03]));
    assert_failed(&mut s, ProtocolError::CloseOneByte.into(), Some(1002));
}

#[test]
fn rfc6455_7_4_close_codes_not_allowed_on_the_wire_fail_with_1002() {
    for code in [
        0u16, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535,
    ] {
        let mut s = server();
        s.handle_input(T0, &masked(0x88, &close_payload(code, "")));
        assert_failed(
            &mut s,
            ProtocolError::InvalidCloseCode(code).into(),
            Some(1002),
        );
    }
}

#[test]
fn rfc6455_7_4_valid_close_codes_are_echoed() {
    for code in [
        1000u16, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999,
    ] {
        let mut s = server();
        s.handle_input(T0, &masked(0x88, &close_payload(code, "")));
        assert_eq!(events(&mut s), [Ev::Closed(code, String::new())]);
        assert_eq!(
            frames(&s.take_transmit()),
            [(0x88, close_payload(code, ""))]
        );
    }
}

#[test]
fn rfc6455_5_5_1_close_reason_must_be_utf8_else_1007() {
    let mut s = server();
    s.handle_input(T0, &masked(0x88, &[0x03, 0xe8, 0xce, 0xba, 0xff]));
    assert_failed(&mut s, ConnectionError::InvalidUtf8, Some(1007));
}

#[test]
fn rfc6455_5_5_1_nothing_is_sent_after_close() {
    let mut s = server();
    s.close(CloseCode::NORMAL, "", T0).unwrap();
    assert_eq!(s.send_text("x"), Err(SendError::Closed));
    assert_eq!(s.send_ping(b""), Err(SendError::Closed));
    assert_eq!(s.close(CloseCode::NORMAL, "", T0), Err(SendError::Closed));
    // A ping arriving while closing is reported but not answered.
    s.handle_input(T0, &masked(0x89, b"late"));
    assert_eq!(events(&mut s), [Ev::Ping(b"late".to_vec())]);
    assert_eq!(
        frames(&s.take_transmit()),
        [(0x88, close_payload(1000, ""))]
    );
}

#[test]
fn rfc6455_7_1_4_data_received_while_closing_is_still_delivered() {
    let mut s = server();
    s.close(CloseCode::NORMAL, "", T0).unwrap();
    s.handle_input(
        T0,
        &[
            masked(0x81, b"in flight"),
            masked(0x88, &close_payload(1000, "")),
        ]
        .concat(),
    );
    assert_eq!(
        events(&mut s),
        [
            Ev::Text("in flight".into()),
            Ev::Closed(1000, String::new())
        ]
    );
    let _ = s.take_transmit();
    assert_eq!(s.poll_transmit(), Transmit::Close);
}

#[test]
fn close_rejects_codes_and_reasons_that_may_not_be_sent() {
    let mut s = server();
    assert_eq!(
        s.close(CloseCode::ABNORMAL, "", T0),
        Err(SendError::InvalidCloseCode(1006))
    );
    assert_eq!(
        s.close(CloseCode::from(999), "", T0),
        Err(SendError::InvalidCloseCode(999))
    );
    let long = "x".repeat(124);
    assert_eq!(
        s.close(CloseCode::NORMAL, &long, T0),
        Err(SendError::ControlPayloadTooLong(126))
    );
    assert_eq!(s.state(), State::Open);
    s.close(CloseCode::from(4000), &"y".repeat(123), T0)
        .unwrap();
}

#[test]
fn rfc6455_7_1_5_transport_end_without_close_reports_1006() {
    let mut s = server();
    s.handle_input(T0, &masked(0x01, b"half"));
    s.handle_eof(T0);
    assert_failed(&mut s, ConnectionError::Abnormal, None);
    assert_eq!(ConnectionError::Abnormal.close_code(), CloseCode::ABNORMAL);
}

#[test]
fn rfc6455_7_1_5_frames_before_eof_are_still_decoded() {
    let mut s = server();
    s.handle_input(
        T0,
        &[
            masked(0x81, b"last words"),
            masked(0x88, &close_payload(1000, "")),
        ]
        .concat(),
    );
    s.handle_eof(T0);
    assert_eq!(
        events(&mut s),
        [
            Ev::Text("last words".into()),
            Ev::Closed(1000, String::new())
        ]
    );
}

// ---- §8.1 UTF-8 ----

#[test]
fn rfc6455_8_1_invalid_utf8_fails_fast_with_1007_mid_fragment() {
    let mut s = server();
    // The message is not finished (FIN clear), yet the bad byte fails the connection at once.
    s.handle_input(T0, &masked(0x01, &[b'o', b'k', 0xff, b'x']));
    assert_failed(&mut s, ConnectionError::InvalidUtf8, Some(1007));
}

#[test]
fn rfc6455_8_1_invalid_utf8_fails_fast_inside_a_partial_frame() {
    let mut s = server();
    let f = masked(
        0x81,
        &[b'a'; 1000]
            .iter()
            .copied()
            .chain([0xc0, 0xaf])
            .chain([b'b'; 1000])
            .collect::<Vec<_>>(),
    );
    // Only the first 1010 bytes of a 2002-byte frame arrive: the bad bytes are among them.
    s.handle_input(T0, &f[..1010]);
    assert_failed(&mut s, ConnectionError::InvalidUtf8, Some(1007));
}

#[test]
fn rfc6455_8_1_character_split_across_fragments_is_valid() {
    let mut s = server();
    let euro = "€".as_bytes(); // e2 82 ac
    s.handle_input(
        T0,
        &[
            masked(0x01, &euro[..1]),
            masked(0x00, &euro[1..2]),
            masked(0x80, &euro[2..]),
        ]
        .concat(),
    );
    assert_eq!(events(&mut s), [Ev::Text("€".into())]);
}

#[test]
fn rfc6455_8_1_truncated_character_at_message_end_fails_with_1007() {
    let mut s = server();
    s.handle_input(
        T0,
        &[masked(0x01, b"a"), masked(0x80, &[0xe2, 0x82])].concat(),
    );
    assert_failed(&mut s, ConnectionError::InvalidUtf8, Some(1007));
}

#[test]
fn rfc6455_8_1_whole_single_frame_text_is_validated() {
    let mut s = server();
    s.handle_input(T0, &masked(0x81, &[0xed, 0xa0, 0x80]));
    assert_failed(&mut s, ConnectionError::InvalidUtf8, Some(1007));
}

#[test]
fn sending_invalid_utf8_text_is_refused() {
    let mut s = server();
    s.begin_message(MessageKind::Text).unwrap();
    s.send_chunk(&[0xe2, 0x82], false).unwrap();
    assert_eq!(s.send_chunk(&[0x41], true), Err(SendError::InvalidUtf8));
}

// ---- limits ----

#[test]
fn message_over_limit_fails_with_1009_before_payload_is_buffered() {
    let mut s = open(Role::Server, config().max_message_size(1000));
    // Only the header of a 1 MiB frame arrives: it is refused from its declared length.
    s.handle_input(T0, &[0x82, 0xff, 0, 0, 0, 0, 0, 0x10, 0, 0, 1, 2, 3, 4]);
    assert_failed(
        &mut s,
        ConnectionError::MessageTooBig { limit: 1000 },
        Some(1009),
    );
}

#[test]
fn fragmented_message_over_limit_fails_with_1009() {
    let mut s = open(Role::Server, config().max_message_size(10));
    s.handle_input(T0, &[masked(0x02, &[0; 6]), masked(0x80, &[0; 6])].concat());
    assert_failed(
        &mut s,
        ConnectionError::MessageTooBig { limit: 10 },
        Some(1009),
    );
}

#[test]
fn frame_over_limit_fails_with_1009() {
    let mut s = open(Role::Server, config().max_frame_size(100));
    s.handle_input(T0, &masked(0x82, &[0; 101]));
    assert_failed(
        &mut s,
        ConnectionError::FrameTooBig {
            len: 101,
            limit: 100,
        },
        Some(1009),
    );
}

#[test]
fn flood_of_empty_continuations_is_bounded_by_max_fragments() {
    let mut s = open(Role::Server, config().max_fragments(100));
    let mut input = masked(0x02, b"");
    for _ in 0..200 {
        input.extend_from_slice(&masked(0x00, b""));
    }
    s.handle_input(T0, &input);
    assert_failed(
        &mut s,
        ConnectionError::TooManyFragments { limit: 100 },
        Some(1009),
    );
}

#[test]
fn declared_length_never_reserves_memory() {
    let mut s = server();
    // 16 MiB declared, 10 bytes sent: nothing grows beyond what arrived.
    s.handle_input(
        T0,
        &[0x82, 0xff, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 1, 2, 3, 4],
    );
    s.handle_input(T0, &[0; 10]);
    assert_eq!(events(&mut s), []);
    assert!(
        s.input.assembly.capacity() < 1024,
        "assembly {}",
        s.input.assembly.capacity()
    );
    assert!(
        s.input.buf.len() <= s.config().read_size.max(64),
        "input {}",
        s.input.buf.len()
    );
}

#[test]
fn output_high_water_mark_is_visible() {
    let mut s = open(Role::Server, config().output_high_water(1000));
    assert!(s.is_writable());
    s.send_binary(&[0; 1000]).unwrap();
    assert!(!s.is_writable());
    assert_eq!(s.buffered_output(), 1004);
    let _ = s.take_transmit();
    assert!(s.is_writable());
}

// ---- receive modes ----

#[test]
fn partial_mode_hands_out_a_large_frame_as_it_arrives() {
    let mut s = open(Role::Server, config().receive_mode(ReceiveMode::Partial));
    let payload: Vec<u8> = (0..100_000u32).map(|i| i as u8).collect();
    let f = masked(0x82, &payload);
    let mut got = Vec::new();
    let mut fin_seen = false;
    for piece in f.chunks(4096) {
        s.handle_input(T0, piece);
        for ev in events(&mut s) {
            let Ev::Data(MessageKind::Binary, bytes, fin) = ev else {
                panic!("{ev:?}")
            };
            assert!(!fin_seen);
            got.extend_from_slice(&bytes);
            fin_seen = fin;
        }
        assert!(
            s.input.buf.len() <= 2 * 16384,
            "input buffer stays one read: {}",
            s.input.buf.len()
        );
        assert_eq!(s.input.assembly.capacity(), 0, "nothing is assembled");
    }
    assert!(fin_seen);
    assert_eq!(got, payload);
}

#[test]
fn message_mode_assembles_fragments_and_reports_once() {
    let mut s = server();
    s.handle_input(
        T0,
        &[masked(0x02, b"ab"), masked(0x00, b""), masked(0x80, b"cd")].concat(),
    );
    assert_eq!(events(&mut s), [Ev::Binary(b"abcd".to_vec())]);
    assert_eq!(s.stats().messages_received, 1);
}

#[test]
fn streamed_send_produces_a_fragmented_message() {
    let mut s = server();
    s.begin_message(MessageKind::Binary).unwrap();
    assert_eq!(s.send_text("x"), Err(SendError::MessageInProgress));
    s.send_ping(b"p").unwrap();
    s.send_chunk(b"ab", false).unwrap();
    s.send_chunk(b"cd", true).unwrap();
    assert_eq!(
        s.send_chunk(b"ef", true),
        Err(SendError::NoMessageInProgress)
    );
    assert_eq!(
        frames(&s.take_transmit()),
        [
            (0x89, b"p".to_vec()),
            (0x02, b"ab".to_vec()),
            (0x80, b"cd".to_vec())
        ]
    );
}

#[test]
fn large_messages_are_split_by_send_frame_size() {
    let mut s = open(Role::Server, config().send_frame_size(4));
    s.send_text("abcdefghij").unwrap();
    assert_eq!(
        frames(&s.take_transmit()),
        [
            (0x01, b"abcd".to_vec()),
            (0x00, b"efgh".to_vec()),
            (0x80, b"ij".to_vec())
        ]
    );
}

// ---- timers ----

#[test]
fn keepalive_pings_when_idle_and_fails_when_peer_stays_silent() {
    let cfg = config()
        .ping_interval(Some(Duration::from_secs(20)))
        .ping_timeout(Duration::from_secs(5));
    let mut s = open(Role::Server, cfg);
    assert_eq!(s.poll_timeout(), Some(T0 + Duration::from_secs(20)));
    // Input pushes the ping back.
    s.handle_input(T0 + Duration::from_secs(15), &masked(0x81, b"hi"));
    let _ = events(&mut s);
    assert_eq!(s.poll_timeout(), Some(T0 + Duration::from_secs(35)));
    s.handle_timeout(T0 + Duration::from_secs(35));
    assert_eq!(frames(&s.take_transmit()), [(0x89, b"tether".to_vec())]);
    assert_eq!(s.poll_timeout(), Some(T0 + Duration::from_secs(40)));
    s.handle_timeout(T0 + Duration::from_secs(40));
    assert_failed(&mut s, ConnectionError::KeepaliveTimeout, None);
    assert_eq!(s.poll_timeout(), None);
}

#[test]
fn keepalive_is_satisfied_by_any_input() {
    let cfg = config()
        .ping_interval(Some(Duration::from_secs(20)))
        .ping_timeout(Duration::from_secs(5));
    let mut s = open(Role::Server, cfg);
    s.handle_timeout(T0 + Duration::from_secs(20));
    let _ = s.take_transmit();
    s.handle_input(T0 + Duration::from_secs(22), &masked(0x8a, b"tether"));
    assert_eq!(events(&mut s), [Ev::Pong(b"tether".to_vec())]);
    assert_eq!(s.poll_timeout(), Some(T0 + Duration::from_secs(42)));
    s.handle_timeout(T0 + Duration::from_secs(25));
    assert_eq!(s.state(), State::Open);
}

#[test]
fn handle_timeout_called_early_does_nothing() {
    let mut s = open(
        Role::Server,
        config().ping_interval(Some(Duration::from_secs(20))),
    );
    s.handle_timeout(T0);
    s.handle_timeout(T0 + Duration::from_secs(19));
    assert!(s.take_transmit().is_empty());
    assert_eq!(s.state(), State::Open);
}

// ---- extension point ----

/// A toy extension: RSV1 messages are XORed with 0xff.
#[derive(Debug)]
struct Invert;

impl Extension for Invert {
    fn rsv(&self) -> Rsv {
        Rsv::RSV1
    }

    fn decode(
        &mut self,
        _: Rsv,
        input: &[u8],
        _: bool,
        out: &mut Vec<u8>,
        limit: usize,
    ) -> Result<crate::Decoded, crate::ExtensionError> {
        if input.len() > limit {
            return Err(crate::ExtensionError::TooBig);
        }
        out.extend(input.iter().map(|b| !b));
        Ok(crate::Decoded::Done)
    }

    fn encode(
        &mut self,
        _: MessageKind,
        input: &[u8],
        first: bool,
        _: bool,
        out: &mut Vec<u8>,
    ) -> Result<Rsv, crate::ExtensionError> {
        out.extend(input.iter().map(|b| !b));
        Ok(if first { Rsv::RSV1 } else { Rsv::NONE })
    }
}

#[test]
fn rfc6455_9_extension_claims_rsv1_and_transforms_payloads() {
    let mut c = client();
    let mut s = server();
    c.install_extension(Box::new(Invert)).unwrap();
    s.install_extension(Box::new(Invert)).unwrap();
    c.send_text("hello").unwrap();
    let wire = c.take_transmit();
    assert_eq!(wire[0], 0xc1, "RSV1 set on the text frame");
    s.handle_input(T0, &wire);
    assert_eq!(events(&mut s), [Ev::Text("hello".into())]);
    // Control frames are never transformed.
    c.send_ping(b"p").unwrap();
    s.handle_input(T0, &c.take_transmit());
    assert_eq!(events(&mut s), [Ev::Ping(b"p".to_vec())]);
    // An uninstalled peer fails on the bit.
    let mut plain = server();
    plain.handle_input(T0, &wire);
    assert_failed(
        &mut plain,
        ProtocolError::ReservedBits(0x40).into(),
        Some(1002),
    );
}

#[test]
fn extension_output_is_bounded_by_the_message_limit() {
    let mut s = open(Role::Server, config().max_message_size(4));
    s.install_extension(Box::new(Invert)).unwrap();
    s.handle_input(T0, &masked(0xc2, &[0; 5]));
    assert_failed(
        &mut s,
        ConnectionError::MessageTooBig { limit: 4 },
        Some(1009),
    );
}

#[test]
fn rsv_bits_on_continuation_frames_fail_with_1002() {
    let mut s = server();
    s.install_extension(Box::new(Invert)).unwrap();
    s.handle_input(T0, &[masked(0x42, b"a"), masked(0xc0, b"b")].concat());
    assert_failed(&mut s, ProtocolError::ReservedBits(0x40).into(), Some(1002));
}

#[test]
fn events_borrow_without_copying_small_messages() {
    let mut s = server();
    let input: Vec<u8> = (0..100).flat_map(|i: u8| masked(0x82, &[i; 16])).collect();
    s.handle_input(T0, &input);
    let mut n = 0;
    while let Some(Event::Message(Message::Binary(b))) = s.poll_event() {
        assert_eq!(b, [n; 16]);
        n += 1;
    }
    assert_eq!(n, 100);
    assert_eq!(s.input.assembly.capacity(), 0, "no message was copied");
    let _ = vec![0u8; 0];
}

#[test]
fn config_changes_apply_from_the_next_message() {
    let mut s = open(Role::Server, config().max_message_size(4));
    s.handle_input(T0, &masked(0x82, b"1234"));
    assert_eq!(events(&mut s), [Ev::Binary(b"1234".to_vec())]);
    s.config_mut().max_message_size = 8;
    s.config_mut().receive_mode = ReceiveMode::Partial;
    s.handle_input(T0, &masked(0x82, b"12345678"));
    assert_eq!(
        events(&mut s),
        [Ev::Data(MessageKind::Binary, b"12345678".to_vec(), true)]
    );
    s.handle_input(T0, &masked(0x82, b"123456789"));
    assert_failed(
        &mut s,
        ConnectionError::MessageTooBig { limit: 8 },
        Some(1009),
    );
}

#[test]
fn reads_are_offered_more_room_while_they_fill_it_and_less_when_they_do_not() {
    let mut s = server();
    let mut offered = Vec::new();
    // Fast input: every read fills all the space it is offered.
    let payload = vec![0x5a; 4 << 20];
    let wire = masked(0x82, &payload);
    let mut fed = 0;
    while fed < wire.len() {
        let space = s.input_buffer();
        let n = space.len().min(wire.len() - fed);
        space[..n].copy_from_slice(&wire[fed..fed + n]);
        offered.push(space.len());
        s.commit_input(T0, n);
        fed += n;
        let _ = events(&mut s);
    }
    let read_size = s.config().read_size;
    assert_eq!(offered[0], read_size, "the first read gets read_size");
    assert!(
        offered.iter().any(|&o| o >= 1 << 20),
        "reads grew to 1 MiB: {offered:?}"
    );
    assert!(
        offered.iter().all(|&o| o <= 2 << 20),
        "bounded: {offered:?}"
    );
    // Then small reads: the offer decays back to read_size and the buffer is released.
    for _ in 0..20 {
        let space = s.input_buffer();
        let small = masked(0x81, b"hi");
        space[..small.len()].copy_from_slice(&small);
        s.commit_input(T0, small.len());
        assert_eq!(events(&mut s), [Ev::Text("hi".into())]);
    }
    assert_eq!(s.input_buffer().len(), read_size);
    assert!(
        s.input.buf.len() <= 32 << 10,
        "buffer released: {}",
        s.input.buf.len()
    );
}

// ---- reads straight into the assembly buffer ----

/// Feeds `bytes` through `input_buffer`/`commit_input` in reads of at most `size` bytes.
fn read_in(conn: &mut Connection, mut bytes: &[u8], size: usize) -> Vec<Ev> {
    let mut evs = Vec::new();
    while !bytes.is_empty() {
        let space = conn.input_buffer();
        let n = size.min(space.len()).min(bytes.len());
        space[..n].copy_from_slice(&bytes[..n]);
        conn.commit_input(T0, n);
        bytes = &bytes[n..];
        evs.extend(events(conn));
    }
    evs
}

#[test]
fn large_frame_read_read_by_read_arrives_whole_and_is_taken() {
    let mut s = server();
    let payload: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    let wire = masked(0x82, &payload);
    // The header (14 bytes) and a little payload arrive first, then the rest read by read.
    let evs = read_in(&mut s, &wire[..100], 100);
    assert!(evs.is_empty());
    // The next read goes straight into the assembly buffer: never past the frame's end.
    let offered = s.input_buffer().len();
    assert!(offered <= payload.len() - (100 - 14), "{offered}");
    let (last, body) = wire.split_last().unwrap();
    assert!(read_in(&mut s, &body[100..], 70_000).is_empty());
    read_in_quietly(&mut s, &[*last]);
    assert!(matches!(s.poll_event(), Some(Event::Message(Message::Binary(b))) if b == payload));
    let mut buf = Vec::with_capacity(10);
    assert!(s.take_message(&mut buf));
    assert_eq!(buf, payload);
}

/// Reads `bytes` in one read, without polling.
fn read_in_quietly(conn: &mut Connection, bytes: &[u8]) {
    let space = conn.input_buffer();
    space[..bytes.len()].copy_from_slice(bytes);
    conn.commit_input(T0, bytes.len());
}

#[test]
fn rfc6455_8_1_invalid_utf8_in_a_direct_read_fails_with_1007() {
    let mut s = server();
    let mut text = vec![b'a'; 100_000];
    text[80_000] = 0xff;
    let evs = read_in(&mut s, &masked(0x81, &text), 40_000);
    assert_eq!(evs.last(), Some(&Ev::Failed(ConnectionError::InvalidUtf8)));
    let sent = frames(&s.take_transmit());
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].0, 0x88);
    assert_eq!(u16::from_be_bytes([sent[0].1[0], sent[0].1[1]]), 1007);
}

#[test]
fn bytes_handed_in_after_an_unused_read_offer_keep_their_order() {
    let mut s = server();
    let payload: Vec<u8> = (0..100_000u32).map(|i| (i % 253) as u8).collect();
    let wire = masked(0x82, &payload);
    read_in(&mut s, &wire[..1000], 1000);
    // A read is offered (straight into the assembly buffer), but the bytes come another way.
    let _ = s.input_buffer();
    s.handle_input(T0, &wire[1000..50_000]);
    let evs = read_in(&mut s, &wire[50_000..], 30_000);
    assert_eq!(evs, [Ev::Binary(payload)]);
}

#[test]
fn after_a_large_frame_read_directly_the_next_read_is_small() {
    let mut s = server();
    let read_size = s.config().read_size;
    let big = masked(0x82, &vec![1; 300_000]);
    // Reads fill what they are offered, so the offer grows past `read_size`.
    let evs = read_in(&mut s, &big, usize::MAX);
    assert_eq!(evs.len(), 1);
    // The next header is read with little after it: the rest of a large payload then goes
    // straight to the assembly buffer instead of being copied out of the input buffer.
    assert_eq!(s.input_buffer().len(), read_size);
    let next = masked(0x82, &vec![2; 300_000]);
    assert_eq!(
        read_in(&mut s, &next, usize::MAX),
        [Ev::Binary(vec![2; 300_000])]
    );

    // After frames below 256 KiB the read offer stays as large as reads have been.
    let mut s = server();
    for _ in 0..4 {
        read_in(&mut s, &masked(0x82, &vec![3; 100_000]), usize::MAX);
    }
    assert!(s.input_buffer().len() > read_size);
}

#[test]
fn rfc6455_7_1_5_transport_closed_during_a_direct_read_is_1006() {
    let mut s = server();
    let wire = masked(0x82, &vec![7; 200_000]);
    assert!(read_in(&mut s, &wire[..120_000], 40_000).is_empty());
    let _ = s.input_buffer();
    s.handle_eof(T0);
    assert_eq!(events(&mut s), [Ev::Failed(ConnectionError::Abnormal)]);
}

#[test]
fn close_frame_after_a_message_read_directly_completes_the_close() {
    let mut s = server();
    let payload = vec![9; 100_000];
    let mut wire = masked(0x82, &payload);
    wire.extend_from_slice(&masked(0x88, &close_payload(1000, "bye")));
    let evs = read_in(&mut s, &wire, 50_000);
    assert_eq!(
        evs,
        [Ev::Binary(payload), Ev::Closed(1000, "bye".to_string())]
    );
}
