//! [`Connection::take_message`]: the message the last poll handed out, moved out as an owned
//! [`Message`] — without a copy when it was assembled, copied when it lay whole in the input
//! buffer; `None` when the last event was no whole message or new input came since.

use alloc::vec::Vec;

use super::*;

/// The next event, which must be a whole message: its kind and where its bytes are. The
/// event's borrow ends here, so `take_message` can follow.
fn next_message(conn: &mut Connection) -> (MessageKind, *const u8) {
    match conn.poll_event() {
        Some(Event::Message { kind, data }) => (kind, data.as_ptr()),
        other => panic!("expected a message, got {other:?}"),
    }
}

/// Whether `bytes` lie inside the connection's input buffer.
fn in_input_buffer(conn: &Connection, bytes: &[u8]) -> bool {
    let buf = conn.input.buf.as_ptr_range();
    buf.contains(&bytes.as_ptr())
}

#[test]
fn take_message_copies_a_message_that_arrived_whole() {
    let payload = pattern(1000);
    let mut c = client();
    c.handle_input(T0, &unmasked(0x82, &payload));
    let (kind, at) = next_message(&mut c);
    assert_eq!(kind, MessageKind::Binary);
    assert!(
        c.input.buf.as_ptr_range().contains(&at),
        "handed out from the input buffer"
    );
    let m = c.take_message().expect("the message");
    assert_eq!(
        (m.kind(), m.as_bytes()),
        (MessageKind::Binary, &payload[..])
    );
    assert!(
        !in_input_buffer(&c, m.as_bytes()),
        "copied out of the input buffer"
    );

    // Text, several messages in one input: each can be taken in turn.
    let mut input = unmasked(0x81, b"one");
    input.extend_from_slice(&unmasked(0x82, b"two"));
    input.extend_from_slice(&unmasked(0x81, b""));
    c.handle_input(T0, &input);
    let mut taken = Vec::new();
    for _ in 0..3 {
        let _ = next_message(&mut c);
        taken.push(c.take_message().expect("a message"));
    }
    assert_eq!(
        taken,
        [
            Message::text("one"),
            Message::binary(&b"two"[..]),
            Message::text("")
        ]
    );
    assert_eq!(taken[0].as_text(), Some("one"));

    // And on a server (masked input, unmasked in place).
    let mut s = server();
    s.handle_input(T0, &masked(0x82, &payload));
    let _ = next_message(&mut s);
    assert_eq!(s.take_message().unwrap().as_bytes(), payload);
}

#[test]
fn take_message_moves_an_assembled_message_without_a_copy() {
    let first = pattern(100_000);
    let second: Vec<u8> = pattern(90_000).iter().map(|b| !b).collect();
    let mut c = client();
    let mut input = unmasked(0x02, &first[..30_000]);
    input.extend_from_slice(&unmasked(0x00, &first[30_000..60_000]));
    input.extend_from_slice(&unmasked(0x80, &first[60_000..]));
    c.handle_input(T0, &input);
    let (_, at) = next_message(&mut c);
    assert!(
        !c.input.buf.as_ptr_range().contains(&at),
        "in the assembly buffer"
    );
    let taken = c.take_message().expect("the message");
    assert!(taken.as_bytes() == first);
    assert_eq!(taken.as_bytes().as_ptr(), at, "moved, not copied");

    // The next message is assembled elsewhere: the taken one stays as it was.
    let mut input = unmasked(0x02, &second[..10]);
    input.extend_from_slice(&unmasked(0x80, &second[10..]));
    c.handle_input(T0, &input);
    let (_, at2) = next_message(&mut c);
    assert_ne!(at2, at);
    let taken2 = c.take_message().expect("the second message");
    assert!(taken2.as_bytes() == second);
    assert!(taken.as_bytes() == first, "the first message is untouched");
}

#[test]
fn an_assembled_message_not_taken_gives_back_a_buffer_over_1_mib() {
    let big = pattern(2 << 20);
    let mut c = client();
    c.handle_input(
        T0,
        &[
            unmasked(0x02, &big[..1 << 20]),
            unmasked(0x80, &big[1 << 20..]),
        ]
        .concat(),
    );
    let _ = next_message(&mut c);
    assert!(c.input.assembly.capacity() >= 2 << 20);
    // Not taken: the next poll forgets it, and the large buffer goes.
    assert!(c.poll_event().is_none());
    assert_eq!(c.input.assembly.capacity(), 0);
    assert!(c.take_message().is_none());
}

#[test]
fn take_message_moves_one_frame_split_across_inputs() {
    let message = text(100_000);
    let wire = unmasked(0x81, message.as_bytes());
    let mut c = client();
    for _ in 0..2 {
        let (a, b) = wire.split_at(wire.len() / 2);
        c.handle_input(T0, a);
        assert!(c.poll_event().is_none());
        assert!(c.take_message().is_none(), "no message yet");
        c.handle_input(T0, b);
        let (kind, at) = next_message(&mut c);
        assert_eq!(kind, MessageKind::Text);
        let m = c.take_message().expect("the message");
        assert_eq!(m.as_text(), Some(message.as_str()));
        assert_eq!(m.as_bytes().as_ptr(), at, "moved");
    }
    // The connection goes on normally afterwards.
    c.handle_input(T0, &unmasked(0x81, b"small"));
    assert_eq!(events(&mut c), [Ev::Text("small".into())]);
    // Split across inputs on the server side too (masked), text of 2 frames.
    let mut s = server();
    let mut input = masked(0x01, &message.as_bytes()[..1]);
    input.extend_from_slice(&masked(0x80, &message.as_bytes()[1..]));
    let (a, b) = input.split_at(70_000);
    s.handle_input(T0, a);
    assert!(s.poll_event().is_none());
    s.handle_input(T0, b);
    let _ = next_message(&mut s);
    assert_eq!(s.take_message().unwrap().as_bytes(), message.as_bytes());
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
    let _ = next_message(&mut c);
    assert!(c.take_message().unwrap().as_bytes() == first);
    let _ = next_message(&mut c);
    assert_eq!(c.take_message().unwrap().as_bytes(), b"next");
    let _ = next_message(&mut c);
    assert_eq!(c.take_message(), Some(Message::text("fragmented")));
    assert!(c.poll_event().is_none());
}

#[test]
fn take_message_is_none_without_a_whole_message_just_handed_out() {
    let mut c = client();

    // No event at all.
    assert!(c.take_message().is_none());
    assert!(c.poll_event().is_none());
    assert!(c.take_message().is_none());

    // After a ping or a pong.
    c.handle_input(T0, &unmasked(0x89, b"ping"));
    assert!(matches!(c.poll_event(), Some(Event::Ping(b"ping"))));
    assert!(c.take_message().is_none());
    c.handle_input(T0, &unmasked(0x8a, b"pong"));
    assert!(matches!(c.poll_event(), Some(Event::Pong(b"pong"))));
    assert!(c.take_message().is_none());

    // After a ping that followed a message: only the last event counts.
    let mut input = unmasked(0x82, b"message");
    input.extend_from_slice(&unmasked(0x89, b"p"));
    c.handle_input(T0, &input);
    let _ = next_message(&mut c);
    assert!(matches!(c.poll_event(), Some(Event::Ping(_))));
    assert!(c.take_message().is_none());

    // After the poll that followed the message returned None.
    c.handle_input(T0, &unmasked(0x82, b"message"));
    let _ = next_message(&mut c);
    assert!(c.poll_event().is_none());
    assert!(c.take_message().is_none());

    // After input that followed the message (the input buffer may have moved): whole and
    // assembled messages.
    c.handle_input(T0, &unmasked(0x82, b"message"));
    let _ = next_message(&mut c);
    c.handle_input(T0, &unmasked(0x82, b"more"));
    assert!(c.take_message().is_none());
    let _ = next_message(&mut c);
    assert_eq!(
        c.take_message().map(Message::into_bytes).as_deref(),
        Some(&b"more"[..]),
        "the newer message can be taken"
    );
    let mut input = unmasked(0x02, b"frag");
    input.extend_from_slice(&unmasked(0x80, b"mented"));
    c.handle_input(T0, &input);
    let _ = next_message(&mut c);
    c.handle_input(T0, &unmasked(0x89, b""));
    assert!(c.take_message().is_none());

    // The same with input read straight into the connection's buffer.
    while c.poll_event().is_some() {}
    c.handle_input(T0, &unmasked(0x82, b"direct"));
    let _ = next_message(&mut c);
    let ping = unmasked(0x89, b"");
    let space = c.input_buffer();
    space[..ping.len()].copy_from_slice(&ping);
    c.commit_input(T0, ping.len());
    assert!(c.take_message().is_none());

    // Called twice: the message was moved out the first time.
    while c.poll_event().is_some() {}
    let mut input = unmasked(0x02, b"frag");
    input.extend_from_slice(&unmasked(0x80, b"mented"));
    input.extend_from_slice(&unmasked(0x82, b"whole"));
    c.handle_input(T0, &input);
    let _ = next_message(&mut c);
    assert_eq!(c.take_message().unwrap().as_bytes(), b"fragmented");
    assert!(c.take_message().is_none());
    let _ = next_message(&mut c);
    assert_eq!(c.take_message().unwrap().as_bytes(), b"whole");
    assert!(c.take_message().is_none());

    // After a close.
    c.handle_input(T0, &unmasked(0x88, &close_payload(1000, "")));
    assert!(matches!(c.poll_event(), Some(Event::Closed(Ok(_)))));
    assert!(c.take_message().is_none());
}

#[test]
fn take_message_is_none_in_chunks_mode() {
    let mut c = open(Role::Client, config().receive_mode(ReceiveMode::Chunks));
    c.handle_input(T0, &unmasked(0x82, b"whole frame"));
    assert!(matches!(
        c.poll_event(),
        Some(Event::Chunk { fin: true, .. })
    ));
    assert!(c.take_message().is_none());
    c.handle_input(T0, &unmasked(0x02, b"piece"));
    assert!(matches!(
        c.poll_event(),
        Some(Event::Chunk { fin: false, .. })
    ));
    assert!(c.take_message().is_none());
}

#[test]
fn take_message_is_none_after_invalid_utf8_closed_the_connection() {
    // A single-frame text message that is not UTF-8 fails the connection (1007): the event is
    // `Closed`, not a message, so there is nothing to take.
    let mut c = client();
    c.handle_input(T0, &unmasked(0x81, &[b'o', b'k', 0xff]));
    assert!(matches!(c.poll_event(), Some(Event::Closed(Err(_)))));
    assert!(
        c.take_message().is_none(),
        "the invalid text was handed out by take_message"
    );
}
