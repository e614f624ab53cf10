//! Virtual time: instants, sleeps, timeouts and intervals.
//!
//! The clock starts at zero and never reads the wall clock. It moves in two ways only: when no
//! task can run, the runtime jumps it to the earliest pending timer; and a task may push it
//! forward with [`advance`]. Timers due at the same instant fire in an order chosen by the
//! run's strategy, so same-instant races are explored like any other interleaving.

mod instant;
mod interval;
mod sleep;
mod timeout;

pub use std::time::Duration;

pub use crate::record::Instant;
pub use interval::{Interval, MissedTickBehavior, interval, interval_at};
pub use sleep::{Sleep, sleep, sleep_until};
pub use timeout::{Elapsed, Timeout, timeout, timeout_at};

use crate::engine::context;

/// Virtual time since the run began.
///
/// # Panics
///
/// Outside a running simulation.
///
/// ```
/// use sim::time::{elapsed, sleep, Duration};
///
/// sim::Runtime::new(0).block_on(async {
///     assert_eq!(elapsed(), Duration::ZERO);
///     sleep(Duration::from_secs(5)).await;
///     assert_eq!(elapsed(), Duration::from_secs(5));
/// }).unwrap();
/// ```
#[track_caller]
pub fn elapsed() -> Duration {
    context::with_core("sim::time::elapsed", |core| core.now().since_start())
}

/// Moves the virtual clock forward by `duration` at once, then yields, so that timers now due
/// fire (in deadline order; ties in the strategy's order) before the caller continues.
///
/// # Panics
///
/// Outside a running simulation.
///
/// ```
/// use sim::time::{advance, sleep, Duration};
///
/// let mut rt = sim::Builder::new().strategy(sim::Strategy::Fifo).build();
/// rt.block_on(async {
///     let sleeper = sim::spawn(sleep(Duration::from_secs(10)));
///     advance(Duration::from_secs(60)).await;
///     assert_eq!(sim::time::elapsed(), Duration::from_secs(60));
///     sim::task::yield_now().await;
///     assert!(sleeper.is_finished());
/// }).unwrap();
/// ```
#[track_caller]
pub fn advance(duration: Duration) -> impl std::future::Future<Output = ()> {
    context::with_core("sim::time::advance", |core| core.advance(duration));
    // Yield once, as `sim::task::yield_now` does (the time module sits below `task`).
    let mut yielded = false;
    std::future::poll_fn(move |cx| {
        if yielded {
            return std::task::Poll::Ready(());
        }
        yielded = true;
        cx.waker().wake_by_ref();
        std::task::Poll::Pending
    })
}
