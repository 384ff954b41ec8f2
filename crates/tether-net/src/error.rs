//! [`Error`]: one enum for every way a socket can fail, modelled on WinRT `WebErrorStatus`.

use std::io;

use tether_proto::handshake::{HandshakeError, Headers};
use tether_proto::{CloseCode, CloseFrame, ConnectionError, SendError};

/// Which deadline passed.
#[derive(Clone, Copy, Debug, Eq, Hash, PartialEq)]
pub enum TimeoutKind {
    /// Establishing the TCP connection ([`SocketConfig::connect_timeout`](crate::SocketConfig)).
    Connect,
    /// The proxy `CONNECT`, TLS handshake or WebSocket upgrade.
    Handshake,
    /// Waiting for incoming data ([`SocketConfig::read_timeout`](crate::SocketConfig)). The
    /// connection is still usable.
    Read,
    /// Waiting for the transport to take outgoing data.
    Write,
    /// The peer did not answer a keepalive ping in time (the connection failed).
    Keepalive,
    /// The peer did not complete the close handshake in time.
    Close,
}

/// Everything that can go wrong with a socket, as one enum a program can `match`.
///
/// ```
/// use tether_net::{Error, TimeoutKind};
///
/// fn explain(e: &Error) -> &'static str {
///     match e {
///         Error::HostNotResolved { .. } => "check the host name",
///         Error::ServerRefused { status: 401, .. } => "log in first",
///         Error::ServerRefused { status: 404, .. } => "wrong path",
///         Error::Timeout(TimeoutKind::Connect) => "server unreachable",
///         e if e.is_certificate_error() => "bad certificate",
///         _ => "something else",
///     }
/// }
/// assert_eq!(explain(&Error::Timeout(TimeoutKind::Connect)), "server unreachable");
/// ```
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The URL, a header, a certificate or another setting cannot be used.
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// The host name did not resolve to any address.
    #[error("host `{host}` could not be resolved: {source}")]
    HostNotResolved {
        /// The name looked up.
        host: String,
        /// What the resolver said.
        #[source]
        source: io::Error,
    },
    /// No TCP connection could be established (refused, unreachable, ...).
    #[error("cannot connect: {0}")]
    CannotConnect(#[source] io::Error),
    /// A deadline passed.
    #[error("timed out: {0:?}")]
    Timeout(TimeoutKind),
    /// The TLS handshake or a TLS record failed; certificate problems are
    /// [`is_certificate_error`](Self::is_certificate_error).
    #[error("TLS: {0}")]
    Tls(#[from] rustls::Error),
    /// The server answered the upgrade request with this HTTP status instead of 101.
    #[error("server refused the WebSocket upgrade with HTTP status {status}")]
    ServerRefused {
        /// The status: 401 (credentials needed), 403, 404, ...
        status: u16,
        /// The response headers (`WWW-Authenticate`, `Location`, ...).
        headers: Headers,
        /// The start of the response body.
        body: Vec<u8>,
    },
    /// The proxy answered `407 Proxy Authentication Required` to the `CONNECT`.
    #[error("the proxy requires authentication (407)")]
    ProxyAuthRequired {
        /// The response headers (`Proxy-Authenticate`).
        headers: Headers,
    },
    /// The proxy refused the `CONNECT` with another status, or did not speak HTTP.
    #[error("the proxy refused the tunnel with HTTP status {status}")]
    ProxyRefused {
        /// The status (0 when the answer was not HTTP).
        status: u16,
        /// The response headers.
        headers: Headers,
    },
    /// This server refused a client's upgrade with this status (the application's choice).
    #[error("refused the upgrade with HTTP status {status}")]
    Refused {
        /// The status sent.
        status: u16,
    },
    /// The opening handshake failed otherwise: the peer is not a WebSocket endpoint, sent a
    /// bad `Sec-WebSocket-Accept`, chose an unoffered subprotocol, ...
    #[error("WebSocket handshake failed: {0}")]
    Handshake(HandshakeError),
    /// The peer broke the protocol or sent invalid UTF-8; the connection was failed with the
    /// code in [`close_code`](Self::close_code) (1002 or 1007).
    #[error("protocol violation by peer: {0}")]
    Protocol(ConnectionError),
    /// A message or frame was bigger than allowed; the connection was failed with 1009.
    #[error("message too big: {0}")]
    MessageTooBig(ConnectionError),
    /// The connection is closed: the peer's code and reason, or 1006 when it ended without a
    /// close frame.
    #[error("connection closed: {code} {reason:?}")]
    ConnectionClosed {
        /// The close code.
        code: CloseCode,
        /// The reason.
        reason: String,
    },
    /// A command that cannot be carried out now (e.g. a ping payload over 125 bytes, text
    /// that is not UTF-8, an unsendable close code).
    #[error("cannot send: {0}")]
    Send(SendError),
    /// The transport failed.
    #[error("I/O: {0}")]
    Io(#[from] io::Error),
}

impl Error {
    /// The error for a connection's failure as the core reports it.
    pub fn from_connection(e: &ConnectionError) -> Self {
        match e {
            ConnectionError::Protocol(_) | ConnectionError::InvalidUtf8 => {
                Self::Protocol(e.clone())
            }
            ConnectionError::MessageTooBig { .. }
            | ConnectionError::FrameTooBig { .. }
            | ConnectionError::TooManyFragments { .. } => Self::MessageTooBig(e.clone()),
            ConnectionError::Handshake(h) => Self::from_handshake(h.clone()),
            ConnectionError::HandshakeTimeout => Self::Timeout(TimeoutKind::Handshake),
            ConnectionError::KeepaliveTimeout => Self::Timeout(TimeoutKind::Keepalive),
            ConnectionError::CloseTimeout => Self::Timeout(TimeoutKind::Close),
            ConnectionError::Refused { status } => Self::Refused { status: *status },
            _ => Self::ConnectionClosed {
                code: CloseCode::ABNORMAL,
                reason: String::new(),
            },
        }
    }

    /// The error for a failed opening handshake.
    pub fn from_handshake(e: HandshakeError) -> Self {
        match e {
            HandshakeError::Rejected {
                status,
                headers,
                body,
            } => Self::ServerRefused {
                status,
                headers,
                body,
            },
            HandshakeError::InvalidUrl(_)
            | HandshakeError::UnsupportedScheme(_)
            | HandshakeError::InvalidOption(_) => Self::InvalidInput(e.to_string()),
            other => Self::Handshake(other),
        }
    }

    /// The error for how a connection ended: a clean close becomes
    /// [`ConnectionClosed`](Self::ConnectionClosed).
    pub fn from_close_result(result: Result<&CloseFrame, &ConnectionError>) -> Self {
        match result {
            Ok(frame) => Self::ConnectionClosed {
                code: frame.code,
                reason: frame.reason.clone(),
            },
            Err(e) => Self::from_connection(e),
        }
    }

    /// Whether a deadline passed.
    pub fn is_timeout(&self) -> bool {
        matches!(self, Self::Timeout(_))
    }

    /// Which deadline passed, if this is a timeout.
    pub fn timeout_kind(&self) -> Option<TimeoutKind> {
        match self {
            Self::Timeout(kind) => Some(*kind),
            _ => None,
        }
    }

    /// The HTTP status of a refused upgrade or proxy tunnel (407 for
    /// [`ProxyAuthRequired`](Self::ProxyAuthRequired)).
    pub fn http_status(&self) -> Option<u16> {
        match self {
            Self::ServerRefused { status, .. }
            | Self::ProxyRefused { status, .. }
            | Self::Refused { status } => Some(*status),
            Self::ProxyAuthRequired { .. } => Some(407),
            _ => None,
        }
    }

    /// The server wants (other) credentials: it refused with 401.
    pub fn is_unauthorized(&self) -> bool {
        matches!(self, Self::ServerRefused { status: 401, .. })
    }

    /// The server refused with 403.
    pub fn is_forbidden(&self) -> bool {
        matches!(self, Self::ServerRefused { status: 403, .. })
    }

    /// The server refused with 404: no WebSocket endpoint at that path.
    pub fn is_not_found(&self) -> bool {
        matches!(self, Self::ServerRefused { status: 404, .. })
    }

    /// A proxy (or, rarely, the server) asked for proxy credentials with 407.
    pub fn is_proxy_auth_required(&self) -> bool {
        matches!(
            self,
            Self::ProxyAuthRequired { .. } | Self::ServerRefused { status: 407, .. }
        )
    }

    /// The server's certificate was refused (unknown issuer, expired, wrong name, ...).
    pub fn is_certificate_error(&self) -> bool {
        matches!(
            self,
            Self::Tls(
                rustls::Error::InvalidCertificate(_) | rustls::Error::NoCertificatesPresented
            )
        )
    }

    /// The close code that describes the end of the connection, where there is one: the
    /// peer's for [`ConnectionClosed`](Self::ConnectionClosed), the one sent for
    /// [`Protocol`](Self::Protocol) (1002/1007) and [`MessageTooBig`](Self::MessageTooBig)
    /// (1009).
    pub fn close_code(&self) -> Option<CloseCode> {
        match self {
            Self::ConnectionClosed { code, .. } => Some(*code),
            Self::Protocol(e) | Self::MessageTooBig(e) => Some(e.close_code()),
            Self::Timeout(TimeoutKind::Keepalive | TimeoutKind::Close) => Some(CloseCode::ABNORMAL),
            _ => None,
        }
    }

    /// The [`io::ErrorKind`] this error converts to.
    pub fn io_kind(&self) -> io::ErrorKind {
        match self {
            Self::InvalidInput(_) | Self::Send(_) => io::ErrorKind::InvalidInput,
            Self::HostNotResolved { .. } => io::ErrorKind::NotFound,
            Self::CannotConnect(e) | Self::Io(e) => e.kind(),
            Self::Timeout(TimeoutKind::Read | TimeoutKind::Write) => io::ErrorKind::WouldBlock,
            Self::Timeout(_) => io::ErrorKind::TimedOut,
            Self::ServerRefused { status: 401, .. }
            | Self::ServerRefused { status: 403, .. }
            | Self::ProxyAuthRequired { .. } => io::ErrorKind::PermissionDenied,
            Self::ServerRefused { .. }
            | Self::ProxyRefused { .. }
            | Self::Refused { .. }
            | Self::Handshake(_) => io::ErrorKind::ConnectionRefused,
            Self::Protocol(_) | Self::MessageTooBig(_) | Self::Tls(_) => io::ErrorKind::InvalidData,
            Self::ConnectionClosed { .. } => io::ErrorKind::ConnectionAborted,
        }
    }
}

impl From<SendError> for Error {
    fn from(e: SendError) -> Self {
        Self::Send(e)
    }
}

/// For `std::io::Read` / `Write` implementations: the kind from [`Error::io_kind`] (a read or
/// write timeout is `WouldBlock`, as for a socket with a timeout set), the error inside.
impl From<Error> for io::Error {
    fn from(e: Error) -> Self {
        match e {
            Error::Io(e) => e,
            e => Self::new(e.io_kind(), e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_are_distinguishable() {
        let refused = |status| Error::ServerRefused {
            status,
            headers: Headers::new(),
            body: Vec::new(),
        };
        assert!(refused(401).is_unauthorized() && !refused(401).is_forbidden());
        assert!(refused(403).is_forbidden());
        assert!(refused(404).is_not_found());
        let proxy = Error::ProxyAuthRequired {
            headers: Headers::new(),
        };
        assert!(proxy.is_proxy_auth_required() && !proxy.is_unauthorized());
        assert_eq!(proxy.http_status(), Some(407));
        assert_eq!(
            io::Error::from(refused(401)).kind(),
            io::ErrorKind::PermissionDenied
        );
    }

    #[test]
    fn connection_errors_keep_their_close_codes() {
        let e = Error::from_connection(&ConnectionError::InvalidUtf8);
        assert_eq!(e.close_code(), Some(CloseCode::INVALID_PAYLOAD));
        let e = Error::from_connection(&ConnectionError::MessageTooBig { limit: 1 });
        assert!(matches!(e, Error::MessageTooBig(_)));
        assert_eq!(e.close_code(), Some(CloseCode::TOO_BIG));
        let e = Error::from_connection(&ConnectionError::Abnormal);
        assert_eq!(e.close_code(), Some(CloseCode::ABNORMAL));
        assert_eq!(
            Error::from_connection(&ConnectionError::HandshakeTimeout).timeout_kind(),
            Some(TimeoutKind::Handshake)
        );
    }
}
