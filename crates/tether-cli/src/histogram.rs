//! A fixed-size latency histogram in the manner of HdrHistogram: log-linear buckets with 64
//! linear steps per power of two, so any value is kept within 1/64 (1.6 %) of itself, in a
//! bounded array (no growth per sample). Recording is a few shifts and one increment.

/// Linear sub-buckets per power of two, as a power of two (2^7 = 128 first buckets, then 64
/// per doubling).
const PRECISION: u32 = 7;
const SUB: usize = 1 << PRECISION;
const HALF: usize = SUB / 2;
/// Buckets for every `u64`: the first `SUB` exact values, then `HALF` per doubling above.
const BUCKETS: usize = SUB + (64 - PRECISION as usize) * HALF;

/// Counts of values (nanoseconds, say) in log-linear buckets.
#[derive(Clone, Debug)]
pub struct Histogram {
    counts: Box<[u64; BUCKETS]>,
    total: u64,
    min: u64,
    max: u64,
}

impl Default for Histogram {
    fn default() -> Self {
        Self::new()
    }
}

/// The bucket holding `value`.
fn index(value: u64) -> usize {
    let bits = 64 - value.leading_zeros();
    if bits <= PRECISION {
        return value as usize; // < SUB
    }
    let shift = bits - PRECISION;
    // The top PRECISION bits, in [HALF, SUB).
    let top = (value >> shift) as usize;
    SUB + (shift as usize - 1) * HALF + (top - HALF)
}

/// The highest value in bucket `i`.
fn upper(i: usize) -> u64 {
    if i < SUB {
        return i as u64;
    }
    let k = i - SUB;
    let shift = (k / HALF + 1) as u32;
    let top = (k % HALF + HALF) as u64;
    ((top + 1) << shift).wrapping_sub(1)
}

impl Histogram {
    /// An empty histogram.
    pub fn new() -> Self {
        Self {
            counts: Box::new([0; BUCKETS]),
            total: 0,
            min: u64::MAX,
            max: 0,
        }
    }

    /// Counts one value.
    #[inline]
    pub fn record(&mut self, value: u64) {
        self.counts[index(value)] += 1;
        self.total += 1;
        self.min = self.min.min(value);
        self.max = self.max.max(value);
    }

    /// Adds another histogram's counts.
    pub fn merge(&mut self, other: &Self) {
        for (a, b) in self.counts.iter_mut().zip(other.counts.iter()) {
            *a += b;
        }
        self.total += other.total;
        self.min = self.min.min(other.min);
        self.max = self.max.max(other.max);
    }

    /// Values counted.
    pub fn len(&self) -> u64 {
        self.total
    }

    /// Whether nothing was counted.
    pub fn is_empty(&self) -> bool {
        self.total == 0
    }

    /// The largest value counted (0 when empty).
    pub fn max(&self) -> u64 {
        self.max
    }

    /// The smallest value counted (0 when empty).
    pub fn min(&self) -> u64 {
        if self.is_empty() { 0 } else { self.min }
    }

    /// The value below which `q` (0..=1) of the values fall: the top of its bucket, at most
    /// the maximum (0 when empty).
    pub fn quantile(&self, q: f64) -> u64 {
        if self.total == 0 {
            return 0;
        }
        let rank = ((q.clamp(0.0, 1.0) * self.total as f64).ceil() as u64).clamp(1, self.total);
        let mut seen = 0;
        for (i, &count) in self.counts.iter().enumerate() {
            seen += count;
            if seen >= rank {
                return upper(i).min(self.max).max(self.min);
            }
        }
        self.max
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_cover_every_value_in_order() {
        assert_eq!(index(0), 0);
        assert_eq!(index(127), 127);
        assert_eq!(index(128), 128);
        assert_eq!(index(u64::MAX), BUCKETS - 1);
        let mut values: Vec<u64> = (0..64u32)
            .flat_map(|shift| {
                let p = 1u64 << shift;
                [
                    p - 1,
                    p,
                    p + 1,
                    p.saturating_add(p / 2),
                    p.saturating_add(p - 1),
                ]
            })
            .collect();
        values.sort_unstable();
        let mut last = 0;
        for v in values {
            let i = index(v);
            assert!(i >= last, "value {v}: bucket {i} before {last}");
            assert!(
                upper(i) >= v,
                "value {v} above its bucket's top {}",
                upper(i)
            );
            assert!(upper(i) - v <= v / 64, "value {v}: bucket too wide");
            last = i;
        }
        for i in 0..BUCKETS {
            assert_eq!(index(upper(i)), i, "bucket {i}");
        }
    }

    #[test]
    fn quantiles_are_within_the_precision() {
        let mut h = Histogram::new();
        for v in 1..=100_000u64 {
            h.record(v * 1000);
        }
        assert_eq!(h.len(), 100_000);
        let p50 = h.quantile(0.5) as f64;
        let p99 = h.quantile(0.99) as f64;
        assert!((p50 / 50_000_000.0 - 1.0).abs() < 1.0 / 64.0, "p50 {p50}");
        assert!((p99 / 99_000_000.0 - 1.0).abs() < 1.0 / 64.0, "p99 {p99}");
        assert_eq!(h.quantile(1.0), 100_000_000);
        assert_eq!(h.max(), 100_000_000);
        assert_eq!(h.min(), 1000);

        let mut other = Histogram::new();
        other.record(7);
        h.merge(&other);
        assert_eq!(h.min(), 7);
        assert_eq!(h.quantile(0.0), 7);
        assert_eq!(Histogram::new().quantile(0.5), 0);
    }
}
