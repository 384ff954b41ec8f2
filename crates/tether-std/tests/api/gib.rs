//! A 1 GiB message through a stream socket in constant memory, measured in a child process
//! (so the other tests' allocations do not count).

use std::io::Read;
use std::net::TcpListener;
use std::time::Instant as StdInstant;

use tether_std::{ClientConfig, CloseCode, Config, MessageKind, ServerConfig};
use tether_tests::child::{field, run_child, status_kib};

const GIB: u64 = 1 << 30;
const CHILD_ENV: &str = "TETHER_STD_GIB_CHILD";

/// Runs in a child process (see below).
#[test]
#[ignore = "run by a_gib_message_streams_in_constant_memory in its own process"]
fn gib_child() {
    if std::env::var_os(CHILD_ENV).is_none() {
        return;
    }
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let before = status_kib("VmRSS:");
    let start = StdInstant::now();
    let server = std::thread::spawn(move || {
        let (s, _) = listener.accept().unwrap();
        let mut ws = tether_std::accept(s, &ServerConfig::default())
            .unwrap()
            .into_stream();
        let mut buf = vec![0u8; 64 << 10];
        let (mut total, mut bad) = (0u64, 0u64);
        loop {
            let n = ws.read(&mut buf).unwrap();
            if n == 0 {
                break;
            }
            // Cheap content check: every byte is the pattern byte.
            bad += u64::from(buf[0] != 0xA5) + u64::from(buf[n - 1] != 0xA5);
            total += n as u64;
        }
        (total, bad)
    });
    // One single 1 GiB message, sent in 64 KiB chunks. Uncompressed: deflate would squeeze it
    // to ~1 MiB and the close would wait on the receiver's whole 1 GiB of inflation.
    let config = ClientConfig::default().config(Config::default().deflate(None));
    let mut ws = tether_std::connect(&format!("ws://{addr}/"), &config).unwrap();
    let chunk = vec![0xA5u8; 64 << 10];
    let mut message = ws.start_message(MessageKind::Binary).unwrap();
    for _ in 0..(GIB / chunk.len() as u64) {
        message.write_chunk(&chunk).unwrap();
    }
    message.finish().unwrap();
    let answer = ws.close(CloseCode::NORMAL, "done").unwrap();
    let (total, bad) = server.join().unwrap();
    let hwm = status_kib("VmHWM:");
    assert_eq!(total, GIB);
    assert_eq!(bad, 0);
    assert_eq!(answer.reason, "done");
    println!(
        "GIB_RESULT rss_before_kib={before} hwm_kib={hwm} growth_kib={} secs={:.2}",
        hwm.saturating_sub(before),
        start.elapsed().as_secs_f64()
    );
}

#[test]
fn a_gib_message_streams_in_constant_memory() {
    let line = run_child("gib::gib_child", CHILD_ENV, "GIB_RESULT");
    let growth = field(&line, "growth_kib=");
    assert!(
        growth < 64 << 10,
        "peak RSS grew by {growth} KiB over a 1 GiB transfer"
    );
}
