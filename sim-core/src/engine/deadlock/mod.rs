//! Deadlock analysis: what each blocked task waits on, who holds it (or, failing that, who holds
//! its waker), and the first cycle in the "waits on a resource held by" graph.
//!
//! - this file: the public [`WaitTarget`], and the report gathered under the state's borrow
//!   ([`State::stuck`]) and described once it is released ([`Stuck::into_error`]);
//! - [`waits`]: the waits each task registered, and how a wait's end finds its wait;
//! - the report's text and its cycle search are `error`'s (`Deadlock`'s `Display`).

#[cfg(test)]
mod tests;
mod waits;

use std::collections::BTreeMap;
use std::fmt;
use std::rc::Rc;

use crate::error::{BlockedOn, Deadlock, SimError, WakerHeld, find_cycle};
use crate::record::{RunPoint, TaskId, TaskInfo};

use super::state::State;

pub(crate) use waits::TaskWaits;

/// Something a task can wait on, as a deadlock report names it: a lock, a channel, a join
/// handle, a socket — sim's primitives implement it, and so can a third-party one.
///
/// A primitive registers the waiting task with [`Waiting`](crate::sync::Waiting) while the task
/// is blocked on it; when the run deadlocks, the report prints, for each blocked task, the
/// target's `Display` and the tasks it names as [`holders`](WaitTarget::holders), and looks for
/// a cycle of "waits on something held by". Both are called after the run has stopped, with the
/// runtime released, so they may read anything (but there is nothing left to schedule).
///
/// # Examples
///
/// ```
/// use std::fmt;
/// use std::rc::Rc;
/// use sim::sync::{WaitTarget, Waiting};
///
/// /// A gate that never opens.
/// struct Gate;
///
/// impl fmt::Display for Gate {
///     fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
///         f.write_str("the gate of the example")
///     }
/// }
///
/// impl WaitTarget for Gate {}
///
/// let err = sim::Runtime::new(0)
///     .block_on(async {
///         let _waiting = Waiting::new(Rc::new(Gate));
///         std::future::pending::<()>().await
///     })
///     .unwrap_err();
/// assert!(err.to_string().contains("waiting on the gate of the example"), "{err}");
/// ```
pub trait WaitTarget: fmt::Display {
    /// The tasks holding the target (a lock's owner, a semaphore's permit holders); none by
    /// default.
    fn holders(&self) -> Vec<TaskId> {
        Vec::new()
    }

    /// Tasks that probably hold the target, when sim cannot know who does: a guess, which the
    /// report prints as one ("probably held by") and follows only to find a
    /// [`probable_cycle`](crate::Deadlock::probable_cycle). The waiting task itself, tasks
    /// already among the [`holders`](WaitTarget::holders) and tasks no longer running are left
    /// out. None by default; a oneshot channel's receiver names the task that created the
    /// channel (see [`sync::oneshot`](crate::sync::oneshot)).
    ///
    /// ```
    /// use std::fmt;
    /// use std::rc::Rc;
    /// use sim::sync::{WaitTarget, Waiting};
    /// use sim::TaskId;
    ///
    /// /// A promise, which the task that made it will probably keep.
    /// struct Promise(TaskId);
    ///
    /// impl fmt::Display for Promise {
    ///     fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    ///         f.write_str("a promise")
    ///     }
    /// }
    ///
    /// impl WaitTarget for Promise {
    ///     fn probable_holders(&self) -> Vec<TaskId> {
    ///         vec![self.0]
    ///     }
    /// }
    ///
    /// let err = sim::Runtime::new(0)
    ///     .block_on(async {
    ///         let maker = sim::spawn(std::future::pending::<()>());
    ///         let _waiting = Waiting::new(Rc::new(Promise(maker.id())));
    ///         std::future::pending::<()>().await
    ///     })
    ///     .unwrap_err();
    /// assert!(err.to_string().contains("waiting on a promise, probably held by #1"), "{err}");
    /// ```
    fn probable_holders(&self) -> Vec<TaskId> {
        Vec::new()
    }
}

/// A deadlock found under the state's borrow, to be described once it is released (so a
/// target's `Display` and `holders`, which may be user code, run outside it).
pub(crate) struct Stuck {
    at: RunPoint,
    blocked: Vec<TaskInfo>,
    /// Each blocked task's waits, in task order and, for one task, in the order it began
    /// them; with whether sim cannot tell if the wait is still on (see [`TaskWaits`]).
    waits: Vec<(TaskId, Rc<dyn WaitTarget>, bool)>,
    /// Who holds the waker of each blocked task that names no wait.
    wakers: Vec<(TaskId, WakerHeld)>,
}

impl Stuck {
    pub(crate) fn into_error(self) -> SimError {
        let running = |task: &TaskId| self.blocked.iter().any(|t| t.id == *task);
        let waits: Vec<BlockedOn> = self
            .waits
            .iter()
            .map(|(task, target, uncertain)| {
                let holders = target.holders();
                let mut probable_holders: Vec<TaskId> = target
                    .probable_holders()
                    .into_iter()
                    .filter(|t| t != task && !holders.contains(t) && running(t))
                    .collect();
                probable_holders.sort_unstable();
                probable_holders.dedup();
                BlockedOn {
                    task: *task,
                    resource: target.to_string(),
                    holders,
                    probable_holders,
                    uncertain: *uncertain,
                }
            })
            .collect();
        let cycle = find_cycle(&waits, false);
        SimError::Deadlock(Deadlock {
            at: self.at,
            blocked: self.blocked,
            waits,
            cycle,
            wakers: self.wakers.into_boxed_slice(),
        })
    }
}

/// The end of a task, which its join handle's owner waits for; the task itself is its holder,
/// so a task and the one it awaits that wait on each other form a reported cycle.
struct TaskEnd(TaskInfo);

impl fmt::Display for TaskEnd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the end of task {}", self.0)
    }
}

impl WaitTarget for TaskEnd {
    fn holders(&self) -> Vec<TaskId> {
        vec![self.0.id]
    }
}

impl State {
    /// Every blocked task, and what those that registered a wait, or await a join handle,
    /// wait on.
    pub(super) fn stuck(&self) -> Stuck {
        let blocked: Vec<TaskInfo> = self.tasks.blocked();
        let mut joins: BTreeMap<TaskId, Vec<Rc<dyn WaitTarget>>> = BTreeMap::new();
        for (waiter, key) in self.tasks.joins() {
            let target: Rc<dyn WaitTarget> = Rc::new(TaskEnd(self.tasks.info(key)));
            joins.entry(waiter).or_default().push(target);
        }
        let mut waits = Vec::new();
        let mut unnamed = Vec::new();
        for task in &blocked {
            let before = waits.len();
            if let Some(registered) = self.waits.get(&task.id) {
                for (target, uncertain) in registered.report() {
                    waits.push((task.id, target, uncertain));
                }
            }
            for target in joins.remove(&task.id).unwrap_or_default() {
                waits.push((task.id, target, false));
            }
            if waits.len() == before {
                unnamed.push(task.id);
            }
        }
        // A task that names no wait: what its waker says. Sim's primitives that keep a
        // waiter's waker also name the wait (and a join handle is found above), so a waker
        // held anyway is held by something sim does not know. (One exception, documented at
        // `WakerHeld::Outside`: an mpsc channel keeps the waker of a cancelled receive.)
        let holders: BTreeMap<TaskId, usize> = if unnamed.is_empty() {
            BTreeMap::new()
        } else {
            self.tasks.waker_holders().into_iter().collect()
        };
        let wakers = unnamed
            .into_iter()
            .filter_map(|task| {
                let held = match holders.get(&task)? {
                    0 => WakerHeld::Nowhere,
                    _ => WakerHeld::Outside,
                };
                Some((task, held))
            })
            .collect();
        Stuck {
            at: self.at(),
            blocked,
            waits,
            wakers,
        }
    }
}
