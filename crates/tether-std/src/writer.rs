//! [`MessageWriter`]: one large message sent in pieces.

use std::io;

use tether_net::Error;
use tether_proto::MessageKind;

use crate::Transport;
use crate::handle::Handle;

/// One message written in pieces (`std::io::Write`): each write goes out as frames of the same
/// message, so the whole never has to be in memory. [`finish`](Self::finish) ends it
/// (dropping the writer ends it too, ignoring errors).
///
/// ```no_run
/// use std::io::Write;
/// use tether_std::MessageKind;
///
/// let mut ws = tether_std::connect("ws://127.0.0.1:9001/upload")?;
/// let mut message = ws.start_message(MessageKind::Binary)?;
/// for _ in 0..1024 {
///     message.write_all(&[0u8; 64 * 1024])?; // 64 MiB in one message
/// }
/// message.finish()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct MessageWriter<'a, S: Transport> {
    handle: &'a mut Handle<S>,
    finished: bool,
}

impl<'a, S: Transport> MessageWriter<'a, S> {
    pub(crate) fn start(handle: &'a mut Handle<S>, kind: MessageKind) -> Result<Self, Error> {
        handle.send(|c| c.begin_message(kind), false)?;
        Ok(Self {
            handle,
            finished: false,
        })
    }

    /// Sends the last (empty) frame of the message and writes everything out.
    ///
    /// # Errors
    ///
    /// For text, the bytes written were not valid UTF-8 as a whole; or the connection failed.
    pub fn finish(mut self) -> Result<(), Error> {
        self.finished = true;
        self.handle.send(|c| c.send_chunk(&[], true), true)
    }
}

impl<S: Transport> io::Write for MessageWriter<'_, S> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        let cap = self.handle.lock().conn.config().output_high_water.max(1);
        let n = buf.len().min(cap);
        self.handle
            .send(|c| c.send_chunk(&buf[..n], false), false)?;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(self.handle.flush()?)
    }
}

impl<S: Transport> Drop for MessageWriter<'_, S> {
    fn drop(&mut self) {
        if !self.finished {
            let _ = self.handle.send(|c| c.send_chunk(&[], true), true);
        }
    }
}
