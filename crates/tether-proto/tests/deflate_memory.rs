//! Live heap per server connection after a 1.4 KB JSON echo, measured with a counting global
//! allocator: with and without permessage-deflate, with and without context takeover.
//!
//! One test in its own binary, so nothing else allocates while it measures. Run with
//! `cargo test -p tether-proto --test deflate_memory -- --nocapture` to see the figures.

use std::alloc::System;

use cap::Cap;
use tether_proto::deflate::{self, DeflateConfig};
use tether_proto::handshake::{Accept, ClientOptions, Target};
use tether_proto::testkit::drain;
use tether_proto::{Config, Connection, Event, FixedEntropy, Instant, Message, SendOptions};

#[global_allocator]
static ALLOCATOR: Cap<System> = Cap::new(System, usize::MAX);

const T0: Instant = Instant::ZERO;
const CONNECTIONS: usize = 50;

fn json(n: usize) -> String {
    let mut s = String::from("[");
    let mut i = n * 100;
    while s.len() < 1400 {
        s.push_str(&format!(
            "{{\"id\":{i},\"user\":\"user{}\",\"active\":{},\"score\":{}}},",
            i % 613,
            i.is_multiple_of(3),
            i.wrapping_mul(2_654_435_761) % 100_000
        ));
        i += 1;
    }
    s.truncate(1399);
    s.push(']');
    s
}

/// A client and a server after the handshake and one echo of a 1.4 KB JSON message.
fn echoed(client: Option<DeflateConfig>, server: Option<DeflateConfig>, n: usize) -> Connection {
    let config = |d| Config::default().ping_interval(None).deflate(d);
    let mut c = Connection::client(
        T0,
        &Target::parse("ws://localhost/").unwrap(),
        &ClientOptions::default(),
        config(client),
        FixedEntropy::new(1),
    )
    .unwrap();
    let mut s = Connection::server(T0, config(server), FixedEntropy::new(2));
    s.handle_input(T0, &drain(&mut c));
    assert!(matches!(s.poll_event(), Some(Event::Request(_))));
    s.accept(Accept::default()).unwrap();
    assert!(matches!(s.poll_event(), Some(Event::Open)));
    c.handle_input(T0, &drain(&mut s));
    assert!(matches!(c.poll_event(), Some(Event::Open)));
    assert_eq!(
        c.negotiated().deflate().is_some(),
        client.is_some() && server.is_some()
    );
    let text = json(n);
    c.send(Message::text(text), SendOptions::default()).unwrap();
    s.handle_input(T0, &drain(&mut c));
    let Some(Event::Message { data, .. }) = s.poll_event() else {
        panic!("no message")
    };
    let back = Message::binary(data.to_vec());
    s.send(back, SendOptions::default()).unwrap();
    c.handle_input(T0, &drain(&mut s));
    assert!(matches!(c.poll_event(), Some(Event::Message { .. })));
    s
}

/// Bytes each of `CONNECTIONS` server connections holds after one echo (the pool of idle
/// codec state emptied before each reading, so it is not counted).
fn per_server(client: Option<DeflateConfig>, server: Option<DeflateConfig>) -> usize {
    let servers: Vec<Connection> = (0..CONNECTIONS)
        .map(|n| echoed(client, server, n))
        .collect();
    deflate::clear_pool();
    let with = ALLOCATOR.allocated();
    drop(servers);
    deflate::clear_pool();
    let without = ALLOCATOR.allocated();
    (with - without) / CONNECTIONS
}

fn kib(bytes: usize) -> f64 {
    bytes as f64 / 1024.0
}

#[test]
fn deflate_memory_per_connection_idle_and_active() {
    let d = DeflateConfig::default();
    let nct = d
        .server_no_context_takeover(true)
        .client_no_context_takeover(true);
    // A server that keeps its compression context (the server defaults before no context
    // takeover became one).
    let keeps = d.server_no_context_takeover(false);
    // The settings before the server defaults: 15-bit windows, memory level 8, context kept.
    let wide = keeps
        .server_max_window_bits(15)
        .client_max_window_bits(15)
        .mem_level(8);
    let plain = per_server(None, None);
    let active = per_server(Some(d), Some(d));
    let idle = per_server(Some(nct), Some(d));
    let kept = per_server(Some(d), Some(keeps));
    let compact = per_server(Some(d), Some(keeps.compact_context(true)));
    let before = per_server(Some(d), Some(wide));
    let before_idle = per_server(Some(nct), Some(wide));
    println!("per server connection after a 1.4 KB JSON echo (live heap):");
    for (name, bytes) in [
        ("no compression", plain),
        ("server defaults (the client keeps its context)", active),
        ("server defaults, no context takeover either way", idle),
        ("server defaults but its context kept", kept),
        ("server defaults but its context kept, compact", compact),
        ("15 bits, memory level 8, context takeover", before),
        ("15 bits, memory level 8, no context takeover", before_idle),
    ] {
        println!(
            "  {name:48} {:7.1} KiB  (codec and its buffers: {:6.1} KiB)",
            kib(bytes),
            kib(bytes.saturating_sub(plain))
        );
    }
    // The server defaults: the compressor goes back to the pool after each message, the
    // decompressor (the client's context, zlib-rs' fixed 32 KiB window) stays: the whole
    // connection within 64 KiB.
    assert!(active <= 64 << 10, "{} KiB", kib(active));
    // Idle without context takeover: no codec state held.
    assert!(idle - plain <= 16 << 10, "{} KiB", kib(idle - plain));
    // With context takeover kept as its windows: two of 4 KiB.
    assert!(compact - plain <= 16 << 10, "{} KiB", kib(compact - plain));
    // With the server's context kept, the zlib-rs states are held: a compressor with its
    // fixed 128 KiB hash table and a decompressor, about 210 KiB (370 + 46 KiB with 15-bit
    // windows and memory level 8).
    assert!(kept - plain <= 240 << 10, "{} KiB", kib(kept - plain));
    assert!(
        active < kept && kept < before,
        "the server defaults take less"
    );
}
