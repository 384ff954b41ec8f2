//! Owned payloads on the way out: a large [`Bytes`] is queued as it is and written from where
//! it is, as one more slice of [`Transmit::Write`]; partial writes cross the slice boundaries;
//! order with small frames and pongs; masking in the client role (a unique payload in place,
//! a shared one on a copy); `send_frame_size` splitting; the recycling of a written buffer.

use alloc::string::ToString;
use alloc::vec;
use alloc::vec::Vec;
use core::ops::Range;

use bytes::Bytes;

use super::*;
use crate::connection::output::SHARE_MIN;
use crate::handshake::{Accept, ClientOptions, Target};

/// The 10-byte header of an unmasked final frame with a 64-bit length.
fn header64(b0: u8, len: usize) -> Vec<u8> {
    let mut h = vec![b0, 127];
    h.extend_from_slice(&(len as u64).to_be_bytes());
    h
}

/// Where a slice is in memory.
fn span(bytes: &[u8]) -> Range<usize> {
    let start = bytes.as_ptr() as usize;
    start..start + bytes.len()
}

/// Everything written, and the memory each written piece was taken from.
#[derive(Debug, Default)]
struct Written {
    wire: Vec<u8>,
    from: Vec<Range<usize>>,
}

impl Written {
    /// How many of the written bytes were taken from `payload`'s own memory.
    fn taken_from(&self, payload: &[u8]) -> usize {
        let p = span(payload);
        self.from
            .iter()
            .map(|r| r.end.min(p.end).saturating_sub(r.start.max(p.start)))
            .sum()
    }
}

/// Writes everything out as a transport taking at most `steps[i % steps.len()]` bytes per
/// (vectored) write would. Checks at every step that `buffered_output` counts what is still to
/// be written and drops by exactly what was written.
fn write_out(conn: &mut Connection, steps: &[usize]) -> Written {
    let mut out = Written::default();
    for i in 0.. {
        let step = steps[i % steps.len()];
        let before = conn.buffered_output();
        let n = match conn.poll_transmit() {
            Transmit::Write(bufs) => {
                assert_eq!(bufs.len(), before, "Write gives everything buffered");
                let mut n = 0;
                for buf in bufs {
                    assert!(!buf.is_empty(), "no empty slice");
                    let take = buf.len().min(step - n);
                    out.wire.extend_from_slice(&buf[..take]);
                    out.from.push(span(&buf[..take]));
                    n += take;
                    if n == step {
                        break;
                    }
                }
                n
            }
            Transmit::Idle | Transmit::Shutdown => break,
        };
        assert!(n > 0);
        conn.advance_transmit(n);
        assert_eq!(
            conn.buffered_output(),
            before - n,
            "after writing {n} of {before}"
        );
    }
    assert_eq!(conn.buffered_output(), 0);
    out
}

/// The slices `poll_transmit` gives now, as (address range, length).
fn slices(conn: &mut Connection) -> Vec<Range<usize>> {
    match conn.poll_transmit() {
        Transmit::Write(bufs) => bufs.map(span).collect(),
        other => panic!("expected Write, got {other:?}"),
    }
}

/// The steps of the partial-write tests: sizes that cross the boundaries between the
/// connection's buffer and the payload at different places.
const STEP_SETS: [&[usize]; 6] = [
    &[1],
    &[7],
    &[4093],
    &[1, 7, 4093],
    &[3, 65_537],
    &[usize::MAX],
];

// ---- a large payload is queued as it is ----

#[test]
fn large_bytes_payload_is_written_from_where_it_is() {
    let mut s = server();
    let payload = Bytes::from(pattern(100_000));
    send(&mut s, payload.clone());
    // The payload counts as buffered output until written, though it was not copied.
    assert_eq!(s.buffered_output(), 10 + 100_000);
    match s.poll_transmit() {
        Transmit::Write(bufs) => {
            let all: Vec<&[u8]> = bufs.collect();
            assert_eq!(all.len(), 2, "the header, then the payload");
            assert_eq!(all[0], header64(0x82, 100_000));
            assert_eq!(all[0], [0x82, 127, 0, 0, 0, 0, 0, 1, 0x86, 0xa0]);
            assert_eq!(
                span(all[1]),
                span(&payload),
                "the caller's bytes, not a copy"
            );
        }
        other => panic!("expected Write, got {other:?}"),
    }
    s.advance_transmit(100_010);
    assert!(is_idle(&mut s));
    assert_eq!(s.buffered_output(), 0);
    assert_eq!(s.stats().messages_sent, 1);
    assert_eq!(s.stats().bytes_sent, 100_010);
}

#[test]
fn a_queued_payload_counts_against_the_high_water_mark() {
    let mut s = open(Role::Server, config().outbound_high_water(50_000));
    send(&mut s, pattern(100_000));
    assert!(!s.is_writable());
    s.advance_transmit(10 + 60_000);
    assert!(s.is_writable(), "40 000 left");
}

#[test]
fn the_wire_is_one_frame_with_header_and_payload() {
    let payload = Bytes::from(pattern(100_000));
    let mut s = server();
    send(&mut s, payload.clone());
    let w = write_out(&mut s, &[usize::MAX]);
    assert_eq!(&w.wire[..10], header64(0x82, 100_000).as_slice());
    assert_eq!(&w.wire[10..], &payload[..]);
    assert_eq!(w.taken_from(&payload), payload.len());
}

#[test]
fn a_large_text_message_uses_the_text_opcode_and_is_not_copied() {
    let message = Message::text(text(40_000));
    let mut s = server();
    send(&mut s, message.clone());
    let w = write_out(&mut s, &[4093]);
    // 40 000 bytes: the 16-bit length form.
    assert_eq!(&w.wire[..4], [0x81, 126, 0x9c, 0x40]);
    assert_eq!(w.taken_from(message.as_bytes()), 40_000);
    assert_eq!(frames(&w.wire), [(0x81, message.as_bytes().to_vec())]);
}

#[test]
fn partial_writes_across_slice_boundaries_give_the_same_bytes() {
    let payload = Bytes::from(pattern(100_000));
    let mut expected = header64(0x82, payload.len());
    expected.extend_from_slice(&payload);
    for steps in STEP_SETS {
        let mut s = server();
        send(&mut s, payload.clone());
        let w = write_out(&mut s, steps);
        assert!(w.wire == expected, "steps {steps:?}: wire differs");
        assert_eq!(w.taken_from(&payload), payload.len(), "steps {steps:?}");
        assert_eq!(s.stats().bytes_sent, expected.len() as u64);
    }
}

#[test]
fn payload_of_share_min_is_kept_and_one_byte_less_is_copied() {
    let at = Bytes::from(pattern(SHARE_MIN));
    let mut s = server();
    send(&mut s, at.clone());
    let w = write_out(&mut s, &[1000]);
    assert_eq!(w.taken_from(&at), SHARE_MIN);
    assert_eq!(frames(&w.wire), [(0x82, at.to_vec())]);

    let below = Bytes::from(pattern(SHARE_MIN - 1));
    send(&mut s, below.clone());
    assert_eq!(slices(&mut s).len(), 1, "one stretch of the buffer");
    let w = write_out(&mut s, &[1000]);
    assert_eq!(w.taken_from(&below), 0, "copied");
    assert_eq!(frames(&w.wire), [(0x82, below.to_vec())]);
}

// ---- order ----

#[test]
fn frames_queued_before_a_payload_go_out_first() {
    let payload = Bytes::from(pattern(100_000));
    let mut s = server();
    send(&mut s, "first");
    s.ping(b"p1").unwrap();
    send(&mut s, payload.clone());
    let all = slices(&mut s);
    assert_eq!(all.len(), 2);
    assert_eq!(all[1], span(&payload));
    for steps in STEP_SETS {
        let mut s = server();
        send(&mut s, "first");
        s.ping(b"p1").unwrap();
        send(&mut s, payload.clone());
        let w = write_out(&mut s, steps);
        let mut head = unmasked(0x81, b"first");
        head.extend_from_slice(&unmasked(0x89, b"p1"));
        head.extend_from_slice(&header64(0x82, payload.len()));
        assert_eq!(&w.wire[..head.len()], head.as_slice(), "steps {steps:?}");
        assert_eq!(
            frames(&w.wire),
            [
                (0x81, b"first".to_vec()),
                (0x89, b"p1".to_vec()),
                (0x82, payload.to_vec())
            ],
            "steps {steps:?}"
        );
    }
}

#[test]
fn a_large_buffer_written_in_pieces_keeps_the_payloads_place() {
    // More than 64 KiB of copied frames before the payload: the output buffer compacts while
    // they are written, and the payload's place in it must move along.
    let small: Vec<Vec<u8>> = (0..5u8).map(|i| vec![i; 15_000]).collect();
    let payload = Bytes::from(pattern(200_000));
    for steps in STEP_SETS {
        let mut s = server();
        for m in &small {
            send(&mut s, m.clone()); // below SHARE_MIN: copied
        }
        send(&mut s, payload.clone());
        s.close(T0, CloseCode::NORMAL, "bye").unwrap();
        let w = write_out(&mut s, steps);
        let got = frames(&w.wire);
        assert_eq!(got.len(), 7, "steps {steps:?}");
        for (i, m) in small.iter().enumerate() {
            assert_eq!(got[i], (0x82, m.clone()), "steps {steps:?}: message {i}");
        }
        assert!(got[5] == (0x82, payload.to_vec()), "steps {steps:?}");
        assert_eq!(
            got[6],
            (0x88, close_payload(1000, "bye")),
            "steps {steps:?}"
        );
        assert_eq!(w.taken_from(&payload), payload.len());
    }
}

#[test]
fn frames_queued_while_a_payload_is_half_written_go_out_after_it() {
    let payload = Bytes::from(pattern(100_000));
    for steps in STEP_SETS {
        let mut s = server();
        send(&mut s, payload.clone());
        // The header and part of the payload are written, then more is queued.
        s.advance_transmit(10 + 5000);
        s.ping(b"p").unwrap();
        s.close(T0, CloseCode::NORMAL, "done").unwrap();
        assert_eq!(s.buffered_output(), 100_000 - 5000 + 3 + 8);
        // The payload first, from where it stopped.
        let first = slices(&mut s)[0].clone();
        assert_eq!(first, span(&payload[5000..]));
        let w = write_out(&mut s, steps);
        let mut wire = header64(0x82, payload.len());
        wire.extend_from_slice(&payload[..5000]);
        wire.extend_from_slice(&w.wire);
        assert_eq!(
            frames(&wire),
            [
                (0x82, payload.to_vec()),
                (0x89, b"p".to_vec()),
                (0x88, close_payload(1000, "done"))
            ],
            "steps {steps:?}"
        );
        assert_eq!(s.state(), State::Closing);
    }
}

#[test]
fn automatic_pong_waits_for_an_outstanding_payload() {
    let payload = Bytes::from(pattern(100_000));
    let mut s = server();
    send(&mut s, payload.clone());
    s.advance_transmit(10 + 1);
    s.handle_input(T0, &masked(0x89, b"are you there"));
    assert!(matches!(
        s.poll_event(),
        Some(Event::Ping(b"are you there"))
    ));
    assert!(s.poll_event().is_none());
    assert_eq!(slices(&mut s)[0], span(&payload[1..]));
    let w = write_out(&mut s, &[4093]);
    let mut wire = header64(0x82, payload.len());
    wire.push(payload[0]);
    wire.extend_from_slice(&w.wire);
    assert_eq!(
        frames(&wire),
        [(0x82, payload.to_vec()), (0x8a, b"are you there".to_vec())]
    );
}

#[test]
fn payloads_queued_one_after_another_keep_their_order_and_are_not_copied() {
    let first = Bytes::from(pattern(100_000));
    let second = Bytes::from(pattern(50_000).iter().map(|b| !b).collect::<Vec<_>>());
    let third = Bytes::from(pattern(60_000).iter().map(|b| b ^ 0x55).collect::<Vec<_>>());
    for steps in STEP_SETS {
        let mut s = server();
        send(&mut s, first.clone());
        s.advance_transmit(10 + 777);
        send(&mut s, second.clone());
        assert_eq!(s.buffered_output(), 100_000 - 777 + 4 + 50_000);
        // The first payload still comes first, from where it stopped.
        assert_eq!(slices(&mut s)[0], span(&first[777..]));
        let w = write_out(&mut s, steps);
        let mut wire = header64(0x82, first.len());
        wire.extend_from_slice(&first[..777]);
        wire.extend_from_slice(&w.wire);
        assert_eq!(
            frames(&wire),
            [(0x82, first.to_vec()), (0x82, second.to_vec())],
            "steps {steps:?}"
        );
        assert_eq!(w.taken_from(&second), second.len());
        send(&mut s, third.clone());
        let w = write_out(&mut s, steps);
        assert_eq!(frames(&w.wire), [(0x82, third.to_vec())]);
        assert_eq!(w.taken_from(&third), third.len());
    }
}

#[test]
fn a_partly_written_frame_resumes_from_where_it_stopped() {
    let payload = Bytes::from(pattern(100_000));
    let mut expected = header64(0x82, payload.len());
    expected.extend_from_slice(&payload);
    // Written before: nothing, part of the header, the header, part of the payload, all but
    // one byte.
    for written in [0, 3, 10, 10 + 1, 10 + 1234, 10 + 99_999] {
        let mut s = server();
        send(&mut s, payload.clone());
        s.advance_transmit(written);
        assert_eq!(s.buffered_output(), expected.len() - written);
        let all = slices(&mut s);
        let from_payload = written.saturating_sub(10);
        assert_eq!(
            *all.last().unwrap(),
            span(&payload[from_payload..]),
            "written {written}: the payload from where it stopped"
        );
        let w = write_out(&mut s, &[7, 4093]);
        assert!(
            w.wire == expected[written..],
            "written {written}: wire differs"
        );
        assert_eq!(w.taken_from(&payload), payload.len() - from_payload);
    }
}

#[test]
fn frames_before_and_after_a_partly_written_header_keep_their_order() {
    let payload = Bytes::from(pattern(100_000));
    let mut s = server();
    send(&mut s, "before");
    send(&mut s, payload.clone());
    // Part of the first frame only, then more is queued behind the payload.
    s.advance_transmit(5);
    s.ping(b"after").unwrap();
    s.close(T0, CloseCode::GOING_AWAY, "").unwrap();
    let mut wire = unmasked(0x81, b"before");
    wire.truncate(5);
    wire.extend(write_out(&mut s, &[4093]).wire);
    assert_eq!(
        frames(&wire),
        [
            (0x81, b"before".to_vec()),
            (0x82, payload.to_vec()),
            (0x89, b"after".to_vec()),
            (0x88, close_payload(1001, ""))
        ]
    );
}

#[test]
fn a_written_payload_leaves_nothing_behind() {
    let mut s = server();
    assert!(is_idle(&mut s), "nothing queued");
    let payload = Bytes::from(pattern(100_000));
    send(&mut s, payload.clone());
    let w = write_out(&mut s, &[usize::MAX]);
    assert_eq!(frames(&w.wire), [(0x82, payload.to_vec())]);
    assert!(is_idle(&mut s));
    assert_eq!(s.buffered_output(), 0);
    assert!(payload.is_unique(), "the connection let the payload go");
}

#[test]
fn a_small_frame_behind_a_written_payload_then_a_new_payload_keep_their_order() {
    // first (kept), second (copied behind it); exactly the first frame is written; third
    // (kept) is queued behind the copied second.
    let first = Bytes::from(pattern(40_000));
    let second = pattern(5_000);
    let third = Bytes::from(pattern(50_000));
    let mut s = server();
    send(&mut s, first);
    send(&mut s, second.clone());
    s.advance_transmit(4 + 40_000);
    assert_eq!(s.buffered_output(), 4 + 5_000);
    send(&mut s, third.clone());
    let all = slices(&mut s);
    assert_eq!(all.len(), 2, "{all:?}");
    assert_eq!(
        all[0].len(),
        4 + 5_000 + 4,
        "second's frame, then third's header"
    );
    assert_eq!(all[1], span(&third));
    let w = write_out(&mut s, &[4093]);
    assert_eq!(frames(&w.wire), [(0x82, second), (0x82, third.to_vec())]);
}

// ---- the client role masks ----

#[test]
fn rfc6455_5_3_client_masks_a_unique_payload_in_place() {
    let original = pattern(100_000);
    let payload = Bytes::from(original.clone());
    let at = span(&payload);
    let mut c = client();
    send(&mut c, payload); // the connection holds the only reference
    assert_eq!(c.buffered_output(), 14 + 100_000);
    let all = slices(&mut c);
    assert_eq!(all.len(), 2, "header, then the payload where it was");
    assert_eq!(all[1], at);
    let w = write_out(&mut c, &[4093]);
    assert_eq!(w.wire[..2], [0x82, 0x80 | 127], "masked, 64-bit length");
    assert_ne!(&w.wire[14..], original.as_slice(), "the payload is masked");
    assert_eq!(frames(&w.wire), [(0x82, original)]);
}

#[test]
fn rfc6455_5_3_client_masks_a_copy_of_a_shared_payload_and_leaves_it_alone() {
    let payload = Bytes::from(pattern(100_000));
    let mut c = client();
    send(&mut c, payload.clone()); // the caller keeps a reference
    assert_eq!(slices(&mut c).len(), 1, "one stretch of the buffer: a copy");
    let w = write_out(&mut c, &[4093]);
    assert_eq!(w.taken_from(&payload), 0);
    assert!(
        payload[..] == pattern(100_000)[..],
        "the shared bytes are untouched"
    );
    assert_eq!(frames(&w.wire), [(0x82, payload.to_vec())]);
}

// ---- send_frame_size splits a payload into slices of it ----

#[test]
fn send_frame_size_splits_a_payload_into_slices_of_it() {
    let mut s = open(Role::Server, config().send_frame_size(64 << 10));
    let payload = Bytes::from(pattern((3 << 16) + 1));
    send(&mut s, payload.clone());
    let all = slices(&mut s);
    let p = span(&payload).start;
    // Header, 64 KiB of the payload, header, ... and the last byte copied after its header.
    assert_eq!(all.len(), 7, "{all:?}");
    assert_eq!(all[1], p..p + (1 << 16));
    assert_eq!(all[3], p + (1 << 16)..p + (2 << 16));
    assert_eq!(all[5], p + (2 << 16)..p + (3 << 16));
    assert_eq!(all[6].len(), 2 + 1);
    let w = write_out(&mut s, &[7, 65_537]);
    assert_eq!(w.taken_from(&payload), 3 << 16);
    assert_eq!(
        frames(&w.wire),
        [
            (0x02, payload[..1 << 16].to_vec()),
            (0x00, payload[1 << 16..2 << 16].to_vec()),
            (0x00, payload[2 << 16..3 << 16].to_vec()),
            (0x80, payload[3 << 16..].to_vec()),
        ]
    );
}

#[test]
fn default_send_frame_size_is_16_mib() {
    assert_eq!(Config::default().send_frame_size, 16 << 20);
    let payload = vec![0x5a; (16 << 20) + 1];
    let mut s = server();
    send(&mut s, payload);
    let got = frames(&drain(&mut s));
    assert_eq!(got.len(), 2);
    assert_eq!((got[0].0, got[0].1.len()), (0x02, 16 << 20));
    assert_eq!((got[1].0, got[1].1.len()), (0x80, 1));
}

// ---- recycling ----

#[test]
fn a_written_unique_payload_buffer_assembles_the_next_large_message() {
    let mut s = server();
    let payload = Bytes::from(pattern(100_000));
    let at = span(&payload).start;
    send(&mut s, payload);
    let _ = drain(&mut s);
    // A message that arrives in two frames is assembled in that buffer: no allocation.
    let incoming = pattern(90_000);
    s.handle_input(
        T0,
        &[
            masked(0x02, &incoming[..40_000]),
            masked(0x80, &incoming[40_000..]),
        ]
        .concat(),
    );
    match s.poll_event() {
        Some(Event::Message { data, .. }) => {
            assert!(data == incoming);
            assert_eq!(
                data.as_ptr() as usize,
                at,
                "assembled in the recycled buffer"
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        s.take_message().map(|m| m.as_bytes().as_ptr() as usize),
        Some(at)
    );
}

#[test]
fn a_payload_the_caller_still_holds_is_not_recycled() {
    let mut s = server();
    let payload = Bytes::from(pattern(100_000));
    send(&mut s, payload.clone());
    let _ = drain(&mut s);
    let incoming = pattern(90_000);
    s.handle_input(
        T0,
        &[
            masked(0x02, &incoming[..40_000]),
            masked(0x80, &incoming[40_000..]),
        ]
        .concat(),
    );
    assert_eq!(events(&mut s), [Ev::Binary(incoming)]);
    assert!(
        payload[..] == pattern(100_000)[..],
        "the caller's bytes are untouched"
    );
}

// ---- compression copies ----

#[cfg(feature = "deflate")]
#[test]
fn deflate_negotiated_compresses_into_the_buffer() {
    use crate::deflate::DeflateConfig;
    use crate::testkit::Pair;

    let cfg = config().deflate(Some(DeflateConfig::default()));
    let mut pair = Pair::connect(
        "ws://localhost/",
        &ClientOptions::default(),
        cfg.clone(),
        cfg,
        Accept::default(),
    );
    assert!(pair.server.conn.negotiated().deflate().is_some());
    let message = Message::text(text(100_000));
    send(&mut pair.server.conn, message.clone());
    let w = write_out(&mut pair.server.conn, &[usize::MAX]);
    assert_eq!(
        w.taken_from(message.as_bytes()),
        0,
        "compressed, so not the caller's bytes"
    );
    assert_eq!(w.wire[0], 0xc1, "RSV1: compressed");
    assert!(
        w.wire.len() < message.len() / 2,
        "compressed: {}",
        w.wire.len()
    );
    pair.client.conn.handle_input(T0, &w.wire);
    assert_eq!(
        events(&mut pair.client.conn),
        [Ev::Text(message.as_text().unwrap().to_string())]
    );
}

// ---- errors ----

#[test]
fn a_refused_send_queues_nothing_and_keeps_no_reference() {
    let large = Bytes::from(pattern(100_000));
    let check = |s: &mut Connection, error: SendError| {
        let queued = s.buffered_output();
        for payload in [large.clone(), Bytes::from_static(b"small")] {
            assert_eq!(
                s.send(Message::binary(payload), SendOptions::default()),
                Err(error.clone())
            );
        }
        assert_eq!(s.buffered_output(), queued, "nothing queued");
        assert!(large.is_unique(), "the payload was let go");
    };
    // After close.
    let mut s = server();
    s.close(T0, CloseCode::NORMAL, "").unwrap();
    check(&mut s, SendError::Closed);
    // After the connection failed.
    let mut s = server();
    s.handle_input(T0, &unmasked(0x82, b"unmasked from a client"));
    while s.poll_event().is_some() {}
    assert_eq!(s.state(), State::Closed);
    check(&mut s, SendError::Closed);
    // Before the handshake is done.
    let mut s = Connection::server(T0, config(), FixedEntropy::new(2));
    check(&mut s, SendError::NotOpen);
    // While a streamed message is being sent.
    let mut s = server();
    s.begin_message(MessageKind::Binary, SendOptions::default())
        .unwrap();
    s.send_chunk(&b"part"[..], false).unwrap();
    check(&mut s, SendError::MessageInProgress);
    s.send_chunk(&b"!"[..], true).unwrap();
    assert_eq!(
        frames(&drain(&mut s)),
        [(0x02, b"part".to_vec()), (0x80, b"!".to_vec())]
    );
}

// ---- a client decodes what the server wrote ----

#[test]
fn client_decodes_what_a_server_wrote_from_owned_payloads() {
    // The real handshake, and the first message sent before the 101 response is written: the
    // response goes first.
    let plain = {
        let config = config();
        #[cfg(feature = "deflate")]
        let config = config.deflate(None);
        config
    };
    let target = Target::parse("ws://localhost/").unwrap();
    let mut c = Connection::client(
        T0,
        &target,
        &ClientOptions::default(),
        plain.clone(),
        FixedEntropy::new(1),
    )
    .unwrap();
    let mut s = Connection::server(T0, plain, FixedEntropy::new(2));
    s.handle_input(T0, &drain(&mut c));
    assert!(matches!(s.poll_event(), Some(Event::Request(_))));
    s.accept(Accept::default()).unwrap();
    assert!(matches!(s.poll_event(), Some(Event::Open)));

    let binary = Bytes::from(pattern(1 << 20));
    let message = text(40_000);
    let second = Bytes::from(
        pattern(100_000)
            .iter()
            .map(|b| b ^ 0xa5)
            .collect::<Vec<_>>(),
    );
    send(&mut s, binary.clone());
    let mut wire = write_out(&mut s, &[1, 7, 4093]).wire;
    assert!(wire.starts_with(b"HTTP/1.1 101"));
    send(&mut s, message.clone());
    wire.extend(write_out(&mut s, &[65_537, 3]).wire);
    send(&mut s, second.clone());
    wire.extend(write_out(&mut s, &[usize::MAX]).wire);
    s.close(T0, CloseCode::NORMAL, "end").unwrap();
    wire.extend(drain(&mut s));

    // Fed to the client in uneven pieces.
    let mut got = Vec::new();
    for piece in wire.chunks(10_007) {
        c.handle_input(T0, piece);
        for ev in events(&mut c) {
            got.push(match ev {
                Ev::Open => "open".to_string(),
                Ev::Binary(b) if b == binary => "binary".into(),
                Ev::Binary(b) if b == second => "second".into(),
                Ev::Text(t) if t == message => "text".into(),
                Ev::Closed(1000, reason) => reason,
                other => panic!("unexpected {other:?}"),
            });
        }
    }
    assert_eq!(got, ["open", "binary", "text", "second", "end"]);
    // The client answered the close.
    s.handle_input(T0, &drain(&mut c));
    assert!(matches!(s.poll_event(), Some(Event::Closed(Ok(_)))));
    assert_eq!(c.stats().messages_received, 3);
}
