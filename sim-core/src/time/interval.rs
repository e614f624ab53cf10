//! `interval`: a periodic tick in virtual time.

use std::future::poll_fn;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use super::{Instant, Sleep, sleep_until};

/// What an [`Interval`] does when ticks were missed because its task ran late (for example
/// after [`advance`](super::advance) jumped the clock past several periods).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MissedTickBehavior {
    /// Fire the missed ticks at once, one per `tick` call, until caught up. The default.
    #[default]
    Burst,
    /// Fire once now, then continue one period after now.
    Delay,
    /// Fire once now, then continue on the original grid, skipping the missed ticks.
    Skip,
}

/// A stream of ticks, one per `period`, the first at once.
///
/// # Panics
///
/// If `period` is zero, or outside a running simulation.
///
/// # Examples
///
/// ```
/// use sim::time::{interval, Duration};
///
/// sim::Runtime::new(0).block_on(async {
///     let mut every = interval(Duration::from_millis(100));
///     let mut ticks = Vec::new();
///     for _ in 0..3 {
///         ticks.push(every.tick().await.since_start().as_millis());
///     }
///     assert_eq!(ticks, [0, 100, 200]);
/// }).unwrap();
/// ```
#[track_caller]
pub fn interval(period: Duration) -> Interval {
    interval_at(Instant::now(), period)
}

/// A stream of ticks, one per `period`, the first at `start`.
///
/// # Panics
///
/// If `period` is zero, or outside a running simulation.
///
/// ```
/// use sim::time::{interval_at, Duration, Instant};
///
/// sim::Runtime::new(0).block_on(async {
///     let mut every = interval_at(Instant::now() + Duration::from_secs(1), Duration::from_secs(5));
///     assert_eq!(every.tick().await.since_start().as_secs(), 1);
///     assert_eq!(every.tick().await.since_start().as_secs(), 6);
/// }).unwrap();
/// ```
#[track_caller]
pub fn interval_at(start: Instant, period: Duration) -> Interval {
    assert!(
        !period.is_zero(),
        "`sim::time::interval` needs a period above zero"
    );
    Interval {
        period,
        sleep: sleep_until(start),
        missed: MissedTickBehavior::default(),
    }
}

/// Ticks at a fixed period of virtual time; made by [`interval`] or [`interval_at`].
#[derive(Debug)]
pub struct Interval {
    period: Duration,
    sleep: Sleep,
    missed: MissedTickBehavior,
}

impl Interval {
    /// Waits for the next tick and returns its scheduled instant.
    ///
    /// ```
    /// # sim::Runtime::new(0).block_on(async {
    /// let mut i = sim::time::interval(sim::time::Duration::from_secs(1));
    /// assert_eq!(i.tick().await.since_start().as_secs(), 0);
    /// # }).unwrap();
    /// ```
    pub async fn tick(&mut self) -> Instant {
        poll_fn(|cx| self.poll_tick(cx)).await
    }

    /// Polls for the next tick; for use in hand-written futures.
    ///
    /// ```
    /// # sim::Runtime::new(0).block_on(async {
    /// let mut i = sim::time::interval(sim::time::Duration::from_secs(1));
    /// let first = std::future::poll_fn(|cx| i.poll_tick(cx)).await;
    /// assert_eq!(first.since_start().as_secs(), 0);
    /// # }).unwrap();
    /// ```
    pub fn poll_tick(&mut self, cx: &mut Context<'_>) -> Poll<Instant> {
        if Pin::new(&mut self.sleep).poll(cx).is_pending() {
            return Poll::Pending;
        }
        let tick = self.sleep.deadline();
        let now = Instant::now();
        let next = match self.missed {
            MissedTickBehavior::Burst => tick.saturating_add(self.period),
            MissedTickBehavior::Delay => now.saturating_add(self.period),
            MissedTickBehavior::Skip => {
                let behind = now.duration_since(tick).as_nanos();
                let period = self.period.as_nanos();
                let periods = u32::try_from(behind / period + 1).unwrap_or(u32::MAX);
                tick.saturating_add(self.period.saturating_mul(periods))
            }
        };
        self.sleep.reset(next);
        Poll::Ready(tick)
    }

    /// Sets what happens to missed ticks.
    ///
    /// ```
    /// use sim::time::{advance, interval, Duration, MissedTickBehavior};
    ///
    /// sim::Runtime::new(0).block_on(async {
    ///     let mut i = interval(Duration::from_secs(1));
    ///     i.set_missed_tick_behavior(MissedTickBehavior::Skip);
    ///     i.tick().await; // t=0
    ///     advance(Duration::from_millis(3500)).await;
    ///     assert_eq!(i.tick().await.since_start().as_secs(), 1); // late, fired at t=3.5s
    ///     assert_eq!(i.tick().await.since_start().as_secs(), 4); // 2 and 3 skipped
    /// }).unwrap();
    /// ```
    pub fn set_missed_tick_behavior(&mut self, behavior: MissedTickBehavior) {
        self.missed = behavior;
    }

    /// The period.
    ///
    /// ```
    /// # sim::Runtime::new(0).block_on(async {
    /// let i = sim::time::interval(sim::time::Duration::from_secs(2));
    /// assert_eq!(i.period().as_secs(), 2);
    /// # }).unwrap();
    /// ```
    pub fn period(&self) -> Duration {
        self.period
    }

    /// Makes the next tick one period from now.
    ///
    /// ```
    /// use sim::time::{interval, Duration};
    ///
    /// sim::Runtime::new(0).block_on(async {
    ///     let mut i = interval(Duration::from_secs(1));
    ///     i.reset();
    ///     assert_eq!(i.tick().await.since_start().as_secs(), 1);
    /// }).unwrap();
    /// ```
    pub fn reset(&mut self) {
        let next = Instant::now().saturating_add(self.period);
        self.sleep.reset(next);
    }
}
