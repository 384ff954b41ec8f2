//! [`Shared`]: a connection, its optional TLS layer and its transport, behind one lock.
//!
//! Everything here moves bytes and keeps time; the protocol is the core's.

use std::io::{self, IoSlice, Read, Write};
use std::net::SocketAddr;
use std::time::{Duration, Instant as StdInstant};

use tether_net::{ConnectionInfo, Error, SocketConfig, TimeoutKind};
use tether_proto::connection::Transmit;
use tether_proto::{CloseFrame, Connection, Event, Instant, MessageKind, SendError};

use crate::Transport;

/// How often a socket that is only written to looks for incoming pings and runs its timers.
const POLL_EVERY: Duration = Duration::from_millis(10);

/// A piece of incoming data, borrowed from the connection (or from the stash).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Incoming<'a> {
    pub(crate) kind: MessageKind,
    pub(crate) payload: &'a [u8],
    /// Whether this ends the message (always, for whole messages).
    pub(crate) fin: bool,
}

/// Data a writer's poll decoded, kept for the next receive.
struct Stashed {
    kind: MessageKind,
    payload: Vec<u8>,
    fin: bool,
}

impl Stashed {
    fn from_incoming(i: Incoming<'_>) -> Self {
        Self {
            kind: i.kind,
            payload: i.payload.to_vec(),
            fin: i.fin,
        }
    }
}

/// The connection and everything needed to drive it.
pub(crate) struct Shared<S> {
    pub(crate) conn: Connection,
    tls: Option<rustls::Connection>,
    pub(crate) stream: S,
    origin: StdInstant,
    pub(crate) transport_closed: bool,
    stash: Option<Stashed>,
    /// A split reader owns reading; writers must not read.
    pub(crate) split: bool,
    can_poll: bool,
    last_poll: StdInstant,
    pub(crate) read_timeout: Option<Duration>,
    local_addr: Option<SocketAddr>,
    peer_addr: Option<SocketAddr>,
}

impl<S: Transport> Shared<S> {
    /// `origin` is the moment `conn` was created with `Instant::ZERO`.
    pub(crate) fn new(
        conn: Connection,
        tls: Option<rustls::Connection>,
        stream: S,
        origin: StdInstant,
        config: &SocketConfig,
    ) -> Result<Self, Error> {
        stream.set_write_timeout(config.write_timeout)?;
        let can_poll = stream.set_nonblocking(false).is_ok();
        Ok(Self {
            conn,
            tls,
            local_addr: stream.local_addr(),
            peer_addr: stream.peer_addr(),
            stream,
            origin,
            transport_closed: false,
            stash: None,
            split: false,
            can_poll,
            last_poll: StdInstant::now(),
            read_timeout: config.read_timeout,
        })
    }

    pub(crate) fn now(&self) -> Instant {
        Instant::from_elapsed(self.origin.elapsed())
    }

    /// How long the next read may block: until the core's next timer or `deadline`.
    pub(crate) fn wait(&self, deadline: Option<StdInstant>) -> Option<Duration> {
        let timer = self.conn.poll_timeout().map(|t| self.origin + t.elapsed());
        let until = match (timer, deadline) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        until.map(|u| {
            u.saturating_duration_since(StdInstant::now())
                .max(Duration::from_millis(1))
        })
    }

    /// Writes everything the connection has to send; closes the transport when it asks.
    pub(crate) fn flush(&mut self) -> Result<(), Error> {
        self.flush_with(&[])
    }

    /// As [`flush`](Self::flush), with the payload of a message sent by
    /// [`Connection::send_message_vectored`] at hand: it is written from `payload`, after its
    /// header, in one vectored write.
    fn flush_with(&mut self, payload: &[u8]) -> Result<(), Error> {
        loop {
            let n = match self.conn.poll_transmit() {
                Transmit::Data(bytes) => {
                    write_out(&mut self.tls, &mut self.stream, &[IoSlice::new(bytes)])?
                }
                Transmit::Payload { head, offset } => {
                    let Some(rest) = payload.get(offset..).filter(|r| !r.is_empty()) else {
                        return Err(Error::Send(SendError::InvalidState(
                            "a payload sent by reference is not at hand",
                        )));
                    };
                    let bufs = [IoSlice::new(head), IoSlice::new(rest)];
                    write_out(&mut self.tls, &mut self.stream, &bufs)?
                }
                Transmit::Close => {
                    self.close_transport();
                    return Ok(());
                }
                Transmit::Idle => break,
            };
            self.conn.advance_transmit(n);
        }
        if let Some(tls) = &mut self.tls {
            write_tls_all(tls, &mut self.stream)?;
        }
        Ok(())
    }

    /// Ends the transport: TLS `close_notify`, then shutdown.
    pub(crate) fn close_transport(&mut self) {
        if self.transport_closed {
            return;
        }
        self.transport_closed = true;
        if let Some(tls) = &mut self.tls {
            tls.send_close_notify();
            let _ = write_tls_all(tls, &mut self.stream);
        }
        let _ = self.stream.shutdown();
    }

    /// Takes bytes read from the transport elsewhere (a split reader, or what followed a
    /// proxy's answer).
    pub(crate) fn feed(&mut self, mut bytes: &[u8]) -> Result<(), Error> {
        let now = self.now();
        if self.tls.is_none() {
            self.conn.handle_input(now, bytes);
            return Ok(());
        }
        while !bytes.is_empty() {
            let n = match &mut self.tls {
                Some(tls) => tls.read_tls(&mut bytes)?,
                None => 0,
            };
            self.decrypt()?;
            if n == 0 {
                break;
            }
        }
        Ok(())
    }

    /// Processes received TLS records and moves the plaintext into the connection.
    fn decrypt(&mut self) -> Result<(), Error> {
        let now = self.now();
        let Some(tls) = &mut self.tls else {
            return Ok(());
        };
        if let Err(e) = tls.process_new_packets() {
            // Send the alert rustls queued, then give up on the transport.
            let _ = write_tls_all(tls, &mut self.stream);
            self.conn.handle_eof(now);
            self.close_transport();
            return Err(Error::Tls(e));
        }
        loop {
            match tls.reader().read(self.conn.input_buffer()) {
                Ok(0) => {
                    self.conn.handle_eof(now);
                    break;
                }
                Ok(n) => self.conn.commit_input(now, n),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(_) => {
                    self.conn.handle_eof(now);
                    break;
                }
            }
        }
        write_tls_all(tls, &mut self.stream)
    }

    /// One read from the transport straight into the connection (or TLS). The inner result is
    /// the transport's; the outer one a TLS failure.
    pub(crate) fn read_direct(&mut self) -> Result<io::Result<usize>, Error> {
        let result = self.read_raw();
        self.after_raw(&result)?;
        Ok(result)
    }

    /// One read into the connection, or into TLS without decrypting yet.
    fn read_raw(&mut self) -> io::Result<usize> {
        let now = self.now();
        match &mut self.tls {
            None => {
                let n = self.stream.read(self.conn.input_buffer())?;
                self.conn.commit_input(now, n);
                Ok(n)
            }
            Some(tls) => tls.read_tls(&mut self.stream),
        }
    }

    /// Decrypts what [`read_raw`](Self::read_raw) gave TLS (in blocking mode, as it may
    /// write).
    fn after_raw(&mut self, result: &io::Result<usize>) -> Result<(), Error> {
        if self.tls.is_some() && matches!(result, Ok(n) if *n > 0) {
            self.decrypt()?;
        }
        Ok(())
    }

    /// Acts on a read's outcome: end of stream, timers, the read timeout, failures.
    pub(crate) fn after_read(
        &mut self,
        result: io::Result<usize>,
        deadline: Option<StdInstant>,
    ) -> Result<(), Error> {
        match result {
            Ok(0) => {
                let now = self.now();
                self.conn.handle_eof(now);
                Ok(())
            }
            Ok(_) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => Ok(()),
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                let now = self.now();
                self.conn.handle_timeout(now);
                if deadline.is_some_and(|d| StdInstant::now() >= d) {
                    return Err(Error::Timeout(TimeoutKind::Read));
                }
                Ok(())
            }
            Err(e) => {
                let now = self.now();
                self.conn.handle_eof(now);
                Err(Error::Io(e))
            }
        }
    }

    /// The next piece of data: the stash first, then the connection's events.
    pub(crate) fn take_incoming<T>(&mut self, on: &mut impl FnMut(Incoming<'_>) -> T) -> Option<T> {
        if let Some(s) = self.stash.take() {
            return Some(on(Incoming {
                kind: s.kind,
                payload: &s.payload,
                fin: s.fin,
            }));
        }
        self.poll_incoming(on)
    }

    fn poll_incoming<T>(&mut self, on: &mut impl FnMut(Incoming<'_>) -> T) -> Option<T> {
        while let Some(event) = self.conn.poll_event() {
            match event {
                Event::Message(m) => {
                    return Some(on(Incoming {
                        kind: m.kind(),
                        payload: m.as_bytes(),
                        fin: true,
                    }));
                }
                Event::Data { kind, payload, fin } => {
                    return Some(on(Incoming { kind, payload, fin }));
                }
                // Pings are answered by the core; the end is read from `close_result`.
                _ => {}
            }
        }
        None
    }

    /// Drops all pending data (while closing).
    pub(crate) fn discard_incoming(&mut self) {
        self.stash = None;
        while self.conn.poll_event().is_some() {}
    }

    /// Called after each send: now and then, look for incoming pings without blocking (they
    /// are answered at once; data found is kept for the next receive) and run due timers.
    pub(crate) fn service(&mut self) -> Result<(), Error> {
        let now = StdInstant::now();
        if now.duration_since(self.last_poll) < POLL_EVERY {
            return Ok(());
        }
        self.last_poll = now;
        if !self.split && self.can_poll && self.stash.is_none() && !self.transport_closed {
            if self.stream.set_nonblocking(true).is_ok() {
                let result = self.read_raw();
                let _ = self.stream.set_nonblocking(false);
                self.after_raw(&result)?;
                match result {
                    Ok(0) => {
                        let now = self.now();
                        self.conn.handle_eof(now);
                    }
                    Ok(_) => {}
                    Err(e)
                        if matches!(
                            e.kind(),
                            io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted
                        ) => {}
                    Err(e) => return Err(Error::Io(e)),
                }
            }
            self.stash = self.poll_incoming(&mut Stashed::from_incoming);
        }
        let now = self.now();
        self.conn.handle_timeout(now);
        self.flush()
    }

    /// Queues a command, keeping the output under the outbound bound, and writes when asked
    /// (or when the bound is reached).
    pub(crate) fn send(
        &mut self,
        command: impl FnOnce(&mut Connection) -> Result<(), SendError>,
        flush: bool,
    ) -> Result<(), Error> {
        if !self.conn.is_writable() {
            self.flush()?;
        }
        if let Err(e) = command(&mut self.conn) {
            return Err(self.send_error(e));
        }
        if flush || !self.conn.is_writable() {
            self.flush()?;
        }
        self.service()
    }

    /// Sends a whole message and writes it out. A large payload goes from `message` straight to
    /// the transport, after its header (no copy into the output buffer); if writing fails half
    /// way, the rest is copied in, so the message still goes out whole with the next write.
    pub(crate) fn send_message(&mut self, message: tether_proto::Message<'_>) -> Result<(), Error> {
        if !self.conn.is_writable() {
            self.flush()?;
        }
        let data = message.as_bytes();
        let by_ref = self
            .conn
            .send_message_vectored(message)
            .map_err(|e| self.send_error(e))?;
        let written = self.flush_with(if by_ref { data } else { &[] });
        self.conn.fill_payload(data);
        written?;
        self.service()
    }

    /// A refused command as an error: after the end, how the connection ended.
    pub(crate) fn send_error(&self, e: SendError) -> Error {
        match (e, self.conn.close_result()) {
            (SendError::Closed, Some(result)) => Error::from_close_result(result),
            (e, _) => Error::Send(e),
        }
    }

    /// The peer's close frame, once the close handshake completed.
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
        info.tls = self.tls.is_some();
        info.stats = self.conn.stats();
        info
    }
}

/// One write to the transport, with timeouts and failures as typed errors.
/// Writes some of `bufs` (through TLS, when there is TLS); returns how much was taken.
fn write_out(
    tls: &mut Option<rustls::Connection>,
    stream: &mut impl Write,
    bufs: &[IoSlice<'_>],
) -> Result<usize, Error> {
    let Some(tls) = tls else {
        return write_some(stream, bufs);
    };
    let mut n = tls.writer().write_vectored(bufs)?;
    if n == 0 {
        write_tls_all(tls, stream)?;
        n = tls.writer().write_vectored(bufs)?;
        if n == 0 {
            return Err(Error::Io(io::ErrorKind::WriteZero.into()));
        }
    }
    write_tls_all(tls, stream)?;
    Ok(n)
}

fn write_some(stream: &mut impl Write, bufs: &[IoSlice<'_>]) -> Result<usize, Error> {
    loop {
        match stream.write_vectored(bufs) {
            Ok(0) => return Err(Error::Io(io::ErrorKind::WriteZero.into())),
            Ok(n) => return Ok(n),
            Err(e) => match e.kind() {
                io::ErrorKind::Interrupted => {}
                io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => {
                    return Err(Error::Timeout(TimeoutKind::Write));
                }
                _ => return Err(Error::Io(e)),
            },
        }
    }
}

/// Writes all TLS records rustls has ready.
fn write_tls_all(tls: &mut rustls::Connection, stream: &mut impl Write) -> Result<(), Error> {
    while tls.wants_write() {
        let mut out = Writer(stream);
        match tls.write_tls(&mut out) {
            Ok(_) => {}
            Err(e) => match e.kind() {
                io::ErrorKind::Interrupted => {}
                io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => {
                    return Err(Error::Timeout(TimeoutKind::Write));
                }
                _ => return Err(Error::Io(e)),
            },
        }
    }
    Ok(())
}

/// Adapts `&mut impl Write` for `write_tls` (which wants `&mut dyn Write`).
struct Writer<'a, W>(&'a mut W);

impl<W: Write> Write for Writer<'_, W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self.0.write(buf) {
            Ok(0) if !buf.is_empty() => Err(io::ErrorKind::WriteZero.into()),
            other => other,
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}
