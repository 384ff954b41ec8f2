//! Fan-out in memory: one message to 1 000 server connections (the sans-IO core), prepared
//! once (`PreparedMessage` + `send_prepared`) against encoded per connection (`send` of a
//! clone of the message, what a loop over the connections does without prepared messages).
//!
//! - `plain`: no extension, binary messages of 16 B and 1 KiB;
//! - `deflate`: every connection agreed permessage-deflate with `server_no_context_takeover`
//!   (the server's defaults otherwise: 12-bit window, level 1, memory level 5), 1 KiB JSON text
//!   messages: prepared, the message is compressed once for all 1 000; per connection, 1 000
//!   times. The compressions a prepared message ran are checked (1 per message).
//!
//! Each iteration makes one new message (64 different ones cycled, so nothing is cached
//! between iterations), hands it to every connection, and lets each connection's output be
//! taken (`poll_transmit` + `advance_transmit`, no copy: the transport's part is not measured).
//! Throughput counts deliveries (1 000 per iteration).

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use tether_bench::{MEASUREMENT_TIME, SAMPLE_SIZE, WARM_UP_TIME, size_name, tether_config};
use tether_proto::connection::{Negotiated, Transmit};
use tether_proto::deflate::DeflateConfig;
use tether_proto::handshake::ExtensionOffer;
use tether_proto::{
    Connection, FixedEntropy, Instant, Message, PreparedMessage, Role, SendOptions,
};

const CONNECTIONS: usize = 1000;

/// A JSON-like text of `len` bytes, message `n` of a stream.
fn json(n: usize, len: usize) -> String {
    let mut s = String::from("[");
    let mut i = n * 1000;
    while s.len() < len {
        s.push_str(&format!(
            "{{\"id\":{i},\"user\":\"user{}\",\"active\":{},\"score\":{}}},",
            i % 613,
            i.is_multiple_of(3),
            (i.wrapping_mul(2_654_435_761)) % 100_000,
        ));
        i += 1;
    }
    s.truncate(len - 1);
    s.push(']');
    s
}

/// 1 000 open server connections, with permessage-deflate (no server context takeover) or
/// without.
fn connections(deflate: bool) -> Vec<Connection> {
    let agreement = deflate.then(|| {
        ExtensionOffer::new("permessage-deflate")
            .with_param("server_no_context_takeover")
            .with_param_value("server_max_window_bits", "12")
            .with_param_value("client_max_window_bits", "12")
    });
    let negotiated = Negotiated::new(None, agreement.into_iter().collect());
    let config = tether_config(16 << 10).deflate(deflate.then(DeflateConfig::default));
    (0..CONNECTIONS)
        .map(|i| {
            let conn = Connection::open(
                Instant::ZERO,
                Role::Server,
                negotiated.clone(),
                config.clone(),
                FixedEntropy::new(i as u64),
            );
            assert_eq!(conn.negotiated().deflate().is_some(), deflate);
            conn
        })
        .collect()
}

/// Lets the transport take everything `conn` has to write (without copying it).
fn take_output(conn: &mut Connection) -> usize {
    let mut total = 0;
    while let Transmit::Write(bufs) = conn.poll_transmit() {
        let n = bufs.len();
        black_box(bufs.clone().next());
        conn.advance_transmit(n);
        total += n;
    }
    total
}

fn run(c: &mut Criterion, group_name: &str, deflate: bool, messages: &[Message]) {
    let mut group = c.benchmark_group(group_name);
    group
        .measurement_time(MEASUREMENT_TIME)
        .warm_up_time(WARM_UP_TIME)
        .sample_size(SAMPLE_SIZE)
        .throughput(Throughput::Elements(CONNECTIONS as u64));
    let size = size_name(messages[0].len());
    let mut conns = connections(deflate);
    let mut n = 0;
    group.bench_function(BenchmarkId::new("prepared", &size), |b| {
        b.iter(|| {
            let prepared = PreparedMessage::new(messages[n % messages.len()].clone());
            n += 1;
            let mut wire = 0;
            for conn in &mut conns {
                conn.send_prepared(&prepared).expect("open");
                wire += take_output(conn);
            }
            if deflate {
                assert_eq!(prepared.compressions(), 1);
            }
            black_box(wire)
        });
    });
    group.bench_function(BenchmarkId::new("per_connection", &size), |b| {
        b.iter(|| {
            let message = &messages[n % messages.len()];
            n += 1;
            let mut wire = 0;
            for conn in &mut conns {
                conn.send(message.clone(), SendOptions::default())
                    .expect("open");
                wire += take_output(conn);
            }
            black_box(wire)
        });
    });
    group.finish();
}

fn fanout(c: &mut Criterion) {
    for size in [16, 1 << 10] {
        let messages: Vec<Message> = (0..64)
            .map(|n| Message::binary(tether_bench::payload(n, size)))
            .collect();
        run(c, "fanout_1000_plain", false, &messages);
    }
    let messages: Vec<Message> = (0..64).map(|n| Message::text(json(n, 1 << 10))).collect();
    run(c, "fanout_1000_deflate", true, &messages);
}

criterion_group!(benches, fanout);
criterion_main!(benches);
