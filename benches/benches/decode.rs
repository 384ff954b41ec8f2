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

mod decode_streams;

use std::hint::black_box;
use std::time::Duration;

use criterion::{
    BenchmarkId, Criterion, SamplingMode, Throughput, criterion_group, criterion_main,
};
use decode_streams::*;
use tether_bench::{
    FrameBuffer, MEASUREMENT_TIME, SAMPLE_SIZE, WARM_UP_TIME, size_name, tether_open, word_xor,
};
use tether_proto::{Connection, Event, MessageKind, Role};

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
