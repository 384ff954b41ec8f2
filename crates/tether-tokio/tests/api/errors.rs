//! Peer errors get typed errors and the right close code; timeouts; keepalive.

use std::net::SocketAddr;
use std::time::Duration;

use tether_tokio::{CloseCode, Error, Message, SocketConfig, TimeoutKind, connect_with};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::Instant;

use crate::common::{echo, serve_one};

/// A hand-written client: upgrade, then raw frames.
pub(crate) async fn raw_client(addr: SocketAddr) -> TcpStream {
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(
        b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
          Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
    )
    .await
    .unwrap();
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        head.push(s.read_u8().await.unwrap());
    }
    assert!(head.starts_with(b"HTTP/1.1 101"));
    s
}

/// Reads one short unmasked frame from a server: (opcode, payload).
async fn read_frame(s: &mut TcpStream) -> (u8, Vec<u8>) {
    let mut h = [0; 2];
    s.read_exact(&mut h).await.unwrap();
    assert!(h[1] < 126, "test frames are short");
    let mut payload = vec![0; h[1] as usize];
    s.read_exact(&mut payload).await.unwrap();
    (h[0] & 0x0f, payload)
}

#[tokio::test]
async fn invalid_utf8_from_the_peer_gets_1007() {
    let (addr, server) = serve_one(
        SocketConfig::default(),
        |_| Ok(Default::default()),
        |ws| async move { ws.unwrap().recv().await },
    )
    .await;
    let mut s = raw_client(addr).await;
    // A masked text frame (mask 0) holding 0xff 0xfe: not UTF-8.
    s.write_all(&[0x81, 0x82, 0, 0, 0, 0, 0xff, 0xfe])
        .await
        .unwrap();
    let (opcode, payload) = read_frame(&mut s).await;
    assert_eq!(opcode, 0x8);
    assert_eq!(u16::from_be_bytes([payload[0], payload[1]]), 1007);
    let e = server.await.unwrap().unwrap_err();
    assert!(matches!(e, Error::Protocol(_)), "{e:?}");
    assert_eq!(e.close_code(), Some(CloseCode::INVALID_PAYLOAD));
}

#[tokio::test]
async fn message_over_the_limit_gets_1009() {
    let config = SocketConfig::default().max_message_size(1000);
    let (addr, server) = serve_one(
        config,
        |_| Ok(Default::default()),
        |ws| async move { ws.unwrap().recv().await },
    )
    .await;
    let mut ws = connect_with(&format!("ws://{addr}/"), &SocketConfig::default())
        .await
        .unwrap();
    ws.send_binary(&[0; 1001]).await.unwrap();
    assert_eq!(ws.recv().await.unwrap(), None);
    assert_eq!(ws.close_frame().unwrap().code, CloseCode::TOO_BIG);
    let e = server.await.unwrap().unwrap_err();
    assert!(matches!(e, Error::MessageTooBig(_)), "{e:?}");
    assert_eq!(e.close_code(), Some(CloseCode::TOO_BIG));
}

#[tokio::test]
async fn handshake_timeout_when_the_server_never_answers() {
    // The backlog completes the TCP handshake, but nobody answers the upgrade request.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let config = SocketConfig::default().handshake_timeout(Some(Duration::from_millis(300)));
    let start = Instant::now();
    let e = connect_with(&format!("ws://{addr}/"), &config)
        .await
        .unwrap_err();
    assert_eq!(e.timeout_kind(), Some(TimeoutKind::Handshake), "{e:?}");
    assert!(start.elapsed() >= Duration::from_millis(250));
    drop(listener);
}

#[tokio::test]
async fn server_handshake_times_out_on_a_silent_client() {
    let config = SocketConfig::default().handshake_timeout(Some(Duration::from_millis(200)));
    let (addr, server) = serve_one(
        config,
        |_| Ok(Default::default()),
        |ws| async move { ws.map(drop) },
    )
    .await;
    let _silent = TcpStream::connect(addr).await.unwrap();
    let e = server.await.unwrap().unwrap_err();
    assert_eq!(e.timeout_kind(), Some(TimeoutKind::Handshake), "{e:?}");
}

#[tokio::test]
async fn connect_timeout_when_the_listen_queue_is_full() {
    // A listener with backlog 0 that never accepts: once its queue is full, Linux drops
    // further SYNs, so the TCP connect itself never completes.
    use socket2::{Domain, Socket, Type};
    let socket = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
    socket
        .bind(&"127.0.0.1:0".parse::<SocketAddr>().unwrap().into())
        .unwrap();
    socket.listen(0).unwrap();
    let addr = socket.local_addr().unwrap().as_socket().unwrap();
    let mut fillers = Vec::new();
    for _ in 0..4 {
        if let Ok(Ok(s)) =
            tokio::time::timeout(Duration::from_millis(200), TcpStream::connect(addr)).await
        {
            fillers.push(s);
        }
    }
    let config = SocketConfig::default()
        .connect_timeout(Some(Duration::from_millis(300)))
        .handshake_timeout(Some(Duration::from_secs(5)));
    let e = connect_with(&format!("ws://{addr}/"), &config)
        .await
        .unwrap_err();
    assert_eq!(e.timeout_kind(), Some(TimeoutKind::Connect), "{e:?}");
}

#[tokio::test]
async fn cannot_connect_to_a_closed_port() {
    let port = TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let e = connect_with(&format!("ws://127.0.0.1:{port}/"), &SocketConfig::default())
        .await
        .unwrap_err();
    assert!(matches!(e, Error::CannotConnect(_)), "{e:?}");
}

#[tokio::test]
async fn read_timeout_leaves_the_socket_usable() {
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let (addr, server) = serve_one(
        SocketConfig::default(),
        |_| Ok(Default::default()),
        move |ws| async move {
            let mut ws = ws.unwrap();
            rx.await.unwrap();
            ws.send_text("late").await.unwrap();
            echo(&mut ws).await.unwrap()
        },
    )
    .await;
    let config = SocketConfig::default().read_timeout(Some(Duration::from_millis(200)));
    let mut ws = connect_with(&format!("ws://{addr}/"), &config)
        .await
        .unwrap();
    let e = ws.recv().await.unwrap_err();
    assert_eq!(e.timeout_kind(), Some(TimeoutKind::Read), "{e:?}");
    tx.send(()).unwrap();
    assert_eq!(ws.recv().await.unwrap(), Some(Message::Text("late".into())));
    ws.close(CloseCode::NORMAL, "").await.unwrap();
    server.await.unwrap();
}

#[tokio::test]
async fn unresolvable_host_and_bad_url_are_typed() {
    let e = connect_with("ws://no-such-host.invalid/", &SocketConfig::default())
        .await
        .unwrap_err();
    assert!(matches!(e, Error::HostNotResolved { .. }), "{e:?}");
    let e = connect_with("http://example.com/", &SocketConfig::default())
        .await
        .unwrap_err();
    assert!(matches!(e, Error::InvalidInput(_)), "{e:?}");
}

#[tokio::test]
async fn keepalive_detects_a_silent_peer() {
    let config = SocketConfig::default()
        .keepalive_interval(Some(Duration::from_millis(50)))
        .keepalive_timeout(Duration::from_millis(150));
    let (addr, server) = serve_one(
        config,
        |_| Ok(Default::default()),
        |ws| async move { ws.unwrap().recv().await },
    )
    .await;
    // Completes the upgrade, then never sends anything (so never answers the ping).
    let mut s = raw_client(addr).await;
    let start = Instant::now();
    let e = server.await.unwrap().unwrap_err();
    assert_eq!(e.timeout_kind(), Some(TimeoutKind::Keepalive), "{e:?}");
    assert!(start.elapsed() < Duration::from_secs(5));
    // The ping did go out before the server gave up.
    let (opcode, payload) = read_frame(&mut s).await;
    assert_eq!((opcode, payload.as_slice()), (0x9, &b"tether"[..]));
}

#[tokio::test]
async fn keepalive_pings_keep_a_quiet_but_live_peer_open() {
    let config = SocketConfig::default()
        .keepalive_interval(Some(Duration::from_millis(30)))
        .keepalive_timeout(Duration::from_millis(100));
    let (addr, server) = serve_one(
        config,
        |_| Ok(Default::default()),
        |ws| async move { echo(&mut ws.unwrap()).await },
    )
    .await;
    // The client answers pings (its recv runs) but sends nothing for 10 keepalive timeouts.
    let mut ws = connect_with(
        &format!("ws://{addr}/"),
        &SocketConfig::default().read_timeout(Some(Duration::from_secs(1))),
    )
    .await
    .unwrap();
    let e = ws.recv().await.unwrap_err();
    assert_eq!(e.timeout_kind(), Some(TimeoutKind::Read));
    ws.send_text("still here").await.unwrap();
    assert_eq!(
        ws.recv().await.unwrap(),
        Some(Message::Text("still here".into()))
    );
    ws.close(CloseCode::NORMAL, "").await.unwrap();
    assert_eq!(
        server.await.unwrap().unwrap().unwrap().code,
        CloseCode::NORMAL
    );
}
