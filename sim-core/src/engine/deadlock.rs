//! Deadlock analysis: what each blocked task waits on, who holds it, and the first cycle in the
//! "waits on a resource held by" graph.

use std::rc::Rc;

use crate::error::{BlockedOn, Deadlock, SimError};
use crate::record::{TaskId, TaskInfo};
use crate::sync::resource::Resource;

use super::Core;
use super::state::State;

impl Core {
    /// `task` now waits on `resource`.
    pub(crate) fn register_wait(&self, task: TaskId, resource: Rc<Resource>) {
        let old = self.state.borrow_mut().waits.insert(task, resource);
        drop(old);
    }

    /// `task` no longer waits on a primitive.
    pub(crate) fn clear_wait(&self, task: TaskId) {
        let old = self.state.borrow_mut().waits.remove(&task);
        drop(old);
    }
}

impl State {
    pub(super) fn deadlock(&self) -> SimError {
        let blocked: Vec<TaskInfo> = self.tasks.blocked();
        let waits: Vec<BlockedOn> = blocked
            .iter()
            .filter_map(|t| {
                let resource = self.waits.get(&t.id)?;
                Some(BlockedOn {
                    task: t.id,
                    resource: resource.to_string(),
                    holders: resource.holders(),
                })
            })
            .collect();
        let cycle = find_cycle(&waits);
        SimError::Deadlock(Deadlock {
            at: self.at(),
            blocked,
            waits,
            cycle,
        })
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
