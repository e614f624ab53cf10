//! A rate limiter on virtual time: at most `limit` acquisitions per `period`, in any window
//! `[t, t + period)`. Used by the `rate_limiter` example and property-tested by
//! `tests/asyncio_rate_limit.rs`.
//!
//! The limiter is a semaphore of `limit` permits. Each acquisition takes a permit and hands it
//! back exactly one `period` later, from a small task of its own, so whatever the caller does
//! afterwards (finish early, run long, be cancelled), the permit is busy for one period.

use std::rc::Rc;

use sim::sync::Semaphore;
use sim::time::{Duration, Instant, sleep_until};

/// At most `limit` acquisitions per `period` of virtual time; waiters are served in FIFO order.
#[derive(Debug, Clone)]
pub struct RateLimiter {
    permits: Rc<Semaphore>,
    period: Duration,
}

impl RateLimiter {
    /// A limiter allowing `limit` acquisitions in any window of length `period`.
    pub fn new(limit: usize, period: Duration) -> RateLimiter {
        RateLimiter {
            permits: Rc::new(Semaphore::new(limit)),
            period,
        }
    }

    /// Waits until one more acquisition fits in the limit, and takes it.
    ///
    /// Cancel-safe: dropped while waiting, it takes nothing; once it has the permit, the
    /// release is scheduled in the same step, with no await in between.
    pub async fn acquire(&self) {
        let permit = Rc::clone(&self.permits).acquire_owned().await;
        let release_at = Instant::now() + self.period;
        drop(sim::spawn(async move {
            sleep_until(release_at).await;
            drop(permit);
        }));
    }
}
