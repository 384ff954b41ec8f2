//! [`PreparedMessage`]: a message encoded once into its frame bytes and handed to any number of
//! connections without copying or encoding it again (Go's gorilla `PreparedMessage`,
//! uWebSockets' pub/sub), and with permessage-deflate compressed once per set of connections
//! that send it as the same bytes.

use alloc::sync::Arc;
use alloc::vec::Vec;
use core::fmt;

use bytes::Bytes;

use super::Core;
use super::State;
use super::output::PREPARED_SHARE_MIN;
use crate::error::SendError;
use crate::frame::{FrameHeader, MAX_HEADER_LEN, OpCode, Rsv};
use crate::{Message, MessageKind, Role, SendOptions};

/// A message encoded once, for sending to many connections.
///
/// [`new`](Self::new) encodes the message as a server sends it: one unmasked frame, header and
/// payload in one buffer. [`Connection::send_prepared`](crate::Connection::send_prepared) then
/// queues those bytes on each connection as they are (a reference count goes up, or, under
/// 512 bytes, a copy into the connection's output buffer: cheaper than a slice of its own in the
/// write). Every connection sends exactly the bytes [`send`](crate::Connection::send) would
/// have sent for the message; which encoding a connection gets:
///
/// | connection | gets |
/// |---|---|
/// | server, no extension | the shared frame |
/// | server, permessage-deflate with `server_no_context_takeover` | the message compressed once per *parameter set* (below), shared by every connection of the set |
/// | server, permessage-deflate with context takeover | its own compression (its context is its own) |
/// | client (any) | its own encoding from the shared payload: every frame is masked with a fresh key (RFC 6455 §5.3) |
/// | another [`Extension`](crate::Extension) installed by hand | its own encoding through the extension |
///
/// A *parameter set* is what decides the compressed bytes: the server's window bits (as
/// negotiated), and the local compression level, memory level and
/// [`threshold`](crate::deflate::DeflateConfig#structfield.threshold). A server has no
/// context takeover by default (it says so in its answer), or when the client asks for
/// `server_no_context_takeover`; one configured with
/// [`DeflateConfig::server_no_context_takeover(false)`](crate::deflate::DeflateConfig#structfield.server_no_context_takeover)
/// keeps its context unless asked, and compresses for itself. The first connection of each parameter set compresses (on the thread sending to
/// it; the others of the set wait for it, then reuse its bytes); a message below the threshold,
/// or that would not shrink, is sent uncompressed, decided once per set too.
/// [`compressions`](Self::compressions) counts the compressor passes.
///
/// A connection whose [`Config::send_frame_size`](crate::Config) is smaller than the (shared)
/// payload splits it into frames of its own. Frames of a prepared message never go in the
/// middle of another message.
///
/// Cloning is cheap (everything is shared), and a prepared message is `Send + Sync`.
///
/// ```
/// use tether_proto::{Config, Connection, FixedEntropy, Instant, Message, PreparedMessage, Role};
/// use tether_proto::connection::Negotiated;
///
/// let news = PreparedMessage::new(Message::text("the price is 42"));
/// let mut conns: Vec<Connection> = (0..3)
///     .map(|i| Connection::open(Instant::ZERO, Role::Server, Negotiated::default(),
///         Config::default(), FixedEntropy::new(i)))
///     .collect();
/// for conn in &mut conns {
///     conn.send_prepared(&news)?;
/// }
/// assert!(conns.iter().all(|c| c.buffered_output() == 2 + 15));
/// # Ok::<(), tether_proto::SendError>(())
/// ```
#[derive(Clone)]
pub struct PreparedMessage {
    inner: Arc<Inner>,
}

struct Inner {
    message: Message,
    /// One unmasked frame: header and payload.
    frame: Bytes,
    #[cfg(feature = "deflate")]
    compressed: shared::Compressed,
}

/// One frame (header and payload) in a [`Bytes`], and where its payload starts.
#[derive(Clone, Debug)]
#[cfg_attr(not(feature = "deflate"), allow(dead_code))]
struct Frame {
    bytes: Bytes,
    head: usize,
}

impl Frame {
    /// Encodes the one frame of a whole message: `payload` is at `buf[MAX_HEADER_LEN..]`, the
    /// header is written just before it.
    fn encode(kind: MessageKind, rsv: Rsv, mut buf: Vec<u8>) -> Self {
        let payload_len = buf.len() - MAX_HEADER_LEN;
        let header = FrameHeader {
            fin: true,
            rsv,
            opcode: match kind {
                MessageKind::Text => OpCode::Text,
                MessageKind::Binary => OpCode::Binary,
            },
            mask: None,
            payload_len: payload_len as u64,
        };
        let mut head = [0; MAX_HEADER_LEN];
        let head_len = header.encode(&mut head);
        let at = MAX_HEADER_LEN - head_len;
        buf[at..MAX_HEADER_LEN].copy_from_slice(&head[..head_len]);
        Self {
            bytes: Bytes::from(buf).slice(at..),
            head: head_len,
        }
    }

    #[cfg_attr(not(feature = "deflate"), allow(dead_code))]
    fn payload(&self) -> &[u8] {
        &self.bytes[self.head..]
    }
}

impl PreparedMessage {
    /// Encodes `message` once (one copy of its payload, behind its header).
    pub fn new(message: Message) -> Self {
        let mut buf = Vec::with_capacity(MAX_HEADER_LEN + message.len());
        buf.resize(MAX_HEADER_LEN, 0);
        buf.extend_from_slice(message.as_bytes());
        let frame = Frame::encode(message.kind(), Rsv::NONE, buf);
        Self {
            inner: Arc::new(Inner {
                message,
                frame: frame.bytes,
                #[cfg(feature = "deflate")]
                compressed: shared::Compressed::default(),
            }),
        }
    }

    /// The message.
    pub fn message(&self) -> &Message {
        &self.inner.message
    }

    /// The encoded frame (server role, uncompressed), as it goes on the wire.
    pub fn frame(&self) -> &Bytes {
        &self.inner.frame
    }

    /// How many times the message went through a compressor to be shared: at most once per
    /// parameter set of the connections it was sent to (see the type's docs), none for a
    /// message below the threshold or that looks incompressible, nor for connections that
    /// compress for themselves. 0 without the `deflate` feature.
    pub fn compressions(&self) -> usize {
        #[cfg(feature = "deflate")]
        let passes = self.inner.compressed.passes();
        #[cfg(not(feature = "deflate"))]
        let passes = 0;
        passes
    }
}

impl fmt::Debug for PreparedMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PreparedMessage")
            .field("message", &self.inner.message)
            .field("frame_len", &self.inner.frame.len())
            .field("compressions", &self.compressions())
            .finish()
    }
}

#[cfg(feature = "deflate")]
mod shared {
    //! The compressed frames of one prepared message, one per parameter set.

    use alloc::sync::Arc;
    use alloc::vec::Vec;
    use core::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Mutex, OnceLock, PoisonError};

    use super::Frame;
    use crate::Message;
    use crate::deflate::{Fresh, SendKey};
    use crate::extension::ExtensionError;
    use crate::frame::{MAX_HEADER_LEN, Rsv};

    /// What a parameter set sends: the compressed frame, or `None` for the plain one.
    pub(super) type Outcome = Result<Option<Frame>, ExtensionError>;

    #[derive(Default)]
    pub(super) struct Compressed {
        /// The first parameter set asked for (most servers have one): read without a lock.
        first: OnceLock<(SendKey, Outcome)>,
        /// Any others (a handful at most, so a list), each compressed by its first asker.
        others: Mutex<Vec<(SendKey, Arc<OnceLock<Outcome>>)>>,
        passes: AtomicUsize,
    }

    impl Compressed {
        pub(super) fn passes(&self) -> usize {
            self.passes.load(Ordering::Relaxed)
        }

        /// What connections with `key` send, when `key` is the first parameter set and its
        /// compression is done; read without a lock.
        #[inline]
        pub(super) fn ready(&self, key: SendKey) -> Option<&Outcome> {
            match self.first.get() {
                Some((first, outcome)) if *first == key => Some(outcome),
                _ => None,
            }
        }

        /// Runs `f` with what every connection with `key` sends for `message`, compressed by
        /// the first to ask (the others of its set wait for it, outside the list's lock).
        pub(super) fn with<R>(
            &self,
            key: SendKey,
            message: &Message,
            f: impl FnOnce(&Outcome) -> R,
        ) -> R {
            let (first, outcome) = self
                .first
                .get_or_init(|| (key, self.compress(key, message)));
            if *first == key {
                return f(outcome);
            }
            let slot = {
                // A poisoned lock only means another thread panicked holding it: the list is
                // still a valid list.
                let mut others = self.others.lock().unwrap_or_else(PoisonError::into_inner);
                match others.iter().find(|(k, _)| *k == key) {
                    Some((_, slot)) => slot.clone(),
                    None => {
                        let slot = Arc::<OnceLock<Outcome>>::default();
                        others.push((key, slot.clone()));
                        slot
                    }
                }
            };
            f(slot.get_or_init(|| self.compress(key, message)))
        }

        fn compress(&self, key: SendKey, message: &Message) -> Outcome {
            let mut buf = Vec::with_capacity(MAX_HEADER_LEN + message.len() / 2 + 64);
            buf.resize(MAX_HEADER_LEN, 0);
            let fresh = key.compress_fresh(message.kind(), message.as_bytes(), &mut buf)?;
            if fresh != Fresh::Skipped {
                self.passes.fetch_add(1, Ordering::Relaxed);
            }
            Ok((fresh == Fresh::Compressed).then(|| Frame::encode(message.kind(), Rsv::RSV1, buf)))
        }
    }
}

impl Core {
    /// Sends a prepared message (see [`Connection::send_prepared`]).
    ///
    /// The usual fan-out case is decided here, small enough to inline into the hub's loop over
    /// a subscriber's messages: a server connection, open, with no message in progress, whose
    /// frame is already at hand ([`ready_frame`](Self::ready_frame)), small enough to copy and
    /// needing no splitting. Everything else, these cases' errors included, is decided by the
    /// general path.
    ///
    /// [`Connection::send_prepared`]: super::Connection::send_prepared
    #[inline]
    pub(crate) fn send_prepared(&mut self, prepared: &PreparedMessage) -> Result<(), SendError> {
        if self.role == Role::Server
            && self.state == State::Open
            && self.sending.is_none()
            && let Some(frame) = self.ready_frame(prepared)
            && frame.len() < PREPARED_SHARE_MIN
            && frame.len() <= self.config.send_frame_size
        {
            self.out.raw(frame);
            self.stats.messages_sent += 1;
            return Ok(());
        }
        self.send_prepared_general(prepared)
    }

    /// The bytes this (server) connection sends for `prepared`, when nothing is left to decide:
    /// the shared frame without an extension; with shared compression, the compressed frame
    /// its parameter set already made, if it was the first set to ask. `None` sends through
    /// the general path (which compresses, or sends the plain frame of a message that did not
    /// shrink).
    #[inline]
    fn ready_frame<'p>(&self, prepared: &'p PreparedMessage) -> Option<&'p Bytes> {
        #[cfg(feature = "deflate")]
        if let Some(key) = self.shared_deflate {
            return match prepared.inner.compressed.ready(key) {
                Some(Ok(Some(frame))) => Some(&frame.bytes),
                _ => None,
            };
        }
        self.extension.is_none().then_some(&prepared.inner.frame)
    }

    /// [`send_prepared`](Self::send_prepared) for every other case.
    fn send_prepared_general(&mut self, prepared: &PreparedMessage) -> Result<(), SendError> {
        self.ensure_open()?;
        // Never in the middle of another message's frames (§5.4); and nothing is compressed
        // for a connection that cannot send.
        if self.sending.is_some() {
            return Err(SendError::MessageInProgress);
        }
        if self.role == Role::Server {
            #[cfg(feature = "deflate")]
            if let Some(key) = self.shared_deflate {
                let message = prepared.message();
                return prepared.inner.compressed.with(key, message, |outcome| {
                    match outcome {
                        Ok(Some(frame)) => self.send_shared(message.kind(), frame),
                        // Below the threshold, or it would not shrink: as `send` sends it.
                        Ok(None) => self.send_plain(prepared),
                        Err(_) => Err(SendError::InvalidState("extension refused the payload")),
                    }
                });
            }
            if self.extension.is_none() {
                return self.send_plain(prepared);
            }
        }
        self.send(prepared.message().clone(), SendOptions::default())
    }

    /// Sends the shared uncompressed frame (server role).
    fn send_plain(&mut self, prepared: &PreparedMessage) -> Result<(), SendError> {
        if prepared.message().len() <= self.config.send_frame_size {
            self.send_frames(&prepared.inner.frame)
        } else {
            let plain = SendOptions::default().compress(false);
            self.send(prepared.message().clone(), plain)
        }
    }

    /// Sends a shared compressed frame (server role): as it is, or split as `send` splits.
    #[cfg(feature = "deflate")]
    fn send_shared(&mut self, kind: MessageKind, frame: &Frame) -> Result<(), SendError> {
        let size = self.config.send_frame_size.max(1);
        let payload = frame.payload();
        if payload.len() <= size {
            return self.send_frames(&frame.bytes);
        }
        let mut opcode = match kind {
            MessageKind::Text => OpCode::Text,
            MessageKind::Binary => OpCode::Binary,
        };
        let mut rsv = Rsv::RSV1;
        let mut pieces = payload.chunks(size).peekable();
        while let Some(piece) = pieces.next() {
            let last = pieces.peek().is_none();
            self.out.frame(&mut *self.entropy, opcode, last, rsv, piece);
            opcode = OpCode::Continuation;
            rsv = Rsv::NONE;
        }
        self.stats.messages_sent += 1;
        Ok(())
    }
}
