//! The server side: parse and check the upgrade request, answer it (RFC 6455 §4.2).

use alloc::vec::Vec;

use super::{ExtensionOffer, HandshakeError, Headers, Limits};

/// A server's handshake in progress.
#[derive(Debug, Default)]
pub struct ServerHandshake {}

impl ServerHandshake {
    /// A handshake waiting for the client's request.
    pub fn new() -> Self {
        Self::default()
    }

    /// Parses the client's request from `buf` (all input so far; the same start on every call,
    /// growing). Returns `Ok(None)` until the head is complete, then the checked request and
    /// the number of bytes it took. On `Err`, [`HandshakeError::rejection`] gives the response
    /// to send.
    pub fn poll_request(&mut self, buf: &[u8], limits: &Limits) -> Result<Option<(Request, usize)>, HandshakeError> {
        todo!()
    }
}

/// A client's checked upgrade request.
#[derive(Clone, Debug)]
pub struct Request {}

impl Request {
    /// Appends the 101 response that accepts this request to `out`. Fails if `accept` chooses
    /// a subprotocol or an extension the client did not offer.
    pub fn write_accept(&self, accept: &Accept, out: &mut Vec<u8>) -> Result<(), HandshakeError> {
        todo!()
    }

    /// The subprotocols offered, in the client's order of preference.
    pub fn protocols(&self) -> &[alloc::string::String] {
        todo!()
    }

    /// The extensions offered, in order.
    pub fn extensions(&self) -> &[ExtensionOffer] {
        todo!()
    }

    /// All request headers.
    pub fn headers(&self) -> &Headers {
        todo!()
    }
}

/// How a server accepts a request.
#[derive(Clone, Debug, Default)]
pub struct Accept {}

impl Accept {
    /// The chosen subprotocol, if any.
    pub fn chosen_protocol(&self) -> Option<&str> {
        todo!()
    }

    /// The accepted extensions.
    pub fn chosen_extensions(&self) -> &[ExtensionOffer] {
        todo!()
    }
}

/// How a server refuses a request: any status, headers and body.
#[derive(Clone, Debug)]
pub struct Reject {}

impl Reject {
    /// Appends the response to `out`.
    pub fn write(&self, out: &mut Vec<u8>) {
        todo!()
    }
}
