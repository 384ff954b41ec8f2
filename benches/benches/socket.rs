//! The socket layer's CPU per message, without the kernel: an echo server's loop (`recv`, then
//! `feed` the message back) over an in-memory transport, on a current-thread tokio runtime.
//!
//! The transport hands out bursts of masked client frames, as a socket's reads do under load:
//! each burst is `BURST` frames of one size, read in whatever sizes the server asks for, and
//! between two bursts one read returns `Pending` (waking the task at once), so the server
//! writes its replies, its keeper runs, and the task is polled again as after a readiness event.
//! Writes are counted and dropped. What is measured is everything above the system calls:
//! decoding, the queues, the locks and wake-ups, encoding the replies.
//!
//! Peers, the same way: tokio-websockets (`next` + `feed`, one `flush` per burst, as its
//! batched loopback echo server does).

use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use futures_util::{SinkExt, StreamExt};
use tether_bench::{MEASUREMENT_TIME, SAMPLE_SIZE, WARM_UP_TIME, size_name};

#[path = "socket_transport.rs"]
mod transport;

use transport::{BURST, Bursts};

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("a runtime")
}

/// tether-tokio: the echo example's loop.
fn tether(size: usize, messages: u64) -> Duration {
    runtime().block_on(async move {
        let config = tether_tokio::ServerConfig::default();
        let mut ws = tether_tokio::take_over(Bursts::new(size), Default::default(), &config);
        let start = Instant::now();
        for _ in 0..messages {
            let message = ws.recv().await.expect("no error").expect("a message");
            ws.feed(message).await.expect("queued");
        }
        start.elapsed()
    })
}

/// tokio-websockets: `next` + `feed`, one `flush` per burst.
fn tokio_websockets(size: usize, messages: u64) -> Duration {
    runtime().block_on(async move {
        let mut ws = tokio_websockets::ServerBuilder::new()
            .config(tokio_websockets::Config::default().frame_size(usize::MAX))
            .limits(tokio_websockets::Limits::unlimited())
            .serve(Bursts::new(size));
        let start = Instant::now();
        for n in 1..=messages {
            let message = ws.next().await.expect("a message").expect("no error");
            ws.feed(message).await.expect("queued");
            if n % BURST as u64 == 0 {
                ws.flush().await.expect("flushed");
            }
        }
        start.elapsed()
    })
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("socket_echo");
    group
        .sample_size(SAMPLE_SIZE)
        .warm_up_time(WARM_UP_TIME)
        .measurement_time(MEASUREMENT_TIME);
    for size in [16, 1024] {
        group.throughput(Throughput::Elements(BURST as u64));
        let name = size_name(size);
        group.bench_function(BenchmarkId::new("tether", &name), |b| {
            b.iter_custom(|iters| tether(size, iters * BURST as u64));
        });
        group.bench_function(BenchmarkId::new("tokio-websockets", &name), |b| {
            b.iter_custom(|iters| tokio_websockets(size, iters * BURST as u64));
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
