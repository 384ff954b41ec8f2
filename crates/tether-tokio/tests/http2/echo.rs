//! Loopback over HTTP/2, h2c and TLS: echoes of text and binary from 0 B to 16 MiB,
//! subprotocols, permessage-deflate, close codes and reasons both ways, keepalive.

use std::time::Duration;

use tether_tests::http2::{Http2Server, client_config, echo_handler, handler};
use tether_tests::pki::{TestPki, pki};
use tether_tokio::{ClientConfig, CloseCode, Config, Error, HttpVersion, Message, ServerConfig};
use tokio::sync::mpsc;

async fn both(run: impl AsyncFn(Option<&TestPki>)) {
    run(None).await;
    let pki = pki();
    run(Some(&pki)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rfc8441_echo_text_and_binary_0_b_to_16_mib_h2c_and_tls() {
    both(async |tls| {
        let server = Http2Server::start(tls, ServerConfig::default(), echo_handler()).await;
        let mut ws = tether_tokio::connect(&server.url("/echo"), &client_config(tls))
            .await
            .unwrap();
        let info = ws.info();
        assert_eq!(info.http_version, HttpVersion::Http2);
        assert_eq!(info.tls, tls.is_some());
        for text in ["", "hello over HTTP/2", "κόσμε"] {
            ws.send(text).await.unwrap();
            assert_eq!(ws.recv().await.unwrap(), Some(Message::text(text)));
        }
        for len in [0, 1, 125, 126, 65_535, 65_536, 1 << 20, 16 << 20] {
            let payload: Vec<u8> = (0..len).map(|i| (i * 7 + i / 251) as u8).collect();
            ws.send(Message::binary(payload.clone())).await.unwrap();
            let back = ws.recv().await.unwrap().expect("the echo");
            assert!(!back.is_text() && back.as_bytes() == payload, "{len} bytes");
        }
        let answer = ws.close(CloseCode::NORMAL, "done").await.unwrap();
        assert_eq!(
            (answer.code, answer.reason.as_str()),
            (CloseCode::NORMAL, "done")
        );
    })
    .await;
}

/// What the server's side saw of a socket: its info, and how its receive loop ended.
#[derive(Debug)]
struct Seen {
    info: tether_tokio::ConnectionInfo,
    path: String,
    end: Result<Option<Message>, Error>,
}

/// A handler that reports what it saw, echoing until the end.
fn reporting(tx: mpsc::UnboundedSender<Seen>) -> tether_tests::http2::Handler {
    handler(move |mut ws, path| {
        let tx = tx.clone();
        async move {
            let info = ws.info();
            let end = loop {
                match ws.recv().await {
                    Ok(Some(m)) if m.as_text() == Some("close 4001 please") => {
                        let _ = ws.close(CloseCode::from(4001), "bye from the server").await;
                        break Ok(Some(m));
                    }
                    Ok(Some(m)) => {
                        if let Err(e) = ws.send(m).await {
                            break Err(e);
                        }
                    }
                    other => break other,
                }
            };
            let _ = tx.send(Seen { info, path, end });
        }
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rfc8441_5_subprotocols_and_deflate_are_negotiated_as_over_http1() {
    both(async |tls| {
        let (tx, mut seen) = mpsc::unbounded_channel();
        let server_config = ServerConfig::default().protocols(["v1", "v3"]);
        let server = Http2Server::start(tls, server_config, reporting(tx)).await;
        let config = client_config(tls).protocols(["v2", "v1"]);
        let mut ws = tether_tokio::connect(&server.url("/chat?room=1"), &config)
            .await
            .unwrap();
        let mine = ws.info().negotiated;
        assert_eq!(mine.protocol.as_deref(), Some("v1"));
        assert_eq!(
            mine.deflate().map(|d| d.to_header_value()).as_deref(),
            Some(
                "permessage-deflate; server_no_context_takeover; server_max_window_bits=12; \
                 client_max_window_bits=12"
            )
        );
        // Compressed both ways: a repetitive text costs far fewer bytes than its length.
        let text = "all work and no play makes jack a dull boy ".repeat(2000);
        let before = ws.info().stats.bytes_received;
        ws.send(text.clone()).await.unwrap();
        assert_eq!(ws.recv().await.unwrap(), Some(Message::text(text.clone())));
        let wire = ws.info().stats.bytes_received - before;
        assert!(
            wire * 10 < text.len() as u64,
            "{wire} bytes for {}",
            text.len()
        );
        ws.close(CloseCode::NORMAL, "").await.unwrap();
        let server_side = seen.recv().await.unwrap();
        assert_eq!(server_side.path, "/chat");
        assert_eq!(server_side.info.http_version, HttpVersion::Http2);
        assert_eq!(server_side.info.negotiated, mine);
        assert_eq!(server_side.info.tls, tls.is_some());
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rfc6455_7_close_codes_and_reasons_both_ways_over_http2() {
    both(async |tls| {
        let (tx, mut seen) = mpsc::unbounded_channel();
        let server = Http2Server::start(tls, ServerConfig::default(), reporting(tx)).await;
        // The client closes with 4000 and a reason; the server's receive reports them.
        let mut ws = tether_tokio::connect(&server.url("/"), &client_config(tls))
            .await
            .unwrap();
        let answer = ws
            .close(CloseCode::from(4000), "client says bye")
            .await
            .unwrap();
        assert_eq!(
            (answer.code.as_u16(), answer.reason.as_str()),
            (4000, "client says bye")
        );
        match seen.recv().await.unwrap().end {
            Err(Error::Closed { code, reason }) => {
                assert_eq!((code.as_u16(), reason.as_str()), (4000, "client says bye"));
            }
            other => panic!("{other:?}"),
        }
        // The server closes with 4001; the client's receive reports it.
        let mut ws = tether_tokio::connect(&server.url("/"), &client_config(tls))
            .await
            .unwrap();
        ws.send("close 4001 please").await.unwrap();
        match ws.recv().await {
            Err(Error::Closed { code, reason }) => {
                assert_eq!(
                    (code.as_u16(), reason.as_str()),
                    (4001, "bye from the server")
                );
            }
            other => panic!("{other:?}"),
        }
        assert!(seen.recv().await.unwrap().end.is_ok());
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keepalive_pings_flow_over_an_http2_stream() {
    both(async |tls| {
        let pinging = Config::default()
            .ping_interval(Some(Duration::from_millis(50)))
            .ping_timeout(Duration::from_millis(500));
        let server = Http2Server::start(
            tls,
            ServerConfig::default().config(pinging.clone()),
            echo_handler(),
        )
        .await;
        let config = client_config(tls).config(pinging);
        let mut ws = tether_tokio::connect(&server.url("/"), &config)
            .await
            .unwrap();
        let start = ws.info().stats;
        // Silence from the application on both sides: only keepalive speaks, and answers.
        tokio::time::sleep(Duration::from_millis(400)).await;
        let now = ws.info().stats;
        // Each side's pings (2 + 4 + 6 bytes masked from the client, 2 + 6 from the server) and
        // the answers to them went through.
        assert!(
            now.bytes_received - start.bytes_received >= 3 * 8,
            "{now:?}"
        );
        assert!(now.bytes_sent - start.bytes_sent >= 3 * 12, "{now:?}");
        ws.send("still here").await.unwrap();
        assert_eq!(ws.recv().await.unwrap(), Some(Message::text("still here")));
        ws.close(CloseCode::NORMAL, "").await.unwrap();
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_listener_serves_http1_upgrades_and_http2_streams() {
    both(async |tls| {
        let (tx, mut seen) = mpsc::unbounded_channel();
        let server = Http2Server::start(tls, ServerConfig::default(), reporting(tx)).await;
        for (mode, version) in [
            (tether_tokio::HttpMode::Http1, HttpVersion::Http11),
            (tether_tokio::HttpMode::Http2, HttpVersion::Http2),
        ] {
            let config = client_config(tls).http(mode);
            let mut ws = tether_tokio::connect(&server.url("/both"), &config)
                .await
                .unwrap();
            assert_eq!(ws.info().http_version, version);
            ws.send("hi").await.unwrap();
            assert_eq!(ws.recv().await.unwrap(), Some(Message::text("hi")));
            ws.close(CloseCode::NORMAL, "").await.unwrap();
            assert_eq!(seen.recv().await.unwrap().info.http_version, version);
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auto_uses_http2_when_offered_and_falls_back_to_http1_when_not() {
    let pki = pki();
    // ALPN h2 and the extended CONNECT: HTTP/2.
    let (tx, mut seen) = mpsc::unbounded_channel();
    let server = Http2Server::start(Some(&pki), ServerConfig::default(), reporting(tx)).await;
    let auto = client_config(Some(&pki)).http(tether_tokio::HttpMode::Auto);
    let ws = tether_tokio::connect(&server.url("/"), &auto)
        .await
        .unwrap();
    assert_eq!(ws.info().http_version, HttpVersion::Http2);
    drop(ws);
    assert_eq!(
        seen.recv().await.unwrap().info.http_version,
        HttpVersion::Http2
    );
    // ws:// in Auto: HTTP/1.1 (no prior knowledge without being asked).
    let plain = Http2Server::start(None, ServerConfig::default(), echo_handler()).await;
    let auto_plain = ClientConfig::default().http(tether_tokio::HttpMode::Auto);
    let ws = tether_tokio::connect(&plain.url("/"), &auto_plain)
        .await
        .unwrap();
    assert_eq!(ws.info().http_version, HttpVersion::Http11);

    // ALPN h2, but SETTINGS without the extended CONNECT: Auto falls back to HTTP/1.1 on a new
    // connection; HTTP/2 only fails, saying why.
    let mut no_connect =
        hyper_util::server::conn::auto::Builder::new(hyper_util::rt::TokioExecutor::new());
    no_connect.http2().max_concurrent_streams(10);
    let (tx, mut seen) = mpsc::unbounded_channel();
    let server = Http2Server::start_with(
        Some(&pki),
        ServerConfig::default(),
        reporting(tx),
        no_connect,
    )
    .await;
    let mut ws = tether_tokio::connect(&server.url("/"), &auto)
        .await
        .unwrap();
    assert_eq!(ws.info().http_version, HttpVersion::Http11);
    ws.send("over 1.1").await.unwrap();
    assert_eq!(ws.recv().await.unwrap(), Some(Message::text("over 1.1")));
    ws.close(CloseCode::NORMAL, "").await.unwrap();
    assert_eq!(
        seen.recv().await.unwrap().info.http_version,
        HttpVersion::Http11
    );
    let e = tether_tokio::connect(&server.url("/"), &client_config(Some(&pki)))
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Http2Unsupported { .. }), "{e:?}");
    assert!(
        e.to_string().contains("do not enable the extended CONNECT"),
        "{e}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http2_only_against_an_http1_only_server_says_so() {
    // tether's own accept speaks HTTP/1.1 only: the h2c preface gets a 400 back.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            tokio::spawn(async move { tether_tokio::accept(tcp, &ServerConfig::default()).await });
        }
    });
    let config = ClientConfig::default().http(tether_tokio::HttpMode::Http2);
    let e = tether_tokio::connect(&format!("ws://{addr}/"), &config)
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Http2Unsupported { .. }), "{e:?}");
    assert!(e.to_string().contains("does not speak HTTP/2"), "{e}");
}
