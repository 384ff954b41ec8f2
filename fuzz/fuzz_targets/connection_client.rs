//! A client connection, already open, fed arbitrary bytes (chunks receive mode when the first
//! byte is odd).
#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;
use tether_proto::connection::Negotiated;
use tether_proto::{Connection, FixedEntropy, Instant, ReceiveMode, Role};

fuzz_target!(|data: &[u8]| {
    let mode = if data.first().is_some_and(|b| b & 1 == 1) {
        ReceiveMode::Chunks
    } else {
        ReceiveMode::Message
    };
    let config = common::config().receive_mode(mode);
    let mut conn = Connection::open(
        Instant::ZERO,
        Role::Client,
        Negotiated::default(),
        config,
        FixedEntropy::new(1),
    );
    common::drive(&mut conn, data);
});
