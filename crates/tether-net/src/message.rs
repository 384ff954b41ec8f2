//! [`Message`] and [`Chunk`]: what a message socket receives, the same for both adapters.

use tether_proto::MessageKind;

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

/// A piece of a message from a message socket's `recv_chunk` (WinRT partial-message receive).
#[derive(Clone, Debug, Eq, PartialEq)]
pub struct Chunk {
    /// The message's type.
    pub kind: MessageKind,
    /// The next bytes of the message (a text piece may end inside a character).
    pub data: Vec<u8>,
    /// Whether this is the message's last piece.
    pub is_last: bool,
}
