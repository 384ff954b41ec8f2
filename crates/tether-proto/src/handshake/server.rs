//! The server side: parse and check the upgrade request, answer it (RFC 6455 §4.2).

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use super::head::{HeadScanner, collect_headers, parse_error};
use super::headers::{check_extra, is_field_value, is_token, write_field};
use super::{ExtensionOffer, HandshakeError, Headers, HttpVersion, Limits, accept_key};

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
        Request::check_upgrade(method, version >= 1, target, headers).map(|r| Some((r, head_len)))
    }
}

/// A client's checked opening request: an HTTP/1.1 upgrade (RFC 6455 §4.2.1) or an HTTP/2
/// extended CONNECT (RFC 8441 §5), see [`version`](Self::version).
#[derive(Clone, Debug, Eq, PartialEq)]
pub struct Request {
    pub(super) version: HttpVersion,
    pub(super) method: String,
    pub(super) target: String,
    pub(super) host: String,
    /// `Sec-WebSocket-Key`: HTTP/1.1 only (RFC 8441 §5 has none).
    pub(super) key: Option<String>,
    pub(super) protocols: Vec<String>,
    pub(super) extensions: Vec<ExtensionOffer>,
    pub(super) headers: Headers,
}

impl Request {
    /// Checks an HTTP/1.1 upgrade request (parsed from bytes, or by another HTTP server)
    /// against RFC 6455 §4.2.1. The one place both paths validate; what HTTP/2 shares with it
    /// is [`check_offers`](Self::check_offers).
    pub(crate) fn check_upgrade(
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
        // Item 6 (version) first, then item 5 (key): another version may use another key
        // format, and deserves the 426 that names the version we speak (§4.4).
        Self::check_version(&headers)?;
        // Item 5: "A |Sec-WebSocket-Key| header field with a base64-encoded (see Section 4 of
        // [RFC4648]) value that, when decoded, is 16 bytes in length."
        let key = match headers.first_trimmed("sec-websocket-key") {
            (Some(k), false) if STANDARD.decode(k).is_ok_and(|d| d.len() == 16) => {
                String::from_utf8_lossy(k).into_owned()
            }
            _ => return Err(HandshakeError::InvalidKey),
        };
        let (protocols, extensions) = Self::check_offers(&headers)?;
        Ok(Self {
            version: HttpVersion::Http11,
            method: method.to_string(),
            target: target.to_string(),
            host,
            key: Some(key),
            protocols,
            extensions,
            headers,
        })
    }

    /// §4.2.1 item 6, over either HTTP version (RFC 8441 §5 keeps the header): "A
    /// |Sec-WebSocket-Version| header field, with a value of 13."
    pub(super) fn check_version(headers: &Headers) -> Result<(), HandshakeError> {
        match headers.first_trimmed("sec-websocket-version") {
            (Some(b"13"), false) => Ok(()),
            (None, _) => Err(HandshakeError::UnsupportedVersion(None)),
            (Some(v), _) => Err(HandshakeError::UnsupportedVersion(Some(
                String::from_utf8_lossy(v).into_owned(),
            ))),
        }
    }

    /// The offers, read the same way over either HTTP version (RFC 8441 §5: "The Origin,
    /// Sec-WebSocket-Version, Sec-WebSocket-Protocol, and Sec-WebSocket-Extensions header
    /// fields are used in the CONNECT request and response header fields as defined in
    /// [RFC6455]").
    pub(super) fn check_offers(
        headers: &Headers,
    ) -> Result<(Vec<String>, Vec<ExtensionOffer>), HandshakeError> {
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
        Ok((protocols, extensions))
    }

    /// Appends the 101 response that accepts this HTTP/1.1 request to `out`, exactly as
    /// `accept` says (no extension is negotiated here: [`answer`](Self::answer) does that).
    /// Fails if `accept` chooses a subprotocol or an extension the client did not offer, or if
    /// the request came over HTTP/2 (its answer is a `200` HEADERS frame: see
    /// [`Answer`](super::Answer)); nothing is appended then.
    pub fn write_accept(&self, accept: &Accept, out: &mut Vec<u8>) -> Result<(), HandshakeError> {
        if self.version != HttpVersion::Http11 {
            return Err(HandshakeError::InvalidOption(
                "an HTTP/2 request is answered with a 200 HEADERS frame, not written bytes".into(),
            ));
        }
        let headers = self.accept_headers(accept)?;
        out.extend_from_slice(b"HTTP/1.1 101 Switching Protocols\r\n");
        for (name, value) in headers.iter() {
            write_field(out, name, value);
        }
        out.extend_from_slice(b"\r\n");
        Ok(())
    }

    /// The header fields of the response that accepts this request as `accept` says: over
    /// HTTP/1.1 those of the 101 (RFC 6455 §4.2.2 item 5), over HTTP/2 those of the 200 (RFC
    /// 8441 §5: no `Upgrade`, `Connection` or `Sec-WebSocket-Accept`).
    pub(crate) fn accept_headers(&self, accept: &Accept) -> Result<Headers, HandshakeError> {
        let mut h = Headers::new();
        // "1. The Status-Line ... 2. An |Upgrade| header field with value "websocket" ...
        // 3. A |Connection| header field with value "Upgrade" ... 4. A |Sec-WebSocket-Accept|
        // header field. The value of this header field is constructed by concatenating /key/,
        // defined above in step 4 in Section 4.2.2, with the string "258EAFA5-E914-47DA-95CA-
        // C5AB0DC85B11", taking the SHA-1 hash of this concatenated value to obtain a 20-byte
        // value and base64-encoding".
        if let Some(key) = &self.key {
            h.push("Upgrade", "websocket");
            h.push("Connection", "Upgrade");
            h.push("Sec-WebSocket-Accept", accept_key(key.as_bytes()));
        }
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

    /// Which HTTP the request came over: an HTTP/1.1 upgrade, or an HTTP/2 extended CONNECT.
    pub fn version(&self) -> HttpVersion {
        self.version
    }

    /// The request method: `GET` (HTTP/1.1) or `CONNECT` (HTTP/2).
    pub fn method(&self) -> &str {
        &self.method
    }

    /// The request-target as sent: usually a path with an optional query, possibly an absolute
    /// URI (HTTP/2: the `:path` pseudo-header).
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

    /// The server's authority as the client named it: the `Host` header (HTTP/1.1) or the
    /// `:authority` pseudo-header (HTTP/2).
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The `Origin` header's value, if any (browsers always send one; check it to refuse
    /// cross-site connections, RFC 6455 §10.2).
    pub fn origin(&self) -> Option<&str> {
        self.headers.get("origin")
    }

    /// The `Sec-WebSocket-Key` value; `None` over HTTP/2, where RFC 8441 has no key.
    pub fn key(&self) -> Option<&str> {
        self.key.as_deref()
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
#[path = "server_tests.rs"]
mod tests;
