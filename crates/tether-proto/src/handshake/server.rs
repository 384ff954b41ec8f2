//! The server side: parse and check the upgrade request, answer it (RFC 6455 §4.2).

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use super::head::{HeadScanner, collect_headers, parse_error};
use super::headers::{check_extra, is_field_value, is_token, write_field};
use super::{ExtensionOffer, HandshakeError, Headers, Limits, accept_key};

/// A server's handshake in progress.
#[derive(Debug, Default)]
pub struct ServerHandshake {
    scanner: HeadScanner,
    done: bool,
}

impl ServerHandshake {
    /// A handshake waiting for the client's request.
    pub fn new() -> Self {
        Self::default()
    }

    /// Parses the client's request from `buf` (all input so far; the same start on every call,
    /// growing). Returns `Ok(None)` until the head is complete, then the checked request and
    /// the number of bytes it took. On `Err`, [`HandshakeError::rejection`] gives the response
    /// to send.
    ///
    /// Each byte is examined once over all calls; the head is parsed once, when complete.
    pub fn poll_request(
        &mut self,
        buf: &[u8],
        limits: &Limits,
    ) -> Result<Option<(Request, usize)>, HandshakeError> {
        if self.done {
            return Err(HandshakeError::AlreadyComplete);
        }
        let Some(head_len) = self.scanner.scan(buf, limits)? else {
            return Ok(None);
        };
        self.done = true;
        let head = buf
            .get(..head_len)
            .ok_or_else(|| HandshakeError::Malformed("input shrank between calls".into()))?;
        let mut slots = alloc::vec![httparse::EMPTY_HEADER; self.scanner.header_slots(limits)];
        let mut request = httparse::Request::new(&mut slots);
        match request.parse(head) {
            Ok(httparse::Status::Complete(n)) if n == head_len => {}
            Ok(_) => {
                return Err(HandshakeError::Malformed(
                    "the request head does not end where expected".into(),
                ));
            }
            Err(e) => return Err(parse_error(e, limits)),
        }
        let (Some(method), Some(target), Some(version)) =
            (request.method, request.path, request.version)
        else {
            return Err(HandshakeError::Malformed("incomplete request line".into()));
        };
        let headers = collect_headers(request.headers);
        // httparse reads HTTP/1.0 as 0 and HTTP/1.1 as 1, and rejects anything else.
        Request::check(method, version >= 1, target, headers).map(|r| Some((r, head_len)))
    }
}

/// A client's checked upgrade request.
#[derive(Clone, Debug, Eq, PartialEq)]
pub struct Request {
    method: String,
    target: String,
    host: String,
    key: String,
    protocols: Vec<String>,
    extensions: Vec<ExtensionOffer>,
    headers: Headers,
}

impl Request {
    /// Checks a request (parsed from bytes, or by another HTTP server) against RFC 6455 §4.2.1.
    /// The one place both paths validate.
    pub(crate) fn check(
        method: &str,
        http11: bool,
        target: &str,
        headers: Headers,
    ) -> Result<Self, HandshakeError> {
        // §4.2.1 item 1: "An HTTP/1.1 or higher GET request, including a "Request-URI"
        // [RFC2616] that should be interpreted as a /resource name/".
        if method != "GET" {
            return Err(HandshakeError::MethodNotGet(method.to_string()));
        }
        if !http11 {
            return Err(HandshakeError::HttpVersion);
        }
        if !(target.starts_with('/') || target.contains("://")) {
            return Err(HandshakeError::Malformed(format!(
                "request-target {target:?} is not a path or an absolute URI"
            )));
        }
        // Item 2: "A |Host| header field containing the server's authority."
        let host = match headers.first_trimmed("host") {
            (None | Some(b""), _) => return Err(HandshakeError::MissingHost),
            (Some(_), true) => {
                return Err(HandshakeError::InvalidHeader(
                    "more than one Host header".into(),
                ));
            }
            (Some(h), false) => core::str::from_utf8(h)
                .map_err(|_| HandshakeError::InvalidHeader("the Host header is not UTF-8".into()))?
                .to_string(),
        };
        // Item 3: "An |Upgrade| header field containing the value "websocket", treated as an
        // ASCII case-insensitive value."
        if !headers.has_token("upgrade", "websocket") {
            return Err(HandshakeError::MissingUpgrade);
        }
        // Item 4: "A |Connection| header field that includes the token "Upgrade", treated as an
        // ASCII case-insensitive value."
        if !headers.has_token("connection", "upgrade") {
            return Err(HandshakeError::MissingConnectionUpgrade);
        }
        // Item 6: "A |Sec-WebSocket-Version| header field, with a value of 13." Checked before
        // the key: another version may use another key format, and deserves the 426 that
        // names the version we speak (§4.4).
        match headers.first_trimmed("sec-websocket-version") {
            (Some(b"13"), false) => {}
            (None, _) => return Err(HandshakeError::UnsupportedVersion(None)),
            (Some(v), _) => {
                return Err(HandshakeError::UnsupportedVersion(Some(
                    String::from_utf8_lossy(v).into_owned(),
                )));
            }
        }
        // Item 5: "A |Sec-WebSocket-Key| header field with a base64-encoded (see Section 4 of
        // [RFC4648]) value that, when decoded, is 16 bytes in length."
        let key = match headers.first_trimmed("sec-websocket-key") {
            (Some(k), false) if STANDARD.decode(k).is_ok_and(|d| d.len() == 16) => {
                String::from_utf8_lossy(k).into_owned()
            }
            _ => return Err(HandshakeError::InvalidKey),
        };
        // Item 8: "Optionally, a |Sec-WebSocket-Protocol| header field, with a list of values
        // indicating which protocols the client would like to speak, ordered by preference."
        // §4.1: "The elements that comprise this value MUST be non-empty strings with
        // characters in the range U+0021 to U+007E not including separator characters".
        let mut protocols = Vec::new();
        for p in headers.list("sec-websocket-protocol") {
            match core::str::from_utf8(p) {
                Ok(p) if is_token(p) => protocols.push(p.to_string()),
                _ => {
                    return Err(HandshakeError::InvalidHeader(format!(
                        "subprotocol {:?} is not an HTTP token",
                        String::from_utf8_lossy(p)
                    )));
                }
            }
        }
        // Item 9: "Optionally, a |Sec-WebSocket-Extensions| header field, with a list of values
        // indicating which extensions the client would like to speak." A malformed offer is
        // not worth failing the handshake for: all extensions are declined instead.
        let mut extensions = Vec::new();
        for line in headers.get_all("sec-websocket-extensions") {
            match core::str::from_utf8(line)
                .ok()
                .map(ExtensionOffer::parse_header)
            {
                Some(Ok(offers)) => extensions.extend(offers),
                _ => {
                    extensions.clear();
                    break;
                }
            }
        }
        Ok(Self {
            method: method.to_string(),
            target: target.to_string(),
            host,
            key,
            protocols,
            extensions,
            headers,
        })
    }

    /// Appends the 101 response that accepts this request to `out`. Fails if `accept` chooses
    /// a subprotocol or an extension the client did not offer; nothing is appended then.
    pub fn write_accept(&self, accept: &Accept, out: &mut Vec<u8>) -> Result<(), HandshakeError> {
        let headers = self.accept_headers(accept)?;
        out.extend_from_slice(b"HTTP/1.1 101 Switching Protocols\r\n");
        for (name, value) in headers.iter() {
            write_field(out, name, value);
        }
        out.extend_from_slice(b"\r\n");
        Ok(())
    }

    /// The headers of the 101 response (RFC 6455 §4.2.2 item 5).
    pub(crate) fn accept_headers(&self, accept: &Accept) -> Result<Headers, HandshakeError> {
        let mut h = Headers::new();
        // "1. The Status-Line ... 2. An |Upgrade| header field with value "websocket" ...
        // 3. A |Connection| header field with value "Upgrade" ... 4. A |Sec-WebSocket-Accept|
        // header field. The value of this header field is constructed by concatenating /key/,
        // defined above in step 4 in Section 4.2.2, with the string "258EAFA5-E914-47DA-95CA-
        // C5AB0DC85B11", taking the SHA-1 hash of this concatenated value to obtain a 20-byte
        // value and base64-encoding".
        h.push("Upgrade", "websocket");
        h.push("Connection", "Upgrade");
        h.push("Sec-WebSocket-Accept", accept_key(self.key.as_bytes()));
        // §4.2.2 /subprotocol/: "The value chosen MUST be derived from the client's handshake,
        // specifically by selecting one of the values from the |Sec-WebSocket-Protocol| field".
        if let Some(p) = &accept.protocol {
            if !self.protocols.iter().any(|o| o == p) {
                return Err(HandshakeError::ProtocolNotOffered(p.clone()));
            }
            h.push("Sec-WebSocket-Protocol", p.as_str());
        }
        if !accept.extensions.is_empty() {
            for e in &accept.extensions {
                if !self
                    .extensions
                    .iter()
                    .any(|o| o.name.eq_ignore_ascii_case(&e.name))
                {
                    return Err(HandshakeError::ExtensionNotOffered(e.name.clone()));
                }
                e.check()?;
            }
            h.push(
                "Sec-WebSocket-Extensions",
                ExtensionOffer::format_list(&accept.extensions),
            );
        }
        for (name, value) in accept.headers.iter() {
            check_extra(name, value)?;
            h.push(name, value);
        }
        Ok(h)
    }

    /// The request method: always `GET`.
    pub fn method(&self) -> &str {
        &self.method
    }

    /// The request-target as sent: usually a path with an optional query, possibly an absolute
    /// URI.
    pub fn target(&self) -> &str {
        &self.target
    }

    /// The path of the target, without the query (`/` if the target has none).
    pub fn path(&self) -> &str {
        split_target(&self.target).0
    }

    /// The query of the target (what follows `?`), if any.
    pub fn query(&self) -> Option<&str> {
        split_target(&self.target).1
    }

    /// The `Host` header's value.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The `Origin` header's value, if any (browsers always send one; check it to refuse
    /// cross-site connections, RFC 6455 §10.2).
    pub fn origin(&self) -> Option<&str> {
        self.headers.get("origin")
    }

    /// The `Sec-WebSocket-Key` value.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The first header called `name` (any case), if it is UTF-8.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name)
    }

    /// The subprotocols offered, in the client's order of preference.
    pub fn protocols(&self) -> &[String] {
        &self.protocols
    }

    /// The extensions offered, in order. Empty if the client's `Sec-WebSocket-Extensions` was
    /// malformed (they are all declined then).
    pub fn extensions(&self) -> &[ExtensionOffer] {
        &self.extensions
    }

    /// All request headers.
    pub fn headers(&self) -> &Headers {
        &self.headers
    }
}

/// Splits a request-target (origin-form or absolute-form) into path and query.
fn split_target(target: &str) -> (&str, Option<&str>) {
    let rest = match target.split_once("://") {
        Some((_, after)) if !target.starts_with('/') => after
            .find(['/', '?'])
            .and_then(|i| after.get(i..))
            .unwrap_or(""),
        _ => target,
    };
    let (path, query) = match rest.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (rest, None),
    };
    (if path.is_empty() { "/" } else { path }, query)
}

/// How a server accepts a request.
///
/// ```
/// use tether_proto::handshake::{Accept, ExtensionOffer};
///
/// let accept = Accept::default().protocol("v2.chat").header("Set-Cookie", "id=1");
/// assert_eq!(accept.chosen_protocol(), Some("v2.chat"));
/// ```
#[derive(Clone, Debug, Default)]
pub struct Accept {
    protocol: Option<String>,
    extensions: Vec<ExtensionOffer>,
    headers: Headers,
}

impl Accept {
    /// Chooses this subprotocol; it must be one the client offered.
    #[must_use]
    pub fn protocol(mut self, protocol: impl Into<String>) -> Self {
        self.protocol = Some(protocol.into());
        self
    }

    /// Accepts this extension with these parameters; its name must be one the client offered.
    #[must_use]
    pub fn extension(mut self, extension: ExtensionOffer) -> Self {
        self.extensions.push(extension);
        self
    }

    /// Sends one more header (not one the handshake writes itself; checked when written).
    #[must_use]
    pub fn header(mut self, name: impl Into<String>, value: impl Into<Vec<u8>>) -> Self {
        self.headers.push(name, value);
        self
    }

    /// The chosen subprotocol, if any.
    pub fn chosen_protocol(&self) -> Option<&str> {
        self.protocol.as_deref()
    }

    /// The accepted extensions.
    pub fn chosen_extensions(&self) -> &[ExtensionOffer] {
        &self.extensions
    }

    /// The extra headers.
    pub fn headers(&self) -> &Headers {
        &self.headers
    }
}

/// How a server refuses a request: any status, headers and body.
///
/// ```
/// use tether_proto::handshake::Reject;
///
/// let mut out = Vec::new();
/// Reject::new(403).body("no").write(&mut out);
/// assert!(out.starts_with(b"HTTP/1.1 403 Forbidden\r\n"));
/// assert!(out.ends_with(b"Content-Length: 2\r\nConnection: close\r\n\r\nno"));
/// ```
#[derive(Clone, Debug)]
pub struct Reject {
    status: u16,
    headers: Headers,
    body: Vec<u8>,
}

impl Reject {
    /// A refusal with this status (a three-digit code; anything else is sent as 500).
    pub fn new(status: u16) -> Self {
        Self {
            status,
            headers: Headers::new(),
            body: Vec::new(),
        }
    }

    /// Adds a header. `Content-Length`, `Transfer-Encoding` and `Connection` are written by
    /// [`write`](Self::write) and skipped here, as are invalid names and values.
    #[must_use]
    pub fn header(mut self, name: impl Into<String>, value: impl Into<Vec<u8>>) -> Self {
        let (name, value) = (name.into(), value.into());
        let framing = ["content-length", "transfer-encoding", "connection"]
            .iter()
            .any(|f| name.eq_ignore_ascii_case(f));
        if is_token(&name) && is_field_value(&value) && !framing {
            self.headers.push(name, value);
        }
        self
    }

    /// Sets the body.
    #[must_use]
    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = body.into();
        self
    }

    /// The status code.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The headers added.
    pub fn headers(&self) -> &Headers {
        &self.headers
    }

    /// The body.
    pub fn body_bytes(&self) -> &[u8] {
        &self.body
    }

    /// Appends the response to `out`: status line, headers, `Content-Length`,
    /// `Connection: close`, body.
    pub fn write(&self, out: &mut Vec<u8>) {
        let status = if (100..1000).contains(&self.status) {
            self.status
        } else {
            500
        };
        out.extend_from_slice(format!("HTTP/1.1 {status} {}\r\n", reason(status)).as_bytes());
        for (name, value) in self.headers.iter() {
            write_field(out, name, value);
        }
        write_field(
            out,
            "Content-Length",
            self.body.len().to_string().as_bytes(),
        );
        write_field(out, "Connection", b"close");
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(&self.body);
    }
}

/// The reason phrase for common status codes.
fn reason(status: u16) -> &'static str {
    match status {
        101 => "Switching Protocols",
        200 => "OK",
        301 => "Moved Permanently",
        302 => "Found",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        407 => "Proxy Authentication Required",
        408 => "Request Timeout",
        426 => "Upgrade Required",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        505 => "HTTP Version Not Supported",
        _ => "Unknown",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "GET /chat HTTP/1.1\r\nHost: server.example.com\r\nUpgrade: websocket\r\n\
        Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
        Origin: http://example.com\r\nSec-WebSocket-Protocol: chat, superchat\r\n\
        Sec-WebSocket-Version: 13\r\n\r\n";

    fn parse(wire: &str) -> Result<Request, HandshakeError> {
        parse_with(wire, &Limits::default())
    }

    fn parse_with(wire: &str, limits: &Limits) -> Result<Request, HandshakeError> {
        let (req, used) = ServerHandshake::new()
            .poll_request(wire.as_bytes(), limits)?
            .expect("complete head");
        assert_eq!(used, wire.len());
        Ok(req)
    }

    /// The sample request with `from` replaced by `to`.
    fn sample_with(from: &str, to: &str) -> String {
        assert!(SAMPLE.contains(from), "{from}");
        SAMPLE.replacen(from, to, 1)
    }

    fn status_of(e: &HandshakeError) -> Option<u16> {
        e.rejection().map(|r| r.status())
    }

    #[test]
    fn rfc6455_1_3_example_request_and_response() {
        let req = parse(SAMPLE).unwrap();
        assert_eq!(
            (req.method(), req.target(), req.path(), req.query()),
            ("GET", "/chat", "/chat", None)
        );
        assert_eq!(
            (req.host(), req.origin()),
            ("server.example.com", Some("http://example.com"))
        );
        assert_eq!(req.key(), "dGhlIHNhbXBsZSBub25jZQ==");
        assert_eq!(req.protocols(), ["chat", "superchat"]);
        assert_eq!(req.header("sec-websocket-version"), Some("13"));
        assert_eq!(req.headers().len(), 7);
        let mut out = Vec::new();
        req.write_accept(&Accept::default().protocol("chat"), &mut out)
            .unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Protocol: chat\r\n\r\n"
        );
    }

    #[test]
    fn rfc6455_4_2_1_method_must_be_get_else_405_with_allow() {
        let e = parse(&sample_with("GET", "POST")).unwrap_err();
        assert_eq!(e, HandshakeError::MethodNotGet("POST".into()));
        let r = e.rejection().unwrap();
        assert_eq!((r.status(), r.headers().get("Allow")), (405, Some("GET")));
    }

    #[test]
    fn rfc6455_4_2_1_http_version_must_be_1_1_else_505() {
        let e = parse(&sample_with("HTTP/1.1", "HTTP/1.0")).unwrap_err();
        assert_eq!(
            (e.clone(), status_of(&e)),
            (HandshakeError::HttpVersion, Some(505))
        );
        let e = parse(&sample_with("HTTP/1.1", "HTTP/2.0")).unwrap_err();
        assert_eq!(e, HandshakeError::HttpVersion);
    }

    #[test]
    fn rfc6455_4_2_1_host_required() {
        let e = parse(&sample_with("Host: server.example.com\r\n", "")).unwrap_err();
        assert_eq!(
            (e.clone(), status_of(&e)),
            (HandshakeError::MissingHost, Some(400))
        );
        let e = parse(&sample_with("Host: server.example.com\r\n", "Host: \r\n")).unwrap_err();
        assert_eq!(e, HandshakeError::MissingHost);
        let e = parse(&sample_with(
            "Host: server.example.com\r\n",
            "Host: a\r\nHost: b\r\n",
        ))
        .unwrap_err();
        assert!(matches!(e, HandshakeError::InvalidHeader(_)), "{e:?}");
    }

    #[test]
    fn rfc6455_4_2_1_upgrade_and_connection_tokens() {
        let e = parse(&sample_with("Upgrade: websocket\r\n", "")).unwrap_err();
        assert_eq!(
            (e.clone(), status_of(&e)),
            (HandshakeError::MissingUpgrade, Some(400))
        );
        let e = parse(&sample_with("Upgrade: websocket", "Upgrade: h2c")).unwrap_err();
        assert_eq!(e, HandshakeError::MissingUpgrade);
        let e = parse(&sample_with(
            "Connection: Upgrade",
            "Connection: keep-alive",
        ))
        .unwrap_err();
        assert_eq!(
            (e.clone(), status_of(&e)),
            (HandshakeError::MissingConnectionUpgrade, Some(400))
        );
        // Token lists, any case, split over lines.
        parse(&sample_with(
            "Connection: Upgrade",
            "Connection: keep-alive, Upgrade",
        ))
        .unwrap();
        parse(&sample_with(
            "Connection: Upgrade",
            "connection: keep-alive\r\nCONNECTION: upgrade",
        ))
        .unwrap();
        parse(&sample_with(
            "Upgrade: websocket",
            "upgrade: foo/2, WebSocket",
        ))
        .unwrap();
    }

    #[test]
    fn rfc6455_4_2_1_key_must_decode_to_16_bytes() {
        for bad in [
            "Sec-WebSocket-Key: not base64!\r\n",
            "Sec-WebSocket-Key: AAAAAAAAAAAAAAAAAAAA\r\n", // 15 bytes
            "Sec-WebSocket-Key: AAAAAAAAAAAAAAAAAAAAAAA=\r\n", // 17 bytes
            "Sec-WebSocket-Key: a\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n",
            "",
        ] {
            let e = parse(&sample_with(
                "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n",
                bad,
            ))
            .unwrap_err();
            assert_eq!(
                (e.clone(), status_of(&e)),
                (HandshakeError::InvalidKey, Some(400)),
                "{bad}"
            );
        }
    }

    #[test]
    fn rfc6455_4_2_2_version_8_gets_426_with_version_13() {
        let e = parse(&sample_with(
            "Sec-WebSocket-Version: 13",
            "Sec-WebSocket-Version: 8",
        ))
        .unwrap_err();
        assert_eq!(e, HandshakeError::UnsupportedVersion(Some("8".into())));
        let r = e.rejection().unwrap();
        assert_eq!(
            (r.status(), r.headers().get("Sec-WebSocket-Version")),
            (426, Some("13"))
        );
        let mut out = Vec::new();
        r.write(&mut out);
        let text = String::from_utf8(out).unwrap();
        assert!(
            text.starts_with("HTTP/1.1 426 Upgrade Required\r\n"),
            "{text}"
        );
        assert!(text.contains("\r\nSec-WebSocket-Version: 13\r\n"), "{text}");
        assert!(text.contains("\r\nConnection: close\r\n"), "{text}");
        let e = parse(&sample_with("Sec-WebSocket-Version: 13\r\n", "")).unwrap_err();
        assert_eq!(
            (e.clone(), status_of(&e)),
            (HandshakeError::UnsupportedVersion(None), Some(426))
        );
    }

    #[test]
    fn too_large_or_too_many_headers_gets_431() {
        let limits = Limits {
            max_head_bytes: 64,
            ..Limits::default()
        };
        let mut hs = ServerHandshake::new();
        let e = hs.poll_request(SAMPLE.as_bytes(), &limits).unwrap_err();
        assert_eq!(
            (e.clone(), status_of(&e)),
            (HandshakeError::HeadTooLarge { limit: 64 }, Some(431))
        );
        // Fails before the terminator arrives: no need to wait for more.
        let e = ServerHandshake::new()
            .poll_request(&[b'a'; 64], &limits)
            .unwrap_err();
        assert_eq!(e, HandshakeError::HeadTooLarge { limit: 64 });
        let limits = Limits {
            max_headers: 6,
            ..Limits::default()
        };
        let e = parse_with(SAMPLE, &limits).unwrap_err();
        assert_eq!(
            (e.clone(), status_of(&e)),
            (HandshakeError::TooManyHeaders { limit: 6 }, Some(431))
        );
        let limits = Limits {
            max_headers: 7,
            ..Limits::default()
        };
        parse_with(SAMPLE, &limits).unwrap();
    }

    #[test]
    fn malformed_heads_get_400() {
        for bad in [
            "GET / HTTP/1.1\r\nBad Header\r\n\r\n",
            "\r\n\r\n",
            "G\0T / HTTP/1.1\r\n\r\n",
            "GET\r\n\r\n",
        ] {
            let e = ServerHandshake::new()
                .poll_request(bad.as_bytes(), &Limits::default())
                .unwrap_err();
            assert!(matches!(e, HandshakeError::Malformed(_)), "{bad:?}: {e:?}");
            assert_eq!(status_of(&e), Some(400));
        }
        let e = parse(&sample_with("GET /chat", "GET *")).unwrap_err();
        assert!(matches!(e, HandshakeError::Malformed(_)), "{e:?}");
        let e = parse(&sample_with("chat, superchat", "chat, a\"b")).unwrap_err();
        assert!(matches!(e, HandshakeError::InvalidHeader(_)), "{e:?}");
    }

    #[test]
    fn every_split_gives_the_same_request_and_frames_are_not_consumed() {
        let mut wire = SAMPLE.as_bytes().to_vec();
        wire.extend_from_slice(&[0x81, 0x82, 1, 2, 3, 4, 5, 6]);
        let want = parse(SAMPLE).unwrap();
        for split in 0..=wire.len() {
            let mut hs = ServerHandshake::new();
            let first = hs.poll_request(&wire[..split], &Limits::default()).unwrap();
            assert_eq!(first.is_some(), split >= SAMPLE.len(), "split at {split}");
            let got = match first {
                Some(done) => done,
                None => hs.poll_request(&wire, &Limits::default()).unwrap().unwrap(),
            };
            assert_eq!(got, (want.clone(), SAMPLE.len()), "split at {split}");
        }
        let mut hs = ServerHandshake::new();
        let mut got = None;
        for n in 0..=wire.len() {
            if let Some(done) = hs.poll_request(&wire[..n], &Limits::default()).unwrap() {
                got = Some((n, done.1));
                break;
            }
        }
        assert_eq!(got, Some((SAMPLE.len(), SAMPLE.len())));
        assert_eq!(
            hs.poll_request(&wire, &Limits::default()).unwrap_err(),
            HandshakeError::AlreadyComplete
        );
    }

    #[test]
    fn request_head_of_16_kib_one_byte_at_a_time_is_linear() {
        let mut wire = SAMPLE.trim_end_matches("\r\n").to_string();
        wire.push_str("\r\n");
        while wire.len() < (16 << 10) - 40 {
            wire.push_str("X-Padding: 0123456789abcdef0123456789abcdef\r\n");
        }
        wire.push_str("\r\n");
        let limits = Limits {
            max_headers: 1 << 10,
            max_head_bytes: 32 << 10,
            ..Limits::default()
        };
        let mut hs = ServerHandshake::new();
        let mut done = None;
        for n in 1..=wire.len() {
            if let Some((_, used)) = hs.poll_request(&wire.as_bytes()[..n], &limits).unwrap() {
                done = Some(used);
                break;
            }
        }
        assert_eq!(done, Some(wire.len()));
        assert_eq!(
            hs.scanner.examined,
            wire.len(),
            "each byte examined once: O(n), not O(n^2)"
        );
    }

    #[test]
    fn targets_paths_and_queries() {
        let req = parse(&sample_with("GET /chat", "GET /a/b?x=1&y=%20")).unwrap();
        assert_eq!((req.path(), req.query()), ("/a/b", Some("x=1&y=%20")));
        let req = parse(&sample_with(
            "GET /chat",
            "GET ws://server.example.com:8080?q",
        ))
        .unwrap();
        assert_eq!(
            (req.target(), req.path(), req.query()),
            ("ws://server.example.com:8080?q", "/", Some("q"))
        );
        let req = parse(&sample_with("GET /chat", "GET http://h/p/q")).unwrap();
        assert_eq!((req.path(), req.query()), ("/p/q", None));
    }

    #[test]
    fn protocols_and_extensions_from_all_lines() {
        let wire = sample_with(
            "chat, superchat",
            " chat ,,superchat\r\nSec-WebSocket-Protocol: v3 ",
        );
        assert_eq!(
            parse(&wire).unwrap().protocols(),
            ["chat", "superchat", "v3"]
        );
        let wire = sample_with(
            "Sec-WebSocket-Version",
            "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\
             Sec-WebSocket-Extensions: x-foo\r\nSec-WebSocket-Version",
        );
        let req = parse(&wire).unwrap();
        let names: Vec<&str> = req.extensions().iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, ["permessage-deflate", "x-foo"]);
    }

    #[test]
    fn malformed_extension_offers_are_declined_not_fatal() {
        let wire = sample_with(
            "Sec-WebSocket-Version",
            "Sec-WebSocket-Extensions: x-foo\r\nSec-WebSocket-Extensions: permessage-deflate; =\r\nSec-WebSocket-Version",
        );
        assert!(parse(&wire).unwrap().extensions().is_empty());
    }

    #[test]
    fn write_accept_refuses_what_was_not_offered() {
        let wire = sample_with(
            "Sec-WebSocket-Version",
            "Sec-WebSocket-Extensions: permessage-deflate\r\nSec-WebSocket-Version",
        );
        let req = parse(&wire).unwrap();
        let mut out = Vec::new();
        let e = req
            .write_accept(&Accept::default().protocol("other"), &mut out)
            .unwrap_err();
        assert_eq!(
            (e.clone(), status_of(&e)),
            (
                HandshakeError::ProtocolNotOffered("other".into()),
                Some(500)
            )
        );
        let e = req
            .write_accept(
                &Accept::default().extension(ExtensionOffer::new("x-foo")),
                &mut out,
            )
            .unwrap_err();
        assert_eq!(e, HandshakeError::ExtensionNotOffered("x-foo".into()));
        let e = req
            .write_accept(
                &Accept::default().header("Sec-WebSocket-Accept", "x"),
                &mut out,
            )
            .unwrap_err();
        assert!(matches!(e, HandshakeError::InvalidOption(_)), "{e:?}");
        assert!(out.is_empty());

        let pmd = ExtensionOffer::new("permessage-deflate")
            .with_param_value("server_max_window_bits", "10");
        let accept = Accept::default()
            .protocol("superchat")
            .extension(pmd.clone())
            .header("Set-Cookie", "a=1");
        assert_eq!(
            (accept.chosen_protocol(), accept.chosen_extensions()),
            (Some("superchat"), &[pmd][..])
        );
        req.write_accept(&accept, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(
            text.ends_with(
                "Sec-WebSocket-Protocol: superchat\r\n\
                 Sec-WebSocket-Extensions: permessage-deflate; server_max_window_bits=10\r\nSet-Cookie: a=1\r\n\r\n"
            ),
            "{text}"
        );
    }

    #[test]
    fn reject_writes_status_headers_length_close_and_body() {
        let r = Reject::new(401)
            .header("WWW-Authenticate", "Basic realm=\"x\"")
            .header("Content-Length", "99")
            .header("X-Bad", "a\r\nb")
            .body("who?");
        assert_eq!(r.body_bytes(), b"who?");
        let mut out = Vec::new();
        r.write(&mut out);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"x\"\r\nContent-Length: 4\r\n\
             Connection: close\r\n\r\nwho?"
        );
        let mut out = Vec::new();
        Reject::new(7).write(&mut out);
        assert!(out.starts_with(b"HTTP/1.1 500 Internal Server Error\r\n"));
    }
}
