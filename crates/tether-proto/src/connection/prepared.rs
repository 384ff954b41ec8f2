//! [`PreparedMessage`]: a message encoded once into its frame bytes and handed to any number of
//! connections without copying or encoding it again (Go's gorilla `PreparedMessage`,
//! uWebSockets' pub/sub).

use alloc::sync::Arc;
use alloc::vec::Vec;
use core::fmt;

use bytes::Bytes;

use super::Core;
use crate::error::SendError;
use crate::frame::{FrameHeader, MAX_HEADER_LEN, OpCode, Rsv};
use crate::{Message, MessageKind, Role, SendOptions};

/// A message encoded once, for sending to many connections.
///
/// [`new`](Self::new) encodes the message as a server sends it: one unmasked frame, header and
/// payload in one buffer. [`Connection::send_prepared`](crate::Connection::send_prepared) then
/// queues those bytes on each connection as they are (a reference count goes up; nothing is
/// copied). Where the frame cannot be shared, the connection encodes the message itself from
/// the shared payload:
///
/// - a client masks every frame with a fresh key (RFC 6455 §5.3);
/// - a connection whose [`Config::send_frame_size`](crate::Config) is smaller than the payload
///   splits it;
/// - a connection with an extension transforming messages (permessage-deflate) encodes the
///   payload through it.
///
/// Cloning is cheap (the encoding is shared), and a prepared message is `Send + Sync`.
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
}

impl PreparedMessage {
    /// Encodes `message` once (one copy of its payload, behind its header).
    pub fn new(message: Message) -> Self {
        let opcode = match message.kind() {
            MessageKind::Text => OpCode::Text,
            MessageKind::Binary => OpCode::Binary,
        };
        let header = FrameHeader {
            fin: true,
            rsv: Rsv::NONE,
            opcode,
            mask: None,
            payload_len: message.len() as u64,
        };
        let mut head = [0; MAX_HEADER_LEN];
        let head_len = header.encode(&mut head);
        let mut frame = Vec::with_capacity(head_len + message.len());
        frame.extend_from_slice(&head[..head_len]);
        frame.extend_from_slice(message.as_bytes());
        Self {
            inner: Arc::new(Inner {
                message,
                frame: Bytes::from(frame),
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
}

impl fmt::Debug for PreparedMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PreparedMessage")
            .field("message", &self.inner.message)
            .field("frame_len", &self.inner.frame.len())
            .finish()
    }
}

impl Core {
    /// Sends a prepared message (see [`Connection::send_prepared`]).
    ///
    /// [`Connection::send_prepared`]: super::Connection::send_prepared
    pub(crate) fn send_prepared(&mut self, prepared: &PreparedMessage) -> Result<(), SendError> {
        let shareable = self.role == Role::Server
            && self.extension.is_none()
            && prepared.message().len() <= self.config.send_frame_size;
        if shareable {
            self.send_frames(prepared.inner.frame.clone())
        } else {
            self.send(prepared.message().clone(), SendOptions::default())
        }
    }
}
