//! Randomness comes in from the caller.
//!
//! RFC 6455 §5.3 requires masking keys to be unpredictable ("derived from a strong source of
//! entropy"), and §4.1 requires a fresh random `Sec-WebSocket-Key`. The core never reads OS
//! entropy itself: it asks an [`Entropy`] source. With the `std` feature, [`OsEntropy`] is a
//! ChaCha-based generator seeded from the operating system; tests pass a fixed source so their
//! bytes are deterministic.

/// A source of random bytes for masking keys and handshake keys.
pub trait Entropy: Send {
    /// Fills `buf` with random bytes.
    fn fill(&mut self, buf: &mut [u8]);
}

impl<F: FnMut(&mut [u8]) + Send> Entropy for F {
    fn fill(&mut self, buf: &mut [u8]) {
        self(buf)
    }
}

/// A cryptographically strong generator seeded once from the operating system.
#[cfg(feature = "std")]
#[derive(Debug)]
pub struct OsEntropy(rand::rngs::StdRng);

#[cfg(feature = "std")]
impl OsEntropy {
    /// Seeds a new generator from the operating system.
    ///
    /// # Panics
    ///
    /// Panics if the operating system has no entropy to give, which on supported platforms
    /// does not happen once the system has booted.
    #[allow(clippy::new_without_default)]
    pub fn new() -> Self {
        use rand::SeedableRng;
        Self(rand::rngs::StdRng::try_from_rng(&mut rand::rngs::SysRng).expect("OS entropy"))
    }
}

#[cfg(feature = "std")]
impl Entropy for OsEntropy {
    fn fill(&mut self, buf: &mut [u8]) {
        rand::Rng::fill_bytes(&mut self.0, buf);
    }
}

/// A deterministic source for tests: a counter-based sequence from a seed. **Not random.**
#[derive(Clone, Debug)]
pub struct FixedEntropy {
    state: u64,
}

impl FixedEntropy {
    /// A sequence determined by `seed`.
    pub const fn new(seed: u64) -> Self {
        Self { state: seed }
    }
}

impl Entropy for FixedEntropy {
    fn fill(&mut self, buf: &mut [u8]) {
        // splitmix64: well spread, fully predictable.
        for chunk in buf.chunks_mut(8) {
            self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.state;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^= z >> 31;
            let bytes = z.to_le_bytes();
            chunk.copy_from_slice(&bytes[..chunk.len()]);
        }
    }
}
