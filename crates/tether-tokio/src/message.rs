//! [`Message`] and [`Chunk`]: what a message socket receives.

use tether_net::Error;
use tether_proto::{ConnectionError, MessageKind};

use crate::driver::Incoming;

/// A received message, owned.
#[derive(Clone, Debug, Eq, PartialEq)]
pub enum Message {
    /// UTF-8 text (checked by the core).
    Text(String),
    /// Binary data.
    Binary(Vec<u8>),
}

impl Message {
    /// The payload bytes.
    pub fn as_bytes(&self) -> &[u8] {
        match self {
            Self::Text(t) => t.as_bytes(),
            Self::Binary(b) => b,
        }
    }

    /// The text, for a text message.
    pub fn as_text(&self) -> Option<&str> {
        match self {
            Self::Text(t) => Some(t),
            Self::Binary(_) => None,
        }
    }

    /// The message's type.
    pub fn kind(&self) -> MessageKind {
        match self {
            Self::Text(_) => MessageKind::Text,
            Self::Binary(_) => MessageKind::Binary,
        }
    }

    /// The payload, taken out.
    pub fn into_bytes(self) -> Vec<u8> {
        match self {
            Self::Text(t) => t.into_bytes(),
            Self::Binary(b) => b,
        }
    }
}

impl From<String> for Message {
    fn from(text: String) -> Self {
        Self::Text(text)
    }
}

impl From<&str> for Message {
    fn from(text: &str) -> Self {
        Self::Text(text.to_owned())
    }
}

impl From<Vec<u8>> for Message {
    fn from(bytes: Vec<u8>) -> Self {
        Self::Binary(bytes)
    }
}

/// A piece of a message from `recv_chunk` (WinRT partial-message receive).
#[derive(Clone, Debug, Eq, PartialEq)]
pub struct Chunk {
    /// The message's type.
    pub kind: MessageKind,
    /// The next bytes of the message (a text piece may end inside a character).
    pub data: Vec<u8>,
    /// Whether this is the message's last piece.
    pub is_last: bool,
}

/// Turns incoming pieces into whole messages: `None` while a message is still gathering in
/// `assembly` (the driver's buffer, so a cancelled receive keeps what it gathered).
pub(crate) fn whole(i: Incoming<'_>, assembly: &mut Vec<u8>) -> Option<Result<Message, Error>> {
    if !i.fin {
        assembly.extend_from_slice(i.payload);
        return None;
    }
    if assembly.is_empty() {
        return Some(Ok(match (i.kind, i.text) {
            (MessageKind::Text, Some(text)) => Message::Text(text.to_owned()),
            (MessageKind::Binary, _) => Message::Binary(i.payload.to_vec()),
            (MessageKind::Text, None) => return Some(text(i.payload.to_vec())),
        }));
    }
    assembly.extend_from_slice(i.payload);
    let bytes = std::mem::take(assembly);
    Some(match i.kind {
        MessageKind::Binary => Ok(Message::Binary(bytes)),
        MessageKind::Text => text(bytes),
    })
}

fn text(bytes: Vec<u8>) -> Result<Message, Error> {
    String::from_utf8(bytes)
        .map(Message::Text)
        .map_err(|_| Error::Protocol(ConnectionError::InvalidUtf8))
}

pub(crate) fn chunk(i: Incoming<'_>) -> Chunk {
    Chunk {
        kind: i.kind,
        data: i.payload.to_vec(),
        is_last: i.fin,
    }
}
