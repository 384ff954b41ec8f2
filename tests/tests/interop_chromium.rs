//! Interop with a real browser, against tether-std and tether-tokio alike: headless Chromium
//! loads a page from a tether test server (plain HTTP for non-upgrade requests on the same
//! port), whose JavaScript opens `new WebSocket(...)` to tether and reports back.
//!
//! - uncompressed (tether declines Chromium's permessage-deflate offer): text and binary
//!   messages echoed, tether's ping answered before the next echo, closes with a code and
//!   reason both ways (a final `RESULT ...` message and a `GET /report?...` request);
//! - compressed (tether accepts the offer): the agreement on both sides, messages up to 1 MiB,
//!   and the browser's messages arriving compressed.
//!
//! Chromium comes from `TETHER_CHROMIUM` (`.ci/run` installs Debian's `chromium` and sets it);
//! when it cannot be installed the test prints why and skips.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use tether_std::{Accept, CloseCode, Config, Error, Message, ServerConfig};
use tether_tests::adapter::{Adapter, Socket, Std, Tokio};
use tether_tests::interop::{KillOnDrop, chromium, headless_chromium};

/// The page of the uncompressed run: echoes, a ping, closes both ways, a report.
const PLAIN_PAGE: &str = r#"<!doctype html>
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

/// The page of the compressed run: echoes up to 1 MiB, then the result.
const DEFLATE_PAGE: &str = r#"<!doctype html>
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

/// Which run.
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
enum Variant {
    /// Uncompressed: [`PLAIN_PAGE`], [`plain_socket`].
    Plain,
    /// permessage-deflate: [`DEFLATE_PAGE`], [`deflate_socket`].
    Deflate,
}

/// What the test server saw.
#[derive(Debug)]
enum Seen {
    /// The page's `RESULT ...`; with deflate, the agreement tether reports and the bytes
    /// received against the payload received before it.
    Result {
        checks: String,
        deflate: Option<String>,
        wire: u64,
        payload: u64,
    },
    /// The first WebSocket's end: the browser's close code and reason, the bytes the ping
    /// exchange added.
    Closed(String, u64),
    /// The query of `GET /report?...`.
    Report(String),
    /// A failure, on the server's side or reported by the page.
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

/// Answers a plain HTTP request: `page` for `/`, 204 for `/report?...` (reported), 404.
fn http(mut stream: TcpStream, page: &str, tx: &mpsc::Sender<Seen>) -> std::io::Result<()> {
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
        ("200 OK", "text/html; charset=utf-8", page)
    } else if let Some(query) = target.strip_prefix("/report?") {
        let seen = if query.starts_with("error=") {
            Seen::Error(format!("the page failed: {query}"))
        } else {
            Seen::Report(query.to_string())
        };
        let _ = tx.send(seen);
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

/// The uncompressed run's WebSocket: on `/ws-close` closes with 4002 at once; else seven
/// echoes, a ping and a text the page echoes back, an ack, the page's result, its close.
fn plain_socket<A: Adapter>(stream: TcpStream, tx: &mpsc::Sender<Seen>) -> Result<(), Error> {
    // Uncompressed: the page checks `ws.extensions === ""` and exact pong byte counts.
    let path = Arc::new(Mutex::new(String::new()));
    let seen_path = path.clone();
    let config = ServerConfig::default()
        .config(Config::default().ping_interval(None).deflate(None))
        .read_timeout(Some(Duration::from_secs(30)))
        .on_request(move |req| {
            *seen_path.lock().unwrap() = req.path().to_owned();
            Ok(if req.protocols().iter().any(|p| p == "chat.v2") {
                Accept::default().protocol("chat.v2")
            } else {
                Accept::default()
            })
        });
    let mut ws = A::accept(stream, &config)?;
    if *path.lock().unwrap() == "/ws-close" {
        ws.close(CloseCode::from(4002), "bye from tether")?;
        return Ok(());
    }
    for _ in 0..7 {
        match ws.recv()? {
            Some(message) => ws.send(message)?,
            None => return Ok(()),
        }
    }
    let before = ws.info().stats.bytes_received;
    ws.ping(b"tether ping")?;
    ws.send("after ping")?;
    let echoed = ws.recv()?;
    if echoed != Some(Message::text("after ping")) {
        let _ = tx.send(Seen::Error(format!(
            "expected the echo of 'after ping', got {echoed:?}"
        )));
    }
    let ping_bytes = ws.info().stats.bytes_received - before;
    ws.send("ack")?;
    match ws.recv()? {
        Some(m) if m.is_text() => {
            let _ = tx.send(Seen::Result {
                checks: m.as_text().unwrap_or_default().to_owned(),
                deflate: None,
                wire: 0,
                payload: 0,
            });
        }
        other => {
            let _ = tx.send(Seen::Error(format!("expected RESULT, got {other:?}")));
        }
    }
    // The browser closes with 4001: not a normal end, so the receive reports it.
    match ws.recv() {
        Err(Error::Closed { code, reason }) => {
            let _ = tx.send(Seen::Closed(
                format!("{} {reason}", code.as_u16()),
                ping_bytes,
            ));
        }
        other => {
            let _ = tx.send(Seen::Error(format!("expected the close, got {other:?}")));
        }
    }
    Ok(())
}

/// The compressed run's WebSocket: echoes until the page's result, which it reports with the
/// agreement and the byte counts.
fn deflate_socket<A: Adapter>(stream: TcpStream, tx: &mpsc::Sender<Seen>) -> Result<(), Error> {
    let config = ServerConfig::default()
        .config(Config::default().ping_interval(None))
        .read_timeout(Some(Duration::from_secs(30)));
    let mut ws = A::accept(stream, &config)?;
    let deflate = ws.info().negotiated.deflate().map(|e| e.to_header_value());
    let mut payload = 0;
    let start = ws.info().stats.bytes_received;
    while let Some(message) = ws.recv()? {
        if let Some(result) = message.as_text().and_then(|t| t.strip_prefix("RESULT ")) {
            let wire = ws.info().stats.bytes_received - start;
            let _ = tx.send(Seen::Result {
                checks: result.to_owned(),
                deflate,
                wire,
                payload,
            });
            break;
        }
        payload += message.len() as u64;
        ws.send(message)?;
    }
    let _ = ws.recv();
    Ok(())
}

/// Serves the run's page and WebSockets with adapter `A`, runs headless Chromium on it, and
/// collects what the server saw until `done` says it is all there (or a minute passed).
fn browse<A: Adapter>(variant: Variant, done: impl Fn(&[Seen]) -> bool) -> Option<Vec<Seen>> {
    let chromium = chromium()?;
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { return };
            let tx = tx.clone();
            std::thread::spawn(move || {
                let page = match variant {
                    Variant::Plain => PLAIN_PAGE,
                    Variant::Deflate => DEFLATE_PAGE,
                };
                let result = match is_upgrade(&stream) {
                    Ok(true) => match variant {
                        Variant::Plain => plain_socket::<A>(stream, &tx),
                        Variant::Deflate => deflate_socket::<A>(stream, &tx),
                    },
                    Ok(false) => http(stream, page, &tx).map_err(Error::from),
                    Err(e) => Err(Error::from(e)),
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
    let mut browser =
        KillOnDrop::spawn(headless_chromium(&chromium, &profile).arg(format!("http://{addr}/")));
    let stderr = browser.stderr_text();
    let mut seen = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    while !done(&seen) {
        let Some(left) = deadline.checked_duration_since(Instant::now()) else {
            break;
        };
        match rx.recv_timeout(left) {
            Ok(s) => seen.push(s),
            Err(_) => break,
        }
    }
    let exited_early = browser.0.try_wait().ok().flatten();
    drop(browser);
    let log = stderr
        .recv_timeout(Duration::from_secs(5))
        .unwrap_or_default();
    let _ = std::fs::remove_dir_all(&profile);
    let errors: Vec<&String> = seen
        .iter()
        .filter_map(|s| match s {
            Seen::Error(e) => Some(e),
            _ => None,
        })
        .collect();
    assert!(errors.is_empty(), "server errors: {errors:#?}");
    if !done(&seen) {
        let tail: String = log.lines().rev().take(20).collect::<Vec<_>>().join("\n");
        panic!(
            "the page did not finish (browser exit: {exited_early:?}); saw {seen:#?}; \
             chromium's log:\n{tail}"
        );
    }
    Some(seen)
}

/// The page's checks, all passed, and these among them.
fn assert_checks(checks: &str, names: &[&str]) {
    println!("{checks}");
    let list: Vec<&str> = checks.split(' ').collect();
    let failed: Vec<&&str> = list.iter().filter(|c| c.starts_with("FAIL")).collect();
    assert!(failed.is_empty(), "the page's checks failed: {failed:?}");
    for name in names {
        assert!(
            list.contains(&format!("ok:{name}").as_str()),
            "check {name} missing from {checks}"
        );
    }
}

/// Uncompressed: echoes, tether's ping, closes with codes and reasons both ways.
fn websocket_echo_and_close<A: Adapter>() {
    let done = |seen: &[Seen]| {
        [
            seen.iter().any(|s| matches!(s, Seen::Result { .. })),
            seen.iter().any(|s| matches!(s, Seen::Closed(..))),
            seen.iter().any(|s| matches!(s, Seen::Report(_))),
        ]
        .iter()
        .all(|&x| x)
    };
    let Some(seen) = browse::<A>(Variant::Plain, done) else {
        return;
    };
    for s in &seen {
        match s {
            Seen::Result { checks, .. } => assert_checks(
                checks.trim_start_matches("RESULT "),
                &[
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
                ],
            ),
            Seen::Closed(close, ping_bytes) => {
                assert_eq!(close, "4001 bye from chromium");
                // The browser's pong (masked: 2 + 4 + 11 bytes) came before its echo (2 + 4 +
                // 10).
                assert_eq!(*ping_bytes, (2 + 4 + 11) + (2 + 4 + 10));
            }
            Seen::Report(report) => assert_eq!(
                report,
                "client_close=4001&server_close=4002&server_reason=bye%20from%20tether&clean=true"
            ),
            Seen::Error(_) => {}
        }
    }
}

/// permessage-deflate: Chromium offers `permessage-deflate; client_max_window_bits`, tether
/// accepts; the messages arrive compressed.
fn websocket_negotiates_deflate<A: Adapter>() {
    let done = |seen: &[Seen]| seen.iter().any(|s| matches!(s, Seen::Result { .. }));
    let Some(seen) = browse::<A>(Variant::Deflate, done) else {
        return;
    };
    let Some(Seen::Result {
        checks,
        deflate,
        wire,
        payload,
    }) = seen.iter().find(|s| matches!(s, Seen::Result { .. }))
    else {
        unreachable!("done")
    };
    println!("tether: {deflate:?}, {wire} bytes for {payload} bytes of payload");
    assert_checks(
        checks,
        &[
            "deflate",
            "text",
            "text-unicode",
            "text-empty",
            "text-json",
            "text-json-again",
            "binary-1mib",
            "binary-noise",
            "binary-empty",
        ],
    );
    // The server's defaults: no context takeover for its own messages, 12-bit windows both
    // ways (Chromium offers client_max_window_bits).
    assert_eq!(
        deflate.as_deref(),
        Some(
            "permessage-deflate; server_no_context_takeover; server_max_window_bits=12; \
             client_max_window_bits=12"
        )
    );
    assert!(
        checks.starts_with(
            "extensions=permessage-deflate%3B%20server_no_context_takeover%3B%20server_max_window_bits%3D12%3B%20client_max_window_bits%3D12 "
        ),
        "{checks}"
    );
    // The browser compressed: ~1.9 MiB of payload (100 KB of it noise) in far fewer bytes.
    assert!(
        wire * 5 < *payload,
        "{wire} bytes on the wire for {payload}"
    );
}

/// `module => Adapter`: the two runs against that adapter.
macro_rules! chromium_tests {
    ($($module:ident => $adapter:ty;)*) => {
        $(
            mod $module {
                use super::*;

                #[test]
                fn websocket_echo_and_close() {
                    super::websocket_echo_and_close::<$adapter>();
                }

                #[test]
                fn websocket_negotiates_deflate() {
                    super::websocket_negotiates_deflate::<$adapter>();
                }
            }
        )*
    };
}

chromium_tests! {
    with_std => Std;
    with_tokio => Tokio;
}
