//! Split halves in two tasks; pings answered while the write half is idle.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant as StdInstant};

use tether_proto::handshake::Accept;
use tether_proto::{Config, Connection, Event, Instant, OsEntropy};
use tether_tokio::{CloseCode, Message, SocketConfig, connect_with};

use crate::common::echo_server;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn split_halves_send_and_receive_from_two_tasks() {
    let (addr, server) = echo_server(SocketConfig::default()).await;
    let ws = connect_with(&format!("ws://{addr}/"), &SocketConfig::default())
        .await
        .unwrap();
    let (mut reader, mut writer) = ws.into_split();
    const N: usize = 2000;
    let sender = tokio::spawn(async move {
        for i in 0..N {
            writer.send_text(&format!("message {i}")).await.unwrap();
        }
        writer
    });
    let receiver = tokio::spawn(async move {
        for i in 0..N {
            assert_eq!(
                reader.recv().await.unwrap(),
                Some(Message::Text(format!("message {i}")))
            );
        }
        reader
    });
    let mut writer = sender.await.unwrap();
    let mut reader = receiver.await.unwrap();
    // Close from the writing half; the reading half sees the end and the peer's answer.
    writer
        .close(CloseCode::from(4100), "writer done")
        .await
        .unwrap();
    assert_eq!(reader.recv().await.unwrap(), None);
    assert_eq!(reader.close_frame().unwrap().code, CloseCode::from(4100));
    server.await.unwrap().unwrap();
    assert!(writer.send_text("late").await.is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_half_close_waits_for_the_answer_while_the_write_half_is_busy() {
    let (addr, server) = echo_server(SocketConfig::default()).await;
    // Uncompressed: deflate shrinks each repetitive message ~100-fold, so the socket buffers
    // would hold ~100 times more messages ahead of the close than this test's timing expects.
    let config = SocketConfig::default().deflate(false);
    let ws = connect_with(&format!("ws://{addr}/"), &config)
        .await
        .unwrap();
    let (mut reader, mut writer) = ws.into_split();
    let sender = tokio::spawn(async move {
        let mut sent = 0u32;
        while writer.send_binary(&[7; 1000]).await.is_ok() {
            sent += 1;
        }
        sent
    });
    // Let some traffic flow, then close from the reading half.
    for _ in 0..50 {
        reader.recv().await.unwrap().unwrap();
    }
    let frame = reader
        .close(CloseCode::from(4200), "reader done")
        .await
        .unwrap();
    assert_eq!(frame.code, CloseCode::from(4200));
    assert!(sender.await.unwrap() >= 50);
    server.await.unwrap().unwrap();
}

/// A server driving the core by hand over blocking std sockets: sends a ping once open and
/// reports whether the pong came back, then closes.
fn pinging_server(listener: TcpListener, got_pong: Arc<AtomicBool>) {
    let (mut stream, _) = listener.accept().unwrap();
    stream
        .set_read_timeout(Some(Duration::from_millis(50)))
        .unwrap();
    let origin = StdInstant::now();
    let now = || Instant::from_elapsed(origin.elapsed());
    let mut conn = Connection::server(Config::default(), OsEntropy::new(), now());
    let mut buf = vec![0; 64 << 10];
    let deadline = StdInstant::now() + Duration::from_secs(10);
    while StdInstant::now() < deadline {
        let (mut request, mut open, mut pong) = (false, false, false);
        while let Some(event) = conn.poll_event() {
            match event {
                Event::Request(_) => request = true,
                Event::Open => open = true,
                Event::Pong(p) if p == b"are you there" => pong = true,
                _ => {}
            }
        }
        if request {
            conn.accept(Accept::default()).unwrap();
            continue;
        }
        if open {
            conn.send_ping(b"are you there").unwrap();
        }
        if pong {
            got_pong.store(true, Ordering::SeqCst);
            let _ = conn.close(CloseCode::NORMAL, "", now());
        }
        let out = conn.take_transmit();
        if stream.write_all(&out).is_err() {
            return;
        }
        match stream.read(&mut buf) {
            Ok(0) => return,
            Ok(n) => conn.handle_input(now(), &buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(_) => return,
        }
    }
}

#[tokio::test]
async fn pings_are_answered_while_the_write_half_is_idle() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let got_pong = Arc::new(AtomicBool::new(false));
    let flag = got_pong.clone();
    let server = std::thread::spawn(move || pinging_server(listener, flag));
    let ws = connect_with(&format!("ws://{addr}/"), &SocketConfig::default())
        .await
        .unwrap();
    let (mut reader, _writer) = ws.into_split();
    // Only the read half runs; the write half is never used.
    let end = tokio::time::timeout(Duration::from_secs(5), reader.recv())
        .await
        .expect("the server should close once its ping is answered");
    assert_eq!(end.unwrap(), None);
    assert!(
        got_pong.load(Ordering::SeqCst),
        "the server's ping was not answered"
    );
    assert_eq!(reader.close_frame().unwrap().code, CloseCode::NORMAL);
    tokio::task::spawn_blocking(move || server.join().unwrap())
        .await
        .unwrap();
}
