//! `Mutex`: an async lock with FIFO hand-off, on a one-permit semaphore.

use std::cell::{RefCell, RefMut};
use std::fmt;
use std::future::Future;
use std::ops::{Deref, DerefMut};
use std::pin::Pin;
use std::task::{Context, Poll};

use super::semaphore::{AcquireOp, Semaphore, SemaphorePermit, taken_permit};

/// An async mutual-exclusion lock.
///
/// Waiters get the lock in the order they asked for it.
///
/// # Cancellation
///
/// A [`lock`](Mutex::lock) whose future is dropped before it completes never held the lock.
/// Dropped while waiting, it leaves the queue. Dropped after the lock was handed to it (the
/// holder unlocked and it was next) but before it resumed to take the guard, it passes the
/// lock to the next waiter, or leaves it unlocked: the lock is never lost, and never held by
/// two.
///
/// # Examples
///
/// ```
/// use std::rc::Rc;
/// use sim::sync::Mutex;
///
/// sim::Runtime::new(3).block_on(async {
///     let balance = Rc::new(Mutex::new(100));
///     let tasks: Vec<_> = (0..4)
///         .map(|_| {
///             let balance = Rc::clone(&balance);
///             sim::spawn(async move {
///                 let mut b = balance.lock().await;
///                 let read = *b;
///                 sim::task::yield_now().await; // other tasks run, but cannot get the lock
///                 *b = read - 10;
///             })
///         })
///         .collect();
///     for t in tasks { t.await.unwrap(); }
///     assert_eq!(*balance.lock().await, 60);
/// }).unwrap();
/// ```
pub struct Mutex<T> {
    semaphore: Semaphore,
    value: RefCell<T>,
}

impl<T> Mutex<T> {
    /// A lock around `value`.
    ///
    /// ```
    /// let m = sim::sync::Mutex::new(5);
    /// assert_eq!(m.into_inner(), 5);
    /// ```
    #[track_caller]
    pub fn new(value: T) -> Mutex<T> {
        Mutex {
            semaphore: Semaphore::for_primitive(1, "Mutex", std::panic::Location::caller()),
            value: RefCell::new(value),
        }
    }

    /// Waits for the lock (FIFO among waiters).
    ///
    /// Dropping the future before it completes leaves the lock to the next waiter, even if it
    /// had been handed to this one (see [Cancellation](Mutex#cancellation)).
    ///
    /// ```
    /// # sim::Runtime::new(0).block_on(async {
    /// let m = sim::sync::Mutex::new(vec![1]);
    /// m.lock().await.push(2);
    /// assert_eq!(*m.lock().await, [1, 2]);
    /// # }).unwrap();
    /// ```
    pub fn lock(&self) -> Lock<'_, T> {
        Lock {
            mutex: self,
            op: AcquireOp::new(1),
        }
    }

    /// Takes the lock if it is free and nobody waits for it.
    ///
    /// ```
    /// let m = sim::sync::Mutex::new(0);
    /// let g = m.try_lock().unwrap();
    /// assert!(m.try_lock().is_none());
    /// drop(g);
    /// assert!(m.try_lock().is_some());
    /// ```
    pub fn try_lock(&self) -> Option<MutexGuard<'_, T>> {
        let permit = self.semaphore.try_acquire().ok()?;
        Some(MutexGuard {
            value: self.value.borrow_mut(),
            _permit: permit,
        })
    }

    /// The value, with no locking: `&mut self` proves nobody else holds the lock.
    ///
    /// ```
    /// let mut m = sim::sync::Mutex::new(1);
    /// *m.get_mut() += 1;
    /// assert_eq!(m.into_inner(), 2);
    /// ```
    pub fn get_mut(&mut self) -> &mut T {
        self.value.get_mut()
    }

    /// The value, consuming the lock.
    ///
    /// ```
    /// assert_eq!(sim::sync::Mutex::new("x").into_inner(), "x");
    /// ```
    pub fn into_inner(self) -> T {
        self.value.into_inner()
    }
}

impl<T: fmt::Debug> fmt::Debug for Mutex<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Mutex");
        match self.value.try_borrow() {
            Ok(v) => d.field("value", &*v),
            Err(_) => d.field("value", &format_args!("<locked>")),
        };
        d.finish()
    }
}

/// The future returned by [`Mutex::lock`].
#[must_use = "futures do nothing unless awaited"]
pub struct Lock<'a, T> {
    mutex: &'a Mutex<T>,
    op: AcquireOp,
}

impl<'a, T> Future for Lock<'a, T> {
    type Output = MutexGuard<'a, T>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<MutexGuard<'a, T>> {
        let this = &mut *self;
        let mutex = this.mutex;
        this.op.poll(&mutex.semaphore, cx).map(|()| MutexGuard {
            value: mutex.value.borrow_mut(),
            _permit: taken_permit(&mutex.semaphore, 1),
        })
    }
}

impl<T> Drop for Lock<'_, T> {
    fn drop(&mut self) {
        self.op.cancel(&self.mutex.semaphore);
    }
}

impl<T> fmt::Debug for Lock<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Lock").finish_non_exhaustive()
    }
}

/// Access to a [`Mutex`]'s value; dropping it unlocks (and hands the lock to the next waiter).
#[must_use = "dropping the guard unlocks the mutex at once"]
pub struct MutexGuard<'a, T> {
    // Field order matters: the borrow ends before the permit is released.
    value: RefMut<'a, T>,
    _permit: SemaphorePermit<'a>,
}

impl<T> Deref for MutexGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.value
    }
}

impl<T> DerefMut for MutexGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.value
    }
}

impl<T: fmt::Debug> fmt::Debug for MutexGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.value, f)
    }
}
