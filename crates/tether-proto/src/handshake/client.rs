//! The client side: build the upgrade request, check the response (RFC 6455 §4.1).

use alloc::string::String;
use alloc::vec::Vec;

use super::{ExtensionOffer, HandshakeError, Headers, Limits};

/// What a client asks for in its upgrade request, beyond the URL.
#[derive(Clone, Debug, Default)]
pub struct ClientOptions {}

/// A client's handshake in progress: knows its key and what it offered.
#[derive(Debug)]
pub struct ClientHandshake {}

impl ClientHandshake {
    /// Builds the upgrade request for `url` (`ws://` or `wss://`) and appends it to `out`.
    /// `key` is 16 random bytes for `Sec-WebSocket-Key`.
    pub fn new(url: &str, options: &ClientOptions, key: [u8; 16], out: &mut Vec<u8>) -> Result<Self, HandshakeError> {
        todo!()
    }

    /// Parses the server's response from `buf` (all input since the request was sent; the
    /// same start on every call, growing). `eof` says the transport has closed.
    ///
    /// Returns `Ok(None)` until the response is complete, then `Ok(Some((response, used)))`
    /// where `used` is the number of bytes of `buf` the response took (what follows are the
    /// server's first frames).
    pub fn poll_response(&mut self, buf: &[u8], eof: bool, limits: &Limits) -> Result<Option<(Response, usize)>, HandshakeError> {
        todo!()
    }
}

/// A server's accepted (101) response.
#[derive(Clone, Debug)]
pub struct Response {}

impl Response {
    /// The subprotocol the server chose, if any.
    pub fn protocol(&self) -> Option<&str> {
        todo!()
    }

    /// The extensions the server accepted, in order.
    pub fn extensions(&self) -> &[ExtensionOffer] {
        todo!()
    }

    /// All response headers.
    pub fn headers(&self) -> &Headers {
        todo!()
    }
}
