//! A `Notify` for shuttle's async tasks, with the semantics of `sim::sync::Notify` (and tokio's):
//! [`Notify::notify_one`] wakes the oldest waiter or, if none waits, stores one permit that the
//! next [`Notify::notified`] consumes at once; [`Notify::notify_waiters`] wakes every task
//! waiting now and stores nothing.
//!
//! Shuttle has no async notification primitive (its `Condvar` blocks a thread and needs a
//! mutex), so the gallery's programs that await a `Notify` use this one, built on wakers as any
//! future is, and keep the same scheduling points as in sim: awaiting a stored permit completes
//! at once, without a context switch.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

#[derive(Debug)]
struct Waiter {
    id: u64,
    waker: Waker,
    notified: bool,
    /// Notified by `notify_one` (whose notification must not be lost if the waiter is dropped).
    by_one: bool,
}

#[derive(Debug, Default)]
struct State {
    permit: bool,
    next_id: u64,
    waiters: VecDeque<Waiter>,
}

/// Wakes tasks without data; see the [module docs](self).
#[derive(Debug, Default)]
pub(crate) struct Notify {
    state: RefCell<State>,
}

impl Notify {
    /// Wakes the oldest waiter not yet notified, or stores a permit if there is none.
    pub(crate) fn notify_one(&self) {
        let mut state = self.state.borrow_mut();
        match state.waiters.iter_mut().find(|w| !w.notified) {
            Some(waiter) => {
                waiter.notified = true;
                waiter.by_one = true;
                waiter.waker.wake_by_ref();
            }
            None => state.permit = true,
        }
    }

    /// Wakes every task waiting now; stores nothing.
    pub(crate) fn notify_waiters(&self) {
        for waiter in self.state.borrow_mut().waiters.iter_mut() {
            waiter.notified = true;
            waiter.waker.wake_by_ref();
        }
    }

    /// Waits for a notification (or takes the stored permit at once).
    pub(crate) fn notified(&self) -> Notified<'_> {
        Notified {
            notify: self,
            id: None,
        }
    }
}

/// The future of [`Notify::notified`].
#[derive(Debug)]
pub(crate) struct Notified<'a> {
    notify: &'a Notify,
    /// This waiter's id once it is registered.
    id: Option<u64>,
}

impl Future for Notified<'_> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut state = self.notify.state.borrow_mut();
        match self.id {
            None => {
                if state.permit {
                    state.permit = false;
                    return Poll::Ready(());
                }
                let id = state.next_id;
                state.next_id += 1;
                state.waiters.push_back(Waiter {
                    id,
                    waker: cx.waker().clone(),
                    notified: false,
                    by_one: false,
                });
                drop(state);
                self.id = Some(id);
                Poll::Pending
            }
            Some(id) => {
                let index = state
                    .waiters
                    .iter()
                    .position(|w| w.id == id)
                    .expect("a registered waiter stays in the list until it completes");
                if state.waiters[index].notified {
                    state.waiters.remove(index);
                    drop(state);
                    self.id = None;
                    return Poll::Ready(());
                }
                state.waiters[index].waker = cx.waker().clone();
                Poll::Pending
            }
        }
    }
}

impl Drop for Notified<'_> {
    fn drop(&mut self) {
        // Not needed by the gallery (nothing is cancelled here), but a `notify_one` that reached
        // a dropped waiter goes back to the permit, as in sim.
        if let Some(id) = self.id {
            let mut state = self.notify.state.borrow_mut();
            if let Some(index) = state.waiters.iter().position(|w| w.id == id) {
                let waiter = state
                    .waiters
                    .remove(index)
                    .expect("the index was just found");
                if waiter.by_one {
                    drop(state);
                    self.notify.notify_one();
                }
            }
        }
    }
}
