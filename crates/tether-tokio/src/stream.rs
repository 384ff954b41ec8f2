//! [`StreamSocket`]: incoming binary payloads as a byte stream (WinRT `StreamWebSocket`).

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use tether_net::{ConnectionInfo, Error, SocketConfig};
use tether_proto::connection::{Negotiated, State};
use tether_proto::{CloseCode, CloseFrame};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use crate::driver::Driver;
use crate::error::to_io;
use crate::handle::Handle;
use crate::socket::{info_methods, upgraded};
use crate::{MaybeTlsStream, Transport};

/// Bytes of one received piece that did not fit the caller's buffer (kept by the socket, so a
/// cancelled read loses nothing).
#[derive(Default)]
struct Pending {
    bytes: Vec<u8>,
    pos: usize,
}

fn poll_read_stream<S: Transport>(
    handle: &mut Handle<S>,
    pending: &mut Pending,
    cx: &mut Context<'_>,
    buf: &mut ReadBuf<'_>,
) -> Poll<io::Result<()>> {
    if buf.remaining() == 0 {
        return Poll::Ready(Ok(()));
    }
    if pending.pos < pending.bytes.len() {
        let rest = &pending.bytes[pending.pos..];
        let n = rest.len().min(buf.remaining());
        buf.put_slice(&rest[..n]);
        pending.pos += n;
        if pending.pos == pending.bytes.len() {
            pending.bytes.clear();
            pending.pos = 0;
        }
        return Poll::Ready(Ok(()));
    }
    loop {
        let step = ready!(handle.drive(cx, |d, cx| {
            d.poll_next(cx, &mut |i, _| {
                let n = i.payload.len().min(buf.remaining());
                buf.put_slice(&i.payload[..n]);
                pending.bytes.extend_from_slice(&i.payload[n..]);
                n
            })
        }));
        match step {
            Ok(None) => return Poll::Ready(Ok(())),
            Ok(Some(0)) => {}
            Ok(Some(_)) => return Poll::Ready(Ok(())),
            Err(e) => return Poll::Ready(Err(to_io(e))),
        }
    }
}

/// Queues `buf` (up to the outbound bound) as one binary message, once below the bound.
fn poll_write_stream<S: Transport>(
    handle: &mut Handle<S>,
    cx: &mut Context<'_>,
    buf: &[u8],
) -> Poll<io::Result<usize>> {
    if buf.is_empty() {
        return Poll::Ready(Ok(0));
    }
    ready!(handle.drive(cx, |d, cx| d.poll_writable(cx))).map_err(to_io)?;
    let n = handle.with_mut(|d| {
        let n = buf.len().min(d.conn.config().output_high_water.max(1));
        d.command(|c| c.send_binary(&buf[..n])).map(|()| n)
    });
    Poll::Ready(n.map_err(to_io))
}

/// Starts the close handshake with 1000 (once) and writes everything out.
fn poll_shutdown_stream<S: Transport>(
    handle: &mut Handle<S>,
    cx: &mut Context<'_>,
) -> Poll<io::Result<()>> {
    if handle.with(|d| d.conn.state() == State::Open) {
        handle
            .with_mut(|d| d.start_close(CloseCode::NORMAL, ""))
            .map_err(to_io)?;
        handle.wake_other();
    }
    handle
        .drive(cx, |d, cx| d.poll_flush_out(cx, true))
        .map_err(to_io)
}

/// A WebSocket read and written as a byte stream (WinRT `StreamWebSocket`), for large
/// transfers: `tokio::io::AsyncRead` + `AsyncWrite`.
///
/// Reading yields the payload bytes of incoming messages in order, in whatever sections the
/// caller asks for; a message is never held whole, so a transfer of any size runs in constant
/// memory. Each write is sent as one binary message (`poll_flush` writes queued ones out;
/// wrap the socket in a `BufWriter` to send fewer, larger messages). `poll_shutdown` starts
/// the close handshake (1000); [`finish`](Self::finish) / [`close`](Self::close) also wait
/// for the peer's answer. A read returns 0 bytes once the peer closed cleanly.
///
/// ```no_run
/// use tether_tokio::{connect_stream_with, SocketConfig};
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let mut ws = connect_stream_with("ws://127.0.0.1:9001/upload", &SocketConfig::default()).await?;
/// let mut file = tokio::fs::File::open("video.mp4").await?;
/// tokio::io::copy(&mut file, &mut ws).await?;
/// let peer = ws.finish().await?;
/// println!("peer closed with {}", peer.code);
/// # Ok(()) }
/// ```
pub struct StreamSocket<S = MaybeTlsStream> {
    handle: Handle<S>,
    pending: Pending,
}

impl<S: Transport> StreamSocket<S> {
    pub(crate) fn from_handle(handle: Handle<S>) -> Self {
        Self {
            handle,
            pending: Pending::default(),
        }
    }

    pub(crate) fn from_driver(driver: Driver<S>) -> Self {
        Self::from_handle(Handle::new(driver))
    }

    /// A server stream socket over a connection whose upgrade an HTTP server already
    /// accepted; see [`MessageSocket::from_upgraded`](crate::MessageSocket::from_upgraded).
    pub fn from_upgraded(io: S, negotiated: Negotiated, config: &SocketConfig) -> Self {
        Self::from_driver(upgraded(
            io,
            negotiated,
            config.stream_proto_config(),
            config,
        ))
    }

    info_methods!();

    /// Ends the stream: writes what is queued, closes with 1000 and waits for the peer's
    /// answer; returns the peer's close frame.
    ///
    /// # Errors
    ///
    /// As [`close`](Self::close).
    pub async fn finish(&mut self) -> Result<CloseFrame, Error> {
        self.close(CloseCode::NORMAL, "").await
    }

    /// Writes what is queued, closes with `code` and `reason`, waits for the peer's answer
    /// (up to the close timeout) and returns the peer's close frame. Unread incoming data is
    /// dropped.
    ///
    /// # Errors
    ///
    /// [`Error::Send`] for an unsendable code, [`Error::Timeout`], or how the connection failed.
    pub async fn close(&mut self, code: CloseCode, reason: &str) -> Result<CloseFrame, Error> {
        self.handle.close(code, reason).await
    }

    /// Sets how long each read may wait (`None`: for ever).
    pub fn set_read_timeout(&mut self, timeout: Option<Duration>) {
        self.handle.with_mut(|d| d.read_timeout = timeout);
    }

    /// Splits into owned reading and writing halves for two tasks (see
    /// [`MessageSocket::into_split`](crate::MessageSocket::into_split) for how they share the
    /// connection).
    pub fn into_split(self) -> (StreamReadHalf<S>, StreamWriteHalf<S>) {
        let (read, write) = self.handle.split();
        (
            StreamReadHalf {
                handle: read,
                pending: self.pending,
            },
            StreamWriteHalf { handle: write },
        )
    }

    /// The same as [`into_split`](Self::into_split).
    pub fn split(self) -> (StreamReadHalf<S>, StreamWriteHalf<S>) {
        self.into_split()
    }
}

impl<S: Transport> AsyncRead for StreamSocket<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        poll_read_stream(&mut this.handle, &mut this.pending, cx, buf)
    }
}

impl<S: Transport> AsyncWrite for StreamSocket<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        poll_write_stream(&mut self.get_mut().handle, cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut()
            .handle
            .drive(cx, |d, cx| d.poll_flush_out(cx, true))
            .map_err(to_io)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        poll_shutdown_stream(&mut self.get_mut().handle, cx)
    }
}

/// The reading half of a split [`StreamSocket`].
pub struct StreamReadHalf<S = MaybeTlsStream> {
    handle: Handle<S>,
    pending: Pending,
}

impl<S: Transport> StreamReadHalf<S> {
    info_methods!();

    /// Sets how long each read may wait (`None`: for ever).
    pub fn set_read_timeout(&mut self, timeout: Option<Duration>) {
        self.handle.with_mut(|d| d.read_timeout = timeout);
    }
}

impl<S: Transport> AsyncRead for StreamReadHalf<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        poll_read_stream(&mut this.handle, &mut this.pending, cx, buf)
    }
}

/// The writing half of a split [`StreamSocket`]; `poll_shutdown` starts the close handshake
/// and the reading half then reads 0 once the peer answered.
pub struct StreamWriteHalf<S = MaybeTlsStream> {
    handle: Handle<S>,
}

impl<S: Transport> StreamWriteHalf<S> {
    info_methods!();
}

impl<S: Transport> AsyncWrite for StreamWriteHalf<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        poll_write_stream(&mut self.get_mut().handle, cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut()
            .handle
            .drive(cx, |d, cx| d.poll_flush_out(cx, true))
            .map_err(to_io)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        poll_shutdown_stream(&mut self.get_mut().handle, cx)
    }
}
