//! `Barrier`: wait until `n` tasks have arrived.

use std::cell::RefCell;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::resource::Resource;
use super::waiters::{Cancelled, WaitList, WaiterKey, WakeList};
use std::panic::Location;

/// Lets `n` tasks wait for each other; the `n`-th arrival releases them all, and the barrier
/// is ready for the next round.
///
/// # Cancellation
///
/// A [`wait`](Barrier::wait) dropped while it waits no longer counts as arrived: the round
/// needs another arrival in its place. One dropped after its round was complete (the `n`-th
/// arrival released it) but before it resumed cannot be withdrawn, since the others have
/// already passed: it counted in that round, exactly once, and counts for nothing in the
/// next, which starts from zero. A release is not handed to anyone else; there is nothing to
/// pass on.
///
/// # Examples
///
/// ```
/// use std::rc::Rc;
/// use sim::sync::Barrier;
///
/// sim::Runtime::new(4).block_on(async {
///     let barrier = Rc::new(Barrier::new(3));
///     let tasks: Vec<_> = (0..3)
///         .map(|_| { let b = Rc::clone(&barrier); sim::spawn(async move { b.wait().await }) })
///         .collect();
///     let mut leaders = 0;
///     for t in tasks {
///         if t.await.unwrap().is_leader() { leaders += 1; }
///     }
///     assert_eq!(leaders, 1);
/// }).unwrap();
/// ```
pub struct Barrier {
    n: usize,
    state: RefCell<State>,
}

struct State {
    arrived: usize,
    waiters: WaitList<(), ()>,
}

/// What [`Barrier::wait`] returns: exactly one task per round is the leader.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BarrierWaitResult {
    leader: bool,
}

impl BarrierWaitResult {
    /// Whether this task was the last to arrive, and so released the others.
    ///
    /// ```
    /// # sim::Runtime::new(0).block_on(async {
    /// assert!(sim::sync::Barrier::new(1).wait().await.is_leader());
    /// # }).unwrap();
    /// ```
    pub fn is_leader(&self) -> bool {
        self.leader
    }
}

impl Barrier {
    /// A barrier for `n` tasks (`0` behaves as `1`).
    ///
    /// ```
    /// let b = sim::sync::Barrier::new(2);
    /// # drop(b);
    /// ```
    #[track_caller]
    pub fn new(n: usize) -> Barrier {
        Barrier {
            n: n.max(1),
            state: RefCell::new(State {
                arrived: 0,
                waiters: WaitList::new(Resource::new("Barrier", Location::caller())),
            }),
        }
    }

    /// Arrives and waits for the rest.
    ///
    /// Dropping the future while it waits takes back the arrival (see
    /// [Cancellation](Barrier#cancellation)).
    ///
    /// ```
    /// # sim::Runtime::new(0).block_on(async {
    /// let b = sim::sync::Barrier::new(1);
    /// b.wait().await;
    /// b.wait().await; // the next round
    /// # }).unwrap();
    /// ```
    pub fn wait(&self) -> BarrierWait<'_> {
        BarrierWait {
            barrier: self,
            waiter: None,
        }
    }
}

impl fmt::Debug for Barrier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Barrier")
            .field("n", &self.n)
            .field("arrived", &self.state.borrow().arrived)
            .finish()
    }
}

/// The future returned by [`Barrier::wait`].
#[must_use = "futures do nothing unless awaited"]
pub struct BarrierWait<'a> {
    barrier: &'a Barrier,
    waiter: Option<WaiterKey>,
}

impl Future for BarrierWait<'_> {
    type Output = BarrierWaitResult;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<BarrierWaitResult> {
        let this = &mut *self;
        let mut st = this.barrier.state.borrow_mut();
        if let Some(key) = this.waiter {
            return match st.waiters.poll(key, cx.waker()) {
                Some(()) => {
                    this.waiter = None;
                    Poll::Ready(BarrierWaitResult { leader: false })
                }
                None => Poll::Pending,
            };
        }
        st.arrived += 1;
        if st.arrived < this.barrier.n {
            this.waiter = Some(st.waiters.push((), cx.waker()));
            return Poll::Pending;
        }
        st.arrived = 0;
        let mut wake = WakeList::default();
        while let Some((_, waker)) = st.waiters.grant_front(()) {
            wake.push(waker);
        }
        drop(st);
        wake.wake_all();
        Poll::Ready(BarrierWaitResult { leader: true })
    }
}

impl Drop for BarrierWait<'_> {
    fn drop(&mut self) {
        if let Some(key) = self.waiter.take() {
            let mut st = self.barrier.state.borrow_mut();
            if let Cancelled::Waiting(()) = st.waiters.cancel(key) {
                st.arrived -= 1; // it never passed the barrier: it no longer counts
            }
        }
    }
}

impl fmt::Debug for BarrierWait<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BarrierWait")
            .field("waiting", &self.waiter.is_some())
            .finish()
    }
}
