//! The outbound side: frames encoded straight into one output buffer.

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
}

impl Output {
    pub(crate) fn new(mask: bool) -> Self {
        Self {
            mask,
            ..Self::default()
        }
    }

    /// Bytes buffered and not yet taken by the transport (a pending pong not included).
    pub(crate) fn len(&self) -> usize {
        self.buf.len() - self.written
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

    /// The bytes to write now. The pending pong is encoded once everything before it has been
    /// written, which is what lets a newer one replace it.
    pub(crate) fn pending(&mut self, entropy: &mut dyn Entropy) -> &[u8] {
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
        &self.buf[self.written..]
    }

    /// Whether anything (bytes or a pong) waits to be written.
    pub(crate) fn has_pending(&self) -> bool {
        self.len() > 0 || self.pending_pong.is_some()
    }

    /// The transport took `n` more bytes.
    pub(crate) fn advance(&mut self, n: usize) {
        self.written = (self.written + n).min(self.buf.len());
        if self.written == self.buf.len() {
            self.buf.clear();
            self.written = 0;
        } else if self.written >= 64 << 10 && self.written * 2 >= self.buf.len() {
            // Keep the unwritten tail at the front so the buffer does not creep.
            self.buf.drain(..self.written);
            self.written = 0;
        }
    }
}
