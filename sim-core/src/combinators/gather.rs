//! `gather` and `gather_settled`: run futures as tasks, collect their results in input order.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::executor::JoinError;
use crate::task::JoinHandle;

/// Spawns each future as its own task and waits for all of them: asyncio's `gather`.
///
/// Resolves to the outputs in input order, or to the first failure (a task that panicked or
/// was cancelled) as soon as it is seen; the other tasks are then left running, as in asyncio
/// (use [`TaskGroup`](crate::task::TaskGroup) to cancel them instead). Dropping a `Gather`
/// before it resolves cancels every task it still waits for.
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
///     let out = sim::gather([3u64, 1, 2].map(|s| async move {
///         sleep(Duration::from_secs(s)).await;
///         s
///     }))
///     .await
///     .unwrap();
///     assert_eq!(out, [3, 1, 2]); // input order, not completion order
///     assert_eq!(sim::time::elapsed(), Duration::from_secs(3));
/// }).unwrap();
/// ```
#[track_caller]
pub fn gather<I, F>(futures: I) -> Gather<F::Output>
where
    I: IntoIterator<Item = F>,
    F: Future + 'static,
    F::Output: 'static,
{
    Gather {
        inner: Collect::spawn(futures),
    }
}

/// Like [`gather`], but waits for every task and returns each result, failures included:
/// asyncio's `gather(..., return_exceptions=True)`.
///
/// # Panics
///
/// Outside a running simulation.
///
/// ```
/// sim::Runtime::new(0).block_on(async {
///     let results = sim::gather_settled(vec![
///         Box::pin(async { 1 }) as std::pin::Pin<Box<dyn std::future::Future<Output = i32>>>,
///         Box::pin(async { panic!("two") }),
///     ])
///     .await;
///     assert_eq!(*results[0].as_ref().unwrap(), 1);
///     assert!(results[1].as_ref().unwrap_err().is_panic());
/// }).unwrap();
/// ```
#[track_caller]
pub fn gather_settled<I, F>(futures: I) -> GatherSettled<F::Output>
where
    I: IntoIterator<Item = F>,
    F: Future + 'static,
    F::Output: 'static,
{
    GatherSettled {
        inner: Collect::spawn(futures),
    }
}

/// The handles of a gather and the results so far.
struct Collect<T> {
    handles: Vec<Option<JoinHandle<T>>>,
    results: Vec<Option<Result<T, JoinError>>>,
    finished: bool,
}

impl<T: 'static> Collect<T> {
    #[track_caller]
    fn spawn<I, F>(futures: I) -> Collect<T>
    where
        I: IntoIterator<Item = F>,
        F: Future<Output = T> + 'static,
    {
        let handles: Vec<_> = futures
            .into_iter()
            .map(|f| Some(crate::task::spawn(f)))
            .collect();
        let results = handles.iter().map(|_| None).collect();
        Collect {
            handles,
            results,
            finished: false,
        }
    }

    /// Polls every pending handle; returns the index of a failure, if one just arrived.
    fn poll_all(&mut self, cx: &mut Context<'_>) -> Option<usize> {
        let mut failed = None;
        for (i, slot) in self.handles.iter_mut().enumerate() {
            let Some(handle) = slot else { continue };
            if let Poll::Ready(result) = Pin::new(handle).poll(cx) {
                *slot = None;
                if result.is_err() && failed.is_none() {
                    failed = Some(i);
                }
                self.results[i] = Some(result);
            }
        }
        failed
    }

    fn all_done(&self) -> bool {
        self.handles.iter().all(Option::is_none)
    }
}

impl<T> Drop for Collect<T> {
    fn drop(&mut self) {
        if !self.finished {
            for handle in self.handles.iter().flatten() {
                handle.abort();
            }
        }
    }
}

/// The future returned by [`gather`].
#[must_use = "futures do nothing unless awaited; dropping a Gather cancels its tasks"]
pub struct Gather<T> {
    inner: Collect<T>,
}

impl<T: 'static> Future for Gather<T> {
    type Output = Result<Vec<T>, JoinError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let inner = &mut self.inner;
        if let Some(i) = inner.poll_all(cx) {
            inner.finished = true; // the remaining tasks keep running
            let error = inner.results[i]
                .take()
                .and_then(Result::err)
                .expect("a failure");
            return Poll::Ready(Err(error));
        }
        if !inner.all_done() {
            return Poll::Pending;
        }
        inner.finished = true;
        let outputs = inner
            .results
            .iter_mut()
            .map(|r| r.take().and_then(Result::ok).expect("all ok"));
        Poll::Ready(Ok(outputs.collect()))
    }
}

impl<T> Unpin for Gather<T> {}

impl<T> fmt::Debug for Gather<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Gather")
            .field("tasks", &self.inner.handles.len())
            .finish()
    }
}

/// The future returned by [`gather_settled`].
#[must_use = "futures do nothing unless awaited; dropping a GatherSettled cancels its tasks"]
pub struct GatherSettled<T> {
    inner: Collect<T>,
}

impl<T: 'static> Future for GatherSettled<T> {
    type Output = Vec<Result<T, JoinError>>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let inner = &mut self.inner;
        inner.poll_all(cx);
        if !inner.all_done() {
            return Poll::Pending;
        }
        inner.finished = true;
        Poll::Ready(
            inner
                .results
                .iter_mut()
                .map(|r| r.take().expect("settled"))
                .collect(),
        )
    }
}

impl<T> Unpin for GatherSettled<T> {}

impl<T> fmt::Debug for GatherSettled<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GatherSettled")
            .field("tasks", &self.inner.handles.len())
            .finish()
    }
}
