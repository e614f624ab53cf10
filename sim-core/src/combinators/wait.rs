//! `wait` and `wait_timeout`: wait for some or all of a set of tasks (asyncio's `wait`).

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use crate::executor::JoinError;
use crate::record::TaskId;
use crate::task::JoinHandle;
use crate::time::{Sleep, sleep};

/// When [`wait`] returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReturnWhen {
    /// As soon as any task has finished.
    FirstCompleted,
    /// As soon as any task has panicked, or when all have finished. (A task cancelled through
    /// its handle is not an exception, as in asyncio.)
    FirstException,
    /// When every task has finished.
    AllCompleted,
}

/// Tasks that finished, with their ids and results, and the handles of those still running.
pub type Finished<T> = (Vec<(TaskId, Result<T, JoinError>)>, Vec<JoinHandle<T>>);

/// Waits for tasks until `when` holds, then returns `(done, pending)`, each in input order.
///
/// The pending tasks are not cancelled: their handles come back. Dropping the future before it
/// resolves drops the handles, which detaches the tasks (they keep running), as cancelling
/// asyncio's `wait` leaves its tasks alone.
///
/// # Examples
///
/// ```
/// use sim::time::{sleep, Duration};
/// use sim::ReturnWhen;
///
/// sim::Runtime::new(0).block_on(async {
///     let fast = sim::spawn(async { sleep(Duration::from_secs(1)).await; "fast" });
///     let slow = sim::spawn(async { sleep(Duration::from_secs(5)).await; "slow" });
///     let (done, pending) = sim::wait([fast, slow], ReturnWhen::FirstCompleted).await;
///     assert_eq!(done.len(), 1);
///     assert_eq!(*done[0].1.as_ref().unwrap(), "fast");
///     assert_eq!(sim::time::elapsed(), Duration::from_secs(1));
///     let (done, _) = sim::wait(pending, ReturnWhen::AllCompleted).await;
///     assert_eq!(*done[0].1.as_ref().unwrap(), "slow");
/// }).unwrap();
/// ```
pub fn wait<T, I>(handles: I, when: ReturnWhen) -> WaitTasks<T>
where
    I: IntoIterator<Item = JoinHandle<T>>,
{
    WaitTasks::new(handles, when, None)
}

/// Like [`wait`], but returns after `timeout` of virtual time at the latest, with whatever has
/// finished by then.
///
/// # Panics
///
/// Outside a running simulation.
///
/// ```
/// use sim::time::{sleep, Duration};
/// use sim::ReturnWhen;
///
/// sim::Runtime::new(0).block_on(async {
///     let slow = sim::spawn(sleep(Duration::from_secs(10)));
///     let (done, pending) =
///         sim::wait_timeout([slow], ReturnWhen::AllCompleted, Duration::from_secs(2)).await;
///     assert!(done.is_empty());
///     assert_eq!(pending.len(), 1);
///     assert_eq!(sim::time::elapsed(), Duration::from_secs(2));
/// }).unwrap();
/// ```
#[track_caller]
pub fn wait_timeout<T, I>(handles: I, when: ReturnWhen, timeout: Duration) -> WaitTasks<T>
where
    I: IntoIterator<Item = JoinHandle<T>>,
{
    WaitTasks::new(handles, when, Some(sleep(timeout)))
}

/// The future returned by [`wait`] and [`wait_timeout`].
#[must_use = "futures do nothing unless awaited"]
pub struct WaitTasks<T> {
    pending: Vec<Option<JoinHandle<T>>>,
    done: Vec<Option<(TaskId, Result<T, JoinError>)>>,
    when: ReturnWhen,
    timeout: Option<Sleep>,
}

impl<T> WaitTasks<T> {
    fn new<I>(handles: I, when: ReturnWhen, timeout: Option<Sleep>) -> WaitTasks<T>
    where
        I: IntoIterator<Item = JoinHandle<T>>,
    {
        let pending: Vec<_> = handles.into_iter().map(Some).collect();
        let done = pending.iter().map(|_| None).collect();
        WaitTasks {
            pending,
            done,
            when,
            timeout,
        }
    }

    fn finish(&mut self) -> Finished<T> {
        let done = self.done.iter_mut().filter_map(Option::take).collect();
        let pending = self.pending.iter_mut().filter_map(Option::take).collect();
        (done, pending)
    }
}

impl<T: 'static> Future for WaitTasks<T> {
    type Output = Finished<T>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Finished<T>> {
        let this = &mut *self;
        let mut any_done = false;
        let mut any_panic = false;
        for (i, slot) in this.pending.iter_mut().enumerate() {
            let Some(handle) = slot else { continue };
            if let Poll::Ready(result) = Pin::new(&mut *handle).poll(cx) {
                any_panic |= result.as_ref().is_err_and(JoinError::is_panic);
                this.done[i] = Some((handle.id(), result));
                *slot = None;
            }
        }
        for done in this.done.iter().flatten() {
            any_done = true;
            any_panic |= done.1.as_ref().is_err_and(JoinError::is_panic);
        }
        let all_done = this.pending.iter().all(Option::is_none);
        let ready = all_done
            || match this.when {
                ReturnWhen::FirstCompleted => any_done,
                ReturnWhen::FirstException => any_panic,
                ReturnWhen::AllCompleted => false,
            };
        if ready {
            return Poll::Ready(this.finish());
        }
        if let Some(timeout) = &mut this.timeout
            && Pin::new(timeout).poll(cx).is_ready()
        {
            return Poll::Ready(this.finish());
        }
        Poll::Pending
    }
}

impl<T> Unpin for WaitTasks<T> {}

impl<T> fmt::Debug for WaitTasks<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WaitTasks")
            .field("when", &self.when)
            .finish_non_exhaustive()
    }
}
