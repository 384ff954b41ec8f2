//! The opening and closing handshakes end to end: a client and a server connection wired back to
//! back through the real handshake code (RFC 6455 §4, §7).

use std::time::Duration;

use tether_proto::connection::{State, Transmit};
use tether_proto::handshake::{Accept, ClientOptions, HandshakeError, Reject, Target};
use tether_proto::testkit::{Ev, Pair, drain, events};
use tether_proto::{
    CloseCode, Config, Connection, ConnectionError, FixedEntropy, Instant, Message, SendError,
    SendOptions,
};

const T0: Instant = Instant::ZERO;

fn config() -> Config {
    Config::default().ping_interval(None)
}

fn client(options: &ClientOptions) -> Connection {
    let target = Target::parse("ws://localhost:9001/chat?room=1").unwrap();
    Connection::client(T0, &target, options, config(), FixedEntropy::new(1)).unwrap()
}

fn server() -> Connection {
    Connection::server(T0, config(), FixedEntropy::new(2))
}

fn send(conn: &mut Connection, message: impl Into<Message>) {
    conn.send(message.into(), SendOptions::default()).unwrap();
}

fn is_shutdown(conn: &mut Connection) -> bool {
    matches!(conn.poll_transmit(), Transmit::Shutdown)
}

/// Runs the request to the server and returns the pair with the request pending.
fn requested(options: &ClientOptions) -> Pair {
    let mut pair = Pair::new(client(options), server());
    let (c, s) = pair.drive();
    assert_eq!(c, []);
    assert_eq!(s, [Ev::Request("/chat".into())]);
    pair
}

#[test]
fn rfc6455_4_opening_handshake_with_subprotocol_negotiation() {
    let mut pair = requested(&ClientOptions::default().protocols(["chat", "superchat"]));
    let req = pair.server.conn.request().unwrap();
    assert_eq!(req.query(), Some("room=1"));
    assert_eq!(req.protocols(), ["chat", "superchat"]);
    pair.server
        .conn
        .accept(Accept::default().protocol("superchat"))
        .unwrap();
    let (c, s) = pair.drive();
    assert_eq!((c, s), (vec![Ev::Open], vec![Ev::Open]));
    assert_eq!(
        pair.client.conn.negotiated().protocol.as_deref(),
        Some("superchat")
    );
    assert_eq!(
        pair.server.conn.negotiated().protocol.as_deref(),
        Some("superchat")
    );
    assert_eq!(pair.client.conn.response().unwrap().status(), 101);
}

#[test]
fn rfc6455_4_2_2_server_cannot_choose_an_unoffered_subprotocol() {
    let mut pair = requested(&ClientOptions::default().protocol("chat"));
    let err = pair
        .server
        .conn
        .accept(Accept::default().protocol("other"))
        .unwrap_err();
    assert_eq!(
        err,
        SendError::Handshake(HandshakeError::ProtocolNotOffered("other".into()))
    );
    assert_eq!(
        pair.server.conn.state(),
        State::Connecting,
        "a refused accept changes nothing"
    );
    pair.server
        .conn
        .accept(Accept::default().protocol("chat"))
        .unwrap();
}

#[test]
fn rfc6455_4_1_frames_in_the_same_read_as_the_101_are_not_lost() {
    let mut pair = requested(&ClientOptions::default());
    pair.server.conn.accept(Accept::default()).unwrap();
    send(&mut pair.server.conn, "first words");
    // The 101 response and the first frame reach the client in one read.
    let bytes = drain(&mut pair.server.conn);
    pair.client.conn.handle_input(T0, &bytes);
    assert_eq!(
        events(&mut pair.client.conn),
        [Ev::Open, Ev::Text("first words".into())]
    );
}

#[test]
fn rfc6455_4_2_frames_in_the_same_read_as_the_request_are_not_lost() {
    let mut c = client(&ClientOptions::default());
    let mut s = server();
    let mut bytes = drain(&mut c);
    // A client frame right behind the request head: masked "Hello" (§5.7).
    bytes.extend_from_slice(&[
        0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58,
    ]);
    s.handle_input(T0, &bytes);
    assert_eq!(events(&mut s), [Ev::Request("/chat".into())]);
    s.accept(Accept::default()).unwrap();
    assert_eq!(events(&mut s), [Ev::Open, Ev::Text("Hello".into())]);
}

#[test]
fn rfc6455_4_1_refused_upgrade_reports_status_headers_and_body() {
    for status in [401u16, 403, 404, 407] {
        let mut pair = requested(&ClientOptions::default());
        let reject = Reject::new(status)
            .header("WWW-Authenticate", "Basic realm=\"tether\"")
            .body("go away");
        pair.server.conn.reject(reject).unwrap();
        let (c, s) = pair.drive();
        assert_eq!(s, [Ev::Failed(ConnectionError::Refused { status })]);
        let [
            Ev::Failed(ConnectionError::Handshake(HandshakeError::Rejected {
                status: got,
                headers,
                body,
            })),
        ] = &c[..]
        else {
            panic!("client events: {c:?}");
        };
        assert_eq!(*got, status, "401, 403, 404 and 407 are told apart");
        assert_eq!(
            headers.get("www-authenticate"),
            Some("Basic realm=\"tether\"")
        );
        assert_eq!(body, b"go away");
        assert!(
            pair.server.shut_down,
            "the server closed the transport after refusing"
        );
    }
}

#[test]
fn rfc6455_4_2_2_wrong_version_gets_426_with_supported_version() {
    let mut s = server();
    let request = "GET / HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
                   Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 8\r\n\r\n";
    s.handle_input(T0, request.as_bytes());
    let evs = events(&mut s);
    assert!(
        matches!(
            &evs[..],
            [Ev::Failed(ConnectionError::Handshake(
                HandshakeError::UnsupportedVersion(_)
            ))]
        ),
        "{evs:?}"
    );
    let response = String::from_utf8(drain(&mut s)).unwrap();
    assert!(response.starts_with("HTTP/1.1 426 "), "{response}");
    assert!(
        response.contains("Sec-WebSocket-Version: 13\r\n"),
        "{response}"
    );
    assert!(is_shutdown(&mut s));
}

#[test]
fn oversized_request_head_gets_431_without_unbounded_buffering() {
    let mut s = server();
    let mut request = b"GET / HTTP/1.1\r\nHost: a\r\n".to_vec();
    request.extend(
        std::iter::repeat_n(b"X-Filler: aaaaaaaaaaaaaaaaaaaaaaaa\r\n".as_slice(), 1000).flatten(),
    );
    for piece in request.chunks(1000) {
        s.handle_input(T0, piece);
        if !events(&mut s).is_empty() {
            break;
        }
    }
    let response = String::from_utf8(drain(&mut s)).unwrap();
    assert!(response.starts_with("HTTP/1.1 431 "), "{response}");
    assert!(is_shutdown(&mut s));
}

#[test]
fn opening_handshake_times_out() {
    let mut s = server();
    assert_eq!(s.poll_timeout(), Some(T0 + Duration::from_secs(10)));
    s.handle_timeout(T0 + Duration::from_secs(10));
    assert_eq!(
        events(&mut s),
        [Ev::Failed(ConnectionError::HandshakeTimeout)]
    );
    assert!(is_shutdown(&mut s));
}

#[test]
fn a_client_that_leaves_mid_request_is_a_handshake_error_with_nothing_answered() {
    let mut s = server();
    s.handle_input(T0, b"GET /chat HTTP/1.1\r\nHost: localhost\r\n");
    assert_eq!(events(&mut s), []);
    s.handle_eof(T0);
    assert_eq!(
        events(&mut s),
        [Ev::Failed(ConnectionError::Handshake(
            HandshakeError::UnexpectedEof
        ))]
    );
    assert_eq!(drain(&mut s), b"", "no answer to a request that never came");
    assert!(is_shutdown(&mut s));
}

#[test]
fn client_gets_a_clear_error_when_the_server_is_not_websocket() {
    let mut c = client(&ClientOptions::default());
    let _ = drain(&mut c);
    c.handle_input(T0, b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello");
    let evs = events(&mut c);
    let [
        Ev::Failed(ConnectionError::Handshake(HandshakeError::Rejected {
            status: 200, body, ..
        })),
    ] = &evs[..]
    else {
        panic!("{evs:?}");
    };
    assert_eq!(body, b"hello");
}

#[test]
fn rfc6455_7_closing_handshake_end_to_end() {
    let mut pair = requested(&ClientOptions::default());
    pair.server.conn.accept(Accept::default()).unwrap();
    pair.drive();
    pair.client
        .conn
        .close(T0, CloseCode::GOING_AWAY, "navigating away")
        .unwrap();
    let (c, s) = pair.drive();
    assert_eq!(s, [Ev::Closed(1001, "navigating away".into())]);
    assert_eq!(
        c,
        [Ev::Closed(1001, "navigating away".into())],
        "the server echoed the code and the reason"
    );
    assert_eq!(
        (pair.client.shut_down, pair.server.shut_down),
        (true, true),
        "the server closed first, then the client"
    );
    assert_eq!(pair.client.conn.state(), State::Closed);
    let stats = pair.client.conn.stats();
    assert_eq!(stats.bytes_sent, pair.server.conn.stats().bytes_received);
}

#[test]
fn messages_flow_after_a_real_handshake() {
    let mut pair = requested(&ClientOptions::default());
    pair.server.conn.accept(Accept::default()).unwrap();
    pair.drive();
    send(&mut pair.client.conn, vec![7u8; 70_000]);
    send(&mut pair.server.conn, "κόσμε");
    let (c, s) = pair.drive();
    assert_eq!(c, [Ev::Text("κόσμε".into())]);
    assert_eq!(s, [Ev::Binary(vec![7; 70_000])]);
    assert!(pair.server.conn.poll_event().is_none());
}
