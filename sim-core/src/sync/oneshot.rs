//! `oneshot`: a channel for a single value.
//!
//! A task blocked on a [`Receiver`] is reported in a deadlock as waiting on the channel (with
//! where it was created). Who holds the [`Sender`] sim cannot know (a value moves without
//! telling anyone), so the report names, as its *probable* holder, the task that created the
//! channel, unless that is the waiting task itself or a task no longer running. That guess is
//! right when the creating task keeps the sender and hands the receiver on (a single-flight
//! leader, a task spawning a waiter); it is wrong when the creator passed the sender on to a
//! third task, which is why the report says "probably" and builds only a *probable* cycle on it.

use std::cell::RefCell;
use std::fmt;
use std::future::Future;
use std::panic::Location;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use super::chaos::ChaosGate;
use crate::engine::{WaitTarget, context};
use crate::record::TaskId;

struct Inner<T> {
    value: Option<T>,
    sender_alive: bool,
    receiver_alive: bool,
    receiver_waker: Option<Waker>,
}

/// A channel that carries one value from a [`Sender`] to a [`Receiver`].
///
/// A deadlock report names a task blocked on the receiver with the channel's creation site and
/// the task that created it as the sender's probable holder (see the [module docs](self)).
///
/// # Examples
///
/// ```
/// sim::Runtime::new(0).block_on(async {
///     let (tx, rx) = sim::sync::oneshot::channel();
///     sim::spawn(async move { tx.send(7).unwrap() });
///     assert_eq!(rx.await.unwrap(), 7);
///
///     let (tx, rx) = sim::sync::oneshot::channel::<u8>();
///     drop(tx);
///     assert!(rx.await.is_err()); // the sender went away
/// }).unwrap();
/// ```
#[track_caller]
pub fn channel<T>() -> (Sender<T>, Receiver<T>) {
    let inner = Rc::new(RefCell::new(Inner {
        value: None,
        sender_alive: true,
        receiver_alive: true,
        receiver_waker: None,
    }));
    (
        Sender {
            inner: Rc::clone(&inner),
        },
        Receiver {
            inner,
            chaos: ChaosGate::default(),
            site: Location::caller(),
            creator: context::current_task(),
            waiting: None,
        },
    )
}

/// Sends the channel's one value.
pub struct Sender<T> {
    inner: Rc<RefCell<Inner<T>>>,
}

impl<T> Sender<T> {
    /// Sends `value`, consuming the sender.
    ///
    /// # Errors
    ///
    /// Gives the value back if the receiver is gone.
    ///
    /// ```
    /// let (tx, rx) = sim::sync::oneshot::channel();
    /// drop(rx);
    /// assert_eq!(tx.send(1), Err(1));
    /// ```
    pub fn send(self, value: T) -> Result<(), T> {
        let waker = {
            let mut inner = self.inner.borrow_mut();
            if !inner.receiver_alive {
                return Err(value);
            }
            inner.value = Some(value);
            inner.receiver_waker.take()
        };
        if let Some(w) = waker {
            w.wake();
        }
        Ok(())
    }

    /// Whether the receiver is gone (a send would fail).
    ///
    /// ```
    /// let (tx, rx) = sim::sync::oneshot::channel::<()>();
    /// assert!(!tx.is_closed());
    /// drop(rx);
    /// assert!(tx.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        !self.inner.borrow().receiver_alive
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        let waker = {
            let mut inner = self.inner.borrow_mut();
            inner.sender_alive = false;
            inner.receiver_waker.take()
        };
        if let Some(w) = waker {
            w.wake();
        }
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("oneshot::Sender")
            .field("closed", &self.is_closed())
            .finish()
    }
}

/// Receives the channel's value; a future resolving to it, or to [`RecvError`] if the sender
/// was dropped without sending.
pub struct Receiver<T> {
    inner: Rc<RefCell<Inner<T>>>,
    chaos: ChaosGate,
    /// Where the channel was created, and by which task: what deadlock reports say of it.
    site: &'static Location<'static>,
    creator: Option<TaskId>,
    /// The task registered with deadlock reports as waiting here, while it waits.
    waiting: Option<TaskId>,
}

impl<T> Receiver<T> {
    /// Takes the value if it has been sent.
    ///
    /// # Errors
    ///
    /// [`TryRecvError::Empty`] if nothing was sent yet, [`TryRecvError::Closed`] if the sender
    /// is gone without sending.
    ///
    /// ```
    /// let (tx, mut rx) = sim::sync::oneshot::channel();
    /// assert_eq!(rx.try_recv(), Err(sim::sync::oneshot::TryRecvError::Empty));
    /// tx.send(3).unwrap();
    /// assert_eq!(rx.try_recv(), Ok(3));
    /// ```
    pub fn try_recv(&mut self) -> Result<T, TryRecvError> {
        let mut inner = self.inner.borrow_mut();
        match inner.value.take() {
            Some(v) => Ok(v),
            None if !inner.sender_alive => Err(TryRecvError::Closed),
            None => Err(TryRecvError::Empty),
        }
    }
}

impl<T> Future for Receiver<T> {
    type Output = Result<T, RecvError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<T, RecvError>> {
        let this = &mut *self;
        let ready = {
            let inner = this.inner.borrow();
            inner.value.is_some() || !inner.sender_alive
        };
        if ready && this.chaos.hold(cx) {
            return Poll::Pending;
        }
        let mut inner = this.inner.borrow_mut();
        let result = match inner.value.take() {
            Some(v) => Ok(v),
            None if !inner.sender_alive => Err(RecvError),
            None => {
                let old = inner.receiver_waker.replace(cx.waker().clone());
                drop(inner);
                drop(old);
                if this.waiting.is_none() {
                    this.waiting = this.start_waiting();
                }
                return Poll::Pending;
            }
        };
        drop(inner);
        stop_waiting(this.waiting.take());
        Poll::Ready(result)
    }
}

impl<T> Receiver<T> {
    /// Registers the running task as waiting on the channel; returns the task.
    fn start_waiting(&self) -> Option<TaskId> {
        let core = context::try_core()?;
        let task = core.current_task()?;
        let target = OneshotWait {
            site: self.site,
            creator: self.creator,
        };
        core.register_wait(task, Rc::new(target));
        Some(task)
    }
}

/// `task` (as returned by [`Receiver::start_waiting`]) no longer waits.
fn stop_waiting(task: Option<TaskId>) {
    if let (Some(task), Some(core)) = (task, context::try_core()) {
        core.clear_wait(task);
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        stop_waiting(self.waiting.take());
        let mut inner = self.inner.borrow_mut();
        inner.receiver_alive = false;
        let value = inner.value.take();
        // The sender may outlive the receiver: it must not keep the waiter's waker, which
        // deadlock reports count.
        let waker = inner.receiver_waker.take();
        drop(inner);
        drop((value, waker));
    }
}

/// What a task blocked on a receiver waits on, as deadlock reports name it.
struct OneshotWait {
    site: &'static Location<'static>,
    creator: Option<TaskId>,
}

impl fmt::Display for OneshotWait {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "oneshot channel created at {}", self.site)
    }
}

impl WaitTarget for OneshotWait {
    /// The task that created the channel: a guess (see the module docs).
    fn probable_holders(&self) -> Vec<TaskId> {
        self.creator.into_iter().collect()
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("oneshot::Receiver").finish_non_exhaustive()
    }
}

/// The sender was dropped without sending.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecvError;

impl fmt::Display for RecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the oneshot sender was dropped without sending")
    }
}

impl std::error::Error for RecvError {}

/// Why [`Receiver::try_recv`] has no value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TryRecvError {
    /// Nothing has been sent yet.
    Empty,
    /// The sender was dropped without sending.
    Closed,
}

impl fmt::Display for TryRecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TryRecvError::Empty => "no value sent yet",
            TryRecvError::Closed => "the oneshot sender was dropped without sending",
        })
    }
}

impl std::error::Error for TryRecvError {}
