//! [`ServerFrames`]: a client's HTTP/2 transport that reads the frame headers of what the
//! server sends on their way to hyper — the first SETTINGS (does it enable the extended
//! CONNECT? RFC 8441 §3: the client must know before it sends one) and any GOAWAY (hyper
//! reports a stream that a GOAWAY cut as a bare broken pipe; this keeps the reason). Only
//! headers are parsed; payloads are skipped, except the two frames' few bytes.

use std::io;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};

use tether_socket::Http2Reset;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::oneshot;

use super::io::GoAwaySeen;

/// `SETTINGS_ENABLE_CONNECT_PROTOCOL` (RFC 8441 §3).
const ENABLE_CONNECT_PROTOCOL: u16 = 0x8;
/// Frame types (RFC 9113 §6).
const SETTINGS: u8 = 0x4;
const GOAWAY: u8 = 0x7;
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

/// What the frames read so far showed.
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
pub(crate) enum Seen {
    /// The first frame.
    Preface(Preface),
    /// A GOAWAY with this error code.
    GoAway(u32),
}

/// Follows the frames in a byte stream, header by header.
#[derive(Debug, Default)]
pub(crate) struct FrameReader {
    /// The current frame's header, while incomplete, then its kept payload bytes.
    buf: Vec<u8>,
    /// The current frame's type and payload length, once its header is complete.
    frame: Option<(u8, usize)>,
    /// Payload bytes of the current frame still to come.
    left: usize,
    /// Frames completed so far.
    frames: u64,
    /// Past the first frame, and it was no SETTINGS: stop reading.
    done: bool,
}

impl FrameReader {
    /// Takes the next bytes read; reports what completed frames showed into `seen`.
    pub(crate) fn push(&mut self, mut bytes: &[u8], seen: &mut impl FnMut(Seen)) {
        while !bytes.is_empty() && !self.done {
            let Some((kind, len)) = self.frame else {
                let take = bytes.len().min(9 - self.buf.len());
                self.buf.extend_from_slice(&bytes[..take]);
                bytes = &bytes[take..];
                if let Some(head) = self.buf.first_chunk::<9>() {
                    let len = usize::from(head[0]) << 16
                        | usize::from(head[1]) << 8
                        | usize::from(head[2]);
                    let first_ok = head[3] == SETTINGS
                        && head[4] & 0x1 == 0
                        && u32::from_be_bytes([head[5], head[6], head[7], head[8]]) & 0x7fff_ffff
                            == 0
                        && len % 6 == 0
                        && len <= MAX_PREFACE_FRAME;
                    if self.frames == 0 && !first_ok {
                        self.done = true;
                        seen(Seen::Preface(Preface::NotHttp2));
                        return;
                    }
                    self.frame = Some((head[3], len));
                    self.left = len;
                    self.buf.clear();
                    if len == 0 {
                        self.complete(seen);
                    }
                }
                continue;
            };
            // Keep what is needed: the first SETTINGS whole, a GOAWAY's first 8 bytes.
            let keep = match kind {
                SETTINGS if self.frames == 0 => len,
                GOAWAY => 8,
                _ => 0,
            };
            let take = bytes.len().min(self.left);
            let room = keep.saturating_sub(self.buf.len()).min(take);
            self.buf.extend_from_slice(&bytes[..room]);
            bytes = &bytes[take..];
            self.left -= take;
            if self.left == 0 {
                self.complete(seen);
            }
        }
    }

    /// The current frame is complete.
    fn complete(&mut self, seen: &mut impl FnMut(Seen)) {
        if let Some((kind, _)) = self.frame.take() {
            if self.frames == 0 {
                let enabled = self.buf.chunks_exact(6).any(|s| {
                    u16::from_be_bytes([s[0], s[1]]) == ENABLE_CONNECT_PROTOCOL
                        && u32::from_be_bytes([s[2], s[3], s[4], s[5]]) == 1
                });
                seen(Seen::Preface(if enabled {
                    Preface::ExtendedConnect
                } else {
                    Preface::NoExtendedConnect
                }));
            } else if kind == GOAWAY
                && let Some(code) = self.buf.get(4..8)
            {
                seen(Seen::GoAway(u32::from_be_bytes([
                    code[0], code[1], code[2], code[3],
                ])));
            }
        }
        self.frames += 1;
        self.buf.clear();
    }
}

/// A client's HTTP/2 transport that reports the server's preface (once) and records its
/// GOAWAY.
pub(crate) struct ServerFrames<T> {
    inner: T,
    reader: FrameReader,
    preface: Option<oneshot::Sender<Preface>>,
    goaway: GoAwaySeen,
}

impl<T> ServerFrames<T> {
    /// `inner`, and where its preface and GOAWAY will be.
    pub(crate) fn new(inner: T) -> (Self, oneshot::Receiver<Preface>, GoAwaySeen) {
        let (tx, rx) = oneshot::channel();
        let goaway: GoAwaySeen = Arc::new(OnceLock::new());
        let watch = Self {
            inner,
            reader: FrameReader::default(),
            preface: Some(tx),
            goaway: goaway.clone(),
        };
        (watch, rx, goaway)
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for ServerFrames<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let result = Pin::new(&mut self.inner).poll_read(cx, buf);
        if let Poll::Ready(read) = &result {
            let this = &mut *self;
            let new = &buf.filled()[before..];
            if read.is_err() || new.is_empty() {
                // The end or a failure: a preface still awaited will not come.
                if let Some(tx) = this.preface.take() {
                    let _ = tx.send(Preface::NotHttp2);
                }
            }
            let (preface, goaway) = (&mut this.preface, &this.goaway);
            this.reader.push(new, &mut |seen| match seen {
                Seen::Preface(p) => {
                    if let Some(tx) = preface.take() {
                        let _ = tx.send(p);
                    }
                }
                Seen::GoAway(code) => {
                    let _ = goaway.set(Http2Reset::new(true, code, true));
                }
            });
        }
        result
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for ServerFrames<T> {
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

    fn frame(kind: u8, flags: u8, stream: u32, payload: &[u8]) -> Vec<u8> {
        let len = payload.len();
        let mut f = vec![(len >> 16) as u8, (len >> 8) as u8, len as u8, kind, flags];
        f.extend_from_slice(&stream.to_be_bytes());
        f.extend_from_slice(payload);
        f
    }

    fn settings(entries: &[(u16, u32)]) -> Vec<u8> {
        let mut payload = Vec::new();
        for (id, value) in entries {
            payload.extend_from_slice(&id.to_be_bytes());
            payload.extend_from_slice(&value.to_be_bytes());
        }
        frame(SETTINGS, 0, 0, &payload)
    }

    /// Everything `bytes` shows, fed whole and a byte at a time (the same both ways).
    fn seen(bytes: &[u8]) -> Vec<Seen> {
        let mut whole = Vec::new();
        FrameReader::default().push(bytes, &mut |s| whole.push(s));
        let mut split = Vec::new();
        let mut reader = FrameReader::default();
        for b in bytes {
            reader.push(&[*b], &mut |s| split.push(s));
        }
        assert_eq!(whole, split);
        whole
    }

    #[test]
    fn rfc8441_3_the_first_settings_frame_says_whether_extended_connect_is_on() {
        let on = settings(&[(0x3, 100), (ENABLE_CONNECT_PROTOCOL, 1), (0x4, 65535)]);
        assert_eq!(seen(&on), [Seen::Preface(Preface::ExtendedConnect)]);
        let off = settings(&[(0x3, 100), (ENABLE_CONNECT_PROTOCOL, 0)]);
        assert_eq!(seen(&off), [Seen::Preface(Preface::NoExtendedConnect)]);
        assert_eq!(
            seen(&settings(&[])),
            [Seen::Preface(Preface::NoExtendedConnect)]
        );
    }

    #[test]
    fn rfc9113_6_8_a_goaway_later_in_the_stream_is_seen_with_its_code() {
        let mut bytes = settings(&[(ENABLE_CONNECT_PROTOCOL, 1)]);
        bytes.extend(frame(0x0, 0, 1, &[0xaa; 300])); // DATA
        bytes.extend(frame(SETTINGS, 1, 0, &[])); // an ACK
        bytes.extend(frame(
            GOAWAY,
            0,
            0,
            &[0, 0, 0, 3, 0, 0, 0, 0xb, b'd', b'b', b'g'],
        ));
        assert_eq!(
            seen(&bytes),
            [Seen::Preface(Preface::ExtendedConnect), Seen::GoAway(0xb)]
        );
    }

    #[test]
    fn anything_but_a_settings_frame_first_is_not_http2() {
        assert_eq!(
            seen(b"HTTP/1.1 400 Bad Request\r\n\r\n"),
            [Seen::Preface(Preface::NotHttp2)]
        );
        assert_eq!(
            seen(&frame(SETTINGS, 1, 0, &[])),
            [Seen::Preface(Preface::NotHttp2)]
        );
        assert_eq!(
            seen(&[0xff, 0xff, 0xfa, SETTINGS, 0, 0, 0, 0, 0]),
            [Seen::Preface(Preface::NotHttp2)]
        );
    }
}
