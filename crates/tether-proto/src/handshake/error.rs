//! Handshake failures.

/// Why an opening handshake failed.
#[non_exhaustive]
#[derive(Clone, Debug, Eq, PartialEq, thiserror::Error)]
pub enum HandshakeError {
    /// Placeholder until the handshake is implemented.
    #[error("todo")]
    Todo,
}

impl HandshakeError {
    /// Server side: the response to send for this failure, if one should be sent.
    pub fn rejection(&self) -> Option<super::Reject> {
        todo!()
    }
}
