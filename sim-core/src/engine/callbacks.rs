//! Done callbacks (`JoinHandle::on_done`): run as scheduled steps, in registration order.
//!
//! When a task with callbacks finishes (or a callback is registered on a finished task), one
//! detached *drainer* task is spawned for it; it runs the task's callbacks one by one, taking
//! each from here, until none is left. Callbacks registered while a drainer is scheduled join
//! its queue, so the order is the registration order whatever the strategy.

use std::collections::{BTreeMap, VecDeque};
use std::panic::Location;
use std::rc::Rc;

use super::Core;
use super::context;
use crate::executor::NewTask;
use crate::executor::Ready;
use crate::executor::{AnyTask, Stage};
use crate::record::{DoneInfo, Outcome, TaskId};

pub(crate) type DoneCallback = Box<dyn FnOnce(DoneInfo)>;

#[derive(Default)]
struct Pending {
    queue: VecDeque<DoneCallback>,
    done: Option<DoneInfo>,
    drainer: bool,
}

/// Callbacks waiting for their task, or for their drainer to run them.
#[derive(Default)]
pub(crate) struct Callbacks {
    by_task: BTreeMap<TaskId, Pending>,
}

impl Callbacks {
    /// Adds a callback; `true` if a drainer must be spawned now.
    pub(crate) fn register(
        &mut self,
        id: TaskId,
        done: Option<DoneInfo>,
        callback: DoneCallback,
    ) -> bool {
        let pending = self.by_task.entry(id).or_default();
        pending.queue.push_back(callback);
        if pending.done.is_none() {
            pending.done = done;
        }
        pending.done.is_some() && !std::mem::replace(&mut pending.drainer, true)
    }

    /// The task finished; `true` if a drainer must be spawned now.
    pub(crate) fn task_done(&mut self, info: DoneInfo) -> bool {
        match self.by_task.get_mut(&info.id) {
            Some(pending) => {
                pending.done = Some(info);
                !std::mem::replace(&mut pending.drainer, true)
            }
            None => false,
        }
    }

    /// The next callback for the drainer of `id`, or `None` when it is done (and forgotten).
    pub(crate) fn next(&mut self, id: TaskId) -> Option<(DoneCallback, DoneInfo)> {
        let pending = self.by_task.get_mut(&id)?;
        let info = pending.done.expect("drainers run after the task finished");
        match pending.queue.pop_front() {
            Some(callback) => Some((callback, info)),
            None => {
                self.by_task.remove(&id);
                None
            }
        }
    }
}

impl Core {
    /// Registers a callback to run, as a scheduled step, once the task has finished. `known`
    /// is the outcome when the caller already knows the task finished.
    pub(crate) fn on_done(&self, ready: Ready, known: Option<Outcome>, callback: DoneCallback) {
        let drain = {
            let mut st = self.state.borrow_mut();
            let outcome =
                known.or_else(|| st.tasks.get(ready.key, ready.id).and_then(|e| e.outcome));
            let done = outcome.map(|outcome| DoneInfo {
                id: ready.id,
                outcome,
            });
            st.callbacks.register(ready.id, done, callback)
        };
        if drain {
            self.spawn_callback_drainer(ready.id);
        }
    }

    /// Spawns the detached task that runs a finished task's callbacks in registration order.
    pub(super) fn spawn_callback_drainer(&self, id: TaskId) {
        let future = async move {
            loop {
                let next = context::with_core("done callbacks", |core| {
                    core.state.borrow_mut().callbacks.next(id)
                });
                match next {
                    Some((callback, info)) => callback(info),
                    None => break,
                }
            }
        };
        let cell: std::pin::Pin<Box<dyn AnyTask>> = Box::pin(Stage::Running { future });
        let name = Some(Rc::from(format!("done callbacks of {id}")));
        let ready = self.insert(NewTask {
            name,
            spawned_at: Location::caller(),
            group: super::INHERIT,
            cell: Some(cell),
        });
        self.state.borrow_mut().tasks.entry(ready.key).claims = 0;
    }
}
