//! Interop with Python `websockets` (a real, independent RFC 6455 + RFC 7692 implementation),
//! both directions, against tether-std and tether-tokio alike: a `websockets` client against a
//! tether server, and a tether client against a `websockets` server, each uncompressed
//! (permessage-deflate declined or not offered) and compressed (default and fully parameterised
//! offers). Text, binary, 1-4 MiB messages, fragmentation, subprotocols, close codes and
//! reasons both ways, ping/pong, and keepalive on an idle connection.
//!
//! The interpreter comes from `TETHER_PYTHON` (`.ci/run` sets it to a venv under `target/`);
//! without it and without `websockets` importable the tests print why and skip, except in CI.

use std::collections::{BTreeMap, BTreeSet};
use std::net::TcpListener;
use std::path::Path;
use std::process::Command;
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

use tether_std::{ClientConfig, CloseCode, Config, Error, Message, MessageKind, ServerConfig};
use tether_tests::adapter::{Adapter, Socket, Std, Tokio, Writer};
use tether_tests::interop::{KillOnDrop, python, scripts_dir, wait_line};

/// Whether permessage-deflate is on at tether's end.
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
enum Compression {
    /// Off: a server declines the offer, a client makes none.
    Off,
    /// On, with tether's defaults.
    On,
}

impl Compression {
    /// The protocol settings: large messages, no keepalive (the checks count bytes exactly).
    fn config(self) -> Config {
        let config = Config::default()
            .max_message_size(64 << 20)
            .ping_interval(None);
        match self {
            Self::Off => config.deflate(None),
            Self::On => config,
        }
    }
}

/// What the tether server saw on one connection.
#[derive(Debug)]
struct Seen {
    path: String,
    protocol: Option<String>,
    deflate: Option<String>,
    end: String,
    bytes_received: u64,
    payload_received: u64,
}

/// How a receive loop ended, as the checks compare it.
fn describe_end<S: Socket>(ws: &S, end: Result<Option<Message>, Error>) -> String {
    match end {
        Ok(None) | Err(Error::Closed { .. }) if ws.close_frame().is_some() => {
            let f = ws.close_frame().expect("checked");
            format!("peer closed {} {}", f.code.as_u16(), f.reason)
        }
        Ok(other) => format!("unexpected {other:?}"),
        Err(e) => format!("error: {e}"),
    }
}

/// A tether server (adapter `A`) for `connections` connections: echoes every message on every
/// path; on `/close` echoes one message, then closes with 4002 "bye from tether"; speaks
/// `chat.v2`. Reports each connection.
fn tether_server<A: Adapter>(
    connections: usize,
    compression: Compression,
) -> (String, mpsc::Receiver<Seen>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("ws://{}", listener.local_addr().unwrap());
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for _ in 0..connections {
            let Ok((stream, _)) = listener.accept() else {
                return;
            };
            let tx = tx.clone();
            std::thread::spawn(move || {
                let path = Arc::new(Mutex::new(String::new()));
                let seen_path = path.clone();
                let config = ServerConfig::default()
                    .config(compression.config())
                    .on_request(move |req| {
                        *seen_path.lock().unwrap() = req.path().to_owned();
                        Ok(if req.protocols().iter().any(|p| p == "chat.v2") {
                            tether_std::Accept::default().protocol("chat.v2")
                        } else {
                            tether_std::Accept::default()
                        })
                    });
                let result = A::accept(stream, &config);
                let path = path.lock().unwrap().clone();
                let mut ws = match result {
                    Ok(ws) => ws,
                    Err(e) => {
                        let _ = tx.send(Seen {
                            path,
                            protocol: None,
                            deflate: None,
                            end: format!("accept failed: {e}"),
                            bytes_received: 0,
                            payload_received: 0,
                        });
                        return;
                    }
                };
                let info = ws.info();
                let mut payload_received = 0;
                let end = loop {
                    match ws.recv() {
                        Ok(Some(message)) => {
                            payload_received += message.len() as u64;
                            if let Err(e) = ws.send(message) {
                                break format!("send failed: {e}");
                            }
                            if path == "/close" {
                                break match ws.close(CloseCode::from(4002), "bye from tether") {
                                    Ok(f) => {
                                        format!("we closed, peer answered {}", f.code.as_u16())
                                    }
                                    Err(e) => format!("close failed: {e}"),
                                };
                            }
                        }
                        end => break describe_end(&ws, end),
                    }
                };
                let _ = tx.send(Seen {
                    path,
                    protocol: info.negotiated.protocol.clone(),
                    deflate: info.negotiated.deflate().map(|e| e.to_header_value()),
                    end,
                    bytes_received: ws.info().stats.bytes_received,
                    payload_received,
                });
            });
        }
    });
    (url, rx)
}

/// Runs a `websockets` client script against `url`; returns the checks that passed (`OK
/// <name>` lines) and the other lines, after asserting none failed and it exited cleanly.
fn run_client_script(python: &Path, script: &str, url: &str) -> (BTreeSet<String>, Vec<String>) {
    let mut child = KillOnDrop::spawn(
        Command::new(python)
            .arg(scripts_dir().join(script))
            .arg(url),
    );
    let lines = child.stdout_lines();
    let stderr = child.stderr_text();
    let ok = child.wait_for(Duration::from_secs(120));
    let out: Vec<String> = lines.try_iter().collect();
    let err = stderr
        .recv_timeout(Duration::from_secs(5))
        .unwrap_or_default();
    println!("{}", out.join("\n"));
    let failed: Vec<&String> = out.iter().filter(|l| l.starts_with("FAIL")).collect();
    assert!(
        failed.is_empty(),
        "websockets client checks failed: {failed:#?}\n{err}"
    );
    assert!(
        ok,
        "the websockets client did not exit successfully:\n{out:#?}\n{err}"
    );
    let passed = out
        .iter()
        .filter_map(|l| l.strip_prefix("OK "))
        .map(str::to_owned)
        .collect();
    (passed, out)
}

/// The `websockets` client (`ws_client.py`, deflate offered as is its default) against a
/// tether server that declines it.
fn websockets_client_against_tether_server<A: Adapter>() {
    let Some(python) = python() else { return };
    let (url, seen) = tether_server::<A>(5, Compression::Off);
    let (passed, _) = run_client_script(&python, "ws_client.py", &url);
    for name in [
        "deflate-declined",
        "no-subprotocol",
        "text",
        "text-unicode",
        "text-empty",
        "binary",
        "binary-empty",
        "binary-4mib",
        "text-4mib",
        "text-fragmented",
        "binary-fragmented",
        "binary-100-fragments",
        "ping-pong",
        "ping-empty",
        "unsolicited-pong-ignored",
        "close-code-echoed",
        "no-compression-text",
        "close-normal",
        "subprotocol",
        "subprotocol-echo",
        "before-server-close",
        "server-close",
        "close-reason-123",
    ] {
        assert!(
            passed.contains(name),
            "check {name} did not run: {passed:#?}"
        );
    }
    // What tether's side saw, by path.
    let mut ends = BTreeMap::new();
    for _ in 0..5 {
        let s = seen
            .recv_timeout(Duration::from_secs(10))
            .expect("a server report");
        assert_eq!(
            s.deflate, None,
            "tether accepted an extension on {}",
            s.path
        );
        ends.insert(s.path.clone(), s);
    }
    assert_eq!(ends["/echo"].end, "peer closed 4001 bye from python");
    assert_eq!(ends["/echo"].protocol, None);
    assert_eq!(ends["/plain"].end, "peer closed 1000 ");
    assert_eq!(ends["/proto"].protocol.as_deref(), Some("chat.v2"));
    assert_eq!(ends["/close"].end, "we closed, peer answered 4002");
    assert_eq!(
        ends["/long-reason"].end,
        format!("peer closed 4003 {}", "r".repeat(123))
    );
}

/// The `websockets` client with permessage-deflate on (`ws_deflate_client.py`: default,
/// fully parameterised and 12-bit offers) against a tether server with default settings.
fn websockets_deflate_client_against_tether_server<A: Adapter>() {
    let Some(python) = python() else { return };
    let (url, seen) = tether_server::<A>(3, Compression::On);
    let (passed, out) = run_client_script(&python, "ws_deflate_client.py", &url);
    for path in ["/default", "/small", "/w12"] {
        for check in [
            "negotiated",
            "text",
            "text-small",
            "text-unicode",
            "empty",
            "binary",
            "binary-1mib",
            "text-1mib",
            "repeat-2",
            "text-fragmented",
            "binary-fragmented",
            "ping",
            "close",
        ] {
            let name = format!("{path}-{check}");
            assert!(
                passed.contains(&name),
                "check {name} did not run: {passed:#?}"
            );
        }
    }
    // The answers, as the client saw them and as tether reports them.
    let ext: BTreeMap<&str, &str> = out
        .iter()
        .filter_map(|l| l.strip_prefix("EXT "))
        .filter_map(|l| l.split_once(' '))
        .collect();
    // The server's defaults: no context takeover for its own messages, 12-bit windows both
    // ways (the client's offer allows it).
    assert_eq!(
        ext["/default"],
        "permessage-deflate; server_no_context_takeover; server_max_window_bits=12; \
         client_max_window_bits=12"
    );
    assert_eq!(
        ext["/small"],
        "permessage-deflate; server_no_context_takeover; client_no_context_takeover; \
         server_max_window_bits=8; client_max_window_bits=9"
    );
    assert_eq!(
        ext["/w12"],
        "permessage-deflate; server_no_context_takeover; server_max_window_bits=12; \
         client_max_window_bits=12"
    );
    let mut by_path = BTreeMap::new();
    for _ in 0..3 {
        let s = seen
            .recv_timeout(Duration::from_secs(10))
            .expect("a report");
        by_path.insert(s.path.clone(), s);
    }
    for (path, s) in &by_path {
        assert_eq!(s.deflate.as_deref(), Some(ext[path.as_str()]), "{path}");
        assert_eq!(s.end, "peer closed 1000 done", "{path}");
        // The client compressed: about 3 MiB of payload arrived in far fewer bytes. (With the
        // 9-bit client window of `/small`, zlib's matches reach back at most 250 bytes, so
        // the 1 MiB binary with its 251-byte period does not shrink: only the text does.)
        let (num, den) = if path == "/small" { (5, 4) } else { (3, 1) };
        assert!(
            s.bytes_received * num < s.payload_received * den,
            "{path}: {} bytes for {} bytes of payload",
            s.bytes_received,
            s.payload_received
        );
    }
}

/// A `websockets` server script, started with `args`; returns it, its port and its event
/// lines.
fn websockets_server(
    python: &Path,
    script: &str,
    args: &[&str],
) -> (KillOnDrop, u16, mpsc::Receiver<String>) {
    let mut child = KillOnDrop::spawn(
        Command::new(python)
            .arg(scripts_dir().join(script))
            .args(args),
    );
    let lines = child.stdout_lines();
    let port = wait_line(&lines, "PORT ", Duration::from_secs(20))
        .unwrap_or_else(|| {
            let _ = child.0.kill();
            let err = child.stderr_text().recv().unwrap_or_default();
            panic!("the websockets server did not print its port:\n{err}")
        })
        .trim_start_matches("PORT ")
        .parse()
        .unwrap();
    (child, port, lines)
}

/// Stops a `websockets` server and checks that its handlers raised nothing.
fn stop(mut server: KillOnDrop) {
    let stderr = server.stderr_text();
    let _ = server.0.kill();
    let err = stderr
        .recv_timeout(Duration::from_secs(5))
        .unwrap_or_default();
    assert!(
        !err.contains("Traceback") && !err.contains("ERROR"),
        "the websockets server logged an error:\n{err}"
    );
}

fn client_config(compression: Compression) -> ClientConfig {
    ClientConfig::default()
        .config(compression.config())
        .read_timeout(Some(Duration::from_secs(30)))
}

/// Sends `pieces` as one message of `kind`, one frame per piece.
fn send_in_frames<S: Socket>(ws: &mut S, kind: MessageKind, pieces: &[&[u8]]) {
    let mut writer = ws.start_message(kind).unwrap();
    for piece in pieces {
        writer.write_chunk(piece).unwrap();
    }
    writer.finish().unwrap();
}

/// A tether client (adapter `A`, no extension offered) against the `websockets` echo server
/// (`ws_echo_server.py`, deflate enabled, so it negotiates none).
fn tether_client_against_websockets_server<A: Adapter>() {
    let Some(python) = python() else { return };
    let (server, port, lines) = websockets_server(&python, "ws_echo_server.py", &[]);
    let base = format!("ws://127.0.0.1:{port}");
    let config = client_config(Compression::Off);

    let mut ws = A::connect(&format!("{base}/echo"), &config).unwrap();
    let open = wait_line(&lines, "OPEN /echo", Duration::from_secs(10)).unwrap();
    assert_eq!(open, "OPEN /echo protocol=None extensions=none");
    assert!(ws.info().negotiated.extensions.is_empty());
    assert_eq!(ws.info().negotiated.protocol, None);
    let big_binary: Vec<u8> = (0..4 << 20).map(|i| (i * 7 % 251) as u8).collect();
    let messages = [
        Message::text("hello websockets"),
        Message::text("κόσμε 😀"),
        Message::text(""),
        Message::binary((0..=255).collect::<Vec<u8>>()),
        Message::binary(Vec::new()),
        Message::binary(big_binary),
        Message::text("0123456789abcdef".repeat(1 << 18)),
    ];
    for message in &messages {
        ws.send(message.clone()).unwrap();
        assert!(ws.recv().unwrap().as_ref() == Some(message), "{message:?}");
    }
    // A message sent in pieces (one frame per piece, split inside a character) comes back
    // whole.
    let pieces: [&[u8]; 5] = [b"frag", b"men", b"ted ", "κό".as_bytes(), "σμε".as_bytes()];
    send_in_frames(&mut ws, MessageKind::Text, &pieces);
    assert_eq!(ws.recv().unwrap(), Some(Message::text("fragmented κόσμε")));
    // Our ping: websockets answers with a pong of the same payload, which arrives before the
    // echo of the message sent after the ping (counted exactly in the bytes received).
    let before = ws.info().stats.bytes_received;
    ws.ping(b"tether ping").unwrap();
    ws.send("after ping").unwrap();
    assert_eq!(ws.recv().unwrap(), Some(Message::text("after ping")));
    let pong_frame = 2 + b"tether ping".len() as u64;
    let echo_frame = 2 + "after ping".len() as u64;
    assert_eq!(
        ws.info().stats.bytes_received - before,
        pong_frame + echo_frame
    );
    // An unsolicited pong is ignored by websockets; the connection goes on.
    ws.pong(b"heartbeat").unwrap();
    ws.send("after pong").unwrap();
    assert_eq!(ws.recv().unwrap(), Some(Message::text("after pong")));
    // Our close code and reason reach the server, which echoes both.
    let answer = ws.close(CloseCode::from(4001), "bye from tether").unwrap();
    assert_eq!(
        (answer.code, answer.reason.as_str()),
        (CloseCode::from(4001), "bye from tether")
    );
    let closed = wait_line(&lines, "CLOSED /echo", Duration::from_secs(10)).unwrap();
    assert_eq!(closed, "CLOSED /echo 4001 bye from tether");

    // Messages the server sends in fragments arrive whole.
    let mut ws = A::connect(&format!("{base}/fragmented"), &config).unwrap();
    assert_eq!(ws.recv().unwrap(), Some(Message::text("fragmented κόσμε")));
    let mut expected = vec![0, 1, 2];
    expected.extend(0..=255u8);
    assert_eq!(ws.recv().unwrap(), Some(Message::binary(expected)));
    assert_eq!(
        ws.close(CloseCode::NORMAL, "").unwrap().code,
        CloseCode::NORMAL
    );

    // The server's ping is answered by tether with a pong (the server tells us it came).
    let mut ws = A::connect(&format!("{base}/ping"), &config).unwrap();
    assert_eq!(ws.recv().unwrap(), Some(Message::text("PONG OK")));
    ws.close(CloseCode::NORMAL, "").unwrap();

    // The server closes with its code and reason: a receive reports them as the end.
    let mut ws = A::connect(&format!("{base}/close"), &config).unwrap();
    match ws.recv() {
        Err(Error::Closed { code, reason }) => {
            assert_eq!(
                (code, reason.as_str()),
                (CloseCode::from(4002), "bye from python")
            );
        }
        other => panic!("expected the server's close with 4002, got {other:?}"),
    }
    let frame = ws.close_frame().unwrap();
    assert_eq!(frame.code, CloseCode::from(4002));
    assert_eq!(frame.reason, "bye from python");

    // Subprotocol negotiation.
    let proto = config.clone().protocols(["chat.v1", "chat.v2"]);
    let mut ws = A::connect(&format!("{base}/proto"), &proto).unwrap();
    assert_eq!(ws.info().negotiated.protocol.as_deref(), Some("chat.v2"));
    let open = wait_line(&lines, "OPEN /proto", Duration::from_secs(10)).unwrap();
    assert_eq!(open, "OPEN /proto protocol=chat.v2 extensions=none");
    ws.send("with protocol").unwrap();
    assert_eq!(ws.recv().unwrap(), Some(Message::text("with protocol")));
    ws.close(CloseCode::NORMAL, "").unwrap();
    let closed = wait_line(&lines, "CLOSED /proto", Duration::from_secs(10)).unwrap();
    assert_eq!(closed, "CLOSED /proto 1000 ");

    // A reason of 123 bytes, the most a close frame holds.
    let mut ws = A::connect(&format!("{base}/long-reason"), &config).unwrap();
    let reason = "r".repeat(123);
    assert_eq!(
        ws.close(CloseCode::from(4003), &reason).unwrap().code,
        CloseCode::from(4003)
    );
    let closed = wait_line(&lines, "CLOSED /long-reason", Duration::from_secs(10)).unwrap();
    assert_eq!(closed, format!("CLOSED /long-reason 4003 {reason}"));
    stop(server);
}

/// JSON-like text, compressible like real traffic.
fn json_like(len: usize) -> String {
    let mut s = String::new();
    let mut i = 0u64;
    while s.len() < len {
        s.push_str(&format!(
            "{{\"id\":{i},\"user\":\"user{}\",\"score\":{}}},",
            i % 97,
            i * 2_654_435_761 % 100_000
        ));
        i += 1;
    }
    s.truncate(len);
    s
}

/// A tether client with permessage-deflate (tether's default offer) against the `websockets`
/// deflate server (`ws_deflate_server.py`), with its default settings (12-bit windows) and
/// with every parameter set (`--strict`).
fn tether_deflate_client_against_websockets_server<A: Adapter>() {
    let Some(python) = python() else { return };
    for (args, want) in [
        (
            &[][..],
            "permessage-deflate; server_max_window_bits=12; client_max_window_bits=12",
        ),
        (
            &["--strict"][..],
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover; \
             server_max_window_bits=10; client_max_window_bits=8",
        ),
    ] {
        let (server, port, lines) = websockets_server(&python, "ws_deflate_server.py", args);
        let base = format!("ws://127.0.0.1:{port}");
        let config = client_config(Compression::On);

        let mut ws = A::connect(&format!("{base}/echo"), &config).unwrap();
        let open = wait_line(&lines, "OPEN /echo", Duration::from_secs(10)).unwrap();
        assert_eq!(open, format!("OPEN /echo extensions={want}"));
        let info = ws.info();
        assert_eq!(
            info.negotiated
                .deflate()
                .map(|e| e.to_header_value())
                .as_deref(),
            Some(want)
        );
        let big_binary: Vec<u8> = (0..1 << 20).map(|i| (i * 7 % 251) as u8).collect();
        let big_text = json_like(1 << 20);
        let messages = [
            Message::text("hello websockets, compressed ".repeat(20)),
            Message::text("hi"),
            Message::text("κόσμε 😀 ".repeat(100)),
            Message::text(""),
            Message::binary((0..=255).cycle().take(10_000).collect::<Vec<u8>>()),
            Message::binary(Vec::new()),
            Message::binary(big_binary.clone()),
            Message::text(big_text.clone()),
            Message::text(&big_text[..5000]),
            Message::text(&big_text[..5001]),
        ];
        let (sent_before, received_before) = (info.stats.bytes_sent, info.stats.bytes_received);
        for message in &messages {
            ws.send(message.clone()).unwrap();
            assert!(
                ws.recv().unwrap().as_ref() == Some(message),
                "{args:?}: {message:?}"
            );
        }
        let payload: usize = messages.iter().map(Message::len).sum();
        let stats = ws.info().stats;
        // Both directions compressed: ~2 MiB of payload each way in far fewer bytes. (Our
        // 8-bit window runs as 9 bits, whose matches reach back 250 bytes at most: the 1 MiB
        // binary with its 251-byte period does not shrink then, only the text does.)
        let (num, den) = if args.is_empty() { (3, 1) } else { (5, 4) };
        let sent = (stats.bytes_sent - sent_before) as usize;
        assert!(sent * num < payload * den, "{stats:?}");
        assert!(
            ((stats.bytes_received - received_before) as usize) * 3 < payload,
            "{stats:?}"
        );
        // A message sent in pieces (one compressed frame per piece) comes back whole.
        let pieces: Vec<&[u8]> = big_binary.chunks(100_000).collect();
        send_in_frames(&mut ws, MessageKind::Binary, &pieces);
        assert!(ws.recv().unwrap() == Some(Message::binary(big_binary.clone())));
        ws.close(CloseCode::NORMAL, "bye").unwrap();
        let closed = wait_line(&lines, "CLOSED /echo", Duration::from_secs(10)).unwrap();
        assert_eq!(closed, "CLOSED /echo 1000 bye");

        // Messages the server sends compressed in fragments arrive whole.
        let mut ws = A::connect(&format!("{base}/fragmented"), &config).unwrap();
        assert_eq!(
            ws.recv().unwrap(),
            Some(Message::text(format!(
                "fragmented {}",
                "κόσμε ".repeat(100)
            )))
        );
        assert!(ws.recv().unwrap() == Some(Message::binary(big_binary)));
        ws.close(CloseCode::NORMAL, "").unwrap();
        stop(server);
    }
}

/// Keepalive against `websockets`: a tether client with 100 ms pings and a 300 ms deadline
/// idles for two seconds (twenty intervals) doing nothing at all; `websockets` answers every
/// ping, so the connection stays open (the issue's 60 s idle, scaled), then a message goes
/// through and both ends see a normal close.
fn an_idle_tether_client_with_keepalive_stays_open<A: Adapter>() {
    let Some(python) = python() else { return };
    let (server, port, lines) = websockets_server(&python, "ws_echo_server.py", &[]);
    let config = ClientConfig::default().config(
        Config::default()
            .ping_interval(Some(Duration::from_millis(100)))
            .ping_timeout(Duration::from_millis(300)),
    );
    let mut ws = A::connect(&format!("ws://127.0.0.1:{port}/idle"), &config).unwrap();
    let before = ws.info().stats;
    std::thread::sleep(Duration::from_secs(2));
    let idle = ws.info().stats;
    // Pings went out and their pongs came back (2-byte headers and more, both ways).
    assert!(
        idle.bytes_sent > before.bytes_sent && idle.bytes_received > before.bytes_received,
        "no keepalive traffic: {before:?} then {idle:?}"
    );
    ws.send("still here").unwrap();
    assert_eq!(ws.recv().unwrap(), Some(Message::text("still here")));
    assert_eq!(
        ws.close(CloseCode::NORMAL, "").unwrap().code,
        CloseCode::NORMAL
    );
    let closed = wait_line(&lines, "CLOSED /idle", Duration::from_secs(10)).unwrap();
    assert_eq!(closed, "CLOSED /idle 1000 ");
    stop(server);
}

/// `adapter => [test fns]`: a module per adapter with a `#[test]` per check.
macro_rules! interop_tests {
    ($($module:ident => $adapter:ty;)*) => {
        $(
            mod $module {
                use super::*;

                #[test]
                fn websockets_client_against_tether_server() {
                    super::websockets_client_against_tether_server::<$adapter>();
                }

                #[test]
                fn websockets_deflate_client_against_tether_server() {
                    super::websockets_deflate_client_against_tether_server::<$adapter>();
                }

                #[test]
                fn tether_client_against_websockets_server() {
                    super::tether_client_against_websockets_server::<$adapter>();
                }

                #[test]
                fn tether_deflate_client_against_websockets_server() {
                    super::tether_deflate_client_against_websockets_server::<$adapter>();
                }

                #[test]
                fn an_idle_tether_client_with_keepalive_stays_open() {
                    super::an_idle_tether_client_with_keepalive_stays_open::<$adapter>();
                }
            }
        )*
    };
}

interop_tests! {
    with_std => Std;
    with_tokio => Tokio;
}
