//! Virtual instants: the value type and its arithmetic. Reading the clock (`Instant::now`,
//! `Instant::elapsed`) is in the public `time` module, which knows the running engine.

use std::fmt;
use std::ops::{Add, AddAssign, Sub, SubAssign};
use std::time::Duration;

/// A point in virtual time, measured from the start of the run.
///
/// Shaped like `std::time::Instant`, but [`Instant::now`] reads the simulation's clock, which
/// starts at zero and moves only when every task is waiting (to the next timer) or when a task
/// calls [`advance`](crate::time::advance). It never reads the wall clock.
///
/// # Examples
///
/// ```
/// use sim::time::{sleep, Duration, Instant};
///
/// sim::Runtime::new(0).block_on(async {
///     let start = Instant::now();
///     sleep(Duration::from_millis(1500)).await;
///     assert_eq!(start.elapsed(), Duration::from_millis(1500));
///     assert_eq!(Instant::now() - start, Duration::from_millis(1500));
/// }).unwrap();
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Instant {
    nanos: u64,
}

impl Instant {
    pub(crate) const ZERO: Instant = Instant { nanos: 0 };

    /// Where saturating arithmetic ends: a deadline no timer reaches.
    pub(crate) const NEVER: Instant = Instant { nanos: u64::MAX };

    pub(crate) fn from_nanos(nanos: u64) -> Instant {
        Instant { nanos }
    }

    pub(crate) fn as_nanos(self) -> u64 {
        self.nanos
    }

    /// Virtual time from the start of the run to this instant.
    ///
    /// ```
    /// # sim::Runtime::new(0).block_on(async {
    /// let later = sim::time::Instant::now() + sim::time::Duration::from_secs(3);
    /// assert_eq!(later.since_start().as_secs(), 3);
    /// # }).unwrap();
    /// ```
    pub fn since_start(self) -> Duration {
        Duration::from_nanos(self.nanos)
    }

    /// The time from `earlier` to `self`; zero if `earlier` is later.
    ///
    /// ```
    /// # sim::Runtime::new(0).block_on(async {
    /// let a = sim::time::Instant::now();
    /// let b = a + sim::time::Duration::from_secs(2);
    /// assert_eq!(b.duration_since(a).as_secs(), 2);
    /// assert_eq!(a.duration_since(b).as_secs(), 0);
    /// # }).unwrap();
    /// ```
    pub fn duration_since(self, earlier: Instant) -> Duration {
        self.saturating_duration_since(earlier)
    }

    /// The time from `earlier` to `self`, or `None` if `earlier` is later.
    ///
    /// ```
    /// # sim::Runtime::new(0).block_on(async {
    /// let a = sim::time::Instant::now();
    /// assert!(a.checked_duration_since(a + sim::time::Duration::from_secs(1)).is_none());
    /// # }).unwrap();
    /// ```
    pub fn checked_duration_since(self, earlier: Instant) -> Option<Duration> {
        self.nanos
            .checked_sub(earlier.nanos)
            .map(Duration::from_nanos)
    }

    /// The time from `earlier` to `self`; zero if `earlier` is later.
    ///
    /// ```
    /// # sim::Runtime::new(0).block_on(async {
    /// let a = sim::time::Instant::now();
    /// assert!(a.saturating_duration_since(a).is_zero());
    /// # }).unwrap();
    /// ```
    pub fn saturating_duration_since(self, earlier: Instant) -> Duration {
        Duration::from_nanos(self.nanos.saturating_sub(earlier.nanos))
    }

    /// `self + d`, or `None` if the result is beyond the representable range (about 584 years).
    ///
    /// ```
    /// # sim::Runtime::new(0).block_on(async {
    /// assert!(sim::time::Instant::now().checked_add(sim::time::Duration::MAX).is_none());
    /// # }).unwrap();
    /// ```
    pub fn checked_add(self, d: Duration) -> Option<Instant> {
        let d = u64::try_from(d.as_nanos()).ok()?;
        self.nanos.checked_add(d).map(Instant::from_nanos)
    }

    /// `self - d`, or `None` if the result is before the start of the run.
    ///
    /// ```
    /// # sim::Runtime::new(0).block_on(async {
    /// assert!(sim::time::Instant::now().checked_sub(sim::time::Duration::from_nanos(1)).is_none());
    /// # }).unwrap();
    /// ```
    pub fn checked_sub(self, d: Duration) -> Option<Instant> {
        let d = u64::try_from(d.as_nanos()).ok()?;
        self.nanos.checked_sub(d).map(Instant::from_nanos)
    }

    /// `self + d`, saturating at the largest representable instant (which no timer reaches).
    pub(crate) fn saturating_add(self, d: Duration) -> Instant {
        self.checked_add(d).unwrap_or(Instant::NEVER)
    }
}

impl Add<Duration> for Instant {
    type Output = Instant;

    /// # Panics
    ///
    /// If the result overflows; use [`Instant::checked_add`] to handle that.
    fn add(self, d: Duration) -> Instant {
        self.checked_add(d)
            .expect("overflow when adding a duration to a sim::time::Instant")
    }
}

impl AddAssign<Duration> for Instant {
    fn add_assign(&mut self, d: Duration) {
        *self = *self + d;
    }
}

impl Sub<Duration> for Instant {
    type Output = Instant;

    /// # Panics
    ///
    /// If the result is before the start of the run.
    fn sub(self, d: Duration) -> Instant {
        self.checked_sub(d)
            .expect("sim::time::Instant minus a duration is before the run began")
    }
}

impl SubAssign<Duration> for Instant {
    fn sub_assign(&mut self, d: Duration) {
        *self = *self - d;
    }
}

impl Sub<Instant> for Instant {
    type Output = Duration;

    /// Saturates at zero, like `std::time::Instant`.
    fn sub(self, earlier: Instant) -> Duration {
        self.saturating_duration_since(earlier)
    }
}

impl fmt::Debug for Instant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Instant(t={:?})", self.since_start())
    }
}
