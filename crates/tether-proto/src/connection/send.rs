//! The outbound side: frames encoded straight into one output buffer, and at most one large
//! payload left with the caller (written from where it is, after its header).

use alloc::vec::Vec;

use crate::Entropy;
use crate::frame::{FrameHeader, MAX_CONTROL_PAYLOAD, MAX_HEADER_LEN, OpCode, Rsv, apply_mask};

/// Bytes waiting for the transport, plus the one automatic pong that may still be replaced.
#[derive(Debug, Default)]
pub(crate) struct Output {
    buf: Vec<u8>,
    /// How much of `buf` the transport has taken.
    written: usize,
    /// An automatic pong not yet encoded. A newer ping's pong replaces it, so a flood of pings
    /// while the transport is slow leaves one pong, not one per ping.
    pending_pong: Option<([u8; MAX_CONTROL_PAYLOAD], u8)>,
    /// Whether frames are masked (client role).
    mask: bool,
    /// A payload the caller keeps and supplies when it is its turn to be written: it goes
    /// between `buf[..at]` and `buf[at..]`.
    external: Option<External>,
}

/// A payload left with the caller, see [`Output::external`].
#[derive(Clone, Copy, Debug)]
struct External {
    /// Where in `buf` the payload goes.
    at: usize,
    len: usize,
    /// How much of it the transport took.
    done: usize,
}

/// What to write next, from [`Output::pending`].
pub(crate) enum Pending<'a> {
    /// These bytes.
    Bytes(&'a [u8]),
    /// These bytes, then the caller's payload from this offset on.
    Payload(&'a [u8], usize),
}

impl Output {
    pub(crate) fn new(mask: bool) -> Self {
        Self {
            mask,
            ..Self::default()
        }
    }

    /// Bytes buffered (or left with the caller) and not yet taken by the transport (a pending
    /// pong not included).
    pub(crate) fn len(&self) -> usize {
        self.buf.len() - self.written + self.external.map_or(0, |e| e.len - e.done)
    }

    /// Whether frames are masked (so a payload can't be written as the caller holds it).
    pub(crate) fn masks(&self) -> bool {
        self.mask
    }

    /// Appends raw bytes (the handshake's HTTP head).
    pub(crate) fn raw(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// The buffer to append raw bytes to.
    pub(crate) fn raw_buf(&mut self) -> &mut Vec<u8> {
        &mut self.buf
    }

    /// Encodes one frame. The payload is copied once, into the output buffer, and masked there
    /// (client role) with a fresh key from `entropy` (RFC 6455 §5.3).
    pub(crate) fn frame(
        &mut self,
        entropy: &mut dyn Entropy,
        opcode: OpCode,
        fin: bool,
        rsv: Rsv,
        payload: &[u8],
    ) {
        let mask = self.mask.then(|| {
            let mut key = [0; 4];
            entropy.fill(&mut key);
            key
        });
        let header = FrameHeader {
            fin,
            rsv,
            opcode,
            mask,
            payload_len: payload.len() as u64,
        };
        let mut head = [0; MAX_HEADER_LEN];
        let head_len = header.encode(&mut head);
        self.buf.reserve(head_len + payload.len());
        self.buf.extend_from_slice(&head[..head_len]);
        let start = self.buf.len();
        self.buf.extend_from_slice(payload);
        if let Some(key) = mask {
            apply_mask(&mut self.buf[start..], key, 0);
        }
    }

    /// Encodes the header of an unmasked frame whose payload (`len` bytes) stays with the
    /// caller until the transport takes it. Only one such payload may be outstanding.
    pub(crate) fn frame_external(&mut self, opcode: OpCode, fin: bool, rsv: Rsv, len: usize) {
        debug_assert!(!self.mask && self.external.is_none());
        let header = FrameHeader {
            fin,
            rsv,
            opcode,
            mask: None,
            payload_len: len as u64,
        };
        let mut head = [0; MAX_HEADER_LEN];
        let head_len = header.encode(&mut head);
        self.buf.extend_from_slice(&head[..head_len]);
        self.external = Some(External {
            at: self.buf.len(),
            len,
            done: 0,
        });
    }

    /// Whether a payload left with the caller is still to be written.
    pub(crate) fn has_external(&self) -> bool {
        self.external.is_some()
    }

    /// Copies what the transport has not yet taken of the caller's payload (`payload` is the
    /// whole of it) into the buffer, in its place, so the caller may let go of it.
    pub(crate) fn fill_external(&mut self, payload: &[u8]) {
        if let Some(e) = self.external.take() {
            let rest = payload.get(e.done..e.len).unwrap_or_default();
            self.buf.splice(e.at..e.at, rest.iter().copied());
        }
    }

    /// Queues an automatic pong, replacing one not yet encoded.
    pub(crate) fn queue_pong(&mut self, payload: &[u8]) {
        let mut bytes = [0; MAX_CONTROL_PAYLOAD];
        let len = payload.len().min(MAX_CONTROL_PAYLOAD);
        bytes[..len].copy_from_slice(&payload[..len]);
        self.pending_pong = Some((bytes, len as u8));
    }

    /// Drops an automatic pong not yet encoded (after a close, nothing more is sent).
    pub(crate) fn cancel_pong(&mut self) {
        self.pending_pong = None;
    }

    /// What to write now. The pending pong is encoded once everything before it has been
    /// written, which is what lets a newer one replace it.
    pub(crate) fn pending(&mut self, entropy: &mut dyn Entropy) -> Pending<'_> {
        if let Some(e) = self.external {
            return Pending::Payload(&self.buf[self.written..e.at], e.done);
        }
        if self.len() == 0
            && let Some((bytes, len)) = self.pending_pong.take()
        {
            self.frame(
                entropy,
                OpCode::Pong,
                true,
                Rsv::NONE,
                &bytes[..usize::from(len)],
            );
        }
        Pending::Bytes(&self.buf[self.written..])
    }

    /// Whether anything (bytes or a pong) waits to be written.
    pub(crate) fn has_pending(&self) -> bool {
        self.len() > 0 || self.pending_pong.is_some()
    }

    /// The transport took `n` more bytes (of the buffer, then of the caller's payload).
    pub(crate) fn advance(&mut self, n: usize) {
        match &mut self.external {
            Some(e) => {
                let head = n.min(e.at - self.written);
                self.written += head;
                e.done = (e.done + n - head).min(e.len);
                if e.done == e.len {
                    self.external = None;
                }
            }
            None => self.written = (self.written + n).min(self.buf.len()),
        }
        if self.written == self.buf.len()
            || (self.written >= 64 << 10 && self.written * 2 >= self.buf.len())
        {
            // Keep the unwritten tail at the front so the buffer does not creep.
            self.buf.drain(..self.written);
            if let Some(e) = &mut self.external {
                e.at -= self.written;
            }
            self.written = 0;
        }
    }
}
