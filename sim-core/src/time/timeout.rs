//! `timeout` and `timeout_at`: bound a future by virtual time.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use pin_project_lite::pin_project;
use std::panic::Location;

use crate::engine::context;

use super::{Instant, Sleep, sleep, sleep_until};

/// Runs `future` for at most `duration` of virtual time.
///
/// Resolves to `Ok(output)` if the future finishes first, or to `Err(Elapsed)` at the deadline,
/// when the future is dropped (cancelled) on the spot: asyncio's `wait_for` on a coroutine. The
/// future is polled before the deadline is checked, so a future that becomes ready at the very
/// instant of the deadline wins.
///
/// To bound the *wait* for a task without cancelling the task, time out a mutable borrow of its
/// handle: `timeout(d, &mut handle)`; the task keeps running and the handle stays usable.
///
/// # Panics
///
/// Outside a running simulation.
///
/// # Examples
///
/// ```
/// use sim::time::{sleep, timeout, Duration};
///
/// sim::Runtime::new(0).block_on(async {
///     let slow = timeout(Duration::from_secs(1), sleep(Duration::from_secs(2))).await;
///     assert!(slow.is_err());
///     assert_eq!(sim::time::elapsed(), Duration::from_secs(1));
///
///     let fast = timeout(Duration::from_secs(1), async { 7 }).await;
///     assert_eq!(fast.unwrap(), 7);
/// }).unwrap();
/// ```
#[track_caller]
pub fn timeout<F: Future>(duration: Duration, future: F) -> Timeout<F> {
    Timeout {
        future: Some(future),
        sleep: sleep(duration),
        site: Location::caller(),
    }
}

/// Runs `future` until the virtual clock reaches `deadline`; see [`timeout`].
///
/// # Panics
///
/// Outside a running simulation.
///
/// ```
/// use sim::time::{sleep, timeout_at, Duration, Instant};
///
/// sim::Runtime::new(0).block_on(async {
///     let deadline = Instant::now() + Duration::from_millis(10);
///     let err = timeout_at(deadline, std::future::pending::<()>()).await.unwrap_err();
///     assert_eq!(err.deadline(), deadline);
/// }).unwrap();
/// ```
#[track_caller]
pub fn timeout_at<F: Future>(deadline: Instant, future: F) -> Timeout<F> {
    Timeout {
        future: Some(future),
        sleep: sleep_until(deadline),
        site: Location::caller(),
    }
}

pin_project! {
    /// The future returned by [`timeout`] and [`timeout_at`].
    #[must_use = "futures do nothing unless awaited"]
    pub struct Timeout<F> {
        #[pin]
        future: Option<F>,
        sleep: Sleep,
        site: &'static Location<'static>,
    }
}

impl<F> Timeout<F> {
    /// The instant at which the inner future is cancelled.
    ///
    /// ```
    /// # sim::Runtime::new(0).block_on(async {
    /// use sim::time::{timeout, Duration};
    /// let t = timeout(Duration::from_secs(3), async {});
    /// assert_eq!(t.deadline().since_start().as_secs(), 3);
    /// # }).unwrap();
    /// ```
    pub fn deadline(&self) -> Instant {
        self.sleep.deadline()
    }
}

impl<F: Future> Future for Timeout<F> {
    type Output = Result<F::Output, Elapsed>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        let Some(future) = this.future.as_mut().as_pin_mut() else {
            panic!("`Timeout` polled after it completed");
        };
        if let Poll::Ready(output) = future.poll(cx) {
            this.future.set(None);
            return Poll::Ready(Ok(output));
        }
        // Cancellation injection: the checker may make this pending point the one where the
        // timeout expires, to test the inner future's cancellation at every await.
        if context::try_core().is_some_and(|core| core.injection_point(this.site)) {
            this.future.set(None);
            return Poll::Ready(Err(Elapsed {
                deadline: Instant::now(),
            }));
        }
        match Pin::new(&mut *this.sleep).poll(cx) {
            Poll::Ready(()) => {
                // Cancel the inner future at the deadline, not whenever `Timeout` is dropped.
                this.future.set(None);
                Poll::Ready(Err(Elapsed {
                    deadline: this.sleep.deadline(),
                }))
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<F> fmt::Debug for Timeout<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Timeout")
            .field("deadline", &self.sleep.deadline())
            .finish()
    }
}

/// A [`timeout`] expired; the future it bounded was dropped.
///
/// ```
/// # sim::Runtime::new(0).block_on(async {
/// use sim::time::{timeout, Duration};
/// let err = timeout(Duration::from_secs(2), std::future::pending::<()>()).await.unwrap_err();
/// assert_eq!(err.to_string(), "deadline elapsed at t=2s");
/// # }).unwrap();
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Elapsed {
    deadline: Instant,
}

impl Elapsed {
    pub(crate) fn new(deadline: Instant) -> Elapsed {
        Elapsed { deadline }
    }

    /// The deadline that passed.
    ///
    /// ```
    /// # sim::Runtime::new(0).block_on(async {
    /// use sim::time::{timeout, Duration};
    /// let err = timeout(Duration::from_secs(1), std::future::pending::<()>()).await.unwrap_err();
    /// assert_eq!(err.deadline().since_start().as_secs(), 1);
    /// # }).unwrap();
    /// ```
    pub fn deadline(&self) -> Instant {
        self.deadline
    }
}

impl fmt::Display for Elapsed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "deadline elapsed at t={:?}", self.deadline.since_start())
    }
}

impl std::error::Error for Elapsed {}
