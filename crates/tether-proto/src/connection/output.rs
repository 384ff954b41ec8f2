//! [`Output`]: the bytes waiting for the transport, in the order they were queued.
//!
//! Frame headers and small payloads are encoded into one buffer. A large payload the
//! application handed over as [`Bytes`] stays where it is: it is queued as a part of its own,
//! between two stretches of the buffer, and goes out as one more slice of a vectored write —
//! never copied, never lent back. The transport takes everything through [`Output::bufs`] and
//! [`Output::advance`].

use alloc::boxed::Box;
use alloc::collections::VecDeque;
use alloc::vec::Vec;

use bytes::Bytes;

use crate::Entropy;
use crate::frame::{FrameHeader, MAX_CONTROL_PAYLOAD, MAX_HEADER_LEN, OpCode, Rsv, apply_mask};

/// Payloads at least this large are queued as they are instead of being copied into the
/// buffer: below it, a copy costs less than a slice of its own in the write.
pub(crate) const SHARE_MIN: usize = 16 << 10;

/// The first allocation of an output buffer, which an idle connection lets go: enough for a
/// burst of small frames without growing it step by step. Later first allocations are as
/// large as the last burst needed, up to [`MAX_FIRST_ALLOC`].
const FIRST_ALLOC: usize = 512;
const MAX_FIRST_ALLOC: usize = 16 << 10;

/// Prepared frames at least this large are queued as they are. Lower than [`SHARE_MIN`]: a
/// prepared frame is shared by many connections, so it stays in cache while it is queued on
/// each of them, where copying it would write it into each connection's buffer, most of them
/// out of cache.
pub(crate) const PREPARED_SHARE_MIN: usize = 512;

/// Bytes waiting for the transport, plus at most one pong held back while the output is over
/// its high-water mark.
#[derive(Debug, Default)]
pub(crate) struct Output {
    buf: Vec<u8>,
    /// How much of `buf` the transport has taken.
    written: usize,
    /// Payloads queued as given, in order; each goes out just before `buf[at..]`.
    parts: VecDeque<Part>,
    /// Unwritten bytes in `parts`.
    parts_len: usize,
    /// A pong held back while the output was over its high-water mark (a newer ping's pong
    /// replaces it): the one place pongs are coalesced, so a peer that floods pings and never
    /// reads cannot grow the output.
    held_pong: Option<Box<([u8; MAX_CONTROL_PAYLOAD], u8)>>,
    /// Whether frames are masked (client role).
    mask: bool,
    /// The buffer of a large payload that was written whole and is no longer shared, for the
    /// receive side to assemble a message in.
    recycled: Option<Vec<u8>>,
    /// How large the next first allocation of the buffer is: what the last burst needed.
    first_alloc: usize,
}

#[derive(Debug)]
struct Part {
    /// Where in `buf` it goes.
    at: usize,
    bytes: Bytes,
    /// How much of it the transport took.
    done: usize,
}

impl Output {
    pub(crate) fn new(mask: bool) -> Self {
        Self {
            mask,
            ..Self::default()
        }
    }

    /// Bytes queued and not yet taken by the transport (a held-back pong not included).
    pub(crate) fn len(&self) -> usize {
        self.buf.len() - self.written + self.parts_len
    }

    /// Appends raw bytes (the handshake's HTTP head, a small prepared frame).
    #[inline]
    pub(crate) fn raw(&mut self, bytes: &[u8]) {
        self.reserve(bytes.len());
        self.buf.extend_from_slice(bytes);
    }

    /// The buffer to append raw bytes to.
    pub(crate) fn raw_buf(&mut self) -> &mut Vec<u8> {
        &mut self.buf
    }

    /// Room for `n` more bytes in the buffer; a first allocation is at least [`FIRST_ALLOC`].
    fn reserve(&mut self, n: usize) {
        let n = if self.buf.capacity() == 0 {
            n.max(self.first_alloc).max(FIRST_ALLOC)
        } else {
            n
        };
        self.buf.reserve(n);
    }

    /// A fresh masking key in the client role (RFC 6455 §5.3).
    fn key(&self, entropy: &mut dyn Entropy) -> Option<[u8; 4]> {
        self.mask.then(|| {
            let mut key = [0; 4];
            entropy.fill(&mut key);
            key
        })
    }

    fn header(&mut self, opcode: OpCode, fin: bool, rsv: Rsv, mask: Option<[u8; 4]>, len: usize) {
        let header = FrameHeader {
            fin,
            rsv,
            opcode,
            mask,
            payload_len: len as u64,
        };
        let mut head = [0; MAX_HEADER_LEN];
        let head_len = header.encode(&mut head);
        self.buf.extend_from_slice(&head[..head_len]);
    }

    /// Encodes one frame, copying the payload into the buffer (and masking it there in the
    /// client role).
    pub(crate) fn frame(
        &mut self,
        entropy: &mut dyn Entropy,
        opcode: OpCode,
        fin: bool,
        rsv: Rsv,
        payload: &[u8],
    ) {
        let mask = self.key(entropy);
        self.reserve(MAX_HEADER_LEN + payload.len());
        self.header(opcode, fin, rsv, mask, payload.len());
        let start = self.buf.len();
        self.buf.extend_from_slice(payload);
        if let Some(key) = mask {
            apply_mask(&mut self.buf[start..], key, 0);
        }
    }

    /// Encodes one frame whose payload is owned: a large one is queued as it is (masked in
    /// place in the client role when nobody else holds it), a small one copied.
    pub(crate) fn frame_owned(
        &mut self,
        entropy: &mut dyn Entropy,
        opcode: OpCode,
        fin: bool,
        rsv: Rsv,
        payload: Bytes,
    ) {
        if payload.len() < SHARE_MIN {
            return self.frame(entropy, opcode, fin, rsv, &payload);
        }
        let mask = self.key(entropy);
        let payload = match mask {
            None => payload,
            Some(key) => match payload.try_into_mut() {
                Ok(mut unique) => {
                    apply_mask(&mut unique, key, 0);
                    unique.freeze()
                }
                Err(shared) => {
                    // Someone else holds these bytes: mask a copy.
                    self.header(opcode, fin, rsv, mask, shared.len());
                    let start = self.buf.len();
                    self.buf.extend_from_slice(&shared);
                    apply_mask(&mut self.buf[start..], key, 0);
                    return;
                }
            },
        };
        self.header(opcode, fin, rsv, mask, payload.len());
        self.push_part(payload);
    }

    /// Queues bytes that are already frames (a prepared message), as they are.
    pub(crate) fn push_part(&mut self, bytes: Bytes) {
        if bytes.is_empty() {
            return;
        }
        self.parts_len += bytes.len();
        self.parts.push_back(Part {
            at: self.buf.len(),
            bytes,
            done: 0,
        });
    }

    /// Queues a pong for a ping just received: at once while the output is below
    /// `high_water`, so it goes out before anything queued after the ping; held back (replacing
    /// a pong held earlier) while the output is above it.
    pub(crate) fn pong(&mut self, entropy: &mut dyn Entropy, payload: &[u8], high_water: usize) {
        if self.len() < high_water {
            self.held_pong = None;
            return self.frame(entropy, OpCode::Pong, true, Rsv::NONE, payload);
        }
        let mut bytes = [0; MAX_CONTROL_PAYLOAD];
        let len = payload.len().min(MAX_CONTROL_PAYLOAD);
        bytes[..len].copy_from_slice(&payload[..len]);
        self.held_pong = Some(Box::new((bytes, len as u8)));
    }

    /// Drops a held-back pong (after a close, nothing more is sent).
    pub(crate) fn drop_held_pong(&mut self) {
        self.held_pong = None;
    }

    /// Queues the held-back pong once the output is below `high_water` again.
    pub(crate) fn release_held_pong(&mut self, entropy: &mut dyn Entropy, high_water: usize) {
        if self.len() < high_water
            && let Some(held) = self.held_pong.take()
        {
            let (bytes, len) = *held;
            self.frame(
                entropy,
                OpCode::Pong,
                true,
                Rsv::NONE,
                &bytes[..usize::from(len)],
            );
        }
    }

    /// What to write, in order: stretches of the buffer and queued payloads.
    pub(crate) fn bufs(&self) -> Bufs<'_> {
        Bufs {
            out: self,
            pos: self.written,
            part: 0,
            in_part: false,
        }
    }

    /// The transport took `n` more bytes of what [`bufs`](Self::bufs) gave.
    pub(crate) fn advance(&mut self, mut n: usize) {
        while n > 0 {
            let end = self.parts.front().map_or(self.buf.len(), |p| p.at);
            let take = n.min(end - self.written);
            self.written += take;
            n -= take;
            if n == 0 && self.written < end {
                break;
            }
            let Some(part) = self.parts.front_mut() else {
                break;
            };
            let take = n.min(part.bytes.len() - part.done);
            part.done += take;
            self.parts_len -= take;
            n -= take;
            if part.done == part.bytes.len()
                && let Some(part) = self.parts.pop_front()
            {
                self.recycle(part.bytes);
            }
        }
        self.compact();
    }

    /// Keeps a written payload's buffer when nobody else holds it: the receive side can
    /// assemble the next large message in it without allocating (an echo reuses one buffer).
    fn recycle(&mut self, bytes: Bytes) {
        if bytes.len() >= SHARE_MIN
            && self
                .recycled
                .as_ref()
                .is_none_or(|r| r.capacity() < bytes.len())
            && let Ok(unique) = bytes.try_into_mut()
        {
            self.recycled = Some(Vec::from(unique));
        }
    }

    /// A buffer given back by [`recycle`](Self::recycle), if any.
    pub(crate) fn take_recycled(&mut self) -> Option<Vec<u8>> {
        self.recycled.take()
    }

    /// Lets the buffers go when everything was written (an idle connection holds none).
    pub(crate) fn release_if_empty(&mut self) {
        if self.len() == 0 {
            self.written = 0;
            if self.buf.capacity() > 0 {
                self.first_alloc = self.buf.capacity().min(MAX_FIRST_ALLOC);
            }
            self.buf = Vec::new();
            self.parts = VecDeque::new();
            self.recycled = None;
        }
    }

    /// Keeps the unwritten tail at the front so the buffer does not creep, and lets a large
    /// buffer go once it is empty.
    fn compact(&mut self) {
        if self.written == self.buf.len() && self.parts.is_empty() {
            self.written = 0;
            self.buf.clear();
            if self.buf.capacity() > 64 << 10 {
                self.buf = Vec::new();
            }
        } else if self.written >= 64 << 10 && self.written * 2 >= self.buf.len() {
            self.buf.drain(..self.written);
            for part in &mut self.parts {
                part.at -= self.written;
            }
            self.written = 0;
        }
    }
}

/// The slices of the connection's output to write, in order, none empty. An iterator, so an adapter can fill
/// an array of `IoSlice`s for one vectored write.
#[derive(Clone, Debug)]
pub struct Bufs<'a> {
    out: &'a Output,
    /// Position in the buffer.
    pos: usize,
    /// The next part.
    part: usize,
    /// Whether the next slice is that part (else the buffer up to it).
    in_part: bool,
}

impl<'a> Bufs<'a> {
    /// How many bytes all the slices hold.
    pub fn len(&self) -> usize {
        self.out.len()
    }

    /// Whether there is nothing to write.
    pub fn is_empty(&self) -> bool {
        self.out.len() == 0
    }
}

impl<'a> Iterator for Bufs<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        loop {
            let out = self.out;
            if self.in_part {
                let part = out.parts.get(self.part)?;
                self.in_part = false;
                self.part += 1;
                let rest = &part.bytes[part.done..];
                if !rest.is_empty() {
                    return Some(rest);
                }
                continue;
            }
            let end = out.parts.get(self.part).map(|p| p.at);
            let stretch = &out.buf[self.pos..end.unwrap_or(out.buf.len())];
            self.pos += stretch.len();
            match end {
                Some(_) => self.in_part = true,
                None if stretch.is_empty() => return None,
                None => {}
            }
            if !stretch.is_empty() {
                return Some(stretch);
            }
            end?;
        }
    }
}
