//! `Notify`: wake one waiter, or all current waiters, without data.

use std::cell::RefCell;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::chaos::ChaosGate;
use super::resource::Resource;
use super::waiters::{Cancelled, WaitList, WaiterKey, WakeList};
use std::panic::Location;

/// Which call a waiter was notified by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    One,
    All,
}

/// Notifies tasks, shaped like tokio's `Notify`.
///
/// [`notify_one`](Notify::notify_one) wakes the oldest waiter, or, if none is waiting, stores
/// one permit that the next [`notified`](Notify::notified) consumes at once.
/// [`notify_waiters`](Notify::notify_waiters) wakes every task waiting now and stores nothing.
///
/// # Cancellation
///
/// A [`notified`](Notify::notified) future dropped while it waits leaves the queue. One
/// dropped after a `notify_one` reached it, before it resumed, passes the notification to
/// the next waiter, or back to the stored permit if none waits: a `notify_one` is never lost,
/// and reaches one waiter. One dropped after `notify_waiters` reached it passes nothing on:
/// that call had reached every waiter already and stores no permit.
///
/// # Examples
///
/// ```
/// use std::rc::Rc;
/// use sim::sync::Notify;
///
/// let mut rt = sim::Builder::new().strategy(sim::Strategy::Fifo).build();
/// rt.block_on(async {
///     let notify = Rc::new(Notify::new());
///     notify.notify_one(); // stored: nobody waits yet
///     notify.notified().await; // consumes it at once
///
///     let n = Rc::clone(&notify);
///     let waiter = sim::spawn(async move { n.notified().await });
///     sim::task::yield_now().await; // under Fifo, the waiter is now registered
///     notify.notify_waiters();
///     waiter.await.unwrap();
/// }).unwrap();
/// ```
pub struct Notify {
    state: RefCell<State>,
}

struct State {
    permit: bool,
    waiters: WaitList<(), Kind>,
}

impl Default for Notify {
    #[track_caller]
    fn default() -> Notify {
        Notify::new()
    }
}

impl Notify {
    /// A `Notify` with no stored permit.
    ///
    /// ```
    /// let n = sim::sync::Notify::new();
    /// # drop(n);
    /// ```
    #[track_caller]
    pub fn new() -> Notify {
        Notify {
            state: RefCell::new(State {
                permit: false,
                waiters: WaitList::new(Resource::new("Notify", Location::caller())),
            }),
        }
    }

    /// Wakes the oldest waiter, or stores a permit if none waits (at most one is stored).
    ///
    /// ```
    /// # sim::Runtime::new(0).block_on(async {
    /// let n = sim::sync::Notify::new();
    /// n.notify_one();
    /// n.notify_one(); // still one permit
    /// n.notified().await;
    /// # }).unwrap();
    /// ```
    pub fn notify_one(&self) {
        let waker = {
            let mut st = self.state.borrow_mut();
            match st.waiters.grant_front(Kind::One) {
                Some((_, waker)) => waker,
                None => {
                    st.permit = true;
                    None
                }
            }
        };
        if let Some(w) = waker {
            w.wake();
        }
    }

    /// Wakes every task waiting now; stores no permit.
    ///
    /// ```
    /// let n = sim::sync::Notify::new();
    /// n.notify_waiters(); // nobody waits: nothing happens, nothing is stored
    /// ```
    pub fn notify_waiters(&self) {
        let mut wake = WakeList::default();
        {
            let mut st = self.state.borrow_mut();
            while let Some((_, waker)) = st.waiters.grant_front(Kind::All) {
                wake.push(waker);
            }
        }
        wake.wake_all();
    }

    /// Waits for a notification. Registers as a waiter at its first poll.
    ///
    /// Dropping the future after a `notify_one` reached it passes that notification on (see
    /// [Cancellation](Notify#cancellation)).
    ///
    /// ```
    /// # sim::Runtime::new(0).block_on(async {
    /// let n = sim::sync::Notify::new();
    /// n.notify_one();
    /// n.notified().await;
    /// # }).unwrap();
    /// ```
    pub fn notified(&self) -> Notified<'_> {
        Notified {
            notify: self,
            waiter: None,
            chaos: ChaosGate::default(),
        }
    }
}

impl fmt::Debug for Notify {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let st = self.state.borrow();
        f.debug_struct("Notify")
            .field("permit", &st.permit)
            .field("waiters", &st.waiters.len())
            .finish()
    }
}

/// The future returned by [`Notify::notified`].
#[must_use = "futures do nothing unless awaited"]
pub struct Notified<'a> {
    notify: &'a Notify,
    waiter: Option<WaiterKey>,
    chaos: ChaosGate,
}

impl Future for Notified<'_> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = &mut *self;
        if let Some(key) = this.waiter {
            let granted = this.notify.state.borrow_mut().waiters.poll(key, cx.waker());
            return match granted {
                Some(_) => {
                    this.waiter = None;
                    Poll::Ready(())
                }
                None => Poll::Pending,
            };
        }
        if this.notify.state.borrow().permit {
            if this.chaos.hold(cx) {
                return Poll::Pending;
            }
            let mut st = this.notify.state.borrow_mut();
            if st.permit {
                st.permit = false;
                return Poll::Ready(());
            }
        }
        this.waiter = Some(this.notify.state.borrow_mut().waiters.push((), cx.waker()));
        Poll::Pending
    }
}

impl Drop for Notified<'_> {
    fn drop(&mut self) {
        if let Some(key) = self.waiter.take() {
            let cancelled = self.notify.state.borrow_mut().waiters.cancel(key);
            if let Cancelled::Granted(Kind::One) = cancelled {
                self.notify.notify_one(); // pass it on
            }
        }
    }
}

impl fmt::Debug for Notified<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Notified")
            .field("waiting", &self.waiter.is_some())
            .finish()
    }
}
