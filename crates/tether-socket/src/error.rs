//! [`Error`]: one enum for every way a socket can fail, each message saying what happened, where,
//! and — for the common mistakes — what to try.

use std::fmt;
use std::io;

use tether_proto::handshake::{HandshakeError, Headers};
use tether_proto::{CloseCode, CloseFrame, ConnectionError, SendError};

/// Which deadline passed.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, Eq, Hash, PartialEq)]
pub enum TimeoutKind {
    /// Establishing the TCP connection.
    Connect,
    /// The proxy `CONNECT`, the TLS handshake or the WebSocket upgrade.
    Handshake,
    /// A receive waited its read timeout. The socket is still usable.
    Read,
    /// A send or flush waited its write timeout for the transport.
    Write,
    /// The peer did not answer a keepalive ping in time; the connection failed (1011 sent).
    Keepalive,
    /// The peer did not complete the close handshake in time.
    Close,
}

impl fmt::Display for TimeoutKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Connect => "while connecting",
            Self::Handshake => "during the opening handshake",
            Self::Read => "waiting for a message (read timeout)",
            Self::Write => "waiting for the transport to take data (write timeout)",
            Self::Keepalive => "waiting for an answer to a keepalive ping",
            Self::Close => "waiting for the close handshake",
        })
    }
}

/// Everything that can go wrong with a socket, as one enum a program can `match`.
///
/// ```
/// use tether_socket::{Error, TimeoutKind};
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
#[derive(thiserror::Error)]
// Every variant's data starts at byte 8: results holding an `Error` (112 bytes) move through
// the receive path with aligned copies. Without it the data started at byte 1, and the copies
// of `Result<Option<Message>, Error>` in a receive loop stalled store forwarding
// (docs/performance-loopback.md, issue 12).
#[repr(u64)]
pub enum Error {
    /// The URL cannot be used.
    #[error("cannot use `{url}`: {source} (expected ws://host[:port]/path or wss://...)")]
    InvalidUrl {
        /// The URL, without credentials when it could be read.
        url: String,
        /// What is wrong with it.
        #[source]
        source: HandshakeError,
    },
    /// A setting, header, certificate or argument cannot be used.
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// The host name did not resolve to any address.
    #[error("cannot resolve `{host}`: {source}")]
    HostNotResolved {
        /// The name looked up.
        host: String,
        /// What the resolver said.
        #[source]
        source: io::Error,
    },
    /// No TCP connection could be established (refused, unreachable, ...).
    #[error("cannot connect to {addr}: {source}{}", connect_hint(source))]
    CannotConnect {
        /// The address tried last (`host:port` or `ip:port`).
        addr: String,
        /// What the system said.
        #[source]
        source: io::Error,
    },
    /// A deadline passed.
    #[error("timed out {0}")]
    Timeout(TimeoutKind),
    /// The TLS handshake or a TLS record failed; certificate problems are
    /// [`is_certificate_error`](Self::is_certificate_error).
    #[error("TLS with {peer} failed: {source}{}", tls_hint(source))]
    Tls {
        /// The server's name or the client's address.
        peer: String,
        /// What rustls said.
        #[source]
        source: rustls::Error,
    },
    /// The server answered the upgrade request with this HTTP status instead of 101.
    #[error("{url} refused the WebSocket upgrade: {status} {}{}", reason_phrase(*status), refused_hint(*status))]
    ServerRefused {
        /// The URL asked for (without credentials).
        url: String,
        /// The status: 401 (credentials needed), 403, 404, ...
        status: u16,
        /// The response headers (`WWW-Authenticate`, `Location`, ...).
        headers: Headers,
        /// The start of the response body.
        body: Vec<u8>,
    },
    /// The proxy answered `407 Proxy Authentication Required` to the `CONNECT`.
    #[error("the proxy {proxy} requires authentication (407); give proxy credentials")]
    ProxyAuthRequired {
        /// The proxy's `host:port`.
        proxy: String,
        /// The response headers (`Proxy-Authenticate`).
        headers: Headers,
    },
    /// The proxy refused the `CONNECT` with another status, or did not speak HTTP (status 0).
    #[error("the proxy {proxy} refused the tunnel with HTTP status {status}")]
    ProxyRefused {
        /// The proxy's `host:port`.
        proxy: String,
        /// The status (0 when the answer was not HTTP).
        status: u16,
        /// The response headers.
        headers: Headers,
    },
    /// This server refused a client's upgrade with this status (its own decision).
    #[error("refused the upgrade with HTTP status {status}")]
    Refused {
        /// The status sent.
        status: u16,
    },
    /// The opening handshake failed otherwise: the peer is not a WebSocket endpoint, sent a
    /// bad `Sec-WebSocket-Accept`, chose an unoffered subprotocol, ...
    #[error(
        "WebSocket handshake with {peer} failed: {source}{}",
        handshake_hint(peer, source)
    )]
    Handshake {
        /// The URL (client) or the client's address (server).
        peer: String,
        /// What went wrong.
        #[source]
        source: HandshakeError,
    },
    /// The connection failed: the peer broke the protocol (1002), sent invalid UTF-8 (1007), a
    /// message or frame over the limits (1009), or stopped answering keepalive pings (1011).
    /// [`close_code`](Self::close_code) gives the code sent.
    #[error("connection failed: {0}")]
    Failed(ConnectionError),
    /// The connection is closed: by the peer with a code other than 1000/1001 (a receive
    /// reports that), or it already ended when a command was given. 1006 means it ended
    /// without a close frame.
    #[error("connection closed with {}{}", code.as_u16(), if reason.is_empty() { String::new() } else { format!(" {reason:?}") })]
    Closed {
        /// The close code.
        code: CloseCode,
        /// The reason.
        reason: String,
    },
    /// A command that cannot be carried out (a ping payload over 125 bytes, a close reason
    /// over 123 bytes, an unsendable close code, a streamed message in progress, ...).
    #[error("cannot send: {0}")]
    Send(SendError),
    /// The server does not take WebSockets over HTTP/2 and the config asked for HTTP/2 only
    /// ([`HttpMode::Http2`](crate::HttpMode)): it did not pick `h2` by ALPN, did not speak
    /// HTTP/2, or its SETTINGS do not enable the extended CONNECT (RFC 8441 §3).
    #[error(
        "{url} does not take WebSockets over HTTP/2: {why}; use HTTP/1.1 (HttpMode::Http1, or \
         Auto to fall back)"
    )]
    Http2Unsupported {
        /// The URL asked for (without credentials).
        url: String,
        /// What showed it.
        why: String,
    },
    /// The HTTP/2 stream that carried the WebSocket was reset by the peer (`RST_STREAM`), or
    /// its connection went away (`GOAWAY`, or an HTTP/2 connection error).
    #[error("HTTP/2: {0}")]
    Http2(Http2Reset),
    /// The transport failed while reading or writing.
    #[error("I/O{} failed: {source}", with_peer(peer))]
    Io {
        /// The peer, as [`Handshake`](Self::Handshake) names it: the URL a client dialled or
        /// the client's address. Empty when the failure came before there was one.
        peer: String,
        /// What the system said.
        #[source]
        source: io::Error,
    },
}

/// `" with PEER"`, or nothing when the peer is not known.
fn with_peer(peer: &str) -> String {
    if peer.is_empty() {
        String::new()
    } else {
        format!(" with {peer}")
    }
}

/// An I/O error with no peer named (use [`Error::from_io`] when the peer is known).
impl From<io::Error> for Error {
    fn from(source: io::Error) -> Self {
        Self::Io {
            peer: String::new(),
            source,
        }
    }
}

/// How the HTTP/2 layer ended a stream that carried a WebSocket (RFC 9113 §6.4, §6.8): an
/// adapter puts it inside the `io::Error` its transport reports, and the socket reports it
/// as [`Error::Http2`].
///
/// ```
/// use tether_socket::Http2Reset;
///
/// let reset = Http2Reset::new(false, 0x8, true);
/// assert_eq!(reset.to_string(), "the peer reset the stream (RST_STREAM with CANCEL, 0x8)");
/// ```
#[non_exhaustive]
#[derive(Clone, Copy, Debug, Eq, PartialEq, thiserror::Error)]
#[error(
    "{} {} ({} with {}, {:#x})",
    if *.remote { "the peer" } else { "this side" },
    if *.goaway { "closed the connection" } else { "reset the stream" },
    if *.goaway { "GOAWAY" } else { "RST_STREAM" },
    http2_code_name(*.code),
    .code
)]
pub struct Http2Reset {
    /// A `GOAWAY` (the whole connection), not an `RST_STREAM` (this stream).
    pub goaway: bool,
    /// The HTTP/2 error code (RFC 9113 §7): 0x0 `NO_ERROR`, 0x2 `INTERNAL_ERROR`, 0x8
    /// `CANCEL`, ...
    pub code: u32,
    /// Whether the peer sent it (else this side's HTTP/2 layer did, on a protocol error).
    pub remote: bool,
}

impl Http2Reset {
    /// A reset or `GOAWAY` with this code.
    pub fn new(goaway: bool, code: u32, remote: bool) -> Self {
        Self {
            goaway,
            code,
            remote,
        }
    }
}

/// The name of an HTTP/2 error code (RFC 9113 §7).
fn http2_code_name(code: u32) -> &'static str {
    match code {
        0x0 => "NO_ERROR",
        0x1 => "PROTOCOL_ERROR",
        0x2 => "INTERNAL_ERROR",
        0x3 => "FLOW_CONTROL_ERROR",
        0x4 => "SETTINGS_TIMEOUT",
        0x5 => "STREAM_CLOSED",
        0x6 => "FRAME_SIZE_ERROR",
        0x7 => "REFUSED_STREAM",
        0x8 => "CANCEL",
        0x9 => "COMPRESSION_ERROR",
        0xa => "CONNECT_ERROR",
        0xb => "ENHANCE_YOUR_CALM",
        0xc => "INADEQUATE_SECURITY",
        0xd => "HTTP_1_1_REQUIRED",
        _ => "an unknown code",
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The Display message first (it has the context and the hint), then the variant.
        match self {
            Self::ServerRefused {
                url,
                status,
                headers,
                body,
            } => f
                .debug_struct("ServerRefused")
                .field("url", url)
                .field("status", status)
                .field("headers", headers)
                .field("body", &String::from_utf8_lossy(body))
                .finish(),
            Self::Io { peer, source } => f
                .debug_struct("Io")
                .field("peer", peer)
                .field("source", source)
                .finish(),
            other => write!(f, "Error({other})"),
        }
    }
}

fn connect_hint(e: &io::Error) -> &'static str {
    match e.kind() {
        io::ErrorKind::ConnectionRefused => {
            "; is a server running there? (start one with `tether serve`)"
        }
        _ => "",
    }
}

fn tls_hint(e: &rustls::Error) -> &'static str {
    use rustls::{CertificateError, Error as E};
    match e {
        E::InvalidMessage(_) => "; is it really a wss:// server? (for a plain server use ws://)",
        E::InvalidCertificate(CertificateError::UnknownIssuer) => {
            "; the certificate is not signed by a trusted CA: give that CA (or the server's own \
             certificate, if it is self-signed) as an extra root"
        }
        E::InvalidCertificate(
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
        ) => "; the certificate is for another name: connect with the name it was issued for",
        E::InvalidCertificate(
            CertificateError::Expired | CertificateError::ExpiredContext { .. },
        ) => "; the certificate has expired",
        _ => "",
    }
}

fn handshake_hint(peer: &str, e: &HandshakeError) -> &'static str {
    // Only a client (whose peer is the URL it asked for) can have picked the wrong scheme.
    let client = peer.starts_with("ws://");
    match e {
        HandshakeError::Malformed(_) | HandshakeError::UnexpectedEof if client => {
            "; is it a WebSocket server? (for a TLS server use wss://)"
        }
        _ => "",
    }
}

fn refused_hint(status: u16) -> &'static str {
    match status {
        401 => "; give credentials (user:pass@ in the URL, or in the config)",
        404 => "; no WebSocket endpoint at that path",
        426 => "; the server wants another WebSocket version",
        _ => "",
    }
}

fn reason_phrase(status: u16) -> &'static str {
    match status {
        200 => "OK",
        301 => "Moved Permanently",
        302 => "Found",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        426 => "Upgrade Required",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        _ => "",
    }
}

impl Error {
    /// The error for how a connection ended, as a receive reports it: `None` for a normal end
    /// (the peer closed with 1000, 1001 or no code).
    pub(crate) fn from_end(end: Result<&CloseFrame, &ConnectionError>) -> Option<Self> {
        match end {
            Ok(frame)
                if matches!(
                    frame.code,
                    CloseCode::NORMAL | CloseCode::GOING_AWAY | CloseCode::NO_STATUS
                ) =>
            {
                None
            }
            Ok(frame) => Some(Self::Closed {
                code: frame.code,
                reason: frame.reason.clone(),
            }),
            Err(e) => Some(Self::from_failure(e)),
        }
    }

    /// The error for a failed connection as the core reports it.
    pub(crate) fn from_failure(e: &ConnectionError) -> Self {
        match e {
            ConnectionError::HandshakeTimeout => Self::Timeout(TimeoutKind::Handshake),
            ConnectionError::KeepaliveTimeout => Self::Timeout(TimeoutKind::Keepalive),
            ConnectionError::CloseTimeout => Self::Timeout(TimeoutKind::Close),
            ConnectionError::Refused { status } => Self::Refused { status: *status },
            ConnectionError::Abnormal => Self::Closed {
                code: CloseCode::ABNORMAL,
                reason: String::new(),
            },
            other => Self::Failed(other.clone()),
        }
    }

    /// The error for a failed opening handshake with `peer`.
    pub(crate) fn handshake(peer: &str, e: HandshakeError) -> Self {
        match e {
            HandshakeError::Rejected {
                status,
                headers,
                body,
            } => Self::ServerRefused {
                url: peer.to_owned(),
                status,
                headers,
                body,
            },
            HandshakeError::InvalidOption(why) => Self::InvalidInput(why),
            source => Self::Handshake {
                peer: peer.to_owned(),
                source,
            },
        }
    }

    /// An I/O error from the transport as a socket reports it, naming `peer`: a TLS failure
    /// carried inside it (as rustls-based transports do) becomes [`Error::Tls`], an
    /// [`Http2Reset`] [`Error::Http2`], anything else [`Error::Io`].
    pub fn from_io(e: io::Error, peer: &str) -> Self {
        if let Some(reset) = e
            .get_ref()
            .and_then(|inner| inner.downcast_ref::<Http2Reset>())
        {
            return Self::Http2(*reset);
        }
        let io = |source| Self::Io {
            peer: peer.to_owned(),
            source,
        };
        if !e.get_ref().is_some_and(|inner| inner.is::<rustls::Error>()) {
            return io(e);
        }
        let kind = e.kind();
        match e
            .into_inner()
            .map(|inner| inner.downcast::<rustls::Error>())
        {
            Some(Ok(tls)) => Self::Tls {
                peer: peer.to_owned(),
                source: *tls,
            },
            Some(Err(other)) => io(io::Error::new(kind, other)),
            None => io(kind.into()),
        }
    }

    /// A closed connection that ended without a close frame (1006).
    pub fn abnormal() -> Self {
        Self::Closed {
            code: CloseCode::ABNORMAL,
            reason: String::new(),
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

    /// The server's certificate was refused (unknown issuer, expired, wrong name, ...).
    pub fn is_certificate_error(&self) -> bool {
        matches!(
            self,
            Self::Tls {
                source: rustls::Error::InvalidCertificate(_)
                    | rustls::Error::NoCertificatesPresented,
                ..
            }
        )
    }

    /// The close code that describes the end of the connection, where there is one: the
    /// peer's for [`Closed`](Self::Closed), the one sent for [`Failed`](Self::Failed), 1011 for
    /// a keepalive timeout.
    pub fn close_code(&self) -> Option<CloseCode> {
        match self {
            Self::Closed { code, .. } => Some(*code),
            Self::Failed(e) => Some(e.close_code()),
            Self::Timeout(TimeoutKind::Keepalive) => Some(CloseCode::INTERNAL_ERROR),
            Self::Timeout(TimeoutKind::Close) => Some(CloseCode::ABNORMAL),
            _ => None,
        }
    }

    /// The [`io::ErrorKind`] this error converts to.
    pub fn io_kind(&self) -> io::ErrorKind {
        match self {
            Self::InvalidUrl { .. } | Self::InvalidInput(_) | Self::Send(_) => {
                io::ErrorKind::InvalidInput
            }
            Self::HostNotResolved { .. } => io::ErrorKind::NotFound,
            Self::CannotConnect { source: e, .. } | Self::Io { source: e, .. } => e.kind(),
            Self::Timeout(_) => io::ErrorKind::TimedOut,
            Self::ServerRefused { status: 401, .. }
            | Self::ServerRefused { status: 403, .. }
            | Self::ProxyAuthRequired { .. } => io::ErrorKind::PermissionDenied,
            Self::ServerRefused { .. }
            | Self::ProxyRefused { .. }
            | Self::Refused { .. }
            | Self::Handshake { .. }
            | Self::Http2Unsupported { .. } => io::ErrorKind::ConnectionRefused,
            Self::Http2(_) => io::ErrorKind::ConnectionReset,
            Self::Failed(_) | Self::Tls { .. } => io::ErrorKind::InvalidData,
            Self::Closed { .. } => io::ErrorKind::ConnectionAborted,
        }
    }
}

impl From<SendError> for Error {
    fn from(e: SendError) -> Self {
        Self::Send(e)
    }
}

/// For `Read`/`Write` and `AsyncRead`/`AsyncWrite`: the kind from [`Error::io_kind`], the error
/// inside. An [`Error::Io`] gives back the transport's own error (its `raw_os_error` intact).
impl From<Error> for io::Error {
    fn from(e: Error) -> Self {
        match e {
            Error::Io { source, .. } => source,
            e => Self::new(e.io_kind(), e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(status: u16) -> Error {
        Error::ServerRefused {
            url: "ws://127.0.0.1:9/chat".into(),
            status,
            headers: Headers::new(),
            body: Vec::new(),
        }
    }

    #[test]
    fn refusals_say_where_what_and_what_to_do() {
        assert_eq!(
            refused(404).to_string(),
            "ws://127.0.0.1:9/chat refused the WebSocket upgrade: 404 Not Found; no WebSocket \
             endpoint at that path"
        );
        assert_eq!(refused(401).http_status(), Some(401));
        assert_eq!(
            io::Error::from(refused(401)).kind(),
            io::ErrorKind::PermissionDenied
        );
    }

    #[test]
    fn connection_refused_names_the_address_and_suggests_a_server() {
        let e = Error::CannotConnect {
            addr: "127.0.0.1:9009".into(),
            source: io::ErrorKind::ConnectionRefused.into(),
        };
        let text = e.to_string();
        assert!(
            text.starts_with("cannot connect to 127.0.0.1:9009: "),
            "{text}"
        );
        assert!(text.ends_with("is a server running there? (start one with `tether serve`)"));
    }

    #[test]
    fn wss_to_a_plain_server_gets_a_hint() {
        let e = Error::Tls {
            peer: "127.0.0.1:9001".into(),
            source: rustls::Error::InvalidMessage(rustls::InvalidMessage::InvalidContentType),
        };
        assert!(
            e.to_string().contains("for a plain server use ws://"),
            "{e}"
        );
    }

    #[test]
    fn http2_resets_inside_io_errors_are_reported_as_such() {
        let reset = Http2Reset::new(false, 0x2, true);
        let e = Error::from_io(io::Error::other(reset), "the peer");
        assert_eq!(
            e.to_string(),
            "HTTP/2: the peer reset the stream (RST_STREAM with INTERNAL_ERROR, 0x2)"
        );
        assert_eq!(e.io_kind(), io::ErrorKind::ConnectionReset);
        let goaway = Error::from_io(
            io::Error::other(Http2Reset::new(true, 0xb, true)),
            "the peer",
        );
        assert_eq!(
            goaway.to_string(),
            "HTTP/2: the peer closed the connection (GOAWAY with ENHANCE_YOUR_CALM, 0xb)"
        );
    }

    #[test]
    fn ends_other_than_normal_are_errors_with_their_code() {
        let normal = CloseFrame::new(CloseCode::NORMAL, "");
        assert!(Error::from_end(Ok(&normal)).is_none());
        let odd = CloseFrame::new(CloseCode::from(4321), "node says bye");
        let e = Error::from_end(Ok(&odd)).unwrap();
        assert_eq!(e.close_code(), Some(CloseCode::from(4321)));
        assert_eq!(
            e.to_string(),
            r#"connection closed with 4321 "node says bye""#
        );
        let e = Error::from_end(Err(&ConnectionError::InvalidUtf8)).unwrap();
        assert_eq!(e.close_code(), Some(CloseCode::INVALID_PAYLOAD));
        let e = Error::from_end(Err(&ConnectionError::KeepaliveTimeout)).unwrap();
        assert_eq!(e.close_code(), Some(CloseCode::INTERNAL_ERROR));
        assert_eq!(e.timeout_kind(), Some(TimeoutKind::Keepalive));
    }
}

/// Why a non-blocking send did not queue its message.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum TrySendError<T> {
    /// The output is over its bound ([`Config::outbound_high_water`]): nothing was queued, and
    /// the message is given back. Wait for room (a `send`), drop it, or close a peer that
    /// cannot keep up.
    ///
    /// [`Config::outbound_high_water`]: tether_proto::Config#structfield.outbound_high_water
    #[error("the outbound buffer is full")]
    Full(T),
    /// The connection cannot take it (closed, failed, or a streamed message in progress).
    #[error(transparent)]
    Failed(Error),
}
