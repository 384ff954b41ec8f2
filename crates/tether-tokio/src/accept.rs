//! The server side: take a connected transport, TLS if configured, read the upgrade request,
//! decide, answer.

use std::any::Any;
use std::net::SocketAddr;

use tether_proto::connection::Negotiated;
use tether_proto::{Instant, Role};
use tether_socket::{Error, HttpVersion, ServerConfig, Session};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio::time::Instant as TokioInstant;

use crate::connect::{handshake, within};
use crate::driver::Driver;
use crate::handle::Handle;
use crate::tls_stream::TlsStream;
use crate::{MessageSocket, Transport};

/// Accepts a WebSocket upgrade on `io` (a `TcpStream`, a Unix socket, an in-memory pipe, ...):
/// TLS first when [`ServerConfig::tls`] is set, then the request is read and decided —
/// by [`ServerConfig::on_request`], or accepted with the first subprotocol both sides speak —
/// all within the handshake timeout. A `TcpStream` gets `TCP_NODELAY` as the config says, and
/// the socket's [`info`](MessageSocket::info) reports its addresses.
///
/// ```no_run
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// use tether_tokio::{Reject, ServerConfig};
///
/// let config = ServerConfig::default().on_request(|req| {
///     if req.path() == "/chat" { Ok(Default::default()) } else { Err(Reject::new(404)) }
/// });
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:9001").await?;
/// loop {
///     let (tcp, _) = listener.accept().await?;
///     let config = config.clone();
///     tokio::spawn(async move {
///         let mut ws = tether_tokio::accept(tcp, &config).await?;
///         while let Some(message) = ws.recv().await? {
///             ws.send(message).await?; // echo
///         }
///         Ok::<_, tether_tokio::Error>(())
///     });
/// }
/// # }
/// ```
///
/// # Errors
///
/// [`Error::Refused`] when the decision refused (the answer was sent), [`Error::Handshake`]
/// for a request that is no valid upgrade (answered with 400/426/431), [`Error::Tls`],
/// [`Error::Timeout`], [`Error::Io`].
pub async fn accept<S>(io: S, config: &ServerConfig) -> Result<MessageSocket, Error>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (local, peer) = tcp_addrs(&io, config.no_delay);
    // The handshake (TLS, the request, the timer) runs in a box of its own, freed when it
    // ends: the caller's task, which lives as long as the connection, keeps only the socket.
    let upgrade = async {
        let tls = config.tls.is_some();
        let io: Box<dyn Transport> = match &config.tls {
            Some(tls) => {
                let name = peer.map_or_else(|| "the client".to_owned(), |p| p.to_string());
                let stream = TlsStream::accept(io, tls.clone())
                    .await
                    .map_err(|e| Error::from_io(e, &name))?;
                Box::new(stream)
            }
            None => Box::new(io),
        };
        let origin = TokioInstant::now();
        let mut session = Session::server(Instant::ZERO, config, peer);
        session.set_addrs(local, peer, tls);
        let mut driver = Driver::new(session, io, origin);
        driver.read_timeout = config.read_timeout;
        driver.write_timeout = config.write_timeout;
        handshake(&mut driver).await?;
        Ok(driver)
    };
    let driver = Box::pin(within(config.config.handshake_timeout, upgrade)).await?;
    Ok(MessageSocket::new(Handle::spawn(driver)))
}

/// A server socket over a connection (or HTTP/2 stream) whose upgrade another HTTP server
/// already answered (hyper's `hyper::upgrade::on`, wrapped in `hyper_util::rt::TokioIo`):
/// `negotiated` is what its response settled ([`Answer::into_negotiated`]). It starts open;
/// compression is on when `negotiated` holds a permessage-deflate answer. Call it on a tokio
/// runtime (the socket spawns its keeper). With the `hyper` feature, `upgrade` does all of
/// this, for HTTP/1.1 and HTTP/2 requests alike.
///
/// [`Answer::into_negotiated`]: crate::Answer::into_negotiated
pub fn take_over<S>(io: S, negotiated: Negotiated, config: &ServerConfig) -> MessageSocket
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    take_over_with(Box::new(io), negotiated, config, Carrier::default())
}

/// What carries a socket whose handshake another HTTP server did, for its
/// [`ConnectionInfo`](crate::ConnectionInfo).
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Carrier {
    pub(crate) local: Option<SocketAddr>,
    pub(crate) peer: Option<SocketAddr>,
    pub(crate) tls: bool,
    pub(crate) http_version: HttpVersion,
}

/// [`take_over`], saying what carries the socket.
pub(crate) fn take_over_with(
    io: Box<dyn Transport>,
    negotiated: Negotiated,
    config: &ServerConfig,
    carrier: Carrier,
) -> MessageSocket {
    let mut session = Session::open(
        Instant::ZERO,
        Role::Server,
        negotiated,
        config.config.clone(),
    );
    session.set_addrs(carrier.local, carrier.peer, carrier.tls);
    session.set_http_version(carrier.http_version);
    let mut driver = Driver::new(session, io, TokioInstant::now());
    driver.read_timeout = config.read_timeout;
    driver.write_timeout = config.write_timeout;
    MessageSocket::new(Handle::spawn(driver))
}

/// The addresses of a `TcpStream` (any other transport is the caller's to describe), with
/// `TCP_NODELAY` set as asked.
fn tcp_addrs<S: Any>(io: &S, no_delay: bool) -> (Option<SocketAddr>, Option<SocketAddr>) {
    let any: &dyn Any = io;
    match any.downcast_ref::<TcpStream>() {
        Some(tcp) => {
            let _ = tcp.set_nodelay(no_delay);
            (tcp.local_addr().ok(), tcp.peer_addr().ok())
        }
        None => (None, None),
    }
}
