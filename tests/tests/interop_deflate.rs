//! permessage-deflate (RFC 7692) interop with Python `websockets`, compression on at both ends:
//! a `websockets` client against a tether-std server, and a tether-std client against a
//! `websockets` server (default and fully parameterised offers: no context takeover, 8- to
//! 12-bit windows). Text and binary both ways, 1 MiB messages, fragmented messages; the
//! negotiated extension is checked on both sides, and the byte counters show compression.
//!
//! The interpreter comes from `TETHER_PYTHON`, as in `interop_python.rs`.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::net::TcpListener;
use std::process::Command;
use std::sync::mpsc;
use std::time::Duration;

use tether_std::{Message, MessageKind, SocketConfig, accept_with, connect_with};
use tether_tests::interop::{KillOnDrop, python, scripts_dir, wait_line};

const TIMEOUT: Duration = Duration::from_secs(120);

fn config() -> SocketConfig {
    SocketConfig::default()
        .max_message_size(64 << 20)
        .keepalive_interval(None)
        .read_timeout(Some(Duration::from_secs(30)))
}

/// What the tether server saw on one connection: the agreed extension, the end, and the
/// largest message against its bytes on the wire.
#[derive(Debug)]
struct Seen {
    deflate: Option<String>,
    end: String,
    bytes_received: u64,
    payload_received: u64,
}

/// A tether-std echo server with default settings (deflate on).
fn tether_server(connections: usize) -> (String, mpsc::Receiver<(String, Seen)>) {
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
                let mut path = String::new();
                let mut ws = match accept_with(stream, &config(), |req| {
                    path = req.path().to_string();
                    Ok(tether_std::Accept::default())
                }) {
                    Ok(ws) => ws,
                    Err(e) => panic!("accept failed: {e}"),
                };
                let deflate = ws.info().deflate().map(|e| e.to_header_value());
                let mut payload_received = 0;
                let end = loop {
                    match ws.recv() {
                        Ok(Some(message)) => {
                            payload_received += message.as_bytes().len() as u64;
                            if let Err(e) = ws.send_message(&message) {
                                break format!("send failed: {e}");
                            }
                        }
                        Ok(None) => {
                            let f = ws.close_frame().unwrap();
                            break format!("peer closed {} {}", f.code.as_u16(), f.reason);
                        }
                        Err(e) => break format!("error: {e}"),
                    }
                };
                let seen = Seen {
                    deflate,
                    end,
                    bytes_received: ws.info().stats.bytes_received,
                    payload_received,
                };
                let _ = tx.send((path, seen));
            });
        }
    });
    (url, rx)
}

#[test]
fn interop_deflate_websockets_client_against_tether_server() {
    let Some(python) = python() else { return };
    let (url, seen) = tether_server(3);
    let mut child = KillOnDrop::spawn(
        Command::new(&python)
            .arg(scripts_dir().join("ws_deflate_client.py"))
            .arg(&url),
    );
    let lines = child.stdout_lines();
    let stderr = child.stderr_text();
    let ok = child.wait_for(TIMEOUT);
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
    let passed: BTreeSet<&str> = out.iter().filter_map(|l| l.strip_prefix("OK ")).collect();
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
                passed.contains(name.as_str()),
                "check {name} did not run: {out:#?}"
            );
        }
    }
    // The answers, as the client saw them and as tether reports them.
    let ext: BTreeMap<&str, &str> = out
        .iter()
        .filter_map(|l| l.strip_prefix("EXT "))
        .filter_map(|l| l.split_once(' '))
        .collect();
    assert_eq!(ext["/default"], "permessage-deflate");
    assert_eq!(
        ext["/small"],
        "permessage-deflate; server_no_context_takeover; client_no_context_takeover; \
         server_max_window_bits=8; client_max_window_bits=9"
    );
    assert_eq!(
        ext["/w12"],
        "permessage-deflate; server_max_window_bits=12; client_max_window_bits=12"
    );
    let mut by_path = BTreeMap::new();
    for _ in 0..3 {
        let (path, s) = seen
            .recv_timeout(Duration::from_secs(10))
            .expect("a report");
        by_path.insert(path, s);
    }
    for (path, s) in &by_path {
        assert_eq!(s.deflate.as_deref(), Some(ext[path.as_str()]), "{path}");
        assert_eq!(s.end, "peer closed 1000 done", "{path}");
        // The client compressed: about 3 MiB of payload arrived in far fewer bytes. (With
        // the 9-bit client window of `/small`, zlib's matches reach back at most 250 bytes,
        // so the 1 MiB binary with its 251-byte period does not shrink: only the text does.)
        let (num, den) = if path == "/small" { (5, 4) } else { (3, 1) };
        assert!(
            s.bytes_received * num < s.payload_received * den,
            "{path}: {} bytes for {} bytes of payload",
            s.bytes_received,
            s.payload_received
        );
    }
}

/// The `websockets` deflate echo server, started with `args`; returns it, its port and its
/// event lines.
fn websockets_server(
    python: &std::path::Path,
    args: &[&str],
) -> (KillOnDrop, u16, mpsc::Receiver<String>) {
    let mut child = KillOnDrop::spawn(
        Command::new(python)
            .arg(scripts_dir().join("ws_deflate_server.py"))
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

#[test]
fn interop_deflate_tether_client_against_websockets_server() {
    let Some(python) = python() else { return };
    // websockets' server limits both windows to 12 bits by default.
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
        let (mut server, port, lines) = websockets_server(&python, args);
        let base = format!("ws://127.0.0.1:{port}");

        let mut ws = connect_with(&format!("{base}/echo"), &config()).unwrap();
        let open = wait_line(&lines, "OPEN /echo", Duration::from_secs(10)).unwrap();
        assert_eq!(open, format!("OPEN /echo extensions={want}"));
        let info = ws.info();
        assert_eq!(
            info.deflate().map(|e| e.to_header_value()).as_deref(),
            Some(want)
        );
        let big_binary: Vec<u8> = (0..1 << 20).map(|i| (i * 7 % 251) as u8).collect();
        let big_text = json_like(1 << 20);
        let messages = [
            Message::Text("hello websockets, compressed ".repeat(20)),
            Message::Text("hi".into()),
            Message::Text("κόσμε 😀 ".repeat(100)),
            Message::Text(String::new()),
            Message::Binary((0..=255).cycle().take(10_000).collect()),
            Message::Binary(Vec::new()),
            Message::Binary(big_binary.clone()),
            Message::Text(big_text.clone()),
            Message::Text(big_text[..5000].to_string()),
            Message::Text(big_text[..5001].to_string()),
        ];
        let (sent_before, received_before) = (info.stats.bytes_sent, info.stats.bytes_received);
        for message in &messages {
            ws.send_message(message).unwrap();
            assert_eq!(ws.recv().unwrap().as_ref(), Some(message), "{args:?}");
        }
        let payload: usize = messages.iter().map(|m| m.as_bytes().len()).sum();
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
        let mut writer = ws.start_message(MessageKind::Binary).unwrap();
        for piece in big_binary.chunks(100_000) {
            writer.write_all(piece).unwrap();
            writer.flush().unwrap();
        }
        writer.finish().unwrap();
        assert_eq!(
            ws.recv().unwrap(),
            Some(Message::Binary(big_binary.clone()))
        );
        ws.close(tether_std::CloseCode::NORMAL, "bye").unwrap();
        let closed = wait_line(&lines, "CLOSED /echo", Duration::from_secs(10)).unwrap();
        assert_eq!(closed, "CLOSED /echo 1000 bye");

        // Messages the server sends compressed in fragments arrive whole.
        let mut ws = connect_with(&format!("{base}/fragmented"), &config()).unwrap();
        assert_eq!(
            ws.recv().unwrap(),
            Some(Message::Text(format!(
                "fragmented {}",
                "κόσμε ".repeat(100)
            )))
        );
        assert_eq!(ws.recv().unwrap(), Some(Message::Binary(big_binary)));
        ws.close(tether_std::CloseCode::NORMAL, "").unwrap();

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
}
