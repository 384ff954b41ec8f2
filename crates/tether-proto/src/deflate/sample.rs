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
//! coding alone could save at most an eighth, and the message is sent uncompressed. Data whose
//! bytes are spread evenly yet repeat in long runs (a random block sent twice) is missed: it
//! goes out uncompressed, which is valid, only larger than it could be.
//!
//! Integer arithmetic only: 4 slices of 64 bytes spread over the message (the whole message
//! when it is at most 256 bytes), one pass each.

/// Bytes per sampled slice, and how many slices at most: 256 bytes tell random bytes
/// (about 255 equal pairs expected, standard deviation about 22) from the threshold (510)
/// with a wide margin, in about 0.15 µs.
const SLICE: usize = 64;
const SLICES: usize = 4;

/// Below this many bytes the estimate is too noisy to act on: compress and look at the result.
const MIN_SAMPLE: usize = 128;

/// The sample is judged incompressible when its collision probability is below 1 / this.
const SPREAD: u64 = 128;

/// Whether `data` looks incompressible (see the module docs).
pub(crate) fn looks_incompressible(data: &[u8]) -> bool {
    if data.len() < MIN_SAMPLE {
        return false;
    }
    let mut counts = [0u16; 256];
    let mut count = |slice: &[u8]| {
        for &b in slice {
            counts[usize::from(b)] += 1;
        }
    };
    let n = if data.len() <= SLICE * SLICES {
        count(data);
        data.len()
    } else {
        // Slices at the start, the end, and evenly between.
        let last = data.len() - SLICE;
        for i in 0..SLICES {
            let at = last / (SLICES - 1) * i;
            count(&data[at..at + SLICE]);
        }
        SLICE * SLICES
    };
    // Σ c·(c − 1) = Σ c² − n, as Σ c = n.
    let squares: u32 = counts.iter().map(|&c| u32::from(c) * u32::from(c)).sum();
    let n = n as u64;
    (u64::from(squares) - n) * SPREAD < n * (n - 1)
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
        // Random bytes with a compressible tail: one slice of four is enough to compress.
        let mut mixed = noise(3 << 10, 5);
        mixed.extend_from_slice(&[b'a'; 1 << 10]);
        assert!(!looks_incompressible(&mixed));
    }
}
