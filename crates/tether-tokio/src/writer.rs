//! [`MessageWriter`]: one large message sent in pieces.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use tether_net::Error;
use tether_proto::MessageKind;
use tokio::io::AsyncWrite;

use crate::Transport;
use crate::error::to_io;
use crate::handle::Handle;

/// One message written in pieces: each [`write`](Self::write) goes out as frames of the same
/// message, so the whole never has to be in memory. [`finish`](Self::finish) ends it; dropping
/// the writer unfinished queues the end too (it is written with the socket's next write).
/// Also a `tokio::io::AsyncWrite` (`poll_shutdown` ends the message), so `tokio::io::copy`
/// can fill one message from a file.
///
/// Writers wait while more than the outbound buffer size is queued, so memory stays bounded
/// however fast the message is produced.
///
/// ```no_run
/// use tether_tokio::MessageKind;
///
/// # async fn run() -> Result<(), tether_tokio::Error> {
/// let mut ws = tether_tokio::connect("ws://127.0.0.1:9001/upload").await?;
/// let mut message = ws.start_message(MessageKind::Binary).await?;
/// for _ in 0..1024 {
///     message.write(&[0u8; 64 * 1024]).await?; // 64 MiB in one message
/// }
/// message.finish().await?;
/// # Ok(()) }
/// ```
pub struct MessageWriter<'a, S: Transport> {
    handle: &'a mut Handle<S>,
    finished: bool,
}

impl<'a, S: Transport> MessageWriter<'a, S> {
    pub(crate) async fn start(handle: &'a mut Handle<S>, kind: MessageKind) -> Result<Self, Error> {
        handle.send(|c| c.begin_message(kind), false).await?;
        Ok(Self {
            handle,
            finished: false,
        })
    }

    /// Queues the next bytes of the message (written once the outbound buffer fills, or by
    /// [`finish`](Self::finish)).
    ///
    /// # Errors
    ///
    /// For text, the bytes so far are not valid UTF-8 (a character may still be split
    /// between writes); or the connection failed.
    pub async fn write(&mut self, data: &[u8]) -> Result<(), Error> {
        let cap = self.cap();
        for piece in data.chunks(cap) {
            self.handle
                .send(|c| c.send_chunk(piece, false), false)
                .await?;
        }
        Ok(())
    }

    /// Sends the end of the message and writes everything out.
    ///
    /// # Errors
    ///
    /// For text, the message was not valid UTF-8 as a whole; or the connection failed.
    pub async fn finish(mut self) -> Result<(), Error> {
        self.finished = true;
        self.handle.send(|c| c.send_chunk(&[], true), true).await
    }

    fn cap(&self) -> usize {
        self.handle
            .with(|d| d.conn.config().output_high_water)
            .max(1)
    }
}

impl<S: Transport> AsyncWrite for MessageWriter<'_, S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if this.finished {
            return Poll::Ready(Err(io::ErrorKind::BrokenPipe.into()));
        }
        if buf.is_empty() {
            return Poll::Ready(Ok(0));
        }
        ready!(this.handle.drive(cx, |d, cx| d.poll_writable(cx))).map_err(to_io)?;
        let n = buf.len().min(this.cap());
        this.handle
            .with_mut(|d| d.command(|c| c.send_chunk(&buf[..n], false)))
            .map_err(to_io)?;
        Poll::Ready(Ok(n))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut()
            .handle
            .drive(cx, |d, cx| d.poll_flush_out(cx, true))
            .map_err(to_io)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if !this.finished {
            ready!(this.handle.drive(cx, |d, cx| d.poll_writable(cx))).map_err(to_io)?;
            this.handle
                .with_mut(|d| d.command(|c| c.send_chunk(&[], true)))
                .map_err(to_io)?;
            this.finished = true;
        }
        this.handle
            .drive(cx, |d, cx| d.poll_flush_out(cx, true))
            .map_err(to_io)
    }
}

impl<S: Transport> Drop for MessageWriter<'_, S> {
    fn drop(&mut self) {
        if !self.finished {
            let _ = self
                .handle
                .with_mut(|d| d.command(|c| c.send_chunk(&[], true)));
        }
    }
}
