//! `wait_for` and `shield`: asyncio's timeout-and-cancel on a task, and its protection.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use crate::executor::JoinError;
use crate::task::JoinHandle;
use crate::time::{Elapsed, Sleep, sleep};

/// Waits for a task for at most `timeout`; on expiry cancels it and waits until it has really
/// ended: asyncio's `wait_for` on a task.
///
/// Resolves to `Ok(result)` if the task finished in time, or `Err(Elapsed)` after the task was
/// cancelled and its future dropped (a value it produced after the deadline is dropped too).
/// Dropping a pending `WaitFor` cancels the task, as cancelling the waiter of an asyncio
/// `wait_for` cancels what it waits for. To time out the wait but not the task, use
/// [`shield`] (`wait_for(d, shield(fut))` gives up the wait at the deadline and leaves the
/// shielded task running) or `timeout(d, &mut handle)`.
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
///     let slow = sim::spawn(async { sleep(Duration::from_secs(2)).await; 2 });
///     let id = slow.id();
///     let err = sim::wait_for(Duration::from_secs(1), slow).await.unwrap_err();
///     assert_eq!(err.deadline().since_start(), Duration::from_secs(1));
///     let _ = id; // the task was cancelled and has ended
/// }).unwrap();
/// ```
#[track_caller]
pub fn wait_for<T>(timeout: Duration, handle: JoinHandle<T>) -> WaitFor<T> {
    WaitFor {
        handle: Some(handle),
        sleep: sleep(timeout),
        phase: Phase::Waiting,
    }
}

/// Where a [`WaitFor`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Waiting for the task, or the deadline.
    Waiting,
    /// The deadline passed; the task was aborted; waiting for it to end.
    Cancelling,
    /// Resolved.
    Done,
}

/// The future returned by [`wait_for`].
#[must_use = "futures do nothing unless awaited; dropping a WaitFor cancels its task"]
pub struct WaitFor<T> {
    handle: Option<JoinHandle<T>>,
    sleep: Sleep,
    phase: Phase,
}

impl<T: 'static> Future for WaitFor<T> {
    type Output = Result<Result<T, JoinError>, Elapsed>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        let handle = this
            .handle
            .as_mut()
            .expect("`WaitFor` polled after it completed");
        if let Poll::Ready(result) = Pin::new(&mut *handle).poll(cx) {
            this.handle = None;
            let timed_out = this.phase == Phase::Cancelling;
            this.phase = Phase::Done;
            return Poll::Ready(if timed_out {
                Err(this.elapsed())
            } else {
                Ok(result)
            });
        }
        if this.phase == Phase::Waiting && Pin::new(&mut this.sleep).poll(cx).is_ready() {
            if handle.is_shielded() {
                // asyncio's `wait_for(shield(x))`: the wait is cancelled, `x` runs on.
                this.handle = None;
                this.phase = Phase::Done;
                return Poll::Ready(Err(this.elapsed()));
            }
            handle.abort();
            this.phase = Phase::Cancelling;
        }
        Poll::Pending
    }
}

impl<T> WaitFor<T> {
    fn elapsed(&self) -> Elapsed {
        Elapsed::new(self.sleep.deadline())
    }
}

impl<T> Drop for WaitFor<T> {
    fn drop(&mut self) {
        if let Some(handle) = &self.handle
            && !handle.is_shielded()
        {
            handle.abort();
        }
    }
}

impl<T> Unpin for WaitFor<T> {}

impl<T> fmt::Debug for WaitFor<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WaitFor")
            .field("phase", &self.phase)
            .finish_non_exhaustive()
    }
}

/// Runs `future` as its own task, protected from cancellation of whoever awaits it: asyncio's
/// `shield`.
///
/// The returned handle can be awaited, timed out (`timeout(d, &mut handle)`), given to
/// [`wait_for`] (which, on expiry, gives up the wait but does not cancel a shielded task, as
/// asyncio's `wait_for(shield(x))` leaves `x` running), or dropped, and none of that cancels
/// the work: it keeps running, and its result stays retrievable through the handle while you
/// hold it (only an explicit `abort`/`cancel` on the handle stops it).
///
/// # Panics
///
/// Outside a running simulation.
///
/// ```
/// use sim::time::{sleep, timeout, Duration};
///
/// sim::Runtime::new(0).block_on(async {
///     let mut work = sim::shield(async { sleep(Duration::from_secs(2)).await; 2 });
///     assert!(timeout(Duration::from_secs(1), &mut work).await.is_err()); // t=1s
///     assert_eq!(work.await.unwrap(), 2); // not cancelled: finishes at t=2s
///     assert_eq!(sim::time::elapsed(), Duration::from_secs(2));
/// }).unwrap();
/// ```
#[track_caller]
pub fn shield<F>(future: F) -> JoinHandle<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
{
    crate::task::Builder::new()
        .name("shielded")
        .spawn(future)
        .shielded()
}
