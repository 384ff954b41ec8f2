//! The async operations every socket type is built from, on a [`Handle`].

use std::future::poll_fn;
use std::task::{Context, Poll};

use tether_net::Error;
use tether_proto::connection::VECTORED_MIN;
use tether_proto::{CloseCode, CloseFrame, Connection, Message, MessageKind, SendError};

use crate::Transport;
use crate::driver::{Driver, Incoming};
use crate::handle::Handle;

/// `data` as a message of type `kind` (text must be UTF-8).
pub(crate) fn message(kind: MessageKind, data: &[u8]) -> Result<Message<'_>, Error> {
    Ok(match kind {
        MessageKind::Binary => Message::Binary(data),
        MessageKind::Text => Message::Text(
            std::str::from_utf8(data).map_err(|_| Error::Send(SendError::InvalidUtf8))?,
        ),
    })
}

/// A payload the connection may still need: if the send is dropped before the transport took
/// all of it, the rest is copied into the output buffer, so the message still goes out whole.
struct Lent<'a, S> {
    handle: &'a mut Handle<S>,
    payload: &'a [u8],
}

impl<S> Drop for Lent<'_, S> {
    fn drop(&mut self) {
        let payload = self.payload;
        self.handle.with_mut(|d| d.conn.fill_payload(payload));
    }
}

impl<S: Transport> Handle<S> {
    /// Runs a receive to its end; its read timeout counts from now (a receive cancelled earlier
    /// may have left its deadline behind).
    async fn receive<T>(
        &mut self,
        mut poll: impl FnMut(&mut Driver<S>, &mut Context<'_>) -> Poll<Result<T, Error>>,
    ) -> Result<T, Error> {
        let mut fresh = true;
        poll_fn(|cx| {
            self.drive(cx, |d, cx| {
                if fresh {
                    d.read_deadline = None;
                    fresh = false;
                }
                poll(d, cx)
            })
        })
        .await
    }

    /// The next piece of incoming data, given to `on`. Cancel safe: see the crate docs.
    pub(crate) async fn next<T>(
        &mut self,
        mut on: impl FnMut(Incoming<'_>, &mut Vec<u8>) -> T,
    ) -> Result<Option<T>, Error> {
        self.receive(|d, cx| d.poll_next(cx, &mut on)).await
    }

    /// The next whole message into `buf` (its contents replaced). Cancel safe: pieces gather
    /// in the driver, not in this future.
    pub(crate) async fn recv_into(
        &mut self,
        buf: &mut Vec<u8>,
    ) -> Result<Option<MessageKind>, Error> {
        self.receive(|d, cx| d.poll_recv_into(cx, buf)).await
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

    /// Queues a whole message; with `flush`, writes everything out before returning. On a
    /// whole socket a large payload is not copied: it is written from `data`, after its header,
    /// before this returns (cancelled half way, the rest is copied into the output buffer, so
    /// it still goes out whole).
    pub(crate) async fn send_message(
        &mut self,
        message: Message<'_>,
        flush: bool,
    ) -> Result<(), Error> {
        let data = message.as_bytes();
        // Split halves copy: the other half may write the queue while this one waits.
        if data.len() < VECTORED_MIN || !matches!(self, Self::Whole(_)) {
            return self.send(|c| c.send_message(message), flush).await;
        }
        poll_fn(|cx| self.drive(cx, |d, cx| d.poll_writable(cx))).await?;
        let by_ref = self.with_mut(|d| d.command(|c| c.send_message_vectored(message)))?;
        if by_ref {
            let lent = Lent {
                handle: self,
                payload: data,
            };
            poll_fn(|cx| {
                lent.handle
                    .drive(cx, |d, cx| d.poll_write_out(cx, true, lent.payload))
            })
            .await
        } else if flush {
            self.flush().await
        } else {
            Ok(())
        }
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
