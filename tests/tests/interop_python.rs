//! Interop with Python `websockets` (a real, independent RFC 6455 implementation), both
//! directions: a `websockets` client against a tether-std server, and a tether-std client
//! against a `websockets` server. Text, binary, 4 MiB messages, fragmentation, subprotocols,
//! close codes and reasons both ways, ping/pong, and permessage-deflate declined.
//!
//! The interpreter comes from `TETHER_PYTHON` (`.ci/run` sets it to a venv under `target/`);
//! without it and without `websockets` importable the tests print why and skip, except in CI.

use std::collections::BTreeSet;
use std::io::Write;
use std::net::TcpListener;
use std::process::Command;
use std::sync::mpsc;
use std::time::Duration;

use tether_std::{
    Accept, CloseCode, Message, MessageKind, SocketConfig, accept_with, connect_with,
};
use tether_tests::interop::{KillOnDrop, python, scripts_dir, wait_line};

const TIMEOUT: Duration = Duration::from_secs(60);

/// What the tether server saw on one connection.
#[derive(Debug)]
struct Seen {
    path: String,
    protocol: Option<String>,
    extensions: usize,
    end: String,
}

/// Uncompressed (the client checks that deflate is declined; interop_deflate.rs covers it).
fn server_config() -> SocketConfig {
    SocketConfig::default()
        .max_message_size(64 << 20)
        .keepalive_interval(None)
        .deflate(false)
}

/// A tether-std server: echoes on every path; on `/close` echoes one message, then closes
/// with 4002; picks `chat.v2` when offered. Reports each connection's end.
fn tether_server(connections: usize) -> (String, mpsc::Receiver<Seen>) {
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
                let result = accept_with(stream, &server_config(), |req| {
                    path = req.path().to_string();
                    Ok(if req.protocols().iter().any(|p| p == "chat.v2") {
                        Accept::default().protocol("chat.v2")
                    } else {
                        Accept::default()
                    })
                });
                let mut ws = match result {
                    Ok(ws) => ws,
                    Err(e) => {
                        let _ = tx.send(Seen {
                            path,
                            protocol: None,
                            extensions: 0,
                            end: format!("accept failed: {e}"),
                        });
                        return;
                    }
                };
                let info = ws.info();
                let mut buf = Vec::new();
                let end = loop {
                    match ws.recv_into(&mut buf) {
                        Ok(Some(kind)) => {
                            let sent = match kind {
                                MessageKind::Text => {
                                    ws.send_text(std::str::from_utf8(&buf).unwrap())
                                }
                                MessageKind::Binary => ws.send_binary(&buf),
                            };
                            if let Err(e) = sent {
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
                        Ok(None) => {
                            let f = ws.close_frame().unwrap();
                            break format!("peer closed {} {}", f.code.as_u16(), f.reason);
                        }
                        Err(e) => break format!("error: {e}"),
                    }
                };
                let _ = tx.send(Seen {
                    path,
                    protocol: info.protocol,
                    extensions: info.extensions.len(),
                    end,
                });
            });
        }
    });
    (url, rx)
}

#[test]
fn interop_websockets_client_against_tether_server() {
    let Some(python) = python() else { return };
    let (url, seen) = tether_server(5);
    let mut child = KillOnDrop::spawn(
        Command::new(&python)
            .arg(scripts_dir().join("ws_client.py"))
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
        assert!(passed.contains(name), "check {name} did not run: {out:#?}");
    }

    // What tether's side saw, by path.
    let mut ends = std::collections::BTreeMap::new();
    for _ in 0..5 {
        let s = seen
            .recv_timeout(Duration::from_secs(10))
            .expect("a server report");
        assert_eq!(
            s.extensions, 0,
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

/// The `websockets` echo server, started; returns it, its port and its event lines.
fn websockets_server(python: &std::path::Path) -> (KillOnDrop, u16, mpsc::Receiver<String>) {
    let mut child =
        KillOnDrop::spawn(Command::new(python).arg(scripts_dir().join("ws_echo_server.py")));
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

/// Uncompressed (the checks expect no extension and count pong bytes exactly).
fn client_config() -> SocketConfig {
    SocketConfig::default()
        .max_message_size(64 << 20)
        .keepalive_interval(None)
        .read_timeout(Some(Duration::from_secs(20)))
        .deflate(false)
}

#[test]
fn interop_tether_client_against_websockets_server() {
    let Some(python) = python() else { return };
    let (mut server, port, lines) = websockets_server(&python);
    let base = format!("ws://127.0.0.1:{port}");

    // Echo: the server offers nothing unasked, and tether offers no extension.
    let mut ws = connect_with(&format!("{base}/echo"), &client_config()).unwrap();
    let open = wait_line(&lines, "OPEN /echo", Duration::from_secs(10)).unwrap();
    assert_eq!(open, "OPEN /echo protocol=None extensions=none");
    assert!(ws.info().extensions.is_empty());
    assert_eq!(ws.info().protocol, None);
    let big_binary: Vec<u8> = (0..4 << 20).map(|i| (i * 7 % 251) as u8).collect();
    let big_text = "0123456789abcdef".repeat(1 << 18);
    let messages = [
        Message::Text("hello websockets".into()),
        Message::Text("κόσμε 😀".into()),
        Message::Text(String::new()),
        Message::Binary((0..=255).collect()),
        Message::Binary(Vec::new()),
        Message::Binary(big_binary),
        Message::Text(big_text),
    ];
    for message in &messages {
        ws.send_message(message).unwrap();
        assert_eq!(ws.recv().unwrap().as_ref(), Some(message));
    }
    // A message sent in pieces (one frame per piece) comes back whole.
    let mut writer = ws.start_message(MessageKind::Text).unwrap();
    for piece in ["frag", "men", "ted ", "κό", "σμε"] {
        writer.write_all(piece.as_bytes()).unwrap();
        writer.flush().unwrap();
    }
    writer.finish().unwrap();
    assert_eq!(
        ws.recv().unwrap(),
        Some(Message::Text("fragmented κόσμε".into()))
    );
    // Our ping: websockets answers with a pong of the same payload, which arrives before the
    // echo of the message sent after the ping (counted exactly in the bytes received).
    let before = ws.info().stats.bytes_received;
    ws.send_ping(b"tether ping").unwrap();
    ws.send_text("after ping").unwrap();
    assert_eq!(ws.recv().unwrap(), Some(Message::Text("after ping".into())));
    let pong_frame = 2 + b"tether ping".len() as u64;
    let echo_frame = 2 + "after ping".len() as u64;
    assert_eq!(
        ws.info().stats.bytes_received - before,
        pong_frame + echo_frame
    );
    // An unsolicited pong is ignored by websockets; the connection goes on.
    ws.send_pong(b"heartbeat").unwrap();
    ws.send_text("after pong").unwrap();
    assert_eq!(ws.recv().unwrap(), Some(Message::Text("after pong".into())));
    // Our close code and reason reach the server, which echoes the code.
    let answer = ws.close(CloseCode::from(4001), "bye from tether").unwrap();
    assert_eq!(answer.code, CloseCode::from(4001));
    let closed = wait_line(&lines, "CLOSED /echo", Duration::from_secs(10)).unwrap();
    assert_eq!(closed, "CLOSED /echo 4001 bye from tether");

    // Messages the server sends in fragments arrive whole.
    let mut ws = connect_with(&format!("{base}/fragmented"), &client_config()).unwrap();
    assert_eq!(
        ws.recv().unwrap(),
        Some(Message::Text("fragmented κόσμε".into()))
    );
    let mut expected = vec![0, 1, 2];
    expected.extend(0..=255u8);
    assert_eq!(ws.recv().unwrap(), Some(Message::Binary(expected)));
    assert_eq!(
        ws.close(CloseCode::NORMAL, "").unwrap().code,
        CloseCode::NORMAL
    );

    // The server's ping is answered by tether with a pong (the server tells us it came).
    let mut ws = connect_with(&format!("{base}/ping"), &client_config()).unwrap();
    assert_eq!(ws.recv().unwrap(), Some(Message::Text("PONG OK".into())));
    ws.close(CloseCode::NORMAL, "").unwrap();

    // The server closes with its code and reason.
    let mut ws = connect_with(&format!("{base}/close"), &client_config()).unwrap();
    assert_eq!(ws.recv().unwrap(), None);
    let frame = ws.close_frame().unwrap();
    assert_eq!(frame.code, CloseCode::from(4002));
    assert_eq!(frame.reason, "bye from python");

    // Subprotocol negotiation.
    let config = client_config().protocols(["chat.v1", "chat.v2"]);
    let mut ws = connect_with(&format!("{base}/proto"), &config).unwrap();
    assert_eq!(ws.info().protocol.as_deref(), Some("chat.v2"));
    let open = wait_line(&lines, "OPEN /proto", Duration::from_secs(10)).unwrap();
    assert_eq!(open, "OPEN /proto protocol=chat.v2 extensions=none");
    ws.send_text("with protocol").unwrap();
    assert_eq!(
        ws.recv().unwrap(),
        Some(Message::Text("with protocol".into()))
    );
    ws.close(CloseCode::NORMAL, "").unwrap();
    let closed = wait_line(&lines, "CLOSED /proto", Duration::from_secs(10)).unwrap();
    assert_eq!(closed, "CLOSED /proto 1000 ");

    // A reason of 123 bytes, the most a close frame holds.
    let mut ws = connect_with(&format!("{base}/long-reason"), &client_config()).unwrap();
    let reason = "r".repeat(123);
    assert_eq!(
        ws.close(CloseCode::from(4003), &reason).unwrap().code,
        CloseCode::from(4003)
    );
    let closed = wait_line(&lines, "CLOSED /long-reason", Duration::from_secs(10)).unwrap();
    assert_eq!(closed, format!("CLOSED /long-reason 4003 {reason}"));

    // The server's handlers raised nothing.
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
