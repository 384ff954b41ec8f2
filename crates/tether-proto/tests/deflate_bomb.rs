//! A decompression bomb against a server connection: one streamed message of up to 1 GiB of
//! zeros, which permessage-deflate squeezes to about 1 MiB on the wire, sent to a server whose
//! message limit is 8 MiB. The server must fail the connection with 1009 once 8 MiB are
//! inflated, and the process's peak memory must stay near the limit (measured in a child
//! process, so other tests do not count).
//!
//! The core alone, in memory: the adapters' version over TCP is `tests/tests/deflate_bomb.rs`.
#![cfg(all(feature = "deflate", target_os = "linux"))]

use std::process::Command;

use tether_proto::handshake::{Accept, ClientOptions};
use tether_proto::testkit::{Ev, Pair};
use tether_proto::{Config, ConnectionError, MessageKind, SendOptions};

const CHILD_ENV: &str = "TETHER_PROTO_DEFLATE_BOMB_CHILD";
const LIMIT: u64 = 8 << 20;
const GIB: u64 = 1 << 30;

#[test]
#[ignore = "run by deflate_bomb_fails_with_1009_near_the_limit in its own process"]
fn bomb_child() {
    if std::env::var_os(CHILD_ENV).is_none() {
        return;
    }
    let before = status_kib("VmRSS:");
    let server = Config::default()
        .ping_interval(None)
        .max_message_size(LIMIT);
    let client = Config::default().ping_interval(None);
    let mut pair = Pair::connect(
        "ws://localhost/",
        &ClientOptions::default(),
        client,
        server,
        Accept::default(),
    );
    assert!(
        pair.server.conn.negotiated().deflate().is_some(),
        "deflate negotiated"
    );
    // One message of 1 GiB of zeros, compressed as it is streamed, each chunk handed to the
    // server at once; the sends fail once the server has given up.
    let chunk = vec![0u8; 256 << 10];
    let mut sent = 0u64;
    let mut wire = 0;
    let (mut client_events, mut server_events) = (Vec::new(), Vec::new());
    pair.client
        .conn
        .begin_message(MessageKind::Binary, SendOptions::default())
        .unwrap();
    while sent < GIB
        && pair
            .client
            .conn
            .send_chunk(chunk.clone(), sent + chunk.len() as u64 == GIB)
            .is_ok()
    {
        sent += chunk.len() as u64;
        wire = pair.server.conn.stats().bytes_received;
        let (c, s) = pair.drive();
        client_events.extend(c);
        server_events.extend(s);
    }
    let failure = server_events.iter().find_map(|e| match e {
        Ev::Failed(e) => Some(e.clone()),
        _ => None,
    });
    assert_eq!(
        failure,
        Some(ConnectionError::MessageTooBig { limit: LIMIT })
    );
    let client_close = client_events.iter().find_map(|e| match e {
        Ev::Closed(code, _) => Some(*code),
        _ => None,
    });
    let hwm = status_kib("VmHWM:");
    println!(
        "BOMB_RESULT rss_before_kib={before} hwm_kib={hwm} growth_kib={} wire_bytes={wire} \
         sent_bytes={sent} client_close={client_close:?}",
        hwm.saturating_sub(before),
    );
}

#[test]
fn deflate_bomb_fails_with_1009_near_the_limit() {
    let line = run_child("bomb_child", CHILD_ENV, "BOMB_RESULT");
    let field = |name: &str| field(&line, name);
    // The limit (8 MiB) plus the compressor and decompressor; a bomb that inflated freely
    // would take 1 GiB.
    let growth = field("growth_kib=");
    assert!(growth < 24 << 10, "peak RSS grew by {growth} KiB");
    // A small message on the wire: what the server read before failing.
    assert!(field("wire_bytes=") < 1 << 20);
    // The client stopped soon after the limit, told by the close frame with 1009.
    assert!(field("sent_bytes=") < 4 * LIMIT);
    assert!(line.contains("client_close=Some(1009)"), "{line}");
}

// ---- measuring in a child process (a copy of what `tests/src/child.rs` does) ----

/// Runs the ignored test `name` of this test binary in a child process with the environment
/// variable `env` set, and returns the line of its output that starts with `tag`.
fn run_child(name: &str, env: &str, tag: &str) -> String {
    let exe = std::env::current_exe().expect("the test binary");
    let out = Command::new(exe)
        .args(["--exact", name, "--ignored", "--nocapture"])
        .env(env, "1")
        .output()
        .expect("the child runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "child failed: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let line = stdout
        .lines()
        .find(|l| l.starts_with(tag))
        .unwrap_or_else(|| panic!("no {tag} line in {stdout}"));
    eprintln!("{line}");
    line.to_string()
}

/// A numeric `key=value` field of a result line (`key` includes the `=`).
fn field(line: &str, key: &str) -> u64 {
    line.split_whitespace()
        .find_map(|f| f.strip_prefix(key))
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no {key} in {line}"))
}

/// A field of `/proc/self/status` in KiB (`"VmRSS:"`, `"VmHWM:"`).
fn status_kib(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or_else(|| panic!("no {field} in /proc/self/status"))
}
