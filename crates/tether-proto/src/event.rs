//! What the connection tells the application.

use crate::CloseFrame;
use crate::error::ConnectionError;
use crate::handshake::Request;

/// The type of a data message.
#[derive(Clone, Copy, Debug, Eq, Hash, PartialEq)]
pub enum MessageKind {
    /// UTF-8 text (opcode 0x1).
    Text,
    /// Binary data (opcode 0x2).
    Binary,
}

/// A whole received message, borrowed from the connection's buffers until the next call to
/// [`Connection::poll_event`](crate::Connection::poll_event).
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
pub enum Message<'a> {
    /// A text message, already checked to be valid UTF-8.
    Text(&'a str),
    /// A binary message.
    Binary(&'a [u8]),
}

impl<'a> Message<'a> {
    /// The payload bytes.
    pub fn as_bytes(&self) -> &'a [u8] {
        match *self {
            Self::Text(s) => s.as_bytes(),
            Self::Binary(b) => b,
        }
    }

    /// The message type.
    pub fn kind(&self) -> MessageKind {
        match self {
            Self::Text(_) => MessageKind::Text,
            Self::Binary(_) => MessageKind::Binary,
        }
    }
}

/// Something that happened on a connection. Payloads are borrowed from the connection and valid
/// until the next call to [`Connection::poll_event`](crate::Connection::poll_event).
#[non_exhaustive]
#[derive(Debug)]
pub enum Event<'a> {
    /// Server side: the client's upgrade request arrived. Inspect it, then call
    /// [`Connection::accept`](crate::Connection::accept) or
    /// [`Connection::reject`](crate::Connection::reject).
    Request(&'a Request),
    /// The opening handshake completed; messages may flow. The negotiated subprotocol and
    /// extensions are available from the connection.
    Open,
    /// A whole message ([`ReceiveMode::Message`](crate::ReceiveMode::Message)).
    Message(Message<'a>),
    /// A piece of a message ([`ReceiveMode::Partial`](crate::ReceiveMode::Partial)). Text
    /// pieces are valid UTF-8 as a sequence, but a piece may end in the middle of a character.
    Data {
        /// The message's type.
        kind: MessageKind,
        /// The next bytes of the message; may be empty on the last piece.
        payload: &'a [u8],
        /// Whether this is the message's last piece.
        fin: bool,
    },
    /// A ping arrived (already answered when `auto_pong` is on).
    Ping(&'a [u8]),
    /// A pong arrived.
    Pong(&'a [u8]),
    /// The connection is closed: the close handshake completed (`Ok`, with the code and reason
    /// the peer sent; 1005 when it sent none) or the connection failed (`Err`). Emitted exactly
    /// once; nothing follows it.
    Closed(Result<&'a CloseFrame, &'a ConnectionError>),
}
