//! Time without a clock: the caller says what time it is.

use core::ops::{Add, Sub};
use core::time::Duration;

/// A point in time, measured from an origin the caller chose (for example the moment its
/// runtime started).
///
/// The core never reads a clock. Adapters keep one `std::time::Instant` as the origin and pass
/// `Instant::from_elapsed(origin.elapsed())` wherever a method takes `now`. Because it is a plain
/// [`Duration`] underneath, this type works under `no_std` and in simulated time.
///
/// ```
/// use core::time::Duration;
/// use tether_proto::Instant;
///
/// let t0 = Instant::ZERO;
/// let t1 = t0 + Duration::from_secs(5);
/// assert_eq!(t1 - t0, Duration::from_secs(5));
/// assert_eq!(t0.saturating_duration_since(t1), Duration::ZERO);
/// ```
#[derive(Clone, Copy, Debug, Default, Eq, Hash, Ord, PartialEq, PartialOrd)]
pub struct Instant(Duration);

impl Instant {
    /// The origin.
    pub const ZERO: Self = Self(Duration::ZERO);

    /// The instant `elapsed` after the origin.
    pub const fn from_elapsed(elapsed: Duration) -> Self {
        Self(elapsed)
    }

    /// How long after the origin this instant is.
    pub const fn elapsed(self) -> Duration {
        self.0
    }

    /// `self - earlier`, or zero when `earlier` is later than `self`.
    pub fn saturating_duration_since(self, earlier: Self) -> Duration {
        self.0.saturating_sub(earlier.0)
    }

    /// `self + d`, saturating at the largest representable instant.
    pub fn saturating_add(self, d: Duration) -> Self {
        Self(self.0.saturating_add(d))
    }
}

impl Add<Duration> for Instant {
    type Output = Self;

    /// Saturating: an instant far in the future stays far in the future.
    fn add(self, rhs: Duration) -> Self {
        self.saturating_add(rhs)
    }
}

impl Sub for Instant {
    type Output = Duration;

    /// Saturating: never panics, gives zero when `rhs` is later.
    fn sub(self, rhs: Self) -> Duration {
        self.saturating_duration_since(rhs)
    }
}
