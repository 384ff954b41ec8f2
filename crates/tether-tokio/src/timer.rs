//! [`Timer`]: one `tokio::time::Sleep` per connection, re-armed in place.
//!
//! The core's timers (handshake, keepalive, close) and the read and write deadlines collapse
//! into one deadline, the earliest. The sleep is boxed once, on first use, and then only
//! [`reset`](tokio::time::Sleep::reset): it is moved earlier at once, but never later — a
//! deadline that moved later (every read pushes the keepalive back) is noticed when the
//! earlier sleep fires, by checking the clock against the real deadline (as quinn's
//! `drive_timer` does). So a busy connection touches the timer wheel about once per keepalive
//! interval, not once per read or message.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use tokio::time::{Instant, Sleep};

#[derive(Debug, Default)]
pub(crate) struct Timer {
    sleep: Option<Pin<Box<Sleep>>>,
    /// When the sleep is set to fire, while it has not fired.
    armed: Option<Instant>,
    /// The waker the armed sleep was last polled with: polling it again with the same one
    /// changes nothing (a drive polls the timer every time; most find it armed).
    waker: Option<Waker>,
}

impl Timer {
    /// Ready once the clock has reached `deadline`; otherwise registers `cx` to be woken no
    /// later than then.
    pub(crate) fn poll(&mut self, cx: &mut Context<'_>, deadline: Instant) -> Poll<()> {
        loop {
            // Armed no later than needed, not fired yet, and registered with this waker: the
            // sleep wakes us in time, and the clock need not be read (a drive polls the timer
            // every time; most find it so).
            if self.armed.is_some_and(|at| at <= deadline)
                && self.sleep.as_ref().is_some_and(|s| !s.is_elapsed())
                && self.waker.as_ref().is_some_and(|w| w.will_wake(cx.waker()))
            {
                return Poll::Pending;
            }
            let now = Instant::now();
            if now >= deadline {
                return Poll::Ready(());
            }
            let sleep = self
                .sleep
                .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
            match self.armed {
                // Armed earlier than needed but still in the future: keep it; we look again
                // when it fires.
                Some(at) if at <= deadline && at > now => {}
                _ => {
                    sleep.as_mut().reset(deadline);
                    self.armed = Some(deadline);
                }
            }
            if sleep.as_mut().poll(cx).is_pending() {
                if !self.waker.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
                    self.waker = Some(cx.waker().clone());
                }
                return Poll::Pending;
            }
            // It fired: trust the clock, not the sleep.
            self.armed = None;
        }
    }
}
