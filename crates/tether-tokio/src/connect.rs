//! The client side: resolve, connect (through a proxy, if any), TLS, upgrade — the plan is the
//! socket layer's [`Dial`]; this file only waits.

use std::future::{Future, poll_fn};
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use tether_proto::Instant;
use tether_socket::{
    ClientConfig, Dial, Error, HttpMode, MAX_ADDRESSES, Session, TimeoutKind, TlsLayer, tls,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::{Instant as TokioInstant, timeout, timeout_at};

use crate::driver::Driver;
use crate::handle::Handle;
use crate::tls_stream::TlsStream;
use crate::{MessageSocket, Transport};

/// Connects to a `ws://` or `wss://` URL and returns a message socket
/// ([`into_stream`](MessageSocket::into_stream) for a stream socket).
///
/// The URL is read first, so a bad one fails before any network work. Then up to five resolved
/// addresses are tried in turn within the connect timeout; the proxy tunnel, TLS (rustls with
/// the `ring` provider, nothing to set up first) and the upgrade run within the handshake
/// timeout. Dropping the future cancels cleanly at any point.
///
/// ```no_run
/// # async fn run() -> Result<(), tether_tokio::Error> {
/// use std::time::Duration;
/// use tether_tokio::{ClientConfig, Credentials};
///
/// let config = ClientConfig::default()
///     .protocols(["chat.v2"])
///     .credentials(Credentials::new("alice", "s3cret"))
///     .connect_timeout(Some(Duration::from_secs(5)));
/// let ws = tether_tokio::connect("ws://127.0.0.1:9001/chat", &config).await?;
/// println!("talking {:?}", ws.info().negotiated.protocol);
/// # Ok(()) }
/// ```
///
/// # Errors
///
/// [`Error::InvalidUrl`], [`Error::HostNotResolved`], [`Error::CannotConnect`] (with the
/// address), [`Error::Timeout`], [`Error::ProxyAuthRequired`] / [`Error::ProxyRefused`],
/// [`Error::Tls`] (with a hint for `wss://` to a plain server or an unknown CA),
/// [`Error::ServerRefused`] (401, 404, ... with the URL), [`Error::Handshake`]; over HTTP/2,
/// [`Error::Http2Unsupported`].
///
/// # HTTP/2
///
/// [`ClientConfig::http`] says which HTTP carries the WebSocket: HTTP/1.1 (the default), HTTP/2
/// (RFC 8441: an extended CONNECT on a new HTTP/2 connection — `h2` by ALPN for `wss://`,
/// prior knowledge for `ws://`), or [`HttpMode::Auto`] (HTTP/2 when the server's TLS picks `h2`
/// and its SETTINGS enable the extended CONNECT, else HTTP/1.1). HTTP/2 needs the `hyper`
/// feature. To open several WebSockets on one HTTP/2 connection, use `Http2Connection`.
pub async fn connect(url: &str, config: &ClientConfig) -> Result<MessageSocket, Error> {
    // The whole dial and handshake run in a box of their own, freed when they end: the
    // caller's task, which lives as long as the connection, keeps only the socket.
    Box::pin(dial(url, config)).await
}

/// Everything [`connect`] does.
async fn dial(url: &str, config: &ClientConfig) -> Result<MessageSocket, Error> {
    let dial = Dial::new(url, config)?;
    match dial.http {
        HttpMode::Http1 => connect_http1(&dial, config).await,
        #[cfg(feature = "hyper")]
        _ => crate::web::client::connect(dial, config).await,
        #[cfg(not(feature = "hyper"))]
        HttpMode::Http2 => Err(Error::InvalidInput(
            "WebSocket over HTTP/2 (HttpMode::Http2) needs tether-tokio's `hyper` feature".into(),
        )),
        #[cfg(not(feature = "hyper"))]
        _ => connect_http1(&dial, config).await,
    }
}

/// [`connect`] over HTTP/1.1, whatever `dial.http` says.
pub(crate) async fn connect_http1(
    dial: &Dial,
    config: &ClientConfig,
) -> Result<MessageSocket, Error> {
    let (tcp, local, peer) = dial_tcp(dial, config).await?;
    let upgrade = async {
        let (io, leftover, _) = tunnel_and_tls(tcp, dial, config, Vec::new()).await?;
        upgrade_http1(io, leftover, dial, config, (local, peer)).await
    };
    let driver = within(config.config.handshake_timeout, upgrade).await?;
    Ok(MessageSocket::new(Handle::spawn(driver)))
}

/// The TCP connection to the first hop (the proxy or the server), with its addresses.
pub(crate) async fn dial_tcp(
    dial: &Dial,
    config: &ClientConfig,
) -> Result<(TcpStream, Option<SocketAddr>, Option<SocketAddr>), Error> {
    let (host, port) = dial.first_hop();
    let tcp = open_tcp(&host, port, config.connect_timeout).await?;
    tcp.set_nodelay(config.no_delay)?;
    let (local, peer) = (tcp.local_addr().ok(), tcp.peer_addr().ok());
    Ok((tcp, local, peer))
}

/// The HTTP/1.1 upgrade on a transport that is set up (tunnel and TLS done); `leftover` are
/// bytes that followed the proxy's answer.
pub(crate) async fn upgrade_http1(
    io: Box<dyn Transport>,
    leftover: Vec<u8>,
    dial: &Dial,
    config: &ClientConfig,
    (local, peer): (Option<SocketAddr>, Option<SocketAddr>),
) -> Result<Driver, Error> {
    let origin = TokioInstant::now();
    let mut session = Session::client(Instant::ZERO, &dial.target, config)?;
    session.set_addrs(local, peer, dial.target.is_tls());
    if !leftover.is_empty() {
        session.feed(Instant::ZERO, &leftover);
    }
    let mut driver = Driver::new(session, io, origin);
    driver.read_timeout = config.read_timeout;
    driver.write_timeout = config.write_timeout;
    handshake(&mut driver).await?;
    Ok(driver)
}

/// Runs `f` within `limit`, a handshake timeout.
pub(crate) async fn within<T>(
    limit: Option<Duration>,
    f: impl Future<Output = Result<T, Error>>,
) -> Result<T, Error> {
    match limit {
        Some(t) => timeout(t, f)
            .await
            .map_err(|_| Error::Timeout(TimeoutKind::Handshake))?,
        None => f.await,
    }
}

/// Drives the opening handshake to its end. A refusal is written out before the error returns.
pub(crate) async fn handshake(driver: &mut Driver) -> Result<(), Error> {
    let mut failure = None;
    poll_fn(|cx| {
        let written = driver.poll_io(cx);
        if failure.is_none() {
            match driver.session.handshake_result() {
                Some(Ok(())) => return Poll::Ready(Ok(())),
                Some(Err(e)) => failure = Some(e),
                None => return Poll::Pending,
            }
        }
        // Failed: the refusal (or the failure's answer) goes out before giving up.
        if written.is_err() || driver.is_flushed() || driver.session.is_shut_down() {
            return Poll::Ready(Err(failure.take().unwrap_or_else(Error::abnormal)));
        }
        Poll::Pending
    })
    .await
}

/// Resolves `host` and tries its first addresses in turn, each within its share of `limit`.
async fn open_tcp(host: &str, port: u16, limit: Option<Duration>) -> Result<TcpStream, Error> {
    let deadline = limit.and_then(|t| TokioInstant::now().checked_add(t));
    let not_resolved = |source| Error::HostNotResolved {
        host: host.to_owned(),
        source,
    };
    let lookup = tokio::net::lookup_host((host, port));
    let found = match deadline {
        Some(d) => timeout_at(d, lookup)
            .await
            .map_err(|_| Error::Timeout(TimeoutKind::Connect))?,
        None => lookup.await,
    };
    let addrs: Vec<SocketAddr> = found.map_err(not_resolved)?.take(MAX_ADDRESSES).collect();
    if addrs.is_empty() {
        return Err(not_resolved(io::Error::new(
            io::ErrorKind::NotFound,
            "the name has no addresses",
        )));
    }
    let share = Dial::attempt_timeout(limit, addrs.len());
    let mut last = None;
    for addr in &addrs {
        let attempt = share.and_then(|s| TokioInstant::now().checked_add(s));
        let end = [deadline, attempt].into_iter().flatten().min();
        let result = match end {
            Some(end) => timeout_at(end, TcpStream::connect(addr))
                .await
                .unwrap_or_else(|_| Err(io::ErrorKind::TimedOut.into())),
            None => TcpStream::connect(addr).await,
        };
        match result {
            Ok(stream) => return Ok(stream),
            Err(e) => last = Some((addr, e)),
        }
    }
    match last {
        Some((_, e)) if e.kind() == io::ErrorKind::TimedOut => {
            Err(Error::Timeout(TimeoutKind::Connect))
        }
        Some((addr, source)) => Err(Error::CannotConnect {
            addr: addr.to_string(),
            source,
        }),
        None => Err(Error::Timeout(TimeoutKind::Connect)),
    }
}

/// The proxy tunnel (if any) and TLS (for `wss://`, offering `alpn`) over a fresh TCP
/// connection; returns the transport, any bytes that followed the proxy's answer, and the
/// protocol TLS agreed by ALPN.
pub(crate) async fn tunnel_and_tls(
    mut tcp: TcpStream,
    dial: &Dial,
    config: &ClientConfig,
    alpn: Vec<Vec<u8>>,
) -> Result<(Box<dyn Transport>, Vec<u8>, Option<Vec<u8>>), Error> {
    let mut leftover = Vec::new();
    if let Some((request, mut parser)) = dial.tunnel() {
        tcp.write_all(&request).await?;
        let mut chunk = [0; 1024];
        loop {
            let n = tcp.read(&mut chunk).await?;
            if n == 0 {
                return Err(Error::from(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "the proxy closed the connection before answering CONNECT",
                )));
            }
            leftover.extend_from_slice(&chunk[..n]);
            if let Some(len) = parser.poll(&leftover)? {
                leftover.drain(..len);
                break;
            }
        }
    }
    if !dial.target.is_tls() {
        return Ok((Box::new(tcp), leftover, None));
    }
    if !leftover.is_empty() {
        return Err(Error::from(io::Error::new(
            io::ErrorKind::InvalidData,
            "the proxy sent data before the TLS handshake",
        )));
    }
    let mut tls_config = tls::client_config(&config.tls)?;
    if !alpn.is_empty() {
        Arc::make_mut(&mut tls_config).alpn_protocols = alpn;
    }
    let peer = dial.target.to_string();
    let layer = TlsLayer::client(tls_config, dial.server_name()?)
        .map_err(|e| Error::from_io(io::Error::other(e), &peer))?;
    let stream = TlsStream::handshake(tcp, layer)
        .await
        .map_err(|e| Error::from_io(e, &peer))?;
    let agreed = stream.alpn_protocol().map(<[u8]>::to_vec);
    Ok((Box::new(stream), Vec::new(), agreed))
}
