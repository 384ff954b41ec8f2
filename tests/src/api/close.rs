//! The closing handshake (RFC 6455 §5.5.1, §7): codes and reasons both ways and on the wire,
//! how a receive reports the end, refused closes, and a dropped socket.

use std::sync::mpsc;

use tether_proto::SendError;
use tether_std::{ClientConfig, CloseCode, CloseFrame, Error, Message, ServerConfig};

use crate::adapter::{Adapter, Socket};
use crate::loopback::{connect, echo, echo_server, serve_one};
use crate::raw::{self, Role, op};

/// §5.5.1: the client's code and reason reach the server, which answers with the same code and
/// reason; sending after the close fails with the end.
pub fn the_clients_close_code_and_reason_reach_the_server_and_come_back<A: Adapter>() {
    let (addr, server) = echo_server::<A>(ServerConfig::default());
    let mut ws = connect::<A>(addr);
    let answer = ws.close(CloseCode::from(4001), "bye from client").unwrap();
    assert_eq!(
        (answer.code, answer.reason.as_str()),
        (CloseCode::from(4001), "bye from client")
    );
    let seen = server.join().unwrap();
    assert_eq!(
        (seen.code, seen.reason.as_str()),
        (CloseCode::from(4001), "bye from client")
    );
    let e = ws.send("late").unwrap_err();
    assert!(matches!(e, Error::Closed { .. }), "{e:?}");
}

/// §7.4: the server's code and reason reach the client, whose receive reports a close other
/// than 1000/1001 as [`Error::Closed`]; closing again gives the same frame.
pub fn the_servers_close_code_and_reason_reach_the_client<A: Adapter>() {
    let (addr, server) = serve_one::<A, _, _>(ServerConfig::default(), |ws| {
        ws.unwrap().close(CloseCode::from(4002), "bye from server")
    });
    let mut ws = connect::<A>(addr);
    match ws.recv() {
        Err(Error::Closed { code, reason }) => {
            assert_eq!(
                (code, reason.as_str()),
                (CloseCode::from(4002), "bye from server")
            );
        }
        other => panic!("expected Error::Closed with 4002, got {other:?}"),
    }
    let frame = ws.close_frame().unwrap();
    assert_eq!(
        (frame.code, frame.reason.as_str()),
        (CloseCode::from(4002), "bye from server")
    );
    let answer = server.join().unwrap();
    assert_eq!(answer.code, CloseCode::from(4002));
    assert_eq!(
        ws.close(CloseCode::NORMAL, "").unwrap().code,
        CloseCode::from(4002)
    );
}

/// §7.4.1: 1006 may not be sent; the close is refused and the connection stays open.
pub fn an_unsendable_close_code_is_refused_without_closing<A: Adapter>() {
    let (addr, server) = echo_server::<A>(ServerConfig::default());
    let mut ws = connect::<A>(addr);
    let e = ws.close(CloseCode::ABNORMAL, "").unwrap_err();
    assert!(
        matches!(e, Error::Send(SendError::InvalidCloseCode(1006))),
        "{e:?}"
    );
    ws.send("still open").unwrap();
    assert_eq!(ws.recv().unwrap(), Some(Message::text("still open")));
    ws.close(CloseCode::NORMAL, "").unwrap();
    server.join().unwrap();
}

/// §5.5: a close frame holds at most 125 bytes, so a reason of 200 bytes is refused, with a
/// message naming the limit of 123; the connection stays open.
pub fn a_close_reason_over_123_bytes_is_refused_saying_123<A: Adapter>() {
    let (addr, server) = echo_server::<A>(ServerConfig::default());
    let mut ws = connect::<A>(addr);
    let e = ws
        .close(CloseCode::from(4000), &"r".repeat(200))
        .unwrap_err();
    assert!(
        matches!(e, Error::Send(SendError::ReasonTooLong(200))),
        "{e:?}"
    );
    let text = e.to_string();
    assert!(text.contains("123"), "{text}");
    ws.send("still open").unwrap();
    assert_eq!(ws.recv().unwrap(), Some(Message::text("still open")));
    let answer = ws.close(CloseCode::from(4000), &"r".repeat(123)).unwrap();
    assert_eq!(answer.reason.len(), 123);
    server.join().unwrap();
}

/// How one side's receive reports the other side's close with `code`.
fn receive_end<A: Adapter>(closer: Role, code: CloseCode) -> Result<Option<Message>, Error> {
    let (tx, rx) = mpsc::channel();
    let (addr, server) = serve_one::<A, _, _>(ServerConfig::default(), move |ws| {
        let mut ws = ws.unwrap();
        if closer == Role::Server {
            ws.close(code, "custom").map(drop)
        } else {
            let _ = tx.send(ws.recv());
            Ok(())
        }
    });
    let mut ws = connect::<A>(addr);
    if closer == Role::Server {
        let end = ws.recv();
        server.join().unwrap();
        end
    } else {
        ws.close(code, "custom").unwrap();
        server.join().unwrap();
        rx.recv().unwrap()
    }
}

/// §7.4: a receive ends with `Ok(None)` for a normal close (1000, 1001) and with
/// [`Error::Closed`] carrying the code and reason for any other (4000), on either side.
pub fn recv_tells_a_close_with_4000_from_a_normal_end<A: Adapter>() {
    for closer in Role::ALL {
        for code in [CloseCode::NORMAL, CloseCode::GOING_AWAY] {
            let end = receive_end::<A>(closer, code);
            assert!(
                matches!(end, Ok(None)),
                "{closer} closed with {code:?}: {end:?}"
            );
        }
        match receive_end::<A>(closer, CloseCode::from(4000)) {
            Err(Error::Closed { code, reason }) => {
                assert_eq!((code, reason.as_str()), (CloseCode::from(4000), "custom"));
            }
            other => panic!("{closer} closed with 4000: {other:?}"),
        }
    }
}

/// §5.5.1: the answer to a close echoes its code and its reason, on the wire, whichever side
/// tether plays.
fn the_close_reason_is_echoed_on_the_wire<A: Adapter>(role: Role) {
    let (mut peer, tether) = raw::against::<A, _, _>(
        role,
        ServerConfig::default(),
        ClientConfig::default(),
        &[],
        |ws| ws.and_then(|mut ws| echo(&mut ws)),
    )
    .unwrap();
    peer.send(&[raw::close(4321, "node says bye")]).unwrap();
    let answer = peer.frame();
    assert_eq!(answer.opcode, op::CLOSE, "{}", answer.describe());
    assert_eq!(
        (answer.close_code(), answer.close_reason().as_str()),
        (4321, "node says bye")
    );
    if role == Role::Client {
        // The server ends TCP first (§7.1.1).
        peer.shutdown_write();
    }
    peer.expect_tcp_close();
    let seen: CloseFrame = tether.join().unwrap();
    assert_eq!(
        (seen.code, seen.reason.as_str()),
        (CloseCode::from(4321), "node says bye")
    );
}

/// See [`the_close_reason_is_echoed_on_the_wire`].
pub fn the_close_reason_is_echoed_on_the_wire_as_server<A: Adapter>() {
    the_close_reason_is_echoed_on_the_wire::<A>(Role::Server);
}

/// See [`the_close_reason_is_echoed_on_the_wire`].
pub fn the_close_reason_is_echoed_on_the_wire_as_client<A: Adapter>() {
    the_close_reason_is_echoed_on_the_wire::<A>(Role::Client);
}

/// Dropping a socket with messages fed and not yet written: they still go out, in order, then
/// a close with 1001 (going away).
fn dropping_a_socket_delivers_what_was_fed_then_1001<A: Adapter>(role: Role) {
    let (mut peer, tether) = raw::against::<A, _, _>(
        role,
        ServerConfig::default(),
        ClientConfig::default(),
        &[],
        |ws| {
            let mut ws = ws.unwrap();
            for text in ["one", "two", "three"] {
                ws.feed(text).unwrap();
            }
            drop(ws);
        },
    )
    .unwrap();
    tether.join();
    for text in ["one", "two", "three"] {
        let frame = peer.frame();
        assert_eq!(
            (frame.opcode, frame.payload.as_slice()),
            (op::TEXT, text.as_bytes()),
            "{}",
            frame.describe()
        );
    }
    let close = peer.frame();
    assert_eq!(close.opcode, op::CLOSE, "{}", close.describe());
    assert_eq!(close.close_code(), 1001);
    peer.send(&[raw::close(1001, "")]).unwrap();
    if role == Role::Client {
        peer.shutdown_write();
    }
    peer.expect_tcp_close();
}

/// See [`dropping_a_socket_delivers_what_was_fed_then_1001`].
pub fn dropping_a_socket_delivers_what_was_fed_then_1001_as_server<A: Adapter>() {
    dropping_a_socket_delivers_what_was_fed_then_1001::<A>(Role::Server);
}

/// See [`dropping_a_socket_delivers_what_was_fed_then_1001`].
pub fn dropping_a_socket_delivers_what_was_fed_then_1001_as_client<A: Adapter>() {
    dropping_a_socket_delivers_what_was_fed_then_1001::<A>(Role::Client);
}
