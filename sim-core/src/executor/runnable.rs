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

use crate::record::TaskId;

/// A runnable task: its slot in the task table and its id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Ready {
    pub(crate) key: usize,
    pub(crate) id: TaskId,
}

impl Ready {
    /// A placeholder that names no task: its slot lies past any table.
    pub(crate) const NONE: Ready = Ready {
        key: usize::MAX,
        id: TaskId(u64::MAX),
    };
}

#[cfg(test)]
impl Ready {
    /// Task `n` in slot `n`, for unit tests.
    pub(crate) fn nth(n: u64) -> Ready {
        Ready {
            key: n as usize,
            id: TaskId(n),
        }
    }
}

/// The runnable tasks, in the order described in the module docs.
///
/// A vector read from `head` on: taking the front only moves `head`, so a pick costs one
/// bounds-checked index, with none of a ring buffer's wrap-around arithmetic. The spent prefix
/// is reclaimed when the set empties (the usual case between bursts) or when it makes up half
/// of a full vector.
#[derive(Debug, Default)]
pub(crate) struct RunnableSet {
    slots: Vec<Ready>,
    head: usize,
}

impl RunnableSet {
    pub(crate) fn with_capacity(capacity: usize) -> RunnableSet {
        RunnableSet {
            slots: Vec::with_capacity(capacity),
            head: 0,
        }
    }

    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.slots.len() - self.head
    }

    #[inline]
    pub(crate) fn is_empty(&self) -> bool {
        self.len() == 0
    }

    #[inline]
    pub(crate) fn push(&mut self, ready: Ready) {
        if self.slots.len() == self.slots.capacity() && self.head >= self.len() {
            // At least half the vector is spent: reclaim it rather than grow.
            self.slots.drain(..self.head);
            self.head = 0;
        }
        self.slots.push(ready);
    }

    /// The task at `index`, in the set's order (what a strategy's index refers to).
    #[inline]
    pub(crate) fn get(&self, index: usize) -> Ready {
        self.slots[self.head + index]
    }

    /// The index of task `id` in the set's order, if it is there (O(n); off the hot path).
    pub(crate) fn position(&self, id: TaskId) -> Option<usize> {
        self.slots[self.head..].iter().position(|r| r.id == id)
    }

    /// Removes `ready` wherever it is, keeping the others' order (O(n); off the hot path).
    pub(crate) fn remove(&mut self, ready: Ready) {
        if let Some(at) = self.slots[self.head..].iter().position(|r| *r == ready) {
            self.slots.remove(self.head + at);
            self.reset_if_empty();
        }
    }

    /// Removes every task for which `drop` holds, keeping the others' order (O(n); a node's
    /// crash or pause takes its tasks out this way, all at once).
    pub(crate) fn remove_where(&mut self, mut drop: impl FnMut(Ready) -> bool) {
        let head = self.head;
        let mut index = 0;
        self.slots.retain(|r| {
            index += 1;
            index <= head || !drop(*r)
        });
        self.reset_if_empty();
    }

    /// Removes and returns the task at `index`: the front task moves into its slot (a plain
    /// pop when `index` is 0).
    #[inline]
    pub(crate) fn take(&mut self, index: usize) -> Ready {
        assert!(index < self.len(), "runnable index in range");
        // With no branch on `index`: at 0 the front is swapped with itself. A random pick
        // would mispredict such a branch once in `len` steps.
        let front = self.slots[self.head];
        let taken = std::mem::replace(&mut self.slots[self.head + index], front);
        self.head += 1;
        self.reset_if_empty();
        taken
    }

    /// Empties the set, keeping its capacity.
    pub(crate) fn clear(&mut self) {
        self.slots.clear();
        self.head = 0;
    }

    #[inline]
    fn reset_if_empty(&mut self) {
        if self.head == self.slots.len() {
            self.clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::VecDeque;

    use super::*;

    fn ids(set: &RunnableSet) -> Vec<u64> {
        (0..set.len()).map(|i| set.get(i).id.0).collect()
    }

    /// The order must be exactly `VecDeque::swap_remove_front`'s: recorded indexes mean the
    /// same tasks on replay, and seeds keep their meaning.
    #[test]
    fn take_matches_swap_remove_front() {
        let mut set = RunnableSet::with_capacity(4);
        let mut model = VecDeque::new();
        let mut next = 0;
        let mut x: u64 = 7;
        for step in 0..10_000 {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            if model.is_empty() || (x >> 33) % 3 != 0 {
                set.push(Ready::nth(next));
                model.push_back(Ready::nth(next));
                next += 1;
            } else {
                let index = (x >> 40) as usize % model.len();
                let expected = model.swap_remove_front(index).unwrap();
                assert_eq!(set.take(index), expected, "step {step}");
            }
            assert_eq!(ids(&set), model.iter().map(|r| r.id.0).collect::<Vec<_>>());
        }
    }

    #[test]
    fn remove_keeps_the_order_of_the_rest() {
        let mut set = RunnableSet::default();
        for n in 0..5 {
            set.push(Ready::nth(n));
        }
        set.take(0);
        set.remove(Ready::nth(3));
        assert_eq!(ids(&set), [1, 2, 4]);
        set.remove(Ready::nth(9));
        assert_eq!(ids(&set), [1, 2, 4]);
    }
}
