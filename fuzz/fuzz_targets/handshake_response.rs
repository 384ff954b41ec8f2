//! A client connection fed an arbitrary server response (and whatever follows it).
#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;
use tether_proto::handshake::{ClientOptions, Target};
use tether_proto::{Connection, FixedEntropy, Instant};

fuzz_target!(|data: &[u8]| {
    let options = ClientOptions::default().protocol("chat");
    let Ok(target) = Target::parse("ws://127.0.0.1:9001/") else {
        return;
    };
    let Ok(mut conn) = Connection::client(
        Instant::ZERO,
        &target,
        &options,
        common::config(),
        FixedEntropy::new(1),
    ) else {
        return;
    };
    common::write_out(&mut conn);
    common::drive(&mut conn, data);
});
