//! `serve --mode broadcast` with a client that does not read: `--slow drop` drops its oldest
//! queued messages (it gets the newest, in order, and the server logs the drops), `--slow
//! close` closes it with 1013 "too slow" (logged); `--queue-messages` / `--queue-bytes` bound
//! its queue. The publisher, which reads, gets everything either way.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use super::common::{expect_line, run, serve};

const T: Duration = Duration::from_secs(30);
/// Messages the publisher sends, each of [`LINE`] bytes: far more than the slow client's
/// socket buffers, its connection's 1 MiB of output and its queue can hold.
const MESSAGES: usize = 400;
const LINE: usize = 64 << 10;

/// A client that does the upgrade by hand and then reads nothing until asked to.
fn raw_subscriber(addr: &str) -> TcpStream {
    let mut tcp = TcpStream::connect(addr).expect("connect");
    tcp.set_read_timeout(Some(T)).expect("timeout");
    write!(
        tcp,
        "GET / HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
    .expect("write");
    let mut head = Vec::new();
    let mut byte = [0];
    while !head.ends_with(b"\r\n\r\n") {
        tcp.read_exact(&mut byte).expect("the 101 response");
        head.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&head);
    assert!(head.starts_with("HTTP/1.1 101"), "{head}");
    tcp
}

/// The next frame: (opcode, payload). Server frames are unmasked.
fn read_frame(tcp: &mut TcpStream) -> (u8, Vec<u8>) {
    let mut head = [0; 2];
    tcp.read_exact(&mut head).expect("a frame header");
    let len = match head[1] & 0x7f {
        126 => {
            let mut n = [0; 2];
            tcp.read_exact(&mut n).expect("length");
            usize::from(u16::from_be_bytes(n))
        }
        127 => {
            let mut n = [0; 8];
            tcp.read_exact(&mut n).expect("length");
            usize::try_from(u64::from_be_bytes(n)).expect("a length that fits")
        }
        n => usize::from(n),
    };
    assert_eq!(head[0] & 0x70, 0, "no compression offered, no RSV bits");
    let mut payload = vec![0; len];
    tcp.read_exact(&mut payload).expect("a payload");
    (head[0] & 0x0f, payload)
}

/// The publisher's stdin: numbered lines.
fn lines() -> Vec<u8> {
    let mut input = Vec::with_capacity(MESSAGES * (LINE + 1));
    for i in 0..MESSAGES {
        input.extend_from_slice(format!("{i:05} ").as_bytes());
        input.resize(input.len() + LINE - 6, b'x');
        input.push(b'\n');
    }
    input
}

#[test]
fn slow_drop_keeps_a_slow_clients_newest_messages_in_order() {
    let server = serve(&[
        "--mode",
        "broadcast",
        "--slow",
        "drop",
        "--queue-messages",
        "4",
        "--queue-bytes",
        "1000000",
    ]);
    let mut slow = raw_subscriber(&server.addr);
    expect_line(&server.log, " open ", T);
    let publisher = run(&["connect", &server.url, "--linger", "20s"], &lines(), T);
    assert_eq!(publisher.code(), Some(0), "{}", publisher.stderr);
    assert_eq!(
        publisher.stdout.lines().count(),
        MESSAGES,
        "the publisher got all"
    );
    expect_line(&server.log, "slow clients missed messages", T);
    // Now it reads: what it got is in order, ends with the newest, and misses some.
    let mut got = Vec::new();
    while got.last() != Some(&(MESSAGES - 1)) {
        let (opcode, payload) = read_frame(&mut slow);
        assert_eq!(opcode, 1, "text");
        assert_eq!(payload.len(), LINE);
        let n: usize = String::from_utf8_lossy(&payload[..5])
            .parse()
            .expect("numbered");
        got.push(n);
    }
    assert!(got.windows(2).all(|w| w[0] < w[1]), "in order: {got:?}");
    assert!(got.len() < MESSAGES, "some were dropped");
}

#[test]
fn slow_close_closes_a_slow_client_with_1013() {
    let server = serve(&[
        "--mode",
        "broadcast",
        "--slow",
        "close",
        "--queue-messages",
        "4",
    ]);
    let mut slow = raw_subscriber(&server.addr);
    expect_line(&server.log, " open ", T);
    let publisher = run(&["connect", &server.url, "--linger", "20s"], &lines(), T);
    assert_eq!(publisher.code(), Some(0), "{}", publisher.stderr);
    assert_eq!(
        publisher.stdout.lines().count(),
        MESSAGES,
        "the publisher got all"
    );
    expect_line(&server.log, "closed clients that could not keep up", T);
    // Now it reads: what was queued on its connection, then the close.
    let mut messages = 0;
    let close = loop {
        match read_frame(&mut slow) {
            (1, _) => messages += 1,
            (8, payload) => break payload,
            (opcode, _) => panic!("opcode {opcode}"),
        }
    };
    assert!(messages < MESSAGES);
    assert_eq!(close[..2], 1013u16.to_be_bytes());
    assert_eq!(&close[2..], b"too slow");
}
