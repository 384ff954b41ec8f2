//! A drop-in for axum's `WebSocketUpgrade` extractor (the `axum` feature): the same builder
//! (`protocols`, `max_message_size`, `on_failed_upgrade`, `on_upgrade`, ...), over HTTP/1.1
//! upgrades and HTTP/2 extended CONNECTs (RFC 8441) alike, handing the callback a tether
//! [`MessageSocket`] — with permessage-deflate, keepalive, partial messages, the byte-stream
//! facade, split halves and the hub.
//!
//! Migrating from `axum::extract::ws` is an import change plus the message type; see
//! `docs/axum.md`.
//!
//! ```no_run
//! use axum_core::response::Response;
//! use tether_tokio::axum::{WebSocket, WebSocketUpgrade};
//!
//! async fn handler(ws: WebSocketUpgrade) -> Response {
//!     ws.protocols(["chat"]).on_upgrade(handle_socket)
//! }
//!
//! async fn handle_socket(mut socket: WebSocket) {
//!     while let Ok(Some(message)) = socket.recv().await {
//!         if socket.send(message).await.is_err() {
//!             return; // client disconnected
//!         }
//!     }
//! }
//! // axum::Router::new().route("/ws", axum::routing::any(handler))
//! ```
//!
//! Over HTTP/2, the route must accept `CONNECT` (axum's `any`, or `get(..).connect(..)`) and
//! the server must enable the extended CONNECT: `axum::serve` does (with axum's `http2`
//! feature), as does [`http_server`](crate::http_server).

use std::borrow::Cow;
use std::future::Future;

use axum_core::body::Body;
use axum_core::extract::FromRequestParts;
use axum_core::response::{IntoResponse, Response};
use http::HeaderValue;
use http::request::Parts;
use hyper::upgrade::OnUpgrade;
use tether_proto::handshake::HandshakeError;
use tether_socket::{Accept, Config, Error, HttpVersion, Reject, Request, ServerConfig};

use crate::MessageSocket;
use crate::web::server::Upgrading;

pub use tether_socket::{CloseCode, CloseFrame, Message, MessageKind};

/// The socket an [`on_upgrade`](WebSocketUpgrade::on_upgrade) callback gets: tether's
/// [`MessageSocket`] (`recv` gives `Ok(None)` at a normal close; `close(code, reason)`
/// closes).
pub type WebSocket = MessageSocket;

/// Extractor for a WebSocket request: an HTTP/1.1 `GET` with `Upgrade: websocket`, or an
/// HTTP/2 `CONNECT` with `:protocol = websocket`. Checked as [`accept`](crate::accept) checks
/// a request (RFC 6455 §4.2.1, RFC 8441 §5); a request that fails gets the matching status
/// ([`WebSocketUpgradeRejection`]). Use it with `axum::routing::any` to serve both versions.
#[must_use]
pub struct WebSocketUpgrade<F = DefaultOnFailedUpgrade> {
    request: Request,
    on_upgrade: OnUpgrade,
    /// The subprotocol to answer with.
    protocol: Option<HeaderValue>,
    config: ServerConfig,
    on_failed_upgrade: F,
}

impl<F> std::fmt::Debug for WebSocketUpgrade<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebSocketUpgrade")
            .field("request", &self.request)
            .field("protocol", &self.protocol)
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl<F> WebSocketUpgrade<F> {
    /// Chooses the subprotocol: the first of `protocols` (most preferred first) that the
    /// client offered; none if the client offered none of them.
    pub fn protocols<I>(mut self, protocols: I) -> Self
    where
        I: IntoIterator,
        I::Item: Into<Cow<'static, str>>,
    {
        self.protocol = protocols
            .into_iter()
            .map(Into::into)
            .find(|p| self.request.protocols().iter().any(|o| o == p))
            .and_then(|p| HeaderValue::from_str(&p).ok());
        self
    }

    /// The subprotocols the client offered, in its order of preference.
    pub fn requested_protocols(&self) -> impl Iterator<Item = &str> {
        self.request.protocols().iter().map(String::as_str)
    }

    /// Chooses this subprotocol (it must be one the client offered: RFC 6455 §4.2.2; anything
    /// else makes the upgrade fail with 500). The last call of this or
    /// [`protocols`](Self::protocols) counts.
    pub fn set_selected_protocol(&mut self, protocol: HeaderValue) {
        self.protocol = Some(protocol);
    }

    /// The chosen subprotocol, if any.
    pub fn selected_protocol(&self) -> Option<&HeaderValue> {
        self.protocol.as_ref()
    }

    /// The largest message accepted (default 64 MiB); bigger ones close the connection with
    /// 1009.
    pub fn max_message_size(mut self, max: usize) -> Self {
        self.config.config.max_message_size = max as u64;
        self
    }

    /// The largest frame accepted (default 16 MiB).
    pub fn max_frame_size(mut self, max: usize) -> Self {
        self.config.config.max_frame_size = max as u64;
        self
    }

    /// How much each read asks the transport for (default 64 KiB).
    pub fn read_buffer_size(mut self, size: usize) -> Self {
        self.config.config.read_size = size;
        self
    }

    /// The most output queued for the transport before sends wait (and `try_send` fails):
    /// `Config::outbound_high_water`, default 1 MiB.
    pub fn max_write_buffer_size(mut self, max: usize) -> Self {
        self.config.config.outbound_high_water = max;
        self
    }

    /// Everything else tether has: limits, keepalive (`ping_interval`, default 30 s),
    /// compression (`deflate`, on by default), receive mode, timeouts.
    pub fn config(mut self, config: Config) -> Self {
        self.config.config = config;
        self
    }

    /// The request as checked: path, query, origin, headers, the offers.
    pub fn request(&self) -> &Request {
        &self.request
    }

    /// Which HTTP the request came over.
    pub fn http_version(&self) -> HttpVersion {
        self.request.version()
    }

    /// Calls `callback` with the error if the upgrade fails after the response was given
    /// (the connection was not handed over, the subprotocol chosen was not offered, ...).
    /// By default such errors are dropped.
    pub fn on_failed_upgrade<C: OnFailedUpgrade>(self, callback: C) -> WebSocketUpgrade<C> {
        WebSocketUpgrade {
            request: self.request,
            on_upgrade: self.on_upgrade,
            protocol: self.protocol,
            config: self.config,
            on_failed_upgrade: callback,
        }
    }

    /// Answers the request — 101 over HTTP/1.1, 200 over HTTP/2, with the subprotocol chosen
    /// and permessage-deflate negotiated as [`config`](Self::config) says — and, once the
    /// connection or stream is handed over, runs `callback` with the socket on a task of its
    /// own. Return the response from the handler.
    #[must_use = "to set up the WebSocket connection, this response must be returned"]
    pub fn on_upgrade<C, Fut>(self, callback: C) -> Response
    where
        C: FnOnce(WebSocket) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
        F: OnFailedUpgrade,
    {
        let mut accept = Accept::default();
        if let Some(p) = &self.protocol {
            match p.to_str() {
                Ok(p) => accept = accept.protocol(p),
                Err(_) => {
                    self.on_failed_upgrade
                        .call(Error::InvalidInput("the subprotocol is not text".into()));
                    return reject_response(&Reject::new(500));
                }
            }
        }
        let answer = match self.request.answer(accept, &self.config.config) {
            Ok(answer) => answer,
            Err(e) => {
                let reject = e.rejection().unwrap_or_else(|| Reject::new(500));
                self.on_failed_upgrade.call(Error::Handshake {
                    peer: "the client".into(),
                    source: e,
                });
                return reject_response(&reject);
            }
        };
        let Ok(head) = answer.to_http() else {
            return reject_response(&Reject::new(500));
        };
        let version = self.request.version();
        let upgrading = Upgrading::new(
            self.on_upgrade,
            self.request,
            answer.into_negotiated(),
            self.config,
            version,
        );
        let on_failed_upgrade = self.on_failed_upgrade;
        tokio::spawn(async move {
            match upgrading.await {
                Ok(socket) => callback(socket).await,
                Err(e) => on_failed_upgrade.call(e),
            }
        });
        head.map(|()| Body::empty())
    }
}

fn reject_response(reject: &Reject) -> Response {
    reject.to_http().map(Body::from)
}

impl<S: Send + Sync> FromRequestParts<S> for WebSocketUpgrade<DefaultOnFailedUpgrade> {
    type Rejection = WebSocketUpgradeRejection;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let protocol = parts
            .extensions
            .get::<hyper::ext::Protocol>()
            .map(hyper::ext::Protocol::as_str);
        let request = Request::from_http_parts(parts, protocol).map_err(|e| {
            let reject = e.rejection().unwrap_or_else(|| Reject::new(400));
            WebSocketUpgradeRejection {
                reject,
                error: Some(e),
            }
        })?;
        let Some(on_upgrade) = parts.extensions.remove::<OnUpgrade>() else {
            // axum's answer too: the server does not hand connections over.
            return Err(WebSocketUpgradeRejection {
                reject: Reject::new(426)
                    .body("the connection cannot be upgraded (served without upgrades)\n"),
                error: None,
            });
        };
        Ok(Self {
            request,
            on_upgrade,
            protocol: None,
            config: ServerConfig::default(),
            on_failed_upgrade: DefaultOnFailedUpgrade,
        })
    }
}

/// Why a request is no WebSocket request this extractor can take: it answers with the status
/// RFC 6455 / RFC 8441 call for (400, 405 with `Allow`, 426 with `Sec-WebSocket-Version: 13`,
/// ...) and a body saying why.
#[derive(Debug)]
pub struct WebSocketUpgradeRejection {
    reject: Reject,
    error: Option<HandshakeError>,
}

impl WebSocketUpgradeRejection {
    /// The status answered.
    pub fn status(&self) -> u16 {
        self.reject.status()
    }

    /// What the check found, when it was the request (not the server) that failed.
    pub fn error(&self) -> Option<&HandshakeError> {
        self.error.as_ref()
    }
}

impl std::fmt::Display for WebSocketUpgradeRejection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.error {
            Some(e) => write!(f, "{e}"),
            None => f.write_str(&String::from_utf8_lossy(self.reject.body_bytes())),
        }
    }
}

impl std::error::Error for WebSocketUpgradeRejection {}

impl IntoResponse for WebSocketUpgradeRejection {
    fn into_response(self) -> Response {
        reject_response(&self.reject)
    }
}

/// What to do when an upgrade fails after the response was given (see
/// [`WebSocketUpgrade::on_failed_upgrade`]).
pub trait OnFailedUpgrade: Send + 'static {
    /// Called with the error.
    fn call(self, error: Error);
}

impl<F: FnOnce(Error) + Send + 'static> OnFailedUpgrade for F {
    fn call(self, error: Error) {
        self(error);
    }
}

/// The default [`OnFailedUpgrade`]: drops the error.
#[non_exhaustive]
#[derive(Debug)]
pub struct DefaultOnFailedUpgrade;

impl OnFailedUpgrade for DefaultOnFailedUpgrade {
    fn call(self, _error: Error) {}
}
