//! Handshake failures.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use super::{Headers, Reject};

/// Why an opening handshake failed.
///
/// Errors from parsing and checking a client's request have a response to send: see
/// [`rejection`](Self::rejection).
#[non_exhaustive]
#[derive(Clone, Debug, Eq, PartialEq, thiserror::Error)]
pub enum HandshakeError {
    /// Client: the URL could not be parsed or cannot be a WebSocket URI (RFC 6455 §3), e.g. it
    /// has a fragment or no host.
    #[error("invalid WebSocket URL: {0}")]
    InvalidUrl(String),
    /// Client: the URL's scheme is neither `ws` nor `wss`.
    #[error("unsupported URL scheme `{0}`: use `ws://` or `wss://`")]
    UnsupportedScheme(String),
    /// Something the application supplied cannot be put in a handshake (a subprotocol that is not
    /// a token, a header that the handshake writes itself, a value with CR/LF, ...).
    #[error("invalid handshake option: {0}")]
    InvalidOption(String),
    /// The HTTP head did not end within [`Limits::max_head_bytes`](super::Limits).
    #[error(
        "HTTP head exceeds {limit} bytes without ending; raise `Limits::max_head_bytes` if the \
         peer is legitimate"
    )]
    HeadTooLarge {
        /// The limit in force.
        limit: usize,
    },
    /// The HTTP head has more than [`Limits::max_headers`](super::Limits) fields.
    #[error(
        "HTTP head has more than {limit} header fields; raise `Limits::max_headers` if the peer \
         is legitimate"
    )]
    TooManyHeaders {
        /// The limit in force.
        limit: usize,
    },
    /// The HTTP head could not be parsed.
    #[error("malformed HTTP head: {0}")]
    Malformed(String),
    /// The transport closed before the peer's handshake head was complete: the server's
    /// response (client), or the client's request (server; nothing is answered).
    #[error("connection closed before the peer's handshake head was complete")]
    UnexpectedEof,
    /// The handshake already returned its result; it must not be polled again.
    #[error("handshake already finished: it must not be polled again")]
    AlreadyComplete,
    /// Server: the request method is not GET (RFC 6455 §4.2.1 item 1).
    #[error("request method is `{0}`, but a WebSocket upgrade must use GET")]
    MethodNotGet(String),
    /// Server: an upgrade request (`GET` with `Upgrade`) is not HTTP/1.1 (RFC 6455 §4.2.1
    /// item 1). Answered with 505 (HTTP Version Not Supported). Over HTTP/2 a WebSocket opens
    /// with an extended CONNECT instead (RFC 8441), checked by
    /// [`Request::from_extended_connect`](super::Request::from_extended_connect).
    #[error("request is not HTTP/1.1, but a WebSocket upgrade needs HTTP/1.1")]
    HttpVersion,
    /// Server: an HTTP/2 request for a WebSocket is not a `CONNECT` (RFC 8441 §4). Answered
    /// with 405 and `Allow: CONNECT`.
    #[error("request method is `{0}`, but a WebSocket over HTTP/2 opens with CONNECT")]
    MethodNotConnect(String),
    /// Server: an HTTP/2 `CONNECT` without the `:protocol` pseudo-header (a plain tunnel
    /// request) or with another protocol than `websocket` (RFC 8441 §5). Answered with 400.
    #[error("{}", connect_protocol_message(.0))]
    ConnectProtocol(Option<String>),
    /// Server: the request has no (or an empty) `Host` header (RFC 6455 §4.2.1 item 2).
    #[error("request has no Host header, which a WebSocket upgrade requires")]
    MissingHost,
    /// The handshake has no `Upgrade` header with the `websocket` token (RFC 6455 §4.2.1 item 3,
    /// §4.1 item 2): the peer is not doing a WebSocket handshake. A server answers 400 (not
    /// 426), with this message as the body.
    #[error("no `Upgrade: websocket` header: the peer is not doing a WebSocket handshake")]
    MissingUpgrade,
    /// The handshake's `Connection` header lacks the `Upgrade` token (RFC 6455 §4.2.1 item 4,
    /// §4.1 item 3).
    #[error("the `Connection` header lacks the `Upgrade` token: not a WebSocket handshake")]
    MissingConnectionUpgrade,
    /// Server: `Sec-WebSocket-Key` is missing, repeated, or not base64 of 16 bytes
    /// (RFC 6455 §4.2.1 item 5).
    #[error("Sec-WebSocket-Key is missing, repeated, or not the base64 encoding of 16 bytes")]
    InvalidKey,
    /// Server: the client asked for a WebSocket version other than 13 (or none); the answer is
    /// 426 with `Sec-WebSocket-Version: 13` (RFC 6455 §4.2.2, §4.4).
    #[error("{}", version_message(.0))]
    UnsupportedVersion(Option<String>),
    /// Server: a request header that the handshake reads has an invalid value (e.g. a repeated
    /// `Host`, a subprotocol that is not a token).
    #[error("invalid request header: {0}")]
    InvalidHeader(String),
    /// Client: the server answered with a status other than 101. `status` tells e.g. 401
    /// (credentials needed) from 407 (proxy credentials needed) from 403/404.
    #[error("{}", rejected_message(*.status))]
    Rejected {
        /// The response's status code.
        status: u16,
        /// The response's headers (e.g. `WWW-Authenticate`, `Location`).
        headers: Headers,
        /// The start of the response body, at most [`Limits::max_body_bytes`](super::Limits).
        body: Vec<u8>,
    },
    /// Client: the 101 response has no `Sec-WebSocket-Accept` header (RFC 6455 §4.1 item 4).
    #[error(
        "the server's 101 response has no Sec-WebSocket-Accept header: it (or a proxy) does not \
         speak WebSocket"
    )]
    MissingAccept,
    /// Client: `Sec-WebSocket-Accept` does not match our key (RFC 6455 §4.1 item 4).
    #[error(
        "Sec-WebSocket-Accept does not match our key: the server (or a caching proxy) did not \
         answer this handshake"
    )]
    InvalidAccept,
    /// Client: the server chose a subprotocol that was not offered (RFC 6455 §4.1 item 6).
    #[error("the server chose subprotocol `{0}`, which was not offered")]
    UnexpectedProtocol(String),
    /// Client: the server accepted an extension that was not offered, or accepted one twice
    /// (RFC 6455 §4.1 item 5).
    #[error("the server accepted extension `{0}`, which was not offered (or accepted it twice)")]
    UnexpectedExtension(String),
    /// Client: the server's `Sec-WebSocket-Extensions` header does not follow RFC 6455 §9.1.
    #[error("malformed Sec-WebSocket-Extensions header: {0}")]
    MalformedExtensions(String),
    /// Client: the server accepted an offered extension with parameters this client cannot
    /// use (for permessage-deflate, RFC 7692 §7.1: an unknown, repeated or invalid parameter,
    /// a window larger than offered, a parameter asked for and not confirmed).
    #[error("the server's extension response cannot be used: {0}")]
    InvalidExtensionResponse(String),
    /// Server application: [`Accept`](super::Accept) chose a subprotocol the client did not
    /// offer (RFC 6455 §4.2.2 says the server must pick one of the client's values).
    #[error("cannot accept with subprotocol `{0}`: the client did not offer it")]
    ProtocolNotOffered(String),
    /// Server application: [`Accept`](super::Accept) accepted an extension the client did not
    /// offer.
    #[error("cannot accept extension `{0}`: the client did not offer it")]
    ExtensionNotOffered(String),
}

fn version_message(v: &Option<String>) -> String {
    match v {
        Some(v) => {
            format!("client asked for WebSocket version {v:?}; only version 13 is supported")
        }
        None => "request has no Sec-WebSocket-Version header; version 13 is required".to_string(),
    }
}

fn connect_protocol_message(p: &Option<String>) -> String {
    match p {
        Some(p) => format!(
            "extended CONNECT for protocol {p:?}: only `websocket` is served here (RFC 8441)"
        ),
        None => "CONNECT without :protocol is a tunnel request, not a WebSocket (RFC 8441 needs \
                 :protocol = websocket)"
            .to_string(),
    }
}

fn rejected_message(status: u16) -> String {
    let hint = match status {
        401 => {
            ": the server wants credentials (`ClientOptions::basic_auth` or user:pass@ in the URL)"
        }
        407 => ": a proxy wants credentials",
        301 | 302 | 303 | 307 | 308 => ": the server redirects (see the Location header)",
        403 => ": forbidden (check the Origin and credentials)",
        404 => ": no WebSocket endpoint at this path",
        426 => ": the server wants another WebSocket version (see Sec-WebSocket-Version)",
        _ => "",
    };
    format!("server refused the WebSocket upgrade with HTTP status {status}{hint}")
}

impl HandshakeError {
    /// Server side: the response to send for this failure, if one should be sent.
    ///
    /// Errors from parsing and checking a request give 400, 405 (with `Allow: GET`, or
    /// `Allow: CONNECT` over HTTP/2), 426 (with
    /// `Sec-WebSocket-Version: 13`), 431 or 505; errors in what the application asked
    /// [`Request::write_accept`](super::Request::write_accept) to send give 500. Errors that only
    /// a client meets (URL, [`Rejected`](Self::Rejected), accept-key checks, end of input, ...)
    /// give `None`. Every response has `Connection: close` and a short text body.
    pub fn rejection(&self) -> Option<Reject> {
        let status = match self {
            Self::HeadTooLarge { .. } | Self::TooManyHeaders { .. } => 431,
            Self::Malformed(_)
            | Self::MissingHost
            | Self::MissingUpgrade
            | Self::MissingConnectionUpgrade
            | Self::InvalidKey
            | Self::InvalidHeader(_)
            | Self::ConnectProtocol(_) => 400,
            Self::MethodNotGet(_) | Self::MethodNotConnect(_) => 405,
            Self::HttpVersion => 505,
            Self::UnsupportedVersion(_) => 426,
            Self::InvalidOption(_) | Self::ProtocolNotOffered(_) | Self::ExtensionNotOffered(_) => {
                500
            }
            Self::InvalidUrl(_)
            | Self::UnsupportedScheme(_)
            | Self::UnexpectedEof
            | Self::AlreadyComplete
            | Self::Rejected { .. }
            | Self::MissingAccept
            | Self::InvalidAccept
            | Self::UnexpectedProtocol(_)
            | Self::UnexpectedExtension(_)
            | Self::MalformedExtensions(_)
            | Self::InvalidExtensionResponse(_) => return None,
        };
        let mut reject = Reject::new(status);
        match self {
            // RFC 7231 §6.5.5: a 405 "MUST generate an Allow header field".
            Self::MethodNotGet(_) => reject = reject.header("Allow", "GET"),
            Self::MethodNotConnect(_) => reject = reject.header("Allow", "CONNECT"),
            // RFC 6455 §4.2.2: "If this version does not match a version understood by the
            // server, the server MUST abort the WebSocket handshake described in this section
            // and instead send an appropriate HTTP error code (such as 426 Upgrade Required)
            // and a |Sec-WebSocket-Version| header field indicating the version(s) the server
            // is capable of understanding."
            Self::UnsupportedVersion(_) => reject = reject.header("Sec-WebSocket-Version", "13"),
            _ => {}
        }
        // The 500s are the application's mistake; do not tell the peer the details.
        let text = if status == 500 {
            "internal error\n".to_string()
        } else {
            format!("{self}\n")
        };
        Some(
            reject
                .header("Content-Type", "text/plain; charset=utf-8")
                .body(text),
        )
    }

    /// For [`Rejected`](Self::Rejected): the status the server answered with.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Rejected { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// For [`Rejected`](Self::Rejected): the response headers.
    pub fn response_headers(&self) -> Option<&Headers> {
        match self {
            Self::Rejected { headers, .. } => Some(headers),
            _ => None,
        }
    }

    /// For [`Rejected`](Self::Rejected): the (start of the) response body.
    pub fn response_body(&self) -> Option<&[u8]> {
        match self {
            Self::Rejected { body, .. } => Some(body),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc6455_4_2_2_version_mismatch_answers_426_with_version_header() {
        let r = HandshakeError::UnsupportedVersion(Some("8".into()))
            .rejection()
            .unwrap();
        assert_eq!(r.status(), 426);
        assert_eq!(r.headers().get("sec-websocket-version"), Some("13"));
    }

    #[test]
    fn statuses_for_server_errors() {
        let cases = [
            (HandshakeError::HeadTooLarge { limit: 1 }, 431),
            (HandshakeError::TooManyHeaders { limit: 1 }, 431),
            (HandshakeError::Malformed("x".into()), 400),
            (HandshakeError::MissingHost, 400),
            (HandshakeError::InvalidKey, 400),
            (HandshakeError::HttpVersion, 505),
            (HandshakeError::ProtocolNotOffered("x".into()), 500),
        ];
        for (e, status) in cases {
            assert_eq!(e.rejection().map(|r| r.status()), Some(status), "{e:?}");
        }
        let r = HandshakeError::MethodNotGet("POST".into())
            .rejection()
            .unwrap();
        assert_eq!((r.status(), r.headers().get("allow")), (405, Some("GET")));
    }

    #[test]
    fn client_errors_have_no_rejection_and_rejected_exposes_status() {
        let e = HandshakeError::Rejected {
            status: 407,
            headers: Headers::new(),
            body: b"x".to_vec(),
        };
        assert!(e.rejection().is_none());
        assert!(HandshakeError::InvalidAccept.rejection().is_none());
        assert_eq!(e.status(), Some(407));
        assert_eq!(e.response_body(), Some(&b"x"[..]));
        assert!(e.to_string().contains("proxy"));
        assert_eq!(HandshakeError::InvalidAccept.status(), None);
    }
}
