//! The set of tasks ready to be polled.
//!
//! Invariants:
//! - a task is in the set at most once (the task table's `Phase::Queued` guards insertion);
//! - tasks sit in the order they became runnable, except that taking the task at index `i`
//!   moves the front task into slot `i` (`VecDeque::swap_remove_front`). Taking index 0 is a
//!   plain pop, so a strategy that always picks 0 runs tasks first-in, first-out; any index is
//!   taken in O(1), so a uniform random pick costs the same for ten tasks or a million.
//! - The order is a function of the run's history alone, so a recorded index means the same
//!   task when the run is replayed.

use std::collections::VecDeque;

use super::TaskId;

/// A runnable task: its slot in the task table and its id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Ready {
    pub(crate) key: usize,
    pub(crate) id: TaskId,
}

/// The runnable tasks, in the order described in the module docs.
#[derive(Debug, Default)]
pub(crate) struct RunnableSet {
    queue: VecDeque<Ready>,
}

impl RunnableSet {
    pub(crate) fn with_capacity(capacity: usize) -> RunnableSet {
        RunnableSet {
            queue: VecDeque::with_capacity(capacity),
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.queue.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }

    pub(crate) fn push(&mut self, ready: Ready) {
        self.queue.push_back(ready);
    }

    /// The task at `index`, in the set's order (what a strategy's index refers to).
    #[allow(dead_code)] // read by strategies that rank tasks
    pub(crate) fn get(&self, index: usize) -> Ready {
        self.queue[index]
    }

    /// Removes `ready` wherever it is, keeping the others' order (O(n); off the hot path).
    pub(crate) fn remove(&mut self, ready: Ready) {
        if let Some(at) = self.queue.iter().position(|r| *r == ready) {
            self.queue.remove(at);
        }
    }

    /// Removes and returns the task at `index`.
    #[inline]
    pub(crate) fn take(&mut self, index: usize) -> Ready {
        // The same as `swap_remove_front`, in fewer instructions: the front moves into the
        // taken slot (which sits at `index - 1` once the front is popped).
        let front = self.queue.pop_front().expect("runnable index in range");
        if index == 0 {
            front
        } else {
            std::mem::replace(&mut self.queue[index - 1], front)
        }
    }
}
