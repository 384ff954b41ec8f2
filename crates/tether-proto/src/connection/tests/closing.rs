//! RFC 6455 §5.5.1 and §7: the close handshake, close codes, and the end of the transport.

use alloc::string::String;
use alloc::vec::Vec;
use core::time::Duration;

use super::*;

#[test]
fn rfc6455_5_5_1_peer_close_is_echoed_and_server_closes_transport_first() {
    let mut s = server();
    s.handle_input(T0, &masked(0x88, &close_payload(1001, "bye")));
    assert_eq!(events(&mut s), [Ev::Closed(1001, "bye".into())]);
    // The code and the reason go back (as Node `ws`, Python `websockets` and tungstenite do).
    assert_eq!(frames(&drain(&mut s)), [(0x88, close_payload(1001, "bye"))]);
    assert!(is_shutdown(&mut s));
    assert_eq!(
        s.send(Message::text("late"), SendOptions::default()),
        Err(SendError::Closed)
    );
    assert_eq!(
        s.close_result(),
        Some(Ok(&CloseFrame::new(CloseCode::GOING_AWAY, "bye")))
    );
}

#[test]
fn rfc6455_7_1_1_client_waits_for_server_to_close_transport() {
    let mut c = client();
    c.close(T0, CloseCode::NORMAL, "done").unwrap();
    assert_eq!(
        frames(&drain(&mut c)),
        [(0x88, close_payload(1000, "done"))]
    );
    assert_eq!(c.state(), State::Closing);
    c.handle_input(T0, &unmasked(0x88, &close_payload(1000, "")));
    assert_eq!(events(&mut c), [Ev::Closed(1000, String::new())]);
    assert!(
        is_idle(&mut c),
        "the client waits for the server's TCP close"
    );
    c.handle_eof(T0);
    assert!(is_shutdown(&mut c));
}

#[test]
fn rfc6455_7_1_1_client_closes_transport_itself_after_close_timeout() {
    let mut c = client();
    c.handle_input(T0, &unmasked(0x88, &close_payload(1000, "")));
    assert_eq!(events(&mut c), [Ev::Closed(1000, String::new())]);
    let _ = drain(&mut c);
    assert!(is_idle(&mut c));
    let deadline = c.poll_timeout().unwrap();
    assert_eq!(deadline, T0 + Duration::from_secs(10));
    c.handle_timeout(deadline);
    assert!(is_shutdown(&mut c));
}

#[test]
fn rfc6455_7_1_2_unanswered_close_fails_after_close_timeout() {
    let mut s = server();
    s.close(T0, CloseCode::NORMAL, "").unwrap();
    let _ = drain(&mut s);
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
    assert_eq!(frames(&drain(&mut s)), [(0x88, Vec::new())]);
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
        assert_eq!(frames(&drain(&mut s)), [(0x88, close_payload(code, ""))]);
    }
}

#[test]
fn rfc6455_5_5_1_peer_close_code_and_reason_are_echoed() {
    // Issue #11: the answer carries the peer's reason too (it used to go back empty).
    for role in [Role::Server, Role::Client] {
        let mut conn = open(role, config());
        let payload = close_payload(4321, "node says bye");
        let wire = match role {
            Role::Server => masked(0x88, &payload),
            Role::Client => unmasked(0x88, &payload),
        };
        conn.handle_input(T0, &wire);
        assert_eq!(
            events(&mut conn),
            [Ev::Closed(4321, "node says bye".into())]
        );
        assert_eq!(frames(&drain(&mut conn)), [(0x88, payload)], "{role:?}");
    }
    // The longest reason (123 bytes, multi-byte characters) goes back whole.
    let reason = "é".repeat(61) + "x";
    assert_eq!(reason.len(), 123);
    let mut s = server();
    s.handle_input(T0, &masked(0x88, &close_payload(1000, &reason)));
    assert_eq!(events(&mut s), [Ev::Closed(1000, reason.clone())]);
    assert_eq!(
        frames(&drain(&mut s)),
        [(0x88, close_payload(1000, &reason))]
    );
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
    s.close(T0, CloseCode::NORMAL, "").unwrap();
    assert_eq!(
        s.send(Message::text("x"), SendOptions::default()),
        Err(SendError::Closed)
    );
    assert_eq!(s.ping(b""), Err(SendError::Closed));
    assert_eq!(s.close(T0, CloseCode::NORMAL, ""), Err(SendError::Closed));
    // A ping arriving while closing is reported but not answered.
    s.handle_input(T0, &masked(0x89, b"late"));
    assert_eq!(events(&mut s), [Ev::Ping(b"late".to_vec())]);
    assert_eq!(frames(&drain(&mut s)), [(0x88, close_payload(1000, ""))]);
}

#[test]
fn rfc6455_7_1_4_data_received_while_closing_is_still_delivered() {
    let mut s = server();
    s.close(T0, CloseCode::NORMAL, "").unwrap();
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
    let _ = drain(&mut s);
    assert!(is_shutdown(&mut s));
}

#[test]
fn close_rejects_codes_and_reasons_that_may_not_be_sent() {
    let mut s = server();
    assert_eq!(
        s.close(T0, CloseCode::ABNORMAL, ""),
        Err(SendError::InvalidCloseCode(1006))
    );
    assert_eq!(
        s.close(T0, CloseCode::from(999), ""),
        Err(SendError::InvalidCloseCode(999))
    );
    let long = "x".repeat(124);
    assert_eq!(
        s.close(T0, CloseCode::NORMAL, &long),
        Err(SendError::ReasonTooLong(124))
    );
    assert_eq!(
        s.close(T0, CloseCode::NO_STATUS, "why"),
        Err(SendError::InvalidCloseCode(1005)),
        "no code, no reason"
    );
    assert_eq!(s.state(), State::Open);
    assert_eq!(s.buffered_output(), 0, "nothing queued");
    s.close(T0, CloseCode::from(4000), &"y".repeat(123))
        .unwrap();
    assert_eq!(
        frames(&drain(&mut s)),
        [(0x88, close_payload(4000, &"y".repeat(123)))]
    );
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
