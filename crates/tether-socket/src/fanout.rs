//! Fan-out: [`PreparedMessage`]s offered to a socket by a publisher (a hub), queued per
//! socket within bounds while its output is full, and what happens to a subscriber that cannot
//! keep up.

use std::collections::VecDeque;

use tether_proto::{CloseCode, PreparedMessage};

/// What to do with a subscriber whose queue of fan-out messages is full.
#[non_exhaustive]
#[derive(Clone, Debug, Eq, PartialEq)]
pub enum SlowPolicy {
    /// Drop its oldest queued messages to make room (it misses some; the counters show how
    /// many). The default.
    DropOldest,
    /// Close it with this code and reason (for example 1008 "policy violation" or 1013 "try
    /// again later"), dropping what was queued for it.
    Close {
        /// The close code.
        code: CloseCode,
        /// The reason (at most 123 bytes).
        reason: String,
    },
}

/// Bounds on the fan-out messages queued for one subscriber while its output is full, and
/// the policy past them.
///
/// ```
/// use tether_socket::{FanoutLimits, SlowPolicy};
/// use tether_proto::CloseCode;
///
/// let limits = FanoutLimits::default()
///     .max_messages(256)
///     .max_bytes(1 << 20)
///     .on_slow(SlowPolicy::Close { code: CloseCode::TRY_AGAIN_LATER, reason: "too slow".into() });
/// assert_eq!(limits.max_messages, 256);
/// ```
#[non_exhaustive]
#[derive(Clone, Debug, Eq, PartialEq)]
pub struct FanoutLimits {
    /// Most messages queued per subscriber. Default: 1024.
    pub max_messages: usize,
    /// Most payload bytes queued per subscriber (one message is always taken). Default: 4 MiB.
    pub max_bytes: usize,
    /// What happens past either bound. Default: [`SlowPolicy::DropOldest`].
    pub on_slow: SlowPolicy,
}

impl Default for FanoutLimits {
    fn default() -> Self {
        Self {
            max_messages: 1024,
            max_bytes: 4 << 20,
            on_slow: SlowPolicy::DropOldest,
        }
    }
}

impl FanoutLimits {
    /// Sets [`max_messages`](Self#structfield.max_messages) (at least 1).
    #[must_use]
    pub fn max_messages(mut self, messages: usize) -> Self {
        self.max_messages = messages.max(1);
        self
    }

    /// Sets [`max_bytes`](Self#structfield.max_bytes).
    #[must_use]
    pub fn max_bytes(mut self, bytes: usize) -> Self {
        self.max_bytes = bytes;
        self
    }

    /// Sets [`on_slow`](Self#structfield.on_slow).
    #[must_use]
    pub fn on_slow(mut self, policy: SlowPolicy) -> Self {
        self.on_slow = policy;
        self
    }
}

/// What became of a fan-out message offered to one socket.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
pub enum Offer {
    /// Queued on the connection (it goes out with the next write).
    Sent,
    /// Queued for the subscriber, behind others, until its output has room.
    Queued,
    /// Queued, after dropping this many older messages to keep within the bounds.
    DroppedOldest(usize),
    /// The subscriber was too slow and is being closed (its queue dropped).
    ClosedSlow,
    /// The connection is closed or closing: not delivered.
    Gone,
}

/// The fan-out messages waiting for room in one socket's output.
#[derive(Debug, Default)]
pub(crate) struct Fanout {
    queue: VecDeque<PreparedMessage>,
    bytes: usize,
}

impl Fanout {
    pub(crate) fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }

    pub(crate) fn push(&mut self, prepared: PreparedMessage) {
        self.bytes += prepared.frame().len();
        self.queue.push_back(prepared);
    }

    /// Puts back a message just popped (it could not be sent yet).
    pub(crate) fn push_front(&mut self, prepared: PreparedMessage) {
        self.bytes += prepared.frame().len();
        self.queue.push_front(prepared);
    }

    pub(crate) fn pop(&mut self) -> Option<PreparedMessage> {
        let prepared = self.queue.pop_front()?;
        self.bytes -= prepared.frame().len();
        Some(prepared)
    }

    pub(crate) fn clear(&mut self) {
        self.queue.clear();
        self.bytes = 0;
    }

    /// Whether one more message of `len` bytes would pass `limits`.
    pub(crate) fn over(&self, limits: &FanoutLimits, len: usize) -> bool {
        !self.queue.is_empty()
            && (self.queue.len() >= limits.max_messages || self.bytes + len > limits.max_bytes)
    }
}

#[cfg(test)]
mod tests {
    use tether_proto::connection::{Negotiated, Transmit};
    use tether_proto::{Bytes, Config, Instant, Message, MessageKind, Role, SendOptions};

    use super::*;
    use crate::Session;

    fn written(session: &mut Session) -> Vec<u8> {
        let mut out = Vec::new();
        while let Transmit::Write(bufs) = session.poll_transmit() {
            let before = out.len();
            for buf in bufs {
                out.extend_from_slice(buf);
            }
            let n = out.len() - before;
            session.advance_transmit(n);
        }
        out
    }

    #[test]
    fn an_offer_during_a_streamed_message_waits_for_its_end() {
        let config = Config::default().deflate(None);
        let mut session = Session::open(Instant::ZERO, Role::Server, Negotiated::default(), config);
        let _ = written(&mut session);
        session
            .begin_message(MessageKind::Text, SendOptions::default())
            .unwrap();
        session
            .send_chunk(Bytes::from_static(b"stre"), false)
            .unwrap();
        let news = PreparedMessage::new(Message::text("news"));
        let limits = FanoutLimits::default();
        assert_eq!(session.offer(Instant::ZERO, &news, &limits), Offer::Queued);
        // Written meanwhile: the first chunk only.
        assert_eq!(written(&mut session), b"\x01\x04stre");
        session.send_chunk(Bytes::from_static(b"am"), true).unwrap();
        // The end of the streamed message, then the fan-out message.
        assert_eq!(written(&mut session), b"\x80\x02am\x81\x04news");
        assert_eq!(session.offer(Instant::ZERO, &news, &limits), Offer::Sent);
    }
}
