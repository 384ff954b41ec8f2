//! A connection with permessage-deflate (RFC 7692) negotiated, fed arbitrary bytes: compressed
//! and plain messages, fragmented, in both receive modes, both roles, with the parameters the
//! first byte picks. Whole messages are echoed back, so they are compressed again.
//!
//! First byte: bit 0 the role (1: client), bit 1 chunks mode, bit 2
//! `server_no_context_takeover`, bit 3 `client_no_context_takeover`, bits 4-6 the window bits
//! (8 + n, both directions). The rest goes to `common::drive` (its first byte: piece size and
//! how the bytes arrive).
#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;
use tether_proto::connection::Negotiated;
use tether_proto::{Connection, FixedEntropy, Instant, ReceiveMode, Role};

fuzz_target!(|data: &[u8]| {
    let Some((&params, rest)) = data.split_first() else {
        return;
    };
    let role = if params & 1 == 1 {
        Role::Client
    } else {
        Role::Server
    };
    let mode = if params & 2 == 2 {
        ReceiveMode::Chunks
    } else {
        ReceiveMode::Message
    };
    let offer = common::deflate_offer(8 + ((params >> 4) & 7), params & 4 == 4, params & 8 == 8);
    let negotiated = Negotiated::new(None, vec![offer]);
    let config = common::config().receive_mode(mode);
    let mut conn = Connection::open(
        Instant::ZERO,
        role,
        negotiated,
        config,
        FixedEntropy::new(1),
    );
    assert!(conn.negotiated().deflate().is_some());
    common::drive(&mut conn, rest);
});
