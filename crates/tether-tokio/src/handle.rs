//! [`Handle`]: one user of a [`Driver`] — a whole socket that owns it, or one half of a split.
//!
//! A whole socket owns its driver outright: no lock, no reference count, no shared waker on
//! the hot path. Splitting moves the driver behind a `std::sync::Mutex` that each half takes
//! only for the length of one synchronous poll (never across an `.await`). The read half
//! drives reads and timers and, whenever no more input is ready, writes what is queued, so
//! pongs and the close answer go out even while the write half sits idle; the write half
//! queues and flushes.
//!
//! Both halves poll the same transport and the same timer, which each keep one waker per
//! direction. So in split mode the driver is always polled with a [`PairWaker`] that wakes
//! whichever halves are waiting: a write readiness that the read half happened to register
//! still wakes a writer waiting for room, and the other way round. A spurious wake costs one
//! extra poll of the other half.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Wake, Waker};

use futures_util::task::AtomicWaker;

use crate::driver::Driver;

/// The waiting tasks of the two halves.
#[derive(Debug, Default)]
struct PairWaker {
    read: AtomicWaker,
    write: AtomicWaker,
}

impl Wake for PairWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.read.wake();
        self.write.wake();
    }
}

/// What the two halves share.
struct Shared<S> {
    driver: Mutex<Driver<S>>,
    wakers: Arc<PairWaker>,
}

/// One half of a split socket.
pub(crate) struct Half<S> {
    shared: Arc<Shared<S>>,
    reader: bool,
    /// The pair waker, made once.
    waker: Waker,
}

impl<S> Half<S> {
    fn lock(&self) -> MutexGuard<'_, Driver<S>> {
        self.shared
            .driver
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn slot(&self) -> &AtomicWaker {
        if self.reader {
            &self.shared.wakers.read
        } else {
            &self.shared.wakers.write
        }
    }

    /// Wakes the other half, so it looks again at a state this half changed (a close
    /// started, a deadline moved).
    pub(crate) fn wake_other(&self) {
        if self.reader {
            self.shared.wakers.write.wake();
        } else {
            self.shared.wakers.read.wake();
        }
    }
}

/// A whole socket's driver, or a half's share of one.
pub(crate) enum Handle<S> {
    Whole(Box<Driver<S>>),
    Half(Half<S>),
}

impl<S> Handle<S> {
    pub(crate) fn new(driver: Driver<S>) -> Self {
        Self::Whole(Box::new(driver))
    }

    /// Runs one poll step on the driver: directly, or under the lock with the pair waker.
    pub(crate) fn drive<R>(
        &mut self,
        cx: &mut Context<'_>,
        f: impl FnOnce(&mut Driver<S>, &mut Context<'_>) -> R,
    ) -> R {
        match self {
            Self::Whole(driver) => f(driver, cx),
            Self::Half(half) => {
                half.slot().register(cx.waker());
                let mut cx = Context::from_waker(&half.waker);
                let mut driver = half.lock();
                f(&mut driver, &mut cx)
            }
        }
    }

    /// Runs a synchronous step on the driver (queueing a command, reading a getter).
    pub(crate) fn with<R>(&self, f: impl FnOnce(&Driver<S>) -> R) -> R {
        match self {
            Self::Whole(driver) => f(driver),
            Self::Half(half) => f(&half.lock()),
        }
    }

    /// Runs a synchronous step that changes the driver.
    pub(crate) fn with_mut<R>(&mut self, f: impl FnOnce(&mut Driver<S>) -> R) -> R {
        match self {
            Self::Whole(driver) => f(driver),
            Self::Half(half) => f(&mut half.lock()),
        }
    }

    /// Wakes the other half of a split (nothing for a whole socket).
    pub(crate) fn wake_other(&self) {
        if let Self::Half(half) = self {
            half.wake_other();
        }
    }

    /// A reading and a writing handle on the same driver.
    pub(crate) fn split(self) -> (Self, Self) {
        let driver = match self {
            Self::Whole(driver) => *driver,
            // Halves are never split again (their types have no `split`).
            Self::Half(half) => return (Self::Half(half.clone_as(true)), Self::Half(half)),
        };
        let wakers = Arc::new(PairWaker::default());
        let waker = Waker::from(wakers.clone());
        let shared = Arc::new(Shared {
            driver: Mutex::new(driver),
            wakers,
        });
        let read = Half {
            shared: shared.clone(),
            reader: true,
            waker: waker.clone(),
        };
        let write = Half {
            shared,
            reader: false,
            waker,
        };
        (Self::Half(read), Self::Half(write))
    }
}

impl<S> Half<S> {
    fn clone_as(&self, reader: bool) -> Self {
        Self {
            shared: self.shared.clone(),
            reader,
            waker: self.waker.clone(),
        }
    }
}
