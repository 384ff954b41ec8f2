//! Conversions from and to the `http` crate's types, for adapters whose HTTP server (hyper,
//! axum, ...) already parsed the request — an HTTP/1.1 upgrade or an HTTP/2 extended CONNECT —
//! or whose HTTP client parsed the response.

use alloc::string::ToString;

use super::{
    Answer, ClientHandshake, ConnectRequest, HandshakeError, Headers, PseudoHeaders, Reject,
    Request, Response,
};

fn headers_of(map: &http::HeaderMap) -> Headers {
    Headers::from(map)
}

/// The fields of an `http` header map, in its order.
impl From<&http::HeaderMap> for Headers {
    fn from(map: &http::HeaderMap) -> Self {
        let mut headers = Self::new();
        for (name, value) in map {
            headers.push(name.as_str(), value.as_bytes());
        }
        headers
    }
}

/// `headers` as an `http` header map; a field `http` cannot hold (checked before it gets here)
/// is an error, not dropped.
fn header_map(headers: &Headers) -> Result<http::HeaderMap, HandshakeError> {
    let mut map = http::HeaderMap::with_capacity(headers.len());
    for (name, value) in headers.iter() {
        let name = http::HeaderName::from_bytes(name.as_bytes())
            .map_err(|e| HandshakeError::InvalidOption(e.to_string()))?;
        let value = http::HeaderValue::from_bytes(value)
            .map_err(|e| HandshakeError::InvalidOption(e.to_string()))?;
        map.append(name, value);
    }
    Ok(map)
}

impl Request {
    /// Checks an HTTP/1.1 upgrade request another HTTP server parsed, exactly as
    /// [`ServerHandshake::poll_request`](super::ServerHandshake::poll_request) checks bytes.
    /// An HTTP/2 request goes to [`from_http2`](Self::from_http2) instead (or let
    /// [`from_http_parts`](Self::from_http_parts) choose).
    pub fn from_http<B>(req: &http::Request<B>) -> Result<Self, HandshakeError> {
        Self::from_head(req.method(), req.version(), req.uri(), req.headers(), None)
    }

    /// Checks an HTTP/2 extended CONNECT another HTTP/2 server parsed (RFC 8441), as
    /// [`from_extended_connect`](Self::from_extended_connect) does. `protocol` is the request's
    /// `:protocol` pseudo-header, which the `http` types do not carry (hyper has it as the
    /// request extension `hyper::ext::Protocol`).
    pub fn from_http2<B>(
        req: &http::Request<B>,
        protocol: Option<&str>,
    ) -> Result<Self, HandshakeError> {
        Self::extended_connect_of(req.method(), req.uri(), req.headers(), protocol)
    }

    /// Checks a request by its HTTP version: HTTP/1.x as an upgrade ([`from_http`]), HTTP/2 and
    /// later as an extended CONNECT with this `:protocol` ([`from_http2`]). For extractors
    /// that see the request's parts (axum's `FromRequestParts`).
    ///
    /// [`from_http`]: Self::from_http
    /// [`from_http2`]: Self::from_http2
    pub fn from_http_parts(
        parts: &http::request::Parts,
        protocol: Option<&str>,
    ) -> Result<Self, HandshakeError> {
        Self::from_head(
            &parts.method,
            parts.version,
            &parts.uri,
            &parts.headers,
            protocol,
        )
    }

    fn from_head(
        method: &http::Method,
        version: http::Version,
        uri: &http::Uri,
        headers: &http::HeaderMap,
        protocol: Option<&str>,
    ) -> Result<Self, HandshakeError> {
        if version >= http::Version::HTTP_2 {
            return Self::extended_connect_of(method, uri, headers, protocol);
        }
        let target = uri
            .path_and_query()
            .map_or("/", http::uri::PathAndQuery::as_str);
        Self::check_upgrade(
            method.as_str(),
            version == http::Version::HTTP_11,
            target,
            headers_of(headers),
        )
    }

    fn extended_connect_of(
        method: &http::Method,
        uri: &http::Uri,
        headers: &http::HeaderMap,
        protocol: Option<&str>,
    ) -> Result<Self, HandshakeError> {
        let pseudo = PseudoHeaders {
            method: method.as_str(),
            protocol,
            scheme: uri.scheme_str(),
            authority: uri.authority().map(http::uri::Authority::as_str),
            path: uri.path_and_query().map(http::uri::PathAndQuery::as_str),
        };
        Self::from_extended_connect(&pseudo, headers_of(headers))
    }
}

impl Answer {
    /// The accepting response for the other HTTP server to send: 101 with the upgrade fields,
    /// or 200 over HTTP/2.
    ///
    /// # Errors
    ///
    /// A header the `http` types cannot hold (the handshake checked them, so none).
    pub fn to_http(&self) -> Result<http::Response<()>, HandshakeError> {
        let mut response = http::Response::new(());
        *response.status_mut() = http::StatusCode::from_u16(self.status())
            .map_err(|e| HandshakeError::InvalidOption(e.to_string()))?;
        *response.version_mut() = match self.version() {
            super::HttpVersion::Http11 => http::Version::HTTP_11,
            super::HttpVersion::Http2 => http::Version::HTTP_2,
        };
        *response.headers_mut() = header_map(self.headers())?;
        Ok(response)
    }
}

impl Reject {
    /// The refusal as an `http` response with its body, for the other HTTP server to send
    /// (without the `Connection: close` [`write`](Self::write) adds: the HTTP server knows
    /// what to do with its connection). A status that is no three-digit code becomes 500.
    pub fn to_http(&self) -> http::Response<alloc::vec::Vec<u8>> {
        let mut response = http::Response::new(self.body_bytes().to_vec());
        *response.status_mut() = http::StatusCode::from_u16(self.status())
            .unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR);
        for (name, value) in self.headers().iter() {
            if let (Ok(name), Ok(value)) = (
                http::HeaderName::from_bytes(name.as_bytes()),
                http::HeaderValue::from_bytes(value),
            ) {
                response.headers_mut().append(name, value);
            }
        }
        response
    }
}

impl ConnectRequest {
    /// The request for an HTTP/2 client to send: `CONNECT` to [`uri`](Self::uri), HTTP/2, the
    /// header fields. The `:protocol` pseudo-header is the HTTP/2 stack's to add (hyper:
    /// insert `hyper::ext::Protocol::from_static("websocket")` into the extensions).
    ///
    /// # Errors
    ///
    /// The URI or a header cannot be represented (the handshake checked them, so none).
    pub fn to_http(&self) -> Result<http::Request<()>, HandshakeError> {
        let uri: http::Uri = self
            .uri()
            .parse()
            .map_err(|e: http::uri::InvalidUri| HandshakeError::InvalidOption(e.to_string()))?;
        let mut request = http::Request::new(());
        *request.method_mut() = http::Method::CONNECT;
        *request.uri_mut() = uri;
        *request.version_mut() = http::Version::HTTP_2;
        *request.headers_mut() = header_map(&self.headers)?;
        Ok(request)
    }
}

impl ClientHandshake {
    /// Checks a response another HTTP client parsed, as
    /// [`check_response`](Self::check_response) does (a 101 over HTTP/1.1, a 2xx over
    /// HTTP/2). Another status gives [`HandshakeError::Rejected`] with an empty body (the body
    /// is the caller's to read).
    pub fn check_http_response<B>(
        &self,
        resp: &http::Response<B>,
    ) -> Result<Response, HandshakeError> {
        self.check_response(resp.status().as_u16(), headers_of(resp.headers()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::handshake::{
        Accept, ClientOptions, ExtensionOffer, Limits, ServerHandshake, Target,
    };
    use alloc::string::String;
    use alloc::vec::Vec;

    fn upgrade_request() -> http::request::Builder {
        http::Request::builder()
            .uri("/chat?room=1")
            .header("Host", "server.example.com")
            .header("Upgrade", "websocket")
            .header("Connection", "keep-alive, Upgrade")
            .header("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")
            .header("Sec-WebSocket-Version", "13")
            .header("Sec-WebSocket-Protocol", "chat, superchat")
            .header("Sec-WebSocket-Extensions", "permessage-deflate")
    }

    #[test]
    fn from_http_checks_like_the_byte_parser() {
        let req = Request::from_http(&upgrade_request().body(()).unwrap()).unwrap();
        assert_eq!(
            (req.path(), req.query(), req.host()),
            ("/chat", Some("room=1"), "server.example.com")
        );
        assert_eq!(req.protocols(), ["chat", "superchat"]);
        assert_eq!(
            req.extensions(),
            [ExtensionOffer::new("permessage-deflate")]
        );

        let post = upgrade_request().method("POST").body(()).unwrap();
        assert_eq!(
            Request::from_http(&post).unwrap_err(),
            HandshakeError::MethodNotGet("POST".into())
        );
        let old = upgrade_request()
            .version(http::Version::HTTP_10)
            .body(())
            .unwrap();
        assert_eq!(
            Request::from_http(&old).unwrap_err(),
            HandshakeError::HttpVersion
        );
        let v8 = upgrade_request()
            .header("Sec-WebSocket-Version", "8")
            .body(())
            .unwrap();
        let e = Request::from_http(&v8).unwrap_err();
        assert_eq!(e.rejection().map(|r| r.status()), Some(426));
        let mut no_key = upgrade_request().body(()).unwrap();
        no_key.headers_mut().remove("sec-websocket-key");
        assert_eq!(
            Request::from_http(&no_key).unwrap_err(),
            HandshakeError::InvalidKey
        );
    }

    #[test]
    fn from_http_and_byte_parser_agree() {
        let wire = "GET /chat?room=1 HTTP/1.1\r\nHost: server.example.com\r\nUpgrade: websocket\r\n\
                    Connection: keep-alive, Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
                    Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: chat, superchat\r\n\
                    Sec-WebSocket-Extensions: permessage-deflate\r\n\r\n";
        let (bytes, _) = ServerHandshake::new()
            .poll_request(wire.as_bytes(), &Limits::default())
            .unwrap()
            .unwrap();
        let from_http = Request::from_http(&upgrade_request().body(()).unwrap()).unwrap();
        assert_eq!(
            (
                bytes.target(),
                bytes.key(),
                bytes.protocols(),
                bytes.extensions()
            ),
            (
                from_http.target(),
                from_http.key(),
                from_http.protocols(),
                from_http.extensions()
            )
        );
        let accept = Accept::default().protocol("chat");
        let mut out = Vec::new();
        bytes.write_accept(&accept, &mut out).unwrap();
        let no_deflate = crate::Config::default().deflate(None);
        let resp = from_http
            .answer(accept, &no_deflate)
            .unwrap()
            .to_http()
            .unwrap();
        assert_eq!(resp.status(), http::StatusCode::SWITCHING_PROTOCOLS);
        assert_eq!(
            resp.headers()["sec-websocket-accept"],
            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
        );
        assert_eq!(resp.headers()["sec-websocket-protocol"], "chat");
        assert_eq!(resp.headers().len(), 4);
        // The written bytes and the http response say the same.
        let text = String::from_utf8(out).unwrap();
        for (name, value) in resp.headers() {
            let line = alloc::format!("{}: {}\r\n", name, value.to_str().unwrap());
            assert!(
                text.to_ascii_lowercase()
                    .contains(&line.to_ascii_lowercase()),
                "{line}"
            );
        }
        assert_eq!(
            from_http
                .answer(Accept::default().protocol("nope"), &no_deflate)
                .unwrap_err(),
            HandshakeError::ProtocolNotOffered("nope".into())
        );
    }

    fn extended_connect() -> http::Request<()> {
        http::Request::builder()
            .method("CONNECT")
            .version(http::Version::HTTP_2)
            .uri("https://server.example.com/chat?room=1")
            .header("sec-websocket-version", "13")
            .header("sec-websocket-protocol", "chat, superchat")
            .header("sec-websocket-extensions", "permessage-deflate")
            .body(())
            .unwrap()
    }

    #[test]
    fn rfc8441_from_http2_reads_pseudo_headers_from_the_uri() {
        let req = Request::from_http2(&extended_connect(), Some("websocket")).unwrap();
        assert_eq!(
            (req.host(), req.target(), req.key()),
            ("server.example.com", "/chat?room=1", None)
        );
        assert_eq!(req.protocols(), ["chat", "superchat"]);
        assert_eq!(
            Request::from_http2(&extended_connect(), None).unwrap_err(),
            HandshakeError::ConnectProtocol(None)
        );
        let (parts, ()) = extended_connect().into_parts();
        assert_eq!(
            Request::from_http_parts(&parts, Some("websocket")).unwrap(),
            req
        );
        let (parts, ()) = upgrade_request().body(()).unwrap().into_parts();
        assert_eq!(
            Request::from_http_parts(&parts, None).unwrap().key(),
            Some("dGhlIHNhbXBsZSBub25jZQ==")
        );

        let answer = req
            .answer(
                Accept::default().protocol("superchat"),
                &crate::Config::default(),
            )
            .unwrap();
        let resp = answer.to_http().unwrap();
        assert_eq!(resp.status(), http::StatusCode::OK);
        assert_eq!(resp.headers()["sec-websocket-protocol"], "superchat");
        assert!(resp.headers().get("sec-websocket-accept").is_none());
        assert!(resp.headers().get("upgrade").is_none());

        let e = Request::from_http2(
            &http::Request::builder()
                .method("CONNECT")
                .version(http::Version::HTTP_2)
                .uri("https://h/chat")
                .header("sec-websocket-version", "8")
                .body(())
                .unwrap(),
            Some("websocket"),
        )
        .unwrap_err();
        let refusal = e.rejection().unwrap().to_http();
        assert_eq!(refusal.status(), http::StatusCode::UPGRADE_REQUIRED);
        assert_eq!(refusal.headers()["sec-websocket-version"], "13");
        assert!(refusal.headers().get("connection").is_none());
        assert!(
            refusal
                .body()
                .starts_with(b"client asked for WebSocket version")
        );
    }

    #[test]
    fn rfc8441_connect_request_to_http_and_200_back() {
        let target = Target::parse("ws://example.com:8080/chat").unwrap();
        let options = ClientOptions::default().protocol("chat");
        let (hs, req) = ClientHandshake::extended_connect(&target, &options).unwrap();
        let req = req.to_http().unwrap();
        assert_eq!(req.method(), http::Method::CONNECT);
        assert_eq!(req.uri(), "http://example.com:8080/chat");
        assert_eq!(req.version(), http::Version::HTTP_2);
        assert_eq!(req.headers()["sec-websocket-version"], "13");
        assert!(req.headers().get("sec-websocket-key").is_none());
        let ok = http::Response::builder()
            .status(200)
            .header("sec-websocket-protocol", "chat")
            .body(())
            .unwrap();
        assert_eq!(
            hs.check_http_response(&ok).unwrap().protocol(),
            Some("chat")
        );
    }

    #[test]
    fn check_http_response_validates_like_poll_response() {
        let mut out = Vec::new();
        let options = ClientOptions::default().protocol("chat");
        let hs = ClientHandshake::new(
            &Target::parse("ws://h/").unwrap(),
            &options,
            *b"the sample nonce",
            &mut out,
        )
        .unwrap();
        let ok = http::Response::builder()
            .status(101)
            .header("Upgrade", "websocket")
            .header("Connection", "Upgrade")
            .header("Sec-WebSocket-Accept", "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
            .header("Sec-WebSocket-Protocol", "chat")
            .body(())
            .unwrap();
        assert_eq!(
            hs.check_http_response(&ok).unwrap().protocol(),
            Some("chat")
        );

        let unauthorized = http::Response::builder()
            .status(401)
            .header("WWW-Authenticate", "Basic")
            .body(())
            .unwrap();
        let e = hs.check_http_response(&unauthorized).unwrap_err();
        assert_eq!(e.status(), Some(401));
        assert_eq!(
            e.response_headers().and_then(|h| h.get("www-authenticate")),
            Some("Basic")
        );

        let mut wrong = ok;
        wrong.headers_mut().insert(
            "sec-websocket-accept",
            http::HeaderValue::from_static("AAAA"),
        );
        assert_eq!(
            hs.check_http_response(&wrong).unwrap_err(),
            HandshakeError::InvalidAccept
        );
    }
}
