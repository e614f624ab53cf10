//! Deadlock analysis: what each blocked task waits on, who holds it, and the first cycle in the
//! "waits on a resource held by" graph.

use std::collections::BTreeMap;
use std::fmt;
use std::rc::Rc;

use crate::error::{BlockedOn, Deadlock, SimError};
use crate::record::{RunPoint, TaskId, TaskInfo};

use super::Core;
use super::state::State;

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
}

/// A deadlock found under the state's borrow, to be described once it is released (so a
/// target's `Display` and `holders`, which may be user code, run outside it).
pub(crate) struct Stuck {
    at: RunPoint,
    blocked: Vec<TaskInfo>,
    waits: Vec<(TaskId, Rc<dyn WaitTarget>)>,
}

impl Stuck {
    pub(crate) fn into_error(self) -> SimError {
        let waits: Vec<BlockedOn> = self
            .waits
            .iter()
            .map(|(task, target)| BlockedOn {
                task: *task,
                resource: target.to_string(),
                holders: target.holders(),
            })
            .collect();
        let cycle = find_cycle(&waits);
        SimError::Deadlock(Deadlock {
            at: self.at,
            blocked: self.blocked,
            waits,
            cycle,
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

impl Core {
    /// `task` now waits on `target`.
    pub(crate) fn register_wait(&self, task: TaskId, target: Rc<dyn WaitTarget>) {
        let old = self.state.borrow_mut().waits.insert(task, target);
        drop(old);
    }

    /// `task` no longer waits on `target` (if it still waits on something else, that stays).
    pub(crate) fn clear_wait_on(&self, task: TaskId, target: &Rc<dyn WaitTarget>) {
        let mut st = self.state.borrow_mut();
        let old = match st.waits.get(&task) {
            Some(current) if Rc::ptr_eq(current, target) => st.waits.remove(&task),
            _ => None,
        };
        drop(st);
        drop(old);
    }

    /// `task` no longer waits on a primitive.
    pub(crate) fn clear_wait(&self, task: TaskId) {
        let old = self.state.borrow_mut().waits.remove(&task);
        drop(old);
    }
}

impl State {
    /// Every blocked task, and what those that registered a wait, or await a join handle,
    /// wait on.
    pub(super) fn stuck(&self) -> Stuck {
        let blocked: Vec<TaskInfo> = self.tasks.blocked();
        let joins: BTreeMap<TaskId, Rc<dyn WaitTarget>> = self
            .tasks
            .joins()
            .into_iter()
            .map(|(waiter, key)| {
                let target: Rc<dyn WaitTarget> = Rc::new(TaskEnd(self.tasks.info(key)));
                (waiter, target)
            })
            .collect();
        let waits = blocked
            .iter()
            .filter_map(|t| {
                let target = self.waits.get(&t.id).or_else(|| joins.get(&t.id))?;
                Some((t.id, Rc::clone(target)))
            })
            .collect();
        Stuck {
            at: self.at(),
            blocked,
            waits,
        }
    }
}

/// The first cycle (from the lowest task id) in the graph "task waits on a resource held by".
fn find_cycle(waits: &[BlockedOn]) -> Vec<TaskId> {
    let next = |task: TaskId| -> Vec<TaskId> {
        waits
            .iter()
            .find(|w| w.task == task)
            .map(|w| w.holders.clone())
            .unwrap_or_default()
    };
    for start in waits.iter().map(|w| w.task) {
        // Depth-first, following holders; a path that comes back to `start` is a cycle.
        // Only tasks above `start` are entered, so each cycle is found from its lowest id.
        let mut path = vec![start];
        let mut stack = vec![next(start)];
        while let Some(options) = stack.last_mut() {
            match options.pop() {
                Some(task) if task == start => return path,
                Some(task) if !path.contains(&task) && task > start => {
                    path.push(task);
                    stack.push(next(task));
                }
                Some(_) => {}
                None => {
                    stack.pop();
                    path.pop();
                }
            }
        }
    }
    Vec::new()
}
