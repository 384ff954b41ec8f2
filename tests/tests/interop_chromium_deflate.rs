//! permessage-deflate with a real browser: headless Chromium (which offers
//! `permessage-deflate; client_max_window_bits` on every connection) loads a page from a
//! tether-std server with default settings, so compression is negotiated; the page checks
//! `ws.extensions`, exchanges text and binary messages up to 1 MiB (echoed by tether), and
//! reports back. tether checks the agreement and that the browser's messages arrived
//! compressed.
//!
//! Chromium comes from `TETHER_CHROMIUM`, as in `interop_chromium.rs`.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::Command;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use tether_std::{Accept, SocketConfig, accept_with};
use tether_tests::interop::{KillOnDrop, chromium};

const PAGE: &str = r#"<!doctype html>
<html><head><meta charset="utf-8"><title>tether deflate</title></head>
<body><script>
"use strict";
async function main() {
  const ws = new WebSocket(`ws://${location.host}/ws`);
  ws.binaryType = "arraybuffer";
  const queue = [], waiters = [];
  ws.onmessage = (e) => { const w = waiters.shift(); if (w) w(e.data); else queue.push(e.data); };
  const next = () => new Promise((r) => { if (queue.length) r(queue.shift()); else waiters.push(r); });
  await new Promise((resolve, reject) => { ws.onopen = resolve; ws.onerror = reject; });
  const results = ["extensions=" + encodeURIComponent(ws.extensions)];
  const check = (name, ok) => results.push((ok ? "ok:" : "FAIL:") + name);
  check("deflate", ws.extensions.startsWith("permessage-deflate"));
  const json = Array.from({ length: 20000 }, (_, i) => `{"id":${i},"user":"user${i % 97}"}`).join(",");
  for (const [name, text] of [["text", "hello from chromium"], ["text-unicode", "κόσμε 😀 ü".repeat(100)],
                              ["text-empty", ""], ["text-json", json], ["text-json-again", json]]) {
    ws.send(text);
    check(name, (await next()) === text);
  }
  const big = new Uint8Array(1 << 20).map((_, i) => (i * 7) % 251);
  const noise = new Uint8Array(100000).map(() => Math.floor(Math.random() * 256));
  for (const [name, bytes] of [["binary-1mib", big], ["binary-noise", noise], ["binary-empty", new Uint8Array(0)]]) {
    ws.send(bytes);
    const got = new Uint8Array(await next());
    check(name, got.length === bytes.length && got.every((b, i) => b === bytes[i]));
  }
  ws.send("RESULT " + results.join(" "));
  ws.close(1000, "done");
}
main().catch((e) => fetch("/report?error=" + encodeURIComponent(String(e))));
</script></body></html>
"#;

/// What the test server saw.
#[derive(Debug)]
enum Seen {
    /// The page's `RESULT ...`, the agreement tether reports, and bytes received against
    /// payload received before it.
    Result(String, Option<String>, u64, u64),
    /// A failure, on the server's side or reported by the page.
    Error(String),
}

fn is_upgrade(stream: &TcpStream) -> std::io::Result<bool> {
    let mut buf = vec![0; 8192];
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let n = stream.peek(&mut buf)?;
        let head = &buf[..n];
        if n == 0 || head.windows(4).any(|w| w == b"\r\n\r\n") || n == buf.len() {
            let text = String::from_utf8_lossy(head).to_ascii_lowercase();
            return Ok(text.contains("upgrade: websocket"));
        }
        if Instant::now() > deadline {
            return Ok(false);
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// The page for `/`, a report for `/report?...`, 404 otherwise.
fn http(mut stream: TcpStream, tx: &mpsc::Sender<Seen>) -> std::io::Result<()> {
    let mut head = Vec::new();
    let mut byte = [0; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if stream.read(&mut byte)? == 0 {
            return Ok(());
        }
        head.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&head);
    let target = head.split(' ').nth(1).unwrap_or("/");
    let (status, body) = if target == "/" {
        ("200 OK", PAGE)
    } else if let Some(query) = target.strip_prefix("/report?") {
        let _ = tx.send(Seen::Error(format!("the page failed: {query}")));
        ("204 No Content", "")
    } else {
        ("404 Not Found", "")
    };
    write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\n\
         Cache-Control: no-store\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
}

fn websocket(stream: TcpStream, tx: &mpsc::Sender<Seen>) -> Result<(), tether_std::Error> {
    let config = SocketConfig::default()
        .keepalive_interval(None)
        .read_timeout(Some(Duration::from_secs(30)));
    let mut ws = accept_with(stream, &config, |_| Ok(Accept::default()))?;
    let deflate = ws.info().deflate().map(|e| e.to_header_value());
    let mut payload = 0;
    let start = ws.info().stats.bytes_received;
    while let Some(message) = ws.recv()? {
        if let Some(result) = message.as_text().and_then(|t| t.strip_prefix("RESULT ")) {
            let wire = ws.info().stats.bytes_received - start;
            let _ = tx.send(Seen::Result(result.to_string(), deflate, wire, payload));
            break;
        }
        payload += message.as_bytes().len() as u64;
        ws.send_message(&message)?;
    }
    let _ = ws.recv();
    Ok(())
}

#[test]
fn interop_chromium_negotiates_deflate_with_a_tether_server() {
    let Some(chromium) = chromium() else { return };
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { return };
            let tx = tx.clone();
            std::thread::spawn(move || {
                let result = match is_upgrade(&stream) {
                    Ok(true) => websocket(stream, &tx),
                    Ok(false) => http(stream, &tx).map_err(tether_std::Error::Io),
                    Err(e) => Err(tether_std::Error::Io(e)),
                };
                if let Err(e) = result {
                    let _ = tx.send(Seen::Error(e.to_string()));
                }
            });
        }
    });
    let profile = std::env::temp_dir().join(format!(
        "tether-chromium-deflate-{}-{}",
        std::process::id(),
        addr.port()
    ));
    let mut browser = KillOnDrop::spawn(
        Command::new(&chromium)
            .args([
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-quic",
                "--disable-extensions",
                "--disable-dev-shm-usage",
            ])
            .arg(format!("--user-data-dir={}", profile.display()))
            .arg(format!("http://{addr}/")),
    );
    let stderr = browser.stderr_text();
    let seen = rx.recv_timeout(Duration::from_secs(60));
    drop(browser);
    let log = stderr
        .recv_timeout(Duration::from_secs(5))
        .unwrap_or_default();
    let _ = std::fs::remove_dir_all(&profile);
    let tail: String = log.lines().rev().take(20).collect::<Vec<_>>().join("\n");
    let (result, deflate, wire, payload) = match seen {
        Ok(Seen::Result(r, d, w, p)) => (r, d, w, p),
        Ok(Seen::Error(e)) => panic!("{e}"),
        Err(_) => panic!("no RESULT from the page; chromium's log:\n{tail}"),
    };
    println!("{result}\ntether: {deflate:?}, {wire} bytes for {payload} bytes of payload");
    let checks: Vec<&str> = result.split(' ').collect();
    let failed: Vec<&&str> = checks.iter().filter(|c| c.starts_with("FAIL")).collect();
    assert!(failed.is_empty(), "the page's checks failed: {failed:?}");
    for name in [
        "deflate",
        "text",
        "text-unicode",
        "text-empty",
        "text-json",
        "text-json-again",
        "binary-1mib",
        "binary-noise",
        "binary-empty",
    ] {
        assert!(
            checks.contains(&format!("ok:{name}").as_str()),
            "check {name} missing from {result}"
        );
    }
    // Chromium offers `permessage-deflate; client_max_window_bits`; tether accepts as is.
    assert_eq!(deflate.as_deref(), Some("permessage-deflate"));
    assert_eq!(checks[0], "extensions=permessage-deflate");
    // The browser compressed: ~1.9 MiB of payload (100 KB of it noise) in far fewer bytes.
    assert!(wire * 5 < payload, "{wire} bytes on the wire for {payload}");
}
