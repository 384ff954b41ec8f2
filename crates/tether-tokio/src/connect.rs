//! The client side: resolve, connect (maybe through a proxy), TLS, upgrade.

use std::io;
use std::net::SocketAddr;

use tether_net::proxy::{ConnectResponse, connect_request};
use tether_net::{Error, Proxy, SocketConfig, Target, TimeoutKind, tls};
use tether_proto::handshake::Reject;
use tether_proto::{Config, Connection, Instant, OsEntropy};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::{Instant as TokioInstant, timeout, timeout_at};
use tokio_rustls::TlsConnector;

use crate::driver::{Addrs, Driver};
use crate::error::from_io;
use crate::{MaybeTlsStream, MessageSocket, StreamSocket};

/// Connects to a `ws://` or `wss://` URL with the default [`SocketConfig`] and returns a
/// message socket.
///
/// ```no_run
/// # async fn run() -> Result<(), tether_tokio::Error> {
/// let mut ws = tether_tokio::connect("wss://echo.example.com/").await?;
/// ws.send_text("hello").await?;
/// if let Some(reply) = ws.recv().await? {
///     println!("{reply:?}");
/// }
/// let peer = ws.close(tether_tokio::CloseCode::NORMAL, "bye").await?;
/// println!("peer closed with {}", peer.code);
/// # Ok(()) }
/// ```
///
/// # Errors
///
/// See [`connect_with`].
pub async fn connect(url: &str) -> Result<MessageSocket, Error> {
    connect_with(url, &SocketConfig::default()).await
}

/// Connects to a `ws://` or `wss://` URL with these settings and returns a message socket.
///
/// Up to [`max_connect_addresses`](SocketConfig#structfield.max_connect_addresses) resolved
/// addresses are tried in turn, each within the attempt timeout and all within the connect
/// timeout; then the proxy tunnel, TLS (rustls with the `ring` provider, nothing to set up
/// first) and the upgrade run within the handshake timeout. Dropping the future cancels
/// cleanly at any point.
///
/// ```no_run
/// use std::time::Duration;
/// use tether_tokio::{connect_with, Credentials, SocketConfig};
///
/// # async fn run() -> Result<(), tether_tokio::Error> {
/// let config = SocketConfig::default()
///     .protocols(["chat.v2"])
///     .server_credential(Credentials::new("alice", "s3cret"))
///     .connect_timeout(Some(Duration::from_secs(5)));
/// let ws = connect_with("ws://127.0.0.1:9001/chat", &config).await?;
/// println!("talking {:?}", ws.info().protocol);
/// # Ok(()) }
/// ```
///
/// # Errors
///
/// [`Error::InvalidInput`] (URL, options), [`Error::HostNotResolved`],
/// [`Error::CannotConnect`], [`Error::Timeout`], [`Error::ProxyAuthRequired`] /
/// [`Error::ProxyRefused`], [`Error::Tls`], [`Error::ServerRefused`] (401, 403, 404, ...),
/// [`Error::Handshake`].
pub async fn connect_with(url: &str, config: &SocketConfig) -> Result<MessageSocket, Error> {
    let driver = client(url, config, config.proto_config()).await?;
    Ok(MessageSocket::from_driver(driver, config))
}

/// Connects like [`connect_with`] and returns a stream socket: incoming binary payloads as a
/// byte stream, in constant memory however large the messages are.
///
/// # Errors
///
/// As [`connect_with`].
pub async fn connect_stream_with(url: &str, config: &SocketConfig) -> Result<StreamSocket, Error> {
    let driver = client(url, config, config.stream_proto_config()).await?;
    Ok(StreamSocket::from_driver(driver))
}

async fn client(
    url: &str,
    config: &SocketConfig,
    proto: Config,
) -> Result<Driver<MaybeTlsStream>, Error> {
    let target = Target::parse(url)?;
    let proxy = config.proxy_for(&target);
    let tcp = match &proxy {
        Some(p) => open_tcp(&p.host, p.port, config).await?,
        None => open_tcp(&target.host, target.port, config).await?,
    };
    tcp.set_nodelay(config.no_delay)?;
    let addrs = Addrs {
        local: tcp.local_addr().ok(),
        peer: tcp.peer_addr().ok(),
        tls: target.tls,
    };
    let handshake = upgrade(url, tcp, &target, proxy.as_ref(), config, proto, addrs);
    match config.handshake_timeout {
        Some(t) => timeout(t, handshake)
            .await
            .map_err(|_| Error::Timeout(TimeoutKind::Handshake))?,
        None => handshake.await,
    }
}

/// Proxy tunnel, TLS and the WebSocket upgrade over a fresh TCP connection.
async fn upgrade(
    url: &str,
    mut tcp: TcpStream,
    target: &Target,
    proxy: Option<&Proxy>,
    config: &SocketConfig,
    proto: Config,
    addrs: Addrs,
) -> Result<Driver<MaybeTlsStream>, Error> {
    let leftover = match proxy {
        Some(p) => tunnel(&mut tcp, target, p).await?,
        None => Vec::new(),
    };
    let io = if target.tls {
        if !leftover.is_empty() {
            return Err(Error::Io(io::Error::new(
                io::ErrorKind::InvalidData,
                "the proxy sent data before the TLS handshake",
            )));
        }
        let connector = TlsConnector::from(tls::client_config(&config.tls)?);
        let name = tls::server_name(&target.host)?;
        let stream = connector.connect(name, tcp).await.map_err(from_io)?;
        MaybeTlsStream::Tls(Box::new(stream))
    } else {
        MaybeTlsStream::Plain(tcp)
    };
    let origin = TokioInstant::now();
    let conn = Connection::client(
        url,
        &config.client_options(),
        proto,
        OsEntropy::new(),
        Instant::ZERO,
    )
    .map_err(Error::from_handshake)?;
    let mut driver = Driver::new(conn, io, origin, config, addrs);
    if !leftover.is_empty() {
        driver.conn.handle_input(Instant::ZERO, &leftover);
    }
    driver.handshake(|_| Err(Reject::new(500))).await?;
    Ok(driver)
}

/// Resolves `host` and tries its first addresses in turn, within the connect timeouts.
async fn open_tcp(host: &str, port: u16, config: &SocketConfig) -> Result<TcpStream, Error> {
    let deadline = config
        .connect_timeout
        .and_then(|t| TokioInstant::now().checked_add(t));
    let not_resolved = |source| Error::HostNotResolved {
        host: host.to_string(),
        source,
    };
    let lookup = tokio::net::lookup_host((host, port));
    let found = match deadline {
        Some(d) => timeout_at(d, lookup)
            .await
            .map_err(|_| Error::Timeout(TimeoutKind::Connect))?,
        None => lookup.await,
    };
    let addrs: Vec<SocketAddr> = found
        .map_err(not_resolved)?
        .take(config.max_connect_addresses.max(1))
        .collect();
    if addrs.is_empty() {
        return Err(not_resolved(io::Error::new(
            io::ErrorKind::NotFound,
            "the name has no addresses",
        )));
    }
    let mut last = None;
    for addr in addrs {
        let attempt_end = config
            .connect_attempt_timeout
            .and_then(|t| TokioInstant::now().checked_add(t));
        let end = match (deadline, attempt_end) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let result = match end {
            Some(end) => match timeout_at(end, TcpStream::connect(addr)).await {
                Ok(r) => r,
                Err(_) => Err(io::ErrorKind::TimedOut.into()),
            },
            None => TcpStream::connect(addr).await,
        };
        match result {
            Ok(stream) => return Ok(stream),
            Err(e) => last = Some(e),
        }
        if deadline.is_some_and(|d| TokioInstant::now() >= d) {
            return Err(Error::Timeout(TimeoutKind::Connect));
        }
    }
    match last {
        Some(e) if e.kind() == io::ErrorKind::TimedOut => Err(Error::Timeout(TimeoutKind::Connect)),
        Some(e) => Err(Error::CannotConnect(e)),
        None => Err(Error::Timeout(TimeoutKind::Connect)),
    }
}

/// Opens a `CONNECT` tunnel to `target`; returns bytes that followed the proxy's answer.
async fn tunnel(tcp: &mut TcpStream, target: &Target, proxy: &Proxy) -> Result<Vec<u8>, Error> {
    tcp.write_all(&connect_request(target, proxy.credentials.as_ref()))
        .await?;
    let mut parser = ConnectResponse::new();
    let mut buf = Vec::new();
    let mut chunk = [0; 1024];
    loop {
        let n = tcp.read(&mut chunk).await?;
        if n == 0 {
            return Err(Error::Io(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the proxy closed the connection before answering CONNECT",
            )));
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(len) = parser.poll(&buf)? {
            return Ok(buf.split_off(len));
        }
    }
}
