//! [`Handle`]: the application's side of a connection, and the reader and writer threads that
//! keep it.
//!
//! The [`Driver`] sits behind a `Mutex`. The connection's reader thread blocks in `read` on its
//! own handle of the transport (without the lock), then locks to feed what arrived — pings are
//! answered then, whatever the application is doing — runs the timers, writes what the
//! transport takes at once, and wakes receivers through a `Condvar`. The application's receives
//! wait on that `Condvar`; its sends write on the calling thread. Output queued without a
//! write (`feed`, `try_send`, chunks, stream writes, the close of a dropped socket) is the
//! writer thread's: it writes it a few milliseconds later, and while the transport is full it
//! tries again every few milliseconds instead of blocking, so the lock is never held for long
//! by a background write. Dropping the last handle closes the connection with 1001; both
//! threads end with the transport.

use std::io::Read;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant as StdInstant};

use tether_socket::{CloseCode, CloseFrame, Error, Session, TimeoutKind};

use crate::Transport;
use crate::driver::Driver;

/// Bytes the reader thread reads at a time.
const READ_SIZE: usize = 16 << 10;

/// How soon the writer thread writes output queued without a flush (`feed`, `try_send`), so
/// that more can be queued behind it; and how often it tries again while the transport is
/// full.
const QUEUED_OUTPUT_DELAY: Duration = Duration::from_millis(5);

/// The most a background write waits for a full transport (the kernel rounds it up to its
/// clock tick) while it holds the lock.
const BACKGROUND_WRITE: Duration = Duration::from_millis(1);

struct Shared {
    driver: Mutex<Driver>,
    /// Something changed: input arrived, output drained, the connection ended.
    changed: Condvar,
    /// Output was queued without a write, or the connection ended: the writer thread's cue.
    queued: Condvar,
    /// Live handles (a whole socket, or the halves of a split one).
    handles: AtomicUsize,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Driver> {
        self.driver.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// One handle on a connection: a whole socket, or one half of a split one.
pub(crate) struct Handle {
    shared: Arc<Shared>,
}

impl Handle {
    /// Puts `driver` behind a handle and starts its reader and writer threads.
    pub(crate) fn spawn(driver: Driver) -> Result<Self, Error> {
        let reader = driver.reader()?;
        let shared = Arc::new(Shared {
            driver: Mutex::new(driver),
            changed: Condvar::new(),
            queued: Condvar::new(),
            handles: AtomicUsize::new(1),
        });
        let keeper = shared.clone();
        std::thread::Builder::new()
            .name("tether-reader".into())
            .stack_size(64 << 10)
            .spawn(move || keep(&keeper, reader))?;
        let writer = shared.clone();
        let spawned = std::thread::Builder::new()
            .name("tether-writer".into())
            .stack_size(64 << 10)
            .spawn(move || write_queued(&writer));
        if let Err(e) = spawned {
            // The reader thread ends with the transport.
            shared.lock().close_transport();
            return Err(e.into());
        }
        Ok(Self { shared })
    }

    /// Another handle on the same connection (for a split).
    pub(crate) fn another(&self) -> Self {
        self.shared.handles.fetch_add(1, Ordering::AcqRel);
        Self {
            shared: self.shared.clone(),
        }
    }

    /// Runs `step` on the driver under the lock.
    pub(crate) fn with<T>(&self, step: impl FnOnce(&mut Driver) -> T) -> T {
        step(&mut self.shared.lock())
    }

    /// Waits until `take` finds something in the session, up to the read timeout. Output
    /// queued without a flush is written first.
    pub(crate) fn recv<T>(
        &self,
        mut take: impl FnMut(&mut Session) -> Option<Result<T, Error>>,
    ) -> Result<T, Error> {
        let mut d = self.shared.lock();
        let deadline = d.read_timeout.map(|t| StdInstant::now() + t);
        loop {
            if let Some(found) = take(&mut d.session) {
                // The queue has room again: the reader may read on.
                self.shared.changed.notify_all();
                return found;
            }
            d.flush()?;
            let wait = match deadline {
                Some(deadline) => match deadline.checked_duration_since(StdInstant::now()) {
                    Some(wait) if !wait.is_zero() => wait,
                    _ => return Err(Error::Timeout(TimeoutKind::Read)),
                },
                None => Duration::from_secs(3600),
            };
            d = self
                .shared
                .changed
                .wait_timeout(d, wait)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
    }

    /// Queues with `command` once the output is below the outbound bound (writing on this
    /// thread meanwhile); with `flush`, writes everything out before returning.
    pub(crate) fn queue(
        &self,
        command: impl FnOnce(&mut Session) -> Result<(), Error>,
        flush: bool,
    ) -> Result<(), Error> {
        let mut d = self.shared.lock();
        if !d.session.is_writable() {
            d.flush()?;
        }
        command(&mut d.session)?;
        if flush || !d.session.is_writable() {
            d.flush()?;
        } else {
            self.shared.queued.notify_one();
        }
        Ok(())
    }

    /// Runs a non-blocking queueing step; what it queued is written by the next receive,
    /// flush or send, or by the writer thread shortly.
    pub(crate) fn try_queue<T, E>(
        &self,
        command: impl FnOnce(&mut Session) -> Result<T, E>,
    ) -> Result<T, E> {
        let queued = command(&mut self.shared.lock().session)?;
        self.shared.queued.notify_one();
        Ok(queued)
    }

    /// Writes everything queued.
    pub(crate) fn flush(&self) -> Result<(), Error> {
        self.shared.lock().flush()
    }

    /// Starts the close handshake and writes the close frame.
    pub(crate) fn start_close(&self, code: CloseCode, reason: &str) -> Result<(), Error> {
        let mut d = self.shared.lock();
        let now = d.now();
        d.session.close(now, code, reason)?;
        d.flush()
    }

    /// Closes and waits for the peer's answer (up to the close timeout, run by the reader
    /// thread). Received data meanwhile is dropped.
    pub(crate) fn close(&self, code: CloseCode, reason: &str) -> Result<CloseFrame, Error> {
        self.start_close(code, reason)?;
        let mut d = self.shared.lock();
        loop {
            d.session.discard_received();
            if let Some(outcome) = d.session.close_outcome() {
                self.shared.changed.notify_all();
                return outcome;
            }
            if d.session.is_shut_down() {
                return Err(Error::abnormal());
            }
            d = self
                .shared
                .changed
                .wait_timeout(d, Duration::from_secs(3600))
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
    }
}

impl Drop for Handle {
    fn drop(&mut self) {
        if self.shared.handles.fetch_sub(1, Ordering::AcqRel) == 1 {
            // Nobody will receive any more: close with 1001 (what was queued goes first, written
            // by the writer thread, so a peer that does not read cannot block the drop); the
            // reader thread sees the answer, or the close timeout, and ends.
            let mut d = self.shared.lock();
            let now = d.now();
            let _ = d.session.close(now, CloseCode::GOING_AWAY, "going away");
            d.session.discard_received();
            self.shared.queued.notify_one();
            self.shared.changed.notify_all();
        }
    }
}

/// The reader thread: reads (without the lock), feeds, runs timers, writes what the transport
/// takes at once (leaving the rest to the writer thread), wakes receivers; ends with the
/// transport.
fn keep(shared: &Shared, mut reader: Box<dyn Transport>) {
    let mut buf = vec![0; READ_SIZE];
    loop {
        let wait = {
            let mut d = shared.lock();
            if shared.handles.load(Ordering::Acquire) == 0 {
                d.session.discard_received();
            }
            d.run_timers();
            if !d.flush_within(BACKGROUND_WRITE) {
                shared.queued.notify_one();
            }
            shared.changed.notify_all();
            if d.session.is_shut_down() {
                shared.queued.notify_all();
                return;
            }
            if !d.session.wants_read() {
                // The queue is full (or input ended): wait for room, or for the next timer.
                let wait = d.until_timer().unwrap_or(Duration::from_secs(3600));
                drop(shared.changed.wait_timeout(d, wait));
                continue;
            }
            d.until_timer()
        };
        let _ = reader.set_read_timeout(wait);
        let read = reader.read(&mut buf);
        let mut d = shared.lock();
        let _ = d.received(read, &buf);
        shared.changed.notify_all();
    }
}

/// The writer thread: writes output queued without a write, a few milliseconds after it was
/// queued (so more can join it), within [`BACKGROUND_WRITE`] per try; while the transport is
/// full, tries again every few milliseconds. Ends with the transport.
fn write_queued(shared: &Shared) {
    let mut d = shared.lock();
    loop {
        if d.session.is_shut_down() {
            return;
        }
        if !d.has_output() {
            d = shared
                .queued
                .wait_timeout(d, Duration::from_secs(3600))
                .unwrap_or_else(PoisonError::into_inner)
                .0;
            continue;
        }
        drop(d);
        std::thread::sleep(QUEUED_OUTPUT_DELAY);
        d = shared.lock();
        let drained = d.flush_within(BACKGROUND_WRITE);
        shared.changed.notify_all();
        if !drained && !d.session.is_shut_down() {
            // The transport is full: the next try after a pause.
            d = shared
                .queued
                .wait_timeout(d, QUEUED_OUTPUT_DELAY)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
    }
}
