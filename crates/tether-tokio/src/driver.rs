//! [`Driver`]: a [`Session`] and its transport, moved forward by one poll step,
//! [`poll_io`](Driver::poll_io): read what is ready, write what is queued, run what is due.
//!
//! Everything here moves bytes and keeps time; every decision is the session's. The step never
//! waits: it registers the waker it is given with the transport and the timer, and returns.

use std::future::Future;
use std::io::{self, IoSlice};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tether_proto::Instant;
use tether_proto::connection::State;
use tether_proto::connection::Transmit;
use tether_socket::{Error, Session, TimeoutKind};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::Instant as TokioInstant;

use crate::Transport;
use crate::timer::Timer;

/// Most slices given to one vectored write.
const MAX_SLICES: usize = 16;

/// A session, its transport, and the state to drive them.
pub(crate) struct Driver {
    pub(crate) session: Session,
    io: Box<dyn Transport>,
    /// The moment the session's `Instant::ZERO` stands for.
    origin: TokioInstant,
    timer: Timer,
    /// When the receive waiting now times out.
    pub(crate) read_deadline: Option<TokioInstant>,
    /// When the send or flush waiting now times out.
    pub(crate) write_deadline: Option<TokioInstant>,
    pub(crate) read_timeout: Option<Duration>,
    pub(crate) write_timeout: Option<Duration>,
    /// Written since the transport was last flushed.
    unflushed: bool,
}

/// What a deadline check found.
pub(crate) enum Deadline {
    Read,
    Write,
}

impl Driver {
    /// `origin` is the moment the session's `Instant::ZERO` stands for.
    pub(crate) fn new(session: Session, io: Box<dyn Transport>, origin: TokioInstant) -> Self {
        Self {
            session,
            io,
            origin,
            timer: Timer::default(),
            read_deadline: None,
            write_deadline: None,
            read_timeout: None,
            write_timeout: None,
            unflushed: false,
        }
    }

    pub(crate) fn now(&self) -> Instant {
        Instant::from_elapsed(self.origin.elapsed())
    }

    /// The session's instant for `now` read earlier (one clock read for many connections).
    pub(crate) fn at(&self, now: TokioInstant) -> Instant {
        Instant::from_elapsed(now.saturating_duration_since(self.origin))
    }

    /// One step: reads until the transport has nothing more (or the session wants no more),
    /// writes everything queued, lets go of the buffers an idle connection does not need, and
    /// runs the session's due timers — repeating while a timer made new output. Registers `cx` wherever it would wait. A write failure is returned (to
    /// a writer waiting on it) and recorded in the session (for the next receive).
    pub(crate) fn poll_io(&mut self, cx: &mut Context<'_>) -> Result<(), Error> {
        for _ in 0..16 {
            let blocked = self.poll_read(cx);
            let written = self.poll_write(cx);
            if let Poll::Ready(Err(e)) = written {
                return Err(e);
            }
            if blocked {
                // Nothing to read: an idle connection holds no buffers (what is still to be
                // written keeps its own).
                self.session.read_would_block();
            }
            if !self.poll_session_timer(cx) {
                return Ok(());
            }
        }
        // Timers keep firing: let others run, then go on.
        cx.waker().wake_by_ref();
        Ok(())
    }

    /// Reads while the session wants input and the transport has some. Returns whether a read
    /// would block.
    fn poll_read(&mut self, cx: &mut Context<'_>) -> bool {
        while self.session.wants_read() {
            let mut buf = ReadBuf::new(self.session.read_buffer());
            let result = Pin::new(&mut self.io).poll_read(cx, &mut buf);
            let n = buf.filled().len();
            match result {
                Poll::Pending => return true,
                Poll::Ready(Ok(())) => {
                    let now = self.now();
                    self.session.commit_read(now, n);
                }
                Poll::Ready(Err(e)) if e.kind() == io::ErrorKind::Interrupted => {}
                // A TLS peer that left without close_notify: an end like any other.
                Poll::Ready(Err(e)) if e.kind() == io::ErrorKind::UnexpectedEof => {
                    let now = self.now();
                    self.session.commit_read(now, 0);
                }
                Poll::Ready(Err(e)) => {
                    let now = self.now();
                    self.session.transport_failed(now, e);
                }
            }
        }
        false
    }

    /// Writes what is queued at once, outside a drive (a hub's publisher hands a subscriber its
    /// message): `true` when all of it went out and the connection is open, so nothing is left
    /// for the keeper. Otherwise the caller nudges the keeper; a write that would block has
    /// registered `cx` (the shared waker) for the transport's readiness either way.
    ///
    /// The write runs outside tokio's cooperative budget: one publish writes to every
    /// subscriber from the publisher's task, and the budget (128 operations per task poll)
    /// would turn every write after the first 128 into a wake-up of that subscriber's keeper.
    /// The publish is bounded work either way, one write per subscriber.
    pub(crate) fn write_now(&mut self, cx: &mut Context<'_>) -> bool {
        let write = std::future::poll_fn(|cx| self.poll_write(cx));
        let written = std::pin::pin!(tokio::task::unconstrained(write)).poll(cx);
        matches!(written, Poll::Ready(Ok(()))) && self.session.connection().state() == State::Open
    }

    /// Writes everything queued (vectored, large payloads from where they are), flushes, and
    /// shuts the transport down when the session says so. `Ready(Ok)` when nothing is left.
    fn poll_write(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        loop {
            let written = match self.session.poll_transmit() {
                Transmit::Write(bufs) => {
                    let mut slices = [IoSlice::new(&[]); MAX_SLICES];
                    let mut count = 0;
                    for (slot, buf) in slices.iter_mut().zip(bufs) {
                        *slot = IoSlice::new(buf);
                        count += 1;
                    }
                    let io = Pin::new(&mut self.io);
                    if count == 1 {
                        io.poll_write(cx, &slices[0])
                    } else {
                        io.poll_write_vectored(cx, &slices[..count])
                    }
                }
                Transmit::Shutdown => {
                    // An error here means the transport is gone already: shut either way.
                    if Pin::new(&mut self.io).poll_shutdown(cx).is_pending() {
                        return Poll::Pending;
                    }
                    self.session.transport_shut_down();
                    return Poll::Ready(Ok(()));
                }
                Transmit::Idle => break,
            };
            match written {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Ok(0)) => {
                    return Poll::Ready(Err(self.failed(io::ErrorKind::WriteZero.into())));
                }
                Poll::Ready(Ok(n)) => {
                    self.session.advance_transmit(n);
                    self.unflushed = true;
                }
                Poll::Ready(Err(e)) if e.kind() == io::ErrorKind::Interrupted => {}
                Poll::Ready(Err(e)) => return Poll::Ready(Err(self.failed(e))),
            }
        }
        if self.unflushed {
            match Pin::new(&mut self.io).poll_flush(cx) {
                Poll::Ready(Ok(())) => self.unflushed = false,
                Poll::Ready(Err(e)) => return Poll::Ready(Err(self.failed(e))),
                Poll::Pending => return Poll::Pending,
            }
        }
        Poll::Ready(Ok(()))
    }

    fn failed(&mut self, e: io::Error) -> Error {
        let now = self.now();
        self.session.transport_shut_down();
        self.session.transport_failed(now, e)
    }

    /// Whether the transport has nothing more to write (and was flushed).
    pub(crate) fn is_flushed(&self) -> bool {
        !self.unflushed && self.session.connection().buffered_output() == 0
    }

    /// Waits for the session's next timer and the read or write deadline in force; runs the
    /// session's timers when due. Returns whether one ran (so new output may be queued).
    fn poll_session_timer(&mut self, cx: &mut Context<'_>) -> bool {
        let core = self
            .session
            .poll_timeout()
            .and_then(|t| self.origin.checked_add(t.elapsed()));
        let deadline = [core, self.read_deadline, self.write_deadline]
            .into_iter()
            .flatten()
            .min();
        let Some(deadline) = deadline else {
            return false;
        };
        if self.timer.poll(cx, deadline).is_pending() {
            return false;
        }
        if core.is_some_and(|c| c <= TokioInstant::now()) {
            let now = self.now();
            self.session.handle_timeout(now);
            return true;
        }
        false
    }

    /// Which of the waiting operation's deadlines passed, if one did (it is cleared).
    pub(crate) fn deadline_passed(&mut self) -> Option<Deadline> {
        let now = TokioInstant::now();
        if self.write_deadline.is_some_and(|d| d <= now) {
            self.write_deadline = None;
            return Some(Deadline::Write);
        }
        if self.read_deadline.is_some_and(|d| d <= now) {
            self.read_deadline = None;
            return Some(Deadline::Read);
        }
        None
    }

    /// Starts the read deadline of a receive about to wait, if there is a read timeout.
    pub(crate) fn arm_read_deadline(&mut self) {
        if let (Some(t), None) = (self.read_timeout, self.read_deadline) {
            self.read_deadline = TokioInstant::now().checked_add(t);
        }
    }

    /// Starts the write deadline of a send or flush about to wait.
    pub(crate) fn arm_write_deadline(&mut self) {
        if let (Some(t), None) = (self.write_timeout, self.write_deadline) {
            self.write_deadline = TokioInstant::now().checked_add(t);
        }
    }
}

impl Deadline {
    pub(crate) fn error(self) -> Error {
        Error::Timeout(match self {
            Self::Read => TimeoutKind::Read,
            Self::Write => TimeoutKind::Write,
        })
    }
}
