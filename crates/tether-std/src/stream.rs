//! [`StreamSocket`]: incoming binary payloads as a byte stream (WinRT `StreamWebSocket`).

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use tether_net::{ConnectionInfo, Error};
use tether_proto::{CloseCode, CloseFrame};

use crate::Transport;
use crate::handle::Handle;
use crate::message::info_methods;

/// Bytes of one received piece that did not fit the caller's buffer.
#[derive(Default)]
struct Pending {
    bytes: Vec<u8>,
    pos: usize,
}

/// Reads the next bytes of the stream into `buf`; 0 at the clean end.
fn read_stream<S: Transport>(
    handle: &mut Handle<S>,
    pending: &mut Pending,
    buf: &mut [u8],
) -> io::Result<usize> {
    if buf.is_empty() {
        return Ok(0);
    }
    loop {
        if pending.pos < pending.bytes.len() {
            let rest = &pending.bytes[pending.pos..];
            let n = rest.len().min(buf.len());
            buf[..n].copy_from_slice(&rest[..n]);
            pending.pos += n;
            if pending.pos == pending.bytes.len() {
                pending.bytes.clear();
                pending.pos = 0;
            }
            return Ok(n);
        }
        let piece = handle.next(|i| {
            let n = i.payload.len().min(buf.len());
            buf[..n].copy_from_slice(&i.payload[..n]);
            pending.bytes.extend_from_slice(&i.payload[n..]);
            n
        })?;
        match piece {
            None => return Ok(0),
            Some(0) => {}
            Some(n) => return Ok(n),
        }
    }
}

/// Queues `buf` (up to the outbound bound) as one binary message; writes once the bound is
/// reached.
fn write_stream<S: Transport>(handle: &mut Handle<S>, buf: &[u8]) -> io::Result<usize> {
    if buf.is_empty() {
        return Ok(0);
    }
    let cap = handle.lock().conn.config().output_high_water.max(1);
    let n = buf.len().min(cap);
    handle.send(|c| c.send_binary(&buf[..n]), false)?;
    Ok(n)
}

/// A WebSocket read and written as a byte stream (WinRT `StreamWebSocket`), for large
/// transfers.
///
/// `Read` yields the payload bytes of incoming messages in order, in whatever sections the
/// caller asks for; a message is never held whole, so a transfer of any size runs in constant
/// memory. `Write` sends each write as a binary message (`flush` pushes queued ones out; wrap
/// the socket in a `BufWriter` to send fewer, larger messages). [`finish`](Self::finish) ends
/// the stream with the close handshake. Read returns 0 once the peer closed cleanly.
///
/// ```no_run
/// use std::io::{Read, Write};
/// use tether_std::{connect_stream_with, SocketConfig};
///
/// let mut ws = connect_stream_with("ws://127.0.0.1:9001/upload", &SocketConfig::default())?;
/// std::io::copy(&mut std::fs::File::open("video.mp4")?, &mut ws)?;
/// let peer = ws.finish()?;
/// println!("peer closed with {}", peer.code);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct StreamSocket<S: Transport = TcpStream> {
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

    info_methods!();

    /// Ends the stream: flushes, closes with 1000 and waits for the peer's answer; returns the
    /// peer's close frame.
    ///
    /// # Errors
    ///
    /// As [`close`](Self::close).
    pub fn finish(&mut self) -> Result<CloseFrame, Error> {
        self.close(CloseCode::NORMAL, "")
    }

    /// Flushes, closes with `code` and `reason`, waits for the peer's answer (up to the close
    /// timeout) and returns the peer's close frame. Unread incoming data is dropped.
    ///
    /// # Errors
    ///
    /// [`Error::Send`] for an unsendable code, [`Error::Timeout`], or how the connection failed.
    pub fn close(&mut self, code: CloseCode, reason: &str) -> Result<CloseFrame, Error> {
        self.handle
            .close(code, reason)?
            .ok_or(Error::Send(tether_proto::SendError::Closed))
    }

    /// Sets how long each read may wait (`None`: for ever).
    pub fn set_read_timeout(&mut self, timeout: Option<Duration>) {
        self.handle.lock().read_timeout = timeout;
    }

    /// Splits into a reading and a writing half, for two threads.
    ///
    /// # Errors
    ///
    /// The transport cannot be cloned.
    pub fn split(self) -> Result<(StreamReadHalf<S>, StreamWriteHalf<S>), Error> {
        let (read, write) = self.handle.split()?;
        Ok((
            StreamReadHalf {
                handle: read,
                pending: self.pending,
            },
            StreamWriteHalf { handle: write },
        ))
    }
}

impl<S: Transport> Read for StreamSocket<S> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        read_stream(&mut self.handle, &mut self.pending, buf)
    }
}

impl<S: Transport> Write for StreamSocket<S> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        write_stream(&mut self.handle, buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(self.handle.flush()?)
    }
}

/// The reading half of a split [`StreamSocket`].
pub struct StreamReadHalf<S: Transport = TcpStream> {
    handle: Handle<S>,
    pending: Pending,
}

impl<S: Transport> StreamReadHalf<S> {
    info_methods!();

    /// Sets how long each read may wait (`None`: for ever).
    pub fn set_read_timeout(&mut self, timeout: Option<Duration>) {
        self.handle.lock().read_timeout = timeout;
    }
}

impl<S: Transport> Read for StreamReadHalf<S> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        read_stream(&mut self.handle, &mut self.pending, buf)
    }
}

/// The writing half of a split [`StreamSocket`].
pub struct StreamWriteHalf<S: Transport = TcpStream> {
    handle: Handle<S>,
}

impl<S: Transport> StreamWriteHalf<S> {
    info_methods!();

    /// Flushes and starts the close handshake with 1000; returns at once. The reading half
    /// reads 0 once the peer answered, and then has the peer's close frame.
    ///
    /// # Errors
    ///
    /// Write failures.
    pub fn finish(&mut self) -> Result<(), Error> {
        self.handle.close(CloseCode::NORMAL, "").map(drop)
    }
}

impl<S: Transport> Write for StreamWriteHalf<S> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        write_stream(&mut self.handle, buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(self.handle.flush()?)
    }
}
