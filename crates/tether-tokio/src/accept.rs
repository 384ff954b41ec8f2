//! The server side: take a connected stream, read the upgrade request, accept or reject.

use std::any::Any;
use std::sync::Arc;

use tether_net::{Error, SocketConfig, TimeoutKind};
use tether_proto::handshake::{Accept, Reject, Request};
use tether_proto::{Config, Connection, Instant, OsEntropy};
use tokio::net::TcpStream;
use tokio::time::{Instant as TokioInstant, timeout};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;

use crate::driver::{Addrs, Driver};
use crate::error::from_io;
use crate::{MessageSocket, StreamSocket, Transport};

/// Accepts a WebSocket upgrade on `stream` with default settings, no subprotocol.
///
/// Turn Nagle's algorithm off on a `TcpStream` first (`set_nodelay(true)`), as
/// [`SocketConfig::no_delay`] asks: the stream is any [`Transport`], so it is the caller's.
///
/// ```no_run
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:9001").await?;
/// loop {
///     let (tcp, _) = listener.accept().await?;
///     tcp.set_nodelay(true)?;
///     tokio::spawn(async move {
///         let mut ws = tether_tokio::accept(tcp).await?;
///         while let Some(message) = ws.recv().await? {
///             ws.send_message(&message).await?;
///         }
///         Ok::<_, tether_tokio::Error>(())
///     });
/// }
/// # }
/// ```
///
/// # Errors
///
/// The request is not a valid upgrade (answered with 400/426/... and then
/// [`Error::Handshake`]), the handshake timed out, or the transport failed.
pub async fn accept<S: Transport + 'static>(stream: S) -> Result<MessageSocket<S>, Error> {
    accept_with(stream, &SocketConfig::default(), |_| Ok(Accept::default())).await
}

/// Accepts a WebSocket upgrade on `stream`: `on_request` inspects the request (path, headers,
/// offered subprotocols, credentials) and accepts it, choosing a subprotocol, or rejects it
/// with any HTTP status. The socket's [`info`](MessageSocket::info) reports both addresses
/// when `stream` is a `TcpStream` (or TLS over one, with [`accept_tls_with`]).
///
/// ```no_run
/// use tether_tokio::{accept_with, Accept, Reject, SocketConfig};
///
/// # async fn run(tcp: tokio::net::TcpStream) -> Result<(), tether_tokio::Error> {
/// let ws = accept_with(tcp, &SocketConfig::default(), |req| {
///     if req.path() != "/chat" {
///         return Err(Reject::new(404));
///     }
///     Ok(match req.protocols().iter().find(|p| *p == "chat.v2") {
///         Some(p) => Accept::default().protocol(p.clone()),
///         None => Accept::default(),
///     })
/// })
/// .await?;
/// # Ok(()) }
/// ```
///
/// # Errors
///
/// As [`accept`], and [`Error::Refused`] when `on_request` rejected the request (the answer
/// was sent).
pub async fn accept_with<S, F>(
    stream: S,
    config: &SocketConfig,
    on_request: F,
) -> Result<MessageSocket<S>, Error>
where
    S: Transport + 'static,
    F: FnOnce(&Request) -> Result<Accept, Reject>,
{
    let driver = server(stream, false, config, config.proto_config(), on_request).await?;
    Ok(MessageSocket::from_driver(driver, config))
}

/// As [`accept_with`], returning a stream socket.
///
/// # Errors
///
/// As [`accept_with`].
pub async fn accept_stream_with<S, F>(
    stream: S,
    config: &SocketConfig,
    on_request: F,
) -> Result<StreamSocket<S>, Error>
where
    S: Transport + 'static,
    F: FnOnce(&Request) -> Result<Accept, Reject>,
{
    let driver = server(
        stream,
        false,
        config,
        config.stream_proto_config(),
        on_request,
    )
    .await?;
    Ok(StreamSocket::from_driver(driver))
}

/// As [`accept_with`], over TLS (`wss://`) with this rustls server config (see
/// [`tls::server_config_pem`](crate::tls::server_config_pem)). The TLS handshake counts
/// against the handshake timeout.
///
/// # Errors
///
/// As [`accept_with`], and [`Error::Tls`] when the TLS handshake fails.
pub async fn accept_tls_with<S, F>(
    stream: S,
    tls: Arc<rustls::ServerConfig>,
    config: &SocketConfig,
    on_request: F,
) -> Result<MessageSocket<TlsStream<S>>, Error>
where
    S: Transport + 'static,
    F: FnOnce(&Request) -> Result<Accept, Reject>,
{
    let handshake = TlsAcceptor::from(tls).accept(stream);
    let stream = match config.handshake_timeout {
        Some(t) => timeout(t, handshake)
            .await
            .map_err(|_| Error::Timeout(TimeoutKind::Handshake))?,
        None => handshake.await,
    }
    .map_err(from_io)?;
    let driver = server(stream, true, config, config.proto_config(), on_request).await?;
    Ok(MessageSocket::from_driver(driver, config))
}

async fn server<S, F>(
    stream: S,
    tls: bool,
    config: &SocketConfig,
    proto: Config,
    on_request: F,
) -> Result<Driver<S>, Error>
where
    S: Transport + 'static,
    F: FnOnce(&Request) -> Result<Accept, Reject>,
{
    let origin = TokioInstant::now();
    let conn = Connection::server(proto, OsEntropy::new(), Instant::ZERO);
    let addrs = addrs_of(&stream, tls);
    let mut driver = Driver::new(conn, stream, origin, config, addrs);
    driver.handshake(on_request).await?;
    Ok(driver)
}

/// Where `stream` runs, when it is a `TcpStream` or TLS over one (any other transport is the
/// caller's to describe).
fn addrs_of<S: Any>(stream: &S, tls: bool) -> Addrs {
    let any: &dyn Any = stream;
    let tcp = any.downcast_ref::<TcpStream>().or_else(|| {
        any.downcast_ref::<TlsStream<TcpStream>>()
            .map(|s| s.get_ref().0)
    });
    Addrs {
        local: tcp.and_then(|t| t.local_addr().ok()),
        peer: tcp.and_then(|t| t.peer_addr().ok()),
        tls,
    }
}
