//! What a [`Connection`] can tell about itself: its role, state, settings, what the handshake
//! settled, how it ended, its counters and its output.

use super::{Connection, Negotiated, State, Stats};
use crate::handshake::{Request, Response};
use crate::{CloseFrame, Config, ConnectionError, Role};

impl Connection {
    /// This endpoint's role.
    pub fn role(&self) -> Role {
        self.core.role
    }

    /// Where the connection is in its life.
    pub fn state(&self) -> State {
        self.core.state
    }

    /// The settings in force.
    #[inline]
    pub fn config(&self) -> &Config {
        &self.core.config
    }

    /// The settings, to change while the connection runs. Every setting is read where it is
    /// used, so a change applies from the next frame, message, read or timer. A switch from
    /// whole messages to [`ReceiveMode::Chunks`](crate::ReceiveMode::Chunks) also applies to
    /// an uncompressed message being gathered: what was gathered comes out as its first chunk.
    ///
    /// ```
    /// # use tether_proto::{Config, Connection, FixedEntropy, Instant, ReceiveMode, Role};
    /// # use tether_proto::connection::Negotiated;
    /// let mut conn = Connection::open(Instant::ZERO, Role::Server, Negotiated::default(),
    ///     Config::default(), FixedEntropy::new(1));
    /// // Hand the rest of the connection to a byte-stream reader.
    /// conn.config_mut().receive_mode = ReceiveMode::Chunks;
    /// conn.config_mut().max_message_size = u64::MAX;
    /// ```
    pub fn config_mut(&mut self) -> &mut Config {
        &mut self.core.config
    }

    /// What the handshake settled: subprotocol and extensions.
    pub fn negotiated(&self) -> &Negotiated {
        &self.core.negotiated
    }

    /// Server side: the client's upgrade request, once received.
    pub fn request(&self) -> Option<&Request> {
        self.core.request.as_deref()
    }

    /// Client side: the server's accepting response (101, or 200 over HTTP/2), once received.
    pub fn response(&self) -> Option<&Response> {
        self.core.response.as_deref()
    }

    /// How the connection ended, once it has: the peer's close frame, or the failure.
    pub fn close_result(&self) -> Option<Result<&CloseFrame, &ConnectionError>> {
        self.core.result.as_deref().map(Result::as_ref)
    }

    /// Traffic counters.
    pub fn stats(&self) -> Stats {
        self.core.stats
    }

    /// Bytes queued for the transport and not yet written.
    #[inline]
    pub fn buffered_output(&self) -> usize {
        self.core.out.len()
    }

    /// Whether the output is below [`Config::outbound_high_water`]: adapters stop accepting new
    /// messages from the application while this is false and the transport catches up.
    #[inline]
    pub fn is_writable(&self) -> bool {
        self.core.out.len() < self.core.config.outbound_high_water
    }
}

impl core::fmt::Debug for Connection {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Connection")
            .field("role", &self.core.role)
            .field("state", &self.core.state)
            .field("buffered_input", &(self.input.end - self.input.start))
            .field("buffered_output", &self.core.out.len())
            .finish_non_exhaustive()
    }
}
