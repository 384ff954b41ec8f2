//! [`Input`]: received bytes not yet decoded, how much the next read is offered, and reads that
//! go straight into the buffer a large message is assembled in.
//!
//! Input is unmasked in place in the buffer it was read into. A message that is complete in one
//! frame of the buffer is handed out from there; one that arrives in several frames or reads is
//! copied once, into the assembly buffer, as its bytes arrive. The payload of a large frame is
//! read straight into the assembly buffer, in reads sized from the frame's header: room for the
//! declared length (within the limits) is reserved once the connection has shown it sends
//! messages that large, else in steps that at most double what arrived, so memory follows the
//! bytes that came, not the lengths a peer claims. [`Input::take_message`] then moves the
//! message out as an owned [`Message`](crate::Message): the assembly buffer itself, or a copy
//! of the bytes in the input buffer.
//!
//! An idle connection holds no input buffer: [`Input::release_idle`] gives it back (for the
//! adapter to hand to the next read of any connection, [`Input::reuse`]), keeping only the
//! bytes of an unfinished frame.

use alloc::vec::Vec;
use core::ops::Range;

use bytes::Bytes;

use super::Core;
use super::State;
use super::assembly::Assembly;
use super::recv::check_text;
use crate::frame::apply_mask;
use crate::{Message, MessageKind, ReceiveMode};

/// Received bytes not yet decoded, and the buffers messages are assembled in.
#[derive(Debug, Default)]
pub(crate) struct Input {
    /// `buf[start..end]` holds bytes not yet decoded; `buf[end..]` is free space to read into.
    pub(crate) buf: Vec<u8>,
    pub(crate) start: usize,
    pub(crate) end: usize,
    /// A message being assembled from several pieces.
    pub(crate) assembly: Assembly,
    /// The whole message the last poll handed out; forgotten at the next poll or input.
    pub(crate) emitted: Emitted,
    /// Output of an extension's decoder in partial mode.
    pub(crate) scratch: Vec<u8>,
    /// Free space the next read is offered, beyond `Config::read_size`: doubles while reads fill
    /// what they are offered (bytes are arriving faster than one read takes them), halves when
    /// they use less than a quarter. Grown only by bytes that arrived, never by a declared
    /// length.
    read_hint: usize,
    /// Free space the last [`spare`](Self::spare) offered, until its [`commit`](Self::commit).
    offered: usize,
    /// Set while a read goes straight into `assembly`: the space offered (see
    /// [`Core::prepare_direct_read`]).
    direct: Option<usize>,
    /// A large frame ended: the next read into `buf` is kept small (see [`SMALL_READ_AFTER`]).
    after_large: bool,
    /// The largest message this connection received: a frame that brings a message to at most
    /// this size gets room for all its declared length at once.
    largest: u64,
}

/// Where the whole message handed out by the last poll is.
#[derive(Debug, Default)]
pub(crate) enum Emitted {
    #[default]
    None,
    /// In `Input::buf`.
    Buf(MessageKind, Range<usize>),
    /// In `Input::assembly`.
    Assembly(MessageKind),
}

/// The buffers shrink back to this after a large message, so idle connections stay small.
const KEEP_CAPACITY: usize = 1 << 20;

/// The most free space one read is offered while reads keep filling the buffer.
const MAX_READ: usize = 1 << 20;

/// A read goes straight into the assembly buffer when at least this much of a large frame's
/// payload is still to come (and nothing else is buffered): the payload is then unmasked where
/// it landed, never copied.
const DIRECT_MIN: u64 = 32 << 10;

/// The room a direct read may be given beyond what arrived of its message, on a connection
/// that has not yet received a message that large: the first step.
const DIRECT_STEP: u64 = 64 << 10;

/// After a frame at least this large, the next read into the input buffer is kept to
/// `Config::read_size`: what comes with the next header is copied, and for frames this large a
/// read of its own for the rest costs less than the copy. (Smaller frames gain more from
/// reading many at once.)
const SMALL_READ_AFTER: u64 = 256 << 10;

/// An idle connection keeps an unfinished frame's bytes in a buffer of their own size when
/// they are at most this many; more, and it keeps its input buffer.
const KEEP_PENDING: usize = 1 << 10;

/// Input buffers up to this size are let go whenever a read would block (the adapter hands
/// them to the next read, cheaply); a larger one, and an assembly buffer kept for reuse, only
/// once the connection is idle — a keepalive ping went out and nothing arrived since — not
/// between two reads of a busy stream or while it waits for the next request of a sequence.
/// (Counting would-block moments instead let a busy echo drop its buffers: each write
/// progress is one.) Without keepalive, they are kept.
const RELEASE_BUSY: usize = 64 << 10;

impl Input {
    /// Undecoded bytes.
    pub(crate) fn pending(&self) -> &[u8] {
        &self.buf[self.start..self.end]
    }

    /// Free space to read into: at least `read_size` bytes, more while reads keep filling what
    /// they are offered (up to [`MAX_READ`]). Undecoded bytes move to the front first.
    pub(crate) fn spare(&mut self, read_size: usize) -> &mut [u8] {
        if core::mem::take(&mut self.after_large) {
            // A large frame before came by direct reads, so this one is likely large too: read
            // little more than its header here (what comes with it is copied), and the rest
            // of its payload goes straight to the assembly buffer. The hint is left alone.
            self.make_room(read_size);
            self.offered = 0;
            return &mut self.buf[self.end..self.end + read_size];
        }
        let want = self.read_want(read_size);
        self.make_room(want);
        self.offered = self.buf.len() - self.end;
        &mut self.buf[self.end..]
    }

    /// Where the next read goes: the assembly buffer when a direct read was prepared, else the
    /// input buffer's free space (see [`spare`](Self::spare)).
    pub(crate) fn read_space(&mut self, read_size: usize) -> &mut [u8] {
        match self.direct {
            Some(want) => self.assembly.spare(want),
            None => self.spare(read_size),
        }
    }

    /// Marks `n` bytes of the space from [`spare`](Self::spare) as filled.
    pub(crate) fn commit(&mut self, n: usize) {
        self.end = (self.end + n).min(self.buf.len());
        self.adapt(n);
    }

    /// How much the next read is offered: at least `read_size`, more while reads keep filling
    /// what they are offered (up to [`MAX_READ`]).
    fn read_want(&self, read_size: usize) -> usize {
        self.read_hint.clamp(read_size, MAX_READ.max(read_size))
    }

    /// Adjusts the read hint to a read of `n` bytes.
    fn adapt(&mut self, n: usize) {
        let offered = core::mem::take(&mut self.offered);
        if offered > 0 && n >= offered {
            self.read_hint = offered.saturating_mul(2).min(MAX_READ);
        } else if n < offered / 4 {
            self.read_hint /= 2;
        }
    }

    /// Forgets a direct read prepared but not made (input is arriving another way).
    pub(crate) fn cancel_direct(&mut self) {
        self.direct = None;
    }

    /// Appends bytes (not a read: the read size is left alone).
    pub(crate) fn push(&mut self, data: &[u8]) {
        self.cancel_direct();
        self.make_room(data.len());
        self.buf[self.end..self.end + data.len()].copy_from_slice(data);
        self.end += data.len();
    }

    /// Makes `buf[end..]` at least `want` bytes long, first moving undecoded bytes to the front
    /// when that makes the room; releases a large buffer once it is empty and reads are small.
    fn make_room(&mut self, want: usize) {
        // Bytes may move: a message handed out is forgotten.
        self.release();
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
            if self.buf.len() > 2 * want {
                self.buf = Vec::new();
            }
            if self.assembly.is_empty() {
                self.assembly.clear_and_shrink(KEEP_CAPACITY.max(2 * want));
            }
        } else if self.start > 0 && self.buf.len() - self.end < want {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        if self.buf.len() - self.end < want {
            self.buf.resize(self.end + want, 0);
        }
    }

    /// Forgets a message handed out at the previous poll.
    pub(crate) fn release(&mut self) {
        if let Emitted::Assembly(_) = core::mem::take(&mut self.emitted) {
            self.assembly.clear_and_shrink(KEEP_CAPACITY);
        }
    }

    /// Moves the whole message handed out by the last poll out as an owned [`Message`]: the
    /// assembly buffer itself when it was assembled (no copy), a copy when it is in the input
    /// buffer. `None` when the last poll handed out no whole message.
    pub(crate) fn take_message(&mut self) -> Option<Message> {
        match core::mem::take(&mut self.emitted) {
            Emitted::None => None,
            Emitted::Buf(kind, range) => Some(Message::from_received(kind, &self.buf, range)),
            Emitted::Assembly(kind) => Some(Message::from_checked(
                kind,
                Bytes::from(self.assembly.take()),
            )),
        }
    }

    /// Offers a buffer the output no longer needs for assembling the next large message.
    pub(crate) fn recycle(&mut self, buf: Vec<u8>) {
        if self.assembly.is_empty() && self.assembly.capacity() < buf.capacity() {
            self.assembly.reuse(buf);
        }
    }

    /// A data frame of `len` payload bytes was received whole.
    pub(crate) fn frame_done(&mut self, len: u64) {
        self.after_large = len >= SMALL_READ_AFTER;
    }

    /// A data message of `size` bytes was received whole.
    pub(crate) fn message_done(&mut self, size: u64) {
        self.largest = self.largest.max(size);
    }

    /// Lets go of what an idle connection does not need: the input buffer, returned, when at
    /// most [`KEEP_PENDING`] undecoded bytes wait in it (they move to a buffer of their own
    /// size); and, when `idle`, also a large input buffer and the scratch and assembly buffers
    /// when nothing is assembled (see [`RELEASE_BUSY`]).
    pub(crate) fn release_idle(&mut self, idle: bool) -> Option<Vec<u8>> {
        self.release();
        if idle {
            self.scratch = Vec::new();
            if self.assembly.is_empty() {
                self.assembly.clear_and_shrink(0);
            }
        }
        let pending = self.end - self.start;
        if self.buf.len() <= pending
            || pending > KEEP_PENDING
            || (!idle && self.buf.len() > RELEASE_BUSY)
        {
            return None;
        }
        let rest = self.buf[self.start..self.end].to_vec();
        self.start = 0;
        self.end = pending;
        Some(core::mem::replace(&mut self.buf, rest))
    }

    /// Takes `buf` (any contents) as the input buffer when it is larger than the one held,
    /// moving undecoded bytes to its front; otherwise gives it back.
    pub(crate) fn reuse(&mut self, mut buf: Vec<u8>) -> Option<Vec<u8>> {
        if buf.len() <= self.buf.len() {
            return Some(buf);
        }
        self.release();
        let pending = self.end - self.start;
        buf[..pending].copy_from_slice(&self.buf[self.start..self.end]);
        self.buf = buf;
        self.start = 0;
        self.end = pending;
        None
    }
}

impl Core {
    /// Prepares the next read to go straight into the assembly buffer when the frame being
    /// received is a large part of a whole message and nothing else is buffered: its payload
    /// then lands where the message is assembled, with no copy out of the input buffer. The
    /// rest of a frame of [`SMALL_READ_AFTER`] or more always comes this way, however little
    /// is left, so the next frame's payload is not read into the input buffer with it.
    ///
    /// The read is offered the rest of the frame, within the room the message may have now:
    /// all its declared length (the limits were checked on the header) when this connection
    /// already received a message that large, else at most double what arrived of it
    /// ([`DIRECT_STEP`] at first). The room is reserved once per step, so the buffer is
    /// neither moved nor grown by doubling while the frame arrives.
    pub(crate) fn prepare_direct_read(&self, input: &mut Input) {
        let (Some(frame), Some(message)) = (self.frame.as_ref(), self.message.as_ref()) else {
            return;
        };
        let direct = matches!(self.state, State::Open | State::Closing)
            && !frame.opcode.is_control()
            && frame.remaining > 0
            && (frame.remaining >= DIRECT_MIN || frame.len >= SMALL_READ_AFTER)
            && message.mode == ReceiveMode::Message
            && message.rsv.is_empty()
            && input.start == input.end;
        if !direct || input.direct.is_some() {
            return;
        }
        let total = message.size.saturating_add(frame.remaining);
        let room = if total <= input.largest {
            total
        } else {
            total.min(message.size.saturating_mul(2).max(DIRECT_STEP))
        };
        let want = room.saturating_sub(message.size).min(frame.remaining);
        let Ok(want) = usize::try_from(want) else {
            return;
        };
        input.release();
        input.assembly.reserve(want);
        input.direct = Some(want);
        input.offered = want;
    }

    /// `n` bytes arrived where [`prepare_direct_read`](Self::prepare_direct_read) offered:
    /// unmask and check them in place. `false`: the read went to the input buffer.
    pub(crate) fn commit_direct(&mut self, input: &mut Input, n: usize) -> bool {
        let Some(want) = input.direct.take() else {
            return false;
        };
        input.adapt(n);
        let (Some(mut frame), Some(message)) = (self.frame, self.message.as_mut()) else {
            return true;
        };
        let piece = input.assembly.commit(n.min(want));
        if let Some(key) = frame.mask {
            apply_mask(piece, key, frame.phase);
        }
        frame.remaining -= piece.len() as u64;
        frame.phase = (frame.phase + piece.len()) & 3;
        message.size += piece.len() as u64;
        let fin = frame.remaining == 0 && frame.fin;
        if let Err(e) = check_text(message, piece, fin) {
            self.fail(e);
            return true;
        }
        self.frame = (frame.remaining > 0).then_some(frame);
        if frame.remaining == 0 {
            input.frame_done(frame.len);
        }
        if fin {
            input.message_done(message.size);
        }
        message.complete = fin;
        true
    }
}
