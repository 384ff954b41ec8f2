//! A 1 GiB message through a stream socket in constant memory, measured in a child process
//! (so the other tests' allocations do not count).

use std::time::Instant as StdInstant;

use tether_tests::child::{field, run_child, status_kib};
use tether_tokio::{ClientConfig, CloseCode, Config, MessageKind, ServerConfig};
use tokio::io::AsyncReadExt;
use tokio::net::TcpListener;

const GIB: u64 = 1 << 30;
const CHILD_ENV: &str = "TETHER_TOKIO_GIB_CHILD";

/// Runs in a child process (see below).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "run by a_gib_message_streams_in_constant_memory in its own process"]
async fn gib_child() {
    if std::env::var_os(CHILD_ENV).is_none() {
        return;
    }
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let before = status_kib("VmRSS:");
    let start = StdInstant::now();
    let server = tokio::spawn(async move {
        let (s, _) = listener.accept().await.unwrap();
        let mut ws = tether_tokio::accept(s, &ServerConfig::default())
            .await
            .unwrap()
            .into_stream();
        let mut buf = vec![0u8; 64 << 10];
        let (mut total, mut bad) = (0u64, 0u64);
        loop {
            let n = ws.read(&mut buf).await.unwrap();
            if n == 0 {
                break;
            }
            bad += u64::from(buf[0] != 0xA5) + u64::from(buf[n - 1] != 0xA5);
            total += n as u64;
        }
        (total, bad)
    });
    // One single 1 GiB message, sent in 64 KiB chunks. Uncompressed: deflate would squeeze it
    // to ~1 MiB, so the sender's close would wait on the receiver's whole 1 GiB of work and
    // can pass the close timeout (the core's deflate bomb test covers inflation's memory).
    let config = ClientConfig::default().config(Config::default().deflate(None));
    let mut ws = tether_tokio::connect(&format!("ws://{addr}/"), &config)
        .await
        .unwrap();
    let chunk = vec![0xA5u8; 64 << 10];
    let mut message = ws.start_message(MessageKind::Binary).await.unwrap();
    for _ in 0..(GIB / chunk.len() as u64) {
        message.write_chunk(&chunk).await.unwrap();
    }
    message.finish().await.unwrap();
    let answer = ws.close(CloseCode::NORMAL, "done").await.unwrap();
    let (total, bad) = server.await.unwrap();
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
