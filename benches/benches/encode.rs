//! Sending: N binary messages of 16 B, 1 KiB or 64 KiB, each encoded and handed to the
//! transport as soon as it is sent (the usual `send` pattern), as a server (unmasked) and as a
//! client (masked with a fresh random key per frame).
//!
//! - `tether`: `send_binary`, then `poll_transmit`/`advance_transmit` until idle. Client masking
//!   keys come from `OsEntropy` (a ChaCha generator, like the peers' `rand` thread RNG).
//! - `tungstenite`: `send(Message::Binary)` (write + flush) on a `WebSocket` over a sink.
//! - `fastwebsockets`: `write_frame(Frame::binary(..))` on a current-thread tokio runtime. As a
//!   server it writes header and payload with one vectored write (no copy of payloads above
//!   1 KiB); as a client it masks the caller's buffer in place (`Payload::BorrowedMut`), which
//!   is the cheapest way it offers but destroys the caller's copy.
//!
//! - `tokio-websockets`, `yawc`, `sockudo-ws` (in `encode_peers`): `send(..)` through each
//!   one's `Sink` (queue the message, then flush) on a current-thread runtime.
//!
//! The sink copies what it is given into a ring buffer, like a socket that always has room.
//! Throughput counts the bytes put on the wire (headers and payloads), the same for all three.

use std::hint::black_box;
use std::io::{self, IoSlice, Write};
use std::pin::Pin;
use std::task::{Context, Poll};

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use tether_bench::{
    MEASUREMENT_TIME, SAMPLE_SIZE, WARM_UP_TIME, payload, size_name, tether_config,
};
use tether_proto::connection::{Negotiated, Transmit};
use tether_proto::{
    Connection, Event, Instant, Message, MessageKind, OsEntropy, Role, SendOptions,
};
use tokio::io::AsyncWrite;

/// A transport that always has room. Like a socket's `write`, it copies what it is given (into
/// a 256 KiB ring, standing in for the kernel's socket buffer), so a zero-copy vectored write
/// still pays the one copy a real transport makes. In verification runs it keeps everything.
struct Sink {
    ring: Vec<u8>,
    pos: usize,
    capture: Option<Vec<u8>>,
}

impl Default for Sink {
    fn default() -> Self {
        Self {
            ring: vec![0; 256 << 10],
            pos: 0,
            capture: None,
        }
    }
}

impl Sink {
    #[inline]
    fn take(&mut self, bytes: &[u8]) {
        if let Some(out) = &mut self.capture {
            out.extend_from_slice(bytes);
        }
        let mut rest = bytes;
        while !rest.is_empty() {
            let n = (self.ring.len() - self.pos).min(rest.len());
            self.ring[self.pos..self.pos + n].copy_from_slice(&rest[..n]);
            self.pos = (self.pos + n) % self.ring.len();
            rest = &rest[n..];
        }
        black_box(&mut self.ring);
    }
}

impl io::Read for Sink {
    fn read(&mut self, _out: &mut [u8]) -> io::Result<usize> {
        Err(io::ErrorKind::WouldBlock.into())
    }
}

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.take(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl tokio::io::AsyncRead for Sink {
    fn poll_read(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        _buf: &mut tokio::io::ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Poll::Pending
    }
}

impl AsyncWrite for Sink {
    fn poll_write(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.get_mut().take(buf);
        Poll::Ready(Ok(buf.len()))
    }

    /// Takes every slice, like `writev` on a socket with room.
    fn poll_write_vectored(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let mut n = 0;
        for buf in bufs {
            this.take(buf);
            n += buf.len();
        }
        Poll::Ready(Ok(n))
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

fn tether_conn(role: Role) -> Connection {
    // Frames are never split: the largest message here is one frame for every contender.
    let config = tether_config(16 << 10).send_frame_size(1 << 20);
    Connection::open(
        Instant::ZERO,
        role,
        Negotiated::default(),
        config,
        OsEntropy::new(),
    )
}

#[inline]
fn tether_send(
    conn: &mut Connection,
    sink: &mut Sink,
    payload: &tether_proto::Bytes,
    count: usize,
) {
    for _ in 0..count {
        // The payload is shared, not copied: a server writes a large one from where it is, a
        // client masks a copy (the caller still holds it).
        conn.send(Message::binary(payload.clone()), SendOptions::default())
            .expect("tether send");
        while let Transmit::Write(bufs) = conn.poll_transmit() {
            let mut n = 0;
            for buf in bufs {
                sink.take(buf);
                n += buf.len();
            }
            conn.advance_transmit(n);
        }
    }
}

fn tungstenite_ws(role: Role, sink: Sink) -> tungstenite::WebSocket<Sink> {
    let role = match role {
        Role::Server => tungstenite::protocol::Role::Server,
        Role::Client => tungstenite::protocol::Role::Client,
    };
    tungstenite::WebSocket::from_raw_socket(sink, role, None)
}

#[inline]
fn tungstenite_send(
    ws: &mut tungstenite::WebSocket<Sink>,
    payload: &tungstenite::Bytes,
    count: usize,
) {
    for _ in 0..count {
        ws.send(tungstenite::Message::Binary(payload.clone()))
            .expect("tungstenite send");
    }
}

fn fastws_ws(role: Role, sink: Sink) -> fastwebsockets::WebSocket<Sink> {
    let role = match role {
        Role::Server => fastwebsockets::Role::Server,
        Role::Client => fastwebsockets::Role::Client,
    };
    fastwebsockets::WebSocket::after_handshake(sink, role)
}

async fn fastws_send(
    ws: &mut fastwebsockets::WebSocket<Sink>,
    role: Role,
    payload: &mut [u8],
    count: usize,
) {
    for _ in 0..count {
        let payload = match role {
            // Masking needs a mutable payload; a borrowed one would be copied into a new Vec.
            Role::Client => fastwebsockets::Payload::BorrowedMut(&mut *payload),
            Role::Server => fastwebsockets::Payload::Borrowed(&*payload),
        };
        ws.write_frame(fastwebsockets::Frame::binary(payload))
            .await
            .expect("fastwebsockets write_frame");
    }
}

/// Decodes `wire` with a tether connection of the other role and checks it holds `count`
/// copies of `payload`.
fn check_output(who: &str, sender: Role, wire: &[u8], payload: &[u8], count: usize) {
    let receiver = match sender {
        Role::Server => Role::Client,
        Role::Client => Role::Server,
    };
    let mut conn = Connection::open(
        Instant::ZERO,
        receiver,
        Negotiated::default(),
        tether_config(wire.len()),
        OsEntropy::new(),
    );
    conn.handle_input(Instant::ZERO, wire);
    let mut n = 0;
    while let Some(event) = conn.poll_event() {
        match event {
            Event::Message {
                kind: MessageKind::Binary,
                data,
            } if data == payload => n += 1,
            other => panic!("{who}: unexpected {other:?}"),
        }
    }
    assert_eq!(n, count, "{who}: wrong message count");
}

/// Runs every contender once, capturing its output, checks it, and returns the wire length.
fn verify(role: Role, data: &[u8], count: usize, rt: &tokio::runtime::Runtime) -> usize {
    let capture = || Sink {
        capture: Some(Vec::new()),
        ..Sink::default()
    };

    let mut conn = tether_conn(role);
    let mut sink = capture();
    tether_send(
        &mut conn,
        &mut sink,
        &tether_proto::Bytes::copy_from_slice(data),
        count,
    );
    let tether = sink.capture.take().expect("captured");
    check_output("tether", role, &tether, data, count);

    let mut ws = tungstenite_ws(role, capture());
    tungstenite_send(&mut ws, &tungstenite::Bytes::copy_from_slice(data), count);
    let tung = ws.get_mut().capture.take().expect("captured");
    check_output("tungstenite", role, &tung, data, count);

    // A client masks the payload buffer in place, so each message gets a fresh copy here; the
    // timed loop re-masks one buffer, which costs the same.
    let mut ws = fastws_ws(role, capture());
    for _ in 0..count {
        rt.block_on(fastws_send(&mut ws, role, &mut data.to_vec(), 1));
    }
    let fast = ws.into_inner().capture.take().expect("captured");
    check_output("fastwebsockets", role, &fast, data, count);

    assert_eq!(
        tether.len(),
        tung.len(),
        "tungstenite output length differs"
    );
    assert_eq!(
        tether.len(),
        fast.len(),
        "fastwebsockets output length differs"
    );
    tether.len()
}

fn encode(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("tokio runtime");
    for (len, count) in [(16, 4096), (1 << 10, 1024), (64 << 10, 16)] {
        let data = payload(0, len);
        let bytes = tungstenite::Bytes::copy_from_slice(&data);
        for role in [Role::Server, Role::Client] {
            let wire_len = verify(role, &data, count, &rt);
            let role_name = match role {
                Role::Server => "server",
                Role::Client => "client",
            };
            let mut group = c.benchmark_group(format!("encode/{}/{role_name}", size_name(len)));
            group.throughput(Throughput::Bytes(wire_len as u64));
            let param = format!("{count}x{}", size_name(len));

            let mut conn = tether_conn(role);
            let mut sink = Sink::default();
            let tether_payload = tether_proto::Bytes::copy_from_slice(&data);
            group.bench_function(BenchmarkId::new("tether", &param), |b| {
                b.iter(|| tether_send(&mut conn, &mut sink, black_box(&tether_payload), count));
            });

            let mut ws = tungstenite_ws(role, Sink::default());
            group.bench_function(BenchmarkId::new("tungstenite", &param), |b| {
                b.iter(|| tungstenite_send(&mut ws, black_box(&bytes), count));
            });

            let mut ws = fastws_ws(role, Sink::default());
            let mut scratch = data.clone();
            group.bench_function(BenchmarkId::new("fastwebsockets", &param), |b| {
                b.iter(|| rt.block_on(fastws_send(&mut ws, role, black_box(&mut scratch), count)));
            });
            group.finish();
        }
    }
}

// ---- More peers: tokio-websockets, yawc, sockudo-ws (issue 12, item 5) ----
//
// Each sends through its `Sink` with `send(..)` (queue + flush: handed to the transport at
// once), on a current-thread runtime, over the same `Sink` transport as the others. Payloads
// are `Bytes` (a reference-counted clone per message, as with tungstenite). As clients, each
// masks into a buffer of its own: the caller's payload is left intact.

/// One of the new peers' connections over a transport `T` (a [`Sink`], or a [`Capture`] to
/// check the output).
enum PeerWs<T> {
    TokioWebsockets(tokio_websockets::WebSocketStream<T>),
    Yawc(yawc::WebSocket<T>),
    Sockudo(sockudo_ws::WebSocketStream<T>),
}

/// A transport that keeps everything written, readable from outside while a peer owns it (yawc
/// gives no access to its transport).
#[derive(Clone, Default)]
struct Capture(std::rc::Rc<std::cell::RefCell<Vec<u8>>>);

impl tokio::io::AsyncRead for Capture {
    fn poll_read(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        _buf: &mut tokio::io::ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Poll::Pending
    }
}

impl AsyncWrite for Capture {
    fn poll_write(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.0.borrow_mut().extend_from_slice(buf);
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

/// The names of the new peers, as in the benchmark ids.
const PEERS: [&str; 3] = ["tokio-websockets", "yawc", "sockudo-ws"];

impl<T: tokio::io::AsyncRead + AsyncWrite + Unpin> PeerWs<T> {
    fn open(which: &str, role: Role, sink: T) -> Self {
        match which {
            "tokio-websockets" => Self::TokioWebsockets(match role {
                Role::Server => tokio_websockets::ServerBuilder::new().serve(sink),
                Role::Client => tokio_websockets::ClientBuilder::new().take_over(sink),
            }),
            "yawc" => {
                let role = match role {
                    Role::Server => yawc::Role::Server,
                    Role::Client => yawc::Role::Client,
                };
                Self::Yawc(
                    yawc::WebSocket::from_stream(sink, role, yawc::Options::default())
                        .expect("yawc from_stream"),
                )
            }
            "sockudo-ws" => {
                let config = sockudo_ws::Config::default();
                Self::Sockudo(match role {
                    Role::Server => sockudo_ws::WebSocketStream::server(sink, config),
                    Role::Client => sockudo_ws::WebSocketStream::client(sink, config),
                })
            }
            other => unreachable!("no peer {other}"),
        }
    }

    async fn send(&mut self, payload: &bytes::Bytes, count: usize) {
        use futures_util::SinkExt;
        match self {
            Self::TokioWebsockets(ws) => {
                for _ in 0..count {
                    ws.send(tokio_websockets::Message::binary(payload.clone()))
                        .await
                        .expect("tokio-websockets send");
                }
            }
            Self::Yawc(ws) => {
                for _ in 0..count {
                    ws.send(yawc::Frame::binary(payload.clone()))
                        .await
                        .expect("yawc send");
                }
            }
            Self::Sockudo(ws) => {
                for _ in 0..count {
                    ws.send(sockudo_ws::Message::Binary(payload.clone()))
                        .await
                        .expect("sockudo-ws send");
                }
            }
        }
    }
}

/// The wire length of `count` single-frame binary messages of `len` bytes sent as `role`.
fn wire_len(role: Role, len: usize, count: usize) -> usize {
    let head =
        2 + match len {
            0..=125 => 0,
            126..=0xffff => 2,
            _ => 8,
        } + if role == Role::Client { 4 } else { 0 };
    count * (head + len)
}

/// Runs every new peer once, capturing its output, and checks it.
fn verify_peers(role: Role, data: &[u8], count: usize, rt: &tokio::runtime::Runtime) {
    let payload = bytes::Bytes::copy_from_slice(data);
    for which in PEERS {
        let capture = Capture::default();
        let mut ws = PeerWs::open(which, role, capture.clone());
        rt.block_on(ws.send(&payload, count));
        let wire = capture.0.take();
        assert_eq!(
            wire.len(),
            wire_len(role, data.len(), count),
            "{which}: output length"
        );
        check_output(which, role, &wire, data, count);
    }
}

/// tokio-websockets, yawc and sockudo-ws in the `encode/<size>/<role>` groups.
fn encode_peers(c: &mut Criterion) {
    // sockudo-ws arms its keepalive timers on tokio's clock.
    sockudo_ws::init_clock();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("tokio runtime");
    for (len, count) in [(16, 4096), (1 << 10, 1024), (64 << 10, 16)] {
        let data = payload(0, len);
        let bytes = bytes::Bytes::copy_from_slice(&data);
        for role in [Role::Server, Role::Client] {
            verify_peers(role, &data, count, &rt);
            let role_name = match role {
                Role::Server => "server",
                Role::Client => "client",
            };
            let mut group = c.benchmark_group(format!("encode/{}/{role_name}", size_name(len)));
            group.throughput(Throughput::Bytes(wire_len(role, len, count) as u64));
            let param = format!("{count}x{}", size_name(len));
            for which in PEERS {
                let mut ws = PeerWs::open(which, role, Sink::default());
                group.bench_function(BenchmarkId::new(which, &param), |b| {
                    b.iter(|| rt.block_on(ws.send(black_box(&bytes), count)));
                });
            }
            group.finish();
        }
    }
}

fn config() -> Criterion {
    Criterion::default()
        .measurement_time(MEASUREMENT_TIME)
        .warm_up_time(WARM_UP_TIME)
        .sample_size(SAMPLE_SIZE)
}

criterion_group! { name = benches; config = config(); targets = encode, encode_peers }
criterion_main!(benches);
