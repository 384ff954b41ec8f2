//! Shared driver: feed bytes in pieces, drain events, check the invariants.
#![allow(dead_code)] // each target uses a part

use tether_proto::{Config, Connection, Event, Instant};

/// Small limits, so "memory bounded by the limits" is checked cheaply.
pub fn config() -> Config {
    Config::default()
        .max_message_size(4096)
        .max_frame_size(2048)
        .max_fragments(64)
        .read_size(512)
}

/// Feeds `data` split at the sizes its first byte picks, handed in (`handle_input`) or read
/// into the connection's buffer (`input_buffer` + `commit_input`, as adapters do) as its low
/// bit picks; asserts: no event after `Closed`, at most one `Closed`, message sizes within the
/// limit, output bounded.
pub fn drive(conn: &mut Connection, data: &[u8]) {
    let (step, reads, data) = match data.split_first() {
        Some((b, rest)) => (usize::from(*b >> 1).max(1), b & 1 == 1, rest),
        None => return,
    };
    let limit = conn.config().max_message_size as usize;
    let mut closed = false;
    let mut rest = data;
    while !rest.is_empty() {
        let n = if reads {
            let space = conn.input_buffer();
            assert!(!space.is_empty(), "input_buffer offered no space");
            let n = step.min(space.len()).min(rest.len());
            space[..n].copy_from_slice(&rest[..n]);
            conn.commit_input(Instant::ZERO, n);
            n
        } else {
            let n = step.min(rest.len());
            conn.handle_input(Instant::ZERO, &rest[..n]);
            n
        };
        rest = &rest[n..];
        while let Some(event) = conn.poll_event() {
            assert!(!closed, "event after Closed: {event:?}");
            match event {
                Event::Message(m) => assert!(m.as_bytes().len() <= limit),
                Event::Data { payload, .. } => assert!(payload.len() <= limit),
                Event::Ping(p) | Event::Pong(p) => assert!(p.len() <= 125),
                Event::Closed(_) => closed = true,
                _ => {}
            }
        }
        let _ = conn.take_transmit();
    }
    conn.handle_eof(Instant::ZERO);
    while let Some(event) = conn.poll_event() {
        assert!(!closed, "event after Closed: {event:?}");
        if let Event::Closed(_) = event {
            closed = true;
        }
    }
}
