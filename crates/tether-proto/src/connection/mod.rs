//! The connection state machine: bytes in, events out; commands in, bytes to send.
//!
//! A [`Connection`] does no I/O and reads no clock. Its methods come in four kinds (the quinn
//! model), and every method that needs the time takes `now` first:
//!
//! - **input** (`handle_*`): bytes from the transport ([`handle_input`](Connection::handle_input)
//!   or [`input_buffer`](Connection::input_buffer) + [`commit_input`](Connection::commit_input)),
//!   the transport's end ([`handle_eof`](Connection::handle_eof)) and the passing of time
//!   ([`handle_timeout`](Connection::handle_timeout));
//! - **commands**: [`send`](Connection::send) a whole [`Message`], stream one
//!   ([`begin_message`](Connection::begin_message) + [`send_chunk`](Connection::send_chunk)),
//!   [`ping`](Connection::ping), [`pong`](Connection::pong), [`close`](Connection::close), and
//!   on the server [`accept`](Connection::accept) / [`reject`](Connection::reject);
//! - **output** (`poll_*`): [`poll_event`](Connection::poll_event) until `None` (with
//!   [`take_message`](Connection::take_message) to keep a message),
//!   [`poll_transmit`](Connection::poll_transmit) until idle, then
//!   [`poll_timeout`](Connection::poll_timeout) to learn when to call `handle_timeout`;
//! - **getters**: state, what was negotiated, statistics, how it ended.
//!
//! After every input or command, an adapter drains events, writes what `poll_transmit` gives,
//! and re-arms its timer from `poll_timeout`.
//!
//! Inside, each concept has its file: `input` (the input buffer and direct reads), `recv`
//! (decoding), `upgrade` (the opening handshake), `send` and `output` (encoding and the bytes
//! waiting for the transport), `close` (the close handshake and failures), `timer`.

mod accessors;
mod assembly;
mod close;
#[cfg(all(test, feature = "deflate"))]
mod deflate_tests;
mod input;
#[cfg(feature = "deflate")]
mod negotiate;
mod output;
mod prepared;
mod recv;
mod send;
#[cfg(test)]
mod tests;
mod timer;
mod upgrade;

use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;

use bytes::Bytes;

use self::input::{Emitted, Input};
pub use self::output::Bufs;
use self::output::Output;
pub use self::prepared::PreparedMessage;
use self::recv::{InFrame, InMessage, Step};
use self::send::OutMessage;
pub use self::send::SendOptions;
use self::timer::{Timer, Timers};
use self::upgrade::HandshakeState;
use crate::error::{ConnectionError, SendError};
use crate::extension::Extension;
use crate::frame::{OpCode, Rsv};
use crate::handshake::{
    Accept, ClientHandshake, ClientOptions, ConnectRequest, ExtensionOffer, HandshakeError,
    Headers, Reject, Request, Response, ServerHandshake, Target,
};
use crate::{CloseCode, CloseFrame, Config, Entropy, Event, Instant, Message, MessageKind, Role};

/// Where a connection is in its life (RFC 6455 §4, §7).
#[derive(Clone, Copy, Debug, Eq, Hash, PartialEq)]
pub enum State {
    /// The opening handshake is in progress.
    Connecting,
    /// Messages flow both ways.
    Open,
    /// This endpoint sent a close frame and waits for the peer's.
    Closing,
    /// The close handshake completed or the connection failed. A peer's close frame is echoed
    /// at once, so there is no separate "close received" state.
    Closed,
}

/// What the transport should do next, from [`Connection::poll_transmit`].
#[must_use]
#[derive(Debug)]
pub enum Transmit<'a> {
    /// Write these slices, in order (one vectored write, or as many writes as it takes), then
    /// report how many bytes were taken with [`Connection::advance_transmit`].
    Write(Bufs<'a>),
    /// Everything is written and the connection is done: shut the transport down (§7.1.1: the
    /// server closes the TCP connection first; the client once the server has, or after the
    /// close timeout).
    Shutdown,
    /// Nothing to write now.
    Idle,
}

/// What the opening handshake settled.
#[non_exhaustive]
#[derive(Clone, Debug, Default, Eq, PartialEq)]
pub struct Negotiated {
    /// The subprotocol both ends agreed on.
    pub protocol: Option<String>,
    /// The extensions in use, with their parameters.
    pub extensions: Vec<ExtensionOffer>,
}

impl Negotiated {
    /// What another HTTP server settled when it did the handshake (see
    /// [`Connection::open`]).
    pub fn new(protocol: Option<String>, extensions: Vec<ExtensionOffer>) -> Self {
        Self {
            protocol,
            extensions,
        }
    }

    /// The permessage-deflate (RFC 7692) entry among [`extensions`](Self::extensions), if
    /// compression is in use.
    pub fn deflate(&self) -> Option<&ExtensionOffer> {
        self.extensions
            .iter()
            .find(|e| e.name.eq_ignore_ascii_case("permessage-deflate"))
    }
}

/// Traffic counters.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, Default, Eq, PartialEq)]
pub struct Stats {
    /// Bytes taken from the transport, handshake included.
    pub bytes_received: u64,
    /// Bytes handed to the transport, handshake included.
    pub bytes_sent: u64,
    /// Data messages received completely.
    pub messages_received: u64,
    /// Data messages sent completely.
    pub messages_sent: u64,
}

/// A WebSocket connection without I/O: see the [module docs](self) for the calling pattern.
///
/// ```
/// use tether_proto::{Config, Connection, Event, FixedEntropy, Instant, Message, MessageKind,
///     Role, SendOptions};
/// use tether_proto::connection::{Negotiated, Transmit};
///
/// // Two connections whose handshake happened elsewhere, wired back to back.
/// let now = Instant::ZERO;
/// let mut client = Connection::open(now, Role::Client, Negotiated::default(),
///     Config::default(), FixedEntropy::new(1));
/// let mut server = Connection::open(now, Role::Server, Negotiated::default(),
///     Config::default(), FixedEntropy::new(2));
///
/// client.send(Message::text("hello"), SendOptions::default())?;
/// while let Transmit::Write(bufs) = client.poll_transmit() {
///     let bytes: Vec<u8> = bufs.flat_map(|b| b.iter().copied()).collect();
///     client.advance_transmit(bytes.len());
///     server.handle_input(now, &bytes);
/// }
/// match server.poll_event() {
///     Some(Event::Message { kind: MessageKind::Text, data }) => assert_eq!(data, b"hello"),
///     other => panic!("unexpected {other:?}"),
/// }
/// # Ok::<(), tether_proto::SendError>(())
/// ```
pub struct Connection {
    input: Input,
    core: Core,
}

/// Everything but the input buffers, so events can borrow those while the state changes. Its
/// methods live with the concept they serve: `recv`, `upgrade`, `send`, `close`, `input`.
pub(crate) struct Core {
    role: Role,
    config: Config,
    state: State,
    handshake: HandshakeState,
    /// Boxed: kept for the getters, out of the way of the state an open connection touches.
    request: Option<Box<Request>>,
    response: Option<Box<Response>>,
    negotiated: Negotiated,
    entropy: Box<dyn Entropy>,
    out: Output,
    timers: Timers,
    frame: Option<InFrame>,
    message: Option<InMessage>,
    sending: Option<OutMessage>,
    extension: Option<Box<dyn Extension>>,
    /// Server with permessage-deflate and no context takeover: what decides the compressed
    /// bytes, for sharing them (see [`PreparedMessage`]).
    #[cfg(feature = "deflate")]
    shared_deflate: Option<crate::deflate::SendKey>,
    /// Encoder output for outgoing messages an extension transforms.
    send_scratch: Vec<u8>,
    /// Client: the core offered permessage-deflate itself (and so handles the answer).
    #[cfg(feature = "deflate")]
    deflate_offered: bool,
    /// Whether a close frame went out.
    close_sent: bool,
    /// How the connection ended, once it has. Boxed: set once, at the end, so an open
    /// connection does not carry its room.
    result: Option<Box<Result<CloseFrame, ConnectionError>>>,
    result_reported: bool,
    open_pending: bool,
    /// The transport should be shut down once the output is written.
    shutdown: bool,
    /// The transport's read side has ended.
    eof: bool,
    stats: Stats,
}

impl Connection {
    /// A client connection: writes the upgrade request for `target` to the output and waits
    /// for the server's response.
    ///
    /// # Errors
    ///
    /// The options cannot form a valid request.
    pub fn client(
        now: Instant,
        target: &Target,
        options: &ClientOptions,
        config: Config,
        entropy: impl Entropy + 'static,
    ) -> Result<Self, HandshakeError> {
        let mut entropy: Box<dyn Entropy> = Box::new(entropy);
        let mut key = [0; 16];
        entropy.fill(&mut key);
        let mut out = Output::new(true);
        #[cfg(feature = "deflate")]
        let (options, offered) = Core::offer_deflate(&config, options);
        #[cfg(feature = "deflate")]
        let options = &options;
        let handshake = ClientHandshake::new(target, options, key, out.raw_buf())?;
        #[allow(unused_mut)]
        let mut conn = Self::new(
            now,
            Role::Client,
            HandshakeState::Client(Box::new(handshake)),
            out,
            config,
            entropy,
        );
        #[cfg(feature = "deflate")]
        {
            conn.core.deflate_offered = offered;
        }
        Ok(conn)
    }

    /// A client connection over HTTP/2 (RFC 8441): the extended CONNECT for `target` is
    /// returned for the HTTP/2 layer to send (only once the server's SETTINGS enabled the
    /// extended CONNECT), with the same options and permessage-deflate offer as
    /// [`client`](Self::client). The connection waits for
    /// [`handle_response`](Self::handle_response); the stream's bytes then flow through
    /// [`handle_input`](Self::handle_input) and [`poll_transmit`](Self::poll_transmit) as over
    /// HTTP/1.1. The handshake timeout runs from now.
    ///
    /// # Errors
    ///
    /// The options cannot form a valid request.
    pub fn client_extended_connect(
        now: Instant,
        target: &Target,
        options: &ClientOptions,
        config: Config,
        entropy: impl Entropy + 'static,
    ) -> Result<(Self, ConnectRequest), HandshakeError> {
        #[cfg(feature = "deflate")]
        let (options, offered) = Core::offer_deflate(&config, options);
        #[cfg(feature = "deflate")]
        let options = &options;
        let (handshake, request) = ClientHandshake::extended_connect(target, options)?;
        #[allow(unused_mut)]
        let mut conn = Self::new(
            now,
            Role::Client,
            HandshakeState::ClientHeaders(Box::new(handshake)),
            Output::new(true),
            config,
            Box::new(entropy),
        );
        #[cfg(feature = "deflate")]
        {
            conn.core.deflate_offered = offered;
        }
        Ok((conn, request))
    }

    /// A server connection: waits for the client's upgrade request, reports it as
    /// [`Event::Request`], and proceeds once [`accept`](Self::accept) or
    /// [`reject`](Self::reject) is called.
    pub fn server(now: Instant, config: Config, entropy: impl Entropy + 'static) -> Self {
        let handshake = HandshakeState::Server(Box::new(ServerHandshake::new()));
        Self::new(
            now,
            Role::Server,
            handshake,
            Output::new(false),
            config,
            Box::new(entropy),
        )
    }

    /// A connection whose opening handshake was done elsewhere (for example by an HTTP server
    /// that parsed the upgrade request, see the `http` feature). It starts open.
    ///
    /// With the `deflate` feature and [`Config::deflate`] set, a permessage-deflate response
    /// among `negotiated.extensions` (see [`DeflateConfig::negotiate`]) installs the codec.
    ///
    /// [`DeflateConfig::negotiate`]: crate::deflate::DeflateConfig::negotiate
    pub fn open(
        now: Instant,
        role: Role,
        negotiated: Negotiated,
        config: Config,
        entropy: impl Entropy + 'static,
    ) -> Self {
        let out = Output::new(role == Role::Client);
        let mut conn = Self::new(
            now,
            role,
            HandshakeState::Done,
            out,
            config,
            Box::new(entropy),
        );
        conn.core.negotiated = negotiated;
        #[cfg(feature = "deflate")]
        conn.core.deflate_from_negotiated();
        conn.core.become_open();
        conn.core.open_pending = false;
        conn
    }

    fn new(
        now: Instant,
        role: Role,
        handshake: HandshakeState,
        out: Output,
        config: Config,
        entropy: Box<dyn Entropy>,
    ) -> Self {
        let timers = Timers {
            handshake: config.handshake_timeout.map(|t| now + t),
            last_input: now,
            ..Timers::default()
        };
        Self {
            input: Input::default(),
            core: Core {
                role,
                config,
                state: State::Connecting,
                handshake,
                request: None,
                response: None,
                negotiated: Negotiated::default(),
                entropy,
                out,
                timers,
                frame: None,
                message: None,
                sending: None,
                extension: None,
                #[cfg(feature = "deflate")]
                shared_deflate: None,
                send_scratch: Vec::new(),
                #[cfg(feature = "deflate")]
                deflate_offered: false,
                close_sent: false,
                result: None,
                result_reported: false,
                open_pending: false,
                shutdown: false,
                eof: false,
                stats: Stats::default(),
            },
        }
    }

    // ---- input ----

    /// Takes bytes received from the transport (copying them into the input buffer).
    ///
    /// Decoding happens in [`poll_event`](Self::poll_event); drain events before feeding more,
    /// and the input buffer stays within one read plus one frame header.
    pub fn handle_input(&mut self, now: Instant, data: &[u8]) {
        self.core.note_input(now, data.len());
        if self.core.state != State::Closed {
            self.input.push(data);
        }
    }

    /// Free space in the input buffer to read into directly, without a copy; then call
    /// [`commit_input`](Self::commit_input) with how many bytes were read. Offers at least
    /// [`Config::read_size`] bytes, allocating only when a read needs it.
    pub fn input_buffer(&mut self) -> &mut [u8] {
        self.core.prepare_direct_read(&mut self.input);
        self.input.read_space(self.core.config.read_size)
    }

    /// Lets go of the memory an idle connection does not need; call it whenever the transport
    /// has nothing to read (a read would block). The output buffer goes once everything was
    /// written, and the input buffer, which is returned, once no more than a few undecoded
    /// bytes wait in it (they move to a buffer of their own size). Large buffers — an input
    /// buffer over 64 KiB, the one kept to assemble the next large message in — go only once a
    /// keepalive ping went out and nothing arrived since: a busy stream keeps them from one read
    /// to the next, and so does a request–response exchange of large messages, while an idle
    /// connection lets them go by its first keepalive ping (without keepalive, they are kept).
    /// The next read or send allocates again.
    ///
    /// Hand the returned buffer to the next read of this connection or another with
    /// [`reuse_input_buffer`](Self::reuse_input_buffer): an adapter that keeps a few per thread
    /// holds no input buffer for an idle connection and allocates none for a busy one.
    pub fn release_buffers(&mut self) -> Option<Vec<u8>> {
        self.core.out.release_if_empty();
        self.core.send_scratch = Vec::new();
        self.input
            .release_idle(self.core.timers.ping_sent.is_some())
    }

    /// Offers a buffer (any contents; one from [`release_buffers`](Self::release_buffers)) for
    /// the next reads: taken when it is larger than the input buffer held, which it replaces
    /// (undecoded bytes move into it), and otherwise given back.
    pub fn reuse_input_buffer(&mut self, buf: Vec<u8>) -> Option<Vec<u8>> {
        self.input.reuse(buf)
    }

    /// Marks `n` bytes of the space from [`input_buffer`](Self::input_buffer) as received.
    pub fn commit_input(&mut self, now: Instant, n: usize) {
        self.core.note_input(now, n);
        if !self.core.commit_direct(&mut self.input, n) && self.core.state != State::Closed {
            self.input.commit(n);
        }
    }

    /// The transport's read side ended (the peer closed it, or it failed).
    ///
    /// Bytes already received are still decoded; if the close handshake had not completed, the
    /// connection then fails with 1006 ([`ConnectionError::Abnormal`]).
    pub fn handle_eof(&mut self, _now: Instant) {
        self.core.eof = true;
        if self.core.state == State::Closed {
            self.core.timers.close = None;
            self.core.shutdown = true;
        }
    }

    /// Runs the timers that are due at `now`: handshake timeout, keepalive ping and its
    /// timeout, close timeout. Calling it early or twice is harmless.
    pub fn handle_timeout(&mut self, now: Instant) {
        // Each step changes the state that armed its timer, so this ends; the bound is a guard.
        for _ in 0..4 {
            match self.core.next_timer() {
                Some((timer, at)) if at <= now => self.core.on_timer(timer, now),
                _ => return,
            }
        }
    }

    // ---- commands ----

    /// Client over HTTP/2: the response head to the extended CONNECT from
    /// [`client_extended_connect`](Self::client_extended_connect), as the HTTP/2 layer decoded
    /// it, and the start of its body when it refuses (at most
    /// [`Limits::max_body_bytes`](crate::handshake::Limits) are kept). It is checked with the
    /// same code as a 101 ([`ClientHandshake::check_response`]): a 2xx that answers our offers
    /// opens the connection ([`Event::Open`]); anything else fails it
    /// ([`Event::Closed`] with [`ConnectionError::Handshake`], e.g.
    /// [`HandshakeError::Rejected`]). Does nothing in any other state.
    pub fn handle_response(&mut self, _now: Instant, status: u16, headers: Headers, body: &[u8]) {
        self.core.handle_response(status, headers, body);
    }

    /// Server side: accepts the request reported by [`Event::Request`], with the chosen
    /// subprotocol, extensions and extra headers. The connection opens ([`Event::Open`]).
    ///
    /// When `accept` chooses no extension and [`Config::deflate`] is set, the client's
    /// permessage-deflate offers are negotiated here (the first one this side can honour is
    /// accepted, the rest declined) and the codec installed.
    ///
    /// # Errors
    ///
    /// No request is waiting, or `accept` chooses something the client did not offer.
    pub fn accept(&mut self, accept: Accept) -> Result<(), SendError> {
        self.core.accept(accept)
    }

    /// Server side: refuses the request reported by [`Event::Request`] with any status, headers
    /// and body. The response is written, then the transport shut down.
    ///
    /// # Errors
    ///
    /// No request is waiting.
    pub fn reject(&mut self, reject: Reject) -> Result<(), SendError> {
        self.core.reject(reject)
    }

    /// Installs a negotiated extension's data transform (RFC 6455 §9). Frames may then carry
    /// its reserved bits. One extension at a time; install it before any message flows.
    /// permessage-deflate needs no call: the connection negotiates and installs it.
    ///
    /// # Errors
    ///
    /// A message is being sent or received.
    pub fn install_extension(&mut self, extension: Box<dyn Extension>) -> Result<(), SendError> {
        let core = &mut self.core;
        if core.message.is_some() || core.sending.is_some() || core.frame.is_some() {
            return Err(SendError::MessageInProgress);
        }
        core.extension = Some(extension);
        #[cfg(feature = "deflate")]
        {
            core.shared_deflate = None;
        }
        Ok(())
    }

    /// Sends a whole message, split into frames of at most [`Config::send_frame_size`]. A large
    /// payload is not copied: the connection keeps the [`Bytes`] and
    /// [`poll_transmit`](Self::poll_transmit) hands it to the transport as one more slice.
    ///
    /// # Errors
    ///
    /// The connection is not open, or a streamed message is unfinished.
    #[inline]
    pub fn send(&mut self, message: Message, options: SendOptions) -> Result<(), SendError> {
        self.core.send(message, options)
    }

    /// Sends a [`PreparedMessage`]: the bytes [`send`](Self::send) would send, encoded once
    /// for every connection that can share them — the frame as it is for a server without
    /// extension, the frame compressed once per parameter set for servers with
    /// permessage-deflate and no context takeover (see [`PreparedMessage`] for which
    /// connection gets which); otherwise encoded by this connection from the shared payload.
    /// Frames of a prepared message never go in the middle of another message.
    ///
    /// # Errors
    ///
    /// As [`send`](Self::send).
    #[inline]
    pub fn send_prepared(&mut self, prepared: &PreparedMessage) -> Result<(), SendError> {
        self.core.send_prepared(prepared)
    }

    /// Starts a streamed message: its chunks follow with [`send_chunk`](Self::send_chunk), so
    /// the sender never needs the whole message in memory.
    ///
    /// # Errors
    ///
    /// The connection is not open, or another streamed message is unfinished.
    pub fn begin_message(
        &mut self,
        kind: MessageKind,
        options: SendOptions,
    ) -> Result<(), SendError> {
        self.core.begin_message(kind, options)
    }

    /// Sends the next chunk of the streamed message; `fin` ends it. Text chunks may split a
    /// character; the whole must be valid UTF-8.
    ///
    /// # Errors
    ///
    /// No streamed message is in progress, the connection is not open, or the text so far is
    /// not valid UTF-8 (nothing of this chunk is sent).
    pub fn send_chunk(&mut self, data: impl Into<Bytes>, fin: bool) -> Result<(), SendError> {
        self.core.send_chunk(data.into(), fin)
    }

    /// Sends a ping (payload at most 125 bytes). The pong shows up as [`Event::Pong`].
    ///
    /// # Errors
    ///
    /// The connection is not open, or the payload is too long.
    pub fn ping(&mut self, payload: &[u8]) -> Result<(), SendError> {
        self.core.send_control(OpCode::Ping, payload)
    }

    /// Sends a pong (payload at most 125 bytes): an answer when `auto_pong` is off, or an
    /// unsolicited heartbeat (§5.5.3).
    ///
    /// # Errors
    ///
    /// The connection is not open, or the payload is too long.
    pub fn pong(&mut self, payload: &[u8]) -> Result<(), SendError> {
        self.core.send_control(OpCode::Pong, payload)
    }

    /// Starts the close handshake (§7.1.2): sends a close frame with `code` and `reason`, after
    /// which nothing more is sent. The peer's answer ends the connection ([`Event::Closed`]);
    /// if it does not come within [`Config::close_timeout`], the connection fails with
    /// [`ConnectionError::CloseTimeout`]. [`CloseCode::NO_STATUS`] sends a close frame without
    /// a code (the reason must then be empty). A streamed message in progress is abandoned.
    ///
    /// # Errors
    ///
    /// The code may not be sent, the reason is longer than
    /// [`MAX_REASON_LEN`](crate::MAX_REASON_LEN) (123) bytes, or the connection is not open.
    pub fn close(&mut self, now: Instant, code: CloseCode, reason: &str) -> Result<(), SendError> {
        self.core.close(now, code, reason)
    }

    // ---- output ----

    /// The next thing that happened, if any. Decodes buffered input as it goes; call it until it
    /// returns `None` after every input or command. Payloads borrow the connection until the
    /// next call.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<Event<'_>> {
        self.input.release();
        let step = self.core.step(&mut self.input);
        Some(match step {
            Step::Pending => return None,
            Step::Request => Event::Request(self.core.request.as_deref()?),
            Step::Open => Event::Open,
            Step::Whole(kind, range) => {
                self.input.emitted = Emitted::Buf(kind, range.clone());
                Event::Message {
                    kind,
                    data: &self.input.buf[range],
                }
            }
            Step::Assembled(kind) => {
                self.input.emitted = Emitted::Assembly(kind);
                Event::Message {
                    kind,
                    data: self.input.assembly.bytes(),
                }
            }
            Step::Chunk {
                kind,
                range,
                scratch,
                fin,
            } => {
                let source = if scratch {
                    &self.input.scratch
                } else {
                    &self.input.buf
                };
                Event::Chunk {
                    kind,
                    data: &source[range],
                    fin,
                }
            }
            Step::Ping(range) => Event::Ping(&self.input.buf[range]),
            Step::Pong(range) => Event::Pong(&self.input.buf[range]),
            Step::Closed => return self.core.closed_event(),
        })
    }

    /// Moves the message the last [`poll_event`](Self::poll_event) returned as
    /// [`Event::Message`] out as an owned [`Message`]: a message assembled from several frames
    /// or reads is moved without a copy, one that arrived in one piece is copied. `None` when
    /// the last event was no whole message, or when [`input_buffer`](Self::input_buffer) or
    /// [`handle_input`](Self::handle_input) was called since.
    #[inline]
    pub fn take_message(&mut self) -> Option<Message> {
        self.input.take_message()
    }

    /// What to write to the transport now. After writing, report the count with
    /// [`advance_transmit`](Self::advance_transmit).
    pub fn poll_transmit(&mut self) -> Transmit<'_> {
        let core = &mut self.core;
        let high_water = core.config.outbound_high_water;
        core.out.release_held_pong(&mut *core.entropy, high_water);
        if core.out.len() > 0 {
            Transmit::Write(core.out.bufs())
        } else if core.shutdown {
            Transmit::Shutdown
        } else {
            Transmit::Idle
        }
    }

    /// The transport took `n` bytes of what [`poll_transmit`](Self::poll_transmit) gave.
    pub fn advance_transmit(&mut self, n: usize) {
        self.core.stats.bytes_sent += n as u64;
        self.core.out.advance(n);
        if let Some(buf) = self.core.out.take_recycled() {
            self.input.recycle(buf);
        }
    }

    /// When [`handle_timeout`](Self::handle_timeout) should next be called, if ever.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.core.next_timer().map(|(_, at)| at)
    }
}

impl Core {
    fn become_open(&mut self) {
        self.state = State::Open;
        self.timers.handshake = None;
        self.open_pending = true;
    }

    fn note_input(&mut self, now: Instant, n: usize) {
        self.stats.bytes_received += n as u64;
        if n > 0 {
            self.timers.last_input = now;
            self.timers.ping_sent = None;
        }
    }

    fn allowed_rsv(&self) -> Rsv {
        self.extension.as_ref().map_or(Rsv::NONE, |e| e.rsv())
    }

    fn next_timer(&self) -> Option<(Timer, Instant)> {
        let keepalive = match (self.state, self.config.ping_interval) {
            (State::Open, Some(interval)) => Some((interval, self.config.ping_timeout)),
            _ => None,
        };
        self.timers.next(keepalive)
    }

    fn on_timer(&mut self, timer: Timer, now: Instant) {
        match timer {
            Timer::Handshake => self.fail(ConnectionError::HandshakeTimeout),
            Timer::KeepalivePing => {
                self.out
                    .frame(&mut *self.entropy, OpCode::Ping, true, Rsv::NONE, b"tether");
                self.timers.ping_sent = Some(now);
            }
            Timer::KeepaliveTimeout => self.fail(ConnectionError::KeepaliveTimeout),
            Timer::Close if self.state == State::Closing => {
                self.fail(ConnectionError::CloseTimeout)
            }
            Timer::Close => {
                self.timers.close = None;
                self.shutdown = true;
            }
        }
    }
}
