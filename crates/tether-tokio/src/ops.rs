//! The async operations every socket type is built from, on a [`Handle`].

use std::future::poll_fn;

use tether_net::Error;
use tether_proto::{CloseCode, CloseFrame, Connection, MessageKind, SendError};

use crate::Transport;
use crate::driver::Incoming;
use crate::handle::Handle;

impl<S: Transport> Handle<S> {
    /// The next piece of incoming data, given to `on`. Cancel safe: see the crate docs.
    pub(crate) async fn next<T>(
        &mut self,
        mut on: impl FnMut(Incoming<'_>, &mut Vec<u8>) -> T,
    ) -> Result<Option<T>, Error> {
        let mut fresh = true;
        poll_fn(|cx| {
            self.drive(cx, |d, cx| {
                if fresh {
                    // A new receive: its read timeout counts from now (a receive cancelled
                    // earlier may have left its deadline behind).
                    d.read_deadline = None;
                    fresh = false;
                }
                d.poll_next(cx, &mut on)
            })
        })
        .await
    }

    /// The next whole message into `buf` (cleared first). In partial mode the pieces gather in
    /// the driver's assembly buffer (not in this future), so cancelling loses nothing.
    pub(crate) async fn recv_into(
        &mut self,
        buf: &mut Vec<u8>,
    ) -> Result<Option<MessageKind>, Error> {
        buf.clear();
        loop {
            let step = self
                .next(|i, assembly| {
                    if !i.fin {
                        assembly.extend_from_slice(i.payload);
                        return None;
                    }
                    if assembly.is_empty() {
                        buf.extend_from_slice(i.payload);
                    } else {
                        assembly.extend_from_slice(i.payload);
                        std::mem::swap(assembly, buf);
                        assembly.clear();
                    }
                    Some(i.kind)
                })
                .await?;
            match step {
                None => return Ok(None),
                Some(Some(kind)) => return Ok(Some(kind)),
                Some(None) => {}
            }
        }
    }

    /// Queues a command once the output is below the outbound bound; with `flush`, writes
    /// everything out before returning.
    ///
    /// Cancelling after the command was queued leaves it queued: it goes out with the next
    /// write.
    pub(crate) async fn send(
        &mut self,
        command: impl FnOnce(&mut Connection) -> Result<(), SendError>,
        flush: bool,
    ) -> Result<(), Error> {
        poll_fn(|cx| self.drive(cx, |d, cx| d.poll_writable(cx))).await?;
        self.with_mut(|d| d.command(command))?;
        if flush {
            self.flush().await?;
        }
        Ok(())
    }

    /// Writes everything queued.
    pub(crate) async fn flush(&mut self) -> Result<(), Error> {
        poll_fn(|cx| self.drive(cx, |d, cx| d.poll_flush_out(cx, true))).await
    }

    /// Starts the close handshake and writes the close frame.
    pub(crate) async fn start_close(&mut self, code: CloseCode, reason: &str) -> Result<(), Error> {
        self.with_mut(|d| d.start_close(code, reason))?;
        // The reading half (if split) must see the new close deadline.
        self.wake_other();
        self.flush().await
    }

    /// Closes and waits for the end (the peer's answer and the transport's close).
    pub(crate) async fn close(
        &mut self,
        code: CloseCode,
        reason: &str,
    ) -> Result<CloseFrame, Error> {
        self.start_close(code, reason).await?;
        poll_fn(|cx| self.drive(cx, |d, cx| d.poll_closed(cx))).await
    }
}
