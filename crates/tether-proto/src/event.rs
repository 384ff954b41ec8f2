//! What the connection tells the application.

use crate::CloseFrame;
use crate::MessageKind;
use crate::error::ConnectionError;
use crate::handshake::Request;

/// Something that happened on a connection. Payloads are borrowed from the connection and valid
/// until the next call to [`Connection::poll_event`](crate::Connection::poll_event);
/// [`Connection::take_message`](crate::Connection::take_message) moves a whole message out as an
/// owned [`Message`](crate::Message).
#[non_exhaustive]
#[derive(Debug)]
pub enum Event<'a> {
    /// Server side: the client's upgrade request arrived. Inspect it, then call
    /// [`Connection::accept`](crate::Connection::accept) or
    /// [`Connection::reject`](crate::Connection::reject).
    Request(&'a Request),
    /// The opening handshake completed; messages may flow. What was negotiated is in
    /// [`Connection::negotiated`](crate::Connection::negotiated).
    Open,
    /// A whole message ([`ReceiveMode::Message`](crate::ReceiveMode::Message)). Text is valid
    /// UTF-8.
    Message {
        /// Text or binary.
        kind: MessageKind,
        /// The payload.
        data: &'a [u8],
    },
    /// A chunk of a message, as it arrived ([`ReceiveMode::Chunks`](crate::ReceiveMode::Chunks)).
    /// The chunks of a text message are valid UTF-8 together, but one may end inside a
    /// character.
    Chunk {
        /// The message's type.
        kind: MessageKind,
        /// The next bytes of the message; may be empty on the last chunk.
        data: &'a [u8],
        /// Whether this is the message's last chunk.
        fin: bool,
    },
    /// A ping arrived. Its pong is already queued (unless
    /// [`Config::auto_pong`](crate::Config#structfield.auto_pong) is off).
    Ping(&'a [u8]),
    /// A pong arrived.
    Pong(&'a [u8]),
    /// The connection is closed: the close handshake completed (`Ok`, with the code and reason
    /// the peer sent; 1005 when it sent none) or the connection failed (`Err`). Emitted exactly
    /// once; nothing follows it.
    Closed(Result<&'a CloseFrame, &'a ConnectionError>),
}
