//! permessage-deflate (RFC 7692) both ways through the public API: a server and a client that
//! agreed on the parameters the first byte picks send each other the rest of the input as one
//! message, compressed (from an empty history without context takeover: `quick.rs` at level 1
//! for messages up to 16 KiB, zlib-rs otherwise), and each must receive exactly what the other
//! sent, twice in a row (the second refers back to the first when the context is kept).
//!
//! First byte: bit 0 `server_no_context_takeover`, bit 1 `client_no_context_takeover`, bits
//! 2-4 the window bits (8 + n, both directions), bit 5 level 6 instead of 1, bit 6 text (the
//! input made valid UTF-8 first).
#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;
use tether_proto::connection::{Negotiated, Transmit};
use tether_proto::deflate::DeflateConfig;
use tether_proto::{
    Config, Connection, Event, FixedEntropy, Instant, Message, MessageKind, Role, SendOptions,
};

fuzz_target!(|data: &[u8]| {
    let Some((&params, rest)) = data.split_first() else {
        return;
    };
    let offer = common::deflate_offer(8 + ((params >> 2) & 7), params & 1 == 1, params & 2 == 2);
    let level = if params & 32 == 32 { 6 } else { 1 };
    let config =
        Config::default().deflate(Some(DeflateConfig::default().level(level).threshold(0)));
    let open = |role| {
        let negotiated = Negotiated::new(None, vec![offer.clone()]);
        Connection::open(
            Instant::ZERO,
            role,
            negotiated,
            config.clone(),
            FixedEntropy::new(7),
        )
    };
    let (mut server, mut client) = (open(Role::Server), open(Role::Client));
    let message = if params & 64 == 64 {
        Message::text(String::from_utf8_lossy(rest).into_owned())
    } else {
        Message::binary(rest.to_vec())
    };
    for _ in 0..2 {
        deliver(&mut server, &mut client, &message);
        deliver(&mut client, &mut server, &message);
    }
});

/// Sends `message` from `from` and checks that `to` receives it unchanged.
fn deliver(from: &mut Connection, to: &mut Connection, message: &Message) {
    from.send(message.clone(), SendOptions::default())
        .expect("an open connection sends");
    while let Transmit::Write(bufs) = from.poll_transmit() {
        let wire: Vec<u8> = bufs.flat_map(|b| b.iter().copied()).collect();
        from.advance_transmit(wire.len());
        to.handle_input(Instant::ZERO, &wire);
    }
    match to.poll_event() {
        Some(Event::Message { kind, data }) => {
            assert_eq!(kind == MessageKind::Text, message.is_text());
            assert!(data == message.as_bytes(), "{} bytes sent", message.len());
        }
        other => panic!("expected the message, got {other:?}"),
    }
}
