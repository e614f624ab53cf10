//! `as_completed`: a stream of task results in completion order.

use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures::Stream;

use crate::executor::JoinError;
use crate::task::JoinHandle;

/// Yields each task's result as it finishes: asyncio's `as_completed`, as a
/// [`Stream`](futures::Stream).
///
/// Tasks that finish at the same step come out in the order they finished (their completion
/// order in the run), not in input order. Dropping the stream drops the remaining handles,
/// which detaches those tasks.
///
/// # Examples
///
/// ```
/// use futures::StreamExt;
/// use sim::time::{sleep, Duration};
///
/// sim::Runtime::new(0).block_on(async {
///     let tasks = [3u64, 1, 2].map(|s| sim::spawn(async move {
///         sleep(Duration::from_secs(s)).await;
///         s
///     }));
///     let mut results = sim::as_completed(tasks);
///     let mut order = Vec::new();
///     while let Some(r) = results.next().await {
///         order.push((r.unwrap(), sim::time::elapsed().as_secs()));
///     }
///     assert_eq!(order, [(1, 1), (2, 2), (3, 3)]);
/// }).unwrap();
/// ```
pub fn as_completed<T, I>(handles: I) -> AsCompleted<T>
where
    I: IntoIterator<Item = JoinHandle<T>>,
{
    AsCompleted {
        handles: handles.into_iter().collect(),
    }
}

/// The stream returned by [`as_completed`].
#[must_use = "streams do nothing unless polled"]
pub struct AsCompleted<T> {
    handles: Vec<JoinHandle<T>>,
}

impl<T: 'static> Stream for AsCompleted<T> {
    type Item = Result<T, JoinError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        if this.handles.is_empty() {
            return Poll::Ready(None);
        }
        // The finished task that finished first; the others are polled so they wake us.
        let next = this
            .handles
            .iter()
            .enumerate()
            .filter_map(|(i, h)| h.finish_order().map(|order| (order, i)))
            .min();
        match next {
            Some((_, i)) => {
                let mut handle = this.handles.remove(i);
                match Pin::new(&mut handle).poll(cx) {
                    Poll::Ready(result) => Poll::Ready(Some(result)),
                    Poll::Pending => unreachable!("a finished task's handle is ready"),
                }
            }
            None => {
                for handle in &mut this.handles {
                    let _ = Pin::new(handle)
                        .poll(cx)
                        .map(|_| unreachable!("none finished"));
                }
                Poll::Pending
            }
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.handles.len(), Some(self.handles.len()))
    }
}

impl<T> Unpin for AsCompleted<T> {}

impl<T> fmt::Debug for AsCompleted<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsCompleted")
            .field("remaining", &self.handles.len())
            .finish()
    }
}
