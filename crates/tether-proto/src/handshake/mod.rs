//! The opening handshake, both sides: the HTTP/1.1 upgrade (RFC 6455 §4) and the HTTP/2
//! extended CONNECT (RFC 8441).
//!
//! The [`Connection`](crate::Connection) drives these for you; they are public for adapters that
//! take an upgrade another HTTP server already parsed, for HTTP/2 stacks, and for tools and
//! fuzzers.
//!
//! Whatever carries it, a handshake is decided once: [`Request`] is checked by one function per
//! HTTP version ([`ServerHandshake::poll_request`] and [`Request::from_http`] for HTTP/1.1,
//! [`Request::from_extended_connect`] and `from_http2` for HTTP/2) that share the checks of
//! `Sec-WebSocket-Version`, subprotocols and extensions; [`Request::answer`] settles the answer
//! (the application's [`Accept`] and permessage-deflate) for both; on the client,
//! [`ClientHandshake::check_response`] checks a 101 or a 200 with the same code.

mod answer;
mod client;
mod connect;
mod error;
mod extensions;
mod head;
mod headers;
#[cfg(feature = "http")]
mod http;
mod server;
mod target;

pub use answer::Answer;
pub use client::{ClientHandshake, ClientOptions, Response};
pub use connect::{ConnectRequest, PseudoHeaders};
pub use error::HandshakeError;
pub use extensions::ExtensionOffer;
pub use headers::Headers;
pub use server::{Accept, Reject, Request, ServerHandshake};
pub use target::Target;

/// Which HTTP carries a WebSocket: an HTTP/1.1 connection upgraded with `101 Switching
/// Protocols` (RFC 6455 §4), or one stream of an HTTP/2 connection opened with an extended
/// CONNECT (RFC 8441).
#[derive(Clone, Copy, Debug, Default, Eq, Hash, PartialEq)]
pub enum HttpVersion {
    /// HTTP/1.1: the whole connection is the WebSocket's.
    #[default]
    Http11,
    /// HTTP/2: the WebSocket is one stream; others may share the connection.
    Http2,
}

impl core::fmt::Display for HttpVersion {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            Self::Http11 => "HTTP/1.1",
            Self::Http2 => "HTTP/2",
        })
    }
}

/// The GUID appended to the client's key to form the accept key (RFC 6455 §1.3).
pub const WEBSOCKET_GUID: &str = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/// The `Sec-WebSocket-Accept` value for a `Sec-WebSocket-Key` value:
/// base64(SHA-1(key + GUID)) (RFC 6455 §1.3, §4.2.2).
///
/// ```
/// use tether_proto::handshake::accept_key;
///
/// assert_eq!(accept_key(b"dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
/// ```
pub fn accept_key(key: &[u8]) -> alloc::string::String {
    use base64::Engine as _;
    use sha1::Digest as _;
    let mut sha1 = sha1::Sha1::new();
    sha1.update(key);
    sha1.update(WEBSOCKET_GUID.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(sha1.finalize())
}

/// Bounds on the handshake's HTTP head, so a peer cannot make us buffer without end.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
pub struct Limits {
    /// Most bytes of request line/status line plus headers. Past it: an error (431 on the server
    /// side). Default: 16 KiB.
    pub max_head_bytes: usize,
    /// Most header fields. Past it: an error (431 on the server side). Default: 64.
    pub max_headers: usize,
    /// Most bytes of a refusing (non-101) response's body kept for the error. Default: 4 KiB.
    pub max_body_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_head_bytes: 16 << 10,
            max_headers: 64,
            max_body_bytes: 4 << 10,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;

    #[test]
    fn rfc6455_1_3_accept_key_vector() {
        assert_eq!(
            accept_key(b"dGhlIHNhbXBsZSBub25jZQ=="),
            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
        );
        assert_ne!(
            accept_key(b"dGhlIHNhbXBsZSBub25jZQ=="),
            accept_key(b"dGhlIHNhbXBsZSBub25jZR==")
        );
    }

    #[test]
    fn client_and_server_agree_end_to_end() {
        let options = ClientOptions::default()
            .protocols(["v2", "v1"])
            .extension(
                ExtensionOffer::new("permessage-deflate").with_param("client_max_window_bits"),
            )
            .header("Cookie", "id=7");
        let mut wire = Vec::new();
        let mut client = ClientHandshake::new(
            &Target::parse("ws://u:p@[::1]:9001/a?b").unwrap(),
            &options,
            [7; 16],
            &mut wire,
        )
        .unwrap();
        let (req, used) = ServerHandshake::new()
            .poll_request(&wire, &Limits::default())
            .unwrap()
            .unwrap();
        assert_eq!(used, wire.len());
        assert_eq!(
            (req.host(), req.path(), req.query()),
            ("[::1]:9001", "/a", Some("b"))
        );
        assert_eq!(req.protocols(), ["v2", "v1"]);
        assert_eq!(req.header("cookie"), Some("id=7"));
        assert!(
            req.header("authorization")
                .is_some_and(|a| a.starts_with("Basic "))
        );

        let chosen = ExtensionOffer::new("permessage-deflate")
            .with_param_value("client_max_window_bits", "12");
        let mut answer = Vec::new();
        req.write_accept(
            &Accept::default().protocol("v1").extension(chosen.clone()),
            &mut answer,
        )
        .unwrap();
        let head = answer.len();
        answer.extend_from_slice(b"\x81\x00");
        let (resp, used) = client
            .poll_response(&answer, false, &Limits::default())
            .unwrap()
            .unwrap();
        assert_eq!(used, head);
        assert_eq!(
            (resp.protocol(), resp.extensions()),
            (Some("v1"), &[chosen][..])
        );
    }

    #[test]
    fn server_rejection_is_understood_by_the_client() {
        let mut wire = Vec::new();
        let mut client = ClientHandshake::new(
            &Target::parse("ws://h/").unwrap(),
            &ClientOptions::default(),
            [1; 16],
            &mut wire,
        )
        .unwrap();
        let bad = String::from_utf8(wire)
            .unwrap()
            .replace("Version: 13", "Version: 8");
        let e = ServerHandshake::new()
            .poll_request(bad.as_bytes(), &Limits::default())
            .unwrap_err();
        let mut answer = Vec::new();
        e.rejection().unwrap().write(&mut answer);
        let e = client
            .poll_response(&answer, false, &Limits::default())
            .unwrap_err();
        assert_eq!(e.status(), Some(426));
        assert_eq!(
            e.response_headers()
                .and_then(|h| h.get("sec-websocket-version")),
            Some("13")
        );
        assert!(
            e.response_body()
                .is_some_and(|b| b.starts_with(b"client asked for WebSocket version"))
        );
    }

    use alloc::string::String;

    proptest::proptest! {
        #[test]
        fn arbitrary_input_never_panics(data in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..512),
                                        split in 0usize..512) {
            let limits = Limits { max_head_bytes: 256, max_headers: 8, max_body_bytes: 32 };
            let split = split.min(data.len());
            let mut server = ServerHandshake::new();
            if let Ok(None) = server.poll_request(&data[..split], &limits) {
                let _ = server.poll_request(&data, &limits);
            }
            let mut out = Vec::new();
            let mut client = ClientHandshake::new(&Target::parse("ws://h/").unwrap(), &ClientOptions::default(), [0; 16], &mut out).unwrap();
            if let Ok(None) = client.poll_response(&data[..split], false, &limits) {
                let _ = client.poll_response(&data, true, &limits);
            }
            let _ = core::str::from_utf8(&data).map(ExtensionOffer::parse_header);
        }

        #[test]
        fn responses_with_any_head_prefix_parse_the_same(extra in "([A-Za-z-]{1,12}: [ -~]{0,20}\r\n){0,6}", split in 0usize..400) {
            let mut wire = Vec::new();
            let mut a = ClientHandshake::new(&Target::parse("ws://h/").unwrap(), &ClientOptions::default(), [3; 16], &mut wire).unwrap();
            let mut b = a.clone();
            let response = alloc::format!(
                "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
                 Sec-WebSocket-Accept: {}\r\n{extra}\r\n", accept_key(a.key().as_bytes()));
            let bytes = response.as_bytes();
            let whole = a.poll_response(bytes, false, &Limits::default());
            let split = split.min(bytes.len());
            let piecewise = match b.poll_response(&bytes[..split], false, &Limits::default()) {
                Ok(None) => b.poll_response(bytes, false, &Limits::default()),
                other => other,
            };
            proptest::prop_assert_eq!(whole, piecewise);
        }
    }
}
