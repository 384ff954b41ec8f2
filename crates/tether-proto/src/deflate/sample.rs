//! A cheap guess, before compressing, of whether a message would shrink.
//!
//! Compressing data that does not shrink (already compressed, encrypted, random) costs a full
//! compressor pass on the sender and an inflate pass on the receiver for nothing. A byte
//! histogram of a sample tells most such data apart: its bytes are spread almost evenly, while
//! text, JSON and most binary formats repeat some bytes far more than others.
//!
//! The measure is the collision probability of the sample's byte distribution (the chance
//! that two bytes drawn from it are equal, the base of the order-2 Rényi entropy), estimated
//! without bias as `Σ c·(c − 1) / (n·(n − 1))` over the byte counts `c` of `n` sampled bytes.
//! Uniform random bytes give 1/256 (8 bits of entropy per byte); when the estimate is below
//! 1/128 (more than 7 bits per byte), the Shannon entropy is more than 7 bits too, so Huffman
//! coding alone could save at most an eighth — unless the bytes repeat in runs, which LZ77
//! finds. So a sample judged even is also searched for repeated 4-byte sequences (within a
//! slice, and between slices), and any run of repeats sends it to the compressor after all:
//! that catches data with a short period (up to about 60 bytes) always and longer periods
//! when two slices fall on the same phase. Data whose bytes are spread evenly and repeat only
//! from far apart (a random block sent twice) is still missed: it goes out uncompressed, which
//! is valid, only larger than it could be.
//!
//! Integer arithmetic only: 4 slices of 64 bytes spread over the message (the whole message
//! when it is at most 256 bytes); one histogram pass, and a hash pass only for samples judged
//! even (about 0.15 µs and 0.3 µs).

/// Bytes per sampled slice, and how many slices at most: 256 bytes tell random bytes
/// (about 255 equal pairs expected, standard deviation about 22) from the threshold (510)
/// with a wide margin, in about 0.15 µs.
const SLICE: usize = 64;
const SLICES: usize = 4;

/// Below this many bytes the estimate is too noisy to act on: compress and look at the result.
const MIN_SAMPLE: usize = 128;

/// The sample is judged incompressible when its collision probability is below 1 / this.
const SPREAD: u64 = 128;

/// Repeated 4-byte sequences in a sample that make it worth compressing after all.
const REPEATS: usize = 8;

/// Whether `data` looks incompressible (see the module docs).
pub(crate) fn looks_incompressible(data: &[u8]) -> bool {
    if data.len() < MIN_SAMPLE {
        return false;
    }
    // The sample, copied together: slices at the start, the end, and evenly between (each
    // its own region, so no 4-byte sequence spans two), or the whole message as one region.
    let mut sample = [0u8; SLICE * SLICES];
    let (n, regions) = if data.len() <= sample.len() {
        sample[..data.len()].copy_from_slice(data);
        (data.len(), 1)
    } else {
        let last = data.len() - SLICE;
        for (i, slice) in sample.chunks_exact_mut(SLICE).enumerate() {
            let at = last / (SLICES - 1) * i;
            slice.copy_from_slice(&data[at..at + SLICE]);
        }
        (sample.len(), SLICES)
    };
    let sample = &sample[..n];
    let mut counts = [0u16; 256];
    for &b in sample {
        counts[usize::from(b)] += 1;
    }
    // Σ c·(c − 1) = Σ c² − n, as Σ c = n.
    let squares: u32 = counts.iter().map(|&c| u32::from(c) * u32::from(c)).sum();
    let n = n as u64;
    let even = (u64::from(squares) - n) * SPREAD < n * (n - 1);
    even && !repeats(sample, regions)
}

/// Whether `sample` (at most 256 bytes), cut into `regions` equal parts, holds at least
/// [`REPEATS`] 4-byte sequences seen earlier in it.
fn repeats(sample: &[u8], regions: usize) -> bool {
    const _: () = assert!(SLICE * SLICES == 256, "positions fit in a byte");
    // The 4-byte sequence at each position, and where (plus one; 0: nowhere) the last one with
    // each 8-bit hash was seen.
    let mut keys = [0u32; 256];
    for (key, quad) in keys.iter_mut().zip(sample.windows(4)) {
        *key = u32::from_le_bytes([quad[0], quad[1], quad[2], quad[3]]);
    }
    let mut seen = [0u8; 256];
    let mut found = 0;
    let size = sample.len() / regions.max(1);
    for region in 0..regions {
        let start = region * size;
        // Sequences that lie inside the region.
        for at in start..(start + size).saturating_sub(3) {
            let key = keys[at & 255];
            let h = (key.wrapping_mul(0x9e37_79b1) >> 24) as usize;
            let earlier = usize::from(seen[h]);
            found += usize::from(earlier != 0 && keys[(earlier - 1) & 255] == key);
            seen[h] = (at + 1) as u8;
        }
    }
    found >= REPEATS
}

#[cfg(test)]
mod tests {
    use alloc::vec::Vec;

    use super::*;

    fn noise(len: usize, seed: u32) -> Vec<u8> {
        let mut x = seed;
        (0..len)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                (x >> 7) as u8
            })
            .collect()
    }

    #[test]
    fn random_bytes_are_incompressible_at_every_size_from_the_minimum() {
        for len in [128, 200, 1024, 1025, 4000, 64 << 10, 1 << 20] {
            assert!(looks_incompressible(&noise(len, 7)), "{len}");
        }
        // Too short to judge: left to the compressor.
        assert!(!looks_incompressible(&noise(127, 7)));
    }

    #[test]
    fn text_json_and_sparse_binary_are_compressible() {
        let json: Vec<u8> = (0..2000)
            .flat_map(|i| alloc::format!("{{\"id\":{i},\"name\":\"user{i}\"}},").into_bytes())
            .collect();
        assert!(!looks_incompressible(&json));
        assert!(!looks_incompressible(&[0u8; 4096]));
        let text = b"the quick brown fox jumps over the lazy dog ".repeat(100);
        assert!(!looks_incompressible(&text));
        // Base64 (64 symbols, 6 bits per byte) still shrinks under Huffman coding.
        let b64: Vec<u8> = noise(8192, 3)
            .iter()
            .map(|b| {
                b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
                    [usize::from(b % 64)]
            })
            .collect();
        assert!(!looks_incompressible(&b64));
        // Bytes spread evenly with a short period: the histogram says random, the repeats say
        // compress. The interop tests' 1 MiB binary (period 251) is caught where two slices
        // fall on the same phase, as at these sizes.
        let periodic = |len: usize, period: usize| -> Vec<u8> {
            let block = noise(period, 11);
            block.iter().copied().cycle().take(len).collect()
        };
        for (len, period) in [(200, 50), (4096, 60), (64 << 10, 37), (100_000, 251)] {
            assert!(
                !looks_incompressible(&periodic(len, period)),
                "{len} {period}"
            );
        }
        let seven: Vec<u8> = (0..1 << 20).map(|i: u32| (i * 7 % 251) as u8).collect();
        assert!(!looks_incompressible(&seven));
        assert!(!looks_incompressible(&seven[..100_000]));
        // A period longer than a slice with no two slices in phase: missed (sent uncompressed,
        // valid, only larger than it could be).
        assert!(looks_incompressible(&periodic(64 << 10, 5000)));
        // Random bytes with a compressible tail: one slice of four is enough to compress.
        let mut mixed = noise(3 << 10, 5);
        mixed.extend_from_slice(&[b'a'; 1 << 10]);
        assert!(!looks_incompressible(&mixed));
    }
}
