//! The client side: resolve, connect (through a proxy, if any), TLS, upgrade — the plan is the
//! socket layer's [`Dial`]; this file only blocks.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::sync::Arc;
use std::time::{Duration, Instant as StdInstant};

use tether_proto::Instant;
use tether_socket::{
    ClientConfig, Dial, Error, HttpMode, MAX_ADDRESSES, Session, TimeoutKind, TlsLayer, tls,
};

use crate::MessageSocket;
use crate::driver::Driver;
use crate::handle::Handle;

/// Connects to a `ws://` or `wss://` URL and returns a message socket
/// ([`into_stream`](MessageSocket::into_stream) for a stream socket).
///
/// The URL is read first, so a bad one fails before any network work. Then up to five resolved
/// addresses are tried in turn within the connect timeout; the proxy tunnel, TLS (rustls with
/// the `ring` provider, nothing to set up first) and the upgrade run within the handshake
/// timeout.
///
/// ```no_run
/// use std::time::Duration;
/// use tether_std::{ClientConfig, Credentials};
///
/// let config = ClientConfig::default()
///     .protocols(["chat.v2"])
///     .credentials(Credentials::new("alice", "s3cret"))
///     .connect_timeout(Some(Duration::from_secs(5)));
/// let ws = tether_std::connect("ws://127.0.0.1:9001/chat", &config)?;
/// println!("talking {:?}", ws.info().negotiated.protocol);
/// # Ok::<(), tether_std::Error>(())
/// ```
///
/// # Errors
///
/// [`Error::InvalidUrl`], [`Error::HostNotResolved`], [`Error::CannotConnect`] (with the
/// address), [`Error::Timeout`], [`Error::ProxyAuthRequired`] / [`Error::ProxyRefused`],
/// [`Error::Tls`] (with a hint for `wss://` to a plain server or an unknown CA),
/// [`Error::ServerRefused`] (401, 404, ... with the URL), [`Error::Handshake`].
pub fn connect(url: &str, config: &ClientConfig) -> Result<MessageSocket, Error> {
    let dial = Dial::new(url, config)?;
    // HTTP/2 is tether-tokio's; `HttpMode::Auto` falls back to HTTP/1.1 here (no ALPN).
    if config.http == HttpMode::Http2 {
        return Err(Error::InvalidInput(
            "WebSocket over HTTP/2 (HttpMode::Http2) needs tether-tokio with its `hyper` \
             feature; tether-std speaks HTTP/1.1"
                .into(),
        ));
    }
    let (host, port) = dial.first_hop();
    let tcp = open_tcp(&host, port, config.connect_timeout)?;
    tcp.set_nodelay(config.no_delay)?;
    let deadline = config
        .config
        .handshake_timeout
        .and_then(|t| StdInstant::now().checked_add(t));
    let leftover = match dial.tunnel() {
        Some((request, mut parser)) => tunnel(&tcp, &request, &mut parser, deadline)?,
        None => Vec::new(),
    };
    let tls = if dial.target.is_tls() {
        if !leftover.is_empty() {
            return Err(Error::from(io::Error::new(
                io::ErrorKind::InvalidData,
                "the proxy sent data before the TLS handshake",
            )));
        }
        let layer = TlsLayer::client(tls::client_config(&config.tls)?, dial.server_name()?)
            .map_err(|e| Error::InvalidInput(format!("TLS setup: {e}")))?;
        Some(layer)
    } else {
        None
    };
    let origin = StdInstant::now();
    let mut session = Session::client(Instant::ZERO, &dial.target, config)?;
    session.set_addrs(tcp.local_addr().ok(), tcp.peer_addr().ok(), tls.is_some());
    let mut driver = Driver::new(session, Box::new(tcp), tls, origin, config.write_timeout)?;
    driver.read_timeout = config.read_timeout;
    if !leftover.is_empty() {
        driver.received(Ok(leftover.len()), &leftover)?;
    }
    handshake(&mut driver, deadline)?;
    Ok(MessageSocket::new(Handle::spawn(driver)?))
}

/// Drives the opening handshake to its end on this thread, before `deadline`. A refusal is
/// written out before the error returns.
pub(crate) fn handshake(driver: &mut Driver, deadline: Option<StdInstant>) -> Result<(), Error> {
    loop {
        let written = driver.flush();
        match driver.session.handshake_result() {
            Some(Ok(())) => return written,
            Some(Err(e)) => {
                let _ = driver.flush();
                driver.close_transport();
                return Err(e);
            }
            None => written?,
        }
        let wait = match deadline {
            Some(d) => match d.checked_duration_since(StdInstant::now()) {
                Some(wait) if !wait.is_zero() => Some(wait),
                _ => return Err(Error::Timeout(TimeoutKind::Handshake)),
            },
            None => None,
        };
        driver.read_once(wait)?;
    }
}

/// Resolves `host` and tries its first addresses in turn, each within its share of `limit`.
fn open_tcp(host: &str, port: u16, limit: Option<Duration>) -> Result<TcpStream, Error> {
    let deadline = limit.and_then(|t| StdInstant::now().checked_add(t));
    let not_resolved = |source| Error::HostNotResolved {
        host: host.to_owned(),
        source,
    };
    let addrs: Vec<SocketAddr> = (host, port)
        .to_socket_addrs()
        .map_err(not_resolved)?
        .take(MAX_ADDRESSES)
        .collect();
    if addrs.is_empty() {
        return Err(not_resolved(io::Error::new(
            io::ErrorKind::NotFound,
            "the name has no addresses",
        )));
    }
    let share = Dial::attempt_timeout(limit, addrs.len());
    let mut last = None;
    for addr in &addrs {
        let remaining = deadline.map(|d| d.saturating_duration_since(StdInstant::now()));
        if remaining == Some(Duration::ZERO) {
            return Err(Error::Timeout(TimeoutKind::Connect));
        }
        let attempt = [remaining, share].into_iter().flatten().min();
        let result = match attempt {
            Some(t) => TcpStream::connect_timeout(addr, t.max(Duration::from_millis(1))),
            None => TcpStream::connect(addr),
        };
        match result {
            Ok(stream) => return Ok(stream),
            Err(e) => last = Some((addr, e)),
        }
    }
    match last {
        Some((_, e))
            if matches!(
                e.kind(),
                io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock
            ) =>
        {
            Err(Error::Timeout(TimeoutKind::Connect))
        }
        Some((addr, source)) => Err(Error::CannotConnect {
            addr: addr.to_string(),
            source,
        }),
        None => Err(Error::Timeout(TimeoutKind::Connect)),
    }
}

/// Opens a `CONNECT` tunnel; returns bytes that followed the proxy's answer.
fn tunnel(
    mut stream: &TcpStream,
    request: &[u8],
    parser: &mut tether_socket::proxy::ConnectResponse,
    deadline: Option<StdInstant>,
) -> Result<Vec<u8>, Error> {
    stream.write_all(request)?;
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
                return Err(Error::from(io::Error::new(
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
            Err(e) => return Err(e.into()),
        }
        if let Some(len) = parser.poll(&buf)? {
            return Ok(buf.split_off(len));
        }
    }
}

/// The TLS server side for [`accept`](crate::accept).
pub(crate) fn server_tls(config: &Arc<rustls::ServerConfig>) -> Result<TlsLayer, Error> {
    TlsLayer::server(config.clone()).map_err(|e| Error::InvalidInput(format!("TLS setup: {e}")))
}
