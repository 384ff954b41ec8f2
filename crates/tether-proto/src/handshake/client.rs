//! The client side: build the upgrade request, check the response (RFC 6455 §4.1).

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use super::head::{BodyReader, Framing, HeadScanner, collect_headers, parse_error};
use super::headers::{check_extra, is_field_value, is_token, write_field};
use super::{ExtensionOffer, HandshakeError, Headers, HttpVersion, Limits, Target, accept_key};

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
pub(super) enum State {
    Head,
    Body {
        status: u16,
        headers: Headers,
        reader: BodyReader,
    },
    Done,
}

/// A client's handshake in progress: knows its key (HTTP/1.1) and what it offered.
#[derive(Clone)]
pub struct ClientHandshake {
    pub(super) version: HttpVersion,
    pub(super) target: Target,
    /// `Sec-WebSocket-Key` and the accept value it implies; empty over HTTP/2.
    pub(super) key: String,
    pub(super) accept: String,
    pub(super) protocols: Vec<String>,
    pub(super) extensions: Vec<ExtensionOffer>,
    pub(super) scanner: HeadScanner,
    pub(super) state: State,
}

impl ClientHandshake {
    /// Builds the HTTP/1.1 upgrade request for `target` and appends it to `out`. `key` is 16
    /// random bytes for `Sec-WebSocket-Key`. ([`extended_connect`](Self::extended_connect)
    /// builds the HTTP/2 request.)
    ///
    /// Nothing is appended on error.
    pub fn new(
        target: &Target,
        options: &ClientOptions,
        key: [u8; 16],
        out: &mut Vec<u8>,
    ) -> Result<Self, HandshakeError> {
        let fields = request_fields(target, options)?;
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
        for (name, value) in fields.iter() {
            write_field(out, name, value);
        }
        out.extend_from_slice(b"\r\n");

        Ok(Self {
            version: HttpVersion::Http11,
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
                return self
                    .check_response(status, headers)
                    .map(|r| Some((r, head_len)));
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

    /// Checks a complete response head, whoever parsed it: over HTTP/1.1 the status must be
    /// 101 with `Upgrade`, `Connection` and the `Sec-WebSocket-Accept` of our key (RFC 6455
    /// §4.1, the client's checks 1–4); over HTTP/2 a 2xx (RFC 8441 §5: the server "MUST
    /// respond with a 200"; RFC 9110 §9.3.6 makes any 2xx to a CONNECT a success) without
    /// them. Then, for both, the subprotocol and extensions must be among those offered
    /// (checks 5 and 6).
    ///
    /// # Errors
    ///
    /// Another status gives [`HandshakeError::Rejected`] with an empty body (the body is the
    /// caller's to read); the other variants say which check failed.
    pub fn check_response(
        &self,
        status: u16,
        headers: Headers,
    ) -> Result<Response, HandshakeError> {
        match self.version {
            HttpVersion::Http11 => self.check_switching(status, &headers)?,
            HttpVersion::Http2 if (200..300).contains(&status) => {}
            HttpVersion::Http2 => {
                return Err(HandshakeError::Rejected {
                    status,
                    headers,
                    body: Vec::new(),
                });
            }
        }
        let (protocol, extensions) = self.check_agreement(&headers)?;
        Ok(Response {
            status,
            protocol,
            extensions,
            headers,
        })
    }

    /// RFC 6455 §4.1, the client's checks 1–4: a 101 that answers our key.
    fn check_switching(&self, status: u16, headers: &Headers) -> Result<(), HandshakeError> {
        // Item 1: "If the status code received from the server is not 101, the client handles
        // the response per HTTP [RFC2616] procedures."
        if status != 101 {
            return Err(HandshakeError::Rejected {
                status,
                headers: headers.clone(),
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
            (None, _) => Err(HandshakeError::MissingAccept),
            (Some(v), false) if v == self.accept.as_bytes() => Ok(()),
            _ => Err(HandshakeError::InvalidAccept),
        }
    }

    /// RFC 6455 §4.1, the client's checks 5 and 6, over either HTTP version: the extensions
    /// and the subprotocol the server chose must be among those offered.
    #[allow(clippy::type_complexity)]
    fn check_agreement(
        &self,
        headers: &Headers,
    ) -> Result<(Option<String>, Vec<ExtensionOffer>), HandshakeError> {
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
        Ok((protocol, extensions))
    }
}

/// The fields both HTTP versions send after their own (RFC 6455 §4.1 items 8–12; RFC 8441 §5
/// keeps them): `Sec-WebSocket-Version`, `Origin`, the offers, `Authorization`, the
/// application's headers. The options are checked first.
pub(super) fn request_fields(
    target: &Target,
    options: &ClientOptions,
) -> Result<Headers, HandshakeError> {
    check_options(options)?;
    let credentials = match &options.basic_auth {
        Some((user, password)) => Some((user.as_bytes().to_vec(), password.as_bytes().to_vec())),
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
    let mut h = Headers::new();
    // Item 9: "The request MUST include a header field with the name |Sec-WebSocket-Version|.
    // The value of this header field MUST be 13."
    h.push("Sec-WebSocket-Version", "13");
    if let Some(origin) = &options.origin {
        h.push("Origin", origin.as_str());
    }
    if !options.protocols.is_empty() {
        h.push("Sec-WebSocket-Protocol", options.protocols.join(", "));
    }
    if !options.extensions.is_empty() {
        h.push(
            "Sec-WebSocket-Extensions",
            ExtensionOffer::format_list(&options.extensions),
        );
    }
    if let Some((user, password)) = credentials {
        let mut pair = user;
        pair.push(b':');
        pair.extend_from_slice(&password);
        h.push("Authorization", format!("Basic {}", STANDARD.encode(pair)));
    }
    for (name, value) in options.headers.iter() {
        h.push(name, value);
    }
    Ok(h)
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

/// A server's accepted response: a 101 (HTTP/1.1) or a 2xx (HTTP/2).
#[derive(Clone, Debug, Eq, PartialEq)]
pub struct Response {
    status: u16,
    protocol: Option<String>,
    extensions: Vec<ExtensionOffer>,
    headers: Headers,
}

impl Response {
    /// The status code: 101 over HTTP/1.1, 200 (any 2xx) over HTTP/2.
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
#[path = "client_tests.rs"]
mod tests;
