//! [`Answer`]: the server's decision on a request, settled once for HTTP/1.1 and HTTP/2 — the
//! application's [`Accept`] plus permessage-deflate as the [`Config`] says — whoever writes it
//! (the [`Connection`](crate::Connection) for bytes, an HTTP stack for hyper or axum).

use alloc::vec::Vec;

use super::headers::write_field;
use super::{Accept, HandshakeError, Headers, HttpVersion, Request};
use crate::Config;
use crate::connection::Negotiated;
#[cfg(feature = "deflate")]
use crate::deflate::DeflateParams;

/// The accepting response to a [`Request`] and what it settles, from
/// [`Request::answer`]: status and header fields to send (101 with the HTTP/1.1 upgrade
/// fields, or 200 over HTTP/2), and the [`Negotiated`] subprotocol and extensions for
/// [`Connection::open`](crate::Connection::open) once the HTTP layer hands the stream over.
///
/// ```
/// use tether_proto::Config;
/// use tether_proto::handshake::{Accept, Headers, PseudoHeaders, Request};
///
/// let mut headers = Headers::new();
/// headers.push("sec-websocket-version", "13");
/// headers.push("sec-websocket-extensions", "permessage-deflate; client_max_window_bits");
/// let pseudo = PseudoHeaders { method: "CONNECT", protocol: Some("websocket"),
///     scheme: Some("https"), authority: Some("example.com"), path: Some("/ws") };
/// let request = Request::from_extended_connect(&pseudo, headers)?;
/// let answer = request.answer(Accept::default(), &Config::default())?;
/// assert_eq!(answer.status(), 200);
/// // Compression was negotiated as the config says, and the answer carries it.
/// assert!(answer.negotiated().deflate().is_some());
/// assert!(answer.headers().get("sec-websocket-extensions").is_some());
/// # Ok::<(), tether_proto::handshake::HandshakeError>(())
/// ```
#[derive(Clone, Debug)]
pub struct Answer {
    version: HttpVersion,
    headers: Headers,
    negotiated: Negotiated,
    /// The permessage-deflate agreement, when the answer accepts it.
    #[cfg(feature = "deflate")]
    pub(crate) deflate: Option<DeflateParams>,
}

impl Request {
    /// The answer that accepts this request as `accept` says — the one decision, over either
    /// HTTP version. When `accept` chooses no extension and `config.deflate` is set, the
    /// client's permessage-deflate offers are negotiated here (the first this side can honour
    /// is accepted, the rest declined), exactly as a [`Connection`](crate::Connection) does
    /// for the requests it parses itself.
    ///
    /// # Errors
    ///
    /// `accept` chooses a subprotocol or an extension the client did not offer, or an extra
    /// header the handshake writes itself (500, see [`HandshakeError::rejection`]).
    pub fn answer(&self, accept: Accept, config: &Config) -> Result<Answer, HandshakeError> {
        #[cfg(feature = "deflate")]
        let (accept, deflate) = negotiate_deflate(self, accept, config);
        #[cfg(not(feature = "deflate"))]
        let _ = config;
        let headers = self.accept_headers(&accept)?;
        Ok(Answer {
            version: self.version,
            headers,
            negotiated: Negotiated::new(
                accept.chosen_protocol().map(Into::into),
                accept.chosen_extensions().to_vec(),
            ),
            #[cfg(feature = "deflate")]
            deflate,
        })
    }
}

/// Adds the answer to the client's first acceptable permessage-deflate offer to `accept`,
/// unless the application chose extensions itself or compression is off.
#[cfg(feature = "deflate")]
fn negotiate_deflate(
    request: &Request,
    accept: Accept,
    config: &Config,
) -> (Accept, Option<DeflateParams>) {
    let Some(deflate) = &config.deflate else {
        return (accept, None);
    };
    if !accept.chosen_extensions().is_empty() {
        return (accept, None);
    }
    match deflate.negotiate(request.extensions()) {
        Some((answer, params)) => (accept.extension(answer), Some(params)),
        None => (accept, None),
    }
}

impl Answer {
    /// Which HTTP the answer goes over.
    pub fn version(&self) -> HttpVersion {
        self.version
    }

    /// The status to send: 101 (HTTP/1.1) or 200 (HTTP/2, RFC 8441 §5).
    pub fn status(&self) -> u16 {
        match self.version {
            HttpVersion::Http11 => 101,
            HttpVersion::Http2 => 200,
        }
    }

    /// The header fields to send: over HTTP/1.1 `Upgrade`, `Connection` and
    /// `Sec-WebSocket-Accept` first; then, over both, the chosen subprotocol, the accepted
    /// extensions and the application's headers.
    pub fn headers(&self) -> &Headers {
        &self.headers
    }

    /// What the answer settles: the subprotocol and the extensions with their parameters.
    pub fn negotiated(&self) -> &Negotiated {
        &self.negotiated
    }

    /// [`negotiated`](Self::negotiated), owned: for
    /// [`Connection::open`](crate::Connection::open) once the stream is handed over (it
    /// installs permessage-deflate from it).
    pub fn into_negotiated(self) -> Negotiated {
        self.negotiated
    }

    /// Appends the HTTP/1.1 response head (`101 Switching Protocols`, the fields, the empty
    /// line) to `out`. Over HTTP/2 nothing is written: the HTTP/2 layer encodes
    /// [`status`](Self::status) and [`headers`](Self::headers) itself.
    pub fn write(&self, out: &mut Vec<u8>) {
        if self.version != HttpVersion::Http11 {
            return;
        }
        out.extend_from_slice(b"HTTP/1.1 101 Switching Protocols\r\n");
        for (name, value) in self.headers.iter() {
            write_field(out, name, value);
        }
        out.extend_from_slice(b"\r\n");
    }
}

#[cfg(all(test, feature = "deflate"))]
mod tests {
    use super::*;
    use crate::handshake::{ExtensionOffer, Limits, ServerHandshake};

    const OFFER: &str = "permessage-deflate; client_max_window_bits";

    fn http1() -> Request {
        let wire = alloc::format!(
            "GET /ws HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\
             Sec-WebSocket-Protocol: chat\r\nSec-WebSocket-Extensions: {OFFER}\r\n\r\n"
        );
        ServerHandshake::new()
            .poll_request(wire.as_bytes(), &Limits::default())
            .unwrap()
            .unwrap()
            .0
    }

    fn http2() -> Request {
        let mut h = Headers::new();
        h.push("sec-websocket-version", "13");
        h.push("sec-websocket-protocol", "chat");
        h.push("sec-websocket-extensions", OFFER);
        let pseudo = super::super::PseudoHeaders {
            method: "CONNECT",
            protocol: Some("websocket"),
            scheme: Some("http"),
            authority: Some("h"),
            path: Some("/ws"),
        };
        Request::from_extended_connect(&pseudo, h).unwrap()
    }

    #[test]
    fn rfc8441_5_one_decision_for_both_versions_only_the_framing_differs() {
        let accept = || Accept::default().protocol("chat");
        let config = Config::default();
        let one = http1().answer(accept(), &config).unwrap();
        let two = http2().answer(accept(), &config).unwrap();
        assert_eq!((one.status(), two.status()), (101, 200));
        assert_eq!(one.negotiated(), two.negotiated());
        assert_eq!(one.deflate, two.deflate);
        assert_eq!(
            one.negotiated()
                .deflate()
                .map(ExtensionOffer::to_header_value),
            Some(
                "permessage-deflate; server_no_context_takeover; server_max_window_bits=12; \
                 client_max_window_bits=12"
                    .into()
            )
        );
        fn names(a: &Answer) -> Vec<&str> {
            a.headers().iter().map(|(n, _)| n).collect()
        }
        assert_eq!(
            names(&one),
            [
                "Upgrade",
                "Connection",
                "Sec-WebSocket-Accept",
                "Sec-WebSocket-Protocol",
                "Sec-WebSocket-Extensions"
            ]
        );
        assert_eq!(
            names(&two),
            ["Sec-WebSocket-Protocol", "Sec-WebSocket-Extensions"]
        );
        let mut out = Vec::new();
        two.write(&mut out);
        assert!(out.is_empty());
        one.write(&mut out);
        assert!(out.starts_with(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"));
    }

    #[test]
    fn compression_off_or_chosen_by_the_application_is_left_alone() {
        let off = Config::default().deflate(None);
        let a = http2().answer(Accept::default(), &off).unwrap();
        assert!(a.negotiated().extensions.is_empty() && a.deflate.is_none());
        let own = ExtensionOffer::new("permessage-deflate");
        let a = http2()
            .answer(Accept::default().extension(own.clone()), &Config::default())
            .unwrap();
        assert_eq!(
            (a.negotiated().extensions.as_slice(), a.deflate),
            (&[own][..], None)
        );
        let e = http2()
            .answer(Accept::default().protocol("other"), &Config::default())
            .unwrap_err();
        assert_eq!(e, HandshakeError::ProtocolNotOffered("other".into()));
    }
}
