//! [`StreamSocket`]: received payloads as a byte stream, writes as binary messages.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use tether_socket::{Bytes, CloseCode, CloseFrame, ConnectionInfo, Error, Message, SendOptions};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use crate::handle::Handle;

/// A WebSocket read and written as a byte stream, for large transfers: `tokio::io::AsyncRead`
/// + `AsyncWrite`.
///
/// Reading yields the payload bytes of received messages in order, in whatever sections the
/// caller asks for; a message is never held whole, so a transfer of any size runs in constant
/// memory. Each write is sent as one binary message, **uncompressed** (a stream is usually
/// bulk data that compresses poorly; send through a [`MessageSocket`](crate::MessageSocket)
/// to compress). `poll_flush` writes queued messages out; wrap the socket in a `BufWriter` to
/// send fewer, larger messages. `poll_shutdown` starts the close handshake (1000);
/// [`close`](Self::close) also waits for the peer's answer. A read returns 0 bytes once the
/// peer closed normally.
///
/// ```no_run
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// use tether_tokio::ClientConfig;
///
/// let ws = tether_tokio::connect("ws://127.0.0.1:9001/upload", &ClientConfig::default()).await?;
/// let mut ws = ws.into_stream();
/// let mut file = tokio::fs::File::open("video.mp4").await?;
/// tokio::io::copy(&mut file, &mut ws).await?;
/// let peer = ws.close(tether_tokio::CloseCode::NORMAL, "").await?;
/// println!("peer closed with {}", peer.code);
/// # Ok(()) }
/// ```
pub struct StreamSocket {
    read: StreamReadHalf,
    write: StreamWriteHalf,
}

/// The reading half of a split [`StreamSocket`].
pub struct StreamReadHalf {
    handle: Handle,
}

/// The writing half of a split [`StreamSocket`]; `poll_shutdown` starts the close handshake
/// and the reading half then reads 0 once the peer answered.
pub struct StreamWriteHalf {
    handle: Handle,
}

impl StreamSocket {
    pub(crate) fn from_halves(read: Handle, write: Handle) -> Self {
        read.with(|d| {
            let config = d.session.connection_mut().config_mut();
            config.receive_mode = tether_socket::ReceiveMode::Chunks;
            config.max_message_size = u64::MAX;
        });
        Self {
            read: StreamReadHalf { handle: read },
            write: StreamWriteHalf { handle: write },
        }
    }

    /// Writes what is queued, closes with `code` and `reason`, waits for the peer's answer
    /// (up to the close timeout) and returns the peer's close frame. Unread data is dropped.
    ///
    /// # Errors
    ///
    /// [`Error::Send`] for an unsendable code, [`Error::Timeout`], or how the connection failed.
    pub async fn close(&mut self, code: CloseCode, reason: &str) -> Result<CloseFrame, Error> {
        self.read.handle.close(code, reason).await
    }

    /// Addresses, what was negotiated, bytes and messages counted.
    pub fn info(&self) -> ConnectionInfo {
        self.read.handle.with(|d| d.session.info())
    }

    /// Splits into owned reading and writing halves for two tasks.
    pub fn into_split(self) -> (StreamReadHalf, StreamWriteHalf) {
        (self.read, self.write)
    }
}

impl AsyncRead for StreamReadHalf {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let into = buf.initialize_unfilled();
        let n = ready!(
            self.handle
                .poll_recv(cx, false, |_| Ok(()), &mut |s| s.read_stream(into))
        )?;
        buf.advance(n);
        Poll::Ready(Ok(()))
    }
}

impl AsyncWrite for StreamWriteHalf {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if buf.is_empty() {
            return Poll::Ready(Ok(0));
        }
        ready!(self.handle.poll_writable(cx))?;
        let n = self.handle.with(|d| {
            let n = buf
                .len()
                .min(d.session.connection().config().outbound_high_water.max(1));
            let message = Message::binary(Bytes::copy_from_slice(&buf[..n]));
            d.session
                .send(message, SendOptions::default().compress(false))
                .map(|()| n)
        })?;
        self.handle.nudge();
        Poll::Ready(Ok(n))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.handle.poll_flush(cx).map_err(io::Error::from)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.handle.with(|d| {
            let now = d.now();
            d.session.close(now, CloseCode::NORMAL, "")
        })?;
        self.handle.poll_flush(cx).map_err(io::Error::from)
    }
}

impl AsyncRead for StreamSocket {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().read).poll_read(cx, buf)
    }
}

impl AsyncWrite for StreamSocket {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().write).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().write).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().write).poll_shutdown(cx)
    }
}
