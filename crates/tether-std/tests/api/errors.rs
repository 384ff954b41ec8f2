//! Peer errors get typed errors and the right close code; timeouts.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant};

use tether_std::{CloseCode, Error, Message, SocketConfig, TimeoutKind, connect_with};

use crate::common::{echo, serve_one};

/// A hand-written client: upgrade, then raw frames.
fn raw_client(addr: std::net::SocketAddr) -> TcpStream {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(
        b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
          Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
    )
    .unwrap();
    let mut head = Vec::new();
    let mut byte = [0];
    while !head.ends_with(b"\r\n\r\n") {
        s.read_exact(&mut byte).unwrap();
        head.push(byte[0]);
    }
    assert!(head.starts_with(b"HTTP/1.1 101"));
    s
}

/// Reads one unmasked frame from a server: (opcode, payload).
fn read_frame(s: &mut TcpStream) -> (u8, Vec<u8>) {
    let mut h = [0; 2];
    s.read_exact(&mut h).unwrap();
    assert!(h[1] < 126, "test frames are short");
    let mut payload = vec![0; h[1] as usize];
    s.read_exact(&mut payload).unwrap();
    (h[0] & 0x0f, payload)
}

#[test]
fn invalid_utf8_from_the_peer_gets_1007() {
    let (addr, server) = serve_one(
        SocketConfig::default(),
        |_| Ok(Default::default()),
        |ws| ws.unwrap().recv(),
    );
    let mut s = raw_client(addr);
    // A masked text frame (mask 0) holding 0xff 0xfe: not UTF-8.
    s.write_all(&[0x81, 0x82, 0, 0, 0, 0, 0xff, 0xfe]).unwrap();
    let (opcode, payload) = read_frame(&mut s);
    assert_eq!(opcode, 0x8);
    assert_eq!(u16::from_be_bytes([payload[0], payload[1]]), 1007);
    let e = server.join().unwrap().unwrap_err();
    assert!(matches!(e, Error::Protocol(_)), "{e:?}");
    assert_eq!(e.close_code(), Some(CloseCode::INVALID_PAYLOAD));
}

#[test]
fn message_over_the_limit_gets_1009() {
    let config = SocketConfig::default().max_message_size(1000);
    let (addr, server) = serve_one(config, |_| Ok(Default::default()), |ws| ws.unwrap().recv());
    let mut ws = connect_with(&format!("ws://{addr}/"), &SocketConfig::default()).unwrap();
    ws.send_binary(&[0; 1001]).unwrap();
    assert_eq!(ws.recv().unwrap(), None);
    assert_eq!(ws.close_frame().unwrap().code, CloseCode::TOO_BIG);
    let e = server.join().unwrap().unwrap_err();
    assert!(matches!(e, Error::MessageTooBig(_)), "{e:?}");
    assert_eq!(e.close_code(), Some(CloseCode::TOO_BIG));
}

#[test]
fn handshake_timeout_when_the_server_never_answers() {
    // The listener's backlog completes the TCP handshake, but nobody accepts or answers the
    // upgrade request: this exercises the handshake timeout.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let config = SocketConfig::default().handshake_timeout(Some(Duration::from_millis(300)));
    let start = Instant::now();
    let e = connect_with(&format!("ws://{addr}/"), &config).unwrap_err();
    assert_eq!(e.timeout_kind(), Some(TimeoutKind::Handshake), "{e:?}");
    assert!(start.elapsed() >= Duration::from_millis(250));
    drop(listener);
}

#[test]
fn connect_timeout_when_the_listen_queue_is_full() {
    // A listener with backlog 0 that never accepts: once its queue is full, Linux drops
    // further SYNs, so the TCP connect itself never completes: the connect timeout fires.
    use socket2::{Domain, Socket, Type};
    let socket = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
    socket
        .bind(
            &"127.0.0.1:0"
                .parse::<std::net::SocketAddr>()
                .unwrap()
                .into(),
        )
        .unwrap();
    socket.listen(0).unwrap();
    let addr = socket.local_addr().unwrap().as_socket().unwrap();
    // Fill the queue.
    let mut fillers = Vec::new();
    for _ in 0..4 {
        if let Ok(s) = TcpStream::connect_timeout(&addr, Duration::from_millis(200)) {
            fillers.push(s);
        }
    }
    let config = SocketConfig::default()
        .connect_timeout(Some(Duration::from_millis(300)))
        .handshake_timeout(Some(Duration::from_secs(5)));
    let e = connect_with(&format!("ws://{addr}/"), &config).unwrap_err();
    assert_eq!(e.timeout_kind(), Some(TimeoutKind::Connect), "{e:?}");
}

#[test]
fn cannot_connect_to_a_closed_port() {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let e = connect_with(&format!("ws://127.0.0.1:{port}/"), &SocketConfig::default()).unwrap_err();
    assert!(matches!(e, Error::CannotConnect(_)), "{e:?}");
}

#[test]
fn read_timeout_leaves_the_socket_usable() {
    let (tx, rx) = std::sync::mpsc::channel::<()>();
    let (addr, server) = serve_one(
        SocketConfig::default(),
        |_| Ok(Default::default()),
        move |ws| {
            let mut ws = ws.unwrap();
            rx.recv().unwrap();
            ws.send_text("late").unwrap();
            echo(&mut ws).unwrap()
        },
    );
    let config = SocketConfig::default().read_timeout(Some(Duration::from_millis(200)));
    let mut ws = connect_with(&format!("ws://{addr}/"), &config).unwrap();
    let e = ws.recv().unwrap_err();
    assert_eq!(e.timeout_kind(), Some(TimeoutKind::Read), "{e:?}");
    assert_eq!(
        std::io::Error::from(e).kind(),
        std::io::ErrorKind::WouldBlock
    );
    tx.send(()).unwrap();
    assert_eq!(ws.recv().unwrap(), Some(Message::Text("late".into())));
    ws.close(CloseCode::NORMAL, "").unwrap();
    server.join().unwrap();
}

#[test]
fn unresolvable_host_and_bad_url_are_typed() {
    let e = connect_with("ws://no-such-host.invalid/", &SocketConfig::default()).unwrap_err();
    assert!(matches!(e, Error::HostNotResolved { .. }), "{e:?}");
    let e = connect_with("http://example.com/", &SocketConfig::default()).unwrap_err();
    assert!(matches!(e, Error::InvalidInput(_)), "{e:?}");
}

#[test]
fn silent_peer_fails_the_keepalive() {
    let config = SocketConfig::default()
        .keepalive_interval(Some(Duration::from_millis(50)))
        .keepalive_timeout(Duration::from_millis(150));
    let (addr, server) = serve_one(config, |_| Ok(Default::default()), |ws| ws.unwrap().recv());
    // Completes the upgrade, then never sends anything (so never answers the ping).
    let s = raw_client(addr);
    let e = server.join().unwrap().unwrap_err();
    assert_eq!(e.timeout_kind(), Some(TimeoutKind::Keepalive), "{e:?}");
    drop(s);
}
