//! Receiving: §8.1 UTF-8, the limits, the receive modes, and reads into the input buffer or
//! straight into the assembly buffer.

use alloc::string::ToString;
use alloc::vec;
use alloc::vec::Vec;

use super::*;

// ---- §8.1 UTF-8 ----

#[test]
fn rfc6455_8_1_invalid_utf8_fails_fast_with_1007_mid_fragment() {
    let mut s = server();
    // The message is not finished (FIN clear), yet the bad byte fails the connection at once.
    s.handle_input(T0, &masked(0x01, &[b'o', b'k', 0xff, b'x']));
    assert_failed(&mut s, ConnectionError::InvalidUtf8, Some(1007));
}

/// A whole text message in one buffered frame (the decoder's shortest path) is checked like
/// any other: a bad byte, or a character cut short by the end of the message, is 1007.
#[test]
fn rfc6455_8_1_invalid_utf8_in_a_whole_buffered_frame_fails_with_1007() {
    for text in [
        &[b'o', b'k', 0xff][..],
        &[b'a', 0xe2, 0x82][..],
        &[0xed, 0xa0, 0x80][..],
    ] {
        let mut s = server();
        s.handle_input(T0, &masked(0x81, text));
        assert_failed(&mut s, ConnectionError::InvalidUtf8, Some(1007));
    }
}

/// The limits hold for a whole message in one buffered frame: exactly at `max_frame_size`
/// and `max_message_size` is a message, one byte over either is 1009.
#[test]
fn a_whole_buffered_frame_meets_the_frame_and_message_limits() {
    let limits = |frame, message| config().max_frame_size(frame).max_message_size(message);
    let mut ok = open(Role::Server, limits(100, 100));
    ok.handle_input(T0, &masked(0x82, &[7; 100]));
    assert_eq!(events(&mut ok), [Ev::Binary(vec![7; 100])]);
    let mut over_frame = open(Role::Server, limits(100, 1000));
    over_frame.handle_input(T0, &masked(0x82, &[7; 101]));
    assert_failed(
        &mut over_frame,
        ConnectionError::FrameTooBig {
            len: 101,
            limit: 100,
        },
        Some(1009),
    );
    let mut over_message = open(Role::Server, limits(1000, 100));
    over_message.handle_input(T0, &masked(0x82, &[7; 101]));
    assert_failed(
        &mut over_message,
        ConnectionError::MessageTooBig { limit: 100 },
        Some(1009),
    );
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
fn rfc6455_8_1_single_frame_text_truncated_at_its_end_fails_with_1007_in_chunks_mode() {
    // One frame, so the whole message is one piece: the end of the message is checked too.
    let mut s = open(Role::Server, config().receive_mode(ReceiveMode::Chunks));
    s.handle_input(T0, &masked(0x81, &[b'a', 0xe2, 0x82]));
    assert_failed(&mut s, ConnectionError::InvalidUtf8, Some(1007));
}

#[test]
fn sending_invalid_utf8_text_is_refused() {
    let mut s = server();
    s.begin_message(MessageKind::Text, SendOptions::default())
        .unwrap();
    s.send_chunk(vec![0xe2, 0x82], false).unwrap();
    assert_eq!(s.send_chunk(vec![0x41], true), Err(SendError::InvalidUtf8));
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

// ---- receive modes ----

#[test]
fn chunks_mode_hands_out_a_large_frame_as_it_arrives() {
    let mut s = open(Role::Server, config().receive_mode(ReceiveMode::Chunks));
    let payload: Vec<u8> = (0..100_000u32).map(|i| i as u8).collect();
    let f = masked(0x82, &payload);
    let mut got = Vec::new();
    let mut fin_seen = false;
    for piece in f.chunks(4096) {
        s.handle_input(T0, piece);
        for ev in events(&mut s) {
            let Ev::Chunk(MessageKind::Binary, bytes, fin) = ev else {
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
fn events_borrow_without_copying_small_messages() {
    let mut s = server();
    let input: Vec<u8> = (0..100).flat_map(|i: u8| masked(0x82, &[i; 16])).collect();
    s.handle_input(T0, &input);
    let mut n = 0;
    while let Some(Event::Message {
        kind: MessageKind::Binary,
        data,
    }) = s.poll_event()
    {
        assert_eq!(data, [n; 16]);
        n += 1;
    }
    assert_eq!(n, 100);
    assert_eq!(s.input.assembly.capacity(), 0, "no message was copied");
}

#[test]
fn config_changes_apply_from_the_next_message() {
    let mut s = open(Role::Server, config().max_message_size(4));
    s.handle_input(T0, &masked(0x82, b"1234"));
    assert_eq!(events(&mut s), [Ev::Binary(b"1234".to_vec())]);
    s.config_mut().max_message_size = 8;
    s.config_mut().receive_mode = ReceiveMode::Chunks;
    s.handle_input(T0, &masked(0x82, b"12345678"));
    assert_eq!(
        events(&mut s),
        [Ev::Chunk(MessageKind::Binary, b"12345678".to_vec(), true)]
    );
    s.handle_input(T0, &masked(0x82, b"123456789"));
    assert_failed(
        &mut s,
        ConnectionError::MessageTooBig { limit: 8 },
        Some(1009),
    );
}

/// A stream reader taking over while a message is being gathered (`into_stream` after the
/// peer started sending): what was gathered comes out as the first chunk and the rest as it
/// arrives — the message is never gathered whole past the limit the switch lifted.
#[test]
fn switching_to_chunks_mid_message_hands_out_what_was_gathered_then_the_rest() {
    let mut s = server();
    let first = vec![1u8; 100_000];
    s.handle_input(T0, &masked(0x02, &first));
    assert_eq!(events(&mut s), []);
    s.config_mut().receive_mode = ReceiveMode::Chunks;
    s.config_mut().max_message_size = u64::MAX;
    // Through the direct-read path too: the next frame is large.
    let second = vec![2u8; 100_000];
    let wire = masked(0x80, &second);
    let mut fed = 0;
    let mut got = Vec::new();
    while fed < wire.len() {
        let space = s.input_buffer();
        let n = space.len().min(wire.len() - fed);
        space[..n].copy_from_slice(&wire[fed..fed + n]);
        s.commit_input(T0, n);
        fed += n;
        got.extend(events(&mut s));
    }
    let Some(Ev::Chunk(MessageKind::Binary, head, false)) = got.first() else {
        panic!("{:?}", &got[..got.len().min(2)]);
    };
    assert_eq!(head, &first);
    let mut rest = Vec::new();
    for (i, ev) in got[1..].iter().enumerate() {
        let Ev::Chunk(MessageKind::Binary, data, fin) = ev else {
            panic!("{ev:?}");
        };
        assert_eq!(*fin, i + 2 == got.len());
        rest.extend_from_slice(data);
    }
    assert_eq!(rest, second);
}

/// The same switch while a read into the assembly buffer was offered but not yet made: that
/// read goes to the input buffer, and nothing is lost or reordered.
#[test]
fn switching_to_chunks_with_a_direct_read_offered_loses_nothing() {
    let mut s = server();
    let payload: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    let wire = masked(0x82, &payload);
    let head = 50_000;
    s.handle_input(T0, &wire[..head]);
    assert_eq!(events(&mut s), []);
    // Offered (into the assembly buffer, as the frame is large), then not used.
    assert!(!s.input_buffer().is_empty());
    s.config_mut().receive_mode = ReceiveMode::Chunks;
    let mut got = events(&mut s);
    let mut fed = head;
    while fed < wire.len() {
        let space = s.input_buffer();
        let n = space.len().min(wire.len() - fed);
        space[..n].copy_from_slice(&wire[fed..fed + n]);
        s.commit_input(T0, n);
        fed += n;
        got.extend(events(&mut s));
    }
    let mut all = Vec::new();
    for (i, ev) in got.iter().enumerate() {
        let Ev::Chunk(MessageKind::Binary, data, fin) = ev else {
            panic!("{ev:?}");
        };
        assert_eq!(*fin, i + 1 == got.len());
        all.extend_from_slice(data);
    }
    assert_eq!(all, payload);
}

// ---- reads into the input buffer ----

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

/// Reads `bytes` in one read, without polling.
fn read_in_quietly(conn: &mut Connection, bytes: &[u8]) {
    let space = conn.input_buffer();
    space[..bytes.len()].copy_from_slice(bytes);
    conn.commit_input(T0, bytes.len());
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
    let at = match s.poll_event() {
        Some(Event::Message {
            kind: MessageKind::Binary,
            data,
        }) => {
            assert!(data == payload);
            data.as_ptr()
        }
        other => panic!("{other:?}"),
    };
    let taken = s.take_message().expect("the message");
    assert!(taken.as_bytes() == payload);
    assert_eq!(taken.as_bytes().as_ptr(), at, "moved out, not copied");
}

/// Reads `wire` as an adapter does, each read filling what it is offered; returns the offers.
fn offers_reading(conn: &mut Connection, wire: &[u8]) -> Vec<usize> {
    let mut offers = Vec::new();
    let mut fed = 0;
    while fed < wire.len() {
        let space = conn.input_buffer();
        let n = space.len().min(wire.len() - fed);
        space[..n].copy_from_slice(&wire[fed..fed + n]);
        offers.push(space.len());
        conn.commit_input(T0, n);
        fed += n;
        while conn.poll_event().is_some() {}
    }
    offers
}

#[test]
fn large_frames_are_read_whole_from_the_second_on() {
    let mut s = server();
    let read_size = s.config().read_size;
    let frame = masked(0x82, &pattern(1 << 20));
    // The first: the header and a little payload, then reads that at most double what
    // arrived (from 64 KiB), never past the frame's end.
    let first = offers_reading(&mut s, &frame);
    assert_eq!(first[0], read_size);
    let mut arrived = (read_size - 14) as u64;
    for &offer in &first[1..] {
        assert!(offer as u64 <= arrived.max(64 << 10), "{first:?}");
        arrived += offer as u64;
    }
    assert_eq!(arrived, 1 << 20, "{first:?}");
    // Once the connection has received a message that large: the header with a little
    // payload, then all the rest in one read.
    for _ in 0..3 {
        let offers = offers_reading(&mut s, &frame);
        assert_eq!(offers, [read_size, (1 << 20) + 14 - read_size]);
    }
}

#[test]
fn a_declared_length_is_not_reserved_before_its_bytes_arrive() {
    let mut s = open(Role::Server, config().max_frame_size(64 << 20));
    // 16 MiB declared, 10 bytes sent.
    let head = [0x82, 0xff, 0, 0, 0, 0, 1, 0, 0, 0, 1, 2, 3, 4];
    read_in(&mut s, &[&head[..], &[0; 10]].concat(), usize::MAX);
    let offer = s.input_buffer().len();
    assert!(offer <= 64 << 10, "offered {offer}");
    assert!(
        s.input.assembly.capacity() <= (64 << 10) + 10,
        "reserved {}",
        s.input.assembly.capacity()
    );
}

#[test]
fn rfc6455_8_1_invalid_utf8_in_a_direct_read_fails_with_1007() {
    let mut s = server();
    let mut text = vec![b'a'; 100_000];
    text[80_000] = 0xff;
    let evs = read_in(&mut s, &masked(0x81, &text), 40_000);
    assert_eq!(evs.last(), Some(&Ev::Failed(ConnectionError::InvalidUtf8)));
    let sent = frames(&drain(&mut s));
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].0, 0x88);
    assert_eq!(code_of(&sent[0].1), 1007);
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
