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
//! Throughput counts the whole buffer: headers and payloads.

use std::cell::Cell;
use std::hint::black_box;
use std::io::{self, Read, Write};
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
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

fn config() -> Criterion {
    Criterion::default()
        .measurement_time(MEASUREMENT_TIME)
        .warm_up_time(WARM_UP_TIME)
        .sample_size(SAMPLE_SIZE)
}

criterion_group! { name = benches; config = config(); targets = decode }
criterion_main!(benches);
