//! What can go wrong, as types a program can `match` on.
//!
//! Errors caused by the peer never come back from `handle_*` methods: they fail the connection
//! (RFC 6455 §7.1.7) with the right close code and surface once, as
//! [`Event::Closed`](crate::Event::Closed). Misuse of the API comes back at once as a
//! [`SendError`].

use crate::CloseCode;
use crate::handshake::HandshakeError;

/// A rule of RFC 6455 that the peer broke. The connection fails with 1002 (protocol error).
#[non_exhaustive]
#[derive(Clone, Debug, Eq, PartialEq, thiserror::Error)]
pub enum ProtocolError {
    /// A frame used a reserved opcode (§5.2).
    #[error("frame uses reserved opcode {0:#x}")]
    ReservedOpcode(u8),
    /// A frame set reserved bits that no negotiated extension defines (§5.2).
    #[error("frame sets reserved bits {0:#04x} that no negotiated extension defines")]
    ReservedBits(u8),
    /// A client sent an unmasked frame (§5.1).
    #[error("client sent an unmasked frame")]
    UnmaskedFrame,
    /// A server sent a masked frame (§5.1).
    #[error("server sent a masked frame")]
    MaskedFrame,
    /// A 64-bit payload length had its most significant bit set (§5.2).
    #[error("64-bit payload length has its most significant bit set")]
    LengthOverflow,
    /// A control frame carried more than 125 bytes (§5.5).
    #[error("control frame carries {0} bytes; at most 125 are allowed")]
    ControlFrameTooLong(u64),
    /// A control frame had FIN clear (§5.5).
    #[error("control frame is fragmented")]
    FragmentedControlFrame,
    /// A continuation frame arrived with no fragmented message in progress (§5.4).
    #[error("continuation frame without a message in progress")]
    UnexpectedContinuation,
    /// A text or binary frame arrived in the middle of a fragmented message (§5.4).
    #[error("new data frame while a fragmented message is in progress")]
    ExpectedContinuation,
    /// A close frame had a one-byte payload (§5.5.1).
    #[error("close frame has a one-byte payload")]
    CloseOneByte,
    /// A close frame carried a code that may not be sent (§7.4).
    #[error("close frame carries code {0}, which may not be sent")]
    InvalidCloseCode(u16),
    /// An extension rejected a frame (for example RSV1 on a continuation frame).
    #[error("extension error: {0}")]
    Extension(&'static str),
}

/// Why a connection ended other than by a clean close handshake.
#[non_exhaustive]
#[derive(Clone, Debug, Eq, PartialEq, thiserror::Error)]
pub enum ConnectionError {
    /// The peer broke the protocol; 1002 was sent.
    #[error("peer violated the protocol: {0}")]
    Protocol(#[from] ProtocolError),
    /// A text message or close reason was not valid UTF-8; 1007 was sent.
    #[error("peer sent text that is not valid UTF-8")]
    InvalidUtf8,
    /// A message grew past the configured limit; 1009 was sent.
    #[error("message exceeds the limit of {limit} bytes")]
    MessageTooBig {
        /// The configured `max_message_size`.
        limit: u64,
    },
    /// A frame declared a payload past the configured limit; 1009 was sent.
    #[error("frame of {len} bytes exceeds the limit of {limit} bytes")]
    FrameTooBig {
        /// What the frame declared.
        len: u64,
        /// The configured `max_frame_size`.
        limit: u64,
    },
    /// A message was split into more frames than allowed; 1009 was sent.
    #[error("message has more than {limit} fragments")]
    TooManyFragments {
        /// The configured `max_fragments`.
        limit: u32,
    },
    /// The opening handshake failed.
    #[error("opening handshake failed: {0}")]
    Handshake(#[from] HandshakeError),
    /// The opening handshake did not finish within the configured time.
    #[error("opening handshake timed out")]
    HandshakeTimeout,
    /// The peer sent nothing within the keepalive timeout after a ping; 1011 was sent.
    #[error("peer did not answer a keepalive ping in time")]
    KeepaliveTimeout,
    /// The peer did not answer our close frame within the close timeout.
    #[error("peer did not complete the close handshake in time")]
    CloseTimeout,
    /// This endpoint refused the opening handshake with this HTTP status
    /// ([`Connection::reject`](crate::Connection::reject)).
    #[error("refused the opening handshake with status {status}")]
    Refused {
        /// The status sent.
        status: u16,
    },
    /// The transport ended without a close frame (1006).
    #[error("connection ended without a close frame")]
    Abnormal,
}

impl ConnectionError {
    /// The close code that describes this failure: the one sent to the peer, or, where nothing
    /// could be sent, 1006.
    pub fn close_code(&self) -> CloseCode {
        match self {
            Self::Protocol(_) => CloseCode::PROTOCOL_ERROR,
            Self::InvalidUtf8 => CloseCode::INVALID_PAYLOAD,
            Self::MessageTooBig { .. }
            | Self::FrameTooBig { .. }
            | Self::TooManyFragments { .. } => CloseCode::TOO_BIG,
            // Python `websockets` closes a connection whose keepalive pong is late with 1011 too.
            Self::KeepaliveTimeout => CloseCode::INTERNAL_ERROR,
            Self::Handshake(_)
            | Self::HandshakeTimeout
            | Self::CloseTimeout
            | Self::Refused { .. }
            | Self::Abnormal => CloseCode::ABNORMAL,
        }
    }
}

/// A command the connection cannot carry out now. Nothing was queued.
#[non_exhaustive]
#[derive(Clone, Debug, Eq, PartialEq, thiserror::Error)]
pub enum SendError {
    /// The connection is not open yet (handshake in progress) — wait for `Event::Open`.
    #[error("connection is not open yet")]
    NotOpen,
    /// A close frame was already sent or the connection has failed; nothing more may be sent.
    #[error("connection is closing or closed")]
    Closed,
    /// Ping and pong payloads are limited to 125 bytes (§5.5).
    #[error("ping or pong payload of {0} bytes exceeds 125")]
    ControlPayloadTooLong(usize),
    /// A close reason is limited to 123 bytes ([`MAX_REASON_LEN`](crate::MAX_REASON_LEN): the
    /// close frame's 125 minus the 2-byte code).
    #[error("close reason of {0} bytes exceeds 123")]
    ReasonTooLong(usize),
    /// The close code may not be sent (1005, 1006, 1015, or outside the allowed ranges).
    #[error("close code {0} may not be sent")]
    InvalidCloseCode(u16),
    /// A whole message or a new streamed message was started while a streamed message is
    /// unfinished. Finish it first.
    #[error("a streamed message is still in progress")]
    MessageInProgress,
    /// A chunk was written with no streamed message in progress. Start one first.
    #[error("no streamed message is in progress")]
    NoMessageInProgress,
    /// The bytes written to a streamed text message are not valid UTF-8.
    #[error("text is not valid UTF-8")]
    InvalidUtf8,
    /// This call is for the other role or another handshake state (for example `accept` on a
    /// client).
    #[error("not valid in this state: {0}")]
    InvalidState(&'static str),
    /// The handshake answer could not be written (for example a subprotocol that was not
    /// offered).
    #[error("handshake: {0}")]
    Handshake(HandshakeError),
}
