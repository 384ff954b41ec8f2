//! [`Message`]: one whole data message, text or binary, owned — what is sent and what is
//! received, in every crate of tether.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;
use core::ops::Range;

use bytes::Bytes;

/// The type of a data message.
///
/// A whole word (`repr(u64)`): a [`Message`] is then made of whole words, which the compiler
/// moves word by word (a one-byte kind leaves a run of seven bytes, moved in overlapping
/// pieces that the next move of the same message cannot read back at full speed).
#[derive(Clone, Copy, Debug, Eq, Hash, PartialEq)]
#[repr(u64)]
pub enum MessageKind {
    /// UTF-8 text (opcode 0x1).
    Text,
    /// Binary data (opcode 0x2).
    Binary,
}

/// A whole data message: its [`MessageKind`] and its payload as shared, reference-counted
/// [`Bytes`] — or, for a received payload of at most [`Message::INLINE`] bytes, kept in the
/// message itself, so small messages cost no allocation.
///
/// Cloning a message, or handing it to many connections, never copies a shared payload. A text
/// message is always valid UTF-8: the constructors take `String`/`&'static str` or check the
/// bytes, and received text is checked by the connection before it is handed out.
///
/// ```
/// use bytes::Bytes;
/// use tether_proto::{Message, MessageKind};
///
/// let hello = Message::text("hello");
/// assert_eq!((hello.kind(), hello.as_text()), (MessageKind::Text, Some("hello")));
///
/// let data = Message::binary(vec![1, 2, 3]);
/// assert_eq!(data.as_bytes(), &[1, 2, 3]);
/// assert_eq!(data.as_text(), None);
///
/// // Bytes that may not be UTF-8 are checked once, here.
/// assert!(Message::text_from_bytes(Bytes::from_static(b"\xff")).is_err());
/// ```
#[derive(Clone)]
pub struct Message {
    kind: MessageKind,
    data: Payload,
}

/// Where a message's payload is: shared, or (small and received) in the message itself.
#[derive(Clone)]
pub(crate) enum Payload {
    Shared(Bytes),
    Inline(Inline),
}

/// A payload of at most [`Message::INLINE`] bytes, by value.
///
/// Whole words only (16 bytes and a word-sized length): moving a message then copies whole
/// words. Odd-sized runs are copied as overlapping pieces, which the next copy of the same
/// message cannot read back at full speed.
#[derive(Clone, Copy)]
pub(crate) struct Inline {
    buf: [u8; Message::INLINE],
    len: usize,
}

impl Inline {
    /// `bytes` when they fit.
    fn new(bytes: &[u8]) -> Option<Self> {
        let mut buf = [0; Message::INLINE];
        buf.get_mut(..bytes.len())?.copy_from_slice(bytes);
        Some(Self {
            len: bytes.len(),
            buf,
        })
    }
}

impl core::ops::Deref for Payload {
    type Target = [u8];

    #[inline]
    fn deref(&self) -> &[u8] {
        match self {
            Self::Shared(bytes) => bytes,
            Self::Inline(inline) => &inline.buf[..inline.len],
        }
    }
}

impl Payload {
    /// As `Bytes` (an inline payload is copied out).
    #[inline]
    pub(crate) fn into_bytes(self) -> Bytes {
        match self {
            Self::Shared(bytes) => bytes,
            Self::Inline(inline) => Bytes::copy_from_slice(&inline.buf[..inline.len]),
        }
    }
}

impl PartialEq for Message {
    fn eq(&self, other: &Self) -> bool {
        self.kind == other.kind && self.as_bytes() == other.as_bytes()
    }
}

impl Eq for Message {}

impl core::hash::Hash for Message {
    fn hash<H: core::hash::Hasher>(&self, state: &mut H) {
        self.kind.hash(state);
        self.as_bytes().hash(state);
    }
}

/// The bytes given to [`Message::text_from_bytes`] are not valid UTF-8.
#[derive(Clone, Copy, Debug, Eq, PartialEq, thiserror::Error)]
#[error("text is not valid UTF-8 (the first {valid_up_to} bytes are)")]
pub struct InvalidText {
    /// How many leading bytes are valid.
    pub valid_up_to: usize,
}

impl Message {
    /// Received payloads up to this many bytes are kept in the message, not allocated.
    pub const INLINE: usize = 16;

    /// A text message.
    pub fn text(text: impl Into<String>) -> Self {
        Self {
            kind: MessageKind::Text,
            data: Payload::Shared(Bytes::from(text.into())),
        }
    }

    /// A text message from bytes, checked to be UTF-8.
    ///
    /// # Errors
    ///
    /// The bytes are not valid UTF-8.
    pub fn text_from_bytes(data: Bytes) -> Result<Self, InvalidText> {
        match core::str::from_utf8(&data) {
            Ok(_) => Ok(Self {
                kind: MessageKind::Text,
                data: Payload::Shared(data),
            }),
            Err(e) => Err(InvalidText {
                valid_up_to: e.valid_up_to(),
            }),
        }
    }

    /// A binary message.
    pub fn binary(data: impl Into<Bytes>) -> Self {
        Self {
            kind: MessageKind::Binary,
            data: Payload::Shared(data.into()),
        }
    }

    /// A message whose text (if it is text) the connection already checked.
    pub(crate) fn from_checked(kind: MessageKind, data: Bytes) -> Self {
        Self {
            kind,
            data: Payload::Shared(data),
        }
    }

    /// A message of received bytes, `buf[range]`, whose text (if it is text) the connection
    /// already checked: kept inline when small, copied into a new `Bytes` otherwise.
    pub(crate) fn from_received(kind: MessageKind, buf: &[u8], range: Range<usize>) -> Self {
        let len = range.len();
        let window = buf
            .get(range.start..range.start.saturating_add(Self::INLINE))
            .and_then(|window| <[u8; Self::INLINE]>::try_from(window).ok());
        let data = match window {
            // One fixed-size copy (the bytes past the payload are never looked at).
            Some(window) if len <= Self::INLINE => Payload::Inline(Inline { len, buf: window }),
            _ => match Inline::new(&buf[range.clone()]) {
                Some(inline) => Payload::Inline(inline),
                None => Payload::Shared(Bytes::copy_from_slice(&buf[range])),
            },
        };
        Self { kind, data }
    }

    /// The payload, taken out as it is.
    #[inline]
    pub(crate) fn into_payload(self) -> Payload {
        self.data
    }

    /// Text or binary.
    #[inline]
    pub fn kind(&self) -> MessageKind {
        self.kind
    }

    /// Whether this is a text message.
    #[inline]
    pub fn is_text(&self) -> bool {
        self.kind == MessageKind::Text
    }

    /// The payload.
    #[inline]
    pub fn as_bytes(&self) -> &[u8] {
        &self.data
    }

    /// The text of a text message; `None` for a binary message.
    ///
    /// The text was checked when the message was made or received; borrowing it as `&str`
    /// checks it again (safe Rust has no other way), so code that only forwards or parses bytes
    /// should use [`as_bytes`](Self::as_bytes).
    pub fn as_text(&self) -> Option<&str> {
        match self.kind {
            MessageKind::Text => core::str::from_utf8(&self.data).ok(),
            MessageKind::Binary => None,
        }
    }

    /// The payload, taken out (no copy, except for a small received payload kept inline:
    /// see [`INLINE`](Self::INLINE)).
    #[inline]
    pub fn into_bytes(self) -> Bytes {
        self.data.into_bytes()
    }

    /// Payload length in bytes.
    #[inline]
    pub fn len(&self) -> usize {
        self.data.len()
    }

    /// Whether the payload is empty.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }
}

/// Text messages show their text (lossily, should it ever not be UTF-8), binary ones their
/// length and first bytes.
impl fmt::Debug for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            MessageKind::Text => {
                write!(f, "Text({:?})", String::from_utf8_lossy(&self.data))
            }
            MessageKind::Binary => {
                let head = &self.data[..self.data.len().min(16)];
                write!(f, "Binary({} bytes: {head:02x?}", self.data.len())?;
                if head.len() < self.data.len() {
                    f.write_str("…")?;
                }
                f.write_str(")")
            }
        }
    }
}

impl From<String> for Message {
    fn from(text: String) -> Self {
        Self::text(text)
    }
}

impl From<&'static str> for Message {
    fn from(text: &'static str) -> Self {
        Self {
            kind: MessageKind::Text,
            data: Payload::Shared(Bytes::from_static(text.as_bytes())),
        }
    }
}

impl From<Vec<u8>> for Message {
    fn from(data: Vec<u8>) -> Self {
        Self::binary(data)
    }
}

impl From<Bytes> for Message {
    fn from(data: Bytes) -> Self {
        Self::binary(data)
    }
}

impl From<&'static [u8]> for Message {
    fn from(data: &'static [u8]) -> Self {
        Self::binary(Bytes::from_static(data))
    }
}

#[cfg(test)]
mod tests {
    use alloc::vec;

    use super::*;

    #[test]
    fn text_constructors_keep_utf8_and_share_static_text() {
        let m = Message::from("static");
        assert_eq!(m.as_text(), Some("static"));
        assert_eq!(m.into_bytes().as_ptr(), "static".as_ptr());
        assert_eq!(Message::text(String::from("é")).as_bytes(), "é".as_bytes());
        let e = Message::text_from_bytes(Bytes::from_static(b"ok\xc3")).unwrap_err();
        assert_eq!(e.valid_up_to, 2);
    }

    #[test]
    fn binary_messages_are_not_text() {
        let m = Message::from(b"hi".to_vec());
        assert_eq!(
            (m.kind(), m.as_text(), m.len()),
            (MessageKind::Binary, None, 2)
        );
        assert!(Message::binary(Bytes::new()).is_empty());
    }

    #[test]
    fn small_received_payloads_are_inline_and_equal_to_shared_ones() {
        use core::mem::size_of;
        // No bigger than a kind and a `Bytes`.
        assert_eq!(size_of::<Message>(), size_of::<Bytes>() + 8);
        let wire = [7; Message::INLINE + 3];
        let small = Message::from_received(MessageKind::Binary, &wire, 1..Message::INLINE + 1);
        assert!(matches!(small.data, Payload::Inline(_)));
        assert_eq!(small, Message::binary(vec![7; Message::INLINE]));
        let copy = small.clone();
        assert_eq!(copy, small);
        assert_eq!(small.into_bytes(), Bytes::from(vec![7; Message::INLINE]));
        let large = Message::from_received(MessageKind::Text, &[b'a'; 40], 3..Message::INLINE + 4);
        assert!(matches!(large.data, Payload::Shared(_)));
        assert_eq!(large.as_text().map(str::len), Some(Message::INLINE + 1));
        let empty = Message::from_received(MessageKind::Text, b"ab", 2..2);
        assert_eq!((empty.as_text(), empty.is_empty()), (Some(""), true));
        // At the end of the buffer (no window of INLINE bytes): copied byte by byte.
        let tail = Message::from_received(MessageKind::Binary, &wire, 5..Message::INLINE + 3);
        assert!(matches!(tail.data, Payload::Inline(_)));
        assert_eq!(tail.as_bytes(), &wire[5..]);
    }

    #[test]
    fn debug_shows_text_as_text_and_binary_as_a_short_hex_prefix() {
        use alloc::{format, vec};
        assert_eq!(format!("{:?}", Message::text("hi")), r#"Text("hi")"#);
        assert_eq!(
            format!("{:?}", Message::binary(vec![1u8; 20])),
            "Binary(20 bytes: [01, 01, 01, 01, 01, 01, 01, 01, 01, 01, 01, 01, 01, 01, 01, 01]…)"
        );
    }
}
