//! The client side: build the upgrade request, check the response (RFC 6455 §4.1).

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use super::head::{BodyReader, Framing, HeadScanner, collect_headers, parse_error};
use super::headers::{check_extra, is_field_value, is_token, write_field};
use super::{ExtensionOffer, HandshakeError, Headers, Limits, Target, accept_key};

/// What a client asks for in its upgrade request, beyond the URL.
///
/// ```
/// use tether_proto::handshake::{ClientOptions, ExtensionOffer};
///
/// let options = ClientOptions::default()
///     .origin("https://example.com")
///     .protocols(["v2.chat", "v1.chat"])
///     .extension(ExtensionOffer::new("permessage-deflate").with_param("client_max_window_bits"))
///     .header("User-Agent", "tether");
/// assert_eq!(options.protocols, ["v2.chat", "v1.chat"]);
/// ```
///
/// Setters only record; [`ClientHandshake::new`] checks everything and fails with
/// [`HandshakeError::InvalidOption`] on a subprotocol that is not a token, a repeated
/// subprotocol, a header the handshake writes itself (`Host`, `Upgrade`, `Connection`,
/// `Sec-WebSocket-*`, ...) or a value with control characters.
#[non_exhaustive]
#[derive(Clone, Default)]
pub struct ClientOptions {
    /// The `Origin` header to send, if any (browsers always send one; RFC 6455 §4.1 item 8).
    pub origin: Option<String>,
    /// Subprotocols to offer, most preferred first (`Sec-WebSocket-Protocol`).
    pub protocols: Vec<String>,
    /// Extensions to offer, most preferred first (`Sec-WebSocket-Extensions`).
    pub extensions: Vec<ExtensionOffer>,
    /// More headers to send, after the handshake's own.
    pub headers: Headers,
    /// Credentials for `Authorization: Basic`; when `None`, those in the URL (if any) are used.
    pub basic_auth: Option<(String, String)>,
}

impl ClientOptions {
    /// Sends `Origin: origin`.
    #[must_use]
    pub fn origin(mut self, origin: impl Into<String>) -> Self {
        self.origin = Some(origin.into());
        self
    }

    /// Offers one more subprotocol (after those already offered).
    #[must_use]
    pub fn protocol(mut self, protocol: impl Into<String>) -> Self {
        self.protocols.push(protocol.into());
        self
    }

    /// Offers these subprotocols (after those already offered), most preferred first.
    #[must_use]
    pub fn protocols<I, S>(mut self, protocols: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.protocols.extend(protocols.into_iter().map(Into::into));
        self
    }

    /// Offers one more extension (after those already offered).
    #[must_use]
    pub fn extension(mut self, offer: ExtensionOffer) -> Self {
        self.extensions.push(offer);
        self
    }

    /// Sends one more header.
    #[must_use]
    pub fn header(mut self, name: impl Into<String>, value: impl Into<Vec<u8>>) -> Self {
        self.headers.push(name, value);
        self
    }

    /// Sends `Authorization: Basic` with these credentials, instead of those in the URL.
    #[must_use]
    pub fn basic_auth(mut self, user: impl Into<String>, password: impl Into<String>) -> Self {
        self.basic_auth = Some((user.into(), password.into()));
        self
    }
}

/// Debug output leaves the password out.
impl fmt::Debug for ClientOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientOptions")
            .field("origin", &self.origin)
            .field("protocols", &self.protocols)
            .field("extensions", &self.extensions)
            .field("headers", &self.headers)
            .field(
                "basic_auth_user",
                &self.basic_auth.as_ref().map(|(user, _)| user),
            )
            .finish()
    }
}

/// Debug output leaves the URL's credentials out.
impl fmt::Debug for ClientHandshake {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientHandshake")
            .field("target", &self.target)
            .field("key", &self.key)
            .field("protocols", &self.protocols)
            .field("extensions", &self.extensions)
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}

/// Where the response is.
#[derive(Clone, Debug)]
enum State {
    Head,
    Body {
        status: u16,
        headers: Headers,
        reader: BodyReader,
    },
    Done,
}

/// A client's handshake in progress: knows its key and what it offered.
#[derive(Clone)]
pub struct ClientHandshake {
    target: Target,
    key: String,
    accept: String,
    protocols: Vec<String>,
    extensions: Vec<ExtensionOffer>,
    scanner: HeadScanner,
    state: State,
}

impl ClientHandshake {
    /// Builds the upgrade request for `target` and appends it to `out`. `key` is 16 random
    /// bytes for `Sec-WebSocket-Key`.
    ///
    /// Nothing is appended on error.
    pub fn new(
        target: &Target,
        options: &ClientOptions,
        key: [u8; 16],
        out: &mut Vec<u8>,
    ) -> Result<Self, HandshakeError> {
        check_options(options)?;
        let credentials = match &options.basic_auth {
            Some((user, password)) => {
                Some((user.as_bytes().to_vec(), password.as_bytes().to_vec()))
            }
            None => target
                .credentials()
                .map(|(user, password)| (user.as_bytes().to_vec(), password.as_bytes().to_vec())),
        };
        if let Some((user, _)) = &credentials {
            // RFC 7617 §2: "a user-id containing a colon character is invalid".
            if user.contains(&b':') {
                return Err(HandshakeError::InvalidOption(
                    "a Basic auth user name cannot contain `:`".into(),
                ));
            }
            if options.headers.contains("authorization") {
                return Err(HandshakeError::InvalidOption(
                    "both credentials and an Authorization header were given; use one".into(),
                ));
            }
        }

        let key = STANDARD.encode(key);
        let accept = accept_key(key.as_bytes());

        // §4.1: "The method of the request MUST be GET, and the HTTP version MUST be at least
        // 1.1." and "the "Request-URI" part of the request MUST match the /resource name/".
        out.extend_from_slice(b"GET ");
        out.extend_from_slice(target.resource().as_bytes());
        out.extend_from_slice(b" HTTP/1.1\r\n");
        // §4.1 item 4: "The request MUST contain a |Host| header field whose value contains
        // /host/ plus optionally ":" followed by /port/ (when not using the default port)."
        write_field(out, "Host", target.authority().as_bytes());
        // Items 5 and 6: "The request MUST contain an |Upgrade| header field whose value MUST
        // include the "websocket" keyword." / "... a |Connection| header field whose value MUST
        // include the "Upgrade" token."
        write_field(out, "Upgrade", b"websocket");
        write_field(out, "Connection", b"Upgrade");
        // Item 7: "The request MUST include a header field with the name |Sec-WebSocket-Key|.
        // The value of this header field MUST be a nonce consisting of a randomly selected
        // 16-byte value that has been base64-encoded".
        write_field(out, "Sec-WebSocket-Key", key.as_bytes());
        // Item 9: "The request MUST include a header field with the name
        // |Sec-WebSocket-Version|. The value of this header field MUST be 13."
        write_field(out, "Sec-WebSocket-Version", b"13");
        if let Some(origin) = &options.origin {
            write_field(out, "Origin", origin.as_bytes());
        }
        if !options.protocols.is_empty() {
            write_field(
                out,
                "Sec-WebSocket-Protocol",
                options.protocols.join(", ").as_bytes(),
            );
        }
        if !options.extensions.is_empty() {
            write_field(
                out,
                "Sec-WebSocket-Extensions",
                ExtensionOffer::format_list(&options.extensions).as_bytes(),
            );
        }
        if let Some((user, password)) = credentials {
            let mut pair = user;
            pair.push(b':');
            pair.extend_from_slice(&password);
            write_field(
                out,
                "Authorization",
                format!("Basic {}", STANDARD.encode(pair)).as_bytes(),
            );
        }
        for (name, value) in options.headers.iter() {
            write_field(out, name, value);
        }
        out.extend_from_slice(b"\r\n");

        Ok(Self {
            target: target.clone(),
            key,
            accept,
            protocols: options.protocols.clone(),
            extensions: options.extensions.clone(),
            scanner: HeadScanner::default(),
            state: State::Head,
        })
    }

    /// What the request was built for.
    pub fn target(&self) -> &Target {
        &self.target
    }

    /// The `Sec-WebSocket-Key` value sent.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// Parses the server's response from `buf` (all input since the request was sent; the
    /// same start on every call, growing). `eof` says the transport has closed.
    ///
    /// Returns `Ok(None)` until the response is complete, then `Ok(Some((response, used)))`
    /// where `used` is the number of bytes of `buf` the response took (what follows are the
    /// server's first frames).
    ///
    /// A status other than 101 fails with [`HandshakeError::Rejected`], once its body (at most
    /// `limits.max_body_bytes` of it) has arrived. Each byte is examined once over all calls.
    pub fn poll_response(
        &mut self,
        buf: &[u8],
        eof: bool,
        limits: &Limits,
    ) -> Result<Option<(Response, usize)>, HandshakeError> {
        if let State::Head = self.state {
            let Some(head_len) = self.scanner.scan(buf, limits)? else {
                return if eof {
                    Err(HandshakeError::UnexpectedEof)
                } else {
                    Ok(None)
                };
            };
            let (status, headers) = self.parse_head(buf, head_len, limits)?;
            if status == 101 {
                self.state = State::Done;
                return self.check(status, headers).map(|r| Some((r, head_len)));
            }
            let reader = BodyReader::new(Framing::of_response(status, &headers), head_len);
            self.state = State::Body {
                status,
                headers,
                reader,
            };
        }
        match &mut self.state {
            State::Head => Ok(None),
            State::Body { reader, .. } => {
                let Some(body) = reader.poll(buf, eof, limits.max_body_bytes) else {
                    return Ok(None);
                };
                match core::mem::replace(&mut self.state, State::Done) {
                    State::Body {
                        status, headers, ..
                    } => Err(HandshakeError::Rejected {
                        status,
                        headers,
                        body,
                    }),
                    _ => Err(HandshakeError::AlreadyComplete),
                }
            }
            State::Done => Err(HandshakeError::AlreadyComplete),
        }
    }

    fn parse_head(
        &self,
        buf: &[u8],
        head_len: usize,
        limits: &Limits,
    ) -> Result<(u16, Headers), HandshakeError> {
        let head = buf
            .get(..head_len)
            .ok_or_else(|| HandshakeError::Malformed("input shrank between calls".into()))?;
        let mut slots = alloc::vec![httparse::EMPTY_HEADER; self.scanner.header_slots(limits)];
        let mut response = httparse::Response::new(&mut slots);
        match response.parse(head) {
            Ok(httparse::Status::Complete(n)) if n == head_len => {}
            Ok(_) => {
                return Err(HandshakeError::Malformed(
                    "the response head does not end where expected".into(),
                ));
            }
            Err(e) => return Err(parse_error(e, limits)),
        }
        let status = response
            .code
            .ok_or_else(|| HandshakeError::Malformed("no status code".into()))?;
        Ok((status, collect_headers(response.headers)))
    }

    /// Checks a complete response head: the status must be 101 and the fields must answer
    /// our request (RFC 6455 §4.1, the client's checks 1–6).
    pub(crate) fn check(&self, status: u16, headers: Headers) -> Result<Response, HandshakeError> {
        // Item 1: "If the status code received from the server is not 101, the client handles
        // the response per HTTP [RFC2616] procedures."
        if status != 101 {
            return Err(HandshakeError::Rejected {
                status,
                headers,
                body: Vec::new(),
            });
        }
        // Item 2: "If the response lacks an |Upgrade| header field or the |Upgrade| header
        // field contains a value that is not an ASCII case-insensitive match for the value
        // "websocket", the client MUST _Fail the WebSocket Connection_."
        if !headers.has_token("upgrade", "websocket") {
            return Err(HandshakeError::MissingUpgrade);
        }
        // Item 3: "If the response lacks a |Connection| header field or the |Connection|
        // header field doesn't contain a token that is an ASCII case-insensitive match for the
        // value "Upgrade", the client MUST _Fail the WebSocket Connection_."
        if !headers.has_token("connection", "upgrade") {
            return Err(HandshakeError::MissingConnectionUpgrade);
        }
        // Item 4: "If the response lacks a |Sec-WebSocket-Accept| header field or the
        // |Sec-WebSocket-Accept| contains a value other than the base64-encoded SHA-1 of the
        // concatenation of the |Sec-WebSocket-Key| (as a string, not base64-decoded) with the
        // string "258EAFA5-E914-47DA-95CA-C5AB0DC85B11" but ignoring any leading and trailing
        // whitespace, the client MUST _Fail the WebSocket Connection_."
        match headers.first_trimmed("sec-websocket-accept") {
            (None, _) => return Err(HandshakeError::MissingAccept),
            (Some(v), false) if v == self.accept.as_bytes() => {}
            _ => return Err(HandshakeError::InvalidAccept),
        }
        // Item 5: "If the response includes a |Sec-WebSocket-Extensions| header field and this
        // header field indicates the use of an extension that was not present in the client's
        // handshake (the server has indicated an extension not requested by the client), the
        // client MUST _Fail the WebSocket Connection_."
        let mut extensions: Vec<ExtensionOffer> = Vec::new();
        for line in headers.get_all("sec-websocket-extensions") {
            let line = core::str::from_utf8(line).map_err(|_| {
                HandshakeError::MalformedExtensions("the value is not UTF-8".into())
            })?;
            for ext in ExtensionOffer::parse_header(line)? {
                let offered = self
                    .extensions
                    .iter()
                    .any(|o| o.name.eq_ignore_ascii_case(&ext.name));
                let repeated = extensions
                    .iter()
                    .any(|e| e.name.eq_ignore_ascii_case(&ext.name));
                if !offered || repeated {
                    return Err(HandshakeError::UnexpectedExtension(ext.name));
                }
                extensions.push(ext);
            }
        }
        // Item 6: "If the response includes a |Sec-WebSocket-Protocol| header field and this
        // header field indicates the use of a subprotocol that was not present in the client's
        // handshake (the server has indicated a subprotocol not requested by the client), the
        // client MUST _Fail the WebSocket Connection_."
        let protocol = match headers.first_trimmed("sec-websocket-protocol") {
            (None, _) => None,
            // An empty value names no subprotocol; treated as absent.
            (Some(b""), false) => None,
            (Some(v), false) => match self.protocols.iter().find(|p| p.as_bytes() == v) {
                Some(p) => Some(p.clone()),
                None => {
                    return Err(HandshakeError::UnexpectedProtocol(
                        String::from_utf8_lossy(v).into_owned(),
                    ));
                }
            },
            (Some(v), true) => {
                return Err(HandshakeError::UnexpectedProtocol(format!(
                    "{} (in several header lines)",
                    String::from_utf8_lossy(v)
                )));
            }
        };
        Ok(Response {
            status,
            protocol,
            extensions,
            headers,
        })
    }
}

/// Checks the options before anything is written.
fn check_options(options: &ClientOptions) -> Result<(), HandshakeError> {
    for (i, p) in options.protocols.iter().enumerate() {
        // §4.1 item 10: "The elements that comprise this value MUST be non-empty strings with
        // characters in the range U+0021 to U+007E not including separator characters as
        // defined in [RFC2616] and MUST all be unique strings."
        if !is_token(p) {
            return Err(HandshakeError::InvalidOption(format!(
                "subprotocol {p:?} is not an HTTP token"
            )));
        }
        if options.protocols.iter().take(i).any(|q| q == p) {
            return Err(HandshakeError::InvalidOption(format!(
                "subprotocol {p:?} is offered twice"
            )));
        }
    }
    for offer in &options.extensions {
        offer.check()?;
    }
    if let Some(origin) = &options.origin
        && !is_field_value(origin.as_bytes())
    {
        return Err(HandshakeError::InvalidOption(
            "the Origin contains control characters".into(),
        ));
    }
    for (name, value) in options.headers.iter() {
        check_extra(name, value)?;
        if name.eq_ignore_ascii_case("origin") && options.origin.is_some() {
            return Err(HandshakeError::InvalidOption(
                "Origin given both as an option and as a header".into(),
            ));
        }
    }
    Ok(())
}

/// A server's accepted (101) response.
#[derive(Clone, Debug, Eq, PartialEq)]
pub struct Response {
    status: u16,
    protocol: Option<String>,
    extensions: Vec<ExtensionOffer>,
    headers: Headers,
}

impl Response {
    /// The status code: always 101.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The subprotocol the server chose, if any.
    pub fn protocol(&self) -> Option<&str> {
        self.protocol.as_deref()
    }

    /// The extensions the server accepted, in order.
    pub fn extensions(&self) -> &[ExtensionOffer] {
        &self.extensions
    }

    /// All response headers.
    pub fn headers(&self) -> &Headers {
        &self.headers
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6455 §1.3's nonce: base64 "dGhlIHNhbXBsZSBub25jZQ==".
    const NONCE: [u8; 16] = *b"the sample nonce";
    const ACCEPT: &str = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

    fn request(
        url: &str,
        options: &ClientOptions,
    ) -> Result<(ClientHandshake, String), HandshakeError> {
        let mut out = Vec::new();
        let hs = ClientHandshake::new(&Target::parse(url)?, options, NONCE, &mut out)?;
        Ok((hs, String::from_utf8(out).unwrap()))
    }

    fn fixed(extra: &str) -> String {
        format!(
            "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
             Sec-WebSocket-Version: 13\r\n{extra}\r\n"
        )
    }

    fn response(extra: &str) -> Vec<u8> {
        format!("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {ACCEPT}\r\n{extra}\r\n").into_bytes()
    }

    fn poll(
        hs: &mut ClientHandshake,
        buf: &[u8],
        eof: bool,
    ) -> Result<Option<(Response, usize)>, HandshakeError> {
        hs.poll_response(buf, eof, &Limits::default())
    }

    fn chat() -> ClientOptions {
        ClientOptions::default()
            .origin("http://example.com")
            .protocols(["chat", "superchat"])
    }

    #[test]
    fn rfc6455_1_3_example_request_is_written_exactly() {
        let (hs, req) = request("ws://server.example.com/chat", &chat()).unwrap();
        let want = format!(
            "GET /chat HTTP/1.1\r\nHost: server.example.com\r\n{}",
            fixed("Origin: http://example.com\r\nSec-WebSocket-Protocol: chat, superchat\r\n")
        );
        assert_eq!(req, want);
        assert_eq!(hs.key(), "dGhlIHNhbXBsZSBub25jZQ==");
        assert_eq!(
            (hs.target().host(), hs.target().port(), hs.target().is_tls()),
            ("server.example.com", 80, false)
        );
    }

    #[test]
    fn rfc6455_1_3_example_response_is_accepted() {
        let (mut hs, _) = request("ws://server.example.com/chat", &chat()).unwrap();
        let resp = response("Sec-WebSocket-Protocol: chat\r\n");
        let (r, used) = poll(&mut hs, &resp, false).unwrap().unwrap();
        assert_eq!(used, resp.len());
        assert_eq!((r.status(), r.protocol()), (101, Some("chat")));
        assert_eq!(r.headers().get("sec-websocket-accept"), Some(ACCEPT));
        assert!(r.extensions().is_empty());
        assert_eq!(
            poll(&mut hs, &resp, false).unwrap_err(),
            HandshakeError::AlreadyComplete
        );
    }

    #[test]
    fn rfc6455_4_1_host_has_port_only_when_not_default() {
        for (url, host, port, tls) in [
            ("ws://h.example:80/", "h.example", 80, false),
            ("ws://h.example:8080", "h.example:8080", 8080, false),
            ("wss://h.example:443/", "h.example", 443, true),
            ("wss://h.example", "h.example", 443, true),
            ("wss://h.example:80/", "h.example:80", 80, true),
            ("ws://[::1]:9001/", "[::1]:9001", 9001, false),
            ("ws://[::1]/", "[::1]", 80, false),
            ("ws://127.0.0.1:81/", "127.0.0.1:81", 81, false),
            ("WS://H.Example/", "h.example", 80, false),
            (
                "ws://b\u{fc}cher.example/",
                "xn--bcher-kva.example",
                80,
                false,
            ),
        ] {
            let (hs, req) = request(url, &ClientOptions::default()).unwrap();
            assert_eq!(
                req,
                format!("GET / HTTP/1.1\r\nHost: {host}\r\n{}", fixed("")),
                "{url}"
            );
            assert_eq!(
                (hs.target().port(), hs.target().is_tls()),
                (port, tls),
                "{url}"
            );
        }
        let (hs, _) = request("ws://[::1]/", &ClientOptions::default()).unwrap();
        assert_eq!(hs.target().host(), "::1");
    }

    #[test]
    fn rfc6455_4_1_request_uri_is_path_and_query() {
        let (_, req) = request("ws://h/a/b%20c?x=1&y", &ClientOptions::default()).unwrap();
        assert!(req.starts_with("GET /a/b%20c?x=1&y HTTP/1.1\r\n"), "{req}");
        let (_, req) = request("ws://h?only", &ClientOptions::default()).unwrap();
        assert!(req.starts_with("GET /?only HTTP/1.1\r\n"), "{req}");
    }

    #[test]
    fn url_userinfo_becomes_basic_authorization_percent_decoded() {
        let (_, req) = request("ws://us%40er:p%3Ass@h/", &ClientOptions::default()).unwrap();
        let want = format!("Authorization: Basic {}\r\n", STANDARD.encode("us@er:p:ss"));
        assert!(req.ends_with(&format!("13\r\n{want}\r\n")), "{req}");
        assert!(!req.contains("us%40er@"));
        // Explicit credentials win over the URL's.
        let (_, req) = request(
            "ws://a:b@h/",
            &ClientOptions::default().basic_auth("x", "y"),
        )
        .unwrap();
        assert!(
            req.contains(&format!(
                "Authorization: Basic {}\r\n",
                STANDARD.encode("x:y")
            )),
            "{req}"
        );
        let (_, req) = request("ws://h/", &ClientOptions::default()).unwrap();
        assert!(!req.contains("Authorization"));
    }

    #[test]
    fn debug_output_hides_passwords() {
        let options = ClientOptions::default().basic_auth("alice", "hunter2");
        let (hs, _) = request("ws://bob:swordfish@h/", &options).unwrap();
        let shown = format!("{options:?} {hs:?}");
        assert!(shown.contains("alice"), "{shown}");
        assert!(
            !shown.contains("hunter2") && !shown.contains("swordfish"),
            "{shown}"
        );
    }

    #[test]
    fn extensions_and_extra_headers_follow_the_handshake_fields() {
        let options = ClientOptions::default()
            .protocol("v1")
            .extension(
                ExtensionOffer::new("permessage-deflate").with_param("client_max_window_bits"),
            )
            .extension(ExtensionOffer::new("permessage-deflate"))
            .header("User-Agent", "tether")
            .header("Cookie", "a=1");
        let (_, req) = request("ws://h/", &options).unwrap();
        let tail = "Sec-WebSocket-Protocol: v1\r\n\
                    Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits, permessage-deflate\r\n\
                    User-Agent: tether\r\nCookie: a=1\r\n";
        assert_eq!(req, format!("GET / HTTP/1.1\r\nHost: h\r\n{}", fixed(tail)));
    }

    #[test]
    fn bad_urls_and_options_are_refused_and_nothing_is_written() {
        let cases: [(&str, ClientOptions); 11] = [
            ("http://h/", ClientOptions::default()),
            ("ws://h/#frag", ClientOptions::default()),
            ("not a url", ClientOptions::default()),
            ("ws://h/", ClientOptions::default().protocol("a b")),
            ("ws://h/", ClientOptions::default().protocol("")),
            ("ws://h/", ClientOptions::default().protocols(["a", "a"])),
            (
                "ws://h/",
                ClientOptions::default().header("Sec-WebSocket-Key", "x"),
            ),
            (
                "ws://h/",
                ClientOptions::default().header("X-A", "1\r\nX-B: 2"),
            ),
            (
                "ws://h/",
                ClientOptions::default().origin("o").header("origin", "p"),
            ),
            ("ws://h/", ClientOptions::default().basic_auth("a:b", "c")),
            (
                "ws://h/",
                ClientOptions::default().extension(ExtensionOffer::new("x y")),
            ),
        ];
        for (url, options) in cases {
            let mut out = Vec::new();
            let e = Target::parse(url)
                .and_then(|t| ClientHandshake::new(&t, &options, NONCE, &mut out))
                .unwrap_err();
            assert!(out.is_empty(), "{url} {options:?}");
            let expected = matches!(
                e,
                HandshakeError::InvalidOption(_)
                    | HandshakeError::InvalidUrl(_)
                    | HandshakeError::UnsupportedScheme(_)
            );
            assert!(expected, "{url} {options:?}: {e:?}");
        }
        let scheme = Target::parse("https://h/").unwrap_err();
        assert_eq!(scheme, HandshakeError::UnsupportedScheme("https".into()));
        let frag = Target::parse("ws://h/#x").unwrap_err();
        assert!(matches!(frag, HandshakeError::InvalidUrl(_)));
    }

    #[test]
    fn non_101_is_rejected_with_body_up_to_content_length() {
        let (mut hs, _) = request("ws://h/", &ClientOptions::default()).unwrap();
        let resp = b"HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic\r\nContent-Length: 5\r\n\r\nhelloEXTRA";
        assert_eq!(poll(&mut hs, &resp[..resp.len() - 7], false).unwrap(), None);
        let e = poll(&mut hs, resp, false).unwrap_err();
        let HandshakeError::Rejected {
            status,
            headers,
            body,
        } = &e
        else {
            panic!("{e:?}")
        };
        assert_eq!((*status, body.as_slice()), (401, &b"hello"[..]));
        assert_eq!(headers.get("www-authenticate"), Some("Basic"));
        assert_eq!(e.status(), Some(401));
    }

    #[test]
    fn status_401_and_407_are_told_apart() {
        for status in [401u16, 407, 403, 500] {
            let (mut hs, _) = request("ws://h/", &ClientOptions::default()).unwrap();
            let resp = format!("HTTP/1.1 {status} X\r\nContent-Length: 0\r\n\r\n");
            assert_eq!(
                poll(&mut hs, resp.as_bytes(), false).unwrap_err().status(),
                Some(status)
            );
        }
    }

    #[test]
    fn non_101_without_content_length_reads_until_eof_capped() {
        let (mut hs, _) = request("ws://h/", &ClientOptions::default()).unwrap();
        let resp = b"HTTP/1.0 404 Not Found\r\n\r\nno such";
        assert_eq!(poll(&mut hs, resp, false).unwrap(), None);
        assert_eq!(
            poll(&mut hs, resp, true).unwrap_err().response_body(),
            Some(&b"no such"[..])
        );

        let (mut hs, _) = request("ws://h/", &ClientOptions::default()).unwrap();
        let limits = Limits {
            max_body_bytes: 3,
            ..Limits::default()
        };
        let e = hs.poll_response(resp, false, &limits).unwrap_err();
        assert_eq!(e.response_body(), Some(&b"no "[..]));
    }

    fn refused(extra: &str, options: &ClientOptions) -> HandshakeError {
        let (mut hs, _) = request("ws://h/", options).unwrap();
        poll(&mut hs, &response(extra), false).unwrap_err()
    }

    #[test]
    fn rfc6455_4_1_response_checks_one_by_one() {
        let none = ClientOptions::default();
        let bad_accept = "HTTP/1.1 101 OK\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: xxx\r\n\r\n";
        let (mut hs, _) = request("ws://h/", &none).unwrap();
        assert_eq!(
            poll(&mut hs, bad_accept.as_bytes(), false).unwrap_err(),
            HandshakeError::InvalidAccept
        );
        let no_accept = "HTTP/1.1 101 OK\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n";
        let (mut hs, _) = request("ws://h/", &none).unwrap();
        assert_eq!(
            poll(&mut hs, no_accept.as_bytes(), false).unwrap_err(),
            HandshakeError::MissingAccept
        );
        let twice = format!("Sec-WebSocket-Accept: {ACCEPT}\r\n");
        assert_eq!(refused(&twice, &none), HandshakeError::InvalidAccept);
        let no_upgrade = format!(
            "HTTP/1.1 101 OK\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {ACCEPT}\r\n\r\n"
        );
        let (mut hs, _) = request("ws://h/", &none).unwrap();
        assert_eq!(
            poll(&mut hs, no_upgrade.as_bytes(), false).unwrap_err(),
            HandshakeError::MissingUpgrade
        );
        let no_conn = format!(
            "HTTP/1.1 101 OK\r\nUpgrade: WebSocket\r\nSec-WebSocket-Accept: {ACCEPT}\r\n\r\n"
        );
        let (mut hs, _) = request("ws://h/", &none).unwrap();
        assert_eq!(
            poll(&mut hs, no_conn.as_bytes(), false).unwrap_err(),
            HandshakeError::MissingConnectionUpgrade
        );
        assert_eq!(
            refused("Sec-WebSocket-Protocol: chat\r\n", &none),
            HandshakeError::UnexpectedProtocol("chat".into())
        );
        assert_eq!(
            refused("Sec-WebSocket-Protocol: other\r\n", &chat()),
            HandshakeError::UnexpectedProtocol("other".into())
        );
        assert!(matches!(
            refused("Sec-WebSocket-Protocol: chat, superchat\r\n", &chat()),
            HandshakeError::UnexpectedProtocol(_)
        ));
        assert_eq!(
            refused("Sec-WebSocket-Extensions: permessage-deflate\r\n", &none),
            HandshakeError::UnexpectedExtension("permessage-deflate".into())
        );
        let pmd = ClientOptions::default().extension(ExtensionOffer::new("permessage-deflate"));
        assert!(matches!(
            refused("Sec-WebSocket-Extensions: permessage-deflate; =\r\n", &pmd),
            HandshakeError::MalformedExtensions(_)
        ));
        assert!(matches!(
            refused(
                "Sec-WebSocket-Extensions: permessage-deflate, permessage-deflate\r\n",
                &pmd
            ),
            HandshakeError::UnexpectedExtension(_)
        ));
    }

    #[test]
    fn offered_extension_and_mixed_case_tokens_are_accepted() {
        let pmd = ClientOptions::default().extension(ExtensionOffer::new("permessage-deflate"));
        let (mut hs, _) = request("ws://h/", &pmd).unwrap();
        let resp = format!(
            "HTTP/1.1 101 Switching Protocols\r\nUPGRADE: WebSocket\r\nConnection: keep-alive, UPGRADE\r\n\
             Sec-WebSocket-Accept:  {ACCEPT} \r\nSec-WebSocket-Extensions: permessage-deflate; server_max_window_bits=\"10\"\r\n\r\n"
        );
        let (r, _) = poll(&mut hs, resp.as_bytes(), false).unwrap().unwrap();
        let want = ExtensionOffer::new("permessage-deflate")
            .with_param_value("server_max_window_bits", "10");
        assert_eq!(r.extensions(), [want]);
        assert_eq!(r.protocol(), None);
    }

    #[test]
    fn eof_before_the_head_is_complete_is_an_error() {
        let (mut hs, _) = request("ws://h/", &ClientOptions::default()).unwrap();
        assert_eq!(
            poll(&mut hs, b"", true).unwrap_err(),
            HandshakeError::UnexpectedEof
        );
        let (mut hs, _) = request("ws://h/", &ClientOptions::default()).unwrap();
        assert_eq!(
            poll(&mut hs, b"HTTP/1.1 101 Switching\r\n", true).unwrap_err(),
            HandshakeError::UnexpectedEof
        );
    }

    #[test]
    fn every_split_gives_the_same_result_and_frames_are_not_consumed() {
        let mut wire = response("Sec-WebSocket-Protocol: superchat\r\n");
        let head_len = wire.len();
        wire.extend_from_slice(&[0x81, 0x02, b'h', b'i']);
        for split in 0..=wire.len() {
            let (mut hs, _) = request("ws://h/", &chat()).unwrap();
            let first = poll(&mut hs, &wire[..split], false).unwrap();
            let (r, used) = match first.clone() {
                Some(done) => done,
                None => poll(&mut hs, &wire, false).unwrap().unwrap(),
            };
            assert_eq!(
                (r.protocol(), used),
                (Some("superchat"), head_len),
                "split at {split}"
            );
            assert_eq!(first.is_some(), split >= head_len, "split at {split}");
            assert_eq!(hs.scanner.examined, head_len, "split at {split}");
        }
        // One byte at a time.
        let (mut hs, _) = request("ws://h/", &chat()).unwrap();
        let mut result = None;
        for n in 0..=wire.len() {
            if let Some(done) = poll(&mut hs, &wire[..n], false).unwrap() {
                result = Some((n, done.1));
                break;
            }
        }
        assert_eq!(result, Some((head_len, head_len)));
    }

    #[test]
    fn response_head_one_byte_at_a_time_is_scanned_linearly() {
        let mut wire =
            b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                .to_vec();
        wire.extend_from_slice(format!("Sec-WebSocket-Accept: {ACCEPT}\r\n").as_bytes());
        while wire.len() < (16 << 10) - 40 {
            wire.extend_from_slice(b"X-Padding: 0123456789abcdef0123456789abcdef\r\n");
        }
        wire.extend_from_slice(b"\r\n");
        let limits = Limits {
            max_headers: 1 << 10,
            max_head_bytes: 32 << 10,
            ..Limits::default()
        };
        let (mut hs, _) = request("ws://h/", &ClientOptions::default()).unwrap();
        let mut done = None;
        for n in 1..=wire.len() {
            if let Some(r) = hs.poll_response(&wire[..n], false, &limits).unwrap() {
                done = Some(r.1);
                break;
            }
        }
        assert_eq!(done, Some(wire.len()));
        // n calls over an n-byte head: O(n) bytes examined in total, not O(n²).
        assert_eq!(hs.scanner.examined, wire.len());
    }

    #[test]
    fn response_limits_apply() {
        let (mut hs, _) = request("ws://h/", &ClientOptions::default()).unwrap();
        let limits = Limits {
            max_head_bytes: 20,
            ..Limits::default()
        };
        let e = hs.poll_response(&response(""), false, &limits).unwrap_err();
        assert_eq!(e, HandshakeError::HeadTooLarge { limit: 20 });
        let (mut hs, _) = request("ws://h/", &ClientOptions::default()).unwrap();
        let limits = Limits {
            max_headers: 2,
            ..Limits::default()
        };
        let e = hs.poll_response(&response(""), false, &limits).unwrap_err();
        assert_eq!(e, HandshakeError::TooManyHeaders { limit: 2 });
        let (mut hs, _) = request("ws://h/", &ClientOptions::default()).unwrap();
        let e = poll(&mut hs, b"HTTP/1.1 abc\r\n\r\n", false).unwrap_err();
        assert!(matches!(e, HandshakeError::Malformed(_)), "{e:?}");
    }
}
