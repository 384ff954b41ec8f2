//! Shared driver: feed bytes in pieces, drain events, echo whole messages back, write the
//! output out, check the invariants.
#![allow(dead_code)] // each target uses a part

use tether_proto::connection::Transmit;
use tether_proto::handshake::ExtensionOffer;
use tether_proto::{Config, Connection, Event, Instant, SendOptions};

/// Small limits, so "memory bounded by the limits" is checked cheaply; a small high-water
/// mark, so pongs are coalesced as well as queued one by one.
pub fn config() -> Config {
    Config::default()
        .max_message_size(4096)
        .max_frame_size(2048)
        .max_fragments(64)
        .read_size(512)
        .outbound_high_water(1024)
}

/// Feeds `data` split at the sizes its first byte picks, handed in (`handle_input`) or read
/// into the connection's buffer (`input_buffer` + `commit_input`, as adapters do) as its low
/// bit picks. See [`drive_in`].
pub fn drive(conn: &mut Connection, data: &[u8]) {
    let Some((b, rest)) = data.split_first() else {
        return;
    };
    drive_in(conn, rest, usize::from(*b >> 1).max(1), b & 1 == 1);
}

/// Feeds `data` in pieces of `step` bytes (read into `input_buffer` when `reads`, else handed
/// to `handle_input`); after each piece drains the events, echoes every whole message back
/// (so the send path, compression and masking run too) and writes all output out. Asserts: no
/// event after `Closed`, at most one `Closed`, message sizes within the limit, control payloads
/// within 125 bytes, output bounded.
pub fn drive_in(conn: &mut Connection, data: &[u8], step: usize, reads: bool) {
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
        loop {
            let whole = match conn.poll_event() {
                None => break,
                Some(event) => {
                    assert!(!closed, "event after Closed: {event:?}");
                    match event {
                        Event::Message { data, .. } => {
                            assert!(data.len() <= limit);
                            true
                        }
                        Event::Chunk { data, .. } => {
                            assert!(data.len() <= limit);
                            false
                        }
                        Event::Ping(p) | Event::Pong(p) => {
                            assert!(p.len() <= 125);
                            false
                        }
                        Event::Closed(_) => {
                            closed = true;
                            false
                        }
                        _ => false,
                    }
                }
            };
            if whole {
                let message = conn.take_message().expect("a whole message can be taken");
                assert!(message.len() <= limit);
                // Refused only once the connection is closing.
                let _ = conn.send(message, SendOptions::default());
            }
            write_out(conn);
        }
    }
    conn.handle_eof(Instant::ZERO);
    while let Some(event) = conn.poll_event() {
        assert!(!closed, "event after Closed: {event:?}");
        if let Event::Closed(_) = event {
            closed = true;
        }
    }
    write_out(conn);
}

/// Writes everything out, as a transport taking at most 4093 bytes a write would. Checks that
/// the output is bounded: under the high-water mark, plus one pong, one echo, a close frame
/// and a handshake answer.
pub fn write_out(conn: &mut Connection) {
    const CONTROL: usize = 2 + 4 + 125;
    let config = conn.config();
    let echo = config.max_message_size as usize + 14 + 64;
    // The opening handshake's answer (101 or a refusal) is at most a head.
    let head = config.handshake_limits.max_head_bytes;
    let bound = config.outbound_high_water + 2 * CONTROL + echo + head;
    assert!(
        conn.buffered_output() <= bound,
        "output grew to {}",
        conn.buffered_output()
    );
    while let Transmit::Write(bufs) = conn.poll_transmit() {
        let total = bufs.len();
        let mut n = 0;
        for buf in bufs {
            assert!(!buf.is_empty(), "an empty slice");
            n += buf.len().min(4093 - n);
            if n == 4093 {
                break;
            }
        }
        assert!(n > 0 && n <= total);
        conn.advance_transmit(n);
    }
    assert_eq!(conn.buffered_output(), 0);
}

/// A permessage-deflate agreement with `bits`-bit windows both ways and the no-context-takeover
/// parameters asked for.
pub fn deflate_offer(bits: u8, server_no_context: bool, client_no_context: bool) -> ExtensionOffer {
    let bits = bits.to_string();
    let mut offer = ExtensionOffer::new("permessage-deflate")
        .with_param_value("server_max_window_bits", bits.as_str())
        .with_param_value("client_max_window_bits", bits.as_str());
    if server_no_context {
        offer = offer.with_param("server_no_context_takeover");
    }
    if client_no_context {
        offer = offer.with_param("client_no_context_takeover");
    }
    offer
}
