//! Full duplex with split halves; pings answered while the application only writes.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant as StdInstant};

use tether_proto::handshake::Accept;
use tether_proto::{Config, Connection, Event, Instant, OsEntropy};
use tether_std::{CloseCode, Message, SocketConfig, connect_with};

use crate::common::echo_server;

#[test]
fn split_halves_send_and_receive_from_two_threads() {
    let (addr, server) = echo_server(SocketConfig::default());
    let ws = connect_with(&format!("ws://{addr}/"), &SocketConfig::default()).unwrap();
    let (mut reader, mut writer) = ws.split().unwrap();
    const N: usize = 2000;
    let sender = std::thread::spawn(move || {
        for i in 0..N {
            writer.send_text(&format!("message {i}")).unwrap();
        }
        writer
    });
    for i in 0..N {
        assert_eq!(
            reader.recv().unwrap(),
            Some(Message::Text(format!("message {i}")))
        );
    }
    let mut writer = sender.join().unwrap();
    // Close from the writing half; the reading half sees the end and the peer's answer.
    writer.close(CloseCode::from(4100), "writer done").unwrap();
    assert_eq!(reader.recv().unwrap(), None);
    assert_eq!(reader.close_frame().unwrap().code, CloseCode::from(4100));
    server.join().unwrap().unwrap();
    assert!(writer.send_text("late").is_err());
}

/// A server driving the core by hand: sends a ping once open and reports whether the pong
/// came back, while draining whatever the client sends.
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
        if stream.write_all(&out).is_err() || pong {
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

#[test]
fn pings_are_answered_while_the_application_only_writes() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let got_pong = Arc::new(AtomicBool::new(false));
    let flag = got_pong.clone();
    let server = std::thread::spawn(move || pinging_server(listener, flag));
    let mut ws = connect_with(&format!("ws://{addr}/"), &SocketConfig::default()).unwrap();
    let deadline = StdInstant::now() + Duration::from_secs(5);
    // Never call recv: only send.
    while !got_pong.load(Ordering::SeqCst) && StdInstant::now() < deadline {
        if ws.send_text("busy writing").is_err() {
            break;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    assert!(
        got_pong.load(Ordering::SeqCst),
        "the server's ping was not answered while the client only wrote"
    );
    server.join().unwrap();
}
