//! [`Assembly`]: the buffer a message that arrives in several pieces is gathered in.

use alloc::vec::Vec;

/// `buf[..len]` is the message gathered so far; `buf[len..]` is initialized space left over
/// from earlier messages, which a direct read fills again without zeroing it first (safe Rust
/// can only hand out initialized memory to read into).
#[derive(Debug, Default)]
pub(crate) struct Assembly {
    buf: Vec<u8>,
    len: usize,
}

impl Assembly {
    /// The message gathered so far.
    pub(crate) fn bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub(crate) fn capacity(&self) -> usize {
        self.buf.capacity()
    }

    /// Starts over, giving the space back when it is larger than `keep`.
    pub(crate) fn clear_and_shrink(&mut self, keep: usize) {
        self.len = 0;
        if self.buf.capacity() > keep {
            self.buf = Vec::new();
        }
    }

    /// Appends a piece.
    pub(crate) fn extend(&mut self, piece: &[u8]) {
        let end = self.len + piece.len();
        if end <= self.buf.len() {
            self.buf[self.len..end].copy_from_slice(piece);
        } else {
            self.buf.truncate(self.len);
            self.buf.extend_from_slice(piece);
        }
        self.len = end;
    }

    /// Makes room for `want` more bytes of the message without moving it later (capacity
    /// only: memory is touched by [`spare`](Self::spare), as reads need it).
    pub(crate) fn reserve(&mut self, want: usize) {
        let need = self.len.saturating_add(want);
        if self.buf.capacity() < need {
            self.buf.reserve_exact(need - self.buf.len());
        }
    }

    /// `want` bytes of space right after the message, to read into.
    pub(crate) fn spare(&mut self, want: usize) -> &mut [u8] {
        let end = self.len + want;
        if self.buf.len() < end {
            self.buf.resize(end, 0);
        }
        &mut self.buf[self.len..end]
    }

    /// Adds `n` bytes read into [`spare`](Self::spare) to the message; returns them.
    pub(crate) fn commit(&mut self, n: usize) -> &mut [u8] {
        let start = self.len;
        self.len = (start + n).min(self.buf.len());
        &mut self.buf[start..self.len]
    }

    /// The message as a `Vec` of its own length, taken out (for an extension that appends to a
    /// `Vec`); give it back with [`put_vec`](Self::put_vec).
    pub(crate) fn take_vec(&mut self) -> Vec<u8> {
        self.buf.truncate(self.len);
        self.len = 0;
        core::mem::take(&mut self.buf)
    }

    /// Puts back a `Vec` from [`take_vec`](Self::take_vec): all of it is the message.
    pub(crate) fn put_vec(&mut self, buf: Vec<u8>) {
        self.len = buf.len();
        self.buf = buf;
    }

    /// Takes the gathered message out as a `Vec` of its own length; the next message is
    /// gathered in a new buffer (or one given back by [`reuse`](Self::reuse)).
    pub(crate) fn take(&mut self) -> Vec<u8> {
        self.buf.truncate(self.len);
        self.len = 0;
        core::mem::take(&mut self.buf)
    }

    /// Gathers the next message in `buf` (all of it initialized space, so direct reads fill
    /// it without zeroing). Only while nothing is gathered.
    pub(crate) fn reuse(&mut self, buf: Vec<u8>) {
        debug_assert_eq!(self.len, 0);
        self.buf = buf;
    }
}
