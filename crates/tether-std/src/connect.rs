//! The client side: resolve, connect (maybe through a proxy), TLS, upgrade.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant as StdInstant};

use tether_net::proxy::{ConnectResponse, connect_request};
use tether_net::{Error, Proxy, SocketConfig, Target, TimeoutKind, tls};
use tether_proto::handshake::Reject;
use tether_proto::{Config, Connection, Instant, OsEntropy};

use crate::handle::Handle;
use crate::shared::Shared;
use crate::{MessageSocket, StreamSocket, Transport};

/// Connects to a `ws://` or `wss://` URL with the default [`SocketConfig`] and returns a
/// message socket.
///
/// ```no_run
/// let mut ws = tether_std::connect("wss://echo.example.com/")?;
/// ws.send_text("hello")?;
/// if let Some(reply) = ws.recv()? {
///     println!("{reply:?}");
/// }
/// let peer = ws.close(tether_std::CloseCode::NORMAL, "bye")?;
/// println!("peer closed with {}", peer.code);
/// # Ok::<(), tether_std::Error>(())
/// ```
///
/// # Errors
///
/// See [`connect_with`].
pub fn connect(url: &str) -> Result<MessageSocket<TcpStream>, Error> {
    connect_with(url, &SocketConfig::default())
}

/// Connects to a `ws://` or `wss://` URL with these settings and returns a message socket.
///
/// Up to [`max_connect_addresses`](SocketConfig#structfield.max_connect_addresses) resolved
/// addresses are tried in turn, each within the attempt timeout and all within the connect
/// timeout; then the proxy tunnel, TLS and the upgrade run within the handshake timeout.
///
/// ```no_run
/// use std::time::Duration;
/// use tether_std::{connect_with, Credentials, SocketConfig};
///
/// let config = SocketConfig::default()
///     .protocols(["chat.v2"])
///     .server_credential(Credentials::new("alice", "s3cret"))
///     .connect_timeout(Some(Duration::from_secs(5)));
/// let ws = connect_with("ws://127.0.0.1:9001/chat", &config)?;
/// println!("talking {:?}", ws.info().protocol);
/// # Ok::<(), tether_std::Error>(())
/// ```
///
/// # Errors
///
/// [`Error::InvalidInput`] (URL, options), [`Error::HostNotResolved`],
/// [`Error::CannotConnect`], [`Error::Timeout`], [`Error::ProxyAuthRequired`] /
/// [`Error::ProxyRefused`], [`Error::Tls`], [`Error::ServerRefused`] (401, 403, 404, ...),
/// [`Error::Handshake`].
pub fn connect_with(url: &str, config: &SocketConfig) -> Result<MessageSocket<TcpStream>, Error> {
    let handle = client(url, config, config.proto_config())?;
    Ok(MessageSocket::from_handle(handle, config))
}

/// Connects like [`connect_with`] and returns a stream socket: incoming binary payloads as a
/// byte stream, in constant memory however large the messages are.
///
/// # Errors
///
/// As [`connect_with`].
pub fn connect_stream_with(
    url: &str,
    config: &SocketConfig,
) -> Result<StreamSocket<TcpStream>, Error> {
    let handle = client(url, config, config.stream_proto_config())?;
    Ok(StreamSocket::from_handle(handle))
}

fn client(url: &str, config: &SocketConfig, proto: Config) -> Result<Handle<TcpStream>, Error> {
    let target = Target::parse(url)?;
    let proxy = config.proxy_for(&target);
    let deadline = config.connect_timeout.map(|t| StdInstant::now() + t);
    let stream = match &proxy {
        Some(p) => open_tcp(&p.host, p.port, config, deadline)?,
        None => open_tcp(&target.host, target.port, config, deadline)?,
    };
    Transport::set_nodelay(&stream, config.no_delay)?;
    let handshake_deadline = config.handshake_timeout.map(|t| StdInstant::now() + t);
    let leftover = match &proxy {
        Some(p) => tunnel(&stream, &target, p, handshake_deadline)?,
        None => Vec::new(),
    };
    let tls = if target.tls {
        let tls_config = tls::client_config(&config.tls)?;
        let name = tls::server_name(&target.host)?;
        Some(rustls::Connection::Client(rustls::ClientConnection::new(
            tls_config, name,
        )?))
    } else {
        None
    };
    let origin = StdInstant::now();
    let conn = Connection::client(
        url,
        &config.client_options(),
        proto,
        OsEntropy::new(),
        Instant::ZERO,
    )
    .map_err(Error::from_handshake)?;
    let mut shared = Shared::new(conn, tls, stream, origin, config)?;
    if !leftover.is_empty() {
        shared.feed(&leftover)?;
    }
    let mut handle = Handle::new(shared);
    handle.handshake(|_| Err(Reject::new(500)))?;
    Ok(handle)
}

/// Resolves `host` and tries its first addresses in turn.
fn open_tcp(
    host: &str,
    port: u16,
    config: &SocketConfig,
    deadline: Option<StdInstant>,
) -> Result<TcpStream, Error> {
    let not_resolved = |source| Error::HostNotResolved {
        host: host.to_string(),
        source,
    };
    let addrs: Vec<SocketAddr> = (host, port)
        .to_socket_addrs()
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
        let remaining = deadline.map(|d| d.saturating_duration_since(StdInstant::now()));
        if remaining == Some(Duration::ZERO) {
            return Err(Error::Timeout(TimeoutKind::Connect));
        }
        let attempt = match (remaining, config.connect_attempt_timeout) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let result = match attempt {
            Some(t) => TcpStream::connect_timeout(&addr, t.max(Duration::from_millis(1))),
            None => TcpStream::connect(addr),
        };
        match result {
            Ok(stream) => return Ok(stream),
            Err(e) => last = Some(e),
        }
    }
    match last {
        Some(e)
            if matches!(
                e.kind(),
                io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock
            ) =>
        {
            Err(Error::Timeout(TimeoutKind::Connect))
        }
        Some(e) => Err(Error::CannotConnect(e)),
        None => Err(Error::Timeout(TimeoutKind::Connect)),
    }
}

/// Opens a `CONNECT` tunnel to `target`; returns bytes that followed the proxy's answer.
fn tunnel(
    mut stream: &TcpStream,
    target: &Target,
    proxy: &Proxy,
    deadline: Option<StdInstant>,
) -> Result<Vec<u8>, Error> {
    stream.write_all(&connect_request(target, proxy.credentials.as_ref()))?;
    let mut parser = ConnectResponse::new();
    let mut buf = Vec::new();
    let mut chunk = [0; 1024];
    loop {
        let wait = match deadline {
            Some(d) => match d.checked_duration_since(StdInstant::now()) {
                Some(w) if !w.is_zero() => Some(w),
                _ => return Err(Error::Timeout(TimeoutKind::Handshake)),
            },
            None => None,
        };
        stream.set_read_timeout(wait)?;
        match stream.read(&mut chunk) {
            Ok(0) => {
                return Err(Error::Io(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "the proxy closed the connection before answering CONNECT",
                )));
            }
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                return Err(Error::Timeout(TimeoutKind::Handshake));
            }
            Err(e) => return Err(Error::Io(e)),
        }
        if let Some(len) = parser.poll(&buf)? {
            return Ok(buf.split_off(len));
        }
    }
}
