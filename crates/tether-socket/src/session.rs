//! [`Session`]: a connection as a socket drives it.

use std::borrow::Cow;
use std::collections::VecDeque;
use std::io;
use std::net::SocketAddr;

use tether_proto::connection::{Negotiated, State, Stats, Transmit};
use tether_proto::handshake::{
    Accept, ConnectRequest, Headers, HttpVersion, Reject, Request, Target,
};
use tether_proto::{
    Bytes, CloseCode, CloseFrame, Config, Connection, Entropy, Event, Instant, Message,
    MessageKind, OsEntropy, PreparedMessage, Role, SendError, SendOptions,
};

mod receive;

pub use receive::Batch;

use crate::fanout::{Fanout, FanoutLimits, Offer, SlowPolicy};
use crate::spare;
use crate::{ClientConfig, Error, ServerConfig};

/// A chunk of a message, as a message socket's `recv_chunk` or a stream reader gets it.
#[non_exhaustive]
#[derive(Clone, Debug, Eq, PartialEq)]
pub struct Chunk {
    /// The message's type.
    pub kind: MessageKind,
    /// The next bytes of the message (a text chunk may end inside a character).
    pub data: Bytes,
    /// Whether this is the message's last chunk.
    pub fin: bool,
}

/// What arrived and waits for the application.
#[derive(Debug)]
enum Received {
    Message(Message),
    Chunk(Chunk),
}

impl Received {
    fn len(&self) -> usize {
        match self {
            Self::Message(m) => m.len(),
            Self::Chunk(c) => c.data.len(),
        }
    }
}

/// Room the inbound queue gets when it is allocated again after an idle moment let it go.
const INBOUND_FIRST: usize = 16;

/// The operating system's randomness, through a generator seeded on first use: a client draws
/// from it for its handshake key and every frame's mask (RFC 6455 §5.3), a server never does
/// (it masks nothing), so a server connection holds no generator.
#[derive(Default)]
struct LazyEntropy(Option<Box<OsEntropy>>);

impl Entropy for LazyEntropy {
    fn fill(&mut self, buf: &mut [u8]) {
        self.0
            .get_or_insert_with(|| Box::new(OsEntropy::new()))
            .fill(buf);
    }
}

/// The server's decision on an upgrade request.
type Decide = Box<dyn FnMut(&Request) -> Result<Accept, Reject> + Send>;

/// Addresses, negotiated subprotocol and extensions, and traffic counters of a connection.
#[non_exhaustive]
#[derive(Clone, Debug, Default, Eq, PartialEq)]
pub struct ConnectionInfo {
    /// This end's address, when the transport has one.
    pub local_addr: Option<SocketAddr>,
    /// The peer's address (the proxy's, when tunnelling), when the transport has one.
    pub peer_addr: Option<SocketAddr>,
    /// What the handshake settled: subprotocol and extensions
    /// ([`Negotiated::deflate`] for compression).
    pub negotiated: Negotiated,
    /// Whether the connection runs over TLS.
    pub tls: bool,
    /// What carries the WebSocket: an HTTP/1.1 connection of its own, or one HTTP/2 stream
    /// (RFC 8441).
    pub http_version: HttpVersion,
    /// Bytes and messages sent and received, handshake included (over HTTP/2: the stream's
    /// bytes, without the HTTP/2 framing).
    pub stats: Stats,
}

/// A [`Connection`] as a socket drives it — the one place for every decision an
/// adapter would otherwise make itself.
///
/// It is still sans-IO: an adapter reads into [`read_buffer`](Session::read_buffer), writes what
/// [`poll_transmit`](Session::poll_transmit) gives, and sleeps until
/// [`poll_timeout`](Session::poll_timeout). On top of the core, a session
///
/// - runs the server's decision on the upgrade request (the application's, or accept with the
///   first subprotocol both speak) and turns failures into [`Error`]s with context;
/// - decodes everything that arrived into a bounded queue of owned messages (or chunks), so
///   pings are answered as soon as their bytes are read — whether the application is receiving,
///   only sending, or doing neither — and stops asking for input while the queue is full
///   ([`Config::inbound_high_water`](tether_proto::Config#structfield.inbound_high_water));
/// - hands out whole messages, chunks, or a byte stream, whatever the connection's receive mode;
/// - reports how the connection ended: `Ok(None)` for a normal close, an [`Error`] otherwise.
pub struct Session {
    conn: Connection,
    /// The URL a client dialled, for errors (which otherwise name the peer's address).
    url: Option<Box<str>>,
    decide: Option<Decide>,
    /// Why the opening handshake failed on this side (a refusal, an unacceptable choice).
    refused: Option<Box<Error>>,
    opened: bool,
    inbound: VecDeque<Received>,
    /// Bytes in `inbound`, and in messages lent to the receiver (see [`recv_batch`]) that it
    /// has not yet said it took.
    ///
    /// [`recv_batch`]: Self::recv_batch
    queued: usize,
    /// Bytes of the messages lent by the last [`recv_batch`](Self::recv_batch).
    lent: usize,
    /// Chunks of a message gathered for a whole-message receive in chunk mode.
    assembly: Vec<u8>,
    /// What a stream read has not taken yet of the last chunk.
    stream_rest: Bytes,
    /// A transport failure, reported once by the next receive.
    io_error: Option<Box<Error>>,
    /// The transport's read side ended or failed.
    eof: bool,
    /// The transport was shut down.
    shut_down: bool,
    /// The connection may hold no input buffer: the next read first offers it one kept by
    /// this thread.
    needs_buffer: bool,
    /// Fan-out messages waiting for room in the output.
    fanout: Fanout,
    local_addr: Option<SocketAddr>,
    peer_addr: Option<SocketAddr>,
    tls: bool,
    http_version: HttpVersion,
}

impl Session {
    /// A client session: the upgrade request for `target` is queued for the transport.
    ///
    /// # Errors
    ///
    /// The config's options cannot form a valid request ([`Error::InvalidInput`]).
    pub fn client(now: Instant, target: &Target, config: &ClientConfig) -> Result<Self, Error> {
        let conn = Connection::client(
            now,
            target,
            &config.client_options(),
            config.config.clone(),
            LazyEntropy::default(),
        )
        .map_err(|e| Error::handshake(&target.to_string(), e))?;
        Ok(Self::new(conn, Some(target.to_string()), None))
    }

    /// A client session over HTTP/2 (RFC 8441): the extended CONNECT for `target` is returned
    /// for the HTTP/2 layer to send (once the server's SETTINGS enabled it); its response goes
    /// to [`handle_response`](Self::handle_response), then the stream's bytes flow as over
    /// HTTP/1.1.
    ///
    /// # Errors
    ///
    /// The config's options cannot form a valid request ([`Error::InvalidInput`]).
    pub fn client_extended_connect(
        now: Instant,
        target: &Target,
        config: &ClientConfig,
    ) -> Result<(Self, ConnectRequest), Error> {
        let (conn, request) = Connection::client_extended_connect(
            now,
            target,
            &config.client_options(),
            config.config.clone(),
            OsEntropy::new(),
        )
        .map_err(|e| Error::handshake(&target.to_string(), e))?;
        let mut session = Self::new(conn, Some(target.to_string()), None);
        session.http_version = HttpVersion::Http2;
        Ok((session, request))
    }

    /// Client over HTTP/2: the response head to the extended CONNECT, and the start of its
    /// body when it refuses. A 2xx that answers the request opens the session; anything else
    /// ends it, and [`handshake_result`](Self::handshake_result) says why
    /// ([`Error::ServerRefused`] with the status, headers and body, ...).
    pub fn handle_response(&mut self, now: Instant, status: u16, headers: Headers, body: &[u8]) {
        self.conn.handle_response(now, status, headers, body);
        self.pump();
    }

    /// A server session: waits for the upgrade request and decides it as `config` says.
    pub fn server(now: Instant, config: &ServerConfig, peer_addr: Option<SocketAddr>) -> Self {
        let conn = Connection::server(now, config.config.clone(), LazyEntropy::default());
        let decider = config.clone();
        let decide: Decide = Box::new(move |request| decider.decide(request));
        let mut session = Self::new(conn, None, Some(decide));
        session.peer_addr = peer_addr;
        session
    }

    /// A session over a connection whose upgrade another HTTP server did (hyper, axum; over
    /// HTTP/1.1 or HTTP/2): it starts open, with what that handshake negotiated
    /// ([`ServerConfig::answer`] settles it for a server).
    pub fn open(now: Instant, role: Role, negotiated: Negotiated, config: Config) -> Self {
        let conn = Connection::open(now, role, negotiated, config, LazyEntropy::default());
        let mut session = Self::new(conn, None, None);
        session.opened = true;
        session
    }

    fn new(conn: Connection, url: Option<String>, decide: Option<Decide>) -> Self {
        Self {
            conn,
            url: url.map(String::into_boxed_str),
            decide,
            refused: None,
            opened: false,
            inbound: VecDeque::new(),
            queued: 0,
            lent: 0,
            assembly: Vec::new(),
            stream_rest: Bytes::new(),
            io_error: None,
            eof: false,
            shut_down: false,
            needs_buffer: true,
            fanout: Fanout::default(),
            local_addr: None,
            peer_addr: None,
            tls: false,
            http_version: HttpVersion::Http11,
        }
    }

    /// Records where the transport runs, for [`info`](Self::info).
    pub fn set_addrs(&mut self, local: Option<SocketAddr>, peer: Option<SocketAddr>, tls: bool) {
        self.local_addr = local;
        self.peer_addr = peer;
        self.tls = tls;
    }

    /// Records what carries the WebSocket, for [`info`](Self::info).
    pub fn set_http_version(&mut self, version: HttpVersion) {
        self.http_version = version;
    }

    // ---- driving: input, output, time ----

    /// Space to read into; then [`commit_read`](Self::commit_read).
    pub fn read_buffer(&mut self) -> &mut [u8] {
        if std::mem::take(&mut self.needs_buffer)
            && let Some(buf) = spare::take()
            && let Some(unused) = self.conn.reuse_input_buffer(buf)
        {
            spare::put(unused);
        }
        self.conn.input_buffer()
    }

    /// The transport has nothing to read now: the memory the connection does not need until
    /// more arrives is let go (see [`Connection::release_buffers`]), its input buffer kept by
    /// this thread for the next read of any connection. An adapter calls it whenever a read
    /// would block, so idle connections hold no buffers.
    pub fn read_would_block(&mut self) {
        if let Some(buf) = self.conn.release_buffers() {
            spare::put(buf);
            self.needs_buffer = true;
        }
        if self.inbound.is_empty() && self.inbound.capacity() > 0 {
            self.inbound = VecDeque::new();
        }
        if self.assembly.is_empty() && self.assembly.capacity() > 0 {
            self.assembly = Vec::new();
        }
    }

    /// `n` bytes were read into [`read_buffer`](Self::read_buffer); 0 means the transport's
    /// read side ended. Everything decodable is decoded at once (pings answered).
    pub fn commit_read(&mut self, now: Instant, n: usize) {
        if n == 0 {
            self.eof = true;
            self.conn.handle_eof(now);
        } else {
            self.conn.commit_input(now, n);
        }
        self.pump();
    }

    /// Takes bytes read elsewhere (what followed a proxy's answer, plaintext from a TLS layer
    /// pumped by hand).
    pub fn feed(&mut self, now: Instant, bytes: &[u8]) {
        self.conn.handle_input(now, bytes);
        self.pump();
    }

    /// The transport failed while reading or writing: no more input, and the next receive
    /// reports it (once). Returns the error as the socket reports it: a TLS failure carried in
    /// the `io::Error` (as rustls-based transports do) comes out as [`Error::Tls`].
    pub fn transport_failed(&mut self, now: Instant, e: io::Error) -> Error {
        if !self.eof {
            self.eof = true;
            self.conn.handle_eof(now);
        }
        let error = self.io_error(e);
        let reported = match &error {
            Error::Tls { peer, source } => Error::Tls {
                peer: peer.clone(),
                source: source.clone(),
            },
            Error::Http2(reset) => Error::Http2(*reset),
            Error::Io { peer, source } => Error::Io {
                peer: peer.clone(),
                source: io::Error::new(source.kind(), source.to_string()),
            },
            other => io::Error::new(other.io_kind(), other.to_string()).into(),
        };
        self.io_error.get_or_insert_with(|| Box::new(reported));
        self.pump();
        error
    }

    /// `e` as the socket reports it (see [`Error::from_io`]).
    pub fn io_error(&self, e: io::Error) -> Error {
        Error::from_io(e, &self.peer())
    }

    /// The peer as errors name it: the URL a client dialled, else the peer's address when the
    /// transport has one (made into text only when an error needs it).
    pub fn peer(&self) -> Cow<'_, str> {
        match (&self.url, self.peer_addr) {
            (Some(url), _) => Cow::Borrowed(url),
            (None, Some(addr)) => Cow::Owned(addr.to_string()),
            (None, None) if self.conn.role() == Role::Server => Cow::Borrowed("the client"),
            (None, None) => Cow::Borrowed("the peer"),
        }
    }

    /// Whether the adapter should read: the transport is open, and the queue of received
    /// messages is below its bound (past it, a peer is slowed by TCP, not by memory).
    pub fn wants_read(&self) -> bool {
        !self.eof
            && !self.shut_down
            && (self.conn.state() != State::Closed || self.conn.role() == Role::Client)
            && self.queued < self.conn.config().inbound_high_water
    }

    /// Runs the timers due at `now` (handshake, keepalive, close).
    pub fn handle_timeout(&mut self, now: Instant) {
        self.conn.handle_timeout(now);
        self.pump();
    }

    /// When [`handle_timeout`](Self::handle_timeout) is next due.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.conn.poll_timeout()
    }

    /// What to write now (see [`Connection::poll_transmit`]).
    pub fn poll_transmit(&mut self) -> Transmit<'_> {
        if self.shut_down {
            return Transmit::Idle;
        }
        self.conn.poll_transmit()
    }

    /// The transport took `n` bytes. Fan-out messages waiting for room move into the output.
    pub fn advance_transmit(&mut self, n: usize) {
        self.conn.advance_transmit(n);
        self.drain_fanout();
    }

    /// Moves fan-out messages into the output while it has room and no streamed message of the
    /// application's is unfinished (a prepared message never goes in the middle of one).
    fn drain_fanout(&mut self) {
        while self.conn.is_writable() {
            let Some(prepared) = self.fanout.pop() else {
                break;
            };
            match self.conn.send_prepared(&prepared) {
                Ok(()) => {}
                Err(SendError::MessageInProgress) => {
                    self.fanout.push_front(prepared);
                    break;
                }
                // Closing or closed: nothing more goes out.
                Err(_) => self.fanout.clear(),
            }
        }
    }

    /// The adapter shut the transport down (after [`Transmit::Shutdown`], or giving up on it).
    pub fn transport_shut_down(&mut self) {
        self.shut_down = true;
    }

    /// Whether the transport was shut down.
    pub fn is_shut_down(&self) -> bool {
        self.shut_down
    }

    /// Decodes what is buffered into the queue, until the queue is full: handshake events are
    /// acted on, pings were answered by the core, data is kept for the application.
    fn pump(&mut self) {
        while self.queued < self.conn.config().inbound_high_water {
            let received = match self.conn.poll_event() {
                None => return,
                Some(Event::Request(_)) => {
                    self.decide_request();
                    continue;
                }
                Some(Event::Open) => {
                    self.opened = true;
                    continue;
                }
                Some(Event::Message { .. }) => match self.conn.take_message() {
                    Some(message) => Received::Message(message),
                    None => continue,
                },
                Some(Event::Chunk { kind, data, fin }) => Received::Chunk(Chunk {
                    kind,
                    data: Bytes::copy_from_slice(data),
                    fin,
                }),
                // Pings were answered; pongs and the end need nothing here (the end is read
                // from the connection).
                Some(_) => continue,
            };
            self.queued += received.len();
            if self.inbound.capacity() == 0 {
                // Released while idle: room for a burst at once, not grown 4, 8, 16.
                self.inbound.reserve(INBOUND_FIRST);
            }
            self.inbound.push_back(received);
        }
    }

    /// Server: runs the decision on the request just reported and answers it.
    fn decide_request(&mut self) {
        let decision = match (self.conn.request(), self.decide.as_mut()) {
            (Some(request), Some(decide)) => decide(request),
            _ => Err(Reject::new(500)),
        };
        self.decide = None;
        match decision {
            Ok(accept) => {
                if let Err(e) = self.conn.accept(accept) {
                    // The application chose something the client did not offer: a server
                    // error, and the caller learns why.
                    self.refused = Some(Box::new(Error::Send(e)));
                    let _ = self.conn.reject(Reject::new(500));
                }
            }
            Err(reject) => {
                let status = reject.status();
                if self.conn.reject(reject).is_ok() {
                    self.refused = Some(Box::new(Error::Refused { status }));
                }
            }
        }
    }

    // ---- the opening handshake ----

    /// `None` while the opening handshake runs; then `Ok` once open, or how it failed.
    pub fn handshake_result(&mut self) -> Option<Result<(), Error>> {
        if self.opened {
            return Some(Ok(()));
        }
        if let Some(e) = self.refused.take() {
            return Some(Err(*e));
        }
        match self.conn.close_result() {
            Some(Err(tether_proto::ConnectionError::Handshake(e))) => {
                Some(Err(Error::handshake(&self.peer(), e.clone())))
            }
            Some(Err(e)) => Some(Err(Error::from_failure(e))),
            Some(Ok(_)) => Some(Err(Error::abnormal())),
            None if self.eof => Some(Err(Error::handshake(
                &self.peer(),
                tether_proto::handshake::HandshakeError::UnexpectedEof,
            ))),
            None => None,
        }
    }

    // ---- the application's side (receiving: session/receive.rs) ----

    /// Whether a new message can be queued now: the output is below
    /// [`Config::outbound_high_water`].
    pub fn is_writable(&self) -> bool {
        self.conn.is_writable()
    }

    /// Queues a whole message (whatever the outbound bound: check
    /// [`is_writable`](Self::is_writable) first to respect it).
    ///
    /// # Errors
    ///
    /// How the connection ended, or why the message cannot be sent.
    pub fn send(&mut self, message: Message, options: SendOptions) -> Result<(), Error> {
        let result = self.conn.send(message, options);
        result.map_err(|e| self.send_error(e))
    }

    /// Queues a prepared message (see [`Connection::send_prepared`]).
    ///
    /// # Errors
    ///
    /// As [`send`](Self::send).
    pub fn send_prepared(&mut self, prepared: &PreparedMessage) -> Result<(), Error> {
        let result = self.conn.send_prepared(prepared);
        result.map_err(|e| self.send_error(e))
    }

    /// Offers a fan-out message (from a publisher, not the application's own sends): queued on
    /// the connection when its output has room and nothing else waits; otherwise kept in order
    /// behind others, within `limits`, and past them handled by the slow-subscriber policy. The
    /// adapter must wake whoever drives the connection afterwards.
    #[inline]
    pub fn offer(
        &mut self,
        now: Instant,
        prepared: &PreparedMessage,
        limits: &FanoutLimits,
    ) -> Offer {
        if self.conn.state() != State::Open {
            return Offer::Gone;
        }
        if self.fanout.is_empty() && self.conn.is_writable() {
            match self.conn.send_prepared(prepared) {
                Ok(()) => return Offer::Sent,
                // The application's streamed message first: it waits in the queue.
                Err(SendError::MessageInProgress) => {}
                Err(_) => return Offer::Gone,
            }
        }
        self.offer_queued(now, prepared, limits)
    }

    /// [`offer`](Self::offer) for a message that must wait in the fan-out queue.
    fn offer_queued(
        &mut self,
        now: Instant,
        prepared: &PreparedMessage,
        limits: &FanoutLimits,
    ) -> Offer {
        let len = prepared.frame().len();
        let mut dropped = 0;
        while self.fanout.over(limits, len) {
            match &limits.on_slow {
                SlowPolicy::DropOldest => {
                    self.fanout.pop();
                    dropped += 1;
                }
                SlowPolicy::Close { code, reason } => {
                    self.fanout.clear();
                    let _ = self.close(now, *code, reason);
                    return Offer::ClosedSlow;
                }
            }
        }
        self.fanout.push(prepared.clone());
        if dropped > 0 {
            Offer::DroppedOldest(dropped)
        } else {
            Offer::Queued
        }
    }

    /// Starts a streamed message.
    ///
    /// # Errors
    ///
    /// As [`send`](Self::send).
    pub fn begin_message(&mut self, kind: MessageKind, options: SendOptions) -> Result<(), Error> {
        let result = self.conn.begin_message(kind, options);
        result.map_err(|e| self.send_error(e))
    }

    /// Queues the next chunk of the streamed message.
    ///
    /// # Errors
    ///
    /// As [`send`](Self::send).
    pub fn send_chunk(&mut self, data: Bytes, fin: bool) -> Result<(), Error> {
        let result = self.conn.send_chunk(data, fin);
        if fin && result.is_ok() {
            // Fan-out messages that waited for the streamed message to end.
            self.drain_fanout();
        }
        result.map_err(|e| self.send_error(e))
    }

    /// Queues a ping.
    ///
    /// # Errors
    ///
    /// As [`send`](Self::send); a payload over 125 bytes.
    pub fn ping(&mut self, payload: &[u8]) -> Result<(), Error> {
        let result = self.conn.ping(payload);
        result.map_err(|e| self.send_error(e))
    }

    /// Queues an unsolicited pong.
    ///
    /// # Errors
    ///
    /// As [`ping`](Self::ping).
    pub fn pong(&mut self, payload: &[u8]) -> Result<(), Error> {
        let result = self.conn.pong(payload);
        result.map_err(|e| self.send_error(e))
    }

    /// Starts the close handshake; nothing happens when it already started or ended.
    ///
    /// # Errors
    ///
    /// The code may not be sent, or the reason is over 123 bytes.
    pub fn close(&mut self, now: Instant, code: CloseCode, reason: &str) -> Result<(), Error> {
        match self.conn.close(now, code, reason) {
            Ok(()) | Err(SendError::Closed | SendError::NotOpen) => Ok(()),
            Err(e) => Err(Error::Send(e)),
        }
    }

    /// A refused command as an error: after the end, how the connection ended.
    fn send_error(&self, e: SendError) -> Error {
        match (e, self.conn.close_result()) {
            (SendError::Closed, Some(Ok(frame))) => Error::Closed {
                code: frame.code,
                reason: frame.reason.clone(),
            },
            (SendError::Closed, Some(Err(failure))) => Error::from_failure(failure),
            (e, _) => Error::Send(e),
        }
    }

    /// Whether the connection is closed (the close handshake completed or it failed).
    pub fn is_closed(&self) -> bool {
        self.conn.state() == State::Closed
    }

    /// The peer's close frame, once the close handshake completed.
    pub fn close_frame(&self) -> Option<CloseFrame> {
        match self.conn.close_result() {
            Some(Ok(frame)) => Some(frame.clone()),
            _ => None,
        }
    }

    /// How the close this side started ended: the peer's close frame, or the failure.
    pub fn close_outcome(&self) -> Option<Result<CloseFrame, Error>> {
        Some(match self.conn.close_result()? {
            Ok(frame) => Ok(frame.clone()),
            Err(e) => Err(Error::from_failure(e)),
        })
    }

    /// Addresses, negotiated subprotocol and extensions, counters.
    pub fn info(&self) -> ConnectionInfo {
        ConnectionInfo {
            local_addr: self.local_addr,
            peer_addr: self.peer_addr,
            negotiated: self.conn.negotiated().clone(),
            tls: self.tls,
            http_version: self.http_version,
            stats: self.conn.stats(),
        }
    }

    /// The connection inside.
    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    /// The connection inside, to change its settings ([`Connection::config_mut`]).
    pub fn connection_mut(&mut self) -> &mut Connection {
        &mut self.conn
    }
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("peer", &self.peer())
            .field("conn", &self.conn)
            .field("queued", &self.queued)
            .field("eof", &self.eof)
            .field("shut_down", &self.shut_down)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use std::net::SocketAddr;

    use tether_proto::connection::Negotiated;
    use tether_proto::handshake::Target;
    use tether_proto::{Config, Instant, Role};

    use crate::{ClientConfig, ServerConfig, Session};

    #[test]
    fn the_peer_is_the_url_a_client_dialled_or_the_address_a_server_was_reached_from() {
        let target = Target::parse("ws://127.0.0.1:9001/chat").unwrap();
        let client = Session::client(Instant::ZERO, &target, &ClientConfig::default()).unwrap();
        assert_eq!(client.peer(), "ws://127.0.0.1:9001/chat");

        let addr: SocketAddr = "127.0.0.1:54321".parse().unwrap();
        let server = Session::server(Instant::ZERO, &ServerConfig::default(), Some(addr));
        assert_eq!(server.peer(), "127.0.0.1:54321");
        assert!(format!("{server:?}").contains("127.0.0.1:54321"));
        let unknown = Session::server(Instant::ZERO, &ServerConfig::default(), None);
        assert_eq!(unknown.peer(), "the client");

        // A connection upgraded elsewhere: the address once the adapter records it.
        let mut open = Session::open(
            Instant::ZERO,
            Role::Server,
            Negotiated::default(),
            Config::default(),
        );
        assert_eq!(open.peer(), "the client");
        open.set_addrs(None, Some(addr), false);
        assert_eq!(open.peer(), "127.0.0.1:54321");
    }
}
