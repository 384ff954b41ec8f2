//! A server connection, already open, fed arbitrary bytes.
#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;
use tether_proto::connection::Negotiated;
use tether_proto::{Connection, FixedEntropy, Instant, Role};

fuzz_target!(|data: &[u8]| {
    let mut conn = Connection::open(
        Instant::ZERO,
        Role::Server,
        Negotiated::default(),
        common::config(),
        FixedEntropy::new(1),
    );
    common::drive(&mut conn, data);
});
