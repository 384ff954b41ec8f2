//! The HTTP/2 client (RFC 8441): an HTTP/2 connection opened with hyper's client, and
//! WebSockets opened on it as streams, each with an extended CONNECT built and checked by the
//! core ([`Session::client_extended_connect`]). The extended CONNECT goes out only once the
//! server's first SETTINGS frame enabled it (RFC 8441 §3); a server that does not is told
//! apart, so [`HttpMode::Auto`] can fall back to HTTP/1.1.
//!
//! Flow control: hyper hands each stream's writes to HTTP/2 within the stream's window, so a
//! stream whose reader is slow stops taking bytes; its socket's output then grows to
//! `Config::outbound_high_water`, where sends wait (and `try_send` fails fast), while the
//! other streams of the connection go on. The connection's own window is 16 streams' worth
//! ([`CONNECTION_WINDOW`](super::CONNECTION_WINDOW)), so one stalled stream cannot hold it
//! all.

use std::net::SocketAddr;

use http_body_util::{BodyExt, Empty, Limited};
use hyper::client::conn::http2::SendRequest;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tether_proto::Instant;
use tether_proto::handshake::{Headers, Target};
use tether_socket::{Bytes, ClientConfig, Dial, Error, HttpMode, Session};
use tokio::time::Instant as TokioInstant;

use super::frames::{Preface, ServerFrames};
use super::io::{GoAwaySeen, Upgraded, http2_reset};
use crate::connect::{connect_http1, dial_tcp, tunnel_and_tls, upgrade_http1, within};
use crate::driver::Driver;
use crate::handle::Handle;
use crate::{MessageSocket, Transport};

/// An HTTP/2 connection to a WebSocket server, to open several WebSockets on (each one
/// stream, RFC 8441). Cloning it gives another handle on the same connection; the connection
/// lives while a handle or a socket opened on it does.
///
/// ```no_run
/// # async fn run() -> Result<(), tether_tokio::Error> {
/// use tether_tokio::{ClientConfig, Http2Connection};
///
/// let config = ClientConfig::default();
/// let h2 = Http2Connection::connect("wss://example.com/", &config).await?;
/// let mut chat = h2.open("/chat", &config).await?;
/// let mut feed = h2.open("/feed?topic=news", &config).await?;
/// chat.send("hello").await?;
/// println!("{:?} {:?}", chat.recv().await?, feed.recv().await?);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Http2Connection {
    sender: SendRequest<Empty<Bytes>>,
    /// The server's GOAWAY, once it sent one.
    goaway: GoAwaySeen,
    /// The server as the URL named it (its credentials are used by the first socket only).
    origin: Target,
    local: Option<SocketAddr>,
    peer: Option<SocketAddr>,
}

impl std::fmt::Debug for Http2Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Http2Connection")
            .field("origin", &format_args!("{}", self.origin))
            .field("peer", &self.peer)
            .field("closed", &self.sender.is_closed())
            .finish()
    }
}

/// [`crate::connect`] when `dial.http` is not HTTP/1.1: HTTP/2 when the server takes it, else
/// (for [`HttpMode::Auto`]) HTTP/1.1.
pub(crate) async fn connect(dial: Dial, config: &ClientConfig) -> Result<MessageSocket, Error> {
    let (tcp, local, peer) = dial_tcp(&dial, config).await?;
    let attempt = async {
        let (io, leftover, alpn) = tunnel_and_tls(tcp, &dial, config, dial.alpn()).await?;
        if !dial.over_http2(alpn.as_deref())? {
            // The server's TLS did not pick h2 (or plain ws:// in Auto): HTTP/1.1 right here.
            let driver = upgrade_http1(io, leftover, &dial, config, (local, peer)).await?;
            return Ok(Opened::Socket(MessageSocket::new(Handle::spawn(driver))));
        }
        let h2 = match Http2Connection::handshake(io, leftover, &dial, local, peer).await {
            Ok(h2) => h2,
            Err(Error::Http2Unsupported { .. }) if dial.http == HttpMode::Auto => {
                return Ok(Opened::FallBack);
            }
            Err(e) => return Err(e),
        };
        h2.open_target(&dial.target, config)
            .await
            .map(Opened::Socket)
    };
    match within(config.config.handshake_timeout, attempt).await? {
        Opened::Socket(socket) => Ok(socket),
        // The server picked h2 but takes WebSockets only over HTTP/1.1: a new connection.
        Opened::FallBack => {
            let mut dial = dial;
            dial.http = HttpMode::Http1;
            connect_http1(&dial, config).await
        }
    }
}

enum Opened {
    Socket(MessageSocket),
    FallBack,
}

impl Http2Connection {
    /// Opens an HTTP/2 connection to the server of `url` — TLS with ALPN `h2` for `wss://`,
    /// HTTP/2 with prior knowledge (h2c) for `ws://`, through the config's proxy if any — and
    /// waits for the server's SETTINGS, within the connect and handshake timeouts. The URL's
    /// path is not used: [`open`](Self::open) names each WebSocket's.
    ///
    /// # Errors
    ///
    /// As [`connect`](crate::connect), and [`Error::Http2Unsupported`] when the server does
    /// not take WebSockets over HTTP/2 (no `h2` by ALPN, no HTTP/2, or SETTINGS without the
    /// extended CONNECT).
    pub async fn connect(url: &str, config: &ClientConfig) -> Result<Self, Error> {
        let mut dial = Dial::new(url, config)?;
        dial.http = HttpMode::Http2;
        let (tcp, local, peer) = dial_tcp(&dial, config).await?;
        let setup = async {
            let (io, leftover, alpn) = tunnel_and_tls(tcp, &dial, config, dial.alpn()).await?;
            dial.over_http2(alpn.as_deref())?;
            Self::handshake(io, leftover, &dial, local, peer).await
        };
        within(config.config.handshake_timeout, setup).await
    }

    /// The HTTP/2 handshake on a transport that is set up, and the wait for the server's
    /// SETTINGS.
    async fn handshake(
        io: Box<dyn Transport>,
        leftover: Vec<u8>,
        dial: &Dial,
        local: Option<SocketAddr>,
        peer: Option<SocketAddr>,
    ) -> Result<Self, Error> {
        let unsupported = |why: String| Error::Http2Unsupported {
            url: dial.target.to_string(),
            why,
        };
        if !leftover.is_empty() {
            return Err(unsupported(
                "the proxy's tunnel carried bytes before the HTTP/2 preface".into(),
            ));
        }
        let (watch, preface, goaway) = ServerFrames::new(io);
        let (sender, connection) = hyper::client::conn::http2::Builder::new(TokioExecutor::new())
            .initial_stream_window_size(super::STREAM_WINDOW)
            .initial_connection_window_size(super::CONNECTION_WINDOW)
            .handshake::<_, Empty<Bytes>>(TokioIo::new(watch))
            .await
            .map_err(|e| unsupported(format!("the HTTP/2 handshake failed: {e}")))?;
        tokio::spawn(async move {
            // Ends when the connection closes: every handle and socket gone, a GOAWAY, or an
            // error (each socket reports its own end).
            let _ = connection.await;
        });
        match preface.await {
            Ok(Preface::ExtendedConnect) => Ok(Self {
                sender,
                goaway,
                origin: dial.target.clone(),
                local,
                peer,
            }),
            Ok(Preface::NoExtendedConnect) => Err(unsupported(
                "its SETTINGS do not enable the extended CONNECT (RFC 8441 §3)".into(),
            )),
            Ok(Preface::NotHttp2) | Err(_) => Err(unsupported(
                "it does not speak HTTP/2 (its first bytes are no SETTINGS frame)".into(),
            )),
        }
    }

    /// Opens a WebSocket on this connection: `resource` is a path with an optional query
    /// (`/chat?room=1`), or a URL on the same server (scheme, host and port as the
    /// connection's). Subprotocols, credentials, headers, limits and timeouts come from
    /// `config` (the connection's own settings were fixed when it opened); the handshake
    /// timeout covers the request and its answer.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidUrl`] / [`Error::InvalidInput`] for a resource on another server,
    /// [`Error::ServerRefused`] (with the status, headers and body), [`Error::Handshake`],
    /// [`Error::Http2`] when the server resets the stream, [`Error::Timeout`], [`Error::Io`]
    /// when the connection is gone.
    pub async fn open(
        &self,
        resource: &str,
        config: &ClientConfig,
    ) -> Result<MessageSocket, Error> {
        let target = self.target_for(resource)?;
        within(
            config.config.handshake_timeout,
            self.open_target(&target, config),
        )
        .await
    }

    /// Whether the connection is gone (closed by either side, or failed).
    pub fn is_closed(&self) -> bool {
        self.sender.is_closed()
    }

    /// The address of the server (or proxy) the connection goes to.
    pub fn peer_addr(&self) -> Option<SocketAddr> {
        self.peer
    }

    fn target_for(&self, resource: &str) -> Result<Target, Error> {
        let scheme = if self.origin.is_tls() { "wss" } else { "ws" };
        let url = if resource.starts_with('/') {
            format!("{scheme}://{}{resource}", self.origin.authority())
        } else {
            resource.to_owned()
        };
        let target = Target::parse(&url).map_err(|source| Error::InvalidUrl {
            url: url.clone(),
            source,
        })?;
        if target.is_tls() != self.origin.is_tls() || target.authority() != self.origin.authority()
        {
            return Err(Error::InvalidInput(format!(
                "{target} is not on this HTTP/2 connection's server ({})",
                self.origin
            )));
        }
        Ok(target)
    }

    /// The extended CONNECT for `target`, its answer, and the socket on the stream.
    pub(crate) async fn open_target(
        &self,
        target: &Target,
        config: &ClientConfig,
    ) -> Result<MessageSocket, Error> {
        let origin = TokioInstant::now();
        let now = || Instant::from_elapsed(origin.elapsed());
        let (mut session, request) =
            Session::client_extended_connect(Instant::ZERO, target, config)?;
        session.set_addrs(self.local, self.peer, target.is_tls());
        let url = target.to_string();
        let mut request = request
            .to_http()
            .map_err(|e| Error::InvalidInput(e.to_string()))?
            .map(|()| Empty::<Bytes>::new());
        request
            .extensions_mut()
            .insert(hyper::ext::Protocol::from_static("websocket"));
        let mut sender = self.sender.clone();
        sender
            .ready()
            .await
            .map_err(|e| stream_error(e, &url, &self.goaway))?;
        let response = sender
            .send_request(request)
            .await
            .map_err(|e| stream_error(e, &url, &self.goaway))?;
        let status = response.status();
        let headers = Headers::from(response.headers());
        if status != http::StatusCode::OK {
            // A refusal (or a 2xx other than the 200 hyper hands a stream over for): its body,
            // as much as the error keeps, then the same checks as a 101's.
            let limit = config.config.handshake_limits.max_body_bytes;
            let body = match Limited::new(response.into_body(), limit).collect().await {
                Ok(collected) => collected.to_bytes(),
                Err(_) => Bytes::new(),
            };
            session.handle_response(now(), status.as_u16(), headers, &body);
            return Err(match session.handshake_result() {
                Some(Err(e)) => e,
                _ => Error::Http2Unsupported {
                    url,
                    why: format!("it answered the extended CONNECT with {status}, not 200"),
                },
            });
        }
        session.handle_response(now(), status.as_u16(), headers, b"");
        if let Some(Err(e)) = session.handshake_result() {
            return Err(e);
        }
        let upgraded = hyper::upgrade::on(response)
            .await
            .map_err(|e| stream_error(e, &url, &self.goaway))?;
        let io = Upgraded::with_goaway(upgraded, self.goaway.clone());
        let mut driver = Driver::new(session, Box::new(io), origin);
        driver.read_timeout = config.read_timeout;
        driver.write_timeout = config.write_timeout;
        Ok(MessageSocket::new(Handle::spawn(driver)))
    }
}

/// A failed request on the connection: an HTTP/2 reset or GOAWAY as such, else I/O.
fn stream_error(e: hyper::Error, url: &str, goaway: &GoAwaySeen) -> Error {
    let e = std::io::Error::other(e);
    match http2_reset(&e).or_else(|| goaway.get().copied()) {
        Some(reset) => Error::Http2(reset),
        None => Error::from(std::io::Error::new(
            e.kind(),
            format!("HTTP/2 request to {url}: {e}"),
        )),
    }
}
