//! Failures: the peer's protocol errors get the right close code (RFC 6455 §7.4.1), deadlines
//! give typed timeouts, and errors carry their context — the address, the URL, a hint.

use std::io;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use tether_proto::ConnectionError;
use tether_std::{ClientConfig, CloseCode, Config, Error, Message, ServerConfig, TimeoutKind};

use crate::adapter::{Adapter, Socket};
use crate::loopback::{connect, connect_with, echo, echo_server, serve_one};
use crate::raw::{self, Role, op};

/// §8.1: a text message that is not UTF-8 fails the connection with 1007.
pub fn invalid_utf8_from_the_peer_fails_with_1007<A: Adapter>() {
    let (mut peer, tether) = raw::against::<A, _, _>(
        Role::Server,
        ServerConfig::default(),
        ClientConfig::default(),
        &[],
        |ws| ws.unwrap().recv(),
    )
    .unwrap();
    peer.send(&[raw::text(vec![0xff, 0xfe])]).unwrap();
    let close = peer.frame();
    assert_eq!(
        (close.opcode, close.close_code()),
        (op::CLOSE, 1007),
        "{}",
        close.describe()
    );
    let e = tether.join().unwrap_err();
    assert!(
        matches!(e, Error::Failed(ConnectionError::InvalidUtf8)),
        "{e:?}"
    );
    assert_eq!(e.close_code(), Some(CloseCode::INVALID_PAYLOAD));
}

/// §10.4: a message over the receiver's limit fails the connection with 1009; the sender's
/// receive reports the peer's close with 1009.
pub fn a_message_over_the_limit_fails_with_1009<A: Adapter>() {
    let limited = Config::default().max_message_size(1000);
    let (addr, server) = serve_one::<A, _, _>(ServerConfig::default().config(limited), |ws| {
        ws.unwrap().recv()
    });
    let mut ws = connect::<A>(addr);
    ws.send(vec![7u8; 1001]).unwrap();
    match ws.recv() {
        Err(Error::Closed { code, .. }) => assert_eq!(code, CloseCode::TOO_BIG),
        other => panic!("expected the peer's close with 1009, got {other:?}"),
    }
    assert_eq!(ws.close_frame().unwrap().code, CloseCode::TOO_BIG);
    let e = server.join().unwrap_err();
    assert!(
        matches!(e, Error::Failed(ConnectionError::MessageTooBig { .. })),
        "{e:?}"
    );
    assert_eq!(e.close_code(), Some(CloseCode::TOO_BIG));
}

/// The TCP connection opens (the listen queue takes it) but nobody answers the upgrade: the
/// handshake timeout fires.
pub fn the_handshake_times_out_when_the_server_never_answers<A: Adapter>() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let config = ClientConfig::default()
        .config(Config::default().handshake_timeout(Some(Duration::from_millis(300))));
    let start = Instant::now();
    let e = A::connect(&format!("ws://{addr}/"), &config).unwrap_err();
    assert_eq!(e.timeout_kind(), Some(TimeoutKind::Handshake), "{e:?}");
    assert!(start.elapsed() >= Duration::from_millis(250));
    drop(listener);
}

/// A client that connects and never sends its request: the server's handshake times out.
pub fn the_servers_handshake_times_out_on_a_silent_client<A: Adapter>() {
    let config = ServerConfig::default()
        .config(Config::default().handshake_timeout(Some(Duration::from_millis(200))));
    let (addr, server) = serve_one::<A, _, _>(config, |ws| ws.map(drop));
    let silent = TcpStream::connect(addr).unwrap();
    let e = server.join().unwrap_err();
    assert_eq!(e.timeout_kind(), Some(TimeoutKind::Handshake), "{e:?}");
    drop(silent);
}

/// A listener with a backlog of 0 that never accepts: once its queue is full, Linux drops
/// further SYNs, so the TCP connect itself never completes and the connect timeout fires.
pub fn the_connect_timeout_fires_when_the_listen_queue_is_full<A: Adapter>() {
    use socket2::{Domain, Socket as RawSocket, Type};
    let socket = RawSocket::new(Domain::IPV4, Type::STREAM, None).unwrap();
    socket
        .bind(&"127.0.0.1:0".parse::<SocketAddr>().unwrap().into())
        .unwrap();
    socket.listen(0).unwrap();
    let addr = socket.local_addr().unwrap().as_socket().unwrap();
    let mut fillers = Vec::new();
    for _ in 0..4 {
        if let Ok(s) = TcpStream::connect_timeout(&addr, Duration::from_millis(200)) {
            fillers.push(s);
        }
    }
    let config = ClientConfig::default()
        .connect_timeout(Some(Duration::from_millis(300)))
        .config(Config::default().handshake_timeout(Some(Duration::from_secs(5))));
    let e = A::connect(&format!("ws://{addr}/"), &config).unwrap_err();
    assert_eq!(e.timeout_kind(), Some(TimeoutKind::Connect), "{e:?}");
}

/// Connection refused: the error names the address tried and suggests starting a server.
pub fn connection_refused_names_the_address<A: Adapter>() {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let e = A::connect(&format!("ws://127.0.0.1:{port}/"), &ClientConfig::default()).unwrap_err();
    let Error::CannotConnect { addr, source } = &e else {
        panic!("expected CannotConnect, got {e:?}")
    };
    assert_eq!(addr, &format!("127.0.0.1:{port}"));
    assert_eq!(source.kind(), io::ErrorKind::ConnectionRefused);
    let text = e.to_string();
    assert!(
        text.starts_with(&format!("cannot connect to 127.0.0.1:{port}: ")),
        "{text}"
    );
    assert!(text.contains("is a server running there?"), "{text}");
}

/// A read timeout fails the receive that waited, and leaves the socket usable.
pub fn a_read_timeout_leaves_the_socket_usable<A: Adapter>() {
    let (tx, rx) = mpsc::channel::<()>();
    let (addr, server) = serve_one::<A, _, _>(ServerConfig::default(), move |ws| {
        let mut ws = ws.unwrap();
        rx.recv().unwrap();
        ws.send("late").unwrap();
        echo(&mut ws)
    });
    let config = ClientConfig::default().read_timeout(Some(Duration::from_millis(200)));
    let mut ws = connect_with::<A>(addr, &config);
    let e = ws.recv().unwrap_err();
    assert_eq!(e.timeout_kind(), Some(TimeoutKind::Read), "{e:?}");
    assert_eq!(io::Error::from(e).kind(), io::ErrorKind::TimedOut);
    tx.send(()).unwrap();
    assert_eq!(ws.recv().unwrap(), Some(Message::text("late")));
    ws.close(CloseCode::NORMAL, "").unwrap();
    server.join().unwrap();
}

/// A bad URL fails before any network work, with the URL; an unresolvable host names the
/// host.
pub fn an_unresolvable_host_and_a_bad_url_are_typed<A: Adapter>() {
    let e = A::connect("ws://no-such-host.invalid/", &ClientConfig::default()).unwrap_err();
    assert!(
        matches!(&e, Error::HostNotResolved { host, .. } if host == "no-such-host.invalid"),
        "{e:?}"
    );
    let e = A::connect("http://example.com/", &ClientConfig::default()).unwrap_err();
    assert!(matches!(e, Error::InvalidUrl { .. }), "{e:?}");
    assert!(e.to_string().contains("http://example.com/"), "{e}");
}

/// `wss://` to a plain (`ws://`) server fails in TLS, with a hint to use `ws://`.
pub fn wss_to_a_plain_server_hints_at_ws<A: Adapter>() {
    let (addr, server) = echo_server::<A>(ServerConfig::default());
    let e = A::connect(&format!("wss://{addr}/"), &ClientConfig::default()).unwrap_err();
    assert!(matches!(e, Error::Tls { .. }), "{e:?}");
    let text = e.to_string();
    assert!(text.contains("for a plain server use ws://"), "{text}");
    assert!(server.join().is_err(), "the server got no upgrade");
}

/// A transport that fails under an open connection is an [`Error::Io`] that names the peer: the
/// URL the client dialled, or the address the server was reached from.
pub fn a_reset_connection_is_an_io_error_naming_the_peer<A: Adapter>() {
    for role in [Role::Client, Role::Server] {
        let (peer, tether) = raw::against::<A, _, _>(
            role,
            ServerConfig::default(),
            ClientConfig::default(),
            &[],
            |ws| ws.unwrap().recv(),
        )
        .unwrap();
        peer.abort();
        let e = tether.join().unwrap_err();
        let Error::Io { peer, source } = &e else {
            panic!("{role:?}: expected Error::Io, got {e:?}");
        };
        assert_eq!(
            source.kind(),
            io::ErrorKind::ConnectionReset,
            "{role:?}: {e:?}"
        );
        let text = e.to_string();
        match role {
            Role::Client => assert!(peer.starts_with("ws://127.0.0.1:"), "{peer}"),
            Role::Server => assert!(peer.starts_with("127.0.0.1:"), "{peer}"),
        }
        assert!(
            text.starts_with(&format!("I/O with {peer} failed: ")),
            "{text}"
        );
    }
}
