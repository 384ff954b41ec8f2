//! permessage-deflate (RFC 7692): compressed echo throughput and compression ratio on a
//! JSON-like payload.
//!
//! A client and a server connection (the sans-IO core, wired back to back in memory) echo
//! messages of 256 B, 4 KiB and 64 KiB: the client sends (compress + mask), the server
//! receives (unmask + inflate) and sends it back (compress), the client receives (inflate).
//! The 64 messages cycled through are all different, as real traffic is, with the same keys.
//!
//! - `deflate-l1`: the defaults (level 1, 15-bit windows, context takeover);
//! - `deflate-l6`: level 6, zlib's default;
//! - `deflate-l1-no-context`: the defaults without context takeover either way (each message
//!   on its own, and the compressor and decompressor freed between messages);
//! - `plain`: tether without compression, the baseline.
//!
//! None of the peers the other benches use (tungstenite, fastwebsockets) implements
//! permessage-deflate, so there is no peer to compare with here: `plain` is the yardstick.
//! Throughput counts the payload echoed (one message each way per iteration). The compression
//! ratio (bytes on the wire for the round trip over payload bytes, headers included) is printed
//! once per size and variant.

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use tether_bench::{
    MEASUREMENT_TIME, SAMPLE_SIZE, WARM_UP_TIME, size_name, tether_config, tether_transmit,
};
use tether_proto::connection::Negotiated;
use tether_proto::deflate::DeflateConfig;
use tether_proto::handshake::ExtensionOffer;
use tether_proto::{
    Connection, Event, Instant, Message, MessageKind, OsEntropy, Role, SendOptions,
};

const SIZES: [usize; 3] = [256, 4 << 10, 64 << 10];

/// A JSON-like message of about `len` bytes, message `n` of a stream.
fn json(n: usize, len: usize) -> String {
    let mut s = String::from("[");
    let mut i = n * 1000;
    while s.len() < len {
        s.push_str(&format!(
            "{{\"id\":{i},\"user\":\"user{}\",\"active\":{},\"score\":{},\"tags\":[\"t{}\",\"t{}\"]}},",
            i % 613,
            i.is_multiple_of(3),
            (i.wrapping_mul(2_654_435_761)) % 100_000,
            i % 17,
            (i * 7) % 23,
        ));
        i += 1;
    }
    s.truncate(len - 1);
    s.push(']');
    s
}

/// Client and server, open, with permessage-deflate as `agreement` (or none), compressing as
/// `deflate` says.
fn pair(agreement: Option<ExtensionOffer>, deflate: Option<DeflateConfig>) -> [Connection; 2] {
    let negotiated = Negotiated::new(None, agreement.into_iter().collect());
    [Role::Client, Role::Server].map(|role| {
        let config = tether_config(64 << 10).deflate(deflate);
        let mut conn = Connection::open(
            Instant::ZERO,
            role,
            negotiated.clone(),
            config,
            OsEntropy::new(),
        );
        while conn.poll_event().is_some() {}
        conn
    })
}

/// One echo: client → server → client. Returns the bytes on the wire.
fn echo(c: &mut Connection, s: &mut Connection, text: &str) -> usize {
    c.send(Message::text(text), SendOptions::default()).unwrap();
    let wire = tether_transmit(c);
    s.handle_input(Instant::ZERO, &wire);
    let Some(Event::Message {
        kind: MessageKind::Text,
        ..
    }) = s.poll_event()
    else {
        panic!("no text message at the server");
    };
    let back = s.take_message().expect("the message");
    s.send(back, SendOptions::default()).unwrap();
    let wire_back = tether_transmit(s);
    c.handle_input(Instant::ZERO, &wire_back);
    match c.poll_event() {
        Some(Event::Message {
            kind: MessageKind::Text,
            data,
        }) => {
            black_box(data.len());
        }
        _ => panic!("no echo at the client"),
    }
    wire.len() + wire_back.len()
}

fn variants() -> Vec<(&'static str, Option<ExtensionOffer>, Option<DeflateConfig>)> {
    let pmd = ExtensionOffer::new("permessage-deflate");
    let no_context = pmd
        .clone()
        .with_param("server_no_context_takeover")
        .with_param("client_no_context_takeover");
    vec![
        (
            "deflate-l1",
            Some(pmd.clone()),
            Some(DeflateConfig::default()),
        ),
        (
            "deflate-l6",
            Some(pmd),
            Some(DeflateConfig::default().level(6)),
        ),
        (
            "deflate-l1-no-context",
            Some(no_context),
            Some(DeflateConfig::default()),
        ),
        ("plain", None, None),
    ]
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("deflate_echo");
    group
        .measurement_time(MEASUREMENT_TIME)
        .warm_up_time(WARM_UP_TIME)
        .sample_size(SAMPLE_SIZE);
    for size in SIZES {
        let messages: Vec<String> = (0..64).map(|n| json(n, size)).collect();
        group.throughput(Throughput::Bytes(size as u64));
        for (name, agreement, deflate) in variants() {
            let [mut client, mut server] = pair(agreement, deflate);
            assert_eq!(client.negotiated().deflate().is_some(), deflate.is_some());
            // The ratio over one pass through the 64 messages (context built up as it goes).
            let wire: usize = messages
                .iter()
                .map(|m| echo(&mut client, &mut server, m))
                .sum();
            println!(
                "ratio {name} {}: {:.3} ({wire} wire bytes for {} payload bytes)",
                size_name(size),
                wire as f64 / (2 * size * messages.len()) as f64,
                2 * size * messages.len()
            );
            let mut n = 0;
            group.bench_function(BenchmarkId::new(name, size_name(size)), |b| {
                b.iter(|| {
                    n = (n + 1) % messages.len();
                    echo(&mut client, &mut server, &messages[n])
                });
            });
        }
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
