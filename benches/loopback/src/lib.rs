//! Helpers shared by the peer echo and broadcast servers of the loopback benchmarks (the load
//! clients, `loadgen` and `fanout_load`, use none of this).

use std::future::{Future, poll_fn};
use std::net::SocketAddr;
use std::task::Poll;

use futures_util::{Stream, StreamExt};

pub mod load;

/// The capacity of the peer broadcast servers' `tokio::sync::broadcast` channel: as many
/// messages as tether's hub queues per subscriber by default.
pub const BROADCAST_CAPACITY: usize = 1024;

/// The listen address from the first command-line argument (`NAME ADDR:PORT`).
pub fn listen_addr(name: &str) -> Result<SocketAddr, Box<dyn std::error::Error>> {
    Ok(std::env::args()
        .nth(1)
        .ok_or_else(|| format!("usage: {name} ADDR:PORT"))?
        .parse()?)
}

/// The next item of `stream` if it can be had without waiting: `Some(item)` (where `item` is
/// `None` at the end of the stream), or `None` when nothing more is ready now.
///
/// The batched servers use it to tell the end of a read burst: replies are queued while
/// messages keep coming without a wait, and written out (flushed) once this returns `None`.
/// It polls with the task's own context, so a `None` leaves the socket's read interest
/// registered, exactly as a pending `next().await` would.
pub fn next_if_ready<S: Stream + Unpin>(
    stream: &mut S,
) -> impl Future<Output = Option<Option<S::Item>>> + '_ {
    poll_fn(|cx| {
        Poll::Ready(match stream.poll_next_unpin(cx) {
            Poll::Ready(item) => Some(item),
            Poll::Pending => None,
        })
    })
}
