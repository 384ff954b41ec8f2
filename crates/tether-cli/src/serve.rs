//! `tether serve`: accept connections (TLS optional), answer plain HTTP requests with the web
//! page, hand upgrade requests to `tether-tokio`, then echo or broadcast. A connection that
//! speaks HTTP/2 (ALPN `h2`, or the h2c preface) is served by hyper instead ([`h2`]), its
//! WebSockets (RFC 8441) handled the same way.

mod h2;

use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use tether_tokio::{
    Accept, CloseCode, CloseFrame, Config, Error, FanoutLimits, HttpVersion, Hub, HubConfig,
    Message, MessageReadHalf, MessageSocket, MessageWriteHalf, ServerConfig, SlowPolicy,
    TimeoutKind, TlsStream, Transport, rustls, tls,
};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio::time::timeout;
use tracing::{debug, info, warn};

use crate::cli::{Mode, Rooms, ServeArgs, Slow};
use crate::cluster;
use crate::errors::{self, CliError};
use crate::http::{self, Head, HeadError, Replay};
use crate::page;

/// Time a client has for the TLS handshake and its request head.
const HANDSHAKE: Duration = Duration::from_secs(10);
/// On Ctrl-C, how long clients have to answer the 1001 close before the server exits anyway.
const SHUTDOWN: Duration = Duration::from_secs(5);

/// The reason of the close frame every client gets on Ctrl-C.
const SHUTTING_DOWN: &str = "server shutting down";

/// What every connection shares.
struct Server {
    mode: Mode,
    config: ServerConfig,
    /// The `Authorization` value required, with `--basic-auth`.
    auth: Option<String>,
    page: String,
    /// The broadcast rooms, on this process or across servers on Redis.
    room: Room,
    rooms: Rooms,
    tls: Option<Arc<rustls::ServerConfig>>,
    /// Turns true on Ctrl-C: every connection then closes with 1001.
    stopping: watch::Sender<bool>,
}

/// The reason of the close frame a slow client gets with `--slow close` (code 1013).
const TOO_SLOW: &str = "too slow";

/// The broadcast rooms, on a [`Hub`] (of this process, or of every server on one Redis): each
/// message is encoded (and compressed) once and queued on every client without waiting; a
/// client that cannot keep up has its own bounded queue, past which `--slow` applies (drop its
/// oldest messages, or close it with 1013).
struct Room {
    hub: Hub,
    drops: Mutex<DropLog>,
}

/// Dropped messages not logged yet: drops are logged at most once a second.
#[derive(Default)]
struct DropLog {
    pending: usize,
    last: Option<Instant>,
}

/// The hub's limits and slow-client policy from `--slow`, `--queue-messages`, `--queue-bytes`.
fn hub_config(args: &ServeArgs) -> HubConfig {
    let policy = match args.slow {
        Slow::Drop => SlowPolicy::DropOldest,
        Slow::Close => SlowPolicy::Close {
            code: CloseCode::TRY_AGAIN_LATER,
            reason: TOO_SLOW.into(),
        },
    };
    let limits = FanoutLimits::default()
        .max_messages(usize::try_from(args.queue_messages).unwrap_or(usize::MAX))
        .max_bytes(usize::try_from(args.queue_bytes).unwrap_or(usize::MAX))
        .on_slow(policy);
    HubConfig::default().limits(limits)
}

impl Room {
    fn new(hub: Hub) -> Self {
        Self {
            hub,
            drops: Mutex::new(DropLog::default()),
        }
    }

    /// Queues `message` on every client of `topic` (the sender too), logging what the
    /// slow-client policy did.
    fn publish(&self, topic: &str, message: Message) {
        let published = self.hub.publish(topic, message);
        if published.closed_slow > 0 {
            warn!(
                clients = published.closed_slow,
                code = 1013,
                reason = TOO_SLOW,
                "closed clients that could not keep up"
            );
        }
        if published.dropped > 0 {
            let mut log = self.drops.lock().unwrap_or_else(PoisonError::into_inner);
            log.pending += published.dropped;
            if log
                .last
                .is_none_or(|t| t.elapsed() >= Duration::from_secs(1))
            {
                warn!(
                    messages = log.pending,
                    total = self.hub.stats().dropped,
                    "slow clients missed messages (their oldest queued were dropped)"
                );
                log.pending = 0;
                log.last = Some(Instant::now());
            }
        }
    }

    fn log_totals(&self) {
        let stats = self.hub.stats();
        info!(
            published = stats.published,
            deliveries = stats.deliveries,
            dropped = stats.dropped,
            closed_slow = stats.closed_slow,
            "broadcast totals"
        );
    }
}

/// How a WebSocket connection ended.
enum Ended {
    /// The client closed with this code and reason (1005: no code).
    Peer(CloseCode, String),
    /// It was idle past `--idle-timeout` and we closed it (the client's answer).
    Idle(Result<CloseFrame, Error>),
    /// The server is shutting down and closed it with 1001 (the client's answer).
    Shutdown(Result<CloseFrame, Error>),
    /// It failed.
    Failed(Error),
}

/// Runs `tether serve` until Ctrl-C; returns the exit code.
///
/// # Errors
///
/// Unreadable TLS files (exit code 2), or the address cannot be listened on (3).
pub async fn run(args: ServeArgs) -> Result<u8, CliError> {
    let tls = match (&args.tls_cert, &args.tls_key) {
        (Some(cert), Some(key)) => Some(load_tls(cert, key)?),
        _ => None,
    };
    // Connect to Redis (with --redis) before listening.
    let hub = cluster::hub(&args, hub_config(&args)).await?;
    let listener = TcpListener::bind(args.listen)
        .await
        .map_err(|e| listen_error(args.listen, &e))?;
    let addr = listener
        .local_addr()
        .map_err(|e| listen_error(args.listen, &e))?;
    let (ws, web) = if tls.is_some() {
        ("wss", "https")
    } else {
        ("ws", "http")
    };
    // One plain line on stdout (scripts and tests read the port from it), the rest is logs.
    println!(
        "tether serve: listening on {ws}://{addr}/ ({} mode); open {web}://{addr}/ in a browser",
        args.mode.name()
    );
    info!(%addr, mode = args.mode.name(), tls = tls.is_some(), "listening");

    // permessage-deflate with the server defaults: no context takeover for our messages, so
    // every compressing client of the same window shares one compressed copy of each
    // broadcast message (see `PreparedMessage`).
    let protocol = Config::default()
        .max_message_size(args.max_message_size)
        .ping_interval((!args.ping_interval.is_zero()).then_some(args.ping_interval))
        .handshake_timeout(Some(HANDSHAKE));
    let room = Room::new(hub);
    // TLS and the request head are read here first (the page is served without WebSocket),
    // so the config has no TLS of its own. The subprotocol is chosen in our order of
    // preference (the library's default follows the client's).
    let ours = args.protocols;
    let config = ServerConfig::default()
        .config(protocol)
        .read_timeout(args.idle_timeout)
        .on_request(move |req| Ok(choose_protocol(req.protocols(), &ours)));
    let server = Arc::new(Server {
        mode: args.mode,
        config,
        auth: args
            .basic_auth
            .map(|c| http::basic_value(&c.user, &c.password)),
        page: page::render(args.mode),
        room,
        rooms: args.rooms,
        tls,
        stopping: watch::channel(false).0,
    });
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    let mut connections = JoinSet::new();
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            // Forget connections that ended.
            Some(_) = connections.join_next(), if !connections.is_empty() => continue,
            _ = &mut ctrl_c => {
                info!(connections = connections.len(), "interrupted: closing connections with 1001");
                if server.mode == Mode::Broadcast {
                    server.room.log_totals();
                }
                server.stopping.send_replace(true);
                let all_closed = async { while connections.join_next().await.is_some() {} };
                if timeout(SHUTDOWN, all_closed).await.is_err() {
                    warn!(left = connections.len(), "clients did not answer the close in time");
                }
                cluster::log_end(&server.room.hub);
                return Ok(errors::OK);
            }
        };
        match accepted {
            Ok((tcp, peer)) => {
                connections.spawn(handle(tcp, peer, Arc::clone(&server)));
            }
            Err(e) => {
                // Out of file descriptors, say: keep serving the connections we have.
                warn!(error = %e, "accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
}

fn listen_error(addr: SocketAddr, e: &std::io::Error) -> CliError {
    let hint = match e.kind() {
        std::io::ErrorKind::AddrInUse => {
            "another program uses that port; pick another with --listen 127.0.0.1:PORT \
             (port 0 picks a free one)"
        }
        std::io::ErrorKind::PermissionDenied => {
            "ports below 1024 need privileges; pick a higher one with --listen"
        }
        std::io::ErrorKind::AddrNotAvailable => {
            "that address is not one of this machine's; try --listen 127.0.0.1:9001"
        }
        _ => "check the --listen address",
    };
    CliError::new(
        errors::UNREACHABLE,
        format!("cannot listen on {addr}: {e}; {hint}"),
    )
}

fn load_tls(cert: &Path, key: &Path) -> Result<Arc<rustls::ServerConfig>, CliError> {
    let read = |path: &Path, what: &str| {
        std::fs::read(path)
            .map_err(|e| CliError::usage(format!("cannot read {what} {}: {e}", path.display())))
    };
    let config = tls::server_config_pem(&read(cert, "--tls-cert")?, &read(key, "--tls-key")?)
        .map_err(|e| {
            CliError::usage(format!(
                "cannot use --tls-cert {} with --tls-key {}: {e}",
                cert.display(),
                key.display()
            ))
        })?;
    // HTTP/2 first, then HTTP/1.1: browsers and `tether connect --http2` get HTTP/2.
    let mut config = (*config).clone();
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

async fn handle(tcp: TcpStream, peer: SocketAddr, server: Arc<Server>) {
    let _ = tcp.set_nodelay(true);
    match &server.tls {
        Some(tls) => match timeout(HANDSHAKE, TlsStream::accept(tcp, tls.clone())).await {
            Ok(Ok(stream)) if stream.alpn_protocol() == Some(b"h2") => {
                h2::serve(stream, peer, server.clone(), true).await;
            }
            Ok(Ok(stream)) => connection(stream, peer, &server).await,
            Ok(Err(e)) => info!(%peer, error = %e, "TLS handshake failed"),
            Err(_) => info!(%peer, "TLS handshake timed out"),
        },
        None => connection(tcp, peer, &server).await,
    }
}

/// One connection: read the request head, check credentials, then the page or WebSocket (or,
/// for the HTTP/2 preface, hand the connection to hyper).
async fn connection<S: Transport + 'static>(mut io: S, peer: SocketAddr, server: &Arc<Server>) {
    let mut buf = Vec::with_capacity(1024);
    let head = match timeout(HANDSHAKE, http::read_head(&mut io, &mut buf)).await {
        Ok(Ok(head)) => head,
        Ok(Err(HeadError::Malformed)) if h2::is_preface(&buf) => {
            let tls = server.tls.is_some();
            h2::serve(Replay::new(buf, io), peer, server.clone(), tls).await;
            return;
        }
        Ok(Err(HeadError::TooLarge)) => {
            let _ = http::respond(
                &mut io,
                "431 Request Header Fields Too Large",
                &[],
                "text/plain",
                b"",
            )
            .await;
            return;
        }
        Ok(Err(HeadError::Malformed)) => {
            debug!(%peer, "not an HTTP request");
            let body = b"400 Bad Request: this is a WebSocket server (ws:// or http://)\n";
            let _ = http::respond(&mut io, "400 Bad Request", &[], "text/plain", body).await;
            return;
        }
        Ok(Err(HeadError::Closed | HeadError::Io(_))) | Err(_) => return,
    };
    if let Some(expected) = &server.auth
        && !http::authorized(head.authorization.as_deref(), expected)
    {
        info!(%peer, target = %head.target, upgrade = head.upgrade,
              "refused with 401: credentials missing or wrong");
        let body =
            b"401 Unauthorized: this server wants the user and password it was started with\n";
        let challenge = [(
            "WWW-Authenticate",
            "Basic realm=\"tether\", charset=\"UTF-8\"",
        )];
        let _ = http::respond(
            &mut io,
            "401 Unauthorized",
            &challenge,
            "text/plain; charset=utf-8",
            body,
        )
        .await;
        return;
    }
    if !head.upgrade {
        web(io, &head, peer, server).await;
        return;
    }
    let path = head.target.split('?').next().unwrap_or("/").to_string();
    let ws = match tether_tokio::accept(Replay::new(buf, io), &server.config).await {
        Ok(ws) => ws,
        Err(e) => {
            info!(%peer, error = %e, "upgrade failed");
            return;
        }
    };
    run_socket(ws, peer, &path, server).await;
}

/// A WebSocket, whichever HTTP brought it: logs it, echoes or broadcasts until it ends.
async fn run_socket(ws: MessageSocket, peer: SocketAddr, path: &str, server: &Server) {
    let info = ws.info();
    let protocol = info.negotiated.protocol;
    let http = match info.http_version {
        HttpVersion::Http2 => "HTTP/2",
        _ => "HTTP/1.1",
    };
    info!(%peer, %path, protocol = protocol.as_deref().unwrap_or("-"), http, "open");
    let stopping = server.stopping.subscribe();
    let (reader, writer) = ws.into_split();
    let ended = match server.mode {
        Mode::Echo => {
            let mut writer = writer;
            receive(reader, stopping, To::Sender(&mut writer)).await
        }
        Mode::Broadcast => {
            // The room is a hub topic (`--rooms`: one, or the path).
            let topic = cluster::room(server.rooms, path);
            let member = server.room.hub.join(topic, &writer);
            let ended = receive(reader, stopping, To::Room(&server.room, topic)).await;
            drop((member, writer));
            ended
        }
    };
    log_end(peer, ended);
}

/// The first of our subprotocols the client offers (none when we have none in common).
fn choose_protocol(offered: &[String], ours: &[String]) -> Accept {
    ours.iter()
        .find(|p| offered.contains(p))
        .map_or_else(Accept::default, |p| Accept::default().protocol(p.clone()))
}

/// Answers a plain HTTP request: the page at `/`.
async fn web<S: Transport>(mut io: S, head: &Head, peer: SocketAddr, server: &Server) {
    let path = head.target.split('?').next().unwrap_or("/");
    let (status, result) = match (head.method.as_str(), path) {
        ("GET", "/" | "/index.html") => {
            let page = server.page.as_bytes();
            let r = http::respond(&mut io, "200 OK", &[], "text/html; charset=utf-8", page).await;
            (200, r)
        }
        ("GET", "/favicon.ico") => (
            204,
            http::respond(&mut io, "204 No Content", &[], "text/plain", b"").await,
        ),
        ("GET", _) => {
            let body = b"404 Not Found: the page is at /, the WebSocket at any path\n";
            (
                404,
                http::respond(&mut io, "404 Not Found", &[], "text/plain", body).await,
            )
        }
        _ => {
            let body = b"405 Method Not Allowed: GET the page, or upgrade to WebSocket\n";
            let allow = [("Allow", "GET")];
            (
                405,
                http::respond(
                    &mut io,
                    "405 Method Not Allowed",
                    &allow,
                    "text/plain",
                    body,
                )
                .await,
            )
        }
    };
    debug!(%peer, method = %head.method, target = %head.target, status, ok = result.is_ok(), "http");
}

/// Where received messages go.
enum To<'a> {
    /// Echo: back to the sender. `feed` queues the answer; queued answers go out in one write
    /// when the next receive finds no more input ready.
    Sender(&'a mut MessageWriteHalf),
    /// Broadcast: to everyone in the room (a topic of the hub), the sender too.
    Room(&'a Room, &'a str),
}

/// Receives until the end, passing every message on; closes with 1001 on an idle timeout or a
/// shutdown.
async fn receive(
    mut reader: MessageReadHalf,
    mut stopping: watch::Receiver<bool>,
    mut to: To<'_>,
) -> Ended {
    loop {
        // `recv` is cancel safe: a shutdown in between loses no message.
        let received = tokio::select! {
            received = reader.recv() => Some(received),
            _ = stopping.wait_for(|s| *s) => None,
        };
        let Some(received) = received else {
            return Ended::Shutdown(reader.close(CloseCode::GOING_AWAY, SHUTTING_DOWN).await);
        };
        match received {
            Ok(Some(message)) => match &mut to {
                To::Sender(writer) => {
                    if let Err(e) = writer.feed(message).await {
                        return Ended::Failed(e);
                    }
                }
                To::Room(room, topic) => room.publish(topic, message),
            },
            Ok(None) => {
                let (code, reason) = reader
                    .close_frame()
                    .map_or((CloseCode::NO_STATUS, String::new()), |f| {
                        (f.code, f.reason)
                    });
                return Ended::Peer(code, reason);
            }
            Err(Error::Closed { code, reason }) if code != CloseCode::ABNORMAL => {
                return Ended::Peer(code, reason);
            }
            Err(Error::Timeout(TimeoutKind::Read)) => {
                return Ended::Idle(reader.close(CloseCode::GOING_AWAY, "idle timeout").await);
            }
            Err(e) => return Ended::Failed(e),
        }
    }
}

fn log_end(peer: SocketAddr, ended: Ended) {
    match ended {
        Ended::Peer(code, reason) if code == CloseCode::TRY_AGAIN_LATER && reason == TOO_SLOW => {
            info!(%peer, code = code.as_u16(), reason = ?reason, "closed for being too slow");
        }
        Ended::Peer(code, reason) => {
            info!(%peer, code = code.as_u16(), reason = ?reason, "closed by client");
        }
        Ended::Idle(answer) => info!(
            %peer, code = 1001, reason = "idle timeout",
            answered = answer.is_ok(), "closed idle connection"
        ),
        Ended::Shutdown(answer) => info!(
            %peer, code = 1001, reason = SHUTTING_DOWN,
            answered = answer.is_ok(), "closed for shutdown"
        ),
        Ended::Failed(Error::Closed { code, reason }) => {
            info!(%peer, code = code.as_u16(), reason = ?reason, "connection lost");
        }
        Ended::Failed(e) => warn!(
            %peer, code = e.close_code().map(|c| c.as_u16()), error = %e, "connection failed"
        ),
    }
}
