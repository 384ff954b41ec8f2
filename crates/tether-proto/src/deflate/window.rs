//! The last bytes of a compression context, kept between messages in place of the compressor
//! or decompressor when [`DeflateConfig::compact_context`](super::DeflateConfig) is set.
//!
//! With context takeover, what one message may refer back to is the last 2<sup>bits</sup>
//! bytes of uncompressed data that went through the context before it (RFC 7692 §7.1.2: the
//! LZ77 window). Kept as plain bytes, that is all a context is between messages: a pooled
//! state primed with them as a preset dictionary compresses and decompresses the next message
//! exactly as the kept state would have.

use alloc::vec::Vec;

/// The last `cap` bytes appended.
#[derive(Debug)]
pub(crate) struct Window {
    bytes: Vec<u8>,
    cap: usize,
}

impl Window {
    /// A window of 2<sup>`bits`</sup> bytes.
    pub(crate) fn new(bits: u8) -> Self {
        Self {
            bytes: Vec::new(),
            cap: 1 << bits,
        }
    }

    /// Appends `data`, keeping the last `cap` bytes.
    pub(crate) fn push(&mut self, data: &[u8]) {
        if self.bytes.capacity() < self.cap {
            self.bytes.reserve_exact(self.cap - self.bytes.len());
        }
        if data.len() >= self.cap {
            self.bytes.clear();
            self.bytes.extend_from_slice(&data[data.len() - self.cap..]);
            return;
        }
        let excess = (self.bytes.len() + data.len()).saturating_sub(self.cap);
        self.bytes.drain(..excess);
        self.bytes.extend_from_slice(data);
    }

    pub(crate) fn bytes(&self) -> &[u8] {
        &self.bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_last_bytes_whatever_the_pieces() {
        let mut w = Window::new(3);
        w.push(b"abc");
        assert_eq!(w.bytes(), b"abc");
        w.push(b"defgh");
        assert_eq!(w.bytes(), b"abcdefgh");
        w.push(b"ij");
        assert_eq!(w.bytes(), b"cdefghij");
        w.push(b"0123456789");
        assert_eq!(w.bytes(), b"23456789");
        w.push(b"");
        assert_eq!(w.bytes(), b"23456789");
        assert_eq!(w.bytes.capacity(), 8, "never more than the window");
    }
}
