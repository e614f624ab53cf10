//! Done callbacks (`JoinHandle::on_done`): run as scheduled steps, in registration order.
//!
//! When a task with callbacks finishes (or a callback is registered on a finished task), one
//! detached *drainer* task is spawned for it; it runs the task's callbacks one by one, taking
//! each from here, until none is left. Callbacks registered while a drainer is scheduled join
//! its queue, so the order is the registration order whatever the strategy.

use std::collections::{BTreeMap, VecDeque};

use crate::record::{DoneInfo, TaskId};

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
