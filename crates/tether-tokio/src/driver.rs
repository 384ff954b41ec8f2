//! [`Driver`]: a connection and its transport, moved forward by `poll_*` methods.
//!
//! Everything here moves bytes and keeps time; the protocol is the core's. Every method is a
//! plain poll function: it never holds anything across a suspension point, so a caller may
//! run it on an owned driver (a whole socket) or under a briefly held lock (split halves).
//!
//! Cancel safety: bytes read go straight into the core's input buffer, and the core decodes
//! only when asked (`poll_event`); a decoded piece is handed to the caller's closure in the
//! same poll that returns `Ready`. So a receive future dropped while pending has taken
//! nothing that the next receive will not find.

use std::io::{self, IoSlice};
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use tether_net::{ConnectionInfo, Error, SocketConfig, TimeoutKind};
use tether_proto::connection::{State, Transmit};
use tether_proto::handshake::{Accept, HandshakeError, Reject, Request};
use tether_proto::{CloseCode, CloseFrame, Connection, Event, Instant, MessageKind, SendError};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::Instant as TokioInstant;

use crate::timer::Timer;

/// A piece of incoming data, borrowed from the connection.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Incoming<'a> {
    pub(crate) kind: MessageKind,
    pub(crate) payload: &'a [u8],
    /// The payload as text, when the core handed out a whole text message (already checked).
    pub(crate) text: Option<&'a str>,
    /// Whether this ends the message (always, for whole messages).
    pub(crate) fin: bool,
    /// A whole message from the core, which [`Connection::take_message`] can move.
    pub(crate) whole: bool,
}

/// What one step of the opening handshake produced.
pub(crate) enum HandshakeStep {
    /// Server side: the request arrived; decide.
    Request,
    /// The connection is open (and what was queued is written).
    Open,
    /// The handshake failed or was refused.
    Closed,
}

/// The connection, its transport, and the state to drive them.
pub(crate) struct Driver<S> {
    pub(crate) conn: Connection,
    pub(crate) io: S,
    /// The moment `conn` was created with `Instant::ZERO`.
    origin: TokioInstant,
    timer: Timer,
    pub(crate) read_timeout: Option<Duration>,
    write_timeout: Option<Duration>,
    /// When the receive waiting now times out.
    pub(crate) read_deadline: Option<TokioInstant>,
    /// When the flush waiting now times out.
    write_deadline: Option<TokioInstant>,
    /// The transport's read side ended (or failed).
    eof: bool,
    /// The transport was shut down.
    transport_closed: bool,
    /// Written since the last `poll_flush` of the transport.
    unflushed: bool,
    opened: bool,
    /// A `Stream` of messages reported its end.
    pub(crate) ended: bool,
    /// Pieces of a message being received whole in partial mode; owned here, not by a future,
    /// so a cancelled receive loses nothing.
    pub(crate) assembly: Vec<u8>,
    local_addr: Option<SocketAddr>,
    peer_addr: Option<SocketAddr>,
    tls: bool,
}

/// Where a transport is and whether it is encrypted, for [`ConnectionInfo`].
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Addrs {
    pub(crate) local: Option<SocketAddr>,
    pub(crate) peer: Option<SocketAddr>,
    pub(crate) tls: bool,
}

impl<S: AsyncRead + AsyncWrite + Unpin> Driver<S> {
    /// `origin` is the moment `conn` was created with `Instant::ZERO`.
    pub(crate) fn new(
        conn: Connection,
        io: S,
        origin: TokioInstant,
        config: &SocketConfig,
        addrs: Addrs,
    ) -> Self {
        Self {
            conn,
            io,
            origin,
            timer: Timer::default(),
            read_timeout: config.read_timeout,
            write_timeout: config.write_timeout,
            read_deadline: None,
            write_deadline: None,
            eof: false,
            transport_closed: false,
            unflushed: false,
            opened: false,
            ended: false,
            assembly: Vec::new(),
            local_addr: addrs.local,
            peer_addr: addrs.peer,
            tls: addrs.tls,
        }
    }

    pub(crate) fn now(&self) -> Instant {
        Instant::from_elapsed(self.origin.elapsed())
    }

    // ---- output ----

    /// Writes everything the connection has queued (and flushes the transport); shuts the
    /// transport down when the core asks. With `timed`, waiting counts against the write
    /// timeout.
    pub(crate) fn poll_flush_out(
        &mut self,
        cx: &mut Context<'_>,
        timed: bool,
    ) -> Poll<Result<(), Error>> {
        self.poll_write_out(cx, timed, &[])
    }

    /// As [`poll_flush_out`](Self::poll_flush_out), with the payload of a message sent by
    /// [`Connection::send_message_vectored`] at hand: it is written from `payload` after its
    /// header, in one vectored write.
    pub(crate) fn poll_write_out(
        &mut self,
        cx: &mut Context<'_>,
        timed: bool,
        payload: &[u8],
    ) -> Poll<Result<(), Error>> {
        loop {
            let written = match self.conn.poll_transmit() {
                Transmit::Data(bytes) => Pin::new(&mut self.io).poll_write(cx, bytes),
                Transmit::Payload { head, offset } => {
                    let Some(rest) = payload.get(offset..).filter(|r| !r.is_empty()) else {
                        return Poll::Ready(Err(Error::Send(SendError::InvalidState(
                            "a payload sent by reference is not at hand",
                        ))));
                    };
                    let bufs = [IoSlice::new(head), IoSlice::new(rest)];
                    Pin::new(&mut self.io).poll_write_vectored(cx, &bufs)
                }
                Transmit::Close => {
                    ready!(self.poll_close_transport(cx));
                    self.write_deadline = None;
                    return Poll::Ready(Ok(()));
                }
                Transmit::Idle => break,
            };
            match written {
                Poll::Ready(Ok(0)) => {
                    return Poll::Ready(Err(Error::Io(io::ErrorKind::WriteZero.into())));
                }
                Poll::Ready(Ok(n)) => {
                    self.conn.advance_transmit(n);
                    self.unflushed = true;
                }
                Poll::Ready(Err(e)) if e.kind() == io::ErrorKind::Interrupted => {}
                Poll::Ready(Err(e)) => return Poll::Ready(Err(self.io_failed(e))),
                Poll::Pending => {
                    if !timed {
                        return Poll::Pending;
                    }
                    if let (Some(t), None) = (self.write_timeout, self.write_deadline) {
                        self.write_deadline = TokioInstant::now().checked_add(t);
                    }
                    ready!(self.poll_timers(cx, false, true))?;
                }
            }
        }
        if self.unflushed {
            match Pin::new(&mut self.io).poll_flush(cx) {
                Poll::Ready(Ok(())) => self.unflushed = false,
                Poll::Ready(Err(e)) => return Poll::Ready(Err(self.io_failed(e))),
                Poll::Pending => return Poll::Pending,
            }
        }
        self.write_deadline = None;
        Poll::Ready(Ok(()))
    }

    /// Shuts the transport down (TLS `close_notify` first, where there is TLS).
    fn poll_close_transport(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        if !self.transport_closed {
            // An error here means the transport is gone already: closed either way.
            let _ = ready!(Pin::new(&mut self.io).poll_shutdown(cx));
            self.transport_closed = true;
        }
        Poll::Ready(())
    }

    /// Waits until the core takes new output: at once below the outbound bound, otherwise
    /// once everything queued is written.
    pub(crate) fn poll_writable(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        if self.conn.is_writable() {
            return Poll::Ready(Ok(()));
        }
        self.poll_flush_out(cx, true)
    }

    /// Runs a command on the connection; a refusal after the end reports how it ended.
    pub(crate) fn command<T>(
        &mut self,
        command: impl FnOnce(&mut Connection) -> Result<T, SendError>,
    ) -> Result<T, Error> {
        command(&mut self.conn).map_err(|e| self.send_error(e))
    }

    fn send_error(&self, e: SendError) -> Error {
        match (e, self.conn.close_result()) {
            (SendError::Closed, Some(result)) => Error::from_close_result(result),
            (e, _) => Error::Send(e),
        }
    }

    // ---- input ----

    /// One read from the transport straight into the core's input buffer.
    fn poll_read_input(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        if self.eof {
            return Poll::Ready(Err(abnormal()));
        }
        let mut buf = ReadBuf::new(self.conn.input_buffer());
        let result = ready!(Pin::new(&mut self.io).poll_read(cx, &mut buf));
        let n = buf.filled().len();
        let now = self.now();
        match result {
            Ok(()) if n == 0 => {
                self.eof = true;
                self.conn.handle_eof(now);
                Poll::Ready(Ok(()))
            }
            Ok(()) => {
                self.conn.commit_input(now, n);
                Poll::Ready(Ok(()))
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => Poll::Ready(Ok(())),
            // A TLS peer that left without close_notify: an end like any other.
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => {
                self.eof = true;
                self.conn.handle_eof(now);
                Poll::Ready(Ok(()))
            }
            Err(e) => Poll::Ready(Err(self.io_failed(e))),
        }
    }

    /// The transport failed: no more reading, and the core learns the end.
    fn io_failed(&mut self, e: io::Error) -> Error {
        if !self.eof {
            self.eof = true;
            let now = self.now();
            self.conn.handle_eof(now);
        }
        crate::error::from_io(e)
    }

    /// Waits for the earliest of the core's timers and, when asked, the read or write
    /// deadline. `Ready(Ok)` after running due core timers (the caller then loops);
    /// `Ready(Err)` when the read or write deadline passed. Pending without any deadline: the
    /// transport's wakers are what wakes the caller.
    fn poll_timers(
        &mut self,
        cx: &mut Context<'_>,
        reading: bool,
        writing: bool,
    ) -> Poll<Result<(), Error>> {
        let core = self
            .conn
            .poll_timeout()
            .and_then(|t| self.origin.checked_add(t.elapsed()));
        let mut deadline = core;
        if reading {
            deadline = earliest(deadline, self.read_deadline);
        }
        if writing {
            deadline = earliest(deadline, self.write_deadline);
        }
        let Some(deadline) = deadline else {
            return Poll::Pending;
        };
        ready!(self.timer.poll(cx, deadline));
        let now = TokioInstant::now();
        if core.is_some_and(|c| c <= now) {
            let at = self.now();
            self.conn.handle_timeout(at);
        }
        if writing && self.write_deadline.is_some_and(|d| d <= now) {
            self.write_deadline = None;
            return Poll::Ready(Err(Error::Timeout(TimeoutKind::Write)));
        }
        if reading && self.read_deadline.is_some_and(|d| d <= now) {
            self.read_deadline = None;
            return Poll::Ready(Err(Error::Timeout(TimeoutKind::Read)));
        }
        Poll::Ready(Ok(()))
    }

    /// The next piece of incoming data, given to `on` together with the driver's assembly
    /// buffer; `Ok(None)` once the connection closed cleanly.
    ///
    /// Reads only when nothing is decodable, and writes queued output only when no more input
    /// is ready (so answers to a burst of requests go out in one write, without waiting).
    pub(crate) fn poll_next<T>(
        &mut self,
        cx: &mut Context<'_>,
        on: &mut impl FnMut(Incoming<'_>, &mut Vec<u8>) -> T,
    ) -> Poll<Result<Option<T>, Error>> {
        let result = self.poll_next_inner(cx, on);
        if result.is_ready() {
            self.read_deadline = None;
        }
        result
    }

    fn poll_next_inner<T>(
        &mut self,
        cx: &mut Context<'_>,
        on: &mut impl FnMut(Incoming<'_>, &mut Vec<u8>) -> T,
    ) -> Poll<Result<Option<T>, Error>> {
        loop {
            if let Some(t) = take_incoming(&mut self.conn, &mut self.assembly, on) {
                return Poll::Ready(Ok(Some(t)));
            }
            if self.conn.state() == State::Closed {
                // Write the close answer (and close the transport, server side) first.
                if let Err(e) = ready!(self.poll_flush_out(cx, true))
                    && self.conn.close_result().is_none()
                {
                    return Poll::Ready(Err(e));
                }
                return Poll::Ready(match self.conn.close_result() {
                    Some(Err(e)) => Err(Error::from_connection(e)),
                    _ => Ok(None),
                });
            }
            match self.poll_read_input(cx) {
                Poll::Ready(Ok(())) => continue,
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => {}
            }
            // No more input ready: now write what is queued (pongs, batched sends).
            if let Poll::Ready(Err(e)) = self.poll_flush_out(cx, false) {
                return Poll::Ready(Err(e));
            }
            if let (Some(t), None) = (self.read_timeout, self.read_deadline) {
                self.read_deadline = TokioInstant::now().checked_add(t);
            }
            ready!(self.poll_timers(cx, true, false))?;
        }
    }

    /// The next whole message into `buf` (whose contents it replaces): moved out of the core
    /// without a copy when the core assembled it; pieces (partial mode) gather in the driver's
    /// assembly buffer, so a receive cancelled half way loses nothing.
    pub(crate) fn poll_recv_into(
        &mut self,
        cx: &mut Context<'_>,
        buf: &mut Vec<u8>,
    ) -> Poll<Result<Option<MessageKind>, Error>> {
        loop {
            let step = ready!(self.poll_next(
                cx,
                &mut |i: Incoming<'_>, assembly: &mut Vec<u8>| {
                    if !i.fin {
                        assembly.extend_from_slice(i.payload);
                        None
                    } else if i.whole {
                        Some((i.kind, true))
                    } else {
                        if assembly.is_empty() {
                            buf.clear();
                            buf.extend_from_slice(i.payload);
                        } else {
                            assembly.extend_from_slice(i.payload);
                            std::mem::swap(assembly, buf);
                            assembly.clear();
                        }
                        Some((i.kind, false))
                    }
                }
            ))?;
            match step {
                None => return Poll::Ready(Ok(None)),
                Some(None) => {}
                Some(Some((kind, whole))) => {
                    if whole {
                        self.conn.take_message(buf);
                    }
                    return Poll::Ready(Ok(Some(kind)));
                }
            }
        }
    }

    /// Starts the close handshake (nothing happens when it already started or ended).
    pub(crate) fn start_close(&mut self, code: CloseCode, reason: &str) -> Result<(), Error> {
        let now = self.now();
        match self.conn.close(code, reason, now) {
            Ok(()) | Err(SendError::Closed) => Ok(()),
            Err(e) => Err(Error::Send(e)),
        }
    }

    /// Drives the close to its end, dropping incoming data, and reports how it ended.
    pub(crate) fn poll_closed(&mut self, cx: &mut Context<'_>) -> Poll<Result<CloseFrame, Error>> {
        loop {
            while self.conn.poll_event().is_some() {}
            if let Err(e) = ready!(self.poll_flush_out(cx, true)) {
                if !matches!(e, Error::Io(_)) {
                    return Poll::Ready(Err(e));
                }
                self.transport_closed = true;
            }
            if self.transport_closed {
                break;
            }
            match self.poll_read_input(cx) {
                Poll::Ready(Ok(())) => continue,
                Poll::Ready(Err(_)) => {
                    // The transport is gone; the core's result (if any) tells how it ended.
                    while self.conn.poll_event().is_some() {}
                    ready!(self.poll_close_transport(cx));
                    break;
                }
                Poll::Pending => {}
            }
            ready!(self.poll_timers(cx, false, false))?;
        }
        Poll::Ready(match self.conn.close_result() {
            Some(Ok(frame)) => Ok(frame.clone()),
            Some(Err(e)) => Err(Error::from_connection(e)),
            None => Err(abnormal()),
        })
    }

    // ---- handshake ----

    /// One step of the opening handshake: writes what is queued, reads, runs the timers.
    pub(crate) fn poll_handshake(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Result<HandshakeStep, Error>> {
        loop {
            if !self.opened {
                match self.conn.poll_event() {
                    Some(Event::Request(_)) => return Poll::Ready(Ok(HandshakeStep::Request)),
                    Some(Event::Open) => self.opened = true,
                    Some(_) => continue,
                    None => {}
                }
            }
            if self.conn.state() == State::Closed && !self.opened {
                // Send the refusal (or the failure's answer) before giving up.
                let _ = ready!(self.poll_flush_out(cx, true));
                return Poll::Ready(Ok(HandshakeStep::Closed));
            }
            ready!(self.poll_flush_out(cx, true))?;
            if self.opened {
                return Poll::Ready(Ok(HandshakeStep::Open));
            }
            if self.eof {
                return Poll::Ready(Err(Error::Handshake(HandshakeError::UnexpectedEof)));
            }
            match self.poll_read_input(cx) {
                Poll::Ready(Ok(())) => continue,
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => {}
            }
            ready!(self.poll_timers(cx, false, false))?;
        }
    }

    /// Runs the opening handshake to its end; a server asks `decide` about the request.
    pub(crate) async fn handshake(
        &mut self,
        decide: impl FnOnce(&Request) -> Result<Accept, Reject>,
    ) -> Result<(), Error> {
        let mut decide = Some(decide);
        let mut failure = None;
        loop {
            match std::future::poll_fn(|cx| self.poll_handshake(cx)).await? {
                HandshakeStep::Open => return Ok(()),
                HandshakeStep::Request => {
                    let decision = match (self.conn.request(), decide.take()) {
                        (Some(request), Some(decide)) => decide(request),
                        _ => Err(Reject::new(500)),
                    };
                    match decision {
                        Ok(accept) => {
                            if let Err(e) = self.conn.accept(accept) {
                                failure = Some(Error::Send(e));
                                let _ = self.conn.reject(Reject::new(500));
                            }
                        }
                        Err(reject) => {
                            let status = reject.status();
                            self.conn.reject(reject).map_err(Error::Send)?;
                            failure = Some(Error::Refused { status });
                        }
                    }
                }
                HandshakeStep::Closed => {
                    return Err(failure.unwrap_or_else(|| match self.conn.close_result() {
                        Some(result) => Error::from_close_result(result),
                        None => Error::Handshake(HandshakeError::UnexpectedEof),
                    }));
                }
            }
        }
    }

    // ---- getters ----

    pub(crate) fn close_frame(&self) -> Option<CloseFrame> {
        match self.conn.close_result() {
            Some(Ok(frame)) => Some(frame.clone()),
            _ => None,
        }
    }

    pub(crate) fn info(&self) -> ConnectionInfo {
        let mut info = ConnectionInfo::default();
        info.local_addr = self.local_addr;
        info.peer_addr = self.peer_addr;
        info.protocol = self.conn.negotiated().protocol.clone();
        info.extensions = self.conn.negotiated().extensions.clone();
        info.tls = self.tls;
        info.stats = self.conn.stats();
        info
    }
}

/// The next data event, handed to `on`; other events (pings are answered by the core, the end
/// is read from `close_result`) are passed over.
fn take_incoming<T>(
    conn: &mut Connection,
    assembly: &mut Vec<u8>,
    on: &mut impl FnMut(Incoming<'_>, &mut Vec<u8>) -> T,
) -> Option<T> {
    while let Some(event) = conn.poll_event() {
        let incoming = match event {
            Event::Message(m) => Incoming {
                kind: m.kind(),
                payload: m.as_bytes(),
                text: match m {
                    tether_proto::Message::Text(t) => Some(t),
                    tether_proto::Message::Binary(_) => None,
                },
                fin: true,
                whole: true,
            },
            Event::Data { kind, payload, fin } => Incoming {
                kind,
                payload,
                text: None,
                fin,
                whole: false,
            },
            _ => continue,
        };
        return Some(on(incoming, assembly));
    }
    None
}

fn earliest(a: Option<TokioInstant>, b: Option<TokioInstant>) -> Option<TokioInstant> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// The end of a connection that had no close handshake.
pub(crate) fn abnormal() -> Error {
    Error::ConnectionClosed {
        code: CloseCode::ABNORMAL,
        reason: String::new(),
    }
}
