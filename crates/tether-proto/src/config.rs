//! Connection settings: one plain struct with defaults and builder-style setters.

use core::time::Duration;

use crate::handshake::Limits;

/// How received data messages are handed to the application.
#[derive(Clone, Copy, Debug, Default, Eq, PartialEq)]
pub enum ReceiveMode {
    /// Whole messages ([`Event::Message`](crate::Event::Message)), assembled up to
    /// [`Config::max_message_size`].
    #[default]
    Message,
    /// Chunks of messages as they arrive ([`Event::Chunk`](crate::Event::Chunk)), with a flag on
    /// the last chunk. Memory stays constant however large a message is.
    #[doc(alias = "PartialMessage")]
    Chunks,
}

/// Settings for a [`Connection`](crate::Connection).
///
/// Every limit has a default that suits a general-purpose endpoint; each setter documents its
/// own. Fields are public so a setting can also be read back.
///
/// ```
/// use core::time::Duration;
/// use tether_proto::{Config, ReceiveMode};
///
/// let config = Config::default()
///     .max_message_size(1 << 20)
///     .receive_mode(ReceiveMode::Chunks)
///     .ping_interval(Some(Duration::from_secs(20)));
/// assert_eq!(config.max_message_size, 1 << 20);
/// ```
#[non_exhaustive]
#[derive(Clone, Debug)]
pub struct Config {
    /// Largest message accepted, in payload bytes (after any extension decoding). A bigger one
    /// fails the connection with 1009. Default: 64 MiB.
    pub max_message_size: u64,
    /// Largest frame payload accepted. Checked from the header, before any of the payload is
    /// buffered. Default: 16 MiB.
    pub max_frame_size: u64,
    /// Most frames one message may be split into. Bounds the work a flood of tiny or empty
    /// continuation frames can cause. Default: 131072.
    pub max_fragments: u32,
    /// Limits on the opening handshake's HTTP head (size, header count, error body kept).
    pub handshake_limits: Limits,
    /// Whole messages and streamed chunks larger than this are sent as several frames (for
    /// peers that limit frame size). Output goes out in order, so smaller frames do not let
    /// control frames overtake a message already queued. Default: 16 MiB, the largest frame
    /// [`max_frame_size`](Self#structfield.max_frame_size) accepts by default.
    pub send_frame_size: usize,
    /// Output buffered but not yet written above which [`Connection::is_writable`] turns false,
    /// so the adapter stops taking new messages until the transport catches up (and a
    /// non-blocking send fails at once). While the output is above it, answers to a flood of
    /// pings are coalesced into one pong. Default: 1 MiB.
    ///
    /// [`Connection::is_writable`]: crate::Connection::is_writable
    #[doc(alias = "OutboundBufferSizeInBytes")]
    pub outbound_high_water: usize,
    /// Received data a socket layer (tether-std, tether-tokio) keeps decoded ahead of the
    /// application, in bytes; past it, the socket stops reading, so a peer that sends faster
    /// than the application takes is slowed by TCP instead of filling memory (one message is
    /// always taken, however large). The core itself decodes only as events are polled.
    /// Default: 1 MiB.
    pub inbound_high_water: usize,
    /// Answer pings with pongs automatically (RFC 6455 §5.5.2 requires an answer; turn this off
    /// only to answer with [`Connection::pong`] yourself). Default: on.
    ///
    /// [`Connection::pong`]: crate::Connection::pong
    pub auto_pong: bool,
    /// Whole messages or chunks. Default: [`ReceiveMode::Message`].
    pub receive_mode: ReceiveMode,
    /// Time allowed for the opening handshake. Default: 10 s.
    pub handshake_timeout: Option<Duration>,
    /// Keepalive: send a ping after this long without receiving anything. A peer that answers
    /// pings, or sends anything, is never dropped; one that stays silent fails the connection
    /// [`ping_timeout`](Self#structfield.ping_timeout) after the ping. `None` turns keepalive
    /// off. Default: 30 s.
    #[doc(alias = "keepalive")]
    #[doc(alias = "DesiredUnsolicitedPongInterval")]
    pub ping_interval: Option<Duration>,
    /// After a keepalive ping, fail the connection (close code 1011,
    /// [`ConnectionError::KeepaliveTimeout`](crate::ConnectionError::KeepaliveTimeout)) if
    /// nothing at all arrives within this time. Default: 30 s.
    pub ping_timeout: Duration,
    /// Time allowed for the closing handshake (our close answered, then the transport closed).
    /// Default: 10 s.
    pub close_timeout: Duration,
    /// How much free space [`Connection::input_buffer`] offers a read at least. While reads
    /// fill what they are offered the offer doubles (up to 1 MiB); the input buffer grows only
    /// as bytes arrive and shrinks back when idle. Default: 4 KiB, which is most of what an idle
    /// connection holds (10 000 idle tether-tokio connections: about 11 KB of RSS each, 23 KB
    /// with 16 KiB), with no throughput change measurable in the loopback benchmark.
    ///
    /// [`Connection::input_buffer`]: crate::Connection::input_buffer
    pub read_size: usize,
    /// permessage-deflate (RFC 7692): offered by a client, accepted by a server, with these
    /// settings; `None` turns it off. Default: on, with [`DeflateConfig::default`].
    ///
    /// [`DeflateConfig::default`]: crate::deflate::DeflateConfig
    #[cfg(feature = "deflate")]
    pub deflate: Option<crate::deflate::DeflateConfig>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            max_message_size: 64 << 20,
            max_frame_size: 16 << 20,
            max_fragments: 1 << 17,
            handshake_limits: Limits::default(),
            send_frame_size: 16 << 20,
            outbound_high_water: 1 << 20,
            inbound_high_water: 1 << 20,
            auto_pong: true,
            receive_mode: ReceiveMode::Message,
            handshake_timeout: Some(Duration::from_secs(10)),
            ping_interval: Some(Duration::from_secs(30)),
            ping_timeout: Duration::from_secs(30),
            close_timeout: Duration::from_secs(10),
            read_size: 4 << 10,
            #[cfg(feature = "deflate")]
            deflate: Some(crate::deflate::DeflateConfig::default()),
        }
    }
}

impl Config {
    /// Sets [`max_message_size`](Self#structfield.max_message_size).
    #[must_use]
    pub fn max_message_size(mut self, bytes: u64) -> Self {
        self.max_message_size = bytes;
        self
    }

    /// Sets [`max_frame_size`](Self#structfield.max_frame_size).
    #[must_use]
    pub fn max_frame_size(mut self, bytes: u64) -> Self {
        self.max_frame_size = bytes;
        self
    }

    /// Sets [`max_fragments`](Self#structfield.max_fragments).
    #[must_use]
    pub fn max_fragments(mut self, frames: u32) -> Self {
        self.max_fragments = frames;
        self
    }

    /// Sets [`handshake_limits`](Self#structfield.handshake_limits).
    #[must_use]
    pub fn handshake_limits(mut self, limits: Limits) -> Self {
        self.handshake_limits = limits;
        self
    }

    /// Sets [`send_frame_size`](Self#structfield.send_frame_size) (at least 1).
    #[must_use]
    pub fn send_frame_size(mut self, bytes: usize) -> Self {
        self.send_frame_size = bytes.max(1);
        self
    }

    /// Sets [`outbound_high_water`](Self#structfield.outbound_high_water).
    #[must_use]
    pub fn outbound_high_water(mut self, bytes: usize) -> Self {
        self.outbound_high_water = bytes;
        self
    }

    /// Sets [`inbound_high_water`](Self#structfield.inbound_high_water) (at least 1).
    #[must_use]
    pub fn inbound_high_water(mut self, bytes: usize) -> Self {
        self.inbound_high_water = bytes.max(1);
        self
    }

    /// Sets [`auto_pong`](Self#structfield.auto_pong).
    #[must_use]
    pub fn auto_pong(mut self, on: bool) -> Self {
        self.auto_pong = on;
        self
    }

    /// Sets [`receive_mode`](Self#structfield.receive_mode).
    #[must_use]
    pub fn receive_mode(mut self, mode: ReceiveMode) -> Self {
        self.receive_mode = mode;
        self
    }

    /// Sets [`handshake_timeout`](Self#structfield.handshake_timeout).
    #[must_use]
    pub fn handshake_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.handshake_timeout = timeout;
        self
    }

    /// Sets [`ping_interval`](Self#structfield.ping_interval).
    #[must_use]
    pub fn ping_interval(mut self, interval: Option<Duration>) -> Self {
        self.ping_interval = interval;
        self
    }

    /// Sets [`ping_timeout`](Self#structfield.ping_timeout).
    #[must_use]
    pub fn ping_timeout(mut self, timeout: Duration) -> Self {
        self.ping_timeout = timeout;
        self
    }

    /// Sets [`close_timeout`](Self#structfield.close_timeout).
    #[must_use]
    pub fn close_timeout(mut self, timeout: Duration) -> Self {
        self.close_timeout = timeout;
        self
    }

    /// Sets [`read_size`](Self#structfield.read_size) (at least 1).
    #[must_use]
    pub fn read_size(mut self, bytes: usize) -> Self {
        self.read_size = bytes.max(1);
        self
    }

    /// Sets [`deflate`](Self#structfield.deflate); `None` turns compression off.
    #[cfg(feature = "deflate")]
    #[must_use]
    pub fn deflate(mut self, deflate: Option<crate::deflate::DeflateConfig>) -> Self {
        self.deflate = deflate;
        self
    }
}
