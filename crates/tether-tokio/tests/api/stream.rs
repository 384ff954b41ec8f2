//! Stream sockets: byte-stream round trip with `tokio::io::copy`, and a 1 GiB transfer in
//! constant memory.

use std::time::Instant as StdInstant;

use tether_tests::child::{field, run_child, status_kib};

use tether_tokio::{
    Accept, CloseCode, MessageKind, SocketConfig, accept_stream_with, connect_stream_with,
    connect_with,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

#[tokio::test]
async fn stream_socket_round_trips_bytes_through_tokio_io_copy() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    // Server: echo the byte stream back with tokio::io::copy between its halves.
    let server = tokio::spawn(async move {
        let (s, _) = listener.accept().await.unwrap();
        let ws = accept_stream_with(s, &SocketConfig::default(), |_| Ok(Accept::default()))
            .await
            .unwrap();
        let (mut reader, mut writer) = ws.into_split();
        let copied = tokio::io::copy(&mut reader, &mut writer).await.unwrap();
        writer.shutdown().await.unwrap();
        (copied, reader.close_frame())
    });
    let ws = connect_stream_with(&format!("ws://{addr}/"), &SocketConfig::default())
        .await
        .unwrap();
    let (mut reader, mut writer) = ws.into_split();
    let data: Vec<u8> = (0..3_000_000u32).map(|i| (i % 253) as u8).collect();
    let expected = data.clone();
    let sender = tokio::spawn(async move {
        let mut source = data.as_slice();
        tokio::io::copy(&mut source, &mut writer).await.unwrap();
        writer
    });
    let mut got = vec![0; expected.len()];
    reader.read_exact(&mut got).await.unwrap();
    assert!(got == expected, "stream bytes differ");
    let mut writer = sender.await.unwrap();
    // poll_shutdown starts the close handshake; the reader then reads 0.
    writer.shutdown().await.unwrap();
    let mut rest = [0; 16];
    assert_eq!(
        reader.read(&mut rest).await.unwrap(),
        0,
        "clean end reads 0"
    );
    assert_eq!(reader.close_frame().unwrap().code, CloseCode::NORMAL);
    let (copied, frame) = server.await.unwrap();
    assert_eq!(copied, expected.len() as u64);
    assert_eq!(frame.unwrap().code, CloseCode::NORMAL);
}

const GIB: u64 = 1 << 30;
const CHILD_ENV: &str = "TETHER_TOKIO_GIB_CHILD";

/// Runs in a child process (see below), so other tests' memory does not count.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "run by stream_of_1_gib_runs_in_constant_memory in its own process"]
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
        let mut ws = accept_stream_with(s, &SocketConfig::default(), |_| Ok(Accept::default()))
            .await
            .unwrap();
        let mut buf = vec![0u8; 64 << 10];
        let mut total = 0u64;
        let mut bad = 0u64;
        loop {
            let n = ws.read(&mut buf).await.unwrap();
            if n == 0 {
                break;
            }
            bad += u64::from(buf[0] != 0xA5) + u64::from(buf[n - 1] != 0xA5);
            total += n as u64;
        }
        (total, bad, ws.close_frame())
    });
    // One single 1 GiB message, sent in 64 KiB pieces. Uncompressed: deflate would squeeze
    // it to ~1 MiB, so the sender's close would wait on the receiver's whole 1 GiB of work and
    // can pass the close timeout (the deflate bomb test covers inflation's memory).
    let config = SocketConfig::default().deflate(false);
    let mut ws = connect_with(&format!("ws://{addr}/"), &config)
        .await
        .unwrap();
    let chunk = vec![0xA5u8; 64 << 10];
    let mut message = ws.start_message(MessageKind::Binary).await.unwrap();
    for _ in 0..(GIB / chunk.len() as u64) {
        message.write(&chunk).await.unwrap();
    }
    message.finish().await.unwrap();
    ws.close(CloseCode::NORMAL, "done").await.unwrap();
    let (total, bad, frame) = server.await.unwrap();
    let hwm = status_kib("VmHWM:");
    assert_eq!(total, GIB);
    assert_eq!(bad, 0);
    assert_eq!(frame.unwrap().reason, "done");
    println!(
        "GIB_RESULT rss_before_kib={before} hwm_kib={hwm} growth_kib={} secs={:.2}",
        hwm.saturating_sub(before),
        start.elapsed().as_secs_f64()
    );
}

#[test]
fn stream_of_1_gib_runs_in_constant_memory() {
    let line = run_child("stream::gib_child", CHILD_ENV, "GIB_RESULT");
    let growth = field(&line, "growth_kib=");
    assert!(
        growth < 64 << 10,
        "peak RSS grew by {growth} KiB over a 1 GiB transfer"
    );
}
