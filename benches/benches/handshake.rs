//! The server side of the opening handshake, on a typical browser upgrade request.
//!
//! - `httparse`: the bare HTTP parse into a stack array of 64 headers — the floor; it checks
//!   nothing WebSocket-specific and allocates nothing.
//! - `tether/poll_request`: `ServerHandshake::poll_request`: scan, parse and check the request
//!   into an owned `Request` (what an adapter does with bytes it already holds).
//! - `tungstenite/try_parse`: tungstenite's request parse into an `http::Request` (its upgrade
//!   checks come later, when it builds the response).
//! - `tether/accept`: the whole server handshake on a new `Connection`: `handle_input`,
//!   `poll_event` to `Event::Request`, `accept`, and the 101 response drained from
//!   `poll_transmit` (SHA-1 accept key included).
//! - `tungstenite/accept`: the whole server handshake with `tungstenite::accept` over an
//!   in-memory stream (parse, checks, accept key, response written, `WebSocket` built).

use std::hint::black_box;
use std::io::{self, Read, Write};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use tether_bench::{MEASUREMENT_TIME, SAMPLE_SIZE, WARM_UP_TIME, tether_config, tether_transmit};
use tether_proto::connection::Transmit;
use tether_proto::handshake::{Accept, Limits, ServerHandshake};
use tether_proto::{Connection, Event, FixedEntropy, Instant};
use tungstenite::handshake::machine::TryParse;

/// What a current browser sends (Chrome, with permessage-deflate offered), 13 header fields.
const REQUEST: &[u8] = b"GET /chat?room=42 HTTP/1.1\r\n\
Host: server.example.com\r\n\
Connection: Upgrade\r\n\
Pragma: no-cache\r\n\
Cache-Control: no-cache\r\n\
User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36\r\n\
Upgrade: websocket\r\n\
Origin: https://example.com\r\n\
Sec-WebSocket-Version: 13\r\n\
Accept-Encoding: gzip, deflate, br, zstd\r\n\
Accept-Language: en-US,en;q=0.9\r\n\
Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\
Sec-WebSocket-Protocol: chat, superchat\r\n\
\r\n";

const ACCEPT_KEY: &[u8] = b"s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

/// The request to read, then a sink for the response (kept in `written`).
struct Duplex<'a> {
    input: &'a [u8],
    written: Vec<u8>,
}

impl Read for Duplex<'_> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let n = out.len().min(self.input.len());
        out[..n].copy_from_slice(&self.input[..n]);
        self.input = &self.input[n..];
        Ok(n)
    }
}

impl Write for Duplex<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.written.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn httparse_parse(bytes: &[u8]) -> usize {
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut req = httparse::Request::new(&mut headers);
    match req.parse(bytes) {
        Ok(httparse::Status::Complete(n)) => {
            black_box(&req);
            n
        }
        other => panic!("httparse: {other:?}"),
    }
}

/// The whole server handshake with tether; returns the response length.
fn tether_accept(bytes: &[u8]) -> usize {
    let mut conn = Connection::server(Instant::ZERO, tether_config(16 << 10), FixedEntropy::new(1));
    conn.handle_input(Instant::ZERO, bytes);
    match conn.poll_event() {
        Some(Event::Request(req)) => {
            black_box(req);
        }
        other => panic!("tether: expected the request, got {other:?}"),
    }
    conn.accept(Accept::default()).expect("tether accept");
    let mut n = 0;
    while let Transmit::Write(bufs) = conn.poll_transmit() {
        let mut len = 0;
        for out in bufs {
            len += out.len();
            black_box(out);
        }
        n += len;
        conn.advance_transmit(len);
    }
    n
}

/// The whole server handshake with tungstenite; returns what it wrote.
fn tungstenite_accept(bytes: &[u8]) -> Vec<u8> {
    let ws = tungstenite::accept(Duplex {
        input: bytes,
        written: Vec::new(),
    })
    .expect("tungstenite accept");
    ws.into_inner().written
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn verify() {
    assert_eq!(httparse_parse(REQUEST), REQUEST.len());
    let (request, used) = ServerHandshake::new()
        .poll_request(REQUEST, &Limits::default())
        .unwrap()
        .unwrap();
    assert_eq!(used, REQUEST.len());
    assert_eq!(
        (request.path(), request.key()),
        ("/chat", Some("dGhlIHNhbXBsZSBub25jZQ=="))
    );
    let (used, _) = tungstenite::handshake::server::Request::try_parse(REQUEST)
        .unwrap()
        .unwrap();
    assert_eq!(used, REQUEST.len());

    let mut conn = Connection::server(Instant::ZERO, tether_config(16 << 10), FixedEntropy::new(1));
    conn.handle_input(Instant::ZERO, REQUEST);
    assert!(matches!(conn.poll_event(), Some(Event::Request(_))));
    conn.accept(Accept::default()).unwrap();
    let response = tether_transmit(&mut conn);
    assert!(
        response.starts_with(b"HTTP/1.1 101") && contains(&response, ACCEPT_KEY),
        "tether response"
    );
    assert_eq!(tether_accept(REQUEST), response.len());

    let response = tungstenite_accept(REQUEST);
    assert!(
        response.starts_with(b"HTTP/1.1 101") && contains(&response, ACCEPT_KEY),
        "tungstenite response"
    );
}

fn handshake(c: &mut Criterion) {
    verify();
    let mut group = c.benchmark_group("handshake");
    group.throughput(Throughput::Bytes(REQUEST.len() as u64));
    group.bench_function("httparse", |b| {
        b.iter(|| httparse_parse(black_box(REQUEST)))
    });
    group.bench_function("tether/poll_request", |b| {
        b.iter(|| ServerHandshake::new().poll_request(black_box(REQUEST), &Limits::default()))
    });
    group.bench_function("tungstenite/try_parse", |b| {
        b.iter(|| tungstenite::handshake::server::Request::try_parse(black_box(REQUEST)))
    });
    group.bench_function("tether/accept", |b| {
        b.iter(|| tether_accept(black_box(REQUEST)))
    });
    group.bench_function("tungstenite/accept", |b| {
        b.iter(|| tungstenite_accept(black_box(REQUEST)))
    });
    group.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .measurement_time(MEASUREMENT_TIME)
        .warm_up_time(WARM_UP_TIME)
        .sample_size(SAMPLE_SIZE)
}

criterion_group! { name = benches; config = config(); targets = handshake }
criterion_main!(benches);
