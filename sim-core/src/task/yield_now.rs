//! `yield_now`: give the scheduler a chance to run another task.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// Yields once: the task stays runnable, and the strategy picks which runnable task goes next
/// (possibly this one again).
///
/// ```
/// use std::cell::RefCell;
/// use std::rc::Rc;
///
/// let log = Rc::new(RefCell::new(Vec::new()));
/// let mut rt = sim::Builder::new().strategy(sim::Strategy::Fifo).build();
/// rt.block_on({
///     let log = Rc::clone(&log);
///     async move {
///         let l = Rc::clone(&log);
///         let other = sim::spawn(async move { l.borrow_mut().push("other") });
///         sim::task::yield_now().await;
///         log.borrow_mut().push("main");
///         other.await.unwrap();
///     }
/// }).unwrap();
/// assert_eq!(*log.borrow(), ["other", "main"]);
/// ```
pub fn yield_now() -> YieldNow {
    YieldNow { yielded: false }
}

/// The future returned by [`yield_now`].
#[derive(Debug)]
#[must_use = "futures do nothing unless awaited"]
pub struct YieldNow {
    yielded: bool,
}

impl Future for YieldNow {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.yielded {
            return Poll::Ready(());
        }
        self.yielded = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}
