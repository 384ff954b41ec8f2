//! [`TlsStream`]: a transport wrapped in TLS, driving the shared [`TlsLayer`] (rustls'
//! unbuffered API over tether's own buffers, so an idle `wss` connection holds no TLS buffer).

use std::future::poll_fn;
use std::io::{self, IoSlice};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use tether_socket::{PlainRead, TlsLayer};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// A server-side TLS stream over any transport, holding no TLS buffer while idle.
///
/// [`accept`](crate::accept) and [`connect`](crate::connect) use it for `wss` by themselves.
/// Take it for a server that looks at the connection before it knows a WebSocket follows: one
/// that serves pages as well, or hands HTTP/2 (ALPN `h2`) to hyper, then passes the stream to
/// [`accept`](crate::accept) with a config without TLS.
///
/// ```no_run
/// # async fn run(tls: std::sync::Arc<tether_tokio::rustls::ServerConfig>) -> std::io::Result<()> {
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
/// let (tcp, _) = listener.accept().await?;
/// let stream = tether_tokio::TlsStream::accept(tcp, tls).await?;
/// if stream.alpn_protocol() == Some(b"h2") {
///     // hand it to an HTTP/2 server
/// }
/// # Ok(()) }
/// ```
pub struct TlsStream<S> {
    io: S,
    tls: TlsLayer,
}

impl<S: AsyncRead + AsyncWrite + Unpin> TlsStream<S> {
    /// Runs the server side of the TLS handshake over `io`.
    ///
    /// # Errors
    ///
    /// The handshake failed (an `io::Error` of kind `InvalidData` wrapping the
    /// [`rustls::Error`], as [`Error::from_io`](crate::Error::from_io) reads it) or the
    /// transport did.
    pub async fn accept(io: S, config: Arc<rustls::ServerConfig>) -> io::Result<Self> {
        let tls = TlsLayer::server(config).map_err(io::Error::other)?;
        Self::handshake(io, tls).await
    }

    /// Runs the handshake of `tls` over `io`.
    pub(crate) async fn handshake(io: S, tls: TlsLayer) -> io::Result<Self> {
        let mut stream = Self { io, tls };
        poll_fn(|cx| stream.poll_handshake(cx)).await?;
        Ok(stream)
    }

    /// The protocol the handshake agreed through ALPN.
    pub fn alpn_protocol(&self) -> Option<&[u8]> {
        self.tls.alpn_protocol()
    }

    fn poll_handshake(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        loop {
            let done = match self.tls.handshake() {
                Ok(done) => done,
                Err(e) => {
                    // The alert, if one was made, goes out on a best-effort basis.
                    let _ = self.poll_send(cx);
                    return Poll::Ready(Err(e));
                }
            };
            ready!(self.poll_send(cx))?;
            if done {
                return Poll::Ready(Ok(()));
            }
            ready!(self.poll_fill(cx))?;
        }
    }

    /// Writes the records made so far.
    fn poll_send(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while !self.tls.outgoing().is_empty() {
            let n = ready!(Pin::new(&mut self.io).poll_write(cx, self.tls.outgoing()))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            self.tls.advance_outgoing(n);
        }
        Poll::Ready(Ok(()))
    }

    /// Reads ciphertext (0 bytes: the transport's read side ended).
    fn poll_fill(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let mut buf = ReadBuf::new(self.tls.read_space());
        let read = Pin::new(&mut self.io).poll_read(cx, &mut buf);
        let n = buf.filled().len();
        if read.is_pending() {
            self.tls.read_would_block();
            return Poll::Pending;
        }
        ready!(read)?;
        self.tls.commit_read(n);
        Poll::Ready(Ok(()))
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncRead for TlsStream<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        loop {
            // Records the connection owes the peer (a key update, say) go out as they are made.
            if let Poll::Ready(Err(e)) = this.poll_send(cx) {
                return Poll::Ready(Err(e));
            }
            match this.tls.read_plain(buf.initialize_unfilled()) {
                Ok(PlainRead::Data(n)) => {
                    buf.advance(n);
                    return Poll::Ready(Ok(()));
                }
                Ok(PlainRead::End) => return Poll::Ready(Ok(())),
                Ok(PlainRead::NeedInput) => {
                    if let Poll::Ready(Err(e)) = this.poll_send(cx) {
                        return Poll::Ready(Err(e));
                    }
                    ready!(this.poll_fill(cx))?;
                }
                Err(e) => {
                    let _ = this.poll_send(cx);
                    return Poll::Ready(Err(e));
                }
            }
        }
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncWrite for TlsStream<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.poll_write_vectored(cx, &[IoSlice::new(data)])
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        // Earlier records first: a writer that outruns the transport waits here.
        ready!(this.poll_send(cx))?;
        let n = this.tls.write_plain(bufs)?;
        // What the transport does not take now goes with the next write or the flush.
        if let Poll::Ready(Err(e)) = this.poll_send(cx) {
            return Poll::Ready(Err(e));
        }
        Poll::Ready(Ok(n))
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.poll_send(cx))?;
        Pin::new(&mut this.io).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        this.tls.close_notify()?;
        ready!(this.poll_send(cx))?;
        Pin::new(&mut this.io).poll_shutdown(cx)
    }
}
