//! RFC 6455 §5: the §5.7 examples, masking (§5.3), framing rules (§5.1, §5.2), fragmentation
//! (§5.4) and control frames (§5.5).

use alloc::vec;
use alloc::vec::Vec;

use super::*;
use crate::frame::FrameHeader;

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

fn rfc_client() -> Connection {
    Connection::open(T0, Role::Client, Negotiated::default(), config(), rfc_key)
}

#[test]
fn rfc6455_5_7_unmasked_ping_and_masked_pong() {
    let mut c = rfc_client();
    c.handle_input(T0, &[0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f]);
    assert_eq!(events(&mut c), [Ev::Ping(b"Hello".to_vec())]);
    assert_eq!(
        drain(&mut c),
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
    send(&mut s, vec![0u8; 256]);
    assert_eq!(drain(&mut s)[..4], [0x82, 0x7e, 0x01, 0x00]);
    send(&mut s, vec![0u8; 65536]);
    assert_eq!(drain(&mut s)[..10], [0x82, 0x7f, 0, 0, 0, 0, 0, 1, 0, 0]);
}

#[test]
fn rfc6455_5_7_server_sends_exact_hello() {
    let mut s = server();
    send(&mut s, "Hello");
    assert_eq!(drain(&mut s), [0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f]);
}

#[test]
fn rfc6455_5_3_client_masks_with_injected_key() {
    let mut c = rfc_client();
    send(&mut c, "Hello");
    assert_eq!(
        drain(&mut c),
        [
            0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58
        ]
    );
}

#[test]
fn rfc6455_5_3_fresh_masking_key_per_frame() {
    let mut c = client();
    send(&mut c, b"one".to_vec());
    send(&mut c, b"two".to_vec());
    let out = drain(&mut c);
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
    assert_eq!(frames(&drain(&mut s)), [(0x8a, b"ping!".to_vec())]);
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
    assert_eq!(frames(&drain(&mut s)), [(0x8a, payload)]);
}

#[test]
fn rfc6455_5_5_2_auto_pong_can_be_turned_off() {
    let mut s = open(Role::Server, config().auto_pong(false));
    s.handle_input(T0, &masked(0x89, b"x"));
    assert_eq!(events(&mut s), [Ev::Ping(b"x".to_vec())]);
    assert!(drain(&mut s).is_empty());
    s.pong(b"x").unwrap();
    assert_eq!(frames(&drain(&mut s)), [(0x8a, b"x".to_vec())]);
}

#[test]
fn rfc6455_5_5_3_unsolicited_pong_is_reported_and_not_answered() {
    let mut s = server();
    s.handle_input(T0, &masked(0x8a, b"beat"));
    assert_eq!(events(&mut s), [Ev::Pong(b"beat".to_vec())]);
    assert!(drain(&mut s).is_empty());
}

#[test]
fn rfc6455_5_5_ping_and_pong_payloads_over_125_bytes_are_refused() {
    let mut s = server();
    assert_eq!(
        s.ping(&[0; 126]),
        Err(SendError::ControlPayloadTooLong(126))
    );
    assert_eq!(
        s.pong(&[0; 126]),
        Err(SendError::ControlPayloadTooLong(126))
    );
    assert_eq!(s.buffered_output(), 0, "nothing queued");
    s.ping(&[1; 125]).unwrap();
    assert_eq!(frames(&drain(&mut s)), [(0x89, vec![1; 125])]);
}
