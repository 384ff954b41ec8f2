//! [`Handle`]: the application's side of a connection, and the keeper task that drives it while
//! the application does not.
//!
//! A connection's [`Driver`] sits behind a `std::sync::Mutex`, held only for one synchronous
//! poll step, never across an `.await`. Whoever polls drives: a receive reads, decodes and
//! writes inline, so an echo loop costs no task switch. The transport and the timer are always
//! polled with one shared waker, the [`Signal`]: it wakes the receiving and the sending task,
//! if they wait, and the connection's **keeper**, a small task spawned with the socket. The
//! keeper drives only when no one else did since the event that woke it — when the application
//! is busy elsewhere, only sends, or does nothing at all — so pings are answered, keepalive
//! runs, queued output goes out and a close is completed whatever the application does. When
//! the last handle is dropped, the keeper closes the connection with 1001 and ends.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Wake, Waker};

use futures_util::task::AtomicWaker;
use tether_proto::CloseCode;

use crate::driver::Driver;

/// Who waits on a connection.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Slot {
    /// A receive (of a whole socket or a read half).
    Recv,
    /// A send, flush or close (of a whole socket or a write half).
    Send,
}

/// The one waker the transport and the timer are polled with.
#[derive(Debug, Default)]
struct Signal {
    recv: AtomicWaker,
    send: AtomicWaker,
    keeper: AtomicWaker,
    /// Counts wake-ups (transport readiness, timers, output queued from outside).
    events: AtomicU64,
    /// `events` as it was when the last drive began: every event up to it was looked at.
    driven: AtomicU64,
    /// The keeper was nudged and has not run since (so a burst of `feed`s nudges once).
    nudged: AtomicBool,
}

impl Wake for Signal {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.events.fetch_add(1, Ordering::AcqRel);
        self.recv.wake();
        self.send.wake();
        self.keeper.wake();
    }
}

struct Shared {
    driver: Mutex<Driver>,
    signal: Arc<Signal>,
    waker: Waker,
    /// Live handles (a whole socket, or the halves of a split one).
    handles: AtomicUsize,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Driver> {
        self.driver.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A drive begins (under the lock): every event so far counts as looked at.
    fn mark_driven(&self) {
        let events = self.signal.events.load(Ordering::Acquire);
        self.signal.driven.store(events, Ordering::Release);
    }
}

/// One handle on a connection: a whole socket, or one half of a split one.
pub(crate) struct Handle {
    shared: Arc<Shared>,
}

/// A reference to a connection that does not keep it open (a hub's subscriber).
#[derive(Clone)]
pub struct WeakHandle {
    shared: std::sync::Weak<Shared>,
}

impl WeakHandle {
    /// Runs a queueing step on the connection and writes what it queued at once
    /// ([`Driver::write_now`]); only when something is left (the socket is full, the
    /// connection is closing) is the keeper nudged to finish it. Wakes no task waiting to
    /// receive or send: an offer brings them nothing. `None` when the connection is gone.
    pub(crate) fn offer<T>(&self, step: impl FnOnce(&mut Driver) -> T) -> Option<T> {
        let shared = self.shared.upgrade()?;
        let mut driver = shared.lock();
        let out = step(&mut driver);
        let written = driver.write_now(&mut Context::from_waker(&shared.waker));
        drop(driver);
        if !written {
            shared.nudge();
        }
        Some(out)
    }

    /// Which connection this is (for telling connections apart).
    pub(crate) fn key(&self) -> *const () {
        self.shared.as_ptr().cast()
    }
}

impl Handle {
    /// Puts `driver` behind a handle and spawns its keeper on the current runtime.
    pub(crate) fn spawn(driver: Driver) -> Self {
        let signal = Arc::new(Signal::default());
        let shared = Arc::new(Shared {
            driver: Mutex::new(driver),
            waker: Waker::from(signal.clone()),
            signal,
            handles: AtomicUsize::new(1),
        });
        tokio::spawn(keep(shared.clone()));
        Self { shared }
    }

    /// Another handle on the same connection (for a split).
    pub(crate) fn another(&self) -> Self {
        self.shared.handles.fetch_add(1, Ordering::AcqRel);
        Self {
            shared: self.shared.clone(),
        }
    }

    /// A reference that does not keep the connection open.
    pub(crate) fn downgrade(&self) -> WeakHandle {
        WeakHandle {
            shared: Arc::downgrade(&self.shared),
        }
    }

    /// Runs one poll step on the driver as `slot`, with the shared waker.
    pub(crate) fn poll<T>(
        &self,
        cx: &mut Context<'_>,
        slot: Slot,
        step: impl FnOnce(&mut Driver, &mut Context<'_>) -> Poll<T>,
    ) -> Poll<T> {
        self.poll_may_drive(cx, slot, |driver, cx, driving| {
            driving();
            step(driver, cx)
        })
    }

    /// As [`poll`](Self::poll), for a step that may finish without driving (it found what it
    /// wanted already queued): it calls `driving` before it polls the transport, and a step
    /// that does not leave the events since the last drive to the keeper.
    pub(crate) fn poll_may_drive<T>(
        &self,
        cx: &mut Context<'_>,
        slot: Slot,
        step: impl FnOnce(&mut Driver, &mut Context<'_>, &dyn Fn()) -> Poll<T>,
    ) -> Poll<T> {
        let signal = &self.shared.signal;
        match slot {
            Slot::Recv => signal.recv.register(cx.waker()),
            Slot::Send => signal.send.register(cx.waker()),
        }
        let mut driver = self.shared.lock();
        let mut cx = Context::from_waker(&self.shared.waker);
        step(&mut driver, &mut cx, &|| self.shared.mark_driven())
    }

    /// Runs a synchronous step (queueing a command, reading a getter).
    pub(crate) fn with<T>(&self, step: impl FnOnce(&mut Driver) -> T) -> T {
        step(&mut self.shared.lock())
    }

    /// Output was queued outside a drive: make sure someone writes it — the waiting
    /// receiver or sender, or the keeper.
    pub(crate) fn wake(&self) {
        self.shared.waker.wake_by_ref();
    }

    /// Output was queued by the task that owns this handle, which will drive again: only the
    /// keeper needs to know, in case it does not.
    pub(crate) fn nudge(&self) {
        self.shared.nudge();
    }
}

impl Shared {
    /// Output was queued (under the lock): the keeper writes it unless someone drives first.
    ///
    /// A burst of nudges wakes the keeper once: a nudge that finds `nudged` set leaves it to
    /// the wake-up already pending. The keeper clears `nudged` *before* it takes the lock to
    /// look for unwritten output, so output queued after that look was queued after the clear
    /// (the lock orders the two), and its nudge finds `nudged` clear and wakes the keeper again.
    fn nudge(&self) {
        let signal = &self.signal;
        if !signal.nudged.load(Ordering::Relaxed) && !signal.nudged.swap(true, Ordering::AcqRel) {
            signal.keeper.wake();
        }
    }
}

impl Drop for Handle {
    fn drop(&mut self) {
        if self.shared.handles.fetch_sub(1, Ordering::AcqRel) == 1 {
            // The keeper closes the connection.
            self.shared.waker.wake_by_ref();
        }
    }
}

/// The keeper: drives the connection whenever an event found no one else driving; once the
/// last handle is gone, closes (1001) and ends with the transport.
async fn keep(shared: Arc<Shared>) {
    let mut closing = false;
    // The opening handshake was driven with the accepting or connecting task's waker: the
    // first drive registers the shared one with the transport and the timer.
    let mut first = true;
    std::future::poll_fn(|cx| {
        let signal = &shared.signal;
        signal.keeper.register(cx.waker());
        let nudged = signal.nudged.swap(false, Ordering::AcqRel);
        let orphaned = shared.handles.load(Ordering::Acquire) == 0;
        let events = signal.events.load(Ordering::Acquire);
        // Someone drove after the last event: only output queued since may be left.
        let looked_at = !std::mem::take(&mut first)
            && !orphaned
            && signal.driven.load(Ordering::Acquire) >= events;
        if looked_at && !nudged {
            return Poll::Pending;
        }
        let mut driver = shared.lock();
        if looked_at && driver.is_flushed() {
            return Poll::Pending;
        }
        shared.mark_driven();
        let mut cx = Context::from_waker(&shared.waker);
        if orphaned {
            if !closing {
                closing = true;
                let now = driver.now();
                let _ = driver
                    .session
                    .close(now, CloseCode::GOING_AWAY, "going away");
            }
            driver.session.discard_received();
        }
        let _ = driver.poll_io(&mut cx);
        if orphaned {
            driver.session.discard_received();
        }
        if driver.session.is_shut_down() {
            return Poll::Ready(());
        }
        Poll::Pending
    })
    .await;
}
