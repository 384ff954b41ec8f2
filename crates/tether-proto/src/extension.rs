//! The extension point (RFC 6455 §9): negotiated extensions claim reserved bits and transform
//! message payloads.
//!
//! An extension is installed on a [`Connection`](crate::Connection) once the handshake has
//! negotiated it (see [`Connection::install_extension`](crate::Connection::install_extension)).
//! The connection then lets frames with the extension's reserved bits through its checks, and
//! passes the payload of each message whose first frame set them through
//! [`Extension::decode`]; outgoing messages go through [`Extension::encode`]. Control frames are
//! never passed to extensions. permessage-deflate (RFC 7692) plugs in here.

use alloc::vec::Vec;
use core::fmt;

use crate::MessageKind;
use crate::frame::Rsv;

/// Why an extension could not transform a payload.
#[non_exhaustive]
#[derive(Clone, Debug, Eq, PartialEq, thiserror::Error)]
pub enum ExtensionError {
    /// The decoded payload would pass the limit; the connection fails with 1009.
    #[error("decoded payload exceeds the limit")]
    TooBig,
    /// The payload is not valid for this extension; the connection fails with 1002 (receive
    /// side) or the send is refused.
    #[error("invalid payload: {0}")]
    Invalid(&'static str),
}

/// How far a call to [`Extension::decode`] got.
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
pub enum Decoded {
    /// All of the input was taken and everything it decodes to was appended.
    Done,
    /// The output reached the `limit` and more is pending: the extension kept what it still
    /// needs of the input, and the connection calls `decode` again with an empty input (same
    /// `rsv` and `fin`) once the output so far was handed on. When the limit was the room left
    /// under the message size limit, the connection fails with 1009 instead.
    Full,
}

/// A negotiated extension's data transform.
pub trait Extension: fmt::Debug + Send {
    /// The reserved bits this extension gives meaning to.
    fn rsv(&self) -> Rsv;

    /// Decodes the next piece of a received message whose first frame set `rsv` (some of this
    /// extension's bits). `fin` marks the message's last piece. Appends the output to `out`,
    /// which must not grow by more than `limit` bytes in this call: that is how decompression
    /// bombs are stopped and how partial mode keeps memory constant. When more output is
    /// pending at the limit, return [`Decoded::Full`] and continue at the next call (or return
    /// [`ExtensionError::TooBig`] if the extension cannot resume).
    fn decode(
        &mut self,
        rsv: Rsv,
        input: &[u8],
        fin: bool,
        out: &mut Vec<u8>,
        limit: usize,
    ) -> Result<Decoded, ExtensionError>;

    /// Encodes the next piece of an outgoing message, appending the output to `out`.
    ///
    /// `first` marks a message's first piece: the returned bits are set on its first frame,
    /// and [`Rsv::NONE`] means "send this message untransformed" — then the connection sends
    /// the rest of the message as it is, without calling `encode` again for it. `fin` marks the
    /// last piece.
    fn encode(
        &mut self,
        kind: MessageKind,
        input: &[u8],
        first: bool,
        fin: bool,
        out: &mut Vec<u8>,
    ) -> Result<Rsv, ExtensionError>;
}
