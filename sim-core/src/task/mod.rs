//! Spawning tasks and asking about the current one.

mod blocking;
mod builder;
mod group;
mod join;
mod yield_now;

use std::future::Future;
use std::panic::Location;

pub use blocking::spawn_blocking;
pub use builder::Builder;
pub use group::{GroupError, TaskGroup};
pub use yield_now::{YieldNow, yield_now};

use crate::engine::context;
pub use crate::executor::JoinError;
pub use crate::record::{DoneInfo, TaskId};
pub use join::{AbortOnDrop, Cancel, JoinHandle};

/// Spawns `future` as a new task of the current run and returns its [`JoinHandle`].
///
/// The task does not run inside `spawn`: it becomes runnable and is polled at a later step,
/// when the strategy picks it. The future need not be `Send`.
///
/// # Panics
///
/// Outside a running simulation.
///
/// # Examples
///
/// ```
/// use std::rc::Rc;
/// use std::cell::Cell;
///
/// sim::Runtime::new(0).block_on(async {
///     let counter = Rc::new(Cell::new(0)); // not Send, and that is fine
///     let c = Rc::clone(&counter);
///     let task = sim::spawn(async move { c.set(c.get() + 1) });
///     assert_eq!(counter.get(), 0); // not run yet
///     task.await.unwrap();
///     assert_eq!(counter.get(), 1);
/// }).unwrap();
/// ```
#[track_caller]
#[must_use = "dropping the JoinHandle detaches the task (it keeps running); await it, or call `abort`"]
pub fn spawn<F>(future: F) -> JoinHandle<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
{
    let at = Location::caller();
    context::with_core("sim::spawn", |core| {
        JoinHandle::spawn_on(core, future, None, at)
    })
}

/// The id of the task that is running.
///
/// # Panics
///
/// Outside a task of a running simulation; see [`try_id`].
///
/// ```
/// sim::Runtime::new(0).block_on(async {
///     let child = sim::spawn(async { sim::task::id() });
///     assert_eq!(child.id(), child.await.unwrap());
/// }).unwrap();
/// ```
#[track_caller]
pub fn id() -> TaskId {
    try_id().expect("`sim::task::id` called outside a task of a running simulation")
}

/// The id of the running task, or `None` outside one.
///
/// ```
/// assert_eq!(sim::task::try_id(), None);
/// ```
pub fn try_id() -> Option<TaskId> {
    context::current_task()
}
