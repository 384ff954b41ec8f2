//! Sending: streamed messages, frame splitting, the high-water mark, prepared messages and the
//! extension point (RFC 6455 §9).

use alloc::boxed::Box;
use alloc::vec;
use alloc::vec::Vec;

use super::*;
use crate::PreparedMessage;

#[test]
fn output_high_water_mark_is_visible() {
    let mut s = open(Role::Server, config().outbound_high_water(1000));
    assert!(s.is_writable());
    send(&mut s, vec![0u8; 1000]);
    assert!(!s.is_writable());
    assert_eq!(s.buffered_output(), 1004);
    let _ = drain(&mut s);
    assert!(s.is_writable());
}

#[test]
fn streamed_send_produces_a_fragmented_message() {
    let mut s = server();
    s.begin_message(MessageKind::Binary, SendOptions::default())
        .unwrap();
    assert_eq!(
        s.send(Message::text("x"), SendOptions::default()),
        Err(SendError::MessageInProgress)
    );
    assert_eq!(
        s.begin_message(MessageKind::Text, SendOptions::default()),
        Err(SendError::MessageInProgress)
    );
    s.ping(b"p").unwrap();
    s.send_chunk(&b"ab"[..], false).unwrap();
    s.send_chunk(&b"cd"[..], true).unwrap();
    assert_eq!(
        s.send_chunk(&b"ef"[..], true),
        Err(SendError::NoMessageInProgress)
    );
    assert_eq!(
        frames(&drain(&mut s)),
        [
            (0x89, b"p".to_vec()),
            (0x02, b"ab".to_vec()),
            (0x80, b"cd".to_vec())
        ]
    );
    assert_eq!(s.stats().messages_sent, 1);
}

#[test]
fn streamed_text_may_split_a_character_between_chunks() {
    let mut s = server();
    s.begin_message(MessageKind::Text, SendOptions::default())
        .unwrap();
    let euro = "€".as_bytes();
    s.send_chunk(euro[..1].to_vec(), false).unwrap();
    s.send_chunk(euro[1..].to_vec(), true).unwrap();
    assert_eq!(
        frames(&drain(&mut s)),
        [(0x01, euro[..1].to_vec()), (0x80, euro[1..].to_vec())]
    );
}

#[test]
fn an_empty_message_is_one_empty_frame() {
    let mut s = server();
    send(&mut s, "");
    s.begin_message(MessageKind::Binary, SendOptions::default())
        .unwrap();
    s.send_chunk(Vec::new(), true).unwrap();
    assert_eq!(frames(&drain(&mut s)), [(0x81, vec![]), (0x82, vec![])]);
}

#[test]
fn large_messages_are_split_by_send_frame_size() {
    let mut s = open(Role::Server, config().send_frame_size(4));
    send(&mut s, "abcdefghij");
    assert_eq!(
        frames(&drain(&mut s)),
        [
            (0x01, b"abcd".to_vec()),
            (0x00, b"efgh".to_vec()),
            (0x80, b"ij".to_vec())
        ]
    );
}

#[test]
fn sends_before_open_are_refused() {
    let mut s = Connection::server(T0, config(), FixedEntropy::new(2));
    assert_eq!(
        s.send(Message::text("early"), SendOptions::default()),
        Err(SendError::NotOpen)
    );
    assert_eq!(s.ping(b""), Err(SendError::NotOpen));
    assert_eq!(
        s.begin_message(MessageKind::Binary, SendOptions::default()),
        Err(SendError::NotOpen)
    );
    assert_eq!(s.buffered_output(), 0);
}

#[test]
fn a_prepared_message_is_shared_by_servers_and_encoded_by_clients() {
    // A large frame is queued as it is: the very bytes of the prepared message.
    let large = PreparedMessage::new(Message::binary(vec![7u8; 16 << 10]));
    let mut s = server();
    s.send_prepared(&large).unwrap();
    match s.poll_transmit() {
        Transmit::Write(bufs) => {
            let slices: Vec<&[u8]> = bufs.collect();
            assert_eq!(slices.len(), 1);
            assert_eq!(
                slices[0].as_ptr(),
                large.frame().as_ptr(),
                "the shared frame"
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(drain(&mut s), large.frame().as_ref());
    // A small one is copied into the output buffer.
    let news = PreparedMessage::new(Message::text("the price is 42"));
    let mut s = server();
    s.send_prepared(&news).unwrap();
    s.send_prepared(&news).unwrap();
    match s.poll_transmit() {
        Transmit::Write(bufs) => assert_eq!(bufs.count(), 1, "one slice"),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        frames(&drain(&mut s)),
        [
            (0x81, b"the price is 42".to_vec()),
            (0x81, b"the price is 42".to_vec())
        ]
    );
    assert_eq!(s.stats().messages_sent, 2);
    // A client masks its own copy; a server with smaller frames splits the payload.
    let mut c = client();
    c.send_prepared(&news).unwrap();
    let wire = drain(&mut c);
    assert_eq!(wire[1], 0x80 | 15, "masked");
    assert_eq!(frames(&wire), [(0x81, b"the price is 42".to_vec())]);
    let mut s = open(Role::Server, config().send_frame_size(8));
    s.send_prepared(&news).unwrap();
    assert_eq!(
        frames(&drain(&mut s)),
        [(0x01, b"the pric".to_vec()), (0x80, b"e is 42".to_vec())]
    );
    // Never in the middle of a streamed message.
    let mut s = server();
    s.begin_message(MessageKind::Binary, SendOptions::default())
        .unwrap();
    assert_eq!(s.send_prepared(&news), Err(SendError::MessageInProgress));
    // Nor after the close: nothing more is queued.
    let mut s = server();
    s.close(Instant::ZERO, CloseCode::NORMAL, "bye").unwrap();
    let closing = s.buffered_output();
    assert_eq!(s.send_prepared(&news), Err(SendError::Closed));
    assert_eq!(s.buffered_output(), closing);
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
    send(&mut c, "hello");
    let wire = drain(&mut c);
    assert_eq!(wire[0], 0xc1, "RSV1 set on the text frame");
    s.handle_input(T0, &wire);
    assert_eq!(events(&mut s), [Ev::Text("hello".into())]);
    // Control frames are never transformed.
    c.ping(b"p").unwrap();
    s.handle_input(T0, &drain(&mut c));
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
fn rfc6455_9_an_uncompressed_send_bypasses_the_extension() {
    let mut s = server();
    s.install_extension(Box::new(Invert)).unwrap();
    s.send(
        Message::text("plain"),
        SendOptions::default().compress(false),
    )
    .unwrap();
    assert_eq!(frames(&drain(&mut s)), [(0x81, b"plain".to_vec())]);
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
fn an_extension_cannot_be_installed_mid_message() {
    let mut s = server();
    s.begin_message(MessageKind::Binary, SendOptions::default())
        .unwrap();
    assert_eq!(
        s.install_extension(Box::new(Invert)),
        Err(SendError::MessageInProgress)
    );
}

/// RFC 6455 §5.2: a whole message that fits one frame goes out as the same bytes as that
/// message streamed in one chunk — inline (≤ 16 bytes), shared, empty, text and binary — and
/// one over the frame size is split alike; the unmasked server role makes the bytes comparable.
#[test]
fn rfc6455_5_2_a_whole_message_is_framed_as_its_one_chunk_stream() {
    let frame_size = 1000;
    for len in [0, 1, 15, 16, 17, 125, 126, 999, 1000, 1001, 70_000] {
        for kind in [MessageKind::Binary, MessageKind::Text] {
            let payload = text(len).into_bytes();
            let message = match kind {
                MessageKind::Binary => Message::binary(payload.clone()),
                MessageKind::Text => Message::text(text(len)),
            };
            let mut whole = open(Role::Server, config().send_frame_size(frame_size));
            whole.send(message, SendOptions::default()).unwrap();
            let mut streamed = open(Role::Server, config().send_frame_size(frame_size));
            streamed
                .begin_message(kind, SendOptions::default())
                .unwrap();
            streamed.send_chunk(payload, true).unwrap();
            assert_eq!(drain(&mut whole), drain(&mut streamed), "{kind:?} of {len}");
            assert_eq!(whole.stats().messages_sent, 1);
        }
    }
}
