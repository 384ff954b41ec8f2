//! hyper on the server: answering a WebSocket request hyper parsed — an HTTP/1.1 upgrade or an
//! HTTP/2 extended CONNECT (RFC 8441) — with the same decision [`accept`](crate::accept) makes,
//! and serving connections that carry both.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};

use http_body_util::Full;
use hyper::upgrade::OnUpgrade;
use hyper_util::rt::TokioExecutor;
use hyper_util::server::conn::auto;
use tether_proto::connection::Negotiated;
use tether_socket::{Bytes, Error, HttpVersion, Reject, Request, ServerConfig};

use super::io::Upgraded;
use crate::MessageSocket;
use crate::accept::{Carrier, take_over_with};

/// The body of the responses [`upgrade`] gives.
pub type ResponseBody = Full<Bytes>;

/// hyper-util's server builder, set up for WebSockets over both HTTP versions: each connection
/// speaks HTTP/1.1 or HTTP/2 as the client does (HTTP/2 with prior knowledge — h2c — on plain
/// TCP, or after TLS picked `h2` by ALPN), and HTTP/2 advertises the extended CONNECT
/// (`SETTINGS_ENABLE_CONNECT_PROTOCOL`, RFC 8441 §3). Serve each connection with
/// `serve_connection_with_upgrades`, and answer WebSocket requests with [`upgrade`].
///
/// For TLS, let the rustls server config offer both protocols:
/// `config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()]`.
///
/// ```no_run
/// # async fn run() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
/// use hyper_util::rt::TokioIo;
/// use tether_tokio::ServerConfig;
///
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:9001").await?;
/// loop {
///     let (tcp, _) = listener.accept().await?;
///     tokio::spawn(async move {
///         let service = hyper::service::service_fn(|mut req| async move {
///             let config = ServerConfig::default();
///             Ok::<_, std::convert::Infallible>(match tether_tokio::upgrade(&mut req, &config) {
///                 Ok((response, upgrading)) => {
///                     tokio::spawn(async move {
///                         let Ok(mut ws) = upgrading.await else { return };
///                         while let Ok(Some(message)) = ws.recv().await {
///                             if ws.send(message).await.is_err() { break }
///                         }
///                     });
///                     response
///                 }
///                 Err(refusal) => refusal,
///             })
///         });
///         let _ = tether_tokio::http_server()
///             .serve_connection_with_upgrades(TokioIo::new(tcp), service)
///             .await;
///     });
/// }
/// # }
/// ```
pub fn http_server() -> auto::Builder<TokioExecutor> {
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http2()
        .enable_connect_protocol()
        .initial_stream_window_size(super::STREAM_WINDOW)
        .initial_connection_window_size(super::CONNECTION_WINDOW);
    builder
}

/// Whether `req` asks for a WebSocket: over HTTP/1.1 a request with `Upgrade: websocket`, over
/// HTTP/2 a `CONNECT` with `:protocol = websocket`. (Whether it is a *valid* one is
/// [`upgrade`]'s to say.)
pub fn is_upgrade_request<B>(req: &http::Request<B>) -> bool {
    if req.version() >= http::Version::HTTP_2 {
        return req.method() == http::Method::CONNECT
            && protocol_of(req).is_some_and(|p| p.eq_ignore_ascii_case("websocket"));
    }
    req.headers()
        .get_all(http::header::UPGRADE)
        .iter()
        .flat_map(|v| v.as_bytes().split(|&b| b == b','))
        .any(|token| token.trim_ascii().eq_ignore_ascii_case(b"websocket"))
}

fn protocol_of<B>(req: &http::Request<B>) -> Option<&str> {
    req.extensions()
        .get::<hyper::ext::Protocol>()
        .map(hyper::ext::Protocol::as_str)
}

/// Answers a WebSocket request that hyper parsed, over HTTP/1.1 (an upgrade, answered with
/// 101) or HTTP/2 (an extended CONNECT, answered with 200), as `config` decides — exactly as
/// [`accept`](crate::accept) does for a connection it reads itself: the request is checked,
/// [`ServerConfig::on_request`] (or the first common subprotocol) decides, and
/// permessage-deflate is negotiated from [`ServerConfig::config`].
///
/// `Ok` holds the accepting response, to return to hyper, and the socket to come: spawn a task
/// that awaits [`Upgrading`] (hyper hands the connection or stream over once the response went
/// out). `Err` holds the refusal to return instead (400 for a malformed request, 405, 426 with
/// `Sec-WebSocket-Version: 13`, the decision's own status, ...).
///
/// The connection must be served with upgrades enabled (hyper-util's
/// `serve_connection_with_upgrades`, or [`http_server`]); over HTTP/2 its server must enable
/// the extended CONNECT ([`http_server`] does).
///
/// # Errors
///
/// The refusal, as said.
#[allow(clippy::result_large_err)]
pub fn upgrade<B>(
    req: &mut http::Request<B>,
    config: &ServerConfig,
) -> Result<(http::Response<ResponseBody>, Upgrading), http::Response<ResponseBody>> {
    let checked = if req.version() >= http::Version::HTTP_2 {
        Request::from_http2(req, protocol_of(req))
    } else {
        Request::from_http(req)
    };
    let request =
        checked.map_err(|e| refusal(&e.rejection().unwrap_or_else(|| Reject::new(400))))?;
    if req.extensions().get::<OnUpgrade>().is_none() {
        return Err(refusal(&Reject::new(500).body(
            "this connection cannot be handed over: serve it with upgrades enabled\n",
        )));
    }
    let answer = config.answer(&request).map_err(|r| refusal(&r))?;
    let response = answer
        .to_http()
        .map_err(|_| refusal(&Reject::new(500)))?
        .map(|()| ResponseBody::default());
    let version = request.version();
    let upgrading = Upgrading::new(
        hyper::upgrade::on(req),
        request,
        answer.into_negotiated(),
        config.clone(),
        version,
    );
    Ok((response, upgrading))
}

pub(crate) fn refusal(reject: &Reject) -> http::Response<ResponseBody> {
    reject
        .to_http()
        .map(|body| ResponseBody::new(Bytes::from(body)))
}

/// A WebSocket [`upgrade`] accepted, until hyper hands its connection (HTTP/1.1) or stream
/// (HTTP/2) over: await it for the [`MessageSocket`], after the response went back to hyper.
#[must_use = "the socket comes when the Upgrading is awaited"]
pub struct Upgrading {
    on_upgrade: OnUpgrade,
    request: Request,
    negotiated: Option<Negotiated>,
    config: ServerConfig,
    carrier: Carrier,
}

impl Upgrading {
    /// The socket to come on `on_upgrade` once hyper hands it over.
    pub(crate) fn new(
        on_upgrade: OnUpgrade,
        request: Request,
        negotiated: Negotiated,
        config: ServerConfig,
        http_version: HttpVersion,
    ) -> Self {
        Self {
            on_upgrade,
            request,
            negotiated: Some(negotiated),
            config,
            carrier: Carrier {
                http_version,
                ..Carrier::default()
            },
        }
    }

    /// The request as checked: path, query, origin, headers, the subprotocols offered.
    pub fn request(&self) -> &Request {
        &self.request
    }

    /// What the answer settled: subprotocol and extensions.
    pub fn negotiated(&self) -> Option<&Negotiated> {
        self.negotiated.as_ref()
    }

    /// Which HTTP carries the socket.
    pub fn http_version(&self) -> HttpVersion {
        self.carrier.http_version
    }

    /// Records the addresses and TLS of the connection the request came on, for the socket's
    /// [`info`](MessageSocket::info) (hyper does not know them).
    pub fn set_addrs(&mut self, local: Option<SocketAddr>, peer: Option<SocketAddr>, tls: bool) {
        self.carrier.local = local;
        self.carrier.peer = peer;
        self.carrier.tls = tls;
    }
}

impl std::fmt::Debug for Upgrading {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Upgrading")
            .field("path", &self.request.path())
            .field("http_version", &self.carrier.http_version)
            .field("negotiated", &self.negotiated)
            .finish_non_exhaustive()
    }
}

impl Future for Upgrading {
    type Output = Result<MessageSocket, Error>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let upgraded = match Pin::new(&mut self.on_upgrade).poll(cx) {
            Poll::Pending => return Poll::Pending,
            Poll::Ready(Err(e)) => return Poll::Ready(Err(Error::from(std::io::Error::other(e)))),
            Poll::Ready(Ok(upgraded)) => upgraded,
        };
        let negotiated = self.negotiated.take().unwrap_or_default();
        Poll::Ready(Ok(take_over_with(
            Box::new(Upgraded::new(upgraded)),
            negotiated,
            &self.config,
            self.carrier,
        )))
    }
}
