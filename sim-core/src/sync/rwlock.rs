//! `RwLock`: many readers or one writer, FIFO, on a semaphore.

use std::cell::{Ref, RefCell, RefMut};
use std::fmt;
use std::future::Future;
use std::ops::{Deref, DerefMut};
use std::pin::Pin;
use std::task::{Context, Poll};

use super::semaphore::{AcquireOp, Semaphore, SemaphorePermit, taken_permit};

/// Permits of the underlying semaphore: a reader takes one, a writer all of them.
const MAX_READERS: usize = u32::MAX as usize >> 3;

/// An async reader-writer lock.
///
/// Requests are served in arrival order: a waiting writer holds up readers that come after
/// it, so writers do not starve.
///
/// # Cancellation
///
/// A [`read`](RwLock::read) or [`write`](RwLock::write) whose future is dropped before it
/// completes never held the lock. Dropped while waiting, it leaves the queue (a writer at the
/// head lets the readers behind it through). Dropped after the lock was granted to it but
/// before it resumed to take the guard, it passes its grant on at once: a writer's to the
/// writer, or to every reader up to the next writer, queued behind it; a reader's share back
/// to the lock, which may let a writer behind it in. Nothing is lost, and a cancelled write
/// never wrote.
///
/// # Examples
///
/// ```
/// # sim::Runtime::new(0).block_on(async {
/// let lock = sim::sync::RwLock::new(1);
/// {
///     let a = lock.read().await;
///     let b = lock.read().await; // readers share
///     assert_eq!(*a + *b, 2);
/// }
/// *lock.write().await += 1;
/// assert_eq!(*lock.read().await, 2);
/// # }).unwrap();
/// ```
pub struct RwLock<T> {
    semaphore: Semaphore,
    value: RefCell<T>,
}

impl<T> RwLock<T> {
    /// A lock around `value`.
    ///
    /// ```
    /// assert_eq!(sim::sync::RwLock::new(3).into_inner(), 3);
    /// ```
    #[track_caller]
    pub fn new(value: T) -> RwLock<T> {
        RwLock {
            semaphore: Semaphore::for_primitive(
                MAX_READERS,
                "RwLock",
                std::panic::Location::caller(),
            ),
            value: RefCell::new(value),
        }
    }

    /// Waits for shared read access.
    ///
    /// Dropping the future before it completes hands back any share granted to it (see
    /// [Cancellation](RwLock#cancellation)).
    ///
    /// ```
    /// # sim::Runtime::new(0).block_on(async {
    /// let lock = sim::sync::RwLock::new("v");
    /// assert_eq!(*lock.read().await, "v");
    /// # }).unwrap();
    /// ```
    pub fn read(&self) -> Read<'_, T> {
        Read {
            lock: self,
            op: AcquireOp::new(1),
        }
    }

    /// Waits for exclusive write access.
    ///
    /// Dropping the future before it completes passes the lock on if it had been granted (see
    /// [Cancellation](RwLock#cancellation)).
    ///
    /// ```
    /// # sim::Runtime::new(0).block_on(async {
    /// let lock = sim::sync::RwLock::new(0);
    /// *lock.write().await = 9;
    /// assert_eq!(*lock.read().await, 9);
    /// # }).unwrap();
    /// ```
    pub fn write(&self) -> Write<'_, T> {
        Write {
            lock: self,
            op: AcquireOp::new(MAX_READERS),
        }
    }

    /// The value, consuming the lock.
    ///
    /// ```
    /// assert_eq!(sim::sync::RwLock::new(vec![1]).into_inner(), [1]);
    /// ```
    pub fn into_inner(self) -> T {
        self.value.into_inner()
    }
}

impl<T: fmt::Debug> fmt::Debug for RwLock<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("RwLock");
        match self.value.try_borrow() {
            Ok(v) => d.field("value", &*v),
            Err(_) => d.field("value", &format_args!("<write-locked>")),
        };
        d.finish()
    }
}

/// The future returned by [`RwLock::read`].
#[must_use = "futures do nothing unless awaited"]
pub struct Read<'a, T> {
    lock: &'a RwLock<T>,
    op: AcquireOp,
}

impl<'a, T> Future for Read<'a, T> {
    type Output = RwLockReadGuard<'a, T>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<RwLockReadGuard<'a, T>> {
        let this = &mut *self;
        let lock = this.lock;
        this.op.poll(&lock.semaphore, cx).map(|()| RwLockReadGuard {
            value: lock.value.borrow(),
            _permit: taken_permit(&lock.semaphore, 1),
        })
    }
}

impl<T> Drop for Read<'_, T> {
    fn drop(&mut self) {
        self.op.cancel(&self.lock.semaphore);
    }
}

impl<T> fmt::Debug for Read<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Read").finish_non_exhaustive()
    }
}

/// The future returned by [`RwLock::write`].
#[must_use = "futures do nothing unless awaited"]
pub struct Write<'a, T> {
    lock: &'a RwLock<T>,
    op: AcquireOp,
}

impl<'a, T> Future for Write<'a, T> {
    type Output = RwLockWriteGuard<'a, T>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<RwLockWriteGuard<'a, T>> {
        let this = &mut *self;
        let lock = this.lock;
        this.op
            .poll(&lock.semaphore, cx)
            .map(|()| RwLockWriteGuard {
                value: lock.value.borrow_mut(),
                _permit: taken_permit(&lock.semaphore, MAX_READERS),
            })
    }
}

impl<T> Drop for Write<'_, T> {
    fn drop(&mut self) {
        self.op.cancel(&self.lock.semaphore);
    }
}

impl<T> fmt::Debug for Write<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Write").finish_non_exhaustive()
    }
}

/// Shared access to an [`RwLock`]'s value.
#[must_use = "dropping the guard releases the lock at once"]
pub struct RwLockReadGuard<'a, T> {
    value: Ref<'a, T>,
    _permit: SemaphorePermit<'a>,
}

impl<T> Deref for RwLockReadGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.value
    }
}

impl<T: fmt::Debug> fmt::Debug for RwLockReadGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.value, f)
    }
}

/// Exclusive access to an [`RwLock`]'s value.
#[must_use = "dropping the guard releases the lock at once"]
pub struct RwLockWriteGuard<'a, T> {
    value: RefMut<'a, T>,
    _permit: SemaphorePermit<'a>,
}

impl<T> Deref for RwLockWriteGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.value
    }
}

impl<T> DerefMut for RwLockWriteGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.value
    }
}

impl<T: fmt::Debug> fmt::Debug for RwLockWriteGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.value, f)
    }
}
