//! A client connection fed an arbitrary server response (and whatever follows it).
#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;
use tether_proto::handshake::ClientOptions;
use tether_proto::{Connection, FixedEntropy, Instant};

fuzz_target!(|data: &[u8]| {
    let options = ClientOptions::default().protocol("chat");
    let Ok(mut conn) = Connection::client(
        "ws://127.0.0.1:9001/",
        &options,
        common::config(),
        FixedEntropy::new(1),
        Instant::ZERO,
    ) else {
        return;
    };
    let _ = conn.take_transmit();
    common::drive(&mut conn, data);
});
