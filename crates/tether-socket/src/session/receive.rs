//! The receiving side of a [`Session`]: whole messages, chunks or a byte stream out of the
//! inbound queue, and the end once everything received was taken. A receiver with a queue of
//! its own takes a burst at once ([`Session::recv_batch`]).

use std::collections::VecDeque;

use tether_proto::{Bytes, Message, MessageKind};

use super::{Chunk, Received, Session};
use crate::Error;

/// Whole messages a receiver took from a [`Session`] in one burst
/// ([`Session::recv_batch`]) and hands out one by one, without coming back to the session.
#[derive(Debug, Default)]
pub struct Batch {
    items: VecDeque<Received>,
}

impl Batch {
    /// The next message of the burst.
    #[inline]
    pub fn pop(&mut self) -> Option<Message> {
        match self.items.front() {
            Some(Received::Message(_)) => match self.items.pop_front() {
                Some(Received::Message(message)) => Some(message),
                _ => None,
            },
            _ => None,
        }
    }

    /// Whether every message was handed out.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

impl Session {
    /// The next whole message: `None` when nothing is there yet (read more); `Some(Ok(None))`
    /// once the peer closed normally (1000, 1001 or no code); `Some(Err(_))` when the
    /// connection failed or the peer closed with another code.
    pub fn recv(&mut self) -> Option<Result<Option<Message>, Error>> {
        loop {
            match self.pop()? {
                Ok(Some(Received::Message(message))) => return Some(Ok(Some(message))),
                Ok(Some(Received::Chunk(chunk))) => {
                    // Chunk mode, but the application wants whole messages: gather them here.
                    if !chunk.fin {
                        self.assembly.extend_from_slice(&chunk.data);
                        continue;
                    }
                    let data = if self.assembly.is_empty() {
                        chunk.data
                    } else {
                        self.assembly.extend_from_slice(&chunk.data);
                        Bytes::from(std::mem::take(&mut self.assembly))
                    };
                    // The core checked the text chunk by chunk; a `Message` made from bytes
                    // checks it again here (once per message gathered in chunk mode only).
                    let message = match chunk.kind {
                        MessageKind::Binary => Message::binary(data),
                        MessageKind::Text => match Message::text_from_bytes(data) {
                            Ok(m) => m,
                            Err(_) => {
                                return Some(Err(Error::Failed(
                                    tether_proto::ConnectionError::InvalidUtf8,
                                )));
                            }
                        },
                    };
                    return Some(Ok(Some(message)));
                }
                Ok(None) => return Some(Ok(None)),
                Err(e) => return Some(Err(e)),
            }
        }
    }

    /// As [`recv`](Self::recv), for a receiver that keeps a queue of its own (an adapter's
    /// receiving half): the whole messages queued behind the one returned move into `batch`,
    /// which must be empty (everything it held was taken), so it hands them out without coming
    /// back here, one lock for a burst. They count against the inbound bound until the next
    /// call (or [`unrecv`](Self::unrecv)), so the session reads no further ahead than before.
    pub fn recv_batch(&mut self, batch: &mut Batch) -> Option<Result<Option<Message>, Error>> {
        debug_assert!(batch.is_empty());
        self.settle_lent();
        let first = self.recv();
        if matches!(first, Some(Ok(Some(_)))) && !self.inbound.is_empty() {
            if self
                .inbound
                .iter()
                .all(|r| matches!(r, Received::Message(_)))
            {
                // Whole messages only (the usual case): the queue changes hands.
                self.lent = self.queued;
                core::mem::swap(&mut batch.items, &mut self.inbound);
            } else {
                while matches!(self.inbound.front(), Some(Received::Message(_))) {
                    if let Some(received) = self.inbound.pop_front() {
                        self.lent += received.len();
                        batch.items.push_back(received);
                    }
                }
            }
        }
        if batch.is_empty() && batch.items.capacity() > 0 {
            // A lone message, or nothing: an idle receiver holds no queue.
            batch.items = VecDeque::new();
        }
        first
    }

    /// Takes back the messages of a [`recv_batch`](Self::recv_batch) the receiver did not hand
    /// out (it is about to receive another way): they are received next, in order.
    pub fn unrecv(&mut self, batch: &mut Batch) {
        while let Some(received) = batch.items.pop_back() {
            // Still counted in `queued`.
            self.lent -= received.len();
            self.inbound.push_front(received);
        }
        batch.items = VecDeque::new();
        self.settle_lent();
    }

    /// The receiver took every message lent to it: they no longer count against the bound.
    fn settle_lent(&mut self) {
        if self.lent == 0 {
            return;
        }
        let full = self.queued >= self.conn.config().inbound_high_water;
        self.queued -= core::mem::take(&mut self.lent);
        if full {
            // Room again: decode what waited behind the bound.
            self.pump();
        }
    }

    /// The next chunk (a whole message is one chunk with `fin` set); as [`recv`](Self::recv)
    /// otherwise.
    pub fn recv_chunk(&mut self) -> Option<Result<Option<Chunk>, Error>> {
        Some(match self.pop()? {
            Ok(Some(Received::Chunk(chunk))) => Ok(Some(chunk)),
            Ok(Some(Received::Message(message))) => Ok(Some(Chunk {
                kind: message.kind(),
                data: message.into_bytes(),
                fin: true,
            })),
            Ok(None) => Ok(None),
            Err(e) => Err(e),
        })
    }

    /// Reads received payload bytes as a stream into `buf`: `None` when nothing is there yet;
    /// `Some(Ok(0))` once the peer closed normally (or `buf` is empty).
    pub fn read_stream(&mut self, buf: &mut [u8]) -> Option<Result<usize, Error>> {
        if buf.is_empty() {
            return Some(Ok(0));
        }
        while self.stream_rest.is_empty() {
            match self.recv_chunk()? {
                Ok(Some(chunk)) => self.stream_rest = chunk.data,
                Ok(None) => return Some(Ok(0)),
                Err(e) => return Some(Err(e)),
            }
        }
        let n = self.stream_rest.len().min(buf.len());
        buf[..n].copy_from_slice(&self.stream_rest.split_to(n));
        Some(Ok(n))
    }

    /// The next thing received, or the end once everything received was taken.
    fn pop(&mut self) -> Option<Result<Option<Received>, Error>> {
        // Everything decodable was decoded when it arrived, unless the queue was full (then
        // decoding waits for room).
        let full = self.queued >= self.conn.config().inbound_high_water;
        if self.inbound.is_empty() {
            self.pump();
        }
        if let Some(received) = self.inbound.pop_front() {
            self.queued -= received.len();
            if full {
                // Room again: decode what waited behind the bound.
                self.pump();
            }
            return Some(Ok(Some(received)));
        }
        if let Some(e) = self.io_error.take() {
            return Some(Err(*e));
        }
        match self.conn.close_result() {
            Some(end) => Some(Error::from_end(end).map_or(Ok(None), Err)),
            None if self.eof || self.shut_down => Some(Err(Error::abnormal())),
            None => None,
        }
    }

    /// Drops everything received and not yet taken (while closing).
    pub fn discard_received(&mut self) {
        self.inbound.clear();
        self.queued = 0;
        self.lent = 0;
        self.assembly.clear();
        self.stream_rest = Bytes::new();
        while self.conn.poll_event().is_some() {}
    }
}

#[cfg(test)]
mod tests {
    use tether_proto::connection::Negotiated;
    use tether_proto::{Config, Instant, Message, Role};

    use super::Batch;
    use crate::Session;

    /// A server session fed `count` binary messages of 16 bytes (masked with a zero key),
    /// message `i` filled with `i`; at most `bound` bytes are queued.
    fn fed(count: u8, bound: usize) -> Session {
        let config = Config::default()
            .ping_interval(None)
            .inbound_high_water(bound);
        let mut session = Session::open(Instant::ZERO, Role::Server, Negotiated::default(), config);
        let mut wire = Vec::new();
        for i in 0..count {
            wire.extend_from_slice(&[0x82, 0x80 | 16, 0, 0, 0, 0]);
            wire.extend_from_slice(&[i; 16]);
        }
        session.feed(Instant::ZERO, &wire);
        session
    }

    fn first_byte(message: &Message) -> u8 {
        message.as_bytes()[0]
    }

    #[test]
    fn a_burst_is_lent_in_order_and_still_counts_against_the_inbound_bound() {
        // Room for three messages: the fourth and fifth wait undecoded.
        let mut session = fed(5, 48);
        assert!(!session.wants_read());
        let mut batch = Batch::default();
        let first = session.recv_batch(&mut batch).expect("a message").unwrap();
        assert_eq!(first.map(|m| first_byte(&m)), Some(0));
        let lent: Vec<u8> = batch
            .items
            .iter()
            .map(|r| match r {
                super::Received::Message(m) => first_byte(m),
                super::Received::Chunk(_) => panic!("a chunk in a batch"),
            })
            .collect();
        assert_eq!(
            lent,
            [1, 2, 3],
            "the queue, in order (3 decoded once 0 left)"
        );
        // Lent and not yet taken: the session still reads no further.
        assert!(!session.wants_read());
        while batch.pop().is_some() {}
        let next = session.recv_batch(&mut batch).expect("a message").unwrap();
        assert_eq!(next.map(|m| first_byte(&m)), Some(4));
        assert!(batch.is_empty());
        assert_eq!(batch.items.capacity(), 0, "an empty batch holds no memory");
        assert!(session.wants_read(), "everything was taken");
        assert!(session.recv_batch(&mut batch).is_none(), "nothing more yet");
    }

    #[test]
    fn messages_given_back_are_received_next_in_order() {
        let mut session = fed(4, 1 << 20);
        let mut batch = Batch::default();
        let first = session.recv_batch(&mut batch).expect("a message").unwrap();
        assert_eq!(first.map(|m| first_byte(&m)), Some(0));
        assert_eq!(batch.pop().map(|m| first_byte(&m)), Some(1));
        session.unrecv(&mut batch);
        assert!(batch.is_empty());
        let chunk = session.recv_chunk().expect("a chunk").unwrap().unwrap();
        assert!(chunk.fin);
        assert_eq!(chunk.data[0], 2);
        let last = session.recv().expect("a message").unwrap().unwrap();
        assert_eq!(first_byte(&last), 3);
        assert!(session.recv().is_none());
    }
}
