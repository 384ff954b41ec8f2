//! Sends that leave the payload with the caller, and messages moved out of the connection.

use alloc::string::{String, ToString};
use alloc::vec;
use alloc::vec::Vec;

use super::tests::{T0, client, close_payload, config, frames, masked, open, server, unmasked};
use super::*;
use crate::{FixedEntropy, ReceiveMode};

/// Without compression, whatever the features.
fn plain_config() -> Config {
    let config = config();
    #[cfg(feature = "deflate")]
    let config = config.deflate(None);
    config
}

/// Bytes that differ from their neighbours (and repeat only every 251), so a payload written
/// from a wrong offset does not compare equal.
fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 + i / 251) as u8).collect()
}

/// ASCII text of `len` bytes with the same property.
fn text(len: usize) -> String {
    (0..len)
        .map(|i| char::from(b'a' + ((i * 7 + i / 26) % 26) as u8))
        .collect()
}

/// The 10-byte header of an unmasked final frame with a 64-bit length.
fn header64(b0: u8, len: usize) -> Vec<u8> {
    let mut h = vec![b0, 127];
    h.extend_from_slice(&(len as u64).to_be_bytes());
    h
}

/// What one `poll_transmit` gave.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Kind {
    Data,
    Payload,
}

/// Writes everything out as a transport taking at most `steps[i % steps.len()]` bytes per
/// write would (a `Transmit::Payload` as one vectored write of head and payload), with
/// `payload` the bytes given to `send_message_vectored`. Checks at every step that
/// `buffered_output` counts what is still to be written (the payload included) and drops by
/// exactly what was written, and that `offset` moves on by the payload bytes written. Returns
/// the wire and the kind of every transmit.
fn write_out(conn: &mut Connection, payload: &[u8], steps: &[usize]) -> (Vec<u8>, Vec<Kind>) {
    let mut wire = Vec::new();
    let mut kinds = Vec::new();
    let mut payload_done: Option<usize> = None;
    for i in 0.. {
        let step = steps[i % steps.len()];
        let (n, available) = match conn.poll_transmit() {
            Transmit::Data(bytes) => {
                kinds.push(Kind::Data);
                let n = bytes.len().min(step);
                wire.extend_from_slice(&bytes[..n]);
                (n, bytes.len())
            }
            Transmit::Payload { head, offset } => {
                kinds.push(Kind::Payload);
                let done = *payload_done.get_or_insert(offset);
                assert_eq!(offset, done, "offset: the payload bytes written");
                assert!(
                    offset < payload.len(),
                    "a payload with nothing left to write"
                );
                let mut both = head.to_vec();
                both.extend_from_slice(&payload[offset..]);
                let n = both.len().min(step);
                wire.extend_from_slice(&both[..n]);
                payload_done = Some(done + n.saturating_sub(head.len()));
                (n, both.len())
            }
            Transmit::Idle | Transmit::Close => break,
        };
        assert!(n > 0);
        let before = conn.buffered_output();
        match kinds.last() {
            // All that is buffered is given at once.
            Some(Kind::Data) => assert_eq!(available, before, "Data is everything buffered"),
            // Frames queued after the payload wait for it.
            _ => assert!(available <= before, "{available} > {before}"),
        }
        conn.advance_transmit(n);
        assert_eq!(
            conn.buffered_output(),
            before - n,
            "buffered_output after writing {n} of {before}"
        );
    }
    assert_eq!(conn.buffered_output(), 0);
    (wire, kinds)
}

/// The steps of the partial-write tests: small odd sizes that cross the boundary between the
/// head and the payload at different places.
const STEP_SETS: [&[usize]; 6] = [
    &[1],
    &[7],
    &[4093],
    &[1, 7, 4093],
    &[3, 65_537],
    &[usize::MAX],
];

// ---- send_message_vectored: the payload stays with the caller ----

#[test]
fn vectored_send_of_large_binary_by_server_queues_only_the_header() {
    let mut s = server();
    let payload = pattern(100_000);
    assert_eq!(s.send_message_vectored(Message::Binary(&payload)), Ok(true));
    // The payload counts as buffered output until written, though it was not copied.
    assert_eq!(s.buffered_output(), 10 + 100_000);
    match s.poll_transmit() {
        Transmit::Payload { head, offset } => {
            assert_eq!(head, header64(0x82, 100_000));
            assert_eq!(head, [0x82, 127, 0, 0, 0, 0, 0, 1, 0x86, 0xa0]);
            assert_eq!(offset, 0);
        }
        other => panic!("expected the payload left with the caller, got {other:?}"),
    }
    // `take_transmit` only takes `Data`: the header alone must not go out as if it were all.
    assert!(s.take_transmit().is_empty());
    assert_eq!(s.buffered_output(), 100_010);
    s.advance_transmit(100_010);
    assert_eq!(s.poll_transmit(), Transmit::Idle);
    assert_eq!(s.buffered_output(), 0);
    assert_eq!(s.stats().messages_sent, 1);
    assert_eq!(s.stats().bytes_sent, 100_010);
}

#[test]
fn a_payload_left_with_the_caller_counts_against_the_high_water_mark() {
    let mut s = open(Role::Server, config().output_high_water(50_000));
    let payload = pattern(100_000);
    assert!(s.send_message_vectored(Message::Binary(&payload)).unwrap());
    assert!(!s.is_writable());
    s.advance_transmit(10 + 60_000);
    assert!(s.is_writable(), "40 000 left");
}

#[test]
fn vectored_send_wire_is_one_frame_with_header_and_payload() {
    let payload = pattern(100_000);
    let mut s = server();
    assert!(s.send_message_vectored(Message::Binary(&payload)).unwrap());
    let (wire, kinds) = write_out(&mut s, &payload, &[usize::MAX]);
    assert_eq!(kinds, [Kind::Payload]);
    assert_eq!(&wire[..10], header64(0x82, 100_000).as_slice());
    assert_eq!(&wire[10..], payload.as_slice());
    assert_eq!(frames(&wire), [(0x82, payload)]);
}

#[test]
fn vectored_send_of_text_uses_the_text_opcode() {
    let message = text(40_000);
    let mut s = server();
    assert!(s.send_message_vectored(Message::Text(&message)).unwrap());
    let (wire, kinds) = write_out(&mut s, message.as_bytes(), &[4093]);
    assert!(kinds.iter().all(|k| *k == Kind::Payload));
    // 40 000 bytes: the 16-bit length form.
    assert_eq!(&wire[..4], [0x81, 126, 0x9c, 0x40]);
    assert_eq!(frames(&wire), [(0x81, message.into_bytes())]);
}

#[test]
fn vectored_send_partial_writes_give_the_same_bytes() {
    let payload = pattern(100_000);
    let mut expected = header64(0x82, payload.len());
    expected.extend_from_slice(&payload);
    for steps in STEP_SETS {
        let mut s = server();
        assert!(s.send_message_vectored(Message::Binary(&payload)).unwrap());
        let (wire, kinds) = write_out(&mut s, &payload, steps);
        assert!(wire == expected, "steps {steps:?}: wire differs");
        // Only `Payload` until the payload is all written; nothing after it.
        assert!(kinds.iter().all(|k| *k == Kind::Payload), "steps {steps:?}");
        assert_eq!(s.stats().bytes_sent, expected.len() as u64);
    }
}

#[test]
fn vectored_send_at_exactly_vectored_min_and_send_frame_size_is_by_reference() {
    let mut s = server();
    let payload = pattern(VECTORED_MIN);
    assert_eq!(s.send_message_vectored(Message::Binary(&payload)), Ok(true));
    let (wire, _) = write_out(&mut s, &payload, &[1000]);
    assert_eq!(frames(&wire), [(0x82, payload)]);

    let mut s = open(Role::Server, config().send_frame_size(64 << 10));
    let payload = pattern(64 << 10);
    assert_eq!(s.send_message_vectored(Message::Binary(&payload)), Ok(true));
    let (wire, _) = write_out(&mut s, &payload, &[1000]);
    assert_eq!(frames(&wire), [(0x82, payload)]);
}

// ---- order: before, in the head; after, once the payload is written ----

#[test]
fn frames_queued_before_go_out_first_in_the_same_head() {
    let payload = pattern(100_000);
    let mut s = server();
    s.send_text("first").unwrap();
    s.send_ping(b"p1").unwrap();
    assert!(s.send_message_vectored(Message::Binary(&payload)).unwrap());
    match s.poll_transmit() {
        Transmit::Payload { head, offset: 0 } => {
            let mut expected = unmasked(0x81, b"first");
            expected.extend_from_slice(&unmasked(0x89, b"p1"));
            expected.extend_from_slice(&header64(0x82, payload.len()));
            assert_eq!(head, expected.as_slice());
        }
        other => panic!("expected Payload, got {other:?}"),
    }
    for steps in STEP_SETS {
        let mut s = server();
        s.send_text("first").unwrap();
        s.send_ping(b"p1").unwrap();
        assert!(s.send_message_vectored(Message::Binary(&payload)).unwrap());
        let (wire, kinds) = write_out(&mut s, &payload, steps);
        assert!(kinds.iter().all(|k| *k == Kind::Payload), "steps {steps:?}");
        assert_eq!(
            frames(&wire),
            [
                (0x81, b"first".to_vec()),
                (0x89, b"p1".to_vec()),
                (0x82, payload.clone())
            ],
            "steps {steps:?}"
        );
    }
}

#[test]
fn a_large_head_written_in_pieces_keeps_its_place_before_the_payload() {
    // More than 64 KiB of copied frames before the payload: the output buffer compacts while
    // the head is written, and the payload's place in it must move along.
    let small: Vec<Vec<u8>> = (0..3u8).map(|i| vec![i; 30_000]).collect();
    let payload = pattern(200_000);
    for steps in STEP_SETS {
        let mut s = server();
        for m in &small {
            // Below VECTORED_MIN: copied.
            assert_eq!(s.send_message_vectored(Message::Binary(m)), Ok(false));
        }
        assert!(s.send_message_vectored(Message::Binary(&payload)).unwrap());
        s.close(CloseCode::NORMAL, "bye", T0).unwrap();
        let (wire, _) = write_out(&mut s, &payload, steps);
        let got = frames(&wire);
        assert_eq!(got.len(), 5, "steps {steps:?}");
        for (i, m) in small.iter().enumerate() {
            assert_eq!(got[i], (0x82, m.clone()), "steps {steps:?}: message {i}");
        }
        assert!(got[3] == (0x82, payload.clone()), "steps {steps:?}");
        assert_eq!(
            got[4],
            (0x88, close_payload(1000, "bye")),
            "steps {steps:?}"
        );
    }
}

#[test]
fn close_and_ping_queued_while_the_payload_is_outstanding_go_out_after_it() {
    let payload = pattern(100_000);
    for steps in STEP_SETS {
        let mut s = server();
        assert!(s.send_message_vectored(Message::Binary(&payload)).unwrap());
        // Part of the head and of the payload are written, then more is queued.
        match s.poll_transmit() {
            Transmit::Payload { head, offset: 0 } => assert_eq!(head.len(), 10),
            other => panic!("expected Payload, got {other:?}"),
        }
        s.advance_transmit(10 + 5000);
        s.send_ping(b"p").unwrap();
        s.close(CloseCode::NORMAL, "done", T0).unwrap();
        assert_eq!(s.buffered_output(), 100_000 - 5000 + 3 + 8);
        // Still the payload first, from where it stopped, with no head left before it.
        match s.poll_transmit() {
            Transmit::Payload { head, offset } => {
                assert!(head.is_empty(), "head {head:?}");
                assert_eq!(offset, 5000);
            }
            other => panic!("expected Payload, got {other:?}"),
        }
        let (rest, kinds) = write_out(&mut s, &payload, steps);
        let mut wire = header64(0x82, payload.len());
        wire.extend_from_slice(&payload[..5000]);
        wire.extend_from_slice(&rest);
        assert_eq!(
            frames(&wire),
            [
                (0x82, payload.clone()),
                (0x89, b"p".to_vec()),
                (0x88, close_payload(1000, "done"))
            ],
            "steps {steps:?}"
        );
        // Payload until it is written, then plain data for the frames queued after it.
        let first_data = kinds.iter().position(|k| *k == Kind::Data).unwrap();
        assert!(kinds[..first_data].iter().all(|k| *k == Kind::Payload));
        assert!(kinds[first_data..].iter().all(|k| *k == Kind::Data));
        assert_eq!(s.state(), State::Closing);
    }
}

#[test]
fn automatic_pong_waits_for_an_outstanding_payload() {
    let payload = pattern(100_000);
    let mut s = server();
    assert!(s.send_message_vectored(Message::Binary(&payload)).unwrap());
    s.advance_transmit(10 + 1);
    s.handle_input(T0, &masked(0x89, b"are you there"));
    assert!(matches!(
        s.poll_event(),
        Some(Event::Ping(b"are you there"))
    ));
    assert!(s.poll_event().is_none());
    assert!(matches!(
        s.poll_transmit(),
        Transmit::Payload { offset: 1, .. }
    ));
    let (rest, _) = write_out(&mut s, &payload, &[4093]);
    let mut wire = header64(0x82, payload.len());
    wire.push(payload[0]);
    wire.extend_from_slice(&rest);
    assert_eq!(
        frames(&wire),
        [(0x82, payload), (0x8a, b"are you there".to_vec())]
    );
}

// ---- when it copies instead ----

/// Asserts that the message was copied: only `Data` comes out, and the wire is `expected`.
fn assert_copied(conn: &mut Connection, expected: &[(u8, Vec<u8>)]) {
    let mut wire = Vec::new();
    loop {
        match conn.poll_transmit() {
            Transmit::Data(bytes) => {
                // A transport taking an odd amount at a time.
                let n = bytes.len().min(4093);
                wire.extend_from_slice(&bytes[..n]);
                conn.advance_transmit(n);
            }
            Transmit::Payload { .. } => panic!("a copied message came out as Payload"),
            Transmit::Idle | Transmit::Close => break,
        }
    }
    assert!(frames(&wire) == expected, "wire differs");
}

#[test]
fn client_role_copies_and_masks() {
    let payload = pattern(100_000);
    let mut c = client();
    assert_eq!(
        c.send_message_vectored(Message::Binary(&payload)),
        Ok(false)
    );
    assert_eq!(c.buffered_output(), 14 + 100_000);
    match c.poll_transmit() {
        Transmit::Data(bytes) => {
            assert_eq!(bytes.len(), 14 + 100_000);
            assert_eq!(bytes[..2], [0x82, 0x80 | 127], "masked, 64-bit length");
            assert_ne!(&bytes[14..], payload.as_slice(), "the payload is masked");
        }
        other => panic!("expected Data, got {other:?}"),
    }
    assert_copied(&mut c, &[(0x82, payload)]);
}

#[test]
fn payload_below_vectored_min_is_copied() {
    let payload = pattern(VECTORED_MIN - 1);
    let mut s = server();
    assert_eq!(
        s.send_message_vectored(Message::Binary(&payload)),
        Ok(false)
    );
    assert_copied(&mut s, &[(0x82, payload)]);
    let small = text(100);
    assert_eq!(s.send_message_vectored(Message::Text(&small)), Ok(false));
    assert_copied(&mut s, &[(0x81, small.into_bytes())]);
}

#[test]
fn payload_above_send_frame_size_is_copied_in_several_frames() {
    let mut s = open(Role::Server, config().send_frame_size(64 << 10));
    let payload = pattern((64 << 10) + 1);
    assert_eq!(
        s.send_message_vectored(Message::Binary(&payload)),
        Ok(false)
    );
    assert_copied(
        &mut s,
        &[
            (0x02, payload[..64 << 10].to_vec()),
            (0x80, payload[64 << 10..].to_vec()),
        ],
    );
}

#[test]
fn default_send_frame_size_is_16_mib() {
    assert_eq!(Config::default().send_frame_size, 16 << 20);
    let payload = vec![0x5a; (16 << 20) + 1];
    let mut s = server();
    assert_eq!(
        s.send_message_vectored(Message::Binary(&payload)),
        Ok(false)
    );
    let wire = s.take_transmit();
    let got = frames(&wire);
    assert_eq!(got.len(), 2);
    assert_eq!((got[0].0, got[0].1.len()), (0x02, 16 << 20));
    assert_eq!((got[1].0, got[1].1.len()), (0x80, 1));
}

#[test]
fn a_second_payload_while_one_is_outstanding_is_copied_after_it() {
    let first = pattern(100_000);
    let second: Vec<u8> = pattern(50_000).iter().map(|b| !b).collect();
    let third: Vec<u8> = pattern(60_000).iter().map(|b| b ^ 0x55).collect();
    for steps in STEP_SETS {
        let mut s = server();
        assert_eq!(s.send_message_vectored(Message::Binary(&first)), Ok(true));
        s.advance_transmit(10 + 777);
        assert_eq!(s.send_message_vectored(Message::Binary(&second)), Ok(false));
        assert_eq!(s.buffered_output(), 100_000 - 777 + 4 + 50_000);
        // The first payload still comes first, from where it stopped.
        assert!(matches!(
            s.poll_transmit(),
            Transmit::Payload { offset: 777, .. }
        ));
        let (rest, kinds) = write_out(&mut s, &first, steps);
        assert_eq!(kinds[0], Kind::Payload);
        assert_eq!(
            *kinds.last().unwrap(),
            Kind::Data,
            "the copy goes out as data"
        );
        let mut wire = header64(0x82, first.len());
        wire.extend_from_slice(&first[..777]);
        wire.extend_from_slice(&rest);
        assert_eq!(
            frames(&wire),
            [(0x82, first.clone()), (0x82, second.clone())],
            "steps {steps:?}"
        );
        // Once it is written, the next large payload is left with the caller again.
        assert_eq!(s.send_message_vectored(Message::Binary(&third)), Ok(true));
        let (wire, _) = write_out(&mut s, &third, steps);
        assert_eq!(frames(&wire), [(0x82, third.clone())]);
    }
}

#[test]
fn a_copied_message_queued_behind_a_payload_then_a_new_payload_keeps_order() {
    // first (by reference), second (copied: one outstanding); first written; third by
    // reference with the copied second in its head.
    let first = pattern(40_000);
    let second = pattern(45_000);
    let third = pattern(50_000);
    let mut s = server();
    assert!(s.send_message_vectored(Message::Binary(&first)).unwrap());
    assert!(!s.send_message_vectored(Message::Binary(&second)).unwrap());
    // Write exactly the head and the first payload.
    s.advance_transmit(4 + 40_000);
    assert!(matches!(s.poll_transmit(), Transmit::Data(_)));
    assert!(s.send_message_vectored(Message::Binary(&third)).unwrap());
    match s.poll_transmit() {
        Transmit::Payload { head, offset: 0 } => assert_eq!(head.len(), 4 + 45_000 + 4),
        other => panic!("expected Payload, got {other:?}"),
    }
    let (wire, _) = write_out(&mut s, &third, &[4093]);
    assert_eq!(frames(&wire), [(0x82, second), (0x82, third)]);
}

#[cfg(feature = "deflate")]
#[test]
fn deflate_negotiated_copies_and_compresses() {
    use crate::deflate::DeflateConfig;

    let cfg = |d: Option<DeflateConfig>| config().deflate(d);
    let mut c = Connection::client(
        "ws://localhost/",
        &ClientOptions::default(),
        cfg(Some(DeflateConfig::default())),
        FixedEntropy::new(1),
        T0,
    )
    .unwrap();
    let mut s = Connection::server(
        cfg(Some(DeflateConfig::default())),
        FixedEntropy::new(2),
        T0,
    );
    s.handle_input(T0, &c.take_transmit());
    assert!(matches!(s.poll_event(), Some(Event::Request(_))));
    s.accept(Accept::default()).unwrap();
    assert!(matches!(s.poll_event(), Some(Event::Open)));
    c.handle_input(T0, &s.take_transmit());
    assert!(matches!(c.poll_event(), Some(Event::Open)));
    assert!(s.deflate().is_some());

    let message = text(100_000);
    assert_eq!(s.send_message_vectored(Message::Text(&message)), Ok(false));
    let mut wire = Vec::new();
    loop {
        match s.poll_transmit() {
            Transmit::Data(bytes) => {
                wire.extend_from_slice(bytes);
                let n = bytes.len();
                s.advance_transmit(n);
            }
            Transmit::Payload { .. } => panic!("a compressed message came out as Payload"),
            Transmit::Idle | Transmit::Close => break,
        }
    }
    assert_eq!(wire[0], 0xc1, "RSV1: compressed");
    assert!(wire.len() < message.len() / 2, "compressed: {}", wire.len());
    c.handle_input(T0, &wire);
    match c.poll_event() {
        Some(Event::Message(Message::Text(got))) => assert!(got == message),
        other => panic!("expected the text, got {other:?}"),
    }
}

// ---- fill_payload: the caller lets go ----

#[test]
fn fill_payload_after_a_partial_write_puts_the_rest_in_place() {
    let payload = pattern(100_000);
    let mut expected = header64(0x82, payload.len());
    expected.extend_from_slice(&payload);
    // Written before the caller lets go: nothing, part of the head, the head, part of the
    // payload, all but one byte.
    for written in [0, 3, 10, 10 + 1, 10 + 1234, 10 + 99_999] {
        let mut s = server();
        assert!(s.send_message_vectored(Message::Binary(&payload)).unwrap());
        let mut wire = Vec::new();
        if written > 0 {
            match s.poll_transmit() {
                Transmit::Payload { head, offset: 0 } => {
                    wire.extend_from_slice(head);
                    wire.extend_from_slice(&payload);
                    wire.truncate(written);
                }
                other => panic!("expected Payload, got {other:?}"),
            }
            s.advance_transmit(written);
        }
        let before = s.buffered_output();
        assert_eq!(before, expected.len() - written);
        s.fill_payload(&payload);
        assert_eq!(s.buffered_output(), before, "written {written}: same count");
        // From now on plain data: the caller's bytes are no longer needed.
        let (rest, kinds) = write_out(&mut s, &[], &[7, 4093]);
        assert!(kinds.iter().all(|k| *k == Kind::Data), "written {written}");
        assert_eq!(rest.len(), expected.len() - written);
        wire.extend_from_slice(&rest);
        assert!(wire == expected, "written {written}: wire differs");
    }
}

#[test]
fn fill_payload_keeps_frames_queued_before_and_after_in_order() {
    let payload = pattern(100_000);
    let mut s = server();
    s.send_text("before").unwrap();
    assert!(s.send_message_vectored(Message::Binary(&payload)).unwrap());
    // Write part of the head only, then queue more behind the payload.
    s.advance_transmit(5);
    s.send_ping(b"after").unwrap();
    s.close(CloseCode::GOING_AWAY, "", T0).unwrap();
    s.fill_payload(&payload);
    let mut wire = unmasked(0x81, b"before");
    wire.truncate(5);
    let (rest, kinds) = write_out(&mut s, &[], &[4093]);
    assert!(kinds.iter().all(|k| *k == Kind::Data));
    wire.extend_from_slice(&rest);
    assert_eq!(
        frames(&wire),
        [
            (0x81, b"before".to_vec()),
            (0x82, payload),
            (0x89, b"after".to_vec()),
            (0x88, close_payload(1001, ""))
        ]
    );
}

#[test]
fn fill_payload_with_nothing_outstanding_does_nothing() {
    // Nothing sent at all.
    let mut s = server();
    s.fill_payload(&pattern(100_000));
    assert_eq!(s.buffered_output(), 0);
    assert_eq!(s.poll_transmit(), Transmit::Idle);

    // Only copied output queued.
    s.send_text("hi").unwrap();
    s.fill_payload(&pattern(100_000));
    assert_eq!(s.take_transmit(), unmasked(0x81, b"hi"));

    // A payload that was written completely.
    let payload = pattern(100_000);
    assert!(s.send_message_vectored(Message::Binary(&payload)).unwrap());
    let (wire, _) = write_out(&mut s, &payload, &[usize::MAX]);
    assert_eq!(frames(&wire), [(0x82, payload.clone())]);
    s.fill_payload(&payload);
    assert_eq!(s.buffered_output(), 0);
    assert_eq!(s.poll_transmit(), Transmit::Idle);

    // A payload already filled: a second fill adds nothing.
    assert!(s.send_message_vectored(Message::Binary(&payload)).unwrap());
    s.fill_payload(&payload);
    s.fill_payload(&payload);
    assert_eq!(s.buffered_output(), 10 + 100_000);
    assert_eq!(frames(&s.take_transmit()), [(0x82, payload.clone())]);

    // On a client, which never leaves a payload with the caller.
    let mut c = client();
    c.send_binary(b"x").unwrap();
    let queued = c.buffered_output();
    c.fill_payload(&payload);
    assert_eq!(c.buffered_output(), queued);
}

#[test]
fn after_fill_payload_a_new_payload_can_be_left_with_the_caller() {
    let first = pattern(100_000);
    let second: Vec<u8> = pattern(70_000).iter().map(|b| b.wrapping_add(1)).collect();
    let mut s = server();
    assert!(s.send_message_vectored(Message::Binary(&first)).unwrap());
    s.advance_transmit(10 + 60_000);
    s.fill_payload(&first);
    assert_eq!(s.send_message_vectored(Message::Binary(&second)), Ok(true));
    match s.poll_transmit() {
        Transmit::Payload { head, offset: 0 } => {
            // The rest of the first payload (now copied), then the second's header.
            assert_eq!(head.len(), 40_000 + 10);
            assert_eq!(&head[..40_000], &first[60_000..]);
        }
        other => panic!("expected Payload, got {other:?}"),
    }
    let (rest, _) = write_out(&mut s, &second, &[1, 7, 4093]);
    let mut wire = header64(0x82, first.len());
    wire.extend_from_slice(&first[..60_000]);
    wire.extend_from_slice(&rest);
    assert_eq!(frames(&wire), [(0x82, first), (0x82, second)]);
}

// ---- errors ----

#[test]
fn send_message_vectored_fails_as_send_message_does() {
    let large = pattern(100_000);
    let small = pattern(10);
    // After close.
    let mut s = server();
    s.close(CloseCode::NORMAL, "", T0).unwrap();
    let queued = s.buffered_output();
    for payload in [&large, &small] {
        let by_ref = s.send_message_vectored(Message::Binary(payload));
        assert_eq!(by_ref, Err(SendError::Closed));
        assert_eq!(by_ref.map(|_| ()), s.send_message(Message::Binary(payload)));
    }
    assert_eq!(s.buffered_output(), queued, "nothing queued");
    assert!(matches!(s.poll_transmit(), Transmit::Data(_)));

    // After the connection failed.
    let mut s = server();
    s.handle_input(T0, &unmasked(0x82, b"unmasked from a client"));
    while s.poll_event().is_some() {}
    assert_eq!(s.state(), State::Closed);
    let queued = s.buffered_output();
    let by_ref = s.send_message_vectored(Message::Binary(&large));
    assert_eq!(by_ref, Err(SendError::Closed));
    assert_eq!(by_ref.map(|_| ()), s.send_message(Message::Binary(&large)));
    assert_eq!(s.buffered_output(), queued);

    // Before the handshake is done.
    let mut s = Connection::server(config(), FixedEntropy::new(2), T0);
    let by_ref = s.send_message_vectored(Message::Binary(&large));
    assert_eq!(by_ref, Err(SendError::NotOpen));
    assert_eq!(by_ref.map(|_| ()), s.send_message(Message::Binary(&large)));
    assert_eq!(s.buffered_output(), 0);

    // While a streamed message is being sent.
    let mut s = server();
    s.begin_message(MessageKind::Binary).unwrap();
    s.send_chunk(b"part", false).unwrap();
    let queued = s.buffered_output();
    let by_ref = s.send_message_vectored(Message::Binary(&large));
    assert_eq!(by_ref, Err(SendError::MessageInProgress));
    assert_eq!(by_ref.map(|_| ()), s.send_message(Message::Binary(&large)));
    assert_eq!(s.buffered_output(), queued);
    assert!(matches!(s.poll_transmit(), Transmit::Data(_)));
    s.send_chunk(b"!", true).unwrap();
    assert_eq!(
        frames(&s.take_transmit()),
        [(0x02, b"part".to_vec()), (0x80, b"!".to_vec())]
    );
}

// ---- a client decodes what the server wrote ----

#[test]
fn client_decodes_what_a_vectored_server_wrote() {
    // The real handshake, and the message sent before the 101 response is written: the
    // response goes first, in the head.
    let mut c = Connection::client(
        "ws://localhost/",
        &ClientOptions::default(),
        plain_config(),
        FixedEntropy::new(1),
        T0,
    )
    .unwrap();
    let mut s = Connection::server(plain_config(), FixedEntropy::new(2), T0);
    s.handle_input(T0, &c.take_transmit());
    assert!(matches!(s.poll_event(), Some(Event::Request(_))));
    s.accept(Accept::default()).unwrap();
    assert!(matches!(s.poll_event(), Some(Event::Open)));

    let binary = pattern(1 << 20);
    let message = text(40_000);
    let second_binary: Vec<u8> = pattern(100_000).iter().map(|b| b ^ 0xa5).collect();
    assert!(s.send_message_vectored(Message::Binary(&binary)).unwrap());
    let (mut wire, _) = write_out(&mut s, &binary, &[1, 7, 4093]);
    assert!(wire.starts_with(b"HTTP/1.1 101"));
    assert!(s.send_message_vectored(Message::Text(&message)).unwrap());
    wire.extend(write_out(&mut s, message.as_bytes(), &[65_537, 3]).0);
    assert!(
        s.send_message_vectored(Message::Binary(&second_binary))
            .unwrap()
    );
    wire.extend(write_out(&mut s, &second_binary, &[usize::MAX]).0);
    s.close(CloseCode::NORMAL, "end", T0).unwrap();
    wire.extend(s.take_transmit());

    // Fed to the client in uneven pieces.
    let mut got = Vec::new();
    for piece in wire.chunks(10_007) {
        c.handle_input(T0, piece);
        while let Some(event) = c.poll_event() {
            got.push(match event {
                Event::Open => "open".to_string(),
                Event::Message(Message::Binary(b)) if b == binary.as_slice() => "binary".into(),
                Event::Message(Message::Binary(b)) if b == second_binary.as_slice() => {
                    "second".into()
                }
                Event::Message(Message::Text(t)) if t == message => "text".into(),
                Event::Closed(Ok(frame)) => frame.reason.clone(),
                other => panic!("unexpected {other:?}"),
            });
        }
    }
    // The client answered the close.
    assert_eq!(got, ["open", "binary", "text", "second", "end"]);
    s.handle_input(T0, &c.take_transmit());
    assert!(matches!(s.poll_event(), Some(Event::Closed(Ok(_)))));
    assert_eq!(c.stats().messages_received, 3);
}

// ---- take_message ----

/// The kind of the next event if it is a whole message, else panics. The event's borrow ends
/// here, so `take_message` can follow.
fn next_message(conn: &mut Connection) -> MessageKind {
    match conn.poll_event() {
        Some(Event::Message(m)) => m.kind(),
        other => panic!("expected a message, got {other:?}"),
    }
}

#[test]
fn take_message_copies_a_message_that_arrived_whole() {
    let payload = pattern(1000);
    let mut c = client();
    c.handle_input(T0, &unmasked(0x82, &payload));
    assert_eq!(next_message(&mut c), MessageKind::Binary);
    // The caller's allocation is kept and its old contents replaced.
    let mut buf = Vec::with_capacity(4096);
    buf.extend_from_slice(b"old contents");
    let ptr = buf.as_ptr();
    assert!(c.take_message(&mut buf));
    assert_eq!(buf, payload);
    assert_eq!(buf.as_ptr(), ptr, "copied into the caller's allocation");

    // Text, several messages in one input: each can be taken in turn.
    let mut input = unmasked(0x81, b"one");
    input.extend_from_slice(&unmasked(0x82, b"two"));
    input.extend_from_slice(&unmasked(0x81, b""));
    c.handle_input(T0, &input);
    assert_eq!(next_message(&mut c), MessageKind::Text);
    assert!(c.take_message(&mut buf));
    assert_eq!(buf, b"one");
    assert_eq!(next_message(&mut c), MessageKind::Binary);
    assert!(c.take_message(&mut buf));
    assert_eq!(buf, b"two");
    assert_eq!(next_message(&mut c), MessageKind::Text);
    assert!(c.take_message(&mut buf));
    assert!(buf.is_empty(), "an empty message empties the buffer");

    // And on a server (masked input, unmasked in place).
    let mut s = server();
    s.handle_input(T0, &masked(0x82, &payload));
    assert_eq!(next_message(&mut s), MessageKind::Binary);
    assert!(s.take_message(&mut buf));
    assert_eq!(buf, payload);
}

#[test]
fn take_message_swaps_in_a_fragmented_message_and_reuses_the_old_buffer() {
    let first = pattern(100_000);
    let second: Vec<u8> = pattern(90_000).iter().map(|b| !b).collect();
    let mut c = client();
    let mut buf: Vec<u8> = Vec::with_capacity(200_000);
    buf.extend_from_slice(b"stale");
    let original = buf.as_ptr();

    let mut input = unmasked(0x02, &first[..30_000]);
    input.extend_from_slice(&unmasked(0x00, &first[30_000..60_000]));
    input.extend_from_slice(&unmasked(0x80, &first[60_000..]));
    c.handle_input(T0, &input);
    assert_eq!(next_message(&mut c), MessageKind::Binary);
    assert!(c.take_message(&mut buf));
    assert!(buf == first, "first message");
    let assembled = buf.as_ptr();
    assert_ne!(assembled, original, "swapped, not copied");

    // The caller's old allocation now assembles the next message (it has room for it), and
    // comes back to the caller with it.
    let mut input = unmasked(0x02, &second[..10]);
    input.extend_from_slice(&unmasked(0x80, &second[10..]));
    c.handle_input(T0, &input);
    assert_eq!(next_message(&mut c), MessageKind::Binary);
    assert!(c.take_message(&mut buf));
    assert!(buf == second, "second message");
    assert_eq!(buf.as_ptr(), original, "the caller's allocation was reused");

    // A third: assembled in the first one's buffer, which the caller gave back.
    c.handle_input(T0, &unmasked(0x02, &first[..50_000]));
    assert!(c.poll_event().is_none());
    c.handle_input(T0, &unmasked(0x80, &first[50_000..]));
    assert_eq!(next_message(&mut c), MessageKind::Binary);
    assert!(c.take_message(&mut buf));
    assert!(buf == first, "third message");
    assert_eq!(buf.as_ptr(), assembled);
}

#[test]
fn take_message_does_not_keep_a_callers_buffer_over_1_mib() {
    let message = pattern(1000);
    let mut c = client();
    let mut big: Vec<u8> = Vec::with_capacity(64 << 20);
    let big_ptr = big.as_ptr();
    let mut input = unmasked(0x02, &message[..10]);
    input.extend_from_slice(&unmasked(0x80, &message[10..]));
    c.handle_input(T0, &input);
    assert_eq!(next_message(&mut c), MessageKind::Binary);
    assert!(c.take_message(&mut big));
    assert!(big == message);
    // The 64 MiB allocation was dropped, not kept to assemble the next message.
    let mut other = Vec::new();
    c.handle_input(T0, &input);
    assert_eq!(next_message(&mut c), MessageKind::Binary);
    assert!(c.take_message(&mut other));
    assert!(other == message);
    assert_ne!(other.as_ptr(), big_ptr);
    assert!(other.capacity() < 1 << 20, "{}", other.capacity());
}

#[test]
fn take_message_swaps_in_one_frame_split_across_inputs() {
    let message = text(100_000);
    let wire = unmasked(0x81, message.as_bytes());
    let mut c = client();
    let mut buf = b"junk".to_vec();
    for _ in 0..2 {
        let (a, b) = wire.split_at(wire.len() / 2);
        c.handle_input(T0, a);
        assert!(c.poll_event().is_none());
        assert!(!c.take_message(&mut buf), "no message yet");
        c.handle_input(T0, b);
        assert_eq!(next_message(&mut c), MessageKind::Text);
        let before = buf.as_ptr();
        assert!(c.take_message(&mut buf));
        assert!(buf == message.as_bytes());
        assert_ne!(buf.as_ptr(), before, "swapped");
    }
    // The connection goes on normally afterwards.
    c.handle_input(T0, &unmasked(0x81, b"small"));
    match c.poll_event() {
        Some(Event::Message(Message::Text(t))) => assert_eq!(t, "small"),
        other => panic!("{other:?}"),
    }
    // Split across inputs on the server side too (masked), text of 2 frames.
    let mut s = server();
    let mut input = masked(0x01, &message.as_bytes()[..1]);
    input.extend_from_slice(&masked(0x80, &message.as_bytes()[1..]));
    let (a, b) = input.split_at(70_000);
    s.handle_input(T0, a);
    assert!(s.poll_event().is_none());
    s.handle_input(T0, b);
    assert_eq!(next_message(&mut s), MessageKind::Text);
    assert!(s.take_message(&mut buf));
    assert!(buf == message.as_bytes());
}

#[test]
fn take_message_after_assembly_leaves_the_next_message_intact() {
    // A whole message follows the assembled one in the same input: taking the first must not
    // disturb the second, in the input buffer.
    let first = pattern(50_000);
    let mut input = unmasked(0x02, &first[..20_000]);
    input.extend_from_slice(&unmasked(0x80, &first[20_000..]));
    input.extend_from_slice(&unmasked(0x82, b"next"));
    input.extend_from_slice(&unmasked(0x01, b"fr"));
    input.extend_from_slice(&unmasked(0x80, b"agmented"));
    let mut c = client();
    c.handle_input(T0, &input);
    let mut buf = Vec::new();
    assert_eq!(next_message(&mut c), MessageKind::Binary);
    assert!(c.take_message(&mut buf));
    assert!(buf == first);
    let mut other = Vec::new();
    assert_eq!(next_message(&mut c), MessageKind::Binary);
    assert!(c.take_message(&mut other));
    assert_eq!(other, b"next");
    assert_eq!(next_message(&mut c), MessageKind::Text);
    assert!(c.take_message(&mut buf));
    assert_eq!(buf, b"fragmented");
    assert!(c.poll_event().is_none());
}

#[test]
fn take_message_is_false_without_a_whole_message_just_handed_out() {
    let mut c = client();
    let mut buf = b"untouched".to_vec();

    // No event at all.
    assert!(!c.take_message(&mut buf));
    assert!(c.poll_event().is_none());
    assert!(!c.take_message(&mut buf));

    // After a ping or a pong.
    c.handle_input(T0, &unmasked(0x89, b"ping"));
    assert!(matches!(c.poll_event(), Some(Event::Ping(b"ping"))));
    assert!(!c.take_message(&mut buf));
    c.handle_input(T0, &unmasked(0x8a, b"pong"));
    assert!(matches!(c.poll_event(), Some(Event::Pong(b"pong"))));
    assert!(!c.take_message(&mut buf));
    assert_eq!(buf, b"untouched");

    // After a ping that followed a message: only the last event counts.
    let mut input = unmasked(0x82, b"message");
    input.extend_from_slice(&unmasked(0x89, b"p"));
    c.handle_input(T0, &input);
    assert_eq!(next_message(&mut c), MessageKind::Binary);
    assert!(matches!(c.poll_event(), Some(Event::Ping(_))));
    assert!(!c.take_message(&mut buf));

    // After the poll that followed the message returned None.
    c.handle_input(T0, &unmasked(0x82, b"message"));
    assert_eq!(next_message(&mut c), MessageKind::Binary);
    assert!(c.poll_event().is_none());
    assert!(!c.take_message(&mut buf));

    // After input that followed the message (the input buffer may have moved): whole and
    // assembled messages.
    c.handle_input(T0, &unmasked(0x82, b"message"));
    assert_eq!(next_message(&mut c), MessageKind::Binary);
    c.handle_input(T0, &unmasked(0x82, b"more"));
    assert!(!c.take_message(&mut buf));
    assert_eq!(next_message(&mut c), MessageKind::Binary);
    assert!(c.take_message(&mut buf), "the newer message can be taken");
    assert_eq!(buf, b"more");
    let mut input = unmasked(0x02, b"frag");
    input.extend_from_slice(&unmasked(0x80, b"mented"));
    c.handle_input(T0, &input);
    assert_eq!(next_message(&mut c), MessageKind::Binary);
    c.handle_input(T0, &unmasked(0x89, b""));
    assert!(!c.take_message(&mut buf));
    assert_eq!(buf, b"more");

    // The same with input read straight into the connection's buffer.
    while c.poll_event().is_some() {}
    c.handle_input(T0, &unmasked(0x82, b"direct"));
    assert_eq!(next_message(&mut c), MessageKind::Binary);
    let ping = unmasked(0x89, b"");
    let space = c.input_buffer();
    space[..ping.len()].copy_from_slice(&ping);
    c.commit_input(T0, ping.len());
    assert!(!c.take_message(&mut buf));
    assert_eq!(buf, b"more");

    // Called twice: the message was moved out the first time.
    while c.poll_event().is_some() {}
    let mut input = unmasked(0x02, b"frag");
    input.extend_from_slice(&unmasked(0x80, b"mented"));
    input.extend_from_slice(&unmasked(0x82, b"whole"));
    c.handle_input(T0, &input);
    assert_eq!(next_message(&mut c), MessageKind::Binary);
    assert!(c.take_message(&mut buf));
    let mut second = b"second".to_vec();
    assert!(!c.take_message(&mut second));
    assert_eq!(second, b"second");
    assert_eq!(buf, b"fragmented");
    assert_eq!(next_message(&mut c), MessageKind::Binary);
    assert!(c.take_message(&mut buf));
    assert!(!c.take_message(&mut second));
    assert_eq!(
        (buf.as_slice(), second.as_slice()),
        (&b"whole"[..], &b"second"[..])
    );

    // After a close.
    c.handle_input(T0, &unmasked(0x88, &close_payload(1000, "")));
    assert!(matches!(c.poll_event(), Some(Event::Closed(Ok(_)))));
    assert!(!c.take_message(&mut buf));
    assert_eq!(buf, b"whole");
}

#[test]
fn take_message_is_false_in_partial_mode() {
    let mut c = open(Role::Client, config().receive_mode(ReceiveMode::Partial));
    let mut buf = b"untouched".to_vec();
    c.handle_input(T0, &unmasked(0x82, b"whole frame"));
    assert!(matches!(
        c.poll_event(),
        Some(Event::Data { fin: true, .. })
    ));
    assert!(!c.take_message(&mut buf));
    c.handle_input(T0, &unmasked(0x02, b"piece"));
    assert!(matches!(
        c.poll_event(),
        Some(Event::Data { fin: false, .. })
    ));
    assert!(!c.take_message(&mut buf));
    assert_eq!(buf, b"untouched");
}

#[test]
fn take_message_is_false_after_invalid_utf8_closed_the_connection() {
    // A single-frame text message that is not UTF-8 fails the connection (1007): the event is
    // `Closed`, not a message, so there is nothing to take.
    let mut c = client();
    let mut buf = b"untouched".to_vec();
    c.handle_input(T0, &unmasked(0x81, &[b'o', b'k', 0xff]));
    assert!(matches!(c.poll_event(), Some(Event::Closed(Err(_)))));
    assert!(
        !c.take_message(&mut buf),
        "the invalid text was handed out by take_message"
    );
    assert_eq!(buf, b"untouched");
}
