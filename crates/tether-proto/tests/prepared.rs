//! Prepared messages: every connection sends exactly the bytes `send` would have sent, in both
//! roles, with and without permessage-deflate (several parameter sets, context takeover
//! included), and a message is compressed once per parameter set that can share it.

#![cfg(feature = "deflate")]

use tether_proto::deflate::DeflateConfig;
use tether_proto::handshake::{Accept, ClientOptions};
use tether_proto::testkit::{Ev, Pair, drain, events};
use tether_proto::{Config, Connection, Message, PreparedMessage, SendOptions};

/// The parameter sets: (name, client config, server config).
fn cases() -> Vec<(&'static str, Config, Config)> {
    let on = |d: DeflateConfig| Config::default().deflate(Some(d));
    let d = DeflateConfig::default;
    vec![
        (
            "no deflate",
            Config::default().deflate(None),
            Config::default().deflate(None),
        ),
        // Context takeover both ways: every connection compresses for itself.
        (
            "context takeover",
            on(d()),
            on(d().server_no_context_takeover(false)),
        ),
        (
            "server no context takeover, imposed by the server (its default)",
            on(d()),
            on(d()),
        ),
        (
            "server no context takeover, asked by the client, 10-bit window",
            on(d()
                .server_no_context_takeover(true)
                .server_max_window_bits(10)),
            on(d().server_no_context_takeover(false)),
        ),
        (
            "both no context takeover, 9-bit windows, level 6",
            on(d()
                .client_no_context_takeover(true)
                .client_max_window_bits(9)),
            on(d()
                .server_no_context_takeover(true)
                .client_no_context_takeover(true)
                .server_max_window_bits(9)
                .level(6)),
        ),
        (
            "server no context takeover, small frames",
            on(d()),
            on(d().server_no_context_takeover(true)).send_frame_size(100),
        ),
        (
            "compact context",
            on(d().compact_context(true)),
            on(d().server_no_context_takeover(false).compact_context(true)),
        ),
    ]
}

/// A client and a server, open (their events so far taken).
fn pair(client: &Config, server: &Config) -> Pair {
    let mut pair = Pair::connect(
        "ws://example.com/feed",
        &ClientOptions::default(),
        client.clone(),
        server.clone(),
        Accept::default(),
    );
    assert!(
        pair.server.events.contains(&Ev::Open),
        "{:?}",
        pair.server.events
    );
    assert!(
        pair.client.events.contains(&Ev::Open),
        "{:?}",
        pair.client.events
    );
    pair.server.take_events();
    pair.client.take_events();
    pair
}

fn json(records: usize) -> String {
    let items: Vec<String> = (0..records)
        .map(|i| {
            format!(
                r#"{{"id":{i},"user":"user{i}","score":{},"tags":["a","b"]}}"#,
                i * 37 % 1000
            )
        })
        .collect();
    format!("[{}]", items.join(","))
}

fn noise(len: usize) -> Vec<u8> {
    let mut x = 0x2545_f491_u32;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            (x >> 7) as u8
        })
        .collect()
}

/// Messages of every kind of outcome: below the threshold, compressible text and binary, one
/// that looks incompressible, one large enough to be queued as a slice of its own, empty.
fn messages() -> Vec<Message> {
    vec![
        Message::text("hi"),
        Message::text(json(20)),
        Message::binary(json(5).into_bytes()),
        Message::binary(noise(4096)),
        Message::text(json(3000)),
        Message::binary(Vec::new()),
        Message::text(json(20)),
    ]
}

/// What the receiving end got from `wire`, as owned events.
fn received(to: &mut Connection, wire: &[u8]) -> Vec<Ev> {
    to.handle_input(tether_proto::Instant::ZERO, wire);
    events(to)
}

fn expected_events(messages: &[Message]) -> Vec<Ev> {
    messages
        .iter()
        .map(|m| match m.as_text() {
            Some(t) => Ev::Text(t.to_owned()),
            None => Ev::Binary(m.as_bytes().to_vec()),
        })
        .collect()
}

#[test]
fn a_prepared_message_is_byte_identical_to_a_normal_send_for_servers_and_clients() {
    let messages = messages();
    let prepared: Vec<PreparedMessage> =
        messages.iter().cloned().map(PreparedMessage::new).collect();
    for (name, client, server) in cases() {
        // Twins (same entropy, same handshake): one sends each message with `send`, the other
        // the prepared message; the wire must be the same, message after message (context
        // takeover carries state from one to the next).
        // A third twin sends each prepared message after the second did, so it gets what the
        // second's parameter set already compressed (the fast path), not a compression of its
        // own.
        let mut sent = pair(&client, &server);
        let mut shared = pair(&client, &server);
        let mut again = pair(&client, &server);
        for (m, p) in messages.iter().zip(&prepared) {
            sent.server
                .conn
                .send(m.clone(), SendOptions::default())
                .unwrap();
            shared.server.conn.send_prepared(p).unwrap();
            again.server.conn.send_prepared(p).unwrap();
            let a = drain(&mut sent.server.conn);
            let b = drain(&mut shared.server.conn);
            assert_eq!(a, b, "{name}: server, {} bytes", m.len());
            let c = drain(&mut again.server.conn);
            assert_eq!(a, c, "{name}: server, again, {} bytes", m.len());
            let got = received(&mut shared.client.conn, &b);
            assert_eq!(
                got,
                expected_events(std::slice::from_ref(m)),
                "{name}: client received"
            );
            // The same in the client role (each frame masked, the keys from the twins' entropy).
            sent.client
                .conn
                .send(m.clone(), SendOptions::default())
                .unwrap();
            shared.client.conn.send_prepared(p).unwrap();
            let a = drain(&mut sent.client.conn);
            let b = drain(&mut shared.client.conn);
            assert_eq!(a, b, "{name}: client, {} bytes", m.len());
            let got = received(&mut shared.server.conn, &b);
            assert_eq!(
                got,
                expected_events(std::slice::from_ref(m)),
                "{name}: server received"
            );
        }
    }
}

#[test]
fn compression_runs_once_per_shareable_parameter_set() {
    let d = DeflateConfig::default;
    let on = |d: DeflateConfig| Config::default().deflate(Some(d));
    let nct = on(d());
    let kept = on(d().server_no_context_takeover(false));
    let nct_10 = on(d()
        .server_no_context_takeover(true)
        .server_max_window_bits(10));
    let nct_level_6 = on(d().server_no_context_takeover(true).level(6));
    // 12 connections in three shareable sets, 4 with context takeover, 4 without deflate, and
    // 4 clients with no context takeover (they mask: each encodes for itself).
    let mut pairs = Vec::new();
    for _ in 0..4 {
        pairs.push(pair(&on(d()), &nct));
        pairs.push(pair(&on(d()), &nct_10));
        pairs.push(pair(&on(d()), &nct_level_6));
        pairs.push(pair(&on(d()), &kept));
        pairs.push(pair(&Config::default().deflate(None), &nct));
    }
    let mut clients: Vec<Pair> = (0..4)
        .map(|_| pair(&on(d().client_no_context_takeover(true)), &kept))
        .collect();
    let message = Message::text(json(30));
    let news = PreparedMessage::new(message.clone());
    for p in &mut pairs {
        p.server.conn.send_prepared(&news).unwrap();
    }
    for p in &mut clients {
        p.client.conn.send_prepared(&news).unwrap();
    }
    assert_eq!(news.compressions(), 3, "one per shareable parameter set");
    // Every receiver got the message.
    for p in &mut pairs {
        let (client_events, _) = p.drive();
        assert_eq!(
            client_events,
            expected_events(std::slice::from_ref(&message))
        );
    }
    for p in &mut clients {
        let (_, server_events) = p.drive();
        assert_eq!(
            server_events,
            expected_events(std::slice::from_ref(&message))
        );
    }
    // The shared frames were compressed: RSV1 set, smaller than the message.
    let mut nct_pair = pair(&on(d()), &nct);
    nct_pair.server.conn.send_prepared(&news).unwrap();
    let wire = drain(&mut nct_pair.server.conn);
    assert_eq!(wire[0], 0x80 | 0x40 | 0x01, "FIN, RSV1, text");
    assert!(wire.len() < message.len() / 2, "{} bytes", wire.len());
    assert_eq!(
        news.compressions(),
        3,
        "a fourth connection of a set reuses its bytes"
    );

    // Below the threshold, or incompressible: decided once, no compressor pass.
    for m in [Message::text("short"), Message::binary(noise(4096))] {
        let prepared = PreparedMessage::new(m);
        for p in &mut pairs {
            p.server.conn.send_prepared(&prepared).unwrap();
        }
        assert_eq!(prepared.compressions(), 0);
    }
    // Connections with context takeover only: each compresses for itself.
    let prepared = PreparedMessage::new(message);
    let mut takeover = pair(&on(d()), &kept);
    takeover.server.conn.send_prepared(&prepared).unwrap();
    assert_eq!(prepared.compressions(), 0);
}

#[test]
fn threads_sending_one_prepared_message_compress_it_once() {
    let server = Config::default().deflate(Some(
        DeflateConfig::default().server_no_context_takeover(true),
    ));
    let client = Config::default();
    let news = PreparedMessage::new(Message::text(json(200)));
    let wires: Vec<Vec<u8>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..8)
            .map(|_| {
                let (news, client, server) = (news.clone(), client.clone(), server.clone());
                scope.spawn(move || {
                    let mut p = pair(&client, &server);
                    p.server.conn.send_prepared(&news).unwrap();
                    drain(&mut p.server.conn)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(news.compressions(), 1);
    assert!(wires.windows(2).all(|w| w[0] == w[1]));
}
