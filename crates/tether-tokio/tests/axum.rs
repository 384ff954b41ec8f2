//! The axum example (`examples/axum_chat.rs`), served on loopback and driven by clients:
//! its page and its chat room (tether's `WebSocketUpgrade`) over HTTP/1.1 and HTTP/2, h2c
//! and TLS; its `/echo` on axum's own `ws` reached by tether's client over HTTP/2 (another
//! RFC 8441 server); yawc's HTTP/2 client against tether's extractor (another RFC 8441
//! client); and the extractor's refusals.

#[allow(dead_code, unreachable_pub)]
#[path = "../examples/axum_chat.rs"]
mod axum_chat;

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use http_body_util::{BodyExt, Empty};
use hyper_util::rt::{TokioExecutor, TokioIo};
use tether_tests::http2::client_config;
use tether_tests::pki::{TestPki, pki};
use tether_tokio::{Bytes, ClientConfig, CloseCode, Error, HttpMode, Message, MessageSocket};
use tokio::net::{TcpListener, TcpStream};

/// The example on a loopback port: plain (h2c) or TLS; returns the base URL (`ws://` or
/// `wss://`).
async fn start(tls: Option<&TestPki>) -> (String, std::net::SocketAddr) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let config = tls.map(|pki| tether_tests::http2::alpn_h2(&pki.server));
    tokio::spawn(axum_chat::serve(listener, config));
    let scheme = if tls.is_some() { "wss" } else { "ws" };
    (format!("{scheme}://{addr}"), addr)
}

async fn recv_text(ws: &mut MessageSocket) -> String {
    let m = tokio::time::timeout(Duration::from_secs(10), ws.recv())
        .await
        .expect("in time")
        .unwrap()
        .expect("a message");
    m.as_text().expect("text").to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_example_chats_over_both_http_versions_h2c_and_tls() {
    for tls in [None, Some(pki())] {
        let tls = tls.as_ref();
        let (base, _) = start(tls).await;
        let config = |mode| client_config(tls).http(mode).protocols(["chat"]);
        let mut one = tether_tokio::connect(&format!("{base}/chat"), &config(HttpMode::Http1))
            .await
            .unwrap();
        assert_eq!(recv_text(&mut one).await, "welcome (HTTP/1.1)");
        let mut two = tether_tokio::connect(&format!("{base}/chat"), &config(HttpMode::Http2))
            .await
            .unwrap();
        assert_eq!(recv_text(&mut two).await, "welcome (HTTP/2)");
        assert_eq!(two.info().negotiated.protocol.as_deref(), Some("chat"));
        assert!(
            two.info().negotiated.deflate().is_some(),
            "compression is on"
        );
        two.send("hello from HTTP/2").await.unwrap();
        for ws in [&mut one, &mut two] {
            assert_eq!(recv_text(ws).await, "hello from HTTP/2");
        }
        one.send("and from HTTP/1.1").await.unwrap();
        for ws in [&mut one, &mut two] {
            assert_eq!(recv_text(ws).await, "and from HTTP/1.1");
        }
        // The room's limit is the extractor's (`max_message_size(64 << 10)`): 1009.
        two.send(Message::binary(vec![0u8; 100 << 10]))
            .await
            .unwrap();
        match two.recv().await {
            Err(Error::Closed { code, .. }) => assert_eq!(code, CloseCode::TOO_BIG),
            other => panic!("{other:?}"),
        }
        one.close(CloseCode::NORMAL, "").await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_example_serves_its_page_over_http1_and_http2() {
    let (_, addr) = start(None).await;
    // HTTP/2 with prior knowledge.
    let tcp = TcpStream::connect(addr).await.unwrap();
    let (mut send, conn) = hyper::client::conn::http2::handshake::<_, _, Empty<Bytes>>(
        TokioExecutor::new(),
        TokioIo::new(tcp),
    )
    .await
    .unwrap();
    tokio::spawn(conn);
    let request = http::Request::builder()
        .uri(format!("http://{addr}/"))
        .body(Empty::new())
        .unwrap();
    let response = send.send_request(request).await.unwrap();
    assert_eq!(response.version(), http::Version::HTTP_2);
    let page = response.into_body().collect().await.unwrap().to_bytes();
    assert!(page.starts_with(b"<!doctype html>"));
    // HTTP/1.1.
    let tcp = TcpStream::connect(addr).await.unwrap();
    let (mut send, conn) =
        hyper::client::conn::http1::handshake::<_, Empty<Bytes>>(TokioIo::new(tcp))
            .await
            .unwrap();
    tokio::spawn(conn);
    let request = http::Request::builder()
        .uri("/")
        .header("host", addr.to_string())
        .body(Empty::new())
        .unwrap();
    let response = send.send_request(request).await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(
        response
            .into_body()
            .collect()
            .await
            .unwrap()
            .to_bytes()
            .ends_with(b"</html>\n")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rfc8441_interop_tether_client_and_axums_own_ws_server_over_both_versions() {
    for tls in [None, Some(pki())] {
        let tls = tls.as_ref();
        let (base, _) = start(tls).await;
        for mode in [HttpMode::Http1, HttpMode::Http2] {
            // axum's `ws` has no compression: the offer is declined.
            let mut ws =
                tether_tokio::connect(&format!("{base}/echo"), &client_config(tls).http(mode))
                    .await
                    .unwrap();
            assert!(ws.info().negotiated.deflate().is_none());
            for len in [0, 125, 70_000, 1 << 20] {
                let payload: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
                ws.send(Message::binary(payload.clone())).await.unwrap();
                let back = ws.recv().await.unwrap();
                assert_eq!(back, Some(Message::binary(payload)), "{mode:?} {len}");
            }
            ws.send("κόσμε").await.unwrap();
            assert_eq!(ws.recv().await.unwrap(), Some(Message::text("κόσμε")));
            let answer = ws.close(CloseCode::from(4000), "bye").await.unwrap();
            assert_eq!(answer.code.as_u16(), 4000, "{mode:?}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rfc8441_interop_yawcs_http2_client_and_tethers_extractor() {
    let (base, _) = start(None).await;
    let url = format!("{base}/chat").parse().unwrap();
    let mut ws = yawc::WebSocket::connect(url)
        .http_version(yawc::HttpVersion::Http2)
        .await
        .unwrap();
    let welcome = ws.next().await.expect("a frame");
    assert_eq!(welcome.as_str(), "welcome (HTTP/2)");
    // A tether member sees what yawc says, and yawc what the member says.
    let mut member = tether_tokio::connect(&format!("{base}/chat"), &ClientConfig::default())
        .await
        .unwrap();
    assert_eq!(recv_text(&mut member).await, "welcome (HTTP/1.1)");
    ws.send(yawc::Frame::text("hi from yawc")).await.unwrap();
    assert_eq!(recv_text(&mut member).await, "hi from yawc");
    assert_eq!(ws.next().await.expect("a frame").as_str(), "hi from yawc");
    member.send("hi from tether").await.unwrap();
    assert_eq!(ws.next().await.expect("a frame").as_str(), "hi from tether");
    member.close(CloseCode::NORMAL, "").await.unwrap();
    // yawc closes; tether answers with its close (and then, done sending, asks yawc to stop
    // sending: RST_STREAM NO_ERROR, which yawc's flush may report).
    let _ = ws
        .send(yawc::Frame::close(yawc::close::CloseCode::Normal, b"done"))
        .await;
    let answer = ws.next().await.expect("tether's close");
    assert_eq!(answer.close_code(), Some(yawc::close::CloseCode::Normal));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_extractor_refuses_what_is_no_websocket_request() {
    let (_, addr) = start(None).await;
    let tcp = TcpStream::connect(addr).await.unwrap();
    let (mut send, conn) =
        hyper::client::conn::http1::handshake::<_, Empty<Bytes>>(TokioIo::new(tcp))
            .await
            .unwrap();
    tokio::spawn(conn);
    // A GET without Upgrade: 400 with the reason.
    let request = http::Request::builder()
        .uri("/chat")
        .header("host", "localhost")
        .body(Empty::new())
        .unwrap();
    let response = send.send_request(request).await.unwrap();
    assert_eq!(response.status(), 400);
    let body = response.into_body().collect().await.unwrap().to_bytes();
    assert!(
        body.starts_with(b"no `Upgrade: websocket` header"),
        "{body:?}"
    );
    // Version 8: 426 naming version 13.
    send.ready().await.unwrap();
    let request = http::Request::builder()
        .uri("/chat")
        .header("host", "localhost")
        .header("upgrade", "websocket")
        .header("connection", "upgrade")
        .header("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ==")
        .header("sec-websocket-version", "8")
        .body(Empty::new())
        .unwrap();
    let response = send.send_request(request).await.unwrap();
    assert_eq!(response.status(), 426);
    assert_eq!(response.headers()["sec-websocket-version"], "13");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subprotocol_the_client_did_not_offer_fails_the_upgrade_and_says_so() {
    use axum::routing::any;
    use tether_tokio::axum::WebSocketUpgrade;
    let (tx, mut failed) = tokio::sync::mpsc::unbounded_channel();
    let app = axum::Router::new().route(
        "/picky",
        any(move |mut ws: WebSocketUpgrade| {
            let tx = tx.clone();
            async move {
                assert_eq!(ws.requested_protocols().collect::<Vec<_>>(), ["a", "b"]);
                ws.set_selected_protocol(http::HeaderValue::from_static("c"));
                ws.on_failed_upgrade(move |e: Error| {
                    let _ = tx.send(e.to_string());
                })
                .on_upgrade(|_| async {})
            }
        }),
    );
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let service = hyper_util::service::TowerToHyperService::new(app);
        while let Ok((tcp, _)) = listener.accept().await {
            let service = service.clone();
            tokio::spawn(async move {
                tether_tokio::http_server()
                    .serve_connection_with_upgrades(TokioIo::new(tcp), service)
                    .await
            });
        }
    });
    for mode in [HttpMode::Http1, HttpMode::Http2] {
        let config = ClientConfig::default().http(mode).protocols(["a", "b"]);
        let e = tether_tokio::connect(&format!("ws://{addr}/picky"), &config)
            .await
            .unwrap_err();
        assert_eq!(e.http_status(), Some(500), "{mode:?}: {e}");
        let why = failed.recv().await.unwrap();
        assert!(why.contains("subprotocol `c`"), "{why}");
    }
}
