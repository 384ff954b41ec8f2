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
//! - `deflate-l1-server-defaults`: what two tether ends agree by default — 12-bit windows
//!   both ways, the server's compressor at memory level 5 (the client's at 8) and without
//!   context takeover (each server message compressed on its own), the client's with it;
//! - `deflate-l1-server-context-kept`: the same with the server keeping its context
//!   (`server_no_context_takeover(false)`, the server defaults before 1 December);
//! - `deflate-l1-server-context-kept-compact`: that with `compact_context` at both ends (the
//!   context kept between messages as its 4 KiB window, states pooled);
//! - `plain`: tether without compression, the baseline.
//!
//! Throughput counts the payload echoed (one message each way per iteration). The compression
//! ratio (bytes on the wire for the round trip over payload bytes, headers included) is printed
//! once per size and variant.
//!
//! `deflate_incompressible`: the same echo with 64 KiB of random bytes, which tether sends
//! uncompressed (RSV1 clear) after a sample of the message, side by side with `plain`.
//!
//! `deflate_codec_json_1400`: the permessage-deflate codecs alone, tether's `Deflate` and
//! sockudo-ws's `DeflateContext` (both on zlib-rs; none of the other benches' peers implements
//! permessage-deflate, and sockudo-ws's codec is public and needs no runtime), echoing 1.4 KB
//! JSON messages: client compresses, server inflates and compresses it back, client inflates
//! — two compressions and two decompressions per iteration, at levels 1 and 6 with context
//! takeover and at level 1 without, 15-bit windows for both; and tether at level 1 with
//! `compact_context` (sockudo-ws has no such mode: its `l1` is the comparison).

use std::hint::black_box;

mod deflate_codecs;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use deflate_codecs::{SockudoCodec, TetherCodec, json};
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

/// One echo of a binary message: client → server → client. Returns the bytes on the wire.
fn echo_binary(c: &mut Connection, s: &mut Connection, data: &[u8]) -> usize {
    c.send(Message::binary(data.to_vec()), SendOptions::default())
        .unwrap();
    let wire = tether_transmit(c);
    s.handle_input(Instant::ZERO, &wire);
    let Some(Event::Message { .. }) = s.poll_event() else {
        panic!("no message at the server");
    };
    let back = s.take_message().expect("the message");
    s.send(back, SendOptions::default()).unwrap();
    let wire_back = tether_transmit(s);
    c.handle_input(Instant::ZERO, &wire_back);
    match c.poll_event() {
        Some(Event::Message { data, .. }) => {
            black_box(data.len());
        }
        _ => panic!("no echo at the client"),
    }
    wire.len() + wire_back.len()
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
        (
            "deflate-l1-server-defaults",
            Some(server_defaults()),
            Some(DeflateConfig::default()),
        ),
        (
            "deflate-l1-server-context-kept",
            Some(server_context_kept()),
            Some(DeflateConfig::default()),
        ),
        (
            "deflate-l1-server-context-kept-compact",
            Some(server_context_kept()),
            Some(DeflateConfig::default().compact_context(true)),
        ),
        ("plain", None, None),
    ]
}

/// What a tether server answers a tether client by default.
fn server_defaults() -> ExtensionOffer {
    answer(DeflateConfig::default())
}

/// What a tether server that keeps its context answers a tether client.
fn server_context_kept() -> ExtensionOffer {
    answer(DeflateConfig::default().server_no_context_takeover(false))
}

fn answer(server: DeflateConfig) -> ExtensionOffer {
    let offer = DeflateConfig::default().offer();
    let (answer, _) = server.negotiate(&[offer]).unwrap();
    answer
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

/// Incompressible 64 KiB messages: sent uncompressed after a sample, against no compression.
fn bench_incompressible(c: &mut Criterion) {
    let mut group = c.benchmark_group("deflate_incompressible");
    group
        .measurement_time(MEASUREMENT_TIME)
        .warm_up_time(WARM_UP_TIME)
        .sample_size(SAMPLE_SIZE);
    let size = 64 << 10;
    let mut x = 0x9e37_79b9_u32;
    let messages: Vec<Vec<u8>> = (0..8)
        .map(|_| {
            (0..size)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 17;
                    x ^= x << 5;
                    (x >> 11) as u8
                })
                .collect()
        })
        .collect();
    group.throughput(Throughput::Bytes(size as u64));
    for (name, agreement, deflate) in variants() {
        if name == "deflate-l6" {
            continue;
        }
        let [mut client, mut server] = pair(agreement, deflate);
        let wire: usize = messages
            .iter()
            .map(|m| echo_binary(&mut client, &mut server, m))
            .sum();
        println!(
            "ratio {name} random 64KiB: {:.4}",
            wire as f64 / (2 * size * messages.len()) as f64
        );
        let mut n = 0;
        group.bench_function(BenchmarkId::new(name, size_name(size)), |b| {
            b.iter(|| {
                n = (n + 1) % messages.len();
                echo_binary(&mut client, &mut server, &messages[n])
            });
        });
    }
    group.finish();
}

/// The codecs alone on a 1.4 KB JSON echo, tether and sockudo-ws side by side.
fn bench_codec_peer(c: &mut Criterion) {
    let mut group = c.benchmark_group("deflate_codec_json_1400");
    group
        .measurement_time(MEASUREMENT_TIME)
        .warm_up_time(WARM_UP_TIME)
        .sample_size(SAMPLE_SIZE);
    let size = 1400;
    let messages: Vec<String> = (0..64).map(|n| json(n, size)).collect();
    group.throughput(Throughput::Bytes(size as u64));
    let pmd = ExtensionOffer::new("permessage-deflate");
    let no_context = pmd
        .clone()
        .with_param("server_no_context_takeover")
        .with_param("client_no_context_takeover");
    for (name, level, nct, compact) in [
        ("l1", 1, false, false),
        ("l6", 6, false, false),
        ("l1-no-context", 1, true, false),
        ("l1-compact", 1, false, true),
    ] {
        let agreement = if nct { &no_context } else { &pmd };
        let config = DeflateConfig::default()
            .level(level)
            .compact_context(compact);
        let mut tether = TetherCodec::new(agreement, config);
        let mut sockudo = SockudoCodec::new(level, nct);
        let t: usize = messages.iter().map(|m| tether.echo(m.as_bytes())).sum();
        let s: usize = messages.iter().map(|m| sockudo.echo(m.as_bytes())).sum();
        let payload = (2 * size * messages.len()) as f64;
        println!(
            "ratio {name} 1400B: tether {:.3}, sockudo-ws {:.3}",
            t as f64 / payload,
            s as f64 / payload
        );
        let mut n = 0;
        group.bench_function(BenchmarkId::new(format!("tether-{name}"), "1400B"), |b| {
            b.iter(|| {
                n = (n + 1) % messages.len();
                tether.echo(messages[n].as_bytes())
            });
        });
        if compact {
            continue;
        }
        group.bench_function(
            BenchmarkId::new(format!("sockudo-ws-{name}"), "1400B"),
            |b| {
                b.iter(|| {
                    n = (n + 1) % messages.len();
                    sockudo.echo(messages[n].as_bytes())
                });
            },
        );
    }
    group.finish();
}

criterion_group!(benches, bench, bench_incompressible, bench_codec_peer);
criterion_main!(benches);
