//! The timer queue: armed timers ordered by (deadline, arming order).
//!
//! Invariants:
//! - every armed timer has one entry in `entries` and at least one heap item with its `seq`;
//! - heap items whose `seq` no longer matches a live entry are stale (the timer was disarmed or
//!   re-armed) and are skipped when they reach the top. When stale items outnumber live ones the
//!   heap is rebuilt, so memory stays proportional to the armed timers;
//! - deadlines are virtual nanoseconds; `seq` increases with every arming, so among timers due
//!   at the same instant, heap order is arming order. The run loop decides the firing order of
//!   such ties through the strategy.

use std::cell::RefCell;
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::task::Waker;

use slab::Slab;

use crate::spare;

/// An armed timer, as its owner (a `Sleep`) refers to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TimerKey {
    key: usize,
    seq: u64,
}

#[derive(Debug)]
struct TimerEntry {
    seq: u64,
    waker: Waker,
}

/// A heap item: ordered by deadline, then by arming order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Item {
    deadline: u64,
    seq: u64,
    key: usize,
}

#[derive(Debug)]
pub(crate) struct TimerQueue {
    heap: BinaryHeap<Reverse<Item>>,
    entries: Slab<TimerEntry>,
    next_seq: u64,
    stale: usize,
}

/// The empty buffers of the last queue dropped on this thread, for the next run's queue (see
/// [`crate::spare`]). Kept up to `RECYCLE_MAX` slots.
type Spare = (BinaryHeap<Reverse<Item>>, Slab<TimerEntry>);

thread_local! {
    static SPARE: RefCell<Option<Spare>> = const { RefCell::new(None) };
}

const RECYCLE_MAX: usize = 4096;

impl Default for TimerQueue {
    fn default() -> TimerQueue {
        let (heap, entries) = spare::take(&SPARE).unwrap_or_default();
        debug_assert!(heap.is_empty() && entries.is_empty());
        TimerQueue {
            heap,
            entries,
            next_seq: 0,
            stale: 0,
        }
    }
}

impl Drop for TimerQueue {
    fn drop(&mut self) {
        if !self.entries.is_empty()
            || self.entries.capacity() > RECYCLE_MAX
            || self.heap.capacity() > RECYCLE_MAX
        {
            return; // the fields drop as usual
        }
        self.heap.clear(); // only stale items are left
        self.entries.clear();
        let spare = (
            std::mem::take(&mut self.heap),
            std::mem::take(&mut self.entries),
        );
        spare::keep(&SPARE, spare);
    }
}

impl TimerQueue {
    /// A queue with no buffers, leaving the thread's spare ones for the next run (teardown
    /// swaps this in for the run's queue).
    pub(crate) fn empty() -> TimerQueue {
        TimerQueue {
            heap: BinaryHeap::new(),
            entries: Slab::new(),
            next_seq: 0,
            stale: 0,
        }
    }

    /// Arms a timer that wakes `waker` at `deadline`.
    pub(crate) fn insert(&mut self, deadline: u64, waker: Waker) -> TimerKey {
        let seq = self.next_seq;
        self.next_seq += 1;
        let key = self.entries.insert(TimerEntry { seq, waker });
        self.heap.push(Reverse(Item { deadline, seq, key }));
        TimerKey { key, seq }
    }

    /// Whether an armed timer already wakes `waker`; `None` if it is no longer armed.
    pub(crate) fn wakes(&self, timer: TimerKey, waker: &Waker) -> Option<bool> {
        match self.entries.get(timer.key) {
            Some(entry) if entry.seq == timer.seq => Some(entry.waker.will_wake(waker)),
            _ => None,
        }
    }

    /// Gives an armed timer a new waker, returning the old one (to drop outside any borrow).
    pub(crate) fn replace_waker(&mut self, timer: TimerKey, waker: Waker) -> Option<Waker> {
        match self.entries.get_mut(timer.key) {
            Some(entry) if entry.seq == timer.seq => {
                Some(std::mem::replace(&mut entry.waker, waker))
            }
            _ => None,
        }
    }

    /// Disarms a timer; does nothing if it already fired or was disarmed. Returns its waker.
    pub(crate) fn remove(&mut self, timer: TimerKey) -> Option<Waker> {
        match self.entries.get(timer.key) {
            Some(entry) if entry.seq == timer.seq => {
                let entry = self.entries.remove(timer.key);
                self.stale += 1;
                self.compact_if_mostly_stale();
                Some(entry.waker)
            }
            _ => None,
        }
    }

    fn compact_if_mostly_stale(&mut self) {
        if self.stale > 64 && self.stale > self.entries.len() {
            let entries = &self.entries;
            self.heap.retain(|Reverse(item)| is_live(entries, item));
            self.stale = 0;
        }
    }

    /// The earliest deadline of an armed timer.
    pub(crate) fn next_deadline(&mut self) -> Option<u64> {
        while let Some(Reverse(item)) = self.heap.peek() {
            if is_live(&self.entries, item) {
                return Some(item.deadline);
            }
            self.heap.pop();
            self.stale = self.stale.saturating_sub(1);
        }
        None
    }

    /// Removes every timer due at `deadline` (which must be the earliest) and appends their
    /// wakers to `out` in arming order.
    pub(crate) fn pop_due_at(&mut self, deadline: u64, out: &mut Vec<Waker>) {
        while let Some(Reverse(item)) = self.heap.peek() {
            if item.deadline != deadline {
                break;
            }
            let item = *item;
            self.heap.pop();
            if is_live(&self.entries, &item) {
                out.push(self.entries.remove(item.key).waker);
            } else {
                self.stale = self.stale.saturating_sub(1);
            }
        }
    }

    /// Whether no timer is armed.
    pub(crate) fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// How many timers are armed.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }
}

fn is_live(entries: &Slab<TimerEntry>, item: &Item) -> bool {
    entries.get(item.key).is_some_and(|e| e.seq == item.seq)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fires_in_deadline_then_arming_order() {
        let mut q = TimerQueue::default();
        let noop = Waker::noop();
        let _late = q.insert(20, noop.clone());
        let _a = q.insert(10, noop.clone());
        let b = q.insert(10, noop.clone());
        assert_eq!(q.next_deadline(), Some(10));
        assert!(q.remove(b).is_some());
        assert!(q.remove(b).is_none(), "a second disarm is a no-op");
        let mut out = Vec::new();
        q.pop_due_at(10, &mut out);
        assert_eq!(out.len(), 1);
        assert_eq!(q.next_deadline(), Some(20));
        assert_eq!(q.len(), 1);
    }

    #[test]
    fn stale_items_do_not_accumulate() {
        let mut q = TimerQueue::default();
        for i in 0..10_000 {
            let t = q.insert(1_000_000 + i, Waker::noop().clone());
            q.remove(t);
        }
        assert!(
            q.heap.len() <= 200,
            "heap kept {} stale items",
            q.heap.len()
        );
        assert_eq!(q.next_deadline(), None);
    }
}
