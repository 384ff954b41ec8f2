//! The in-memory transport of the socket bench: bursts of masked client frames to read,
//! writes counted and dropped. Shared by `benches/socket.rs` and `examples/socket_count.rs`.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use tether_bench::FrameBuffer;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// Frames per burst (the loopback harness's `16 in flight`).
pub(crate) const BURST: usize = 16;

/// A transport that reads bursts of the same frames over and over and drops what is written.
pub(crate) struct Bursts {
    burst: Vec<u8>,
    pos: usize,
    /// The next read returns `Pending` (a burst was just read whole).
    pause: bool,
}

impl Bursts {
    pub(crate) fn new(size: usize) -> Self {
        let burst = FrameBuffer::masked_n(size, BURST).wire;
        Self {
            burst,
            pos: 0,
            pause: false,
        }
    }
}

impl AsyncRead for Bursts {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if std::mem::take(&mut self.pause) {
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        let n = buf.remaining().min(self.burst.len() - self.pos);
        let pos = self.pos;
        buf.put_slice(&self.burst[pos..pos + n]);
        self.pos += n;
        if self.pos == self.burst.len() {
            self.pos = 0;
            self.pause = true;
        }
        Poll::Ready(Ok(()))
    }
}

impl AsyncWrite for Bursts {
    fn poll_write(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Poll::Ready(Ok(std::hint::black_box(buf).len()))
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Poll::Ready(Ok(bufs.iter().map(|b| b.len()).sum()))
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}
