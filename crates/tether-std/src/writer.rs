//! [`MessageWriter`]: one large message sent in chunks.

use std::io;

use tether_socket::{Bytes, Error, MessageKind, SendOptions};

use crate::handle::Handle;

/// One message written in chunks: each [`write_chunk`](Self::write_chunk) goes out as frames of
/// the same message, so the whole never has to be in memory. [`finish`](Self::finish) ends it;
/// dropping the writer unfinished ends it too. Also a `std::io::Write`, so `std::io::copy` can
/// fill one message from a file (then call `finish`). Writers block while more than the
/// outbound bound is queued.
///
/// ```no_run
/// use tether_std::{ClientConfig, MessageKind};
///
/// let mut ws = tether_std::connect("ws://127.0.0.1:9001/upload", &ClientConfig::default())?;
/// let mut message = ws.start_message(MessageKind::Binary)?;
/// for _ in 0..1024 {
///     message.write_chunk(&[0u8; 64 * 1024])?; // 64 MiB in one message
/// }
/// message.finish()?;
/// # Ok::<(), tether_std::Error>(())
/// ```
pub struct MessageWriter<'a> {
    handle: &'a Handle,
    finished: bool,
}

impl<'a> MessageWriter<'a> {
    pub(crate) fn start(handle: &'a Handle, kind: MessageKind) -> Result<Self, Error> {
        handle.queue(|s| s.begin_message(kind, SendOptions::default()), false)?;
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
    pub fn write_chunk(&mut self, data: &[u8]) -> Result<(), Error> {
        let chunk = Bytes::copy_from_slice(data);
        self.handle.queue(|s| s.send_chunk(chunk, false), false)
    }

    /// Sends the end of the message and writes everything out.
    ///
    /// # Errors
    ///
    /// For text, the message was not valid UTF-8 as a whole; or the connection failed.
    pub fn finish(mut self) -> Result<(), Error> {
        self.finished = true;
        self.handle
            .queue(|s| s.send_chunk(Bytes::new(), true), true)
    }
}

impl io::Write for MessageWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.finished {
            return Err(io::ErrorKind::BrokenPipe.into());
        }
        self.write_chunk(buf)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(self.handle.flush()?)
    }
}

impl Drop for MessageWriter<'_> {
    fn drop(&mut self) {
        if !self.finished {
            let _ = self
                .handle
                .queue(|s| s.send_chunk(Bytes::new(), true), true);
        }
    }
}
