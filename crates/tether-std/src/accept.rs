//! The server side: take a connected stream, read the upgrade request, accept or reject.

use std::sync::Arc;
use std::time::Instant as StdInstant;

use tether_net::{Error, SocketConfig};
use tether_proto::handshake::{Accept, Reject, Request};
use tether_proto::{Config, Connection, Instant, OsEntropy};

use crate::handle::Handle;
use crate::shared::Shared;
use crate::{MessageSocket, StreamSocket, Transport};

/// Accepts a WebSocket upgrade on `stream` with default settings, no subprotocol.
///
/// ```no_run
/// use std::net::TcpListener;
///
/// let listener = TcpListener::bind("127.0.0.1:9001")?;
/// for stream in listener.incoming() {
///     let mut ws = tether_std::accept(stream?)?;
///     while let Some(message) = ws.recv()? {
///         ws.send_message(&message)?;
///     }
/// }
/// # Ok::<(), tether_std::Error>(())
/// ```
///
/// # Errors
///
/// The request is not a valid upgrade (answered with 400/426/... and then
/// [`Error::Handshake`]), the handshake timed out, or the transport failed.
pub fn accept<S: Transport>(stream: S) -> Result<MessageSocket<S>, Error> {
    accept_with(stream, &SocketConfig::default(), |_| Ok(Accept::default()))
}

/// Accepts a WebSocket upgrade on `stream`: `on_request` inspects the request (path, headers,
/// offered subprotocols, credentials) and accepts it, choosing a subprotocol, or rejects it
/// with any HTTP status.
///
/// ```no_run
/// use tether_std::{accept_with, Accept, Reject, SocketConfig};
///
/// # let stream = std::net::TcpStream::connect("127.0.0.1:1")?;
/// let ws = accept_with(stream, &SocketConfig::default(), |req| {
///     if req.path() != "/chat" {
///         return Err(Reject::new(404));
///     }
///     Ok(match req.protocols().iter().find(|p| *p == "chat.v2") {
///         Some(p) => Accept::default().protocol(p.clone()),
///         None => Accept::default(),
///     })
/// })?;
/// # Ok::<(), tether_std::Error>(())
/// ```
///
/// # Errors
///
/// As [`accept`], and [`Error::Refused`] when `on_request` rejected the request (the answer
/// was sent).
pub fn accept_with<S, F>(
    stream: S,
    config: &SocketConfig,
    on_request: F,
) -> Result<MessageSocket<S>, Error>
where
    S: Transport,
    F: FnOnce(&Request) -> Result<Accept, Reject>,
{
    let handle = server(stream, None, config, config.proto_config(), on_request)?;
    Ok(MessageSocket::from_handle(handle, config))
}

/// As [`accept_with`], returning a stream socket.
///
/// # Errors
///
/// As [`accept_with`].
pub fn accept_stream_with<S, F>(
    stream: S,
    config: &SocketConfig,
    on_request: F,
) -> Result<StreamSocket<S>, Error>
where
    S: Transport,
    F: FnOnce(&Request) -> Result<Accept, Reject>,
{
    let handle = server(
        stream,
        None,
        config,
        config.stream_proto_config(),
        on_request,
    )?;
    Ok(StreamSocket::from_handle(handle))
}

/// As [`accept_with`], over TLS (`wss://`) with this rustls server config (see
/// [`tls::server_config_pem`](crate::tls::server_config_pem)).
///
/// # Errors
///
/// As [`accept_with`], and [`Error::Tls`] when the TLS handshake fails.
pub fn accept_tls_with<S, F>(
    stream: S,
    tls: Arc<rustls::ServerConfig>,
    config: &SocketConfig,
    on_request: F,
) -> Result<MessageSocket<S>, Error>
where
    S: Transport,
    F: FnOnce(&Request) -> Result<Accept, Reject>,
{
    let handle = server(stream, Some(tls), config, config.proto_config(), on_request)?;
    Ok(MessageSocket::from_handle(handle, config))
}

fn server<S, F>(
    stream: S,
    tls: Option<Arc<rustls::ServerConfig>>,
    config: &SocketConfig,
    proto: Config,
    on_request: F,
) -> Result<Handle<S>, Error>
where
    S: Transport,
    F: FnOnce(&Request) -> Result<Accept, Reject>,
{
    let _ = stream.set_nodelay(config.no_delay);
    let tls = match tls {
        Some(c) => Some(rustls::Connection::Server(rustls::ServerConnection::new(
            c,
        )?)),
        None => None,
    };
    let origin = StdInstant::now();
    let conn = Connection::server(proto, OsEntropy::new(), Instant::ZERO);
    let mut handle = Handle::new(Shared::new(conn, tls, stream, origin, config)?);
    handle.handshake(on_request)?;
    Ok(handle)
}
