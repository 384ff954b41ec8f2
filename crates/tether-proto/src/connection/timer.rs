//! The timers of a connection, in one table fed by the caller's clock (the quinn model).
//!
//! Deadlines are derived from a few instants the connection records (when input last arrived,
//! when a keepalive ping went out, when the close handshake started), so keeping them current
//! costs a store per input, not a heap operation per message.

use core::time::Duration;

use crate::Instant;

/// One kind of deadline.
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
pub(crate) enum Timer {
    /// The opening handshake must complete by then.
    Handshake,
    /// Nothing received for a ping interval: send a keepalive ping.
    KeepalivePing,
    /// A keepalive ping went out and nothing has arrived since: fail the connection.
    KeepaliveTimeout,
    /// The close handshake (or, for a client, the server's transport close) must complete.
    Close,
}

/// The instants the deadlines are computed from.
#[derive(Clone, Debug, Default)]
pub(crate) struct Timers {
    /// Deadline of the opening handshake, while it runs.
    pub(crate) handshake: Option<Instant>,
    /// When input last arrived (or the connection opened).
    pub(crate) last_input: Instant,
    /// When the unanswered keepalive ping went out; cleared by any input.
    pub(crate) ping_sent: Option<Instant>,
    /// Deadline of the closing handshake, while it runs.
    pub(crate) close: Option<Instant>,
}

impl Timers {
    /// The earliest deadline and its kind. `keepalive` is `Some((interval, timeout))` while the
    /// connection is open with keepalive on.
    pub(crate) fn next(&self, keepalive: Option<(Duration, Duration)>) -> Option<(Timer, Instant)> {
        let keepalive = keepalive.map(|(interval, timeout)| match self.ping_sent {
            Some(sent) => (Timer::KeepaliveTimeout, sent + timeout),
            None => (Timer::KeepalivePing, self.last_input + interval),
        });
        [
            self.handshake.map(|t| (Timer::Handshake, t)),
            keepalive,
            self.close.map(|t| (Timer::Close, t)),
        ]
        .into_iter()
        .flatten()
        .min_by_key(|&(_, t)| t)
    }
}
