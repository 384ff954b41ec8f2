//! The connection's scenario tests, one per RFC 6455 rule or behaviour, driven with hand-built
//! bytes (the frame builders and owned events of [`crate::testkit`]). One file per concept:
//!
//! - `framing`: §5.1–§5.5 and the §5.7 examples (masking, framing rules, fragmentation,
//!   control frames);
//! - `closing`: §5.5.1 and §7 (the close handshake, close codes, the transport's end);
//! - `receive`: §8.1 UTF-8, limits, receive modes, reads into the input buffer and straight
//!   into the assembly buffer;
//! - `send`: whole and streamed sends, frame splitting, the extension point, settings;
//! - `timers`: keepalive, handshake and close timeouts;
//! - `pongs`: a pong for every ping, in order, coalesced only over the high-water mark;
//! - `output`: owned payloads on the way out (large `Bytes` written from where they are,
//!   partial writes, order, masking in the client role, recycling);
//! - `take_message`: moving a received message out;
//! - `extended_connect`: the HTTP/2 handshake (RFC 8441) of a client connection.

use alloc::vec::Vec;

pub(super) use super::*;
pub(super) use crate::testkit::{Ev, KEY, close_payload, drain, events, frames, masked, unmasked};
pub(super) use crate::{FixedEntropy, ProtocolError, ReceiveMode, SendOptions};

mod closing;
#[cfg(feature = "deflate")]
mod extended_connect;
mod framing;
mod output;
mod pongs;
mod receive;
mod send;
mod take_message;
mod timers;

pub(super) const T0: Instant = Instant::ZERO;

/// The default settings without keepalive (so timers run only where a test asks).
pub(super) fn config() -> Config {
    Config::default().ping_interval(None)
}

/// A connection that starts open, with `config`.
pub(super) fn open(role: Role, config: Config) -> Connection {
    Connection::open(
        T0,
        role,
        Negotiated::default(),
        config,
        FixedEntropy::new(9),
    )
}

pub(super) fn server() -> Connection {
    open(Role::Server, config())
}

pub(super) fn client() -> Connection {
    open(Role::Client, config())
}

/// Sends a whole message with the default options.
///
/// # Panics
///
/// The connection refuses it.
pub(super) fn send(conn: &mut Connection, message: impl Into<Message>) {
    conn.send(message.into(), SendOptions::default())
        .expect("the connection takes the message");
}

/// Whether the connection asks for its transport to be shut down (and has nothing to write).
pub(super) fn is_shutdown(conn: &mut Connection) -> bool {
    matches!(conn.poll_transmit(), Transmit::Shutdown)
}

/// Whether the connection has nothing to write and wants nothing done.
pub(super) fn is_idle(conn: &mut Connection) -> bool {
    matches!(conn.poll_transmit(), Transmit::Idle)
}

/// The close code of a close frame's payload.
pub(super) fn code_of(payload: &[u8]) -> u16 {
    u16::from_be_bytes([payload[0], payload[1]])
}

/// Asserts the connection failed with `error`, sent a close frame with `code` (if any), and
/// wants the transport closed; input after that is ignored.
pub(super) fn assert_failed(conn: &mut Connection, error: ConnectionError, code: Option<u16>) {
    let evs = events(conn);
    assert_eq!(evs.last(), Some(&Ev::Failed(error)), "events: {evs:?}");
    let sent = frames(&drain(conn));
    match code {
        Some(code) => {
            assert_eq!(sent.len(), 1, "one close frame: {sent:?}");
            assert_eq!(sent[0].0, 0x88);
            assert_eq!(code_of(&sent[0].1), code);
        }
        None => assert!(sent.is_empty(), "nothing sent: {sent:?}"),
    }
    assert!(is_shutdown(conn));
    assert_eq!(conn.state(), State::Closed);
    assert!(conn.poll_event().is_none(), "nothing after Closed");
    conn.handle_input(T0, &masked(0x81, b"more"));
    assert!(
        conn.poll_event().is_none(),
        "input after failure is ignored"
    );
}

/// Bytes that differ from their neighbours (and repeat only every 251), so a payload written
/// from a wrong offset does not compare equal.
pub(super) fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 + i / 251) as u8).collect()
}

/// ASCII text of `len` bytes with the same property.
pub(super) fn text(len: usize) -> String {
    (0..len)
        .map(|i| char::from(b'a' + ((i * 7 + i / 26) % 26) as u8))
        .collect()
}

/// Feeds `bytes` through `input_buffer`/`commit_input` in reads of at most `size` bytes,
/// collecting the events after each read.
pub(super) fn read_in(conn: &mut Connection, mut bytes: &[u8], size: usize) -> Vec<Ev> {
    let mut evs = Vec::new();
    while !bytes.is_empty() {
        let space = conn.input_buffer();
        let n = size.min(space.len()).min(bytes.len());
        space[..n].copy_from_slice(&bytes[..n]);
        conn.commit_input(T0, n);
        bytes = &bytes[n..];
        evs.extend(events(conn));
    }
    evs
}
