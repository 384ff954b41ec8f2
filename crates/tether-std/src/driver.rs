//! [`Driver`]: a [`Session`], its transport and (for `wss://`) the socket layer's [`TlsLayer`]
//! — fed bytes, flushed with blocking writes, its timers run. Every decision is the session's.

use std::io::{self, IoSlice, Read, Write};
use std::time::{Duration, Instant as StdInstant};

use tether_proto::Instant;
use tether_proto::connection::Transmit;
use tether_socket::{Error, PlainRead, Session, TimeoutKind, TlsLayer};

use crate::Transport;

/// Most slices given to one vectored write.
const MAX_SLICES: usize = 16;

/// A session, its transport, and TLS when there is TLS.
pub(crate) struct Driver {
    pub(crate) session: Session,
    stream: Box<dyn Transport>,
    tls: Option<TlsLayer>,
    /// The moment the session's `Instant::ZERO` stands for.
    origin: StdInstant,
    pub(crate) read_timeout: Option<Duration>,
    /// The configured write timeout, which background writes replace for their short bound.
    write_timeout: Option<Duration>,
}

impl Driver {
    pub(crate) fn new(
        session: Session,
        stream: Box<dyn Transport>,
        tls: Option<TlsLayer>,
        origin: StdInstant,
        write_timeout: Option<Duration>,
    ) -> Result<Self, Error> {
        stream.set_write_timeout(write_timeout)?;
        Ok(Self {
            session,
            stream,
            tls,
            origin,
            read_timeout: None,
            write_timeout,
        })
    }

    pub(crate) fn now(&self) -> Instant {
        Instant::from_elapsed(self.origin.elapsed())
    }

    /// A second handle on the transport, for the reader thread.
    pub(crate) fn reader(&self) -> io::Result<Box<dyn Transport>> {
        self.stream.try_clone()
    }

    /// How long a read may block: until the session's next timer (at least 1 ms), or for ever.
    pub(crate) fn until_timer(&self) -> Option<Duration> {
        self.session.poll_timeout().map(|t| {
            (self.origin + t.elapsed())
                .saturating_duration_since(StdInstant::now())
                .max(Duration::from_millis(1))
        })
    }

    /// What a read from the transport gave: bytes (through TLS, when there is TLS), the end
    /// (`Ok(0)`), a timeout (nothing), or a failure.
    pub(crate) fn received(&mut self, read: io::Result<usize>, buf: &[u8]) -> Result<(), Error> {
        let now = self.now();
        match read {
            Ok(0) => self.session.commit_read(now, 0),
            Ok(n) => self.decrypt(&buf[..n])?,
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock
                        | io::ErrorKind::TimedOut
                        | io::ErrorKind::Interrupted
                ) => {}
            Err(e) => {
                self.session.transport_failed(now, e);
            }
        }
        self.run_timers();
        Ok(())
    }

    /// Bytes from the transport into the session, through TLS when there is TLS.
    fn decrypt(&mut self, mut bytes: &[u8]) -> Result<(), Error> {
        let now = self.now();
        let Some(tls) = &mut self.tls else {
            self.session.feed(now, bytes);
            return Ok(());
        };
        while !bytes.is_empty() {
            let space = tls.read_space();
            let n = space.len().min(bytes.len());
            space[..n].copy_from_slice(&bytes[..n]);
            tls.commit_read(n);
            bytes = &bytes[n..];
            loop {
                match tls.read_plain(self.session.read_buffer()) {
                    Ok(PlainRead::Data(n)) => self.session.commit_read(now, n),
                    Ok(PlainRead::NeedInput) => break,
                    Ok(PlainRead::End) => {
                        self.session.commit_read(now, 0);
                        break;
                    }
                    Err(e) if e.kind() == io::ErrorKind::InvalidData => {
                        // Send the alert, then give up on the transport.
                        let _ = write_tls_all(tls, &mut self.stream);
                        self.session.commit_read(now, 0);
                        self.close_transport();
                        return Err(self.session.io_error(e));
                    }
                    Err(_) => {
                        self.session.commit_read(now, 0);
                        break;
                    }
                }
            }
        }
        // Nothing more until the next read: an idle connection holds no TLS buffer.
        tls.read_would_block();
        write_tls_all(tls, &mut self.stream)
    }

    /// Runs the session's timers that are due.
    pub(crate) fn run_timers(&mut self) {
        let now = self.now();
        if self.session.poll_timeout().is_some_and(|t| t <= now) {
            self.session.handle_timeout(now);
        }
    }

    /// Writes everything queued (blocking, within the write timeout) and shuts the transport
    /// down when the session says so.
    pub(crate) fn flush(&mut self) -> Result<(), Error> {
        self.write_queued(false).map(drop)
    }

    /// A background write (the reader and writer threads, which hold the lock meanwhile):
    /// writes what the transport takes, waiting at most about `bound` when it is full, and
    /// leaves the rest queued for a later try. Returns whether nothing is left; a failure of
    /// the transport is recorded in the session (the next receive reports it).
    pub(crate) fn flush_within(&mut self, bound: Duration) -> bool {
        if self.stream.set_write_timeout(Some(bound)).is_err() {
            return false;
        }
        let done = self.write_queued(true).unwrap_or(true);
        let _ = self.stream.set_write_timeout(self.write_timeout);
        done
    }

    /// Whether anything waits to be written: queued output, or TLS records.
    pub(crate) fn has_output(&self) -> bool {
        self.session.connection().buffered_output() > 0
            || self
                .tls
                .as_ref()
                .is_some_and(|tls| !tls.outgoing().is_empty())
    }

    /// Writes everything queued; with `pause_when_full`, a write timeout stops it with the rest
    /// still queued (`Ok(false)`) instead of failing the transport.
    fn write_queued(&mut self, pause_when_full: bool) -> Result<bool, Error> {
        loop {
            let written = match self.session.poll_transmit() {
                Transmit::Write(bufs) => {
                    let mut slices = [IoSlice::new(&[]); MAX_SLICES];
                    let mut count = 0;
                    for (slot, buf) in slices.iter_mut().zip(bufs) {
                        *slot = IoSlice::new(buf);
                        count += 1;
                    }
                    write_out(&mut self.tls, &mut self.stream, &slices[..count])
                }
                Transmit::Shutdown => {
                    self.close_transport();
                    return Ok(true);
                }
                Transmit::Idle => break,
            };
            match written {
                // TLS is still in its handshake: the output waits for it.
                Ok(0) => break,
                Ok(n) => self.session.advance_transmit(n),
                Err(Error::Timeout(TimeoutKind::Write)) if pause_when_full => return Ok(false),
                Err(e) => {
                    let now = self.now();
                    self.close_transport();
                    return Err(match e {
                        Error::Io { source, .. } => self.session.transport_failed(now, source),
                        e => e,
                    });
                }
            }
        }
        if let Some(tls) = &mut self.tls {
            match write_tls_all(tls, &mut self.stream) {
                Ok(()) => {}
                Err(Error::Timeout(TimeoutKind::Write)) if pause_when_full => return Ok(false),
                Err(Error::Io { source, .. }) => return Err(self.session.io_error(source)),
                Err(e) => return Err(e),
            }
        }
        Ok(true)
    }

    /// Ends the transport: TLS `close_notify`, then shutdown (which also wakes the reader).
    pub(crate) fn close_transport(&mut self) {
        if self.session.is_shut_down() {
            return;
        }
        self.session.transport_shut_down();
        if let Some(tls) = &mut self.tls
            && tls.close_notify().is_ok()
        {
            let _ = write_tls_all(tls, &mut self.stream);
        }
        let _ = self.stream.shutdown();
    }

    /// One blocking read on the transport itself, within `wait` (the opening handshake, before
    /// the reader thread runs).
    pub(crate) fn read_once(&mut self, wait: Option<Duration>) -> Result<(), Error> {
        let wait = match (wait, self.until_timer()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        self.stream.set_read_timeout(wait)?;
        let mut buf = [0; 4096];
        let read = self.stream.read(&mut buf);
        self.received(read, &buf)
    }
}

/// Writes some of `bufs` (through TLS, when there is TLS); returns how much was taken (0: TLS
/// is still in its handshake).
fn write_out(
    tls: &mut Option<TlsLayer>,
    stream: &mut Box<dyn Transport>,
    bufs: &[IoSlice<'_>],
) -> Result<usize, Error> {
    let Some(tls) = tls else {
        return write_some(stream, bufs);
    };
    // Earlier records first.
    write_tls_all(tls, stream)?;
    let n = tls.write_plain(bufs).map_err(Error::from)?;
    // The layer has taken `n` bytes: they count as written even when the transport is full now
    // (their records wait in the layer, before any later ones).
    match write_tls_all(tls, stream) {
        Ok(()) | Err(Error::Timeout(TimeoutKind::Write)) => Ok(n),
        Err(e) => Err(e),
    }
}

fn write_some(stream: &mut Box<dyn Transport>, bufs: &[IoSlice<'_>]) -> Result<usize, Error> {
    loop {
        match stream.write_vectored(bufs) {
            Ok(0) => return Err(io::Error::from(io::ErrorKind::WriteZero).into()),
            Ok(n) => return Ok(n),
            Err(e) => match e.kind() {
                io::ErrorKind::Interrupted => {}
                io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => {
                    return Err(Error::Timeout(TimeoutKind::Write));
                }
                _ => return Err(e.into()),
            },
        }
    }
}

/// Writes all TLS records the layer has ready.
fn write_tls_all(tls: &mut TlsLayer, stream: &mut Box<dyn Transport>) -> Result<(), Error> {
    while !tls.outgoing().is_empty() {
        match stream.write(tls.outgoing()) {
            Ok(0) => return Err(io::Error::from(io::ErrorKind::WriteZero).into()),
            Ok(n) => tls.advance_outgoing(n),
            Err(e) => match e.kind() {
                io::ErrorKind::Interrupted => {}
                io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => {
                    return Err(Error::Timeout(TimeoutKind::Write));
                }
                _ => return Err(e.into()),
            },
        }
    }
    Ok(())
}
