//! [`Upgraded`]: a stream hyper handed over (an HTTP/1.1 connection after its 101, or an
//! HTTP/2 stream after its 200) as a socket's transport, whose HTTP/2 resets and GOAWAYs come
//! out as [`Http2Reset`]s.

use std::error::Error as StdError;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};
use std::time::Duration;

use hyper_util::rt::TokioIo;
use tether_socket::Http2Reset;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, ReadBuf};

/// How long a stream dropped before the peer ended its side is kept reading (and what is
/// read dropped), so what was written last — a close frame, `END_STREAM` — goes out.
const LINGER: Duration = Duration::from_secs(5);

/// The connection or stream hyper handed over, for a socket's driver.
///
/// Dropped while the peer's side is still open, it lingers: over HTTP/2, dropping a stream
/// whose peer has not ended it resets it (RST_STREAM), and the reset discards what hyper still
/// had queued for it — typically this side's close frame. So the stream is read to its end
/// on a task of its own, for at most [`LINGER`], as a TCP connection's close lets the kernel
/// deliver what was written.
pub(crate) struct Upgraded {
    inner: Option<TokioIo<hyper::upgrade::Upgraded>>,
    /// The read side ended (EOF or an error): dropping is clean.
    read_ended: bool,
    /// Client: the GOAWAY the server sent on the stream's connection, once it has. hyper
    /// reports a stream cut by it as a bare broken pipe; this says why.
    goaway: Option<GoAwaySeen>,
    /// The peer asked to stop sending (RST_STREAM with NO_ERROR): writes are dropped.
    discard: bool,
    /// The runtime to linger on: the last handle on a socket may be dropped outside it.
    runtime: Option<tokio::runtime::Handle>,
}

impl Upgraded {
    pub(crate) fn new(upgraded: hyper::upgrade::Upgraded) -> Self {
        Self {
            inner: Some(TokioIo::new(upgraded)),
            read_ended: false,
            goaway: None,
            discard: false,
            runtime: tokio::runtime::Handle::try_current().ok(),
        }
    }

    /// A client stream on a connection whose GOAWAY (if any) `goaway` records.
    pub(crate) fn with_goaway(upgraded: hyper::upgrade::Upgraded, goaway: GoAwaySeen) -> Self {
        Self {
            inner: Some(TokioIo::new(upgraded)),
            read_ended: false,
            goaway: Some(goaway),
            discard: false,
            runtime: tokio::runtime::Handle::try_current().ok(),
        }
    }

    fn io(&mut self) -> Pin<&mut TokioIo<hyper::upgrade::Upgraded>> {
        match &mut self.inner {
            Some(io) => Pin::new(io),
            // Only `drop` takes it.
            None => unreachable!("the transport is used after it was dropped"),
        }
    }

    /// `e`, as the socket should see it: an HTTP/2 reset inside it, or the GOAWAY that cut
    /// the stream, made an [`Http2Reset`].
    fn map_error(&self, e: io::Error) -> io::Error {
        let reset = http2_reset(&e).or_else(|| self.goaway.as_ref().and_then(|g| g.get().copied()));
        match reset {
            Some(reset) => io::Error::new(io::ErrorKind::ConnectionReset, reset),
            None => e,
        }
    }

    fn mapped<T>(&self, poll: Poll<io::Result<T>>) -> Poll<io::Result<T>> {
        poll.map(|r| r.map_err(|e| self.map_error(e)))
    }

    /// A flush or shutdown: the peer's "stop sending" is no failure of what was written
    /// before it (the peer answered it), so the transport is done.
    /// (hyper reports it once; what is written after it is dropped, see
    /// [`written`](Self::written).)
    fn finished(&mut self, poll: Poll<io::Result<()>>) -> Poll<io::Result<()>> {
        match poll {
            Poll::Ready(Err(e)) if stop_sending(&e) => {
                self.discard = true;
                Poll::Ready(Ok(()))
            }
            other => self.mapped(other),
        }
    }

    /// A write after the peer's "stop sending": RFC 9113 §8.1 has the peer send it once it
    /// sent everything (for a WebSocket, its close frame and `END_STREAM`), asking this side
    /// to abort what it still sends "without error". So the bytes are dropped, and the read
    /// side, still readable to its end, tells the socket how the peer closed.
    fn written(&mut self, len: usize, poll: Poll<io::Result<usize>>) -> Poll<io::Result<usize>> {
        match poll {
            Poll::Ready(Err(e)) if stop_sending(&e) => {
                self.discard = true;
                Poll::Ready(Ok(len))
            }
            other => self.mapped(other),
        }
    }
}

/// Where a client records the GOAWAY its server sent (see [`super::frames`]).
pub(crate) type GoAwaySeen = Arc<OnceLock<Http2Reset>>;

/// The HTTP/2 reset or GOAWAY behind an I/O error from hyper, if that is what it is.
///
/// hyper reports them as an `io::Error` holding an `h2::Error` (reads), or a `hyper::Error`
/// whose source is one (writes: the peer's `RST_STREAM` as a bare reason). A reset with
/// `NO_ERROR` or `CANCEL` reads as the end of the stream in hyper, so reads never get here
/// with those.
pub(crate) fn http2_reset(e: &io::Error) -> Option<Http2Reset> {
    let mut cause: Option<&(dyn StdError + 'static)> = e.get_ref().map(|e| e as _);
    while let Some(err) = cause {
        if let Some(h2) = err.downcast_ref::<h2::Error>() {
            let code = u32::from(h2.reason()?);
            return Some(Http2Reset::new(h2.is_go_away(), code, !h2.is_library()));
        }
        cause = err.source();
    }
    None
}

/// Whether `e` is the peer's `RST_STREAM` with `NO_ERROR`: after it sent all it had (its
/// close frame and `END_STREAM`), it asks this side to stop sending, without an error (RFC
/// 9113 §8.1).
fn stop_sending(e: &io::Error) -> bool {
    http2_reset(e).is_some_and(|r| !r.goaway && r.code == 0)
}

impl AsyncRead for Upgraded {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let poll = self.io().poll_read(cx, buf);
        match &poll {
            Poll::Ready(Ok(())) if buf.filled().len() == before => self.read_ended = true,
            Poll::Ready(Err(_)) => self.read_ended = true,
            _ => {}
        }
        self.mapped(poll)
    }
}

impl AsyncWrite for Upgraded {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if self.discard {
            return Poll::Ready(Ok(buf.len()));
        }
        let poll = self.io().poll_write(cx, buf);
        self.written(buf.len(), poll)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let len = bufs.iter().map(|b| b.len()).sum();
        if self.discard {
            return Poll::Ready(Ok(len));
        }
        let poll = self.io().poll_write_vectored(cx, bufs);
        self.written(len, poll)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.as_ref().is_some_and(TokioIo::is_write_vectored)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.discard {
            return Poll::Ready(Ok(()));
        }
        let poll = self.io().poll_flush(cx);
        self.finished(poll)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let poll = self.io().poll_shutdown(cx);
        self.finished(poll)
    }
}

impl Drop for Upgraded {
    fn drop(&mut self) {
        let Some(mut io) = self.inner.take() else {
            return;
        };
        if self.read_ended {
            return;
        }
        let Some(runtime) = self.runtime.take() else {
            return;
        };
        runtime.spawn(async move {
            let mut buf = [0u8; 4096];
            let drain = async {
                while let Ok(n) = io.read(&mut buf).await {
                    if n == 0 {
                        break;
                    }
                }
            };
            let _ = tokio::time::timeout(LINGER, drain).await;
        });
    }
}
