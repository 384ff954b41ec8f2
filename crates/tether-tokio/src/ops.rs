//! The operations every socket type is made of — receive, queue, flush, close — as poll steps on
//! a [`Handle`], and their `async` forms.

use std::future::poll_fn;
use std::task::{Context, Poll};

use tether_socket::{CloseCode, CloseFrame, Error, Session};

use crate::driver::{Deadline, Driver};
use crate::handle::{Handle, Slot};

/// Queued output from which `feed` writes at once instead of waiting for the next receive:
/// batching large messages only delays them.
const EAGER_WRITE: usize = 32 << 10;

impl Handle {
    /// One poll of a receive, under one lock: what `take` finds in the session, or else what it
    /// finds after queueing with `before_drive` and reading what is ready (and writing what is
    /// queued). Honours the read timeout; `fresh` (a receive's first poll) drops a deadline an
    /// earlier, cancelled receive left.
    pub(crate) fn poll_recv<T>(
        &self,
        cx: &mut Context<'_>,
        fresh: bool,
        before_drive: impl FnOnce(&mut Session) -> Result<(), Error>,
        take: &mut impl FnMut(&mut Session) -> Option<Result<T, Error>>,
    ) -> Poll<Result<T, Error>> {
        self.poll_may_drive(cx, Slot::Recv, |d, cx, driving| {
            if fresh {
                d.read_deadline = None;
            }
            // Something decoded already (a burst of chunks from one read, say) is taken
            // without driving.
            if let Some(found) = take(&mut d.session) {
                d.read_deadline = None;
                return Poll::Ready(found);
            }
            driving();
            if let Err(e) = before_drive(&mut d.session) {
                return Poll::Ready(Err(e));
            }
            d.arm_read_deadline();
            // A write failure is the session's too: the receive reports it from there.
            let _ = d.poll_io(cx);
            if let Some(found) = take(&mut d.session) {
                d.read_deadline = None;
                return Poll::Ready(found);
            }
            match d.deadline_passed() {
                Some(Deadline::Read) => Poll::Ready(Err(Deadline::Read.error())),
                _ => Poll::Pending,
            }
        })
    }

    /// Receives with `take` (see [`poll_recv`](Self::poll_recv)); the read timeout counts from
    /// now. Cancel safe: what arrived stays in the session.
    pub(crate) async fn recv<T>(
        &self,
        mut take: impl FnMut(&mut Session) -> Option<Result<T, Error>>,
    ) -> Result<T, Error> {
        let mut fresh = true;
        poll_fn(|cx| self.poll_recv(cx, std::mem::take(&mut fresh), |_| Ok(()), &mut take)).await
    }

    /// One poll of waiting until a new message may be queued (the output is below the outbound
    /// bound), writing meanwhile. Honours the write timeout.
    pub(crate) fn poll_writable(&self, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        self.poll(cx, Slot::Send, |d, cx| {
            if d.session.is_writable() {
                return Poll::Ready(Ok(()));
            }
            d.arm_write_deadline();
            d.poll_io(cx)?;
            if d.session.is_writable() {
                d.write_deadline = None;
                return Poll::Ready(Ok(()));
            }
            pending_or_timeout(d)
        })
    }

    /// One poll of writing everything queued. Honours the write timeout: the deadline is armed
    /// before the step, so the step's timer wakes the writer at it.
    pub(crate) fn poll_flush(&self, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        self.poll(cx, Slot::Send, |d, cx| {
            d.arm_write_deadline();
            let written = d.poll_io(cx);
            if written.is_err() || d.is_flushed() || d.session.is_shut_down() {
                d.write_deadline = None;
                return Poll::Ready(written);
            }
            pending_or_timeout(d)
        })
    }

    /// Queues with `command` once the output is below the outbound bound; with `flush`, writes
    /// everything out before returning. Cancel safe: cancelled before the command ran, nothing
    /// was queued; after, it goes out with the next write.
    pub(crate) async fn queue(
        &self,
        command: impl FnOnce(&mut Session) -> Result<(), Error>,
        flush: bool,
    ) -> Result<(), Error> {
        // Fast path: below the bound, queue at once (one lock). The wait for room is boxed: it
        // is rare, and the future of every send stays small (it lives in the caller's task).
        let (mut buffered, wait) = match self.try_command(command) {
            Ok(buffered) => (buffered?, None),
            Err(command) => (0, Some(Box::pin(self.command_when_writable(command)))),
        };
        if let Some(wait) = wait {
            buffered = wait.await?;
        }
        if flush {
            self.flush().await
        } else if buffered >= EAGER_WRITE {
            // Batching gains nothing at this size: write now what the transport takes.
            poll_fn(|cx| {
                let _ = self.poll(cx, Slot::Send, |d, cx| Poll::Ready(d.poll_io(cx)));
                Poll::Ready(())
            })
            .await;
            self.nudge();
            Ok(())
        } else {
            // Written by this task's next receive, or else by the keeper.
            self.nudge();
            Ok(())
        }
    }

    /// Runs `command` at once when the output is below the outbound bound, returning its
    /// result and the bytes then queued; gives it back otherwise.
    #[allow(clippy::type_complexity)]
    fn try_command<C>(&self, command: C) -> Result<Result<usize, Error>, C>
    where
        C: FnOnce(&mut Session) -> Result<(), Error>,
    {
        self.with(|d| {
            if !d.session.is_writable() {
                return Err(command);
            }
            Ok(command(&mut d.session).map(|()| d.session.connection().buffered_output()))
        })
    }

    /// Waits until the output is below the outbound bound, then runs `command`; returns the
    /// bytes then queued.
    async fn command_when_writable(
        &self,
        command: impl FnOnce(&mut Session) -> Result<(), Error>,
    ) -> Result<usize, Error> {
        self.with(|d| d.write_deadline = None);
        poll_fn(|cx| self.poll_writable(cx)).await?;
        self.with(|d| command(&mut d.session).map(|()| d.session.connection().buffered_output()))
    }

    /// Runs a non-blocking queueing step; when it queued (`Ok`), whoever waits on the
    /// connection (or the keeper) writes it.
    pub(crate) fn try_queue<T, E>(
        &self,
        command: impl FnOnce(&mut Session) -> Result<T, E>,
    ) -> Result<T, E> {
        let queued = self.with(|d| command(&mut d.session))?;
        self.wake();
        Ok(queued)
    }

    /// Writes everything queued.
    pub(crate) async fn flush(&self) -> Result<(), Error> {
        self.with(|d| d.write_deadline = None);
        poll_fn(|cx| self.poll_flush(cx)).await
    }

    /// Starts the close handshake and writes the close frame.
    pub(crate) async fn start_close(&self, code: CloseCode, reason: &str) -> Result<(), Error> {
        self.with(|d| {
            let now = d.now();
            d.session.close(now, code, reason)
        })?;
        self.flush().await
    }

    /// Closes and waits for the end: the peer's answer and the transport's end (up to the close
    /// timeout). Received data meanwhile is dropped.
    pub(crate) async fn close(&self, code: CloseCode, reason: &str) -> Result<CloseFrame, Error> {
        self.start_close(code, reason).await?;
        poll_fn(|cx| {
            self.poll(cx, Slot::Recv, |d, cx| {
                d.session.discard_received();
                let _ = d.poll_io(cx);
                d.session.discard_received();
                // The rest (a client waits for the server to end TCP) is the keeper's.
                if let Some(outcome) = d.session.close_outcome() {
                    return Poll::Ready(outcome);
                }
                if d.session.is_shut_down() {
                    return Poll::Ready(Err(Error::Closed {
                        code: CloseCode::ABNORMAL,
                        reason: String::new(),
                    }));
                }
                Poll::Pending
            })
        })
        .await
    }
}

fn pending_or_timeout(d: &mut Driver) -> Poll<Result<(), Error>> {
    match d.deadline_passed() {
        Some(Deadline::Write) => Poll::Ready(Err(Deadline::Write.error())),
        _ => Poll::Pending,
    }
}
