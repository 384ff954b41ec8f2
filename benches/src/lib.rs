//! Benchmark helpers shared by the criterion benches in `benches/`.
//!
//! Only tether itself is used here; the peers (tungstenite, fastwebsockets) are dev-dependencies
//! and are driven from the bench files.

use core::time::Duration;

use tether_proto::connection::{Negotiated, Transmit};
use tether_proto::frame::OpCode;
use tether_proto::frame::{FrameHeader, MAX_HEADER_LEN, Rsv, apply_mask};
use tether_proto::{Config, Connection, Entropy, FixedEntropy, Instant, Role};

/// About how many bytes of frames a decode buffer holds.
pub const DECODE_BUFFER_BYTES: usize = 4 << 20;

/// Measurement settings shared by every group: short, so the suite runs in a few minutes.
pub const MEASUREMENT_TIME: Duration = Duration::from_secs(3);
/// Warm-up time per benchmark.
pub const WARM_UP_TIME: Duration = Duration::from_secs(1);
/// Samples per benchmark.
pub const SAMPLE_SIZE: usize = 20;

/// A human-readable size: `16B`, `1KiB`, `64KiB`, `1MiB`.
pub fn size_name(bytes: usize) -> String {
    if bytes >= 1 << 20 && bytes.is_multiple_of(1 << 20) {
        format!("{}MiB", bytes >> 20)
    } else if bytes >= 1 << 10 && bytes.is_multiple_of(1 << 10) {
        format!("{}KiB", bytes >> 10)
    } else {
        format!("{bytes}B")
    }
}

/// The payload byte at `i` of message `n`: a pattern that differs between messages.
pub fn payload_byte(n: usize, i: usize) -> u8 {
    (i.wrapping_mul(31) ^ n.wrapping_mul(7)) as u8
}

/// A payload of `len` bytes for message `n`.
pub fn payload(n: usize, len: usize) -> Vec<u8> {
    (0..len).map(|i| payload_byte(n, i)).collect()
}

/// A buffer of masked client frames, as a server receives them.
#[derive(Debug)]
pub struct FrameBuffer {
    /// The frames back to back: header, masked payload, header, ...
    pub wire: Vec<u8>,
    /// How many frames (each a whole binary message).
    pub frames: usize,
    /// The payload length of every frame.
    pub payload_len: usize,
    /// For each frame, where its payload lies in `wire` and its masking key.
    pub payloads: Vec<(core::ops::Range<usize>, [u8; 4])>,
}

impl FrameBuffer {
    /// Frames of `payload_len` bytes, about [`DECODE_BUFFER_BYTES`] in all (at least that much;
    /// 4065 frames of 1 KiB, 190 651 of 16 B). Every frame has its own masking key, as from a
    /// real client.
    pub fn masked(payload_len: usize) -> Self {
        let head_len = FrameHeader {
            fin: true,
            rsv: Rsv::NONE,
            opcode: OpCode::Binary,
            mask: Some([0; 4]),
            payload_len: payload_len as u64,
        }
        .encoded_len();
        Self::masked_n(
            payload_len,
            DECODE_BUFFER_BYTES.div_ceil(head_len + payload_len),
        )
    }

    /// `frames` frames of `payload_len` bytes, each with its own masking key.
    pub fn masked_n(payload_len: usize, frames: usize) -> Self {
        let head_len = MAX_HEADER_LEN;
        let mut wire = Vec::with_capacity(frames * (head_len + payload_len));
        let mut payloads = Vec::with_capacity(frames);
        let mut entropy = FixedEntropy::new(0x7e7e);
        for n in 0..frames {
            let mut key = [0; 4];
            entropy.fill(&mut key);
            let header = FrameHeader {
                fin: true,
                rsv: Rsv::NONE,
                opcode: OpCode::Binary,
                mask: Some(key),
                payload_len: payload_len as u64,
            };
            let mut head = [0; MAX_HEADER_LEN];
            let len = header.encode(&mut head);
            wire.extend_from_slice(&head[..len]);
            let start = wire.len();
            wire.extend((0..payload_len).map(|i| payload_byte(n, i)));
            apply_mask(&mut wire[start..], key, 0);
            payloads.push((start..wire.len(), key));
        }
        Self {
            wire,
            frames,
            payload_len,
            payloads,
        }
    }

    /// Whether `bytes` is the unmasked payload of frame `n`.
    pub fn is_payload(&self, n: usize, bytes: &[u8]) -> bool {
        bytes.len() == self.payload_len
            && bytes
                .iter()
                .enumerate()
                .all(|(i, &b)| b == payload_byte(n, i))
    }
}

/// The configuration every tether connection in the benches uses: limits raised so the
/// largest test message passes, no keepalive, and a read size that takes the whole buffer in
/// one read.
pub fn tether_config(read_size: usize) -> Config {
    Config::default()
        .max_message_size(64 << 20)
        .max_frame_size(64 << 20)
        .read_size(read_size)
        .ping_interval(None)
}

/// An already-open tether connection in `role`.
pub fn tether_open(role: Role, read_size: usize) -> Connection {
    Connection::open(
        Instant::ZERO,
        role,
        Negotiated::default(),
        tether_config(read_size),
        FixedEntropy::new(1),
    )
}

/// Everything a tether connection has to write now, concatenated (the transport's part).
pub fn tether_transmit(conn: &mut Connection) -> Vec<u8> {
    let mut out = Vec::new();
    while let Transmit::Write(bufs) = conn.poll_transmit() {
        let before = out.len();
        for buf in bufs {
            out.extend_from_slice(buf);
        }
        let n = out.len() - before;
        conn.advance_transmit(n);
    }
    out
}

/// `u64` XOR over `chunks_exact_mut(8)` with the key widened to a word, then a byte tail: the
/// simplest fast unmasking loop, used as the ceiling the engine's decode is held against.
#[inline]
pub fn word_xor(buf: &mut [u8], key: [u8; 4]) {
    let word = u64::from_ne_bytes([
        key[0], key[1], key[2], key[3], key[0], key[1], key[2], key[3],
    ]);
    let mut chunks = buf.chunks_exact_mut(8);
    for chunk in &mut chunks {
        let mut w = [0; 8];
        w.copy_from_slice(chunk);
        chunk.copy_from_slice(&(u64::from_ne_bytes(w) ^ word).to_ne_bytes());
    }
    for (b, k) in chunks.into_remainder().iter_mut().zip(key.iter().cycle()) {
        *b ^= k;
    }
}

/// One byte at a time with a modulo per byte: the floor.
#[inline]
pub fn naive_mask(buf: &mut [u8], key: [u8; 4]) {
    for (i, b) in buf.iter_mut().enumerate() {
        *b ^= key[i % 4];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_loops_agree_with_tether() {
        let key = [0x9c, 0x41, 0xe7, 0x0a];
        for len in 0..100 {
            let data = payload(3, len);
            let mut a = data.clone();
            let mut b = data.clone();
            let mut c = data.clone();
            apply_mask(&mut a, key, 0);
            word_xor(&mut b, key);
            naive_mask(&mut c, key);
            assert_eq!(a, b);
            assert_eq!(a, c);
        }
    }

    #[test]
    fn frame_buffer_holds_what_it_says() {
        let buf = FrameBuffer::masked(16);
        assert_eq!(buf.frames, DECODE_BUFFER_BYTES.div_ceil(22));
        assert_eq!(buf.wire.len(), buf.frames * 22);
        assert!(buf.frames >= 1000);
        assert_eq!(FrameBuffer::masked(1 << 10).frames, 4065);
        assert_eq!(FrameBuffer::masked(1 << 20).frames, 4);
    }
}
