//! A server connection fed an arbitrary upgrade request (and whatever follows it).
#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;
use tether_proto::handshake::Accept;
use tether_proto::{Connection, Event, FixedEntropy, Instant};

fuzz_target!(|data: &[u8]| {
    let mut conn = Connection::server(Instant::ZERO, common::config(), FixedEntropy::new(1));
    let (step, rest) = match data.split_first() {
        Some((b, rest)) => (usize::from(*b).max(1), rest),
        None => return,
    };
    for piece in rest.chunks(step) {
        conn.handle_input(Instant::ZERO, piece);
        let mut accept = false;
        while let Some(event) = conn.poll_event() {
            accept |= matches!(event, Event::Request(_));
        }
        if accept {
            conn.accept(Accept::default())
                .expect("a checked request can be accepted");
        }
        assert!(conn.buffered_output() < 64 << 10);
        common::write_out(&mut conn);
    }
});
