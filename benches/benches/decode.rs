//! Receiving: a buffer of about 4 MiB of masked client frames (payloads of 16 B, 1 KiB, 64 KiB,
//! 1 MiB), decoded into whole binary messages by tether and by its peers.
//!
//! - `tether/in_place`: the bytes are already in the connection's input buffer (what an adapter
//!   gets by reading the socket into `input_buffer()`); only the `poll_event` loop is timed.
//!   Unmasking is destructive, so the masked bytes are copied back in, untimed, before each
//!   iteration.
//! - `tether/copy_in`: `handle_input` (one copy of the whole buffer) plus the `poll_event` loop,
//!   all timed — the same single copy the peers pay when they read from their stream.
//! - `tungstenite`: `WebSocket::from_raw_socket` over an in-memory stream, `read()` per message.
//! - `fastwebsockets`: `WebSocket::after_handshake` over an in-memory stream, `read_frame()` per
//!   message on a current-thread tokio runtime.
//!
//! Every contender keeps one connection for the whole run (the peers' in-memory stream is
//! refilled with the same bytes each iteration), so buffers are warm and allocation is steady
//! state for all of them. The peers' reads copy from the stream into their own buffer: the one
//! copy a socket read makes, which `tether/copy_in` pays too and `tether/in_place` does not.
//! - `ceiling/word_xor`: no decoding at all, only a word-XOR unmask of every payload of the same
//!   buffer in place: what `tether/in_place` would cost if parsing were free.
//!
//! - `tokio-websockets`, `yawc`, `sockudo-ws` (in `decode_peers`): like fastwebsockets, over the
//!   same in-memory stream on a current-thread runtime, one message per `next()` /
//!   `next_frame()`.
//!
//! Throughput counts the whole buffer: headers and payloads.
//!
//! A second set of groups, `decode_copyin/<size>/<impl>` (`decode_copyin` below), is issue 12's
//! in-memory receive path with one copy-in: about 32 MiB, a fresh connection per iteration,
//! every implementation (tether included) reading through its own buffer in the sizes it asks
//! for. Run it alone with `cargo bench -p tether-bench --bench decode -- '^decode_copyin/'`.

use std::cell::Cell;
use std::hint::black_box;
use std::io::{self, Read, Write};
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::Duration;

use criterion::{
    BenchmarkId, Criterion, SamplingMode, Throughput, criterion_group, criterion_main,
};
use tether_bench::{
    FrameBuffer, MEASUREMENT_TIME, SAMPLE_SIZE, WARM_UP_TIME, size_name, tether_open, word_xor,
};
use tether_proto::{Connection, Event, MessageKind, Role};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// A stream over borrowed bytes: reads hand out as much as the reader asks for, writes are
/// discarded. Implements both the blocking and the tokio traits, so both peers read the same
/// way a socket with everything already received would behave. The bytes left to read are
/// shared with the benchmark, which refills them between iterations: each peer keeps one
/// long-lived socket with warm buffers, as tether keeps one connection.
#[derive(Clone)]
struct SliceStream<'a> {
    data: Rc<Cell<&'a [u8]>>,
}

impl<'a> SliceStream<'a> {
    fn new(data: &'a [u8]) -> Self {
        Self {
            data: Rc::new(Cell::new(data)),
        }
    }

    fn next_bytes(&self, max: usize) -> &'a [u8] {
        let data = self.data.get();
        let (now, later) = data.split_at(max.min(data.len()));
        self.data.set(later);
        now
    }

    fn refill(&self, data: &'a [u8]) {
        assert!(
            self.data.get().is_empty(),
            "the previous round left input unread"
        );
        self.data.set(data);
    }
}

impl Read for SliceStream<'_> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let bytes = self.next_bytes(out.len());
        out[..bytes.len()].copy_from_slice(bytes);
        Ok(bytes.len())
    }
}

impl Write for SliceStream<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl AsyncRead for SliceStream<'_> {
    fn poll_read(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        buf.put_slice(self.next_bytes(buf.remaining()));
        Poll::Ready(Ok(()))
    }
}

impl AsyncWrite for SliceStream<'_> {
    fn poll_write(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

/// Drains every event, handing each payload to `f`; returns how many messages there were.
#[inline]
fn tether_drain(conn: &mut Connection, mut f: impl FnMut(usize, &[u8])) -> usize {
    let mut n = 0;
    while let Some(event) = conn.poll_event() {
        match event {
            Event::Message {
                kind: MessageKind::Binary,
                data,
            } => f(n, data),
            other => panic!("unexpected event {other:?}"),
        }
        n += 1;
    }
    n
}

/// Puts the masked frames into the connection's input buffer, as a socket read would.
fn tether_fill(conn: &mut Connection, wire: &[u8]) {
    let spare = conn.input_buffer();
    spare[..wire.len()].copy_from_slice(wire);
    conn.commit_input(tether_proto::Instant::ZERO, wire.len());
}

fn tungstenite_socket(stream: SliceStream<'_>) -> tungstenite::WebSocket<SliceStream<'_>> {
    let config = tungstenite::protocol::WebSocketConfig::default()
        .max_message_size(Some(64 << 20))
        .max_frame_size(Some(64 << 20));
    tungstenite::WebSocket::from_raw_socket(
        stream,
        tungstenite::protocol::Role::Server,
        Some(config),
    )
}

fn tungstenite_read(
    ws: &mut tungstenite::WebSocket<SliceStream<'_>>,
    frames: usize,
    mut f: impl FnMut(usize, &[u8]),
) {
    for n in 0..frames {
        match ws.read() {
            Ok(tungstenite::Message::Binary(payload)) => f(n, &payload),
            other => panic!("unexpected {other:?}"),
        }
    }
}

fn fastws_socket(stream: SliceStream<'_>) -> fastwebsockets::WebSocket<SliceStream<'_>> {
    let mut ws = fastwebsockets::WebSocket::after_handshake(stream, fastwebsockets::Role::Server);
    ws.set_auto_close(false);
    ws.set_auto_pong(false);
    ws.set_max_message_size(64 << 20);
    ws
}

async fn fastws_read(
    ws: &mut fastwebsockets::WebSocket<SliceStream<'_>>,
    frames: usize,
    mut f: impl FnMut(usize, &[u8]),
) {
    for n in 0..frames {
        let frame = ws.read_frame().await.expect("fastwebsockets read_frame");
        assert!(frame.opcode == fastwebsockets::OpCode::Binary && frame.fin);
        f(n, &frame.payload);
    }
}

/// Runs every contender once, outside any timing, and checks it decodes every message whole.
fn verify(buf: &FrameBuffer, rt: &tokio::runtime::Runtime) {
    let check = |who: &'static str| {
        move |n: usize, payload: &[u8]| {
            assert!(buf.is_payload(n, payload), "{who}: message {n} is wrong")
        }
    };
    let mut conn = tether_open(Role::Server, buf.wire.len());
    tether_fill(&mut conn, &buf.wire);
    assert_eq!(
        tether_drain(&mut conn, check("tether/in_place")),
        buf.frames
    );
    tether_fill(&mut conn, &buf.wire);
    assert_eq!(
        tether_drain(&mut conn, check("tether/in_place, second round")),
        buf.frames
    );
    conn.handle_input(tether_proto::Instant::ZERO, &buf.wire);
    assert_eq!(tether_drain(&mut conn, check("tether/copy_in")), buf.frames);

    // Two rounds each on one socket, as the benchmark reuses it.
    let feed = SliceStream::new(&buf.wire);
    let mut ws = tungstenite_socket(feed.clone());
    tungstenite_read(&mut ws, buf.frames, check("tungstenite"));
    feed.refill(&buf.wire);
    tungstenite_read(&mut ws, buf.frames, check("tungstenite, second round"));
    assert!(
        feed.next_bytes(1).is_empty(),
        "tungstenite left input unread"
    );

    let feed = SliceStream::new(&buf.wire);
    let mut ws = fastws_socket(feed.clone());
    rt.block_on(fastws_read(&mut ws, buf.frames, check("fastwebsockets")));
    feed.refill(&buf.wire);
    rt.block_on(fastws_read(
        &mut ws,
        buf.frames,
        check("fastwebsockets, second round"),
    ));
    assert!(
        feed.next_bytes(1).is_empty(),
        "fastwebsockets left input unread"
    );
}

fn decode(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("tokio runtime");
    for payload_len in [16, 1 << 10, 64 << 10, 1 << 20] {
        let buf = FrameBuffer::masked(payload_len);
        verify(&buf, &rt);
        let frames = buf.frames;
        let wire = &buf.wire[..];

        let mut group = c.benchmark_group(format!("decode/{}", size_name(payload_len)));
        group.throughput(Throughput::Bytes(wire.len() as u64));
        let param = format!("{frames}x{}", size_name(payload_len));

        let mut conn = tether_open(Role::Server, wire.len());
        group.bench_function(BenchmarkId::new("tether/in_place", &param), |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    tether_fill(&mut conn, wire);
                    let start = std::time::Instant::now();
                    let n = tether_drain(&mut conn, |_, p| {
                        black_box(p);
                    });
                    total += start.elapsed();
                    assert_eq!(n, frames);
                }
                total
            });
        });

        group.bench_function(BenchmarkId::new("tether/copy_in", &param), |b| {
            b.iter(|| {
                conn.handle_input(tether_proto::Instant::ZERO, black_box(wire));
                tether_drain(&mut conn, |_, p| {
                    black_box(p);
                })
            });
        });

        let feed = SliceStream::new(&[]);
        let mut ws = tungstenite_socket(feed.clone());
        group.bench_function(BenchmarkId::new("tungstenite", &param), |b| {
            b.iter(|| {
                feed.refill(wire);
                tungstenite_read(&mut ws, frames, |_, p| {
                    black_box(p);
                });
            });
        });

        let feed = SliceStream::new(&[]);
        let mut ws = fastws_socket(feed.clone());
        group.bench_function(BenchmarkId::new("fastwebsockets", &param), |b| {
            b.iter(|| {
                feed.refill(wire);
                rt.block_on(fastws_read(&mut ws, frames, |_, p| {
                    black_box(p);
                }));
            });
        });

        let mut scratch = wire.to_vec();
        group.bench_function(BenchmarkId::new("ceiling/word_xor", &param), |b| {
            b.iter(|| {
                let scratch = black_box(&mut scratch[..]);
                for (range, key) in &buf.payloads {
                    word_xor(&mut scratch[range.clone()], *key);
                }
            });
        });
        group.finish();
    }
}

// ---- More peers in `decode/<size>`: tokio-websockets, yawc, sockudo-ws (issue 12, item 5) ----
//
// The same conditions as the tungstenite and fastwebsockets entries above: one long-lived
// connection over the in-memory stream, refilled with the ~4 MiB buffer each iteration, one
// message read per call on a current-thread runtime, every message checked once beforehand.

fn tokio_websockets_socket(
    stream: SliceStream<'_>,
) -> tokio_websockets::WebSocketStream<SliceStream<'_>> {
    tokio_websockets::ServerBuilder::new()
        .limits(tokio_websockets::Limits::default().max_payload_len(Some(64 << 20)))
        .serve(stream)
}

async fn tokio_websockets_read(
    ws: &mut tokio_websockets::WebSocketStream<SliceStream<'_>>,
    frames: usize,
    mut f: impl FnMut(usize, &[u8]),
) {
    use futures_util::StreamExt;
    for n in 0..frames {
        let message = ws
            .next()
            .await
            .expect("tokio-websockets: stream ended")
            .expect("tokio-websockets: read");
        assert!(
            message.is_binary(),
            "tokio-websockets: not a binary message"
        );
        f(n, message.as_payload());
    }
}

fn yawc_socket(stream: SliceStream<'_>) -> yawc::WebSocket<SliceStream<'_>> {
    // yawc's payload limit is exclusive: a frame of exactly the limit is refused.
    let options = yawc::Options::default()
        .with_max_payload_read((64 << 20) + 1)
        .with_max_read_buffer((128 << 20) + 1);
    yawc::WebSocket::from_stream(stream, yawc::Role::Server, options).expect("yawc from_stream")
}

async fn yawc_read(
    ws: &mut yawc::WebSocket<SliceStream<'_>>,
    frames: usize,
    mut f: impl FnMut(usize, &[u8]),
) {
    for n in 0..frames {
        let frame = ws.next_frame().await.expect("yawc next_frame");
        assert!(frame.opcode() == yawc::OpCode::Binary && frame.is_fin());
        f(n, frame.payload());
    }
}

fn sockudo_socket(stream: SliceStream<'_>) -> sockudo_ws::WebSocketStream<SliceStream<'_>> {
    // The defaults allow 16 MiB frames and 64 MiB messages: enough for every size here.
    sockudo_ws::WebSocketStream::server(stream, sockudo_ws::Config::default())
}

async fn sockudo_read(
    ws: &mut sockudo_ws::WebSocketStream<SliceStream<'_>>,
    frames: usize,
    mut f: impl FnMut(usize, &[u8]),
) {
    use futures_util::StreamExt;
    for n in 0..frames {
        match ws.next().await {
            Some(Ok(sockudo_ws::Message::Binary(payload))) => f(n, &payload),
            other => panic!("sockudo-ws: unexpected {other:?}"),
        }
    }
}

/// A current-thread runtime with timers: sockudo-ws arms its keepalive timers on tokio's clock.
fn runtime_with_time() -> tokio::runtime::Runtime {
    sockudo_ws::init_clock();
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("tokio runtime")
}

/// Checks the three peers on `buf`, two rounds on one socket each, as `decode_peers` runs them.
fn verify_peers(buf: &FrameBuffer, rt: &tokio::runtime::Runtime) {
    let check = |who: &'static str| {
        move |n: usize, payload: &[u8]| {
            assert!(buf.is_payload(n, payload), "{who}: message {n} is wrong")
        }
    };
    let feed = SliceStream::new(&[]);
    let mut ws = tokio_websockets_socket(feed.clone());
    for _ in 0..2 {
        feed.refill(&buf.wire);
        rt.block_on(tokio_websockets_read(
            &mut ws,
            buf.frames,
            check("tokio-websockets"),
        ));
        assert!(
            feed.next_bytes(1).is_empty(),
            "tokio-websockets left input unread"
        );
    }
    let feed = SliceStream::new(&[]);
    let mut ws = yawc_socket(feed.clone());
    for _ in 0..2 {
        feed.refill(&buf.wire);
        rt.block_on(yawc_read(&mut ws, buf.frames, check("yawc")));
        assert!(feed.next_bytes(1).is_empty(), "yawc left input unread");
    }
    let feed = SliceStream::new(&[]);
    let mut ws = sockudo_socket(feed.clone());
    for _ in 0..2 {
        feed.refill(&buf.wire);
        rt.block_on(sockudo_read(&mut ws, buf.frames, check("sockudo-ws")));
        assert!(
            feed.next_bytes(1).is_empty(),
            "sockudo-ws left input unread"
        );
    }
}

/// tokio-websockets, yawc and sockudo-ws in the `decode/<size>` groups, beside the others.
fn decode_peers(c: &mut Criterion) {
    let rt = runtime_with_time();
    for payload_len in [16, 1 << 10, 64 << 10, 1 << 20] {
        let buf = FrameBuffer::masked(payload_len);
        verify_peers(&buf, &rt);
        let frames = buf.frames;
        let wire = &buf.wire[..];

        let mut group = c.benchmark_group(format!("decode/{}", size_name(payload_len)));
        group.throughput(Throughput::Bytes(wire.len() as u64));
        let param = format!("{frames}x{}", size_name(payload_len));

        let feed = SliceStream::new(&[]);
        let mut ws = tokio_websockets_socket(feed.clone());
        group.bench_function(BenchmarkId::new("tokio-websockets", &param), |b| {
            b.iter(|| {
                feed.refill(wire);
                rt.block_on(tokio_websockets_read(&mut ws, frames, |_, p| {
                    black_box(p);
                }));
            });
        });

        let feed = SliceStream::new(&[]);
        let mut ws = yawc_socket(feed.clone());
        group.bench_function(BenchmarkId::new("yawc", &param), |b| {
            b.iter(|| {
                feed.refill(wire);
                rt.block_on(yawc_read(&mut ws, frames, |_, p| {
                    black_box(p);
                }));
            });
        });

        let feed = SliceStream::new(&[]);
        let mut ws = sockudo_socket(feed.clone());
        group.bench_function(BenchmarkId::new("sockudo-ws", &param), |b| {
            b.iter(|| {
                feed.refill(wire);
                rt.block_on(sockudo_read(&mut ws, frames, |_, p| {
                    black_box(p);
                }));
            });
        });
        group.finish();
    }
}

// ---- decode_copyin/<size>/<impl>: the in-memory receive path with one copy-in ----
//
// Issue 12's definition: "The input is about 32 MiB of masked client binary frames, decoded by
// a fresh server connection. Each implementation reads the bytes through its own buffer, in
// the read sizes it asks for (so each pays one copy-in, as from a socket), and gets every
// message out", for payloads of 16 B, 1 KiB, 64 KiB and 1 MiB.
//
// Every iteration opens a fresh server-role connection (its setup is timed, and is nothing
// next to 32 MiB) over a `SliceStream` of the whole input. The stream hands out as many bytes
// as each read asks for, copying them into the implementation's buffer, as a socket with
// everything already received would. Each implementation keeps its own defaults (buffer and
// read sizes) except for limits raised so the largest message passes. The async peers run on a
// current-thread runtime and never see `Pending`.

/// About how many bytes of frames the `decode_copyin` input holds.
const COPYIN_BYTES: usize = 32 << 20;

/// The length of a masked client frame header for a payload of `len` bytes.
fn masked_header_len(len: usize) -> usize {
    2 + 4
        + match len {
            0..=125 => 0,
            126..=0xffff => 2,
            _ => 8,
        }
}

/// tether as an adapter reads a socket: read into the space the connection offers
/// (`input_buffer` / `commit_input`), drain the events. Returns how many messages came out.
fn tether_copyin(feed: &mut SliceStream<'_>, mut f: impl FnMut(usize, &[u8])) -> usize {
    use tether_proto::connection::Negotiated;
    use tether_proto::{Config, FixedEntropy, Instant};
    let config = Config::default()
        .max_message_size(64 << 20)
        .max_frame_size(64 << 20)
        .ping_interval(None);
    let mut conn = Connection::open(
        Instant::ZERO,
        Role::Server,
        Negotiated::default(),
        config,
        FixedEntropy::new(1),
    );
    let mut n = 0;
    loop {
        let got = feed.read(conn.input_buffer()).expect("in-memory read");
        if got == 0 {
            return n;
        }
        conn.commit_input(Instant::ZERO, got);
        while let Some(event) = conn.poll_event() {
            match event {
                Event::Message { data, .. } => f(n, data),
                other => panic!("tether: unexpected event {other:?}"),
            }
            n += 1;
        }
    }
}

/// tungstenite with its default buffers (reads of its 128 KiB read buffer's free space).
fn tungstenite_copyin(feed: SliceStream<'_>, frames: usize, f: impl FnMut(usize, &[u8])) {
    tungstenite_read(&mut tungstenite_socket(feed), frames, f);
}

async fn fastws_copyin(feed: SliceStream<'_>, frames: usize, f: impl FnMut(usize, &[u8])) {
    fastws_read(&mut fastws_socket(feed), frames, f).await;
}

async fn tokio_websockets_copyin(
    feed: SliceStream<'_>,
    frames: usize,
    f: impl FnMut(usize, &[u8]),
) {
    tokio_websockets_read(&mut tokio_websockets_socket(feed), frames, f).await;
}

async fn yawc_copyin(feed: SliceStream<'_>, frames: usize, f: impl FnMut(usize, &[u8])) {
    yawc_read(&mut yawc_socket(feed), frames, f).await;
}

async fn sockudo_copyin(feed: SliceStream<'_>, frames: usize, f: impl FnMut(usize, &[u8])) {
    sockudo_read(&mut sockudo_socket(feed), frames, f).await;
}

/// The implementations of `decode_copyin`, by name.
const COPYIN_IMPLS: [&str; 6] = [
    "tether",
    "tungstenite",
    "fastwebsockets",
    "tokio-websockets",
    "yawc",
    "sockudo-ws",
];

/// Runs implementation `which` once over `wire`, handing every message to `f`.
fn copyin_run(
    which: &str,
    wire: &[u8],
    frames: usize,
    rt: &tokio::runtime::Runtime,
    mut f: impl FnMut(usize, &[u8]),
) {
    let mut feed = SliceStream::new(wire);
    match which {
        "tether" => assert_eq!(tether_copyin(&mut feed, &mut f), frames),
        "tungstenite" => tungstenite_copyin(feed.clone(), frames, f),
        "fastwebsockets" => rt.block_on(fastws_copyin(feed.clone(), frames, f)),
        "tokio-websockets" => rt.block_on(tokio_websockets_copyin(feed.clone(), frames, f)),
        "yawc" => rt.block_on(yawc_copyin(feed.clone(), frames, f)),
        "sockudo-ws" => rt.block_on(sockudo_copyin(feed.clone(), frames, f)),
        other => unreachable!("no implementation {other}"),
    }
    assert!(feed.next_bytes(1).is_empty(), "{which} left input unread");
}

fn decode_copyin(c: &mut Criterion) {
    let rt = runtime_with_time();
    for payload_len in [16, 1 << 10, 64 << 10, 1 << 20] {
        let frames = COPYIN_BYTES.div_ceil(masked_header_len(payload_len) + payload_len);
        let buf = FrameBuffer::masked_n(payload_len, frames);
        let wire = &buf.wire[..];
        for which in COPYIN_IMPLS {
            let mut seen = 0;
            copyin_run(which, wire, frames, &rt, |n, payload| {
                assert!(buf.is_payload(n, payload), "{which}: message {n} is wrong");
                seen += 1;
            });
            assert_eq!(seen, frames, "{which}: wrong message count");
        }

        let mut group = c.benchmark_group(format!("decode_copyin/{}", size_name(payload_len)));
        group.throughput(Throughput::Bytes(wire.len() as u64));
        // One iteration is 32 MiB (up to ~100 ms): flat sampling keeps the run short.
        group.sampling_mode(SamplingMode::Flat);
        for which in COPYIN_IMPLS {
            group.bench_function(which, |b| {
                b.iter(|| {
                    copyin_run(which, wire, frames, &rt, |_, p| {
                        black_box(p);
                    })
                });
            });
        }
        group.finish();
    }
}

fn config() -> Criterion {
    Criterion::default()
        .measurement_time(MEASUREMENT_TIME)
        .warm_up_time(WARM_UP_TIME)
        .sample_size(SAMPLE_SIZE)
}

criterion_group! { name = benches; config = config(); targets = decode, decode_peers, decode_copyin }
criterion_main!(benches);
