//! Transports for WebSocket over hyper: [`Upgraded`], a stream hyper handed over (an HTTP/1.1
//! connection after its 101, or an HTTP/2 stream after its 200) whose HTTP/2 resets come out
//! as [`Http2Reset`]s, and [`SettingsWatch`], which reads the server's first SETTINGS frame on
//! its way to hyper's HTTP/2 client, so a client knows whether the extended CONNECT is
//! enabled before it sends one (RFC 8441 §3).

use std::error::Error as StdError;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use hyper_util::rt::TokioIo;
use tether_socket::Http2Reset;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::oneshot;

/// The connection or stream hyper handed over, for a socket's driver.
pub(crate) struct Upgraded {
    inner: TokioIo<hyper::upgrade::Upgraded>,
}

impl Upgraded {
    pub(crate) fn new(upgraded: hyper::upgrade::Upgraded) -> Self {
        Self {
            inner: TokioIo::new(upgraded),
        }
    }
}

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

/// `e`, with an HTTP/2 reset inside it made an [`Http2Reset`] the socket layer recognises.
fn map_error(e: io::Error) -> io::Error {
    match http2_reset(&e) {
        Some(reset) => io::Error::new(io::ErrorKind::ConnectionReset, reset),
        None => e,
    }
}

fn mapped<T>(poll: Poll<io::Result<T>>) -> Poll<io::Result<T>> {
    poll.map(|r| r.map_err(map_error))
}

/// Whether `e` is the peer's `RST_STREAM` with `NO_ERROR`: after it sent all it had (its
/// close frame and `END_STREAM`), it asks this side to stop sending, without an error (RFC
/// 9113 §8.1).
fn stop_sending(e: &io::Error) -> bool {
    http2_reset(e).is_some_and(|r| !r.goaway && r.code == 0)
}

/// A flush or shutdown: the peer's "stop sending" is no failure of what was written before
/// it (the peer answered it), so the transport is done.
fn finished(poll: Poll<io::Result<()>>) -> Poll<io::Result<()>> {
    match poll {
        Poll::Ready(Err(e)) if stop_sending(&e) => Poll::Ready(Ok(())),
        other => mapped(other),
    }
}

/// A write after the peer's "stop sending" cannot be delivered: the end of the transport,
/// as a write to a closed connection.
fn written(poll: Poll<io::Result<usize>>) -> Poll<io::Result<usize>> {
    match poll {
        Poll::Ready(Err(e)) if stop_sending(&e) => Poll::Ready(Err(io::Error::new(
            io::ErrorKind::BrokenPipe,
            "the peer ended the HTTP/2 stream and asked to stop sending (RST_STREAM with \
             NO_ERROR)",
        ))),
        other => mapped(other),
    }
}

impl AsyncRead for Upgraded {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        mapped(Pin::new(&mut self.inner).poll_read(cx, buf))
    }
}

impl AsyncWrite for Upgraded {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        written(Pin::new(&mut self.inner).poll_write(cx, buf))
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        written(Pin::new(&mut self.inner).poll_write_vectored(cx, bufs))
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        finished(Pin::new(&mut self.inner).poll_flush(cx))
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        finished(Pin::new(&mut self.inner).poll_shutdown(cx))
    }
}

/// `SETTINGS_ENABLE_CONNECT_PROTOCOL` (RFC 8441 §3).
const ENABLE_CONNECT_PROTOCOL: u16 = 0x8;
/// The frame type of SETTINGS (RFC 9113 §6.5).
const SETTINGS: u8 = 0x4;
/// The largest first frame read before giving up on it: the default SETTINGS_MAX_FRAME_SIZE.
const MAX_PREFACE_FRAME: usize = 16 << 10;

/// What a server's first frame (its connection preface, RFC 9113 §3.4) said, as far as RFC
/// 8441 cares.
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
pub(crate) enum Preface {
    /// A SETTINGS frame that enables the extended CONNECT.
    ExtendedConnect,
    /// A SETTINGS frame without it.
    NoExtendedConnect,
    /// Not a SETTINGS frame (the peer does not speak HTTP/2), or the stream ended first.
    NotHttp2,
}

/// Reads a server's connection preface out of the bytes on their way to hyper.
#[derive(Debug, Default)]
pub(crate) struct PrefaceReader {
    buf: Vec<u8>,
}

impl PrefaceReader {
    /// Takes the next bytes read; the preface once its frame is complete.
    pub(crate) fn push(&mut self, mut bytes: &[u8]) -> Option<Preface> {
        loop {
            let header = self.buf.first_chunk::<9>();
            let known = header.is_some();
            let want = match header {
                None => 9,
                Some(head) => {
                    let len = usize::from(head[0]) << 16
                        | usize::from(head[1]) << 8
                        | usize::from(head[2]);
                    // §6.5: a SETTINGS frame on stream 0, a multiple of 6 bytes, not an ACK.
                    let stream =
                        u32::from_be_bytes([head[5], head[6], head[7], head[8]]) & 0x7fff_ffff;
                    if head[3] != SETTINGS
                        || head[4] & 0x1 != 0
                        || stream != 0
                        || len % 6 != 0
                        || len > MAX_PREFACE_FRAME
                    {
                        return Some(Preface::NotHttp2);
                    }
                    9 + len
                }
            };
            let take = bytes.len().min(want - self.buf.len());
            self.buf.extend_from_slice(&bytes[..take]);
            bytes = &bytes[take..];
            if self.buf.len() < want {
                return None;
            }
            if known {
                return Some(self.settings());
            }
            // The header just completed: round again to check it and read the payload.
        }
    }

    /// What the complete SETTINGS frame in the buffer says.
    fn settings(&self) -> Preface {
        let enabled = self.buf[9..].chunks_exact(6).any(|setting| {
            u16::from_be_bytes([setting[0], setting[1]]) == ENABLE_CONNECT_PROTOCOL
                && u32::from_be_bytes([setting[2], setting[3], setting[4], setting[5]]) == 1
        });
        if enabled {
            Preface::ExtendedConnect
        } else {
            Preface::NoExtendedConnect
        }
    }
}

/// A client transport that tells, once, what the server's preface said.
pub(crate) struct SettingsWatch<T> {
    inner: T,
    reader: Option<(PrefaceReader, oneshot::Sender<Preface>)>,
}

impl<T> SettingsWatch<T> {
    pub(crate) fn new(inner: T) -> (Self, oneshot::Receiver<Preface>) {
        let (tx, rx) = oneshot::channel();
        let watch = Self {
            inner,
            reader: Some((PrefaceReader::default(), tx)),
        };
        (watch, rx)
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for SettingsWatch<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let result = Pin::new(&mut self.inner).poll_read(cx, buf);
        if let Poll::Ready(read) = &result {
            let new = &buf.filled()[before..];
            let seen = match (read, new.is_empty()) {
                (Ok(()), false) => self.reader.as_mut().and_then(|(r, _)| r.push(new)),
                // The end or a failure before the preface was complete.
                _ => Some(Preface::NotHttp2),
            };
            if let Some(preface) = seen
                && let Some((_, tx)) = self.reader.take()
            {
                let _ = tx.send(preface);
            }
        }
        result
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for SettingsWatch<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(entries: &[(u16, u32)]) -> Vec<u8> {
        let len = entries.len() * 6;
        let mut f = vec![
            (len >> 16) as u8,
            (len >> 8) as u8,
            len as u8,
            SETTINGS,
            0,
            0,
            0,
            0,
            0,
        ];
        for (id, value) in entries {
            f.extend_from_slice(&id.to_be_bytes());
            f.extend_from_slice(&value.to_be_bytes());
        }
        f
    }

    #[test]
    fn rfc8441_3_the_first_settings_frame_says_whether_extended_connect_is_on() {
        let on = settings(&[(0x3, 100), (ENABLE_CONNECT_PROTOCOL, 1), (0x4, 65535)]);
        let off = settings(&[(0x3, 100), (ENABLE_CONNECT_PROTOCOL, 0)]);
        for (frame, want) in [
            (on, Preface::ExtendedConnect),
            (off, Preface::NoExtendedConnect),
            (settings(&[]), Preface::NoExtendedConnect),
        ] {
            // Whole, with what follows it, and a byte at a time.
            let mut with_more = frame.clone();
            with_more.extend_from_slice(&[0, 0, 0, 6, 0, 0, 0, 0, 0]);
            assert_eq!(PrefaceReader::default().push(&with_more), Some(want));
            let mut reader = PrefaceReader::default();
            let mut seen = None;
            for (i, b) in frame.iter().enumerate() {
                seen = reader.push(&[*b]);
                assert_eq!(seen.is_some(), i + 1 == frame.len(), "byte {i}");
            }
            assert_eq!(seen, Some(want));
        }
    }

    #[test]
    fn anything_but_a_settings_frame_first_is_not_http2() {
        let mut reader = PrefaceReader::default();
        assert_eq!(
            reader.push(b"HTTP/1.1 400 Bad Request\r\n\r\n"),
            Some(Preface::NotHttp2)
        );
        let mut ack = settings(&[]);
        ack[4] = 1;
        assert_eq!(PrefaceReader::default().push(&ack), Some(Preface::NotHttp2));
        let huge = [0xff, 0xff, 0xfa, SETTINGS, 0, 0, 0, 0, 0];
        assert_eq!(
            PrefaceReader::default().push(&huge),
            Some(Preface::NotHttp2)
        );
    }
}
