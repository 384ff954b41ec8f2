//! The HTTP/2 handshake (RFC 8441): the extended CONNECT a client sends, and the server's check
//! of it. Only the framing differs from HTTP/1.1 — pseudo-headers instead of a request line,
//! no `Upgrade`/`Connection`/`Sec-WebSocket-Key`, 200 instead of 101 — so everything else (the
//! version, the offers, the answer) is the HTTP/1.1 code's, called from here.

use alloc::format;
use alloc::string::{String, ToString};

use super::client::{State, request_fields};
use super::head::HeadScanner;
use super::{
    ClientHandshake, ClientOptions, HandshakeError, Headers, HttpVersion, Request, Target,
};

/// The value of `:protocol` that opens a WebSocket (RFC 8441 §5: "The value of this field
/// MUST be "websocket"").
const WEBSOCKET_PROTOCOL: &str = "websocket";

/// The pseudo-header fields of an HTTP/2 request (RFC 9113 §8.3.1, RFC 8441 §4), as an HTTP/2
/// server parsed them; `None` for one the request lacks.
///
/// ```
/// use tether_proto::handshake::{Headers, PseudoHeaders, Request};
///
/// let pseudo = PseudoHeaders {
///     method: "CONNECT",
///     protocol: Some("websocket"),
///     scheme: Some("https"),
///     authority: Some("server.example.com"),
///     path: Some("/chat"),
/// };
/// let mut headers = Headers::new();
/// headers.push("sec-websocket-version", "13");
/// headers.push("sec-websocket-protocol", "chat, superchat");
/// let request = Request::from_extended_connect(&pseudo, headers)?;
/// assert_eq!((request.host(), request.path()), ("server.example.com", "/chat"));
/// assert_eq!(request.protocols(), ["chat", "superchat"]);
/// assert_eq!(request.key(), None); // RFC 8441 has no Sec-WebSocket-Key
/// # Ok::<(), tether_proto::handshake::HandshakeError>(())
/// ```
#[derive(Clone, Copy, Debug, Default, Eq, PartialEq)]
pub struct PseudoHeaders<'a> {
    /// `:method`.
    pub method: &'a str,
    /// `:protocol` (RFC 8441 §4).
    pub protocol: Option<&'a str>,
    /// `:scheme`.
    pub scheme: Option<&'a str>,
    /// `:authority`.
    pub authority: Option<&'a str>,
    /// `:path`: path and query.
    pub path: Option<&'a str>,
}

impl Request {
    /// Checks an HTTP/2 extended CONNECT (RFC 8441 §4–5) whose pseudo-header fields and header
    /// fields another HTTP/2 server parsed. The framing checks are RFC 8441's; the version,
    /// subprotocol and extension checks are the HTTP/1.1 ones, so a request is read the same
    /// way over both.
    ///
    /// # Errors
    ///
    /// As over HTTP/1.1 ([`HandshakeError::rejection`] gives the answer), and:
    /// [`MethodNotConnect`](HandshakeError::MethodNotConnect) (405),
    /// [`ConnectProtocol`](HandshakeError::ConnectProtocol) for a missing or other `:protocol`
    /// (400), [`Malformed`](HandshakeError::Malformed) for a missing or invalid `:scheme`,
    /// `:path` or `:authority` (400; an HTTP/2 server usually resets such a stream first),
    /// [`InvalidHeader`](HandshakeError::InvalidHeader) for a `Sec-WebSocket-Key` or the
    /// HTTP/1.1 upgrade fields (400).
    pub fn from_extended_connect(
        pseudo: &PseudoHeaders<'_>,
        headers: Headers,
    ) -> Result<Self, HandshakeError> {
        // RFC 8441 §4: "On requests that contain the :protocol pseudo-header field, the
        // :scheme and :path pseudo-header fields of the target URI (see Section 5) MUST also
        // be included." §5: "The :protocol pseudo-header field included in the CONNECT request
        // indicates that the stream is to be used for the WebSocket Protocol."
        if pseudo.method != "CONNECT" {
            return Err(HandshakeError::MethodNotConnect(pseudo.method.to_string()));
        }
        match pseudo.protocol {
            Some(p) if p.eq_ignore_ascii_case(WEBSOCKET_PROTOCOL) => {}
            other => {
                return Err(HandshakeError::ConnectProtocol(
                    other.map(ToString::to_string),
                ));
            }
        }
        // §5: "The :scheme pseudo-header field MUST be set to "https" for wss URIs and "http"
        // for ws URIs."
        match pseudo.scheme {
            Some("http" | "https") => {}
            Some(other) => {
                return Err(HandshakeError::Malformed(format!(
                    "extended CONNECT with :scheme {other:?} (expected http or https)"
                )));
            }
            None => {
                return Err(HandshakeError::Malformed(
                    "extended CONNECT without :scheme".into(),
                ));
            }
        }
        // "The :path pseudo-header field MUST be set to the path and query parts of the
        // target URI."
        let target = match pseudo.path {
            Some(p) if p.starts_with('/') => p,
            Some(p) => {
                return Err(HandshakeError::Malformed(format!(
                    "extended CONNECT with :path {p:?} (expected a path)"
                )));
            }
            None => {
                return Err(HandshakeError::Malformed(
                    "extended CONNECT without :path".into(),
                ));
            }
        };
        // "The :authority pseudo-header field MUST be set to the authority part of the target
        // URI." (RFC 9113 §8.5: a CONNECT "MUST" carry it.)
        let host = match pseudo.authority {
            Some(a) if !a.is_empty() => a.to_string(),
            _ => {
                return Err(HandshakeError::Malformed(
                    "extended CONNECT without :authority".into(),
                ));
            }
        };
        // RFC 9113 §8.2.2 forbids the connection-specific fields (an HTTP/2 stack resets such a
        // stream); the key has no meaning here (RFC 8441 §5: the key and accept processing "has
        // been superseded by the :protocol pseudo-header field"). A client that sends them
        // mixed up the two handshakes.
        for name in ["sec-websocket-key", "upgrade", "connection"] {
            if headers.contains(name) {
                return Err(HandshakeError::InvalidHeader(format!(
                    "`{name}` has no place in an HTTP/2 extended CONNECT (RFC 8441 §5)"
                )));
            }
        }
        Self::check_version(&headers)?;
        let (protocols, extensions) = Self::check_offers(&headers)?;
        Ok(Self {
            version: HttpVersion::Http2,
            method: pseudo.method.to_string(),
            target: target.to_string(),
            host,
            key: None,
            protocols,
            extensions,
            headers,
        })
    }
}

/// The extended CONNECT a client sends to open a WebSocket over HTTP/2 (RFC 8441 §5): the
/// pseudo-header fields (`:method` is `CONNECT` and `:protocol` is `websocket`, always) and
/// the header fields, for the HTTP/2 stack to encode.
#[non_exhaustive]
#[derive(Clone, Debug, Eq, PartialEq)]
pub struct ConnectRequest {
    /// `:scheme`: `http` for `ws://`, `https` for `wss://`.
    pub scheme: &'static str,
    /// `:authority`: `host[:port]`, the port only when not the scheme's default.
    pub authority: String,
    /// `:path`: path and query.
    pub path: String,
    /// The header fields: `sec-websocket-version`, `origin`, the offers, `authorization` and
    /// the application's.
    pub headers: Headers,
}

impl ConnectRequest {
    /// `:method`: always `CONNECT`.
    pub const METHOD: &'static str = "CONNECT";
    /// `:protocol`: always `websocket`.
    pub const PROTOCOL: &'static str = WEBSOCKET_PROTOCOL;

    /// The target URI the pseudo-headers name: `scheme://authority/path`.
    pub fn uri(&self) -> String {
        format!("{}://{}{}", self.scheme, self.authority, self.path)
    }
}

impl ClientHandshake {
    /// Builds the extended CONNECT that opens a WebSocket to `target` over HTTP/2 (RFC 8441
    /// §5), with the same fields an HTTP/1.1 upgrade carries but the ones HTTP/2 leaves out
    /// (`Host`, `Upgrade`, `Connection`, `Sec-WebSocket-Key`). The answer goes to
    /// [`check_response`](Self::check_response).
    ///
    /// The HTTP/2 layer must send it only once the server's SETTINGS enabled the extended
    /// CONNECT (`SETTINGS_ENABLE_CONNECT_PROTOCOL = 1`, RFC 8441 §3).
    ///
    /// # Errors
    ///
    /// As [`new`](Self::new): the options cannot form a valid request.
    pub fn extended_connect(
        target: &Target,
        options: &ClientOptions,
    ) -> Result<(Self, ConnectRequest), HandshakeError> {
        let headers = request_fields(target, options)?;
        // RFC 9113 §8.2.2: "An endpoint MUST NOT generate an HTTP/2 message containing
        // connection-specific header fields"; `te` only as "trailers".
        for (name, value) in headers.iter() {
            let connection_specific = ["keep-alive", "proxy-connection"]
                .iter()
                .any(|n| name.eq_ignore_ascii_case(n))
                || (name.eq_ignore_ascii_case("te") && !value.eq_ignore_ascii_case(b"trailers"));
            if connection_specific {
                return Err(HandshakeError::InvalidOption(format!(
                    "header `{name}` is connection-specific and cannot go over HTTP/2"
                )));
            }
        }
        let request = ConnectRequest {
            scheme: if target.is_tls() { "https" } else { "http" },
            authority: target.authority().to_string(),
            path: target.resource().to_string(),
            headers,
        };
        let handshake = Self {
            version: HttpVersion::Http2,
            target: target.clone(),
            key: String::new(),
            accept: String::new(),
            protocols: options.protocols.clone(),
            extensions: options.extensions.clone(),
            scanner: HeadScanner::default(),
            state: State::Done,
        };
        Ok((handshake, request))
    }

    /// Which HTTP the request was built for.
    pub fn version(&self) -> HttpVersion {
        self.version
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::handshake::{Accept, ExtensionOffer};
    use alloc::vec::Vec;

    fn pseudo() -> PseudoHeaders<'static> {
        PseudoHeaders {
            method: "CONNECT",
            protocol: Some("websocket"),
            scheme: Some("https"),
            authority: Some("server.example.com"),
            path: Some("/chat?room=1"),
        }
    }

    fn fields(extra: &[(&str, &str)]) -> Headers {
        let mut h = Headers::new();
        h.push("sec-websocket-version", "13");
        for (n, v) in extra {
            h.push(*n, *v);
        }
        h
    }

    #[test]
    fn rfc8441_5_example_request_is_accepted_with_a_200_without_accept_fields() {
        let origin = ("origin", "http://www.example.com");
        let offer = ("sec-websocket-protocol", "chat, superchat");
        let req = Request::from_extended_connect(&pseudo(), fields(&[offer, origin])).unwrap();
        assert_eq!(req.version(), HttpVersion::Http2);
        assert_eq!(
            (req.method(), req.host(), req.path(), req.query()),
            ("CONNECT", "server.example.com", "/chat", Some("room=1"))
        );
        assert_eq!(req.origin(), Some("http://www.example.com"));
        assert_eq!(req.protocols(), ["chat", "superchat"]);
        assert_eq!(req.key(), None);
        let h = req
            .accept_headers(&Accept::default().protocol("chat"))
            .unwrap();
        let names: Vec<&str> = h.iter().map(|(n, _)| n).collect();
        assert_eq!(names, ["Sec-WebSocket-Protocol"]);
        let mut out = Vec::new();
        assert!(matches!(
            req.write_accept(&Accept::default(), &mut out),
            Err(HandshakeError::InvalidOption(_))
        ));
        assert!(out.is_empty());
    }

    #[test]
    fn rfc8441_4_5_pseudo_headers_are_checked_with_their_status() {
        let status = |p: PseudoHeaders<'_>, h: Headers| {
            let e = Request::from_extended_connect(&p, h).unwrap_err();
            (e.rejection().map(|r| r.status()), e)
        };
        let (s, e) = status(
            PseudoHeaders {
                method: "GET",
                ..pseudo()
            },
            fields(&[]),
        );
        assert_eq!(
            (s, e.clone()),
            (Some(405), HandshakeError::MethodNotConnect("GET".into()))
        );
        assert_eq!(
            e.rejection().unwrap().headers().get("allow"),
            Some("CONNECT")
        );
        let (s, e) = status(
            PseudoHeaders {
                protocol: None,
                ..pseudo()
            },
            fields(&[]),
        );
        assert_eq!((s, e), (Some(400), HandshakeError::ConnectProtocol(None)));
        let (s, e) = status(
            PseudoHeaders {
                protocol: Some("h2c-tunnel"),
                ..pseudo()
            },
            fields(&[]),
        );
        assert_eq!(
            (s, e),
            (
                Some(400),
                HandshakeError::ConnectProtocol(Some("h2c-tunnel".into()))
            )
        );
        for bad in [
            PseudoHeaders {
                scheme: None,
                ..pseudo()
            },
            PseudoHeaders {
                scheme: Some("ftp"),
                ..pseudo()
            },
            PseudoHeaders {
                path: None,
                ..pseudo()
            },
            PseudoHeaders {
                path: Some("*"),
                ..pseudo()
            },
            PseudoHeaders {
                authority: None,
                ..pseudo()
            },
        ] {
            let (s, e) = status(bad, fields(&[]));
            assert_eq!(s, Some(400), "{bad:?}");
            assert!(matches!(e, HandshakeError::Malformed(_)), "{bad:?}: {e:?}");
        }
    }

    #[test]
    fn rfc8441_5_version_and_offers_are_checked_as_over_http1() {
        let e = Request::from_extended_connect(&pseudo(), Headers::new()).unwrap_err();
        assert_eq!(
            (e.rejection().map(|r| r.status()), e),
            (Some(426), HandshakeError::UnsupportedVersion(None))
        );
        let mut v8 = Headers::new();
        v8.push("sec-websocket-version", "8");
        let e = Request::from_extended_connect(&pseudo(), v8).unwrap_err();
        let r = e.rejection().unwrap();
        assert_eq!(
            (r.status(), r.headers().get("sec-websocket-version")),
            (426, Some("13"))
        );
        let e =
            Request::from_extended_connect(&pseudo(), fields(&[("sec-websocket-protocol", "a b")]))
                .unwrap_err();
        assert!(matches!(e, HandshakeError::InvalidHeader(_)), "{e:?}");
        for mixed in [
            ("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ=="),
            ("upgrade", "websocket"),
            ("connection", "upgrade"),
        ] {
            let e = Request::from_extended_connect(&pseudo(), fields(&[mixed])).unwrap_err();
            assert!(matches!(e, HandshakeError::InvalidHeader(_)), "{mixed:?}");
        }
        let req = Request::from_extended_connect(
            &pseudo(),
            fields(&[(
                "sec-websocket-extensions",
                "permessage-deflate; client_max_window_bits",
            )]),
        )
        .unwrap();
        assert_eq!(
            req.extensions(),
            [ExtensionOffer::new("permessage-deflate").with_param("client_max_window_bits")]
        );
    }

    #[test]
    fn rfc8441_5_client_request_has_no_http1_fields_and_checks_a_200() {
        let options = ClientOptions::default()
            .protocols(["v2", "v1"])
            .origin("https://example.com")
            .header("X-Trace", "1");
        let target = Target::parse("wss://alice:pw@example.com:8443/chat?x=1").unwrap();
        let (hs, req) = ClientHandshake::extended_connect(&target, &options).unwrap();
        assert_eq!(hs.version(), HttpVersion::Http2);
        assert_eq!(
            (req.scheme, req.authority.as_str(), req.path.as_str()),
            ("https", "example.com:8443", "/chat?x=1")
        );
        assert_eq!(req.uri(), "https://example.com:8443/chat?x=1");
        let names: Vec<&str> = req.headers.iter().map(|(n, _)| n).collect();
        assert_eq!(
            names,
            [
                "Sec-WebSocket-Version",
                "Origin",
                "Sec-WebSocket-Protocol",
                "Authorization",
                "X-Trace"
            ]
        );
        let plain = Target::parse("ws://example.com/").unwrap();
        assert_eq!(
            ClientHandshake::extended_connect(&plain, &ClientOptions::default())
                .unwrap()
                .1
                .scheme,
            "http"
        );

        // The server's side of the same request, then its 200 back through the client's check.
        let mut pseudo_owned = pseudo();
        pseudo_owned.authority = Some("example.com:8443");
        pseudo_owned.path = Some("/chat?x=1");
        let server = Request::from_extended_connect(&pseudo_owned, req.headers.clone()).unwrap();
        assert_eq!(server.protocols(), ["v2", "v1"]);
        let answer = server
            .accept_headers(&Accept::default().protocol("v1"))
            .unwrap();
        let resp = hs.check_response(200, answer.clone()).unwrap();
        assert_eq!((resp.status(), resp.protocol()), (200, Some("v1")));
        // A 101 is no success over HTTP/2; other statuses are refusals, as over HTTP/1.1.
        for status in [101, 404] {
            assert!(matches!(
                hs.check_response(status, answer.clone()),
                Err(HandshakeError::Rejected { status: s, .. }) if s == status
            ));
        }
        let mut odd = Headers::new();
        odd.push("Sec-WebSocket-Protocol", "v3");
        assert_eq!(
            hs.check_response(200, odd).unwrap_err(),
            HandshakeError::UnexpectedProtocol("v3".into())
        );
        let mut odd = Headers::new();
        odd.push("Sec-WebSocket-Extensions", "x-foo");
        assert_eq!(
            hs.check_response(200, odd).unwrap_err(),
            HandshakeError::UnexpectedExtension("x-foo".into())
        );
        let bad = ClientOptions::default().header("TE", "gzip");
        assert!(matches!(
            ClientHandshake::extended_connect(&plain, &bad),
            Err(HandshakeError::InvalidOption(_))
        ));
    }
}
