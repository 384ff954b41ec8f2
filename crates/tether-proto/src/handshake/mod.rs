//! The opening handshake (RFC 6455 §4): HTTP/1.1 upgrade request and response, both sides.
//!
//! The [`Connection`](crate::Connection) drives these for you; they are public for adapters that
//! take an upgrade another HTTP server already parsed, and for tools and fuzzers.

mod client;
mod error;
mod extensions;
mod head;
mod headers;
#[cfg(feature = "http")]
mod http;
mod server;

pub use client::{ClientHandshake, ClientOptions, Response};
pub use error::HandshakeError;
pub use extensions::ExtensionOffer;
pub use headers::Headers;
pub use server::{Accept, Reject, Request, ServerHandshake};

/// The GUID appended to the client's key to form the accept key (RFC 6455 §1.3).
pub const WEBSOCKET_GUID: &str = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/// The `Sec-WebSocket-Accept` value for a `Sec-WebSocket-Key` value:
/// base64(SHA-1(key + GUID)) (RFC 6455 §1.3, §4.2.2).
///
/// ```
/// use tether_proto::handshake::accept_key;
///
/// assert_eq!(accept_key(b"dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
/// ```
pub fn accept_key(key: &[u8]) -> alloc::string::String {
    todo!()
}

/// Bounds on the handshake's HTTP head, so a peer cannot make us buffer without end.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
pub struct Limits {
    /// Most bytes of request line/status line plus headers. Past it: an error (431 on the server
    /// side). Default: 16 KiB.
    pub max_head_bytes: usize,
    /// Most header fields. Past it: an error (431 on the server side). Default: 64.
    pub max_headers: usize,
    /// Most bytes of a refusing (non-101) response's body kept for the error. Default: 4 KiB.
    pub max_body_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self { max_head_bytes: 16 << 10, max_headers: 64, max_body_bytes: 4 << 10 }
    }
}
