//! Fan-out interop: a tether-tokio server publishes through a [`Hub`] to subscribers that are
//! Python `websockets` clients or WebSockets of headless Chromium, with permessage-deflate
//! negotiated in several parameter sets: each subscriber checks every message, and the server
//! checks that each compressible message was compressed once per shareable parameter set
//! (`PreparedMessage::compressions`), not once per subscriber, and went out compressed.
//!
//! The server picks its compression settings by the request's path:
//!
//! | path | settings | compresses |
//! |---|---|---|
//! | `/shared` | no context takeover, 12-bit window (the server's default) | once for all of them |
//! | `/shared10` | no context takeover, 10-bit window | once for all of them |
//! | `/own` | context takeover allowed | itself, unless the client asked for no context takeover (then with `/shared`) |
//! | `/plain` | compression declined | never |
//!
//! The tools come from `TETHER_PYTHON` and `TETHER_CHROMIUM` (see `interop_python.rs` and
//! `interop_chromium.rs`); without them the tests print why and skip, except in CI.

use std::collections::BTreeMap;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use tether_proto::deflate::DeflateConfig;
use tether_tests::interop::{KillOnDrop, chromium, headless_chromium, python, scripts_dir};
use tether_tokio::{Config, Hub, HubConfig, Message, PreparedMessage, ServerConfig};
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};

/// What the server saw on one subscriber's connection, reported when it ended.
#[derive(Debug)]
struct Seen {
    path: String,
    deflate: Option<String>,
    /// The subscriber's `RESULT ...` message.
    result: Option<String>,
    /// Bytes the server wrote after the subscriber was ready (the published messages).
    wire: u64,
    end: String,
}

/// The published messages; `tests/interop/ws_hub_clients.py` and the page build the same.
fn published() -> Vec<Message> {
    let json = |n: usize| -> String {
        (0..n)
            .map(|i| format!("{{\"id\":{i},\"user\":\"user{}\"}},", i % 97))
            .collect()
    };
    let mut x = 0x2545_f491_u32;
    let noise: Vec<u8> = (0..20_000)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            (x >> 7) as u8
        })
        .collect();
    vec![
        Message::text("hello hub"),
        Message::text(json(200)),
        Message::text(json(200)),
        Message::binary(
            (0..100_000u32)
                .map(|i| (i * 7 % 251) as u8)
                .collect::<Vec<u8>>(),
        ),
        Message::text(json(12_000)),
        Message::binary(noise),
        Message::binary(Vec::new()),
        Message::text("κόσμε 😀 ü ".repeat(100)),
    ]
}

/// Compressions expected of each published message: once per shareable parameter set (two:
/// `/shared` and `/shared10`) for the compressible ones; none for those below the threshold,
/// that look incompressible or are empty.
const COMPRESSIONS: [usize; 8] = [0, 2, 2, 2, 2, 0, 0, 2];

/// The payload bytes of the published messages.
fn payload() -> u64 {
    published().iter().map(|m| m.len() as u64).sum()
}

fn config_for(path: &str) -> ServerConfig {
    let protocol = Config::default()
        .max_message_size(64 << 20)
        .ping_interval(None);
    let deflate = DeflateConfig::default();
    let protocol = match path {
        "/shared" => protocol.deflate(Some(deflate.server_no_context_takeover(true))),
        "/shared10" => protocol.deflate(Some(
            deflate
                .server_no_context_takeover(true)
                .server_max_window_bits(10),
        )),
        "/own" => protocol.deflate(Some(deflate)),
        _ => protocol.deflate(None),
    };
    ServerConfig::default().config(protocol)
}

/// The request head, peeked (left in the socket): its path, and whether it is an upgrade.
async fn peek_head(tcp: &TcpStream) -> std::io::Result<(String, bool)> {
    let mut buf = vec![0; 8192];
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let n = tcp.peek(&mut buf).await?;
        let head = &buf[..n];
        if n == 0 || head.windows(4).any(|w| w == b"\r\n\r\n") || n == buf.len() {
            let text = String::from_utf8_lossy(head).to_ascii_lowercase();
            let path = text.split(' ').nth(1).unwrap_or("/").to_owned();
            return Ok((path, text.contains("upgrade: websocket")));
        }
        if Instant::now() > deadline {
            return Ok((String::new(), false));
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// A tether server on 127.0.0.1 that answers plain HTTP requests with `page` and subscribes
/// every WebSocket to one hub topic; once `subscribers` of them said `ready`, it publishes
/// [`published`] as prepared messages. Returns its address, the prepared messages (to read
/// their counters) and the reports of the connections.
fn hub_server(
    runtime: &tokio::runtime::Runtime,
    subscribers: usize,
    page: String,
) -> (String, Vec<PreparedMessage>, mpsc::Receiver<Seen>) {
    let listener = runtime.block_on(TcpListener::bind("127.0.0.1:0")).unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let hub = Hub::new(HubConfig::default());
    let prepared: Vec<PreparedMessage> =
        published().into_iter().map(PreparedMessage::new).collect();
    let (tx, rx) = mpsc::channel();
    let ready = Arc::new(AtomicUsize::new(0));
    let (all_ready, wait_ready) = mpsc::channel::<()>();
    {
        let (hub, prepared) = (hub.clone(), prepared.clone());
        // Publishing never waits: a plain thread does it.
        std::thread::spawn(move || {
            if wait_ready.recv().is_err() {
                return;
            }
            for p in &prepared {
                let published = hub.publish_prepared("feed", p);
                assert_eq!(published.delivered, subscribers, "{published:?}");
            }
        });
    }
    let page = Arc::new(page);
    runtime.spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            let (hub, tx, ready, all_ready, page) = (
                hub.clone(),
                tx.clone(),
                ready.clone(),
                all_ready.clone(),
                page.clone(),
            );
            tokio::spawn(async move {
                let Ok((path, upgrade)) = peek_head(&tcp).await else {
                    return;
                };
                if !upgrade {
                    let mut tcp = tcp;
                    let _ = tcp
                        .write_all(
                            format!(
                                "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n\
                                 Content-Length: {}\r\nCache-Control: no-store\r\n\
                                 Connection: close\r\n\r\n{page}",
                                page.len()
                            )
                            .as_bytes(),
                        )
                        .await;
                    return;
                }
                let mut ws = match tether_tokio::accept(tcp, &config_for(&path)).await {
                    Ok(ws) => ws,
                    Err(e) => {
                        let _ = tx.send(Seen {
                            path,
                            deflate: None,
                            result: None,
                            wire: 0,
                            end: format!("accept failed: {e}"),
                        });
                        return;
                    }
                };
                let deflate = ws.info().negotiated.deflate().map(|e| e.to_header_value());
                let _member = hub.join("feed", &ws);
                let (mut start, mut result) = (0, None);
                let end = loop {
                    match ws.recv().await {
                        Ok(Some(m)) if m.as_text() == Some("ready") => {
                            start = ws.info().stats.bytes_sent;
                            if ready.fetch_add(1, Ordering::SeqCst) + 1 == subscribers {
                                let _ = all_ready.send(());
                            }
                        }
                        Ok(Some(m)) if m.as_text().is_some_and(|t| t.starts_with("RESULT ")) => {
                            result = m.as_text().map(str::to_owned);
                        }
                        Ok(Some(m)) => break format!("unexpected {m:?}"),
                        Ok(None) => break "closed".to_owned(),
                        Err(e) => break format!("error: {e}"),
                    }
                };
                let wire = ws.info().stats.bytes_sent - start;
                let _ = tx.send(Seen {
                    path,
                    deflate,
                    result,
                    wire,
                    end,
                });
            });
        }
    });
    (addr, prepared, rx)
}

/// Collects `n` reports (a minute at most).
fn collect(rx: &mpsc::Receiver<Seen>, n: usize) -> Vec<Seen> {
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut seen = Vec::new();
    while seen.len() < n {
        let Some(left) = deadline.checked_duration_since(Instant::now()) else {
            break;
        };
        match rx.recv_timeout(left) {
            Ok(s) => seen.push(s),
            Err(_) => break,
        }
    }
    seen
}

/// The server's side of the checks: every subscriber closed normally after its result; the
/// compressing ones received far fewer bytes than the payload, the plain ones all of it;
/// compression ran once per shareable parameter set.
fn check_server_side(seen: &[Seen], prepared: &[PreparedMessage], expected: usize) {
    println!("{seen:#?}");
    assert_eq!(seen.len(), expected, "reports: {seen:#?}");
    let payload = payload();
    let mut per_path: BTreeMap<&str, usize> = BTreeMap::new();
    for s in seen {
        assert_eq!(s.end, "closed", "{s:?}");
        assert_eq!(
            s.result.as_deref(),
            Some(format!("RESULT {} ok", s.path).as_str()),
            "{s:?}"
        );
        *per_path.entry(&s.path).or_default() += 1;
        if s.path == "/plain" {
            assert_eq!(s.deflate, None, "{s:?}");
            assert!(s.wire >= payload, "{s:?}: {payload} bytes of payload");
        } else {
            assert!(s.deflate.is_some(), "{s:?}");
            assert!(s.wire * 3 < payload, "{s:?}: {payload} bytes of payload");
        }
    }
    println!("subscribers per path: {per_path:?}");
    let compressions: Vec<usize> = prepared.iter().map(PreparedMessage::compressions).collect();
    assert_eq!(compressions, COMPRESSIONS);
}

#[test]
fn websockets_clients_receive_prepared_compressed_messages_from_a_hub() {
    let Some(python) = python() else { return };
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (addr, prepared, rx) = hub_server(&runtime, 6, String::new());
    let mut child = KillOnDrop::spawn(
        Command::new(&python)
            .arg(scripts_dir().join("ws_hub_clients.py"))
            .arg(format!("ws://{addr}")),
    );
    let lines = child.stdout_lines();
    let stderr = child.stderr_text();
    let mut all = Vec::new();
    let done = loop {
        match lines.recv_timeout(Duration::from_secs(60)) {
            Ok(line) if line.starts_with("DONE") => break Some(line),
            Ok(line) => all.push(line),
            Err(_) => break None,
        }
    };
    let exited = child.wait_for(Duration::from_secs(10));
    let errors = stderr
        .recv_timeout(Duration::from_secs(5))
        .unwrap_or_default();
    println!("{}", all.join("\n"));
    let failed: Vec<&String> = all.iter().filter(|l| l.starts_with("FAIL")).collect();
    assert!(failed.is_empty(), "{failed:#?}\n{errors}");
    assert!(
        done.as_deref()
            .is_some_and(|d| d.starts_with("DONE 0 failures"))
            && exited,
        "{done:?}\n{errors}"
    );
    // Every client checked every message: 6 clients × 8 messages.
    let received = all
        .iter()
        .filter(|l| l.starts_with("OK") && l.contains("-message-"))
        .count();
    assert_eq!(received, 6 * 8);
    let seen = collect(&rx, 6);
    check_server_side(&seen, &prepared, 6);
}

/// Five WebSockets in one page (Chromium always offers `permessage-deflate;
/// client_max_window_bits`): two on `/shared`, one each on `/shared10`, `/own`, `/plain`.
const PAGE: &str = r#"<!doctype html>
<html><head><meta charset="utf-8"><title>tether hub</title></head>
<body><script>
"use strict";
function published() {
  const json = (n) => Array.from({ length: n }, (_, i) => `{"id":${i},"user":"user${i % 97}"},`).join("");
  let x = 0x2545f491;
  const noise = new Uint8Array(20000).map(() => {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    return (x >>> 7) & 255;
  });
  return ["hello hub", json(200), json(200), new Uint8Array(100000).map((_, i) => (i * 7) % 251),
          json(12000), noise, new Uint8Array(0), "κόσμε 😀 ü ".repeat(100)];
}
function same(got, want) {
  if (typeof want === "string") return got === want;
  if (!(got instanceof ArrayBuffer) || got.byteLength !== want.length) return false;
  const g = new Uint8Array(got);
  return g.every((b, i) => b === want[i]);
}
function subscriber(path) {
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://${location.host}${path}`);
    ws.binaryType = "arraybuffer";
    const want = published(), got = [];
    ws.onopen = () => ws.send("ready");
    ws.onmessage = (e) => {
      got.push(e.data);
      if (got.length < want.length) return;
      const bad = want.map((w, i) => same(got[i], w) ? null : i).filter((i) => i !== null);
      const compressed = path === "/plain" ? ws.extensions === "" : ws.extensions.startsWith("permessage-deflate");
      ws.send(bad.length === 0 && compressed ? `RESULT ${path} ok` : `RESULT ${path} FAIL ${bad} ext=${ws.extensions}`);
      ws.close(1000, "done");
    };
    ws.onclose = resolve;
    ws.onerror = resolve;
  });
}
Promise.all(["/shared", "/shared", "/shared10", "/own", "/plain"].map(subscriber));
</script></body></html>
"#;

#[test]
fn chromium_websockets_receive_prepared_compressed_messages_from_a_hub() {
    let Some(chromium) = chromium() else { return };
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (addr, prepared, rx) = hub_server(&runtime, 5, PAGE.to_owned());
    let profile = std::env::temp_dir().join(format!("tether-chromium-hub-{}", std::process::id()));
    let mut browser =
        KillOnDrop::spawn(headless_chromium(&chromium, &profile).arg(format!("http://{addr}/")));
    let stderr = browser.stderr_text();
    let seen = collect(&rx, 5);
    drop(browser);
    let _ = std::fs::remove_dir_all(&profile);
    if seen.len() < 5 {
        let log = stderr
            .recv_timeout(Duration::from_secs(5))
            .unwrap_or_default();
        let tail: Vec<&str> = log.lines().rev().take(20).collect();
        panic!("saw {seen:#?}; chromium's log:\n{}", tail.join("\n"));
    }
    check_server_side(&seen, &prepared, 5);
}
