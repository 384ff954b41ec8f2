//! The connection state machine: bytes in, events out; commands in, bytes to send.
//!
//! A [`Connection`] does no I/O and reads no clock. Its methods come in four kinds (the quinn
//! model):
//!
//! - **input** (`handle_*`): bytes from the transport ([`handle_input`](Connection::handle_input)
//!   or [`input_buffer`](Connection::input_buffer) + [`commit_input`](Connection::commit_input)),
//!   the transport's end ([`handle_eof`](Connection::handle_eof)) and the passing of time
//!   ([`handle_timeout`](Connection::handle_timeout));
//! - **commands**: [`send_text`](Connection::send_text), [`send_binary`](Connection::send_binary),
//!   streamed messages ([`begin_message`](Connection::begin_message) +
//!   [`send_chunk`](Connection::send_chunk)), [`send_ping`](Connection::send_ping),
//!   [`close`](Connection::close), and on the server [`accept`](Connection::accept) /
//!   [`reject`](Connection::reject);
//! - **output** (`poll_*`): [`poll_event`](Connection::poll_event) until `None`,
//!   [`poll_transmit`](Connection::poll_transmit) until idle, then
//!   [`poll_timeout`](Connection::poll_timeout) to learn when to call `handle_timeout`;
//! - **getters**: state, negotiated subprotocol, statistics, close result.
//!
//! After every input or command, an adapter drains events, writes what `poll_transmit` gives,
//! and re-arms its timer from `poll_timeout`.

mod assembly;
#[cfg(all(test, feature = "deflate"))]
mod deflate_tests;
#[cfg(feature = "deflate")]
mod negotiate;
mod recv;
mod send;
#[cfg(test)]
mod tests;
mod timer;
#[cfg(test)]
mod vectored_tests;

use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;

use self::recv::{Emitted, InFrame, InMessage, Input, Step};
use self::send::{Output, Pending};
use self::timer::{Timer, Timers};
use crate::error::{ConnectionError, SendError};
use crate::extension::Extension;
use crate::frame::{MAX_CONTROL_PAYLOAD, OpCode, Rsv};
use crate::handshake::{
    Accept, ClientHandshake, ClientOptions, ExtensionOffer, HandshakeError, Reject, Request,
    Response, ServerHandshake,
};
use crate::utf8::Utf8Validator;
use crate::{
    CloseCode, CloseFrame, Config, Entropy, Event, Instant, MAX_REASON_LEN, Message, MessageKind,
    Role,
};

/// The smallest payload [`Connection::send_message_vectored`] leaves with the caller: below it,
/// copying into the output buffer (where several messages go out in one write) costs less than
/// a write of its own.
pub const VECTORED_MIN: usize = 32 << 10;

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
#[derive(Debug, Eq, PartialEq)]
pub enum Transmit<'a> {
    /// Write these bytes, then report how many were written with
    /// [`Connection::advance_transmit`].
    Data(&'a [u8]),
    /// Write `head`, then the payload given to [`Connection::send_message_vectored`] from
    /// `offset` on (one vectored write does both), then report the total written with
    /// [`Connection::advance_transmit`]. Only seen by a caller of `send_message_vectored`.
    Payload {
        /// Bytes that go before the payload (frames queued earlier, the payload's header).
        head: &'a [u8],
        /// How much of the payload was written already.
        offset: usize,
    },
    /// Everything is written and the connection is done: close the transport (§7.1.1: the
    /// server closes the TCP connection first; the client once the server has, or after the
    /// close timeout).
    Close,
    /// Nothing to write now.
    Idle,
}

/// What the opening handshake settled.
#[derive(Clone, Debug, Default, Eq, PartialEq)]
pub struct Negotiated {
    /// The subprotocol both ends agreed on.
    pub protocol: Option<String>,
    /// The extensions in use, with their parameters.
    pub extensions: Vec<ExtensionOffer>,
}

/// Traffic counters.
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
/// use tether_proto::{Config, Connection, Event, FixedEntropy, Instant, Message, Role};
/// use tether_proto::connection::Negotiated;
///
/// // Two connections whose handshake happened elsewhere, wired back to back.
/// let now = Instant::ZERO;
/// let mut client = Connection::open(Role::Client, Negotiated::default(), Config::default(),
///     FixedEntropy::new(1), now);
/// let mut server = Connection::open(Role::Server, Negotiated::default(), Config::default(),
///     FixedEntropy::new(2), now);
///
/// client.send_text("hello").unwrap();
/// let bytes = client.take_transmit();
/// server.handle_input(now, &bytes);
/// match server.poll_event() {
///     Some(Event::Message(Message::Text(text))) => assert_eq!(text, "hello"),
///     other => panic!("unexpected {other:?}"),
/// }
/// ```
pub struct Connection {
    input: Input,
    core: Core,
}

/// Everything but the input buffers, so events can borrow those while the state changes.
pub(crate) struct Core {
    role: Role,
    config: Config,
    state: State,
    handshake: HandshakeState,
    request: Option<Request>,
    response: Option<Response>,
    negotiated: Negotiated,
    entropy: Box<dyn Entropy>,
    out: Output,
    timers: Timers,
    frame: Option<InFrame>,
    message: Option<InMessage>,
    sending: Option<OutMessage>,
    extension: Option<Box<dyn Extension>>,
    /// Encoder output for outgoing messages an extension transforms.
    send_scratch: Vec<u8>,
    /// Client: the core offered permessage-deflate itself (and so handles the answer).
    #[cfg(feature = "deflate")]
    deflate_offered: bool,
    /// The permessage-deflate agreement, when the core installed it.
    #[cfg(feature = "deflate")]
    deflate: Option<crate::deflate::DeflateParams>,
    /// Whether a close frame went out.
    close_sent: bool,
    /// How the connection ended, once it has.
    result: Option<Result<CloseFrame, ConnectionError>>,
    result_reported: bool,
    open_pending: bool,
    /// The transport should be closed once the output is written.
    close_transport: bool,
    /// The transport's read side has ended.
    eof: bool,
    stats: Stats,
}

enum HandshakeState {
    Client(Box<ClientHandshake>),
    Server(ServerHandshake),
    AwaitingAccept,
    Done,
}

/// A streamed message being sent.
struct OutMessage {
    kind: MessageKind,
    /// Checks streamed text piece by piece; `None` for a whole message, which came as `&str`.
    utf8: Option<Utf8Validator>,
    /// The extension's bits, if it transforms this message.
    rsv: Rsv,
    /// Sent as it is, bypassing the extension.
    plain: bool,
    /// Whether a frame of it has gone out.
    started: bool,
}

impl OutMessage {
    fn new(kind: MessageKind) -> Self {
        Self {
            kind,
            utf8: (kind == MessageKind::Text).then(Utf8Validator::default),
            rsv: Rsv::NONE,
            plain: false,
            started: false,
        }
    }
}

impl Connection {
    /// A client connection: writes the upgrade request for `url` (`ws://` or `wss://`) to the
    /// output and waits for the server's response.
    ///
    /// # Errors
    ///
    /// The URL or options cannot form a valid request.
    pub fn client(
        url: &str,
        options: &ClientOptions,
        config: Config,
        entropy: impl Entropy + 'static,
        now: Instant,
    ) -> Result<Self, HandshakeError> {
        let mut entropy: Box<dyn Entropy> = Box::new(entropy);
        let mut key = [0; 16];
        entropy.fill(&mut key);
        let mut out = Output::new(true);
        #[cfg(feature = "deflate")]
        let (options, offered) = Core::offer_deflate(&config, options);
        #[cfg(feature = "deflate")]
        let options = &options;
        let handshake = ClientHandshake::new(url, options, key, out.raw_buf())?;
        #[allow(unused_mut)]
        let mut conn = Self::new(
            Role::Client,
            HandshakeState::Client(Box::new(handshake)),
            out,
            config,
            entropy,
            now,
        );
        #[cfg(feature = "deflate")]
        {
            conn.core.deflate_offered = offered;
        }
        Ok(conn)
    }

    /// A server connection: waits for the client's upgrade request, reports it as
    /// [`Event::Request`], and proceeds once [`accept`](Self::accept) or
    /// [`reject`](Self::reject) is called.
    pub fn server(config: Config, entropy: impl Entropy + 'static, now: Instant) -> Self {
        let handshake = HandshakeState::Server(ServerHandshake::new());
        Self::new(
            Role::Server,
            handshake,
            Output::new(false),
            config,
            Box::new(entropy),
            now,
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
        role: Role,
        negotiated: Negotiated,
        config: Config,
        entropy: impl Entropy + 'static,
        now: Instant,
    ) -> Self {
        let out = Output::new(role == Role::Client);
        let mut conn = Self::new(
            role,
            HandshakeState::Done,
            out,
            config,
            Box::new(entropy),
            now,
        );
        conn.core.negotiated = negotiated;
        #[cfg(feature = "deflate")]
        conn.core.deflate_from_negotiated();
        conn.core.become_open();
        conn.core.open_pending = false;
        conn
    }

    fn new(
        role: Role,
        handshake: HandshakeState,
        out: Output,
        config: Config,
        entropy: Box<dyn Entropy>,
        now: Instant,
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
                send_scratch: Vec::new(),
                #[cfg(feature = "deflate")]
                deflate_offered: false,
                #[cfg(feature = "deflate")]
                deflate: None,
                close_sent: false,
                result: None,
                result_reported: false,
                open_pending: false,
                close_transport: false,
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
            self.core.close_transport = true;
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
        #[cfg(feature = "deflate")]
        let (accept, deflate) = self.core.negotiate_deflate(accept);
        let core = &mut self.core;
        let (HandshakeState::AwaitingAccept, Some(request)) = (&core.handshake, &core.request)
        else {
            return Err(SendError::InvalidState(
                "no upgrade request is waiting to be accepted",
            ));
        };
        let mut response = Vec::new();
        request
            .write_accept(&accept, &mut response)
            .map_err(SendError::Handshake)?;
        core.out.raw(&response);
        core.negotiated.protocol = accept.chosen_protocol().map(Into::into);
        core.negotiated.extensions = accept.chosen_extensions().to_vec();
        #[cfg(feature = "deflate")]
        if let (Some(params), Some(config)) = (deflate, core.config.deflate) {
            core.install_deflate(params, &config);
        }
        core.handshake = HandshakeState::Done;
        core.become_open();
        Ok(())
    }

    /// Server side: refuses the request reported by [`Event::Request`] with any status, headers
    /// and body. The response is written, then the transport closed.
    ///
    /// # Errors
    ///
    /// No request is waiting.
    pub fn reject(&mut self, reject: Reject) -> Result<(), SendError> {
        let core = &mut self.core;
        let HandshakeState::AwaitingAccept = core.handshake else {
            return Err(SendError::InvalidState(
                "no upgrade request is waiting to be rejected",
            ));
        };
        reject.write(core.out.raw_buf());
        core.handshake = HandshakeState::Done;
        core.fail(ConnectionError::Refused {
            status: reject.status(),
        });
        Ok(())
    }

    /// Installs a negotiated extension's data transform. Frames may then carry its reserved
    /// bits. One extension at a time; install it before any message flows.
    ///
    /// # Errors
    ///
    /// A message is being sent or received.
    pub fn install_extension(&mut self, extension: Box<dyn Extension>) -> Result<(), SendError> {
        if self.core.message.is_some() || self.core.sending.is_some() || self.core.frame.is_some() {
            return Err(SendError::MessageInProgress);
        }
        self.core.extension = Some(extension);
        #[cfg(feature = "deflate")]
        {
            self.core.deflate = None;
        }
        Ok(())
    }

    /// Sends a whole text message, split into frames of at most [`Config::send_frame_size`].
    ///
    /// # Errors
    ///
    /// The connection is not open, or a streamed message is unfinished.
    pub fn send_text(&mut self, text: &str) -> Result<(), SendError> {
        self.core.send_whole(MessageKind::Text, text.as_bytes())
    }

    /// Sends a whole binary message, split into frames of at most [`Config::send_frame_size`].
    ///
    /// # Errors
    ///
    /// The connection is not open, or a streamed message is unfinished.
    pub fn send_binary(&mut self, data: &[u8]) -> Result<(), SendError> {
        self.core.send_whole(MessageKind::Binary, data)
    }

    /// Sends a whole message of either kind; text must be valid UTF-8.
    ///
    /// # Errors
    ///
    /// As [`send_binary`](Self::send_binary), and [`SendError::InvalidUtf8`] for bad text.
    pub fn send_message(&mut self, message: Message<'_>) -> Result<(), SendError> {
        self.core.send_whole(message.kind(), message.as_bytes())
    }

    /// Sends a whole message like [`send_message`](Self::send_message), but when it pays, leaves
    /// the payload where it is instead of copying it into the output buffer: the frame's
    /// header is queued, and [`poll_transmit`](Self::poll_transmit) returns
    /// [`Transmit::Payload`] until the transport has taken the payload from the caller (a
    /// vectored write of the header and the caller's bytes). Returns `true` then, and the
    /// caller must keep the same bytes at hand and write them as asked — or, if it has to let
    /// go of them first, hand them over with [`fill_payload`](Self::fill_payload).
    ///
    /// It pays for a payload of at least [`VECTORED_MIN`] bytes that goes out unchanged in one
    /// frame: server role (a client masks a copy), no extension transforming it, at most
    /// [`Config::send_frame_size`]. Anything else is copied as by `send_message`, and the
    /// result is `false`.
    ///
    /// ```
    /// # use tether_proto::{Config, Connection, FixedEntropy, Instant, Message, Role};
    /// # use tether_proto::connection::{Negotiated, Transmit};
    /// let mut conn = Connection::open(Role::Server, Negotiated::default(), Config::default(),
    ///     FixedEntropy::new(1), Instant::ZERO);
    /// let payload = vec![7u8; 100_000];
    /// assert!(conn.send_message_vectored(Message::Binary(&payload))?);
    /// let mut wire = Vec::new();
    /// loop {
    ///     let n = match conn.poll_transmit() {
    ///         Transmit::Payload { head, offset } => {
    ///             // A transport would write both slices with one `write_vectored`.
    ///             wire.extend_from_slice(head);
    ///             wire.extend_from_slice(&payload[offset..]);
    ///             head.len() + payload.len() - offset
    ///         }
    ///         Transmit::Data(bytes) => { wire.extend_from_slice(bytes); bytes.len() }
    ///         _ => break,
    ///     };
    ///     conn.advance_transmit(n);
    /// }
    /// assert_eq!(wire.len(), 10 + 100_000); // a 10-byte header, then the payload
    /// # Ok::<(), tether_proto::SendError>(())
    /// ```
    ///
    /// # Errors
    ///
    /// As [`send_message`](Self::send_message).
    pub fn send_message_vectored(&mut self, message: Message<'_>) -> Result<bool, SendError> {
        self.core
            .send_whole_vectored(message.kind(), message.as_bytes())
    }

    /// Copies the part of a payload left with the caller by
    /// [`send_message_vectored`](Self::send_message_vectored) that the transport has not yet
    /// taken into the output buffer, in its place; `payload` is the whole payload, as it was
    /// given. For a caller that can no longer keep the bytes (a cancelled send). Nothing
    /// happens when no payload is outstanding.
    pub fn fill_payload(&mut self, payload: &[u8]) {
        self.core.out.fill_external(payload);
    }

    /// Moves the message that the last [`poll_event`](Self::poll_event) returned as
    /// [`Event::Message`] into `buf`, replacing what `buf` held: a message assembled from
    /// several frames or reads is swapped in without a copy (and `buf`'s old allocation is
    /// kept for assembling the next), a message that arrived in one piece is copied. Returns
    /// `false` (and leaves `buf` alone) when the last event was no whole message, or when
    /// [`input_buffer`](Self::input_buffer) or [`handle_input`](Self::handle_input) was called
    /// since.
    pub fn take_message(&mut self, buf: &mut Vec<u8>) -> bool {
        self.input.take_message(buf)
    }

    /// Sends a whole message as it is, bypassing the installed extension: with
    /// permessage-deflate, uncompressed (RSV1 clear) — for data that is already compressed,
    /// or must not share a compression context with other messages (secrets next to
    /// attacker-chosen text, as in CRIME/BREACH).
    ///
    /// # Errors
    ///
    /// As [`send_message`](Self::send_message).
    pub fn send_message_uncompressed(&mut self, message: Message<'_>) -> Result<(), SendError> {
        self.core
            .send_whole_as(message.kind(), message.as_bytes(), true)
    }

    /// Starts a streamed message that bypasses the installed extension (see
    /// [`send_message_uncompressed`](Self::send_message_uncompressed)).
    ///
    /// # Errors
    ///
    /// As [`begin_message`](Self::begin_message).
    pub fn begin_message_uncompressed(&mut self, kind: MessageKind) -> Result<(), SendError> {
        self.begin_message(kind)?;
        if let Some(sending) = self.core.sending.as_mut() {
            sending.plain = true;
        }
        Ok(())
    }

    /// Starts a streamed message: its pieces follow with [`send_chunk`](Self::send_chunk), so
    /// the sender never needs the whole message in memory.
    ///
    /// # Errors
    ///
    /// The connection is not open, or another streamed message is unfinished.
    pub fn begin_message(&mut self, kind: MessageKind) -> Result<(), SendError> {
        self.core.ensure_open()?;
        if self.core.sending.is_some() {
            return Err(SendError::MessageInProgress);
        }
        self.core.sending = Some(OutMessage::new(kind));
        Ok(())
    }

    /// Sends the next piece of the streamed message; `fin` ends it. Text pieces may split a
    /// character; the whole must be valid UTF-8.
    ///
    /// # Errors
    ///
    /// No streamed message is in progress, the connection is not open, or the text so far is
    /// not valid UTF-8 (nothing of this piece is sent).
    pub fn send_chunk(&mut self, data: &[u8], fin: bool) -> Result<(), SendError> {
        self.core.ensure_open()?;
        self.core.send_piece(data, fin)
    }

    /// Sends a ping (payload at most 125 bytes). The pong shows up as [`Event::Pong`].
    ///
    /// # Errors
    ///
    /// The connection is not open, or the payload is too long.
    pub fn send_ping(&mut self, payload: &[u8]) -> Result<(), SendError> {
        self.core.send_control(OpCode::Ping, payload)
    }

    /// Sends a pong (payload at most 125 bytes): an answer when `auto_pong` is off, or an
    /// unsolicited heartbeat (§5.5.3).
    ///
    /// # Errors
    ///
    /// The connection is not open, or the payload is too long.
    pub fn send_pong(&mut self, payload: &[u8]) -> Result<(), SendError> {
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
    /// The code may not be sent, the reason is longer than 123 bytes, or the connection is not
    /// open.
    pub fn close(&mut self, code: CloseCode, reason: &str, now: Instant) -> Result<(), SendError> {
        let core = &mut self.core;
        core.ensure_open()?;
        if code == CloseCode::NO_STATUS {
            if !reason.is_empty() {
                return Err(SendError::InvalidCloseCode(code.as_u16()));
            }
        } else if !code.is_sendable() {
            return Err(SendError::InvalidCloseCode(code.as_u16()));
        }
        if reason.len() > MAX_REASON_LEN {
            return Err(SendError::ControlPayloadTooLong(reason.len() + 2));
        }
        core.send_close_frame(code, reason);
        core.state = State::Closing;
        core.timers.close = Some(now + core.config.close_timeout);
        Ok(())
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
            Step::Request => Event::Request(self.core.request.as_ref()?),
            Step::Open => Event::Open,
            Step::Whole(MessageKind::Binary, range) => {
                self.input.emitted = Emitted::Buf(range.clone());
                Event::Message(Message::Binary(&self.input.buf[range]))
            }
            Step::Whole(MessageKind::Text, range) => {
                match core::str::from_utf8(&self.input.buf[range.clone()]) {
                    Ok(text) => {
                        self.input.emitted = Emitted::Buf(range);
                        Event::Message(Message::Text(text))
                    }
                    Err(_) => {
                        self.core.fail(ConnectionError::InvalidUtf8);
                        self.core.result_reported = true;
                        return self.core.closed_event();
                    }
                }
            }
            Step::Assembled(kind) => {
                self.input.emitted = Emitted::Assembly;
                let bytes = self.input.assembly.bytes();
                match kind {
                    MessageKind::Binary => Event::Message(Message::Binary(bytes)),
                    // Validated piece by piece as it arrived; checked again to borrow it as str.
                    MessageKind::Text => {
                        Event::Message(Message::Text(core::str::from_utf8(bytes).ok()?))
                    }
                }
            }
            Step::Data {
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
                Event::Data {
                    kind,
                    payload: &source[range],
                    fin,
                }
            }
            Step::Ping(range) => Event::Ping(&self.input.buf[range]),
            Step::Pong(range) => Event::Pong(&self.input.buf[range]),
            Step::Closed => return self.core.closed_event(),
        })
    }

    /// What to write to the transport now. After writing, report the count with
    /// [`advance_transmit`](Self::advance_transmit).
    #[must_use]
    pub fn poll_transmit(&mut self) -> Transmit<'_> {
        let core = &mut self.core;
        if core.out.has_pending() {
            return match core.out.pending(&mut *core.entropy) {
                Pending::Bytes(bytes) => Transmit::Data(bytes),
                Pending::Payload(head, offset) => Transmit::Payload { head, offset },
            };
        }
        if core.close_transport {
            Transmit::Close
        } else {
            Transmit::Idle
        }
    }

    /// The transport took `n` bytes of what [`poll_transmit`](Self::poll_transmit) gave (for
    /// [`Transmit::Payload`], of the head and the payload together).
    pub fn advance_transmit(&mut self, n: usize) {
        self.core.stats.bytes_sent += n as u64;
        self.core.out.advance(n);
    }

    /// Takes all pending output at once (convenient for tests and in-memory pipes).
    pub fn take_transmit(&mut self) -> Vec<u8> {
        let mut all = Vec::new();
        while let Transmit::Data(bytes) = self.poll_transmit() {
            let n = bytes.len();
            all.extend_from_slice(bytes);
            self.advance_transmit(n);
        }
        all
    }

    /// When [`handle_timeout`](Self::handle_timeout) should next be called, if ever.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.core.next_timer().map(|(_, at)| at)
    }

    // ---- getters ----

    /// This endpoint's role.
    pub fn role(&self) -> Role {
        self.core.role
    }

    /// Where the connection is in its life.
    pub fn state(&self) -> State {
        self.core.state
    }

    /// The settings in force.
    pub fn config(&self) -> &Config {
        &self.core.config
    }

    /// The settings, to change while the connection runs. Every setting is read where it is
    /// used, so a change applies from the next frame, message, read or timer; a message being
    /// received finishes in the [`ReceiveMode`](crate::ReceiveMode) it began with.
    ///
    /// ```
    /// # use tether_proto::{Config, Connection, FixedEntropy, Instant, ReceiveMode, Role};
    /// # use tether_proto::connection::Negotiated;
    /// let mut conn = Connection::open(Role::Server, Negotiated::default(), Config::default(),
    ///     FixedEntropy::new(1), Instant::ZERO);
    /// // Hand the rest of the connection to a byte-stream reader.
    /// conn.config_mut().receive_mode = ReceiveMode::Partial;
    /// conn.config_mut().max_message_size = u64::MAX;
    /// ```
    pub fn config_mut(&mut self) -> &mut Config {
        &mut self.core.config
    }

    /// The negotiated subprotocol, once open.
    pub fn protocol(&self) -> Option<&str> {
        self.core.negotiated.protocol.as_deref()
    }

    /// What the handshake settled: subprotocol and extensions.
    pub fn negotiated(&self) -> &Negotiated {
        &self.core.negotiated
    }

    /// The permessage-deflate agreement in force, when the connection negotiated it (or was
    /// opened with it, see [`open`](Self::open)).
    #[cfg(feature = "deflate")]
    pub fn deflate(&self) -> Option<crate::deflate::DeflateParams> {
        self.core.deflate
    }

    /// Server side: the client's upgrade request, once received.
    pub fn request(&self) -> Option<&Request> {
        self.core.request.as_ref()
    }

    /// Client side: the server's 101 response, once received.
    pub fn response(&self) -> Option<&Response> {
        self.core.response.as_ref()
    }

    /// How the connection ended, once it has: the peer's close frame, or the failure.
    pub fn close_result(&self) -> Option<Result<&CloseFrame, &ConnectionError>> {
        self.core.result.as_ref().map(Result::as_ref)
    }

    /// Traffic counters.
    pub fn stats(&self) -> Stats {
        self.core.stats
    }

    /// Bytes queued for the transport and not yet written.
    pub fn buffered_output(&self) -> usize {
        self.core.out.len()
    }

    /// Whether the output is below [`Config::output_high_water`]: adapters stop accepting new
    /// messages from the application while this is false and the transport catches up.
    pub fn is_writable(&self) -> bool {
        self.core.out.len() < self.core.config.output_high_water
    }
}

impl core::fmt::Debug for Connection {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Connection")
            .field("role", &self.core.role)
            .field("state", &self.core.state)
            .field("buffered_input", &(self.input.end - self.input.start))
            .field("buffered_output", &self.core.out.len())
            .finish_non_exhaustive()
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

    fn ensure_open(&self) -> Result<(), SendError> {
        match self.state {
            State::Connecting => Err(SendError::NotOpen),
            State::Open => Ok(()),
            State::Closing | State::Closed => Err(SendError::Closed),
        }
    }

    fn send_whole(&mut self, kind: MessageKind, data: &[u8]) -> Result<(), SendError> {
        self.send_whole_as(kind, data, false)
    }

    /// Sends a whole message, leaving a large payload that goes out unchanged with the caller.
    fn send_whole_vectored(&mut self, kind: MessageKind, data: &[u8]) -> Result<bool, SendError> {
        if data.len() < VECTORED_MIN
            || data.len() > self.config.send_frame_size
            || self.out.masks()
            || self.out.has_external()
            || self.extension.is_some()
        {
            return self.send_whole(kind, data).map(|()| false);
        }
        self.ensure_open()?;
        if self.sending.is_some() {
            return Err(SendError::MessageInProgress);
        }
        // Text arrives as `&str`: valid already.
        let opcode = match kind {
            MessageKind::Text => OpCode::Text,
            MessageKind::Binary => OpCode::Binary,
        };
        self.out.frame_external(opcode, true, Rsv::NONE, data.len());
        self.stats.messages_sent += 1;
        Ok(true)
    }

    /// Sends a whole message; `plain` bypasses the extension.
    fn send_whole_as(
        &mut self,
        kind: MessageKind,
        data: &[u8],
        plain: bool,
    ) -> Result<(), SendError> {
        self.ensure_open()?;
        if self.sending.is_some() {
            return Err(SendError::MessageInProgress);
        }
        // Whole text messages arrive as `&str`: valid already.
        self.sending = Some(OutMessage {
            plain,
            utf8: None,
            ..OutMessage::new(kind)
        });
        self.send_piece(data, true)
    }

    /// Sends the next piece of the message in `self.sending`.
    fn send_piece(&mut self, data: &[u8], fin: bool) -> Result<(), SendError> {
        let Some(sending) = self.sending.as_mut() else {
            return Err(SendError::NoMessageInProgress);
        };
        if let Some(utf8) = sending.utf8.as_mut() {
            utf8.feed(data).map_err(|_| SendError::InvalidUtf8)?;
            if fin {
                utf8.finish().map_err(|_| SendError::InvalidUtf8)?;
            }
        }
        let kind = sending.kind;
        let first = !sending.started;
        let mut rsv = Rsv::NONE;
        let mut payload = data;
        if let Some(extension) = self.extension.as_mut()
            && !sending.plain
            && (first || !sending.rsv.is_empty())
        {
            {
                self.send_scratch.clear();
                let bits = extension
                    .encode(kind, data, first, fin, &mut self.send_scratch)
                    .map_err(|_| SendError::InvalidState("extension refused the payload"))?;
                if first {
                    sending.rsv = bits;
                }
                if !sending.rsv.is_empty() {
                    rsv = if first { bits } else { Rsv::NONE };
                    payload = &self.send_scratch;
                }
            }
        }
        sending.started = true;
        let mut opcode = if first {
            match kind {
                MessageKind::Text => OpCode::Text,
                MessageKind::Binary => OpCode::Binary,
            }
        } else {
            OpCode::Continuation
        };
        // Frames of at most `send_frame_size`; an empty piece is one empty frame.
        let size = self.config.send_frame_size.max(1);
        let count = payload.len().div_ceil(size).max(1);
        for (i, chunk) in payload
            .chunks(size)
            .chain((payload.is_empty()).then_some(&[][..]))
            .enumerate()
        {
            let last = i + 1 == count;
            self.out
                .frame(&mut *self.entropy, opcode, fin && last, rsv, chunk);
            opcode = OpCode::Continuation;
            rsv = Rsv::NONE;
        }
        if fin {
            self.sending = None;
            self.stats.messages_sent += 1;
        }
        Ok(())
    }

    fn send_control(&mut self, opcode: OpCode, payload: &[u8]) -> Result<(), SendError> {
        self.ensure_open()?;
        if payload.len() > MAX_CONTROL_PAYLOAD {
            return Err(SendError::ControlPayloadTooLong(payload.len()));
        }
        self.out
            .frame(&mut *self.entropy, opcode, true, Rsv::NONE, payload);
        Ok(())
    }

    /// Queues a close frame; nothing is sent after it (§5.5.1).
    fn send_close_frame(&mut self, code: CloseCode, reason: &str) {
        let mut payload = [0; MAX_CONTROL_PAYLOAD];
        let len = if code == CloseCode::NO_STATUS {
            0
        } else {
            let reason = &reason.as_bytes()[..reason.len().min(MAX_REASON_LEN)];
            payload[..2].copy_from_slice(&code.as_u16().to_be_bytes());
            payload[2..2 + reason.len()].copy_from_slice(reason);
            2 + reason.len()
        };
        self.out.cancel_pong();
        self.out.frame(
            &mut *self.entropy,
            OpCode::Close,
            true,
            Rsv::NONE,
            &payload[..len],
        );
        self.close_sent = true;
        self.sending = None;
    }

    /// The close handshake is complete (§7.1.4): the server closes the transport at once, the
    /// client waits for the server to do so, up to the close timeout (§7.1.1).
    fn finish_close(&mut self, result: Result<CloseFrame, ConnectionError>) {
        self.state = State::Closed;
        self.result = Some(result);
        self.timers = Timers {
            last_input: self.timers.last_input,
            ..Timers::default()
        };
        if self.role == Role::Server || self.eof {
            self.close_transport = true;
        } else {
            self.timers.close = Some(self.timers.last_input + self.config.close_timeout);
        }
    }

    /// _Fail the WebSocket Connection_ (§7.1.7): send a close frame with the error's code if the
    /// connection was established and none was sent, then close the transport. The first
    /// failure sticks; nothing more is decoded.
    pub(crate) fn fail(&mut self, error: ConnectionError) {
        if self.state == State::Closed {
            return;
        }
        let code = error.close_code();
        if self.state == State::Open && !self.close_sent && code.is_sendable() {
            self.send_close_frame(code, reason_for(&error));
        }
        self.out.cancel_pong();
        self.state = State::Closed;
        self.result = Some(Err(error));
        self.timers = Timers::default();
        self.close_transport = true;
        self.frame = None;
        self.message = None;
    }

    fn closed_event(&self) -> Option<Event<'_>> {
        self.result.as_ref().map(|r| Event::Closed(r.as_ref()))
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
                self.close_transport = true;
            }
        }
    }
}

/// A short, detail-free reason for the close frame a failure sends.
fn reason_for(error: &ConnectionError) -> &'static str {
    match error {
        ConnectionError::Protocol(_) => "protocol error",
        ConnectionError::InvalidUtf8 => "invalid UTF-8",
        ConnectionError::MessageTooBig { .. } | ConnectionError::TooManyFragments { .. } => {
            "message too big"
        }
        ConnectionError::FrameTooBig { .. } => "frame too big",
        _ => "",
    }
}
