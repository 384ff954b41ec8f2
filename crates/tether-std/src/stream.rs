//! [`StreamSocket`]: received payloads as a byte stream, writes as binary messages.

use std::io::{self, Read, Write};

use tether_socket::{Bytes, CloseCode, CloseFrame, ConnectionInfo, Error, Message, SendOptions};

use crate::handle::Handle;

/// A WebSocket read and written as a byte stream, for large transfers: `std::io::Read` +
/// `Write` (the blocking twin of `tether_tokio::StreamSocket`).
///
/// Reading yields the payload bytes of received messages in order; a message is never held
/// whole, so a transfer of any size runs in constant memory. Each write is sent as one binary
/// message, **uncompressed** (stream data is usually bulk that compresses poorly). `flush`
/// writes queued messages out. [`close`](Self::close) ends the stream and waits for the
/// peer's answer. A read returns 0 bytes once the peer closed normally.
///
/// ```no_run
/// use tether_std::ClientConfig;
///
/// let ws = tether_std::connect("ws://127.0.0.1:9001/upload", &ClientConfig::default())?;
/// let mut ws = ws.into_stream();
/// let mut file = std::fs::File::open("video.mp4")?;
/// std::io::copy(&mut file, &mut ws)?;
/// let peer = ws.close(tether_std::CloseCode::NORMAL, "")?;
/// println!("peer closed with {}", peer.code);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct StreamSocket {
    read: StreamReadHalf,
    write: StreamWriteHalf,
}

/// The reading half of a split [`StreamSocket`].
pub struct StreamReadHalf {
    handle: Handle,
}

/// The writing half of a split [`StreamSocket`].
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
    pub fn close(&mut self, code: CloseCode, reason: &str) -> Result<CloseFrame, Error> {
        self.read.handle.close(code, reason)
    }

    /// Addresses, what was negotiated, bytes and messages counted.
    pub fn info(&self) -> ConnectionInfo {
        self.read.handle.with(|d| d.session.info())
    }

    /// Splits into owned reading and writing halves for two threads.
    pub fn into_split(self) -> (StreamReadHalf, StreamWriteHalf) {
        (self.read, self.write)
    }
}

impl StreamWriteHalf {
    /// Starts the close handshake (1000) and writes the close frame; the reading half then
    /// reads 0 once the peer answered.
    ///
    /// # Errors
    ///
    /// Write failures.
    pub fn shutdown(&mut self) -> Result<(), Error> {
        self.handle.start_close(CloseCode::NORMAL, "")
    }
}

impl Read for StreamReadHalf {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        Ok(self.handle.recv(|s| s.read_stream(buf))?)
    }
}

impl Write for StreamWriteHalf {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        let mut n = 0;
        self.handle.queue(
            |s| {
                n = buf
                    .len()
                    .min(s.connection().config().outbound_high_water.max(1));
                let message = Message::binary(Bytes::copy_from_slice(&buf[..n]));
                s.send(message, SendOptions::default().compress(false))
            },
            false,
        )?;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(self.handle.flush()?)
    }
}

impl Read for StreamSocket {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.read.read(buf)
    }
}

impl Write for StreamSocket {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.write.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.write.flush()
    }
}
