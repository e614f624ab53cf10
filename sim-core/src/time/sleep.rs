//! `sleep` and `sleep_until`.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::Duration;

use super::Instant;
use crate::engine::Core;
use crate::engine::TimerKey;
use crate::engine::context;

/// Waits until `duration` of virtual time has passed.
///
/// The deadline is fixed when `sleep` is called. A zero duration completes at the first poll,
/// without yielding.
///
/// # Panics
///
/// Outside a running simulation.
///
/// # Examples
///
/// ```
/// use sim::time::{sleep, Duration};
///
/// sim::Runtime::new(0).block_on(async {
///     sleep(Duration::from_secs(2)).await;
///     sleep(Duration::from_secs(2)).await;
///     assert_eq!(sim::time::elapsed(), Duration::from_secs(4)); // one after the other
/// }).unwrap();
/// ```
#[track_caller]
pub fn sleep(duration: Duration) -> Sleep {
    context::with_core("sim::time::sleep", |core| {
        let deadline = core.now().saturating_add(duration);
        Sleep::new(Rc::clone(core), deadline)
    })
}

/// Waits until the virtual clock reaches `deadline`. A deadline in the past completes at the
/// first poll.
///
/// # Panics
///
/// Outside a running simulation.
///
/// ```
/// use sim::time::{sleep_until, Duration, Instant};
///
/// sim::Runtime::new(0).block_on(async {
///     let at = Instant::now() + Duration::from_millis(250);
///     sleep_until(at).await;
///     assert_eq!(Instant::now(), at);
/// }).unwrap();
/// ```
#[track_caller]
pub fn sleep_until(deadline: Instant) -> Sleep {
    context::with_core("sim::time::sleep_until", |core| {
        Sleep::new(Rc::clone(core), deadline)
    })
}

/// The future returned by [`sleep`] and [`sleep_until`].
#[must_use = "futures do nothing unless awaited"]
pub struct Sleep {
    core: Rc<Core>,
    deadline: Instant,
    timer: Option<TimerKey>,
}

impl Sleep {
    pub(crate) fn new(core: Rc<Core>, deadline: Instant) -> Sleep {
        Sleep {
            core,
            deadline,
            timer: None,
        }
    }

    /// The instant this sleep completes at.
    ///
    /// ```
    /// # sim::Runtime::new(0).block_on(async {
    /// use sim::time::{sleep, Duration};
    /// assert_eq!(sleep(Duration::from_secs(1)).deadline().since_start(), Duration::from_secs(1));
    /// # }).unwrap();
    /// ```
    pub fn deadline(&self) -> Instant {
        self.deadline
    }

    /// Whether the deadline has been reached.
    ///
    /// ```
    /// # sim::Runtime::new(0).block_on(async {
    /// use sim::time::{sleep, Duration};
    /// assert!(sleep(Duration::ZERO).is_elapsed());
    /// assert!(!sleep(Duration::from_secs(1)).is_elapsed());
    /// # }).unwrap();
    /// ```
    pub fn is_elapsed(&self) -> bool {
        self.core.now() >= self.deadline
    }

    /// Moves the deadline; the sleep can be awaited again afterwards.
    ///
    /// ```
    /// use sim::time::{sleep, Duration, Instant};
    ///
    /// sim::Runtime::new(0).block_on(async {
    ///     let mut s = sleep(Duration::from_secs(10));
    ///     s.reset(Instant::now() + Duration::from_secs(1));
    ///     (&mut s).await;
    ///     assert_eq!(sim::time::elapsed(), Duration::from_secs(1));
    /// }).unwrap();
    /// ```
    pub fn reset(&mut self, deadline: Instant) {
        self.disarm();
        self.deadline = deadline;
    }

    fn disarm(&mut self) {
        if let Some(timer) = self.timer.take() {
            self.core.disarm_timer(timer);
        }
    }
}

impl Future for Sleep {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.core.now() >= self.deadline {
            self.disarm();
            return Poll::Ready(());
        }
        if self.deadline == Instant::NEVER {
            // Beyond the representable range (`sleep(Duration::MAX)`): never fires, and arms
            // nothing, so a run waiting only on it is reported as a deadlock.
            return Poll::Pending;
        }
        let rearmed = match self.timer {
            Some(timer) => self.core.rearm_timer(timer, cx.waker()),
            None => false,
        };
        if !rearmed {
            let timer = self.core.arm_timer(self.deadline, cx.waker());
            self.timer = Some(timer);
        }
        Poll::Pending
    }
}

impl Drop for Sleep {
    fn drop(&mut self) {
        self.disarm();
    }
}

impl fmt::Debug for Sleep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sleep")
            .field("deadline", &self.deadline)
            .finish()
    }
}
