//! `Semaphore`: a count of permits, handed to waiters in FIFO order.

use std::cell::RefCell;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use super::chaos::ChaosGate;
use super::resource::Resource;
use super::waiters::{Cancelled, WaitList, WaiterKey, WakeList};
use crate::record::TaskId;
use std::panic::Location;

/// A counting semaphore with FIFO hand-off.
///
/// Permits go to waiters strictly in arrival order: a waiter asking for many permits holds up
/// those behind it, so no waiter starves.
///
/// # Cancellation
///
/// An [`acquire`](Semaphore::acquire), [`acquire_many`](Semaphore::acquire_many) or
/// [`acquire_owned`](Semaphore::acquire_owned) whose future is dropped before it completes has
/// taken nothing, and leaves no trace:
///
/// - Dropped while waiting, it leaves the queue; if it was at the head, the waiters behind it
///   that the free permits cover go through.
/// - Dropped after its permits were handed to it (a release reached it in FIFO order) but
///   before it resumed to collect them, it releases them all again at once: they go to the
///   waiters behind it, in FIFO order, or back to the semaphore. The permits available are
///   then as if it had never asked.
///
/// # Examples
///
/// ```
/// use std::rc::Rc;
/// use sim::sync::Semaphore;
/// use sim::time::{sleep, Duration};
///
/// sim::Runtime::new(1).block_on(async {
///     let sem = Rc::new(Semaphore::new(2));
///     let jobs: Vec<_> = (0..6)
///         .map(|_| {
///             let sem = Rc::clone(&sem);
///             sim::spawn(async move {
///                 let _permit = sem.acquire().await;
///                 sleep(Duration::from_secs(1)).await;
///             })
///         })
///         .collect();
///     for j in jobs { j.await.unwrap(); }
///     assert_eq!(sim::time::elapsed(), Duration::from_secs(3)); // two at a time
/// }).unwrap();
/// ```
pub struct Semaphore {
    state: RefCell<State>,
    resource: Rc<Resource>,
}

struct State {
    permits: usize,
    /// Waiters and how many permits each needs; a grant means "your permits are taken".
    waiters: WaitList<usize, ()>,
}

/// No permit is free right now (returned by [`Semaphore::try_acquire`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TryAcquireError;

impl fmt::Display for TryAcquireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("no permits available")
    }
}

impl std::error::Error for TryAcquireError {}

impl Semaphore {
    /// A semaphore with `permits` permits.
    ///
    /// ```
    /// assert_eq!(sim::sync::Semaphore::new(3).available_permits(), 3);
    /// ```
    #[track_caller]
    pub fn new(permits: usize) -> Semaphore {
        Semaphore::for_primitive(permits, "Semaphore", Location::caller())
    }

    /// A semaphore behind another primitive, which reports name as `kind`.
    pub(crate) fn for_primitive(
        permits: usize,
        kind: &'static str,
        site: &'static Location<'static>,
    ) -> Semaphore {
        let resource = Resource::new(kind, site);
        let waiters = WaitList::new(Rc::clone(&resource));
        Semaphore {
            state: RefCell::new(State { permits, waiters }),
            resource,
        }
    }

    /// Permits free right now.
    ///
    /// ```
    /// let sem = sim::sync::Semaphore::new(1);
    /// let p = sem.try_acquire().unwrap();
    /// assert_eq!(sem.available_permits(), 0);
    /// drop(p);
    /// assert_eq!(sem.available_permits(), 1);
    /// ```
    pub fn available_permits(&self) -> usize {
        self.state.borrow().permits
    }

    /// Adds `n` permits, handing them to waiters first.
    ///
    /// ```
    /// let sem = sim::sync::Semaphore::new(0);
    /// sem.add_permits(2);
    /// assert_eq!(sem.available_permits(), 2);
    /// ```
    pub fn add_permits(&self, n: usize) {
        self.release(n);
    }

    /// Takes a permit if one is free and nobody is waiting (waiters are never overtaken).
    ///
    /// # Errors
    ///
    /// [`TryAcquireError`] when no permit can be taken now.
    ///
    /// ```
    /// let sem = sim::sync::Semaphore::new(1);
    /// let _p = sem.try_acquire().unwrap();
    /// assert!(sem.try_acquire().is_err());
    /// ```
    pub fn try_acquire(&self) -> Result<SemaphorePermit<'_>, TryAcquireError> {
        let mut st = self.state.borrow_mut();
        if st.waiters.is_empty() && st.permits >= 1 {
            st.permits -= 1;
            drop(st);
            Ok(taken_permit(self, 1))
        } else {
            Err(TryAcquireError)
        }
    }

    /// Waits for a permit.
    ///
    /// Dropping the future before it completes takes nothing (see
    /// [Cancellation](Semaphore#cancellation)).
    ///
    /// ```
    /// # sim::Runtime::new(0).block_on(async {
    /// let sem = sim::sync::Semaphore::new(1);
    /// let permit = sem.acquire().await;
    /// assert_eq!(sem.available_permits(), 0);
    /// drop(permit);
    /// # }).unwrap();
    /// ```
    pub fn acquire(&self) -> Acquire<'_> {
        self.acquire_many(1)
    }

    /// Waits for `n` permits, taken together.
    ///
    /// Dropping the future before it completes takes none of them, even if all `n` had been
    /// handed to it (see [Cancellation](Semaphore#cancellation)).
    ///
    /// ```
    /// # sim::Runtime::new(0).block_on(async {
    /// let sem = sim::sync::Semaphore::new(5);
    /// let permits = sem.acquire_many(3).await;
    /// assert_eq!(sem.available_permits(), 2);
    /// # drop(permits); }).unwrap();
    /// ```
    pub fn acquire_many(&self, n: usize) -> Acquire<'_> {
        Acquire {
            semaphore: self,
            op: AcquireOp::new(n),
        }
    }

    /// Waits for a permit that owns a reference to the semaphore, so it can move into a task.
    ///
    /// Dropping the future before it completes takes nothing (see
    /// [Cancellation](Semaphore#cancellation)).
    ///
    /// ```
    /// use std::rc::Rc;
    /// # sim::Runtime::new(0).block_on(async {
    /// let sem = Rc::new(sim::sync::Semaphore::new(1));
    /// let permit = Rc::clone(&sem).acquire_owned().await;
    /// sim::spawn(async move { drop(permit) }).await.unwrap();
    /// assert_eq!(sem.available_permits(), 1);
    /// # }).unwrap();
    /// ```
    pub fn acquire_owned(self: Rc<Self>) -> AcquireOwned {
        AcquireOwned {
            semaphore: self,
            op: AcquireOp::new(1),
        }
    }

    fn release(&self, n: usize) {
        let mut wake = WakeList::default();
        {
            let mut st = self.state.borrow_mut();
            st.permits += n;
            while let Some(&need) = st.waiters.front() {
                if need > st.permits {
                    break;
                }
                st.permits -= need;
                let (_, waker) = st.waiters.grant_front(()).expect("front exists");
                wake.push(waker);
            }
        }
        wake.wake_all();
    }
}

impl fmt::Debug for Semaphore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let st = self.state.borrow();
        f.debug_struct("Semaphore")
            .field("permits", &st.permits)
            .field("waiters", &st.waiters.len())
            .finish()
    }
}

/// A permit object for `permits` already taken from `semaphore` by a completed acquire.
pub(crate) fn taken_permit(semaphore: &Semaphore, permits: usize) -> SemaphorePermit<'_> {
    SemaphorePermit {
        semaphore,
        permits,
        holder: semaphore.resource.hold(),
    }
}

/// The waiting logic shared by the borrowed and owned acquire futures.
#[derive(Debug)]
pub(crate) struct AcquireOp {
    need: usize,
    waiter: Option<WaiterKey>,
    chaos: ChaosGate,
}

impl AcquireOp {
    pub(crate) fn new(need: usize) -> AcquireOp {
        AcquireOp {
            need,
            waiter: None,
            chaos: ChaosGate::default(),
        }
    }

    pub(crate) fn poll(&mut self, semaphore: &Semaphore, cx: &mut Context<'_>) -> Poll<()> {
        let mut st = semaphore.state.borrow_mut();
        if let Some(key) = self.waiter {
            return match st.waiters.poll(key, cx.waker()) {
                Some(()) => {
                    self.waiter = None;
                    Poll::Ready(())
                }
                None => Poll::Pending,
            };
        }
        if st.waiters.is_empty() && st.permits >= self.need {
            drop(st);
            if self.chaos.hold(cx) {
                return Poll::Pending;
            }
            let mut st = semaphore.state.borrow_mut();
            if st.waiters.is_empty() && st.permits >= self.need {
                st.permits -= self.need;
                return Poll::Ready(());
            }
            self.waiter = Some(st.waiters.push(self.need, cx.waker()));
            return Poll::Pending;
        }
        self.waiter = Some(st.waiters.push(self.need, cx.waker()));
        Poll::Pending
    }

    /// The future was dropped: leave no trace, and pass on permits granted but not collected.
    pub(crate) fn cancel(&mut self, semaphore: &Semaphore) {
        let Some(key) = self.waiter.take() else {
            return;
        };
        let cancelled = semaphore.state.borrow_mut().waiters.cancel(key);
        match cancelled {
            Cancelled::Granted(()) => semaphore.release(self.need),
            // Leaving the head of the queue may let the waiters behind it through.
            Cancelled::Waiting(_) => semaphore.release(0),
        }
    }
}

/// The future returned by [`Semaphore::acquire`] and [`Semaphore::acquire_many`].
#[must_use = "futures do nothing unless awaited"]
pub struct Acquire<'a> {
    semaphore: &'a Semaphore,
    op: AcquireOp,
}

impl<'a> Future for Acquire<'a> {
    type Output = SemaphorePermit<'a>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<SemaphorePermit<'a>> {
        let this = &mut *self;
        let semaphore = this.semaphore;
        let op = &mut this.op;
        op.poll(semaphore, cx)
            .map(|()| taken_permit(semaphore, std::mem::take(&mut op.need)))
    }
}

impl Drop for Acquire<'_> {
    fn drop(&mut self) {
        self.op.cancel(self.semaphore);
    }
}

impl fmt::Debug for Acquire<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Acquire").field("op", &self.op).finish()
    }
}

/// The future returned by [`Semaphore::acquire_owned`].
#[must_use = "futures do nothing unless awaited"]
pub struct AcquireOwned {
    semaphore: Rc<Semaphore>,
    op: AcquireOp,
}

impl Future for AcquireOwned {
    type Output = OwnedSemaphorePermit;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<OwnedSemaphorePermit> {
        let this = &mut *self;
        this.op
            .poll(&this.semaphore, cx)
            .map(|()| OwnedSemaphorePermit {
                holder: this.semaphore.resource.hold(),
                semaphore: Rc::clone(&this.semaphore),
                permits: std::mem::take(&mut this.op.need),
            })
    }
}

impl Drop for AcquireOwned {
    fn drop(&mut self) {
        self.op.cancel(&self.semaphore);
    }
}

impl fmt::Debug for AcquireOwned {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AcquireOwned")
            .field("op", &self.op)
            .finish()
    }
}

/// Permits taken from a [`Semaphore`]; dropping returns them.
#[must_use = "dropping the permit releases it at once"]
pub struct SemaphorePermit<'a> {
    semaphore: &'a Semaphore,
    permits: usize,
    holder: Option<TaskId>,
}

impl SemaphorePermit<'_> {
    /// Keeps the permits out of the semaphore for good.
    ///
    /// ```
    /// let sem = sim::sync::Semaphore::new(1);
    /// sem.try_acquire().unwrap().forget();
    /// assert_eq!(sem.available_permits(), 0);
    /// ```
    pub fn forget(mut self) {
        self.permits = 0;
    }
}

impl Drop for SemaphorePermit<'_> {
    fn drop(&mut self) {
        self.semaphore.resource.release(self.holder);
        if self.permits > 0 {
            self.semaphore.release(self.permits);
        }
    }
}

impl fmt::Debug for SemaphorePermit<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SemaphorePermit")
            .field("permits", &self.permits)
            .finish()
    }
}

/// A permit that owns an `Rc` of its [`Semaphore`]; dropping returns it.
#[must_use = "dropping the permit releases it at once"]
pub struct OwnedSemaphorePermit {
    semaphore: Rc<Semaphore>,
    permits: usize,
    holder: Option<TaskId>,
}

impl Drop for OwnedSemaphorePermit {
    fn drop(&mut self) {
        self.semaphore.resource.release(self.holder);
        if self.permits > 0 {
            self.semaphore.release(self.permits);
        }
    }
}

impl fmt::Debug for OwnedSemaphorePermit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OwnedSemaphorePermit")
            .field("permits", &self.permits)
            .finish()
    }
}
