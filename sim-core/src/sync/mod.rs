//! Synchronization for tasks of one simulation: locks, semaphores, events, channels, queues.
//!
//! Shaped like tokio's primitives where tokio has the item, and like asyncio's `Queue` and
//! `Event`. All are single-threaded (share them with `Rc`), and all are scheduler-aware:
//!
//! - **FIFO waiters.** Whoever waits first is served first: locks, permits, queue items and
//!   channel room are handed over in arrival order.
//! - **Cancellation safety.** Dropping an operation's future before it completes cancels it,
//!   and a cancelled operation has no effect: a cancelled `put` or `send` puts nothing, a
//!   cancelled `get` or `recv` takes nothing, a cancelled acquire holds nothing. That holds in
//!   the window that matters, too: after the primitive has *granted* the waiter what it waited
//!   for (a lock, permits, room, an item, a notification) and before the waiter resumes to
//!   collect it — when the task making the grant aborts the waiter in the same step, say, or a
//!   `select!` drops it. The grant then passes on to the next waiter, in FIFO order, or back
//!   into the primitive; nothing is lost or duplicated, and the waiter leaves no trace. Each
//!   primitive's *Cancellation* section says exactly what happens; the two limits are a put
//!   or send whose item was already taken by a getter (it stands, once) and a barrier round
//!   already complete (the others have passed).
//! - **Chaos mode** ([`Builder::chaos`](crate::Builder::chaos)). At the first poll of an
//!   operation that could complete at once, the seed may make it yield once first, so that a
//!   check-then-act race across an `await` that *happened* to be ready becomes reachable. The
//!   points: [`Mutex::lock`], [`RwLock::read`], [`RwLock::write`], [`Semaphore::acquire`] (and
//!   `acquire_many`, `acquire_owned`), [`Event::wait`], [`Notify::notified`] (when a permit is
//!   stored), [`oneshot::Receiver`], [`mpsc::Sender::send`], [`mpsc::Receiver::recv`],
//!   [`Queue::put`] and [`Queue::get`]. `try_*` methods, `Barrier::wait` and `Queue::join`
//!   never yield for chaos. Each such choice is a recorded decision, so replay reproduces it.
//!
//! - **Deadlock reports.** A task blocked in one of these is reported with what it waits on and
//!   who holds it. A primitive of another crate gets the same by implementing [`WaitTarget`] and
//!   holding a [`Waiting`] while a task is blocked on it.
//!
//! These primitives use no thread synchronization: moving one to another thread is prevented
//! by the types (`Rc`, `RefCell`), so they cannot introduce wall-clock nondeterminism.

mod barrier;
mod buffer;
mod chaos;
mod event;
pub mod mpsc;
mod mutex;
mod notify;
pub mod oneshot;
mod queue;
mod resource;
mod rwlock;
mod semaphore;
mod waiters;
mod waiting;

pub use crate::engine::WaitTarget;
pub use waiting::Waiting;

pub use barrier::{Barrier, BarrierWait, BarrierWaitResult};
pub use event::{Event, Wait};
pub use mutex::{Lock, Mutex, MutexGuard};
pub use notify::{Notified, Notify};
pub use queue::{Get, Join, Put, Queue, QueueFull};
pub use rwlock::{Read, RwLock, RwLockReadGuard, RwLockWriteGuard, Write};
pub use semaphore::{
    Acquire, AcquireOwned, OwnedSemaphorePermit, Semaphore, SemaphorePermit, TryAcquireError,
};
