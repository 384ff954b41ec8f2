//! A decompression bomb against a tether-std server: one message of 1 GiB of zeros, which
//! permessage-deflate squeezes to about 1 MiB on the wire, sent to a server whose message limit
//! is 8 MiB. The server must fail the connection with 1009 once 8 MiB are inflated, and the
//! process's peak memory must stay near the limit (measured in a child process, so other tests
//! do not count).

use std::net::TcpListener;
use std::time::Instant;

use tether_std::{ClientConfig, Config, MessageKind, ServerConfig};
use tether_tests::child::{field, run_child, status_kib};

const CHILD_ENV: &str = "TETHER_DEFLATE_BOMB_CHILD";
const LIMIT: u64 = 8 << 20;
const GIB: u64 = 1 << 30;

#[test]
#[ignore = "run by deflate_bomb_fails_with_1009_near_the_limit in its own process"]
fn bomb_child() {
    if std::env::var_os(CHILD_ENV).is_none() {
        return;
    }
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let before = status_kib("VmRSS:");
    let start = Instant::now();
    let server = std::thread::spawn(move || {
        let (s, _) = listener.accept().unwrap();
        let config = ServerConfig::default().config(Config::default().max_message_size(LIMIT));
        let mut ws = tether_std::accept(s, &config).unwrap();
        let deflate = ws.info().negotiated.deflate().is_some();
        let result = ws.recv();
        (
            deflate,
            format!("{result:?}"),
            ws.info().stats.bytes_received,
        )
    });
    let mut ws = tether_std::connect(&format!("ws://{addr}/"), &ClientConfig::default()).unwrap();
    assert!(
        ws.info().negotiated.deflate().is_some(),
        "deflate negotiated"
    );
    // One message of 1 GiB of zeros, compressed as it is written; the writes fail once the
    // server has given up.
    let chunk = vec![0u8; 256 << 10];
    let mut sent = 0u64;
    if let Ok(mut message) = ws.start_message(MessageKind::Binary) {
        while sent < GIB && message.write_chunk(&chunk).is_ok() {
            sent += chunk.len() as u64;
        }
        let _ = message.finish();
    }
    let end = ws.recv();
    let close_code = match end {
        Err(e) => e.close_code().map(|c| c.as_u16()),
        Ok(_) => ws.close_frame().map(|f| f.code.as_u16()),
    };
    let (deflate, result, wire) = server.join().unwrap();
    let hwm = status_kib("VmHWM:");
    assert!(deflate);
    assert!(result.contains("exceeds the limit"), "server: {result}");
    println!(
        "BOMB_RESULT rss_before_kib={before} hwm_kib={hwm} growth_kib={} wire_bytes={wire} \
         sent_bytes={sent} client_close={close_code:?} secs={:.2}",
        hwm.saturating_sub(before),
        start.elapsed().as_secs_f64()
    );
}

#[test]
fn deflate_bomb_fails_with_1009_near_the_limit() {
    let line = run_child("bomb_child", CHILD_ENV, "BOMB_RESULT");
    let field = |name: &str| field(&line, name);
    // The limit (8 MiB) plus the compressor, decompressor and socket buffers; a bomb that
    // inflated freely would take 1 GiB.
    let growth = field("growth_kib=");
    assert!(growth < 24 << 10, "peak RSS grew by {growth} KiB");
    // A small message on the wire: what the server read before failing.
    assert!(field("wire_bytes=") < 1 << 20);
}
