//! `Event`: a flag tasks can wait for (asyncio.Event).

use std::cell::RefCell;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::chaos::ChaosGate;
use super::resource::Resource;
use super::waiters::{WaitList, WaiterKey, WakeList};
use std::panic::Location;

/// A flag that tasks wait on; `set` wakes every waiter.
///
/// `set` releases every task already waiting, even if `clear` follows at once: a waiter that
/// was blocked when the event was set always completes.
///
/// # Cancellation
///
/// A [`wait`](Event::wait) dropped before it completes has no effect, whether it was still
/// waiting or `set` had already released it: the flag and the other waiters are untouched.
/// A release is not something to pass on (`set` releases every waiter), so a cancelled waiter
/// takes nothing from anyone.
///
/// # Examples
///
/// ```
/// use std::rc::Rc;
/// use sim::sync::Event;
///
/// let mut rt = sim::Builder::new().strategy(sim::Strategy::Fifo).build();
/// rt.block_on(async {
///     let ready = Rc::new(Event::new());
///     let waiters: Vec<_> = (0..3)
///         .map(|_| { let r = Rc::clone(&ready); sim::spawn(async move { r.wait().await }) })
///         .collect();
///     sim::task::yield_now().await; // under Fifo, every waiter is now blocked
///     ready.set();
///     ready.clear(); // the waiters already blocked still wake
///     for w in waiters { w.await.unwrap(); }
/// }).unwrap();
/// ```
pub struct Event {
    state: RefCell<State>,
}

struct State {
    set: bool,
    waiters: WaitList<(), ()>,
}

impl Default for Event {
    #[track_caller]
    fn default() -> Event {
        Event::new()
    }
}

impl Event {
    /// An event that is not set.
    ///
    /// ```
    /// assert!(!sim::sync::Event::new().is_set());
    /// ```
    #[track_caller]
    pub fn new() -> Event {
        Event {
            state: RefCell::new(State {
                set: false,
                waiters: WaitList::new(Resource::new("Event", Location::caller())),
            }),
        }
    }

    /// Sets the flag and wakes every waiter.
    ///
    /// ```
    /// let e = sim::sync::Event::new();
    /// e.set();
    /// assert!(e.is_set());
    /// ```
    pub fn set(&self) {
        let mut wake = WakeList::default();
        {
            let mut st = self.state.borrow_mut();
            st.set = true;
            while let Some((_, waker)) = st.waiters.grant_front(()) {
                wake.push(waker);
            }
        }
        wake.wake_all();
    }

    /// Clears the flag; later `wait`s block until the next `set`.
    ///
    /// ```
    /// let e = sim::sync::Event::new();
    /// e.set();
    /// e.clear();
    /// assert!(!e.is_set());
    /// ```
    pub fn clear(&self) {
        self.state.borrow_mut().set = false;
    }

    /// Whether the flag is set.
    ///
    /// ```
    /// assert!(!sim::sync::Event::default().is_set());
    /// ```
    pub fn is_set(&self) -> bool {
        self.state.borrow().set
    }

    /// Waits until the flag is set (at once if it is).
    ///
    /// Dropping the future has no effect on the event (see [Cancellation](Event#cancellation)).
    ///
    /// ```
    /// # sim::Runtime::new(0).block_on(async {
    /// let e = sim::sync::Event::new();
    /// e.set();
    /// e.wait().await;
    /// # }).unwrap();
    /// ```
    pub fn wait(&self) -> Wait<'_> {
        Wait {
            event: self,
            waiter: None,
            chaos: ChaosGate::default(),
        }
    }
}

impl fmt::Debug for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let st = self.state.borrow();
        f.debug_struct("Event")
            .field("set", &st.set)
            .field("waiters", &st.waiters.len())
            .finish()
    }
}

/// The future returned by [`Event::wait`].
#[must_use = "futures do nothing unless awaited"]
pub struct Wait<'a> {
    event: &'a Event,
    waiter: Option<WaiterKey>,
    chaos: ChaosGate,
}

impl Future for Wait<'_> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = &mut *self;
        if let Some(key) = this.waiter {
            let granted = this.event.state.borrow_mut().waiters.poll(key, cx.waker());
            return match granted {
                Some(()) => {
                    this.waiter = None;
                    Poll::Ready(())
                }
                None => Poll::Pending,
            };
        }
        if this.event.is_set() {
            if this.chaos.hold(cx) {
                return Poll::Pending;
            }
            if this.event.is_set() {
                return Poll::Ready(());
            }
        }
        this.waiter = Some(this.event.state.borrow_mut().waiters.push((), cx.waker()));
        Poll::Pending
    }
}

impl Drop for Wait<'_> {
    fn drop(&mut self) {
        if let Some(key) = self.waiter.take() {
            // A set event wakes everyone, so nothing granted needs passing on.
            let _ = self.event.state.borrow_mut().waiters.cancel(key);
        }
    }
}

impl fmt::Debug for Wait<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Wait")
            .field("waiting", &self.waiter.is_some())
            .finish()
    }
}
