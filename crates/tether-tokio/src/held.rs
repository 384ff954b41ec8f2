//! Replies a whole [`MessageSocket`](crate::MessageSocket) holds while it hands out a burst of
//! received messages.
//!
//! An echo loop (`recv`, then `feed` the answer) receives a burst with one lock and one read,
//! then takes its messages one by one without the lock. Its answers are held the same way: a
//! `feed` made while messages of the burst are still waiting to be taken puts the answer here,
//! without the connection's lock and without waking the keeper, since the loop comes back for
//! the next message. They are queued on the connection, in order, by the socket's next call
//! that reaches the connection — the receive that reads again, a `feed` after the burst,
//! `send`, `flush`, `close` — or when the socket is dropped.

use tether_socket::{Error, Message, SendOptions, Session};

use crate::handle::WeakHandle;

/// At most this many replies are held …
const MAX_COUNT: usize = 64;

/// … of at most this many payload bytes together; a larger answer is queued at once (and
/// large ones are written at once: batching them only delays them).
const MAX_BYTES: usize = 16 << 10;

/// The held replies (see the module documentation). Keeps its memory from burst to burst, and
/// lets go of it once a receive waits twice in a row with nothing held (an idle connection).
pub(crate) struct Held {
    messages: Vec<Message>,
    bytes: usize,
    /// Replies were queued since the receive last waited.
    busy: bool,
    /// To queue what is still held when the socket is dropped.
    handle: WeakHandle,
}

impl Held {
    pub(crate) fn new(handle: WeakHandle) -> Self {
        Self {
            messages: Vec::new(),
            bytes: 0,
            busy: false,
            handle,
        }
    }

    /// Holds `message` when there is room; gives it back otherwise.
    #[inline]
    pub(crate) fn hold(&mut self, message: Message) -> Result<(), Message> {
        let bytes = self.bytes + message.len();
        if self.messages.len() >= MAX_COUNT || bytes > MAX_BYTES {
            return Err(message);
        }
        if self.messages.capacity() == 0 {
            // A burst's worth at once, not grown 4, 8, 16.
            self.messages.reserve_exact(16);
        }
        self.messages.push(message);
        self.bytes = bytes;
        Ok(())
    }

    #[inline]
    pub(crate) fn is_empty(&self) -> bool {
        self.messages.is_empty()
    }

    /// Payload bytes held.
    pub(crate) fn bytes(&self) -> usize {
        self.bytes
    }

    /// Queues every held reply on `session`, in order. When the connection can take no more
    /// (it ended), the rest are dropped and the error says why, as it would have for each of
    /// them.
    #[inline]
    pub(crate) fn queue(&mut self, session: &mut Session) -> Result<(), Error> {
        if self.messages.is_empty() {
            return Ok(());
        }
        self.bytes = 0;
        self.busy = true;
        queue_all(self.messages.drain(..), session)
    }

    /// The receive waits for input: the second wait in a row with nothing held lets go of
    /// the memory.
    pub(crate) fn waiting(&mut self) {
        if !std::mem::take(&mut self.busy) && self.messages.capacity() > 0 {
            self.messages = Vec::new();
        }
    }
}

fn queue_all(messages: impl Iterator<Item = Message>, session: &mut Session) -> Result<(), Error> {
    for message in messages {
        session.send(message, SendOptions::default())?;
    }
    Ok(())
}

impl Drop for Held {
    fn drop(&mut self) {
        if self.messages.is_empty() {
            return;
        }
        // Queued ahead of the close a dropped socket sends, and written at once (what the
        // socket cannot take yet, by the keeper).
        let messages = std::mem::take(&mut self.messages);
        self.handle.offer(|d| {
            let _ = queue_all(messages.into_iter(), &mut d.session);
        });
    }
}
