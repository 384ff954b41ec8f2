//! Level-1 compression of one whole small message from an empty history, without zlib-rs.
//!
//! With no context takeover every message is compressed from scratch, and zlib-rs then clears
//! its 128 KiB hash table (fixed in size, whatever the memory level) once per message: for a
//! 1.4 KB JSON message that clearing was most of the compressor's time. Here the hash table is
//! sized to the message (at most 2<sup>12</sup> entries, 8 KiB, on the stack) and the output is
//! what zlib's level 1 makes too: greedy LZ77 matches of at least 4 bytes, coded with the fixed
//! Huffman codes of RFC 1951 §3.2.6, in one non-final block, then the empty stored block of a
//! flush, minus the 4 bytes §7.2.1 of RFC 7692 removes. Distances stay within what zlib allows
//! itself in the same window (`2^bits - 262`), so a peer's inflater with that window (or an
//! 8-bit one, for 9) accepts every match.

use alloc::vec::Vec;

/// Messages up to this size are compressed here (positions fit the table's `u16`s).
pub(crate) const MAX_INPUT: usize = 16 << 10;

/// The shortest match coded (zlib's level 1 looks for 4 bytes too).
const MIN_MATCH: usize = 4;
/// The longest match RFC 1951 can code.
const MAX_MATCH: usize = 258;
/// What zlib keeps between the window's size and the farthest match (`MIN_LOOKAHEAD`).
const LOOKAHEAD: usize = 262;
const MAX_HASH_BITS: u32 = 12;
const MIN_HASH_BITS: u32 = 8;

/// Compresses `input` (at most [`MAX_INPUT`] bytes) for a peer whose window is 2<sup>`bits`</sup>
/// bytes, appending the deflate data to `out` without the §7.2.1 tail.
pub(crate) fn compress(input: &[u8], bits: u8, out: &mut Vec<u8>) {
    debug_assert!(input.len() <= MAX_INPUT);
    let max_dist = (1usize << bits.clamp(9, 15)) - LOOKAHEAD;
    // About one entry per two bytes of message: the table is cleared for every message.
    match usize::BITS - input.len().leading_zeros() {
        ..=9 => run::<{ 1 << MIN_HASH_BITS }>(input, max_dist, out),
        10..=11 => run::<1024>(input, max_dist, out),
        _ => run::<{ 1 << MAX_HASH_BITS }>(input, max_dist, out),
    }
}

/// [`compress`] with a hash table of `N` entries (a power of two).
fn run<const N: usize>(input: &[u8], max_dist: usize, out: &mut Vec<u8>) {
    let hash_bits = N.trailing_zeros();
    let mut table = [0u16; N];
    let mut w = BitWriter::new(out, input.len());
    // BFINAL 0, BTYPE 01: a block with the fixed codes.
    w.put(0b010, 3);
    let mut pos = 0;
    while pos + MIN_MATCH <= input.len() {
        let here = word(input, pos);
        let slot = (here.wrapping_mul(0x9E37_79B1) >> (32 - hash_bits)) as usize;
        // Entries hold a position + 1 (0: empty); positions are below MAX_INPUT < 2^16 - 1.
        let candidate = usize::from(table[slot]);
        table[slot] = (pos + 1) as u16;
        if candidate != 0 {
            let from = candidate - 1;
            let dist = pos - from;
            if dist <= max_dist && word(input, from) == here {
                let len = match_length(input, from, pos);
                w.matched(len, dist);
                pos += len;
                continue;
            }
        }
        w.literal(input[pos]);
        pos += 1;
    }
    for &byte in &input[pos..] {
        w.literal(byte);
    }
    // End of block, then the empty stored block of a flush: BFINAL 0, BTYPE 00, padding to a
    // byte; its LEN and NLEN (00 00 ff ff) are the tail §7.2.1 removes.
    w.put(0, 7);
    w.put(0, 3);
    w.finish();
}

/// `code`'s low `n` bits in reverse order: Huffman codes go out most significant bit first
/// (§3.1.1) into a stream written least significant bit first.
const fn reversed(code: u32, n: u32) -> u32 {
    let mut out = 0;
    let mut i = 0;
    while i < n {
        out |= ((code >> i) & 1) << (n - 1 - i);
        i += 1;
    }
    out
}

/// The fixed code of each literal/length symbol 0 to 285 (§3.2.6), reversed, and its length.
const FIXED: [(u16, u8); 286] = {
    let mut table = [(0, 0); 286];
    let mut symbol = 0;
    while symbol < 286 {
        let (code, n) = match symbol {
            0..=143 => (0x30 + symbol, 8),
            144..=255 => (0x190 + symbol - 144, 9),
            256..=279 => (symbol - 256, 7),
            _ => (0xc0 + symbol - 280, 8),
        };
        table[symbol as usize] = (reversed(code, n) as u16, n as u8);
        symbol += 1;
    }
    table
};

/// A match length's symbol (257 to 285) code and extra bits, as one run of bits (§3.2.5).
const fn length_bits(len: usize) -> (u32, u8) {
    let (symbol, extra, extra_bits) = if len == MAX_MATCH {
        (285, 0, 0)
    } else {
        let x = (len - 3) as u32;
        if x < 8 {
            (257 + x, 0, 0)
        } else {
            let top = 31 - x.leading_zeros();
            let extra_bits = top - 2;
            (
                257 + 4 * (top - 1) + ((x >> extra_bits) & 3),
                x & ((1 << extra_bits) - 1),
                extra_bits,
            )
        }
    };
    let (code, n) = FIXED[symbol as usize];
    (code as u32 | (extra << n), n + extra_bits as u8)
}

/// [`length_bits`] of every length up to [`MAX_MATCH`] (those below [`MIN_MATCH`] unused).
const LENGTHS: [(u32, u8); MAX_MATCH + 1] = {
    let mut table = [(0, 0); MAX_MATCH + 1];
    let mut len = MIN_MATCH;
    while len <= MAX_MATCH {
        table[len] = length_bits(len);
        len += 1;
    }
    table
};

/// A distance's 5-bit code and extra bits (§3.2.5), as one run of bits (at most 18).
#[inline]
fn distance_bits(dist: usize) -> (u32, u32) {
    let x = (dist - 1) as u32;
    if x < 4 {
        return (u32::from(DISTANCE[x as usize]), 5);
    }
    let top = 31 - x.leading_zeros();
    let extra_bits = top - 1;
    let symbol = 2 * top + ((x >> extra_bits) & 1);
    let extra = x & ((1 << extra_bits) - 1);
    (
        u32::from(DISTANCE[symbol as usize]) | (extra << 5),
        5 + extra_bits,
    )
}

/// The 5-bit code of each distance symbol 0 to 29, reversed.
const DISTANCE: [u8; 30] = {
    let mut table = [0; 30];
    let mut symbol = 0;
    while symbol < 30 {
        table[symbol as usize] = reversed(symbol, 5) as u8;
        symbol += 1;
    }
    table
};

/// How far the bytes at `pos` repeat those at `from` (which match for [`MIN_MATCH`] bytes),
/// up to [`MAX_MATCH`] and the end of the input; compared 8 bytes at a time.
#[inline]
fn match_length(input: &[u8], from: usize, pos: usize) -> usize {
    let limit = (input.len() - pos).min(MAX_MATCH);
    let mut len = MIN_MATCH;
    while len + 8 <= limit {
        let differ = long(input, from + len) ^ long(input, pos + len);
        if differ != 0 {
            return len + (differ.trailing_zeros() / 8) as usize;
        }
        len += 8;
    }
    while len < limit && input[from + len] == input[pos + len] {
        len += 1;
    }
    len
}

/// The 8 bytes at `at`, little-endian.
#[inline]
fn long(input: &[u8], at: usize) -> u64 {
    let mut bytes = [0; 8];
    bytes.copy_from_slice(&input[at..at + 8]);
    u64::from_le_bytes(bytes)
}

/// The 4 bytes at `at`, little-endian.
#[inline]
fn word(input: &[u8], at: usize) -> u32 {
    let mut bytes = [0; 4];
    bytes.copy_from_slice(&input[at..at + 4]);
    u32::from_le_bytes(bytes)
}

/// Bits out, least significant first (RFC 1951 §3.1.1).
struct BitWriter<'a> {
    out: &'a mut Vec<u8>,
    acc: u64,
    count: u32,
}

impl<'a> BitWriter<'a> {
    fn new(out: &'a mut Vec<u8>, len: usize) -> Self {
        // Literals take at most 9 bits each.
        out.reserve(len + len / 8 + 8);
        Self {
            out,
            acc: 0,
            count: 0,
        }
    }

    /// Appends the low `n` bits of `bits` (`n` ≤ 32).
    #[inline]
    fn put(&mut self, bits: u32, n: u32) {
        self.acc |= u64::from(bits) << self.count;
        self.count += n;
        if self.count >= 32 {
            self.out.extend_from_slice(&(self.acc as u32).to_le_bytes());
            self.acc >>= 32;
            self.count -= 32;
        }
    }

    /// A literal/length symbol in the fixed code (§3.2.6).
    #[inline]
    fn symbol(&mut self, symbol: usize) {
        let (code, n) = FIXED[symbol];
        self.put(u32::from(code), u32::from(n));
    }

    /// A literal byte.
    #[inline]
    fn literal(&mut self, byte: u8) {
        self.symbol(usize::from(byte));
    }

    /// A match: its length code and extra bits, then its distance code and extra bits, in one
    /// write (at most 13 + 18 bits).
    #[inline]
    fn matched(&mut self, len: usize, dist: usize) {
        let (length, length_n) = LENGTHS[len];
        let (distance, distance_n) = distance_bits(dist);
        self.put(
            length | (distance << length_n),
            u32::from(length_n) + distance_n,
        );
    }

    /// Writes the last bits, padded with zeros to a byte.
    fn finish(self) {
        let bytes = self.acc.to_le_bytes();
        self.out
            .extend_from_slice(&bytes[..self.count.div_ceil(8) as usize]);
    }
}

#[cfg(test)]
mod tests {
    use alloc::vec;
    use alloc::vec::Vec;

    use proptest::prelude::*;
    use zlib_rs::{Inflate, InflateFlush, Status};

    use super::*;

    /// Inflates `data` plus the §7.2.1 tail with a raw inflater of `bits`, as a peer would.
    fn inflate(data: &[u8], bits: u8) -> Vec<u8> {
        let mut inflater = Inflate::new(false, bits);
        let mut input = data.to_vec();
        input.extend_from_slice(&[0x00, 0x00, 0xff, 0xff]);
        let mut out = vec![0; MAX_INPUT * 2 + 64];
        let status = inflater.decompress(&input, &mut out, InflateFlush::SyncFlush);
        assert!(
            matches!(status, Ok(Status::Ok | Status::BufError)),
            "{status:?}"
        );
        assert_eq!(inflater.total_in(), input.len() as u64, "all input taken");
        out.truncate(inflater.total_out() as usize);
        out
    }

    fn round_trip(input: &[u8], bits: u8) -> usize {
        let mut out = vec![0xaa];
        compress(input, bits, &mut out);
        assert_eq!(out[0], 0xaa, "appended");
        assert_eq!(inflate(&out[1..], bits), input, "bits {bits}");
        out.len() - 1
    }

    fn json(len: usize) -> Vec<u8> {
        let mut s = Vec::new();
        let mut i = 0u32;
        while s.len() < len {
            s.extend_from_slice(
                alloc::format!(
                    r#"{{"id":{i},"user":"u{}","price":{}.{:02},"tags":["a","b"]}},"#,
                    i % 7,
                    i * 31 % 997,
                    i % 100
                )
                .as_bytes(),
            );
            i += 1;
        }
        s.truncate(len);
        s
    }

    #[test]
    fn rfc1951_3_2_6_fixed_codes_round_trip_through_zlib_at_every_window() {
        for bits in 8..=15 {
            for len in [0, 1, 3, 4, 5, 100, 1400, 4096, MAX_INPUT] {
                round_trip(&json(len), bits);
                round_trip(&vec![b'x'; len], bits);
            }
        }
    }

    #[test]
    fn every_length_and_distance_code_round_trips() {
        // A run of each length 4..=258 at distances spread over the window.
        for bits in [9, 12, 15] {
            let max_dist = ((1 << bits) - LOOKAHEAD).min(MAX_INPUT / 2);
            for dist in [1, 2, 3, 4, 5, 7, 8, 9, 200, 250, max_dist] {
                let mut input: Vec<u8> =
                    (0..dist as u32).map(|i| (i * 7 + i / 251) as u8).collect();
                for len in 4..=258 {
                    if input.len() + len + 1 > MAX_INPUT {
                        break;
                    }
                    let start = input.len() - dist;
                    for k in 0..len {
                        let b = input[start + k];
                        input.push(b);
                    }
                    input.push(len as u8 ^ 0x5a);
                }
                round_trip(&input, bits);
            }
        }
    }

    /// zlib-rs at level 1, a whole message with a sync flush, the tail removed.
    fn zlib_level_1(input: &[u8], bits: u8) -> usize {
        let mut config = zlib_rs::DeflateConfig::new(1);
        config.window_bits = -i32::from(bits);
        let mut c = zlib_rs::Deflate::new_with_config(config);
        let mut out = vec![0; input.len() * 2 + 64];
        let status = c.compress(input, &mut out, zlib_rs::DeflateFlush::SyncFlush);
        assert_eq!(status, Ok(Status::Ok));
        c.total_out() as usize - 4
    }

    #[test]
    fn messages_shrink_as_much_as_zlib_level_1_makes_them() {
        for len in [200, 1400, 4096, MAX_INPUT] {
            for bits in [9, 12, 15] {
                let input = json(len);
                let (ours, zlib) = (round_trip(&input, bits), zlib_level_1(&input, bits));
                assert!(
                    ours * 100 <= zlib * 105,
                    "{len} B, {bits} bits: {ours} against {zlib}"
                );
            }
        }
    }

    #[test]
    fn rfc7692_matches_stay_inside_a_9_bit_window_for_an_8_bit_peer() {
        // Repeats 300 bytes apart are too far for a 256-byte window: never referenced.
        let mut seed = 0x2545_f491_u32;
        let block: Vec<u8> = (0..300)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 17;
                seed ^= seed << 5;
                seed as u8
            })
            .collect();
        let input = [block.clone(), block.clone(), block].concat();
        let n = round_trip(&input, 9);
        assert!(n >= input.len(), "no match across 300 bytes: {n}");
        assert_eq!(inflate_checked_window(&input, 8), input);
    }

    /// Compressed for 9 bits, inflated by an 8-bit window (zlib raises raw 8 to 9 only when
    /// compressing).
    fn inflate_checked_window(input: &[u8], bits: u8) -> Vec<u8> {
        let mut out = Vec::new();
        compress(input, 9, &mut out);
        inflate(&out, bits)
    }

    proptest! {
        #[test]
        fn any_input_round_trips(
            input in prop::collection::vec(prop::sample::select(vec![b'a', b'b', b'c', b'{', b'"', 0, 255]), 0..3000),
            bits in 9u8..=15,
        ) {
            round_trip(&input, bits);
        }

        #[test]
        fn random_bytes_round_trip(input in prop::collection::vec(any::<u8>(), 0..2000), bits in 9u8..=15) {
            round_trip(&input, bits);
        }
    }
}
