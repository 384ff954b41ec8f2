//! [`MessageWriter`]: one large message sent in chunks.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use tether_socket::{Bytes, Error, MessageKind, SendOptions};
use tokio::io::AsyncWrite;

use crate::handle::Handle;

/// One message written in chunks: each [`write_chunk`](Self::write_chunk) goes out as frames of the same
/// message, so the whole never has to be in memory. [`finish`](Self::finish) ends it; dropping
/// the writer unfinished ends it too (with the socket's next write). Also a
/// `tokio::io::AsyncWrite` (`poll_shutdown` ends the message), so `tokio::io::copy` can fill
/// one message from a file. Writers wait while more than the outbound bound is queued.
///
/// ```no_run
/// # async fn run() -> Result<(), tether_tokio::Error> {
/// use tether_tokio::{ClientConfig, MessageKind};
///
/// let mut ws = tether_tokio::connect("ws://127.0.0.1:9001/upload", &ClientConfig::default()).await?;
/// let mut message = ws.start_message(MessageKind::Binary).await?;
/// for _ in 0..1024 {
///     message.write_chunk(&[0u8; 64 * 1024]).await?; // 64 MiB in one message
/// }
/// message.finish().await?;
/// # Ok(()) }
/// ```
pub struct MessageWriter<'a> {
    handle: &'a Handle,
    finished: bool,
}

impl<'a> MessageWriter<'a> {
    pub(crate) async fn start(handle: &'a Handle, kind: MessageKind) -> Result<Self, Error> {
        handle
            .queue(|s| s.begin_message(kind, SendOptions::default()), false)
            .await?;
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
    /// For text, the bytes so far are not valid UTF-8 (a character may still be split between
    /// writes); or the connection failed.
    pub async fn write_chunk(&mut self, data: &[u8]) -> Result<(), Error> {
        let chunk = Bytes::copy_from_slice(data);
        self.handle
            .queue(|s| s.send_chunk(chunk, false), false)
            .await
    }

    /// Sends the end of the message and writes everything out.
    ///
    /// # Errors
    ///
    /// For text, the message was not valid UTF-8 as a whole; or the connection failed.
    pub async fn finish(mut self) -> Result<(), Error> {
        self.finished = true;
        self.handle
            .queue(|s| s.send_chunk(Bytes::new(), true), true)
            .await
    }
}

impl AsyncWrite for MessageWriter<'_> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if self.finished {
            return Poll::Ready(Err(io::ErrorKind::BrokenPipe.into()));
        }
        if buf.is_empty() {
            return Poll::Ready(Ok(0));
        }
        ready!(self.handle.poll_writable(cx))?;
        let n = self.handle.with(|d| {
            let n = buf
                .len()
                .min(d.session.connection().config().outbound_high_water.max(1));
            d.session
                .send_chunk(Bytes::copy_from_slice(&buf[..n]), false)
                .map(|()| n)
        })?;
        self.handle.nudge();
        Poll::Ready(Ok(n))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.handle.poll_flush(cx).map_err(io::Error::from)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if !this.finished {
            ready!(this.handle.poll_writable(cx))?;
            this.handle
                .with(|d| d.session.send_chunk(Bytes::new(), true))?;
            this.finished = true;
        }
        this.handle.poll_flush(cx).map_err(io::Error::from)
    }
}

impl Drop for MessageWriter<'_> {
    fn drop(&mut self) {
        if !self.finished {
            let _ = self
                .handle
                .with(|d| d.session.send_chunk(Bytes::new(), true));
            self.handle.nudge();
        }
    }
}
