//! Masking and unmasking payloads (RFC 6455 §5.3) — the receive hot path.
//!
//! The loop works eight bytes at a time on a key widened to a machine word, over chunks of 32
//! bytes that the compiler turns into vector instructions; a byte loop handles the tail. There is
//! no per-byte modulo: `as_chunks_mut` gives fixed-size arrays, so every index is checked at
//! compile time.
//!
//! With the `std` feature on x86-64, payloads of 64 bytes or more run the same loop compiled for
//! AVX2 when the CPU has it (detected at run time, once): 32 bytes per instruction instead of 16.
//! That is the crate's one `unsafe` block, the call into the `#[target_feature]` function. It
//! paid 4–8 % on 64 KiB and 1 MiB frames in `decode_pair`, and 9–12 % more echoed 64 KiB
//! messages per server CPU-second in the loopback echo (`docs/performance.md`).

/// XORs `buf` with the masking `key` in place, starting `phase` bytes into the key.
///
/// `phase` is the offset of `buf[0]` within the frame's payload (only `phase % 4` matters), so a
/// payload that arrives in pieces can be unmasked piece by piece. Masking and unmasking are the
/// same operation.
///
/// ```
/// use tether_proto::frame::apply_mask;
///
/// let key = [0x37, 0xfa, 0x21, 0x3d];
/// let mut payload = *b"Hello";
/// apply_mask(&mut payload, key, 0);
/// assert_eq!(payload, [0x7f, 0x9f, 0x4d, 0x51, 0x58]); // RFC 6455 §5.7
///
/// // In two pieces: the second starts at phase 2.
/// let (a, b) = payload.split_at_mut(2);
/// apply_mask(a, key, 0);
/// apply_mask(b, key, 2);
/// assert_eq!(&payload, b"Hello");
/// ```
#[inline]
pub fn apply_mask(buf: &mut [u8], key: [u8; 4], phase: usize) {
    if buf.len() < ALIGN_FROM {
        // A small payload: a few unaligned words cost less than up to 15 single bytes first.
        apply_mask_words(buf, key, phase);
        return;
    }
    // Bytes up to the next 16-byte boundary one at a time, so the word loop below reads and
    // writes aligned memory (measured 8-25% faster on payloads that start mid-line, as they
    // do behind a frame header).
    let head = buf.as_ptr().align_offset(16).min(buf.len());
    let (first, rest) = buf.split_at_mut(head);
    for (i, b) in first.iter_mut().enumerate() {
        *b ^= key[(phase + i) & 3];
    }
    #[cfg(all(feature = "std", target_arch = "x86_64"))]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: a `#[target_feature(enable = "avx2")]` function asks one thing of its caller,
        // that the CPU supports AVX2, and the line above checked it. The function's body is the
        // safe loop of `apply_mask_words`. `.ci/run` runs this path under Miri (step "Miri").
        #[allow(unsafe_code)]
        unsafe {
            apply_mask_words_avx2(rest, key, phase + head);
        }
        return;
    }
    apply_mask_words(rest, key, phase + head);
}

/// [`apply_mask_words`] compiled for AVX2: the same safe loop, which the compiler then turns
/// into 32-byte vector instructions.
#[cfg(all(feature = "std", target_arch = "x86_64"))]
#[target_feature(enable = "avx2")]
fn apply_mask_words_avx2(buf: &mut [u8], key: [u8; 4], phase: usize) {
    apply_mask_words(buf, key, phase);
}

/// Payloads shorter than this are unmasked word by word from wherever they start; longer ones
/// first reach a 16-byte boundary byte by byte.
const ALIGN_FROM: usize = 64;

/// The word loop of [`apply_mask`], for any alignment. Always inlined, so the AVX2 copy above
/// is compiled with its target feature.
#[inline(always)]
fn apply_mask_words(buf: &mut [u8], key: [u8; 4], phase: usize) {
    let key = rotate(key, phase);
    let wide = [
        key[0], key[1], key[2], key[3], key[0], key[1], key[2], key[3],
    ];
    let word = u64::from_ne_bytes(wide);
    let (blocks, tail) = buf.as_chunks_mut::<32>();
    for block in blocks {
        let (words, _) = block.as_chunks_mut::<8>();
        for w in words {
            *w = (u64::from_ne_bytes(*w) ^ word).to_ne_bytes();
        }
    }
    // The tail is shorter than 32 bytes; each block above kept the key phase since 32 % 4 == 0.
    let (words, bytes) = tail.as_chunks_mut::<8>();
    for w in words {
        *w = (u64::from_ne_bytes(*w) ^ word).to_ne_bytes();
    }
    for (b, k) in bytes.iter_mut().zip(key.iter().cycle()) {
        *b ^= k;
    }
}

/// The key as seen from `phase` bytes into it.
#[inline]
const fn rotate(key: [u8; 4], phase: usize) -> [u8; 4] {
    let k = u32::from_be_bytes(key).rotate_left(((phase & 3) * 8) as u32);
    k.to_be_bytes()
}

/// The reference implementation the fast path is checked against: one byte at a time.
#[cfg(test)]
fn apply_mask_naive(buf: &mut [u8], key: [u8; 4], phase: usize) {
    for (i, b) in buf.iter_mut().enumerate() {
        *b ^= key[(i + phase) % 4];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc6455_5_3_matches_naive_loop_for_every_length_offset_and_phase() {
        let key = [0x9c, 0x41, 0xe7, 0x0a];
        let data: alloc::vec::Vec<u8> = (0..400u32).map(|i| (i * 31 + 7) as u8).collect();
        for len in 0..=300 {
            // Every start offset within a word, so every alignment of the slice is exercised.
            for offset in 0..8 {
                for phase in 0..4 {
                    let mut fast = data.clone();
                    let mut slow = data.clone();
                    apply_mask(&mut fast[offset..offset + len], key, phase);
                    apply_mask_naive(&mut slow[offset..offset + len], key, phase);
                    assert_eq!(fast, slow, "len {len} offset {offset} phase {phase}");
                }
            }
        }
    }

    /// The payloads that take the AVX2 loop where the CPU has it (64 bytes and more), around
    /// each block and alignment boundary. `.ci/run` also runs this test under Miri with AVX2
    /// enabled, so the `unsafe` call into that loop is checked there.
    #[test]
    fn rfc6455_5_3_long_payloads_match_the_naive_loop_at_every_alignment() {
        let key = [0x37, 0xfa, 0x21, 0x3d];
        let data: alloc::vec::Vec<u8> = (0..1100u32).map(|i| (i * 131 + 3) as u8).collect();
        for len in [64, 65, 95, 96, 97, 127, 128, 129, 255, 256, 257, 1000, 1031] {
            for offset in [0, 1, 3, 8, 15, 16, 17, 31, 32, 33, 63] {
                for phase in 0..4 {
                    let mut fast = data[..offset + len].to_vec();
                    let mut slow = fast.clone();
                    apply_mask(&mut fast[offset..], key, phase);
                    apply_mask_naive(&mut slow[offset..], key, phase);
                    assert_eq!(fast, slow, "len {len} offset {offset} phase {phase}");
                }
            }
        }
    }

    #[test]
    fn masking_twice_restores_the_payload() {
        let mut buf = *b"the quick brown fox jumps over the lazy dog, twice over";
        apply_mask(&mut buf, [1, 2, 3, 4], 3);
        assert_ne!(
            &buf,
            b"the quick brown fox jumps over the lazy dog, twice over"
        );
        apply_mask(&mut buf, [1, 2, 3, 4], 3);
        assert_eq!(
            &buf,
            b"the quick brown fox jumps over the lazy dog, twice over"
        );
    }
}
