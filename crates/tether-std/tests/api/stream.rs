//! Stream sockets: byte-stream round trip, and a 1 GiB transfer in constant memory.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::time::Instant as StdInstant;

use tether_tests::child::{field, run_child, status_kib};

use tether_std::{
    Accept, CloseCode, MessageKind, SocketConfig, accept_stream_with, connect_stream_with,
    connect_with,
};

#[test]
fn stream_socket_round_trips_bytes_in_any_sections() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    // Server: echo the byte stream back with odd-sized reads.
    let server = std::thread::spawn(move || {
        let (s, _) = listener.accept().unwrap();
        let mut ws =
            accept_stream_with(s, &SocketConfig::default(), |_| Ok(Accept::default())).unwrap();
        let mut buf = [0; 777];
        let mut total = 0;
        loop {
            let n = ws.read(&mut buf).unwrap();
            if n == 0 {
                break;
            }
            total += n;
            ws.write_all(&buf[..n]).unwrap();
            ws.flush().unwrap();
        }
        (total, ws.close_frame())
    });
    let ws = connect_stream_with(&format!("ws://{addr}/"), &SocketConfig::default()).unwrap();
    let (mut reader, mut writer) = ws.split().unwrap();
    let data: Vec<u8> = (0..3_000_000u32).map(|i| (i % 253) as u8).collect();
    let expected = data.clone();
    let sender = std::thread::spawn(move || {
        for piece in data.chunks(10_000) {
            writer.write_all(piece).unwrap();
        }
        writer.flush().unwrap();
        writer
    });
    let mut got = vec![0; expected.len()];
    reader.read_exact(&mut got).unwrap();
    assert!(got == expected, "stream bytes differ");
    let mut writer = sender.join().unwrap();
    writer.finish().unwrap();
    let mut rest = [0; 16];
    assert_eq!(reader.read(&mut rest).unwrap(), 0, "clean end reads 0");
    assert_eq!(reader.close_frame().unwrap().code, CloseCode::NORMAL);
    let (total, frame) = server.join().unwrap();
    assert_eq!(total, expected.len());
    assert_eq!(frame.unwrap().code, CloseCode::NORMAL);
}

const GIB: u64 = 1 << 30;
const CHILD_ENV: &str = "TETHER_STD_GIB_CHILD";

/// Runs in a child process (see below), so other tests' memory does not count.
#[test]
#[ignore = "run by stream_of_1_gib_runs_in_constant_memory in its own process"]
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
        let mut ws =
            accept_stream_with(s, &SocketConfig::default(), |_| Ok(Accept::default())).unwrap();
        let mut buf = vec![0u8; 64 << 10];
        let mut total = 0u64;
        let mut bad = 0u64;
        loop {
            let n = ws.read(&mut buf).unwrap();
            if n == 0 {
                break;
            }
            // Cheap content check: every byte is the pattern byte.
            bad += u64::from(buf[0] != 0xA5) + u64::from(buf[n - 1] != 0xA5);
            total += n as u64;
        }
        (total, bad, ws.close_frame())
    });
    // One single 1 GiB message, sent in 64 KiB pieces.
    let mut ws = connect_with(&format!("ws://{addr}/"), &SocketConfig::default()).unwrap();
    let chunk = vec![0xA5u8; 64 << 10];
    let mut message = ws.start_message(MessageKind::Binary).unwrap();
    for _ in 0..(GIB / chunk.len() as u64) {
        message.write_all(&chunk).unwrap();
    }
    message.finish().unwrap();
    ws.close(CloseCode::NORMAL, "done").unwrap();
    let (total, bad, frame) = server.join().unwrap();
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
