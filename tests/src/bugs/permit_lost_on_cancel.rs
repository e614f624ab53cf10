//! Permit lost on cancel: a hand-rolled semaphore hands a released permit straight to the
//! oldest waiter (marking it granted and waking it) instead of returning it to the count. If
//! the waiter is cancelled after the hand-off but before it next runs, its `acquire` future is
//! dropped holding a permit nobody will ever release, and the semaphore shrinks for good. The
//! fix uses `sim::sync::Semaphore`, whose cancelled waiters pass a granted permit on.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use sim::sync::Semaphore;
use sim::time::{Duration, sleep};

#[derive(Default)]
struct Waiter {
    granted: Cell<bool>,
    waker: RefCell<Option<Waker>>,
}

/// A semaphore with a direct hand-off and a cancellation bug.
struct HandRolledSemaphore {
    permits: Cell<usize>,
    waiters: RefCell<VecDeque<Rc<Waiter>>>,
}

impl HandRolledSemaphore {
    fn new(permits: usize) -> HandRolledSemaphore {
        HandRolledSemaphore {
            permits: Cell::new(permits),
            waiters: RefCell::new(VecDeque::new()),
        }
    }

    fn acquire(&self) -> Acquire<'_> {
        Acquire {
            semaphore: self,
            waiter: None,
        }
    }

    fn release(&self) {
        let next = self.waiters.borrow_mut().pop_front();
        match next {
            Some(waiter) => {
                waiter.granted.set(true); // handed off: the count is not incremented
                if let Some(w) = waiter.waker.borrow_mut().take() {
                    w.wake();
                }
            }
            None => self.permits.set(self.permits.get() + 1),
        }
    }
}

struct Acquire<'a> {
    semaphore: &'a HandRolledSemaphore,
    waiter: Option<Rc<Waiter>>,
}

impl<'a> Future for Acquire<'a> {
    type Output = Permit<'a>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Permit<'a>> {
        let semaphore = self.semaphore;
        if let Some(waiter) = &self.waiter {
            if waiter.granted.get() {
                self.waiter = None;
                return Poll::Ready(Permit { semaphore });
            }
            *waiter.waker.borrow_mut() = Some(cx.waker().clone());
            return Poll::Pending;
        }
        if semaphore.permits.get() > 0 && semaphore.waiters.borrow().is_empty() {
            semaphore.permits.set(semaphore.permits.get() - 1);
            return Poll::Ready(Permit { semaphore });
        }
        let waiter = Rc::new(Waiter::default());
        *waiter.waker.borrow_mut() = Some(cx.waker().clone());
        semaphore.waiters.borrow_mut().push_back(Rc::clone(&waiter));
        self.waiter = Some(waiter);
        Poll::Pending
    }
}

impl Drop for Acquire<'_> {
    fn drop(&mut self) {
        if let Some(waiter) = self.waiter.take() {
            // Leaves the queue if still in it. BUG: a waiter already granted a permit is no
            // longer in the queue, and its permit is dropped here with nobody to release it.
            self.semaphore
                .waiters
                .borrow_mut()
                .retain(|w| !Rc::ptr_eq(w, &waiter));
        }
    }
}

struct Permit<'a> {
    semaphore: &'a HandRolledSemaphore,
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        self.semaphore.release();
    }
}

/// The holder releases at t=10ms, the instant a client disconnects and its request (waiting
/// for the permit) is aborted.
pub async fn buggy() {
    let semaphore = Rc::new(HandRolledSemaphore::new(1));
    let held = semaphore.acquire().await;
    let request = {
        let semaphore = Rc::clone(&semaphore);
        sim::spawn(async move {
            let _permit = semaphore.acquire().await;
            sleep(Duration::from_millis(1)).await;
        })
    };
    let disconnect = sim::spawn(async move {
        sleep(Duration::from_millis(10)).await;
        request.abort();
        let _ = request.await;
    });
    sleep(Duration::from_millis(10)).await;
    drop(held);
    disconnect.await.unwrap();
    let free = semaphore.permits.get();
    assert_eq!(free, 1, "a permit was lost: {free} free of 1");
}

/// The same scenario with `sim::sync::Semaphore`.
pub async fn fixed() {
    let semaphore = Rc::new(Semaphore::new(1));
    let held = Rc::clone(&semaphore).acquire_owned().await;
    let request = {
        let semaphore = Rc::clone(&semaphore);
        sim::spawn(async move {
            let _permit = semaphore.acquire().await;
            sleep(Duration::from_millis(1)).await;
        })
    };
    let disconnect = sim::spawn(async move {
        sleep(Duration::from_millis(10)).await;
        request.abort();
        let _ = request.await;
    });
    sleep(Duration::from_millis(10)).await;
    drop(held);
    disconnect.await.unwrap();
    let free = semaphore.available_permits();
    assert_eq!(free, 1, "a permit was lost: {free} free of 1");
}
