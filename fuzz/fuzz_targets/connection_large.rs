//! A server connection that accepts frames of 32 KiB and more, fed arbitrary bytes through
//! `input_buffer` + `commit_input` as adapters read: frames that large go straight into the
//! assembly buffer (the direct-read path). Whole messages are echoed back, so large payloads
//! are queued as slices of their own on the way out.
//!
//! First byte: bit 0 chunks mode, bits 1-7 the read size, (n + 1) × 509 bytes (up to 64 KiB).
//! Inputs must be large for this target: run it with `-max_len=262144` (see README.md,
//! "Fuzzing"); its seeds hold 64 KiB frames.
#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;
use tether_proto::connection::Negotiated;
use tether_proto::{Connection, FixedEntropy, Instant, ReceiveMode, Role};

fuzz_target!(|data: &[u8]| {
    let Some((&b, rest)) = data.split_first() else {
        return;
    };
    let mode = if b & 1 == 1 {
        ReceiveMode::Chunks
    } else {
        ReceiveMode::Message
    };
    let step = (usize::from(b >> 1) + 1) * 509;
    let config = common::config()
        .receive_mode(mode)
        .max_frame_size(1 << 20)
        .max_message_size(2 << 20)
        .outbound_high_water(256 << 10);
    let mut conn = Connection::open(
        Instant::ZERO,
        Role::Server,
        Negotiated::default(),
        config,
        FixedEntropy::new(1),
    );
    common::drive_in(&mut conn, rest, step, true);
});
