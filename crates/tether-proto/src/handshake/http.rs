//! Conversions from and to the `http` crate's types, for adapters whose HTTP server (hyper,
//! axum, ...) already parsed the upgrade request, or whose HTTP client parsed the response.

use alloc::string::ToString;

use super::{Accept, ClientHandshake, HandshakeError, Headers, Request, Response};

fn headers_of(map: &http::HeaderMap) -> Headers {
    let mut headers = Headers::new();
    for (name, value) in map {
        headers.push_field(name.as_str(), value.as_bytes());
    }
    headers
}

impl Request {
    /// Checks a request another HTTP server parsed, exactly as
    /// [`ServerHandshake::poll_request`](super::ServerHandshake::poll_request) checks bytes.
    /// Only HTTP/1.1 requests qualify (WebSocket over HTTP/2, RFC 8441, is not supported).
    pub fn from_http<B>(req: &http::Request<B>) -> Result<Self, HandshakeError> {
        let target = req
            .uri()
            .path_and_query()
            .map_or("/", http::uri::PathAndQuery::as_str);
        let http11 = req.version() == http::Version::HTTP_11;
        Self::check(
            req.method().as_str(),
            http11,
            target,
            headers_of(req.headers()),
        )
    }

    /// The 101 response that accepts this request, for the other HTTP server to send. Fails
    /// like [`write_accept`](Self::write_accept).
    pub fn accept_http(&self, accept: &Accept) -> Result<http::Response<()>, HandshakeError> {
        let mut builder = http::Response::builder().status(http::StatusCode::SWITCHING_PROTOCOLS);
        for (name, value) in self.accept_headers(accept)?.iter() {
            builder = builder.header(name, value);
        }
        builder
            .body(())
            .map_err(|e| HandshakeError::InvalidOption(e.to_string()))
    }
}

impl ClientHandshake {
    /// Checks a response another HTTP client parsed, as
    /// [`poll_response`](Self::poll_response) does. A status other than 101 gives
    /// [`HandshakeError::Rejected`] with an empty body (the body is the caller's to read).
    pub fn check_http_response<B>(
        &self,
        resp: &http::Response<B>,
    ) -> Result<Response, HandshakeError> {
        self.check(resp.status().as_u16(), headers_of(resp.headers()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::handshake::{ClientOptions, ExtensionOffer, Limits, ServerHandshake, Target};
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
        let resp = from_http.accept_http(&accept).unwrap();
        assert_eq!(resp.status(), http::StatusCode::SWITCHING_PROTOCOLS);
        assert_eq!(
            resp.headers()["sec-websocket-accept"],
            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
        );
        assert_eq!(resp.headers()["sec-websocket-protocol"], "chat");
        assert_eq!(resp.headers().len(), 4);
        assert_eq!(
            from_http
                .accept_http(&Accept::default().protocol("nope"))
                .unwrap_err(),
            HandshakeError::ProtocolNotOffered("nope".into())
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
