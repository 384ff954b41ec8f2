//! Interop with a real browser: headless Chromium loads a page from a tether-std test server
//! (plain HTTP for non-upgrade requests on the same port), whose JavaScript opens
//! `new WebSocket(...)` to tether, exchanges text and binary messages (echoed by tether),
//! answers tether's ping, closes with a code and reason, sees tether's close code, and
//! reports back (a final `RESULT ...` message and a `GET /report?...` request).
//!
//! Chromium comes from `TETHER_CHROMIUM` (`.ci/run` installs Debian's `chromium` and sets it);
//! when it cannot be installed the test prints why and skips.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::Command;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use tether_std::{Accept, CloseCode, Message, SocketConfig, accept_with};
use tether_tests::interop::{KillOnDrop, chromium};

const PAGE: &str = r#"<!doctype html>
<html><head><meta charset="utf-8"><title>tether interop</title></head>
<body><pre id="log"></pre><script>
"use strict";
const log = (s) => { document.getElementById("log").textContent += s + "\n"; };
function open(path, protocols) {
  const ws = new WebSocket(`ws://${location.host}${path}`, protocols);
  ws.binaryType = "arraybuffer";
  const queue = [], waiters = [];
  ws.onmessage = (e) => { const w = waiters.shift(); if (w) w(e.data); else queue.push(e.data); };
  const next = () => new Promise((resolve) => {
    if (queue.length) resolve(queue.shift()); else waiters.push(resolve);
  });
  const opened = new Promise((resolve, reject) => { ws.onopen = resolve; ws.onerror = reject; });
  const closed = new Promise((resolve) => { ws.onclose = resolve; });
  return { ws, next, opened, closed };
}
function sameBytes(a, b) {
  if (!(a instanceof ArrayBuffer) || a.byteLength !== b.byteLength) return false;
  const x = new Uint8Array(a);
  for (let i = 0; i < x.length; i++) if (x[i] !== b[i]) return false;
  return true;
}
async function main() {
  const results = [];
  const check = (name, ok) => { results.push((ok ? "ok:" : "FAIL:") + name); log(name + " " + ok); };
  const c = open("/ws", ["chat.v1", "chat.v2"]);
  await c.opened;
  check("protocol", c.ws.protocol === "chat.v2");
  check("no-extensions", c.ws.extensions === "");
  for (const [name, text] of [["text", "hello from chromium"], ["text-unicode", "κόσμε 😀 ü"],
                              ["text-empty", ""], ["text-70000", "x".repeat(70000)]]) {
    c.ws.send(text);
    check(name, (await c.next()) === text);
  }
  const small = new Uint8Array(256).map((_, i) => i);
  const big = new Uint8Array(1 << 20).map((_, i) => (i * 7) % 251);
  for (const [name, bytes] of [["binary-256", small], ["binary-empty", new Uint8Array(0)],
                               ["binary-1mib", big]]) {
    c.ws.send(bytes);
    check(name, sameBytes(await c.next(), bytes));
  }
  // tether pings, then sends this text; echo it so tether can count the pong before it.
  const afterPing = await c.next();
  check("after-ping", afterPing === "after ping");
  c.ws.send(afterPing);
  check("ack", (await c.next()) === "ack");
  c.ws.send("RESULT " + results.join(" "));
  c.ws.close(4001, "bye from chromium");
  const e1 = await c.closed;
  const d = open("/ws-close", []);
  const e2 = await d.closed;
  await fetch(`/report?client_close=${e1.code}&server_close=${e2.code}` +
              `&server_reason=${encodeURIComponent(e2.reason)}&clean=${e2.wasClean}`);
  log("done");
}
main().catch((e) => fetch("/report?error=" + encodeURIComponent(String(e))));
</script></body></html>
"#;

/// What the test server saw.
#[derive(Debug)]
enum Seen {
    /// The `RESULT ...` message.
    Result(String),
    /// The first WebSocket's end: the browser's close code and reason, the bytes the ping
    /// exchange added.
    Closed(String, u64),
    /// The query of `GET /report?...`.
    Report(String),
    /// A failure on the server's side.
    Error(String),
}

/// Reads the request head without consuming it; whether it asks for a WebSocket upgrade.
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

/// Answers a plain HTTP request: the page for `/`, 204 for `/report?...` (reported), 404.
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
    let (status, kind, body) = if target == "/" {
        ("200 OK", "text/html; charset=utf-8", PAGE)
    } else if let Some(query) = target.strip_prefix("/report?") {
        let _ = tx.send(Seen::Report(query.to_string()));
        ("204 No Content", "text/plain", "")
    } else {
        ("404 Not Found", "text/plain", "")
    };
    write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Type: {kind}\r\nContent-Length: {}\r\n\
         Cache-Control: no-store\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
}

fn websocket(stream: TcpStream, tx: &mpsc::Sender<Seen>) -> Result<(), tether_std::Error> {
    // Uncompressed: the page checks `ws.extensions === ""` and exact pong byte counts
    // (interop_chromium_deflate.rs covers compression).
    let config = SocketConfig::default()
        .keepalive_interval(None)
        .read_timeout(Some(Duration::from_secs(30)))
        .deflate(false);
    let mut path = String::new();
    let mut ws = accept_with(stream, &config, |req| {
        path = req.path().to_string();
        Ok(if req.protocols().iter().any(|p| p == "chat.v2") {
            Accept::default().protocol("chat.v2")
        } else {
            Accept::default()
        })
    })?;
    if path == "/ws-close" {
        ws.close(CloseCode::from(4002), "bye from tether")?;
        return Ok(());
    }
    // Seven echoes, then a ping and a text the page echoes back.
    for _ in 0..7 {
        match ws.recv()? {
            Some(message) => ws.send_message(&message)?,
            None => return Ok(()),
        }
    }
    let before = ws.info().stats.bytes_received;
    ws.send_ping(b"tether ping")?;
    ws.send_text("after ping")?;
    let echoed = ws.recv()?;
    if echoed != Some(Message::Text("after ping".into())) {
        let _ = tx.send(Seen::Error(format!(
            "expected the echo of 'after ping', got {echoed:?}"
        )));
    }
    let ping_bytes = ws.info().stats.bytes_received - before;
    ws.send_text("ack")?;
    match ws.recv()? {
        Some(Message::Text(t)) => {
            let _ = tx.send(Seen::Result(t));
        }
        other => {
            let _ = tx.send(Seen::Error(format!("expected RESULT, got {other:?}")));
        }
    }
    match ws.recv()? {
        None => {
            let f = ws.close_frame().expect("a close frame after a clean end");
            let _ = tx.send(Seen::Closed(
                format!("{} {}", f.code.as_u16(), f.reason),
                ping_bytes,
            ));
        }
        other => {
            let _ = tx.send(Seen::Error(format!("expected the close, got {other:?}")));
        }
    }
    Ok(())
}

#[test]
fn interop_chromium_websocket_echo_and_close() {
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
        "tether-chromium-{}-{}",
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

    let (mut result, mut closed, mut report, mut errors) = (None, None, None, Vec::new());
    let deadline = Instant::now() + Duration::from_secs(60);
    while report.is_none() || result.is_none() || closed.is_none() {
        let Some(left) = deadline.checked_duration_since(Instant::now()) else {
            break;
        };
        match rx.recv_timeout(left) {
            Ok(Seen::Result(r)) => result = Some(r),
            Ok(Seen::Closed(c, n)) => closed = Some((c, n)),
            Ok(Seen::Report(q)) => report = Some(q),
            Ok(Seen::Error(e)) => errors.push(e),
            Err(_) => break,
        }
    }
    let exited_early = browser.0.try_wait().ok().flatten();
    drop(browser);
    let log = stderr
        .recv_timeout(Duration::from_secs(5))
        .unwrap_or_default();
    let _ = std::fs::remove_dir_all(&profile);
    let tail: String = log.lines().rev().take(20).collect::<Vec<_>>().join("\n");

    assert!(errors.is_empty(), "server errors: {errors:#?}");
    let result = result.unwrap_or_else(|| {
        panic!("no RESULT from the page (browser exit: {exited_early:?}); chromium's log:\n{tail}")
    });
    println!("{result}");
    let checks: Vec<&str> = result.trim_start_matches("RESULT ").split(' ').collect();
    let failed: Vec<&&str> = checks.iter().filter(|c| !c.starts_with("ok:")).collect();
    assert!(failed.is_empty(), "the page's checks failed: {failed:?}");
    for name in [
        "protocol",
        "no-extensions",
        "text",
        "text-unicode",
        "text-empty",
        "text-70000",
        "binary-256",
        "binary-empty",
        "binary-1mib",
        "after-ping",
        "ack",
    ] {
        assert!(
            checks.contains(&format!("ok:{name}").as_str()),
            "check {name} missing from {result}"
        );
    }
    let (close, ping_bytes) = closed.expect("the browser's close reached tether");
    assert_eq!(close, "4001 bye from chromium");
    // The browser's pong (masked: 2 + 4 + 11 bytes) came before its echo (2 + 4 + 10).
    assert_eq!(ping_bytes, (2 + 4 + 11) + (2 + 4 + 10));
    let report = report.expect("the page reported back");
    assert_eq!(
        report,
        "client_close=4001&server_close=4002&server_reason=bye%20from%20tether&clean=true"
    );
}
