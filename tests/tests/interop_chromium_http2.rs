//! Interop with a real browser over HTTP/2 (RFC 8441): headless Chromium loads a page from a
//! tether server over TLS (ALPN `h2`), and the page's `new WebSocket("wss://...")` goes over
//! that HTTP/2 connection as an extended CONNECT — the server's socket reports it arrived as
//! an HTTP/2 stream (`ConnectionInfo::http_version`), and the test asserts it. The server is
//! hyper with `tether_tokio::upgrade` (the test kit's `Http2Server` routes, its own page).
//!
//! Chromium trusts the test's certificate by its key (`--ignore-certificate-errors-spki-list`
//! with the SHA-256 of the leaf's SubjectPublicKeyInfo), so the connection is an ordinary
//! trusted one and can carry WebSockets.

use std::convert::Infallible;
use std::time::{Duration, Instant};

use http_body_util::Full;
use hyper_util::rt::TokioIo;
use tether_tests::adapter::runtime;
use tether_tests::interop::{KillOnDrop, chromium, headless_chromium};
use tether_tokio::{Bytes, HttpVersion, ServerConfig};
use tokio::sync::mpsc;

const PAGE: &str = r#"<!doctype html>
<html><head><meta charset="utf-8"><title>tether over HTTP/2</title></head>
<body><pre id="log"></pre><script>
"use strict";
async function main() {
  const nav = performance.getEntriesByType("navigation")[0];
  const ws = new WebSocket(`wss://${location.host}/ws`, ["chat.v2"]);
  ws.binaryType = "arraybuffer";
  const queue = [], waiters = [];
  ws.onmessage = (e) => { const w = waiters.shift(); if (w) w(e.data); else queue.push(e.data); };
  const next = () => new Promise((r) => { if (queue.length) r(queue.shift()); else waiters.push(r); });
  await new Promise((resolve, reject) => { ws.onopen = resolve; ws.onerror = reject; });
  const results = ["page=" + nav.nextHopProtocol, "protocol=" + ws.protocol,
                   "extensions=" + encodeURIComponent(ws.extensions)];
  const check = (name, ok) => results.push((ok ? "ok:" : "FAIL:") + name);
  for (const [name, text] of [["text", "hello over HTTP/2"], ["text-unicode", "κόσμε 😀"],
                              ["text-70000", "x".repeat(70000)]]) {
    ws.send(text);
    check(name, (await next()) === text);
  }
  const big = new Uint8Array(1 << 20).map((_, i) => (i * 7) % 251);
  ws.send(big);
  const got = new Uint8Array(await next());
  check("binary-1mib", got.length === big.length && got.every((b, i) => b === big[i]));
  ws.send("RESULT " + results.join(" "));
  const closed = new Promise((r) => { ws.onclose = r; });
  ws.close(4001, "bye from chromium");
  const e = await closed;
  await fetch(`/report?code=${e.code}&clean=${e.wasClean}`);
}
main().catch((e) => fetch("/report?error=" + encodeURIComponent(String(e))));
</script></body></html>
"#;

/// What the server saw.
#[derive(Debug)]
enum Seen {
    /// A WebSocket arrived over this HTTP version.
    Socket(HttpVersion),
    /// The page's `RESULT ...`.
    Result(String),
    /// The close the browser sent.
    Closed(String),
    /// The query of `GET /report?...`.
    Report(String),
}

/// The SHA-256 of `der`, base64: what `--ignore-certificate-errors-spki-list` takes.
fn spki_hash(der: &[u8]) -> String {
    use base64::Engine as _;
    let digest = ring::digest::digest(&ring::digest::SHA256, der);
    base64::engine::general_purpose::STANDARD.encode(digest.as_ref())
}

async fn route(
    mut req: hyper::Request<hyper::body::Incoming>,
    tx: mpsc::UnboundedSender<Seen>,
) -> Result<hyper::Response<Full<Bytes>>, Infallible> {
    let path = req.uri().path().to_owned();
    if tether_tokio::is_upgrade_request(&req) {
        let config = ServerConfig::default().protocols(["chat.v2"]);
        return Ok(match tether_tokio::upgrade(&mut req, &config) {
            Ok((response, upgrading)) => {
                tokio::spawn(async move {
                    let Ok(mut ws) = upgrading.await else { return };
                    let _ = tx.send(Seen::Socket(ws.info().http_version));
                    loop {
                        match ws.recv().await {
                            Ok(Some(m))
                                if m.as_text().is_some_and(|t| t.starts_with("RESULT ")) =>
                            {
                                let text = m.as_text().unwrap_or_default().to_owned();
                                let _ = tx.send(Seen::Result(text));
                            }
                            Ok(Some(m)) => {
                                if ws.send(m).await.is_err() {
                                    return;
                                }
                            }
                            Ok(None) => return,
                            Err(e) => {
                                let _ = tx.send(Seen::Closed(e.to_string()));
                                return;
                            }
                        }
                    }
                });
                response
            }
            Err(refusal) => refusal,
        });
    }
    let body = if path == "/" {
        PAGE.to_owned()
    } else if path == "/report" {
        let _ = tx.send(Seen::Report(req.uri().query().unwrap_or("").to_owned()));
        String::new()
    } else {
        String::new()
    };
    let mut response = hyper::Response::new(Full::new(Bytes::from(body)));
    response.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("text/html; charset=utf-8"),
    );
    Ok(response)
}

#[test]
fn chromium_opens_a_websocket_over_tls_http2_and_the_server_sees_an_http2_stream() {
    let Some(chromium) = chromium() else { return };
    let key = rcgen::KeyPair::generate().expect("a key");
    let cert = rcgen::CertificateParams::new(vec!["localhost".to_string()])
        .expect("params")
        .self_signed(&key)
        .expect("a certificate");
    let tls =
        tether_tokio::tls::server_config_pem(cert.pem().as_bytes(), key.serialize_pem().as_bytes())
            .expect("a TLS config");
    let tls = tether_tests::http2::alpn_h2(&tls);
    let (tx, mut rx) = mpsc::unbounded_channel();
    let addr = runtime().block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                let (tls, tx) = (tls.clone(), tx.clone());
                tokio::spawn(async move {
                    let Ok(stream) = tether_tokio::TlsStream::accept(tcp, tls).await else {
                        return;
                    };
                    let service = hyper::service::service_fn(move |req| route(req, tx.clone()));
                    let _ = tether_tokio::http_server()
                        .serve_connection_with_upgrades(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        addr
    });
    let profile = std::env::temp_dir().join(format!("tether-chromium-h2-{}", std::process::id()));
    let mut browser = KillOnDrop::spawn(
        headless_chromium(&chromium, &profile)
            .arg(format!(
                "--ignore-certificate-errors-spki-list={}",
                spki_hash(&rcgen::PublicKeyData::subject_public_key_info(&key))
            ))
            .arg("--host-resolver-rules=MAP localhost 127.0.0.1")
            .arg(format!("https://localhost:{}/", addr.port())),
    );
    let stderr = browser.stderr_text();
    let mut seen = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    while !seen.iter().any(|s| matches!(s, Seen::Report(_))) {
        let Some(left) = deadline.checked_duration_since(Instant::now()) else {
            break;
        };
        match runtime().block_on(async { tokio::time::timeout(left, rx.recv()).await }) {
            Ok(Some(s)) => seen.push(s),
            _ => break,
        }
    }
    drop(browser);
    let _ = std::fs::remove_dir_all(&profile);
    let log = stderr
        .recv_timeout(Duration::from_secs(5))
        .unwrap_or_default();
    println!("{seen:#?}");
    assert!(
        seen.iter().any(|s| matches!(s, Seen::Report(_))),
        "the page did not finish; saw {seen:#?}; chromium's log:\n{}",
        log.lines().rev().take(20).collect::<Vec<_>>().join("\n")
    );
    let mut checked = 0;
    for s in &seen {
        match s {
            // The point: the WebSocket came as an HTTP/2 stream, on the page's connection.
            Seen::Socket(version) => assert_eq!(*version, HttpVersion::Http2),
            Seen::Result(result) => {
                let checks: Vec<&str> = result.split(' ').skip(1).collect();
                assert!(!checks.iter().any(|c| c.starts_with("FAIL")), "{result}");
                for want in [
                    "page=h2",
                    "protocol=chat.v2",
                    "extensions=permessage-deflate%3B%20server_no_context_takeover%3B%20server_max_window_bits%3D12%3B%20client_max_window_bits%3D12",
                    "ok:text",
                    "ok:text-unicode",
                    "ok:text-70000",
                    "ok:binary-1mib",
                ] {
                    assert!(checks.contains(&want), "{want} missing from {result}");
                }
            }
            Seen::Closed(close) => {
                assert_eq!(close, "connection closed with 4001 \"bye from chromium\"");
            }
            Seen::Report(report) => assert_eq!(report, "code=4001&clean=true"),
        }
        checked += 1;
    }
    assert_eq!(checked, 4, "{seen:#?}");
}
