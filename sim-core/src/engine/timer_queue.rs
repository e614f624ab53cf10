//! The timer queue: armed timers ordered by (deadline, arming order), over a radix heap
//! ([`Wheel`], in `radix`).
//!
//! Invariants:
//! - every armed timer has one entry in `entries` and exactly one item in the wheel with its
//!   `seq`;
//! - items whose `seq` no longer matches a live entry are stale (the timer was disarmed or
//!   re-armed). They are dropped when they reach bucket 0, and when stale items outnumber live
//!   ones every bucket is compacted, so memory stays proportional to the armed timers;
//! - the engine arms only deadlines after the clock, and the wheel's `last` never passes the
//!   clock except to the deadline the clock moves to next, so no armed deadline is before it;
//! - deadlines are virtual nanoseconds; `seq` increases with every arming. The timers due at an
//!   instant are handed out sorted by `seq`, that is in arming order, exactly as the binary heap
//!   keyed by (deadline, seq) that this replaced did, so seeds keep their meaning; the run loop
//!   then decides the firing order of such ties through the strategy.

use std::cell::RefCell;
use std::task::Waker;

use slab::Slab;

use super::radix::{Item, Wheel};
use crate::executor::{Inbox, Ready};
use crate::spare;

/// Whom a timer wakes when it fires.
#[derive(Debug)]
pub(crate) enum TimerWake {
    /// The task that armed it with its own waker (a `sleep` or `timeout` awaited in the task
    /// itself, nearly always). Firing queues the task in the inbox exactly as its waker would,
    /// in the same place in the order, without a clone of the waker to make, touch and drop:
    /// at a million timers that waker was one more scattered cache line per timer.
    Task(Ready),
    /// Any other waker (a future polled by another executor or combinator's waker).
    Waker(Waker),
}

impl TimerWake {
    /// Whether both wake the same thing.
    pub(crate) fn same_as(&self, other: &TimerWake) -> bool {
        match (self, other) {
            (TimerWake::Task(a), TimerWake::Task(b)) => a == b,
            (TimerWake::Waker(a), TimerWake::Waker(b)) => a.will_wake(b),
            _ => false,
        }
    }

    /// Fires: queues the task, or wakes the waker (which may run any code: call it with the
    /// state released).
    pub(crate) fn wake(self, inbox: &Inbox) {
        match self {
            TimerWake::Task(ready) => inbox.push(ready),
            TimerWake::Waker(waker) => waker.wake(),
        }
    }
}

/// An armed timer, as its owner (a `Sleep`) refers to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TimerKey {
    key: usize,
    seq: u64,
}

#[derive(Debug)]
struct TimerEntry {
    seq: u64,
    wake: TimerWake,
}

#[derive(Debug)]
pub(crate) struct TimerQueue {
    /// The buckets, made at the first timer armed (in their own allocation: inline they made
    /// the runtime's state too large for the allocator's thread cache, 110 instructions more
    /// per runtime made); kept for the next run on the thread with the entries.
    wheel: Option<Box<Wheel>>,
    /// No armed deadline is before this (`u64::MAX`: none is armed, or none was found since
    /// the last search): asking whether a timer is due, before every step, is one comparison.
    horizon: u64,
    entries: Slab<TimerEntry>,
    next_seq: u64,
    stale: usize,
}

/// The empty buffers of the last queue dropped on this thread, for the next run's queue (see
/// [`crate::spare`]). Kept up to `RECYCLE_MAX` slots.
type Spare = (Option<Box<Wheel>>, Slab<TimerEntry>);

thread_local! {
    static SPARE: RefCell<Option<Spare>> = const { RefCell::new(None) };
}

const RECYCLE_MAX: usize = 4096;

impl Default for TimerQueue {
    fn default() -> TimerQueue {
        let (wheel, entries) = spare::take(&SPARE).unwrap_or_default();
        debug_assert!(wheel.as_ref().is_none_or(|w| w.is_empty()) && entries.is_empty());
        TimerQueue {
            wheel,
            horizon: u64::MAX,
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
            || self
                .wheel
                .as_ref()
                .is_some_and(|w| w.pushed() > RECYCLE_MAX)
        {
            return; // the fields drop as usual
        }
        if let Some(wheel) = &mut self.wheel {
            wheel.clear(); // only stale items are left
        }
        self.entries.clear();
        let spare = (self.wheel.take(), std::mem::take(&mut self.entries));
        spare::keep(&SPARE, spare);
    }
}

impl TimerQueue {
    /// A queue with no buffers, leaving the thread's spare ones for the next run (teardown
    /// swaps this in for the run's queue).
    pub(crate) fn empty() -> TimerQueue {
        TimerQueue {
            wheel: None,
            horizon: u64::MAX,
            entries: Slab::new(),
            next_seq: 0,
            stale: 0,
        }
    }

    /// Arms a timer that wakes `wake` at `deadline`, which must not be earlier than any time
    /// the queue has been asked about (the engine arms only deadlines after the clock).
    pub(crate) fn insert(&mut self, deadline: u64, wake: TimerWake) -> TimerKey {
        let seq = self.next_seq;
        self.next_seq += 1;
        let key = self.entries.insert(TimerEntry { seq, wake });
        let wheel = self.wheel.get_or_insert_with(Wheel::new);
        debug_assert!(
            deadline >= wheel.last(),
            "a timer armed in the past: {deadline} < {}",
            wheel.last()
        );
        let deadline = deadline.max(wheel.last());
        wheel.push(Item { deadline, seq, key });
        self.horizon = self.horizon.min(deadline);
        TimerKey { key, seq }
    }

    /// Whether an armed timer already wakes `wake`; `None` if it is no longer armed.
    pub(crate) fn wakes(&self, timer: TimerKey, wake: &TimerWake) -> Option<bool> {
        match self.entries.get(timer.key) {
            Some(entry) if entry.seq == timer.seq => Some(entry.wake.same_as(wake)),
            _ => None,
        }
    }

    /// Gives an armed timer a new target, returning the old one (to drop outside any borrow).
    pub(crate) fn replace_wake(&mut self, timer: TimerKey, wake: TimerWake) -> Option<TimerWake> {
        match self.entries.get_mut(timer.key) {
            Some(entry) if entry.seq == timer.seq => Some(std::mem::replace(&mut entry.wake, wake)),
            _ => None,
        }
    }

    /// Disarms a timer; does nothing if it already fired or was disarmed. Returns whom it
    /// would have woken.
    pub(crate) fn remove(&mut self, timer: TimerKey) -> Option<TimerWake> {
        match self.entries.get(timer.key) {
            Some(entry) if entry.seq == timer.seq => {
                let entry = self.entries.remove(timer.key);
                self.stale += 1;
                self.compact_if_mostly_stale();
                Some(entry.wake)
            }
            _ => None,
        }
    }

    fn compact_if_mostly_stale(&mut self) {
        if self.stale > 64 && self.stale > self.entries.len() {
            let entries = &self.entries;
            if let Some(wheel) = &mut self.wheel {
                wheel.retain(|item| is_live(entries, item));
            }
            self.stale = 0;
        }
    }

    /// Drops the stale items of bucket 0; whether a live one is left.
    fn live_at_last(wheel: &mut Wheel, entries: &Slab<TimerEntry>, stale: &mut usize) -> bool {
        let bucket = wheel.bucket_mut(0);
        if bucket.is_empty() {
            return false;
        }
        let before = bucket.len();
        bucket.retain(|item| is_live(entries, item));
        *stale = stale.saturating_sub(before - bucket.len());
        !bucket.is_empty()
    }

    /// The deadline of the earliest armed timer if it is due at `now` (not after it).
    /// Costs a bit test when nothing is due; otherwise its work is paid back by the items it
    /// moves to lower buckets.
    #[inline]
    pub(crate) fn due(&mut self, now: u64) -> Option<u64> {
        // Asked before every step: the usual answer (nothing due) is one comparison.
        if now < self.horizon {
            return None;
        }
        self.due_slow(now)
    }

    #[inline(never)]
    fn due_slow(&mut self, now: u64) -> Option<u64> {
        let wheel = self.wheel.as_deref_mut()?;
        loop {
            if Self::live_at_last(wheel, &self.entries, &mut self.stale) {
                self.horizon = wheel.last();
                return Some(wheel.last());
            }
            let Some(b) = wheel.first_occupied() else {
                self.horizon = u64::MAX;
                return None;
            };
            if wheel.lowest_in(b) > now {
                self.horizon = wheel.lowest_in(b);
                return None;
            }
            let earliest = min_deadline(wheel.bucket_mut(b));
            // Either the earliest item reaches bucket 0 (due), or every item of the bucket
            // moves below it, past `now`, so the next call stops at the bit test.
            wheel.settle(b, earliest.min(now));
        }
    }

    /// The earliest deadline of an armed timer. The run loop asks when nothing is runnable or
    /// due, and then moves the clock to it: `last` moves there too.
    pub(crate) fn next_deadline(&mut self) -> Option<u64> {
        let wheel = self.wheel.as_deref_mut()?;
        loop {
            if Self::live_at_last(wheel, &self.entries, &mut self.stale) {
                self.horizon = wheel.last();
                return Some(wheel.last());
            }
            let Some(b) = wheel.first_occupied() else {
                self.horizon = u64::MAX;
                return None;
            };
            let earliest = min_deadline(wheel.bucket_mut(b));
            let entries = &self.entries;
            let bucket = wheel.bucket_mut(b);
            if !bucket
                .iter()
                .any(|item| item.deadline == earliest && is_live(entries, item))
            {
                // Moving `last` to a disarmed timer's deadline would put it past the clock for
                // good. Drop every stale item of the bucket instead (no more work than the
                // move it replaces), so that its earliest item is next a live one.
                let before = bucket.len();
                bucket.retain(|item| is_live(entries, item));
                self.stale = self.stale.saturating_sub(before - bucket.len());
                if bucket.is_empty() {
                    wheel.unmark(b);
                }
                continue;
            }
            wheel.settle(b, earliest);
        }
    }

    /// Removes every timer due at `deadline` (which must be what [`due`](Self::due) or
    /// [`next_deadline`](Self::next_deadline) just returned) and appends their wakers to
    /// `out` in arming order.
    pub(crate) fn pop_due_at(&mut self, deadline: u64, out: &mut Vec<TimerWake>) {
        let Some(wheel) = self.wheel.as_deref_mut() else {
            return;
        };
        debug_assert_eq!(deadline, wheel.last(), "timers popped at another time");
        let mut items = std::mem::take(wheel.bucket_mut(0));
        if items.len() > 1 {
            items.sort_unstable_by_key(|item| item.seq);
        }
        for item in &items {
            if is_live(&self.entries, item) {
                out.push(self.entries.remove(item.key).wake);
            } else {
                self.stale = self.stale.saturating_sub(1);
            }
        }
        items.clear();
        *wheel.bucket_mut(0) = items;
        // Bucket 0 is empty now: the next deadline is in the first occupied bucket.
        self.horizon = wheel
            .first_occupied()
            .map_or(u64::MAX, |b| wheel.lowest_in(b));
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

    /// How many items the buckets hold, stale ones included.
    #[cfg(test)]
    fn items(&self) -> usize {
        self.wheel.as_ref().map_or(0, |w| w.len())
    }
}

fn min_deadline(items: &[Item]) -> u64 {
    items
        .iter()
        .map(|item| item.deadline)
        .min()
        .expect("an occupied bucket holds an item")
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
        let noop = || TimerWake::Waker(Waker::noop().clone());
        let _late = q.insert(20, noop());
        let _a = q.insert(10, noop());
        let b = q.insert(10, noop());
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
            let t = q.insert(1_000_000 + i, TimerWake::Waker(Waker::noop().clone()));
            q.remove(t);
        }
        assert!(q.items() <= 200, "kept {} stale items", q.items());
        assert_eq!(q.next_deadline(), None);
    }

    /// Against a model (a sorted set of (deadline, seq)): random arming, disarming, clock
    /// advances and firing, with ties, far deadlines and bursts, must fire the same timers at
    /// the same instants in the same order as the binary heap this queue replaced.
    #[test]
    fn fires_like_a_sorted_set() {
        use std::collections::BTreeSet;
        use std::sync::Arc;
        use std::task::Wake;

        /// A waker that names its timer, so the order of fired wakers can be read back.
        struct Named(u64, Arc<std::sync::Mutex<Vec<u64>>>);
        impl Wake for Named {
            fn wake(self: Arc<Self>) {
                self.1.lock().unwrap().push(self.0);
            }
        }

        let mut x: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for round in 0..40 {
            let fired = Arc::new(std::sync::Mutex::new(Vec::new()));
            let mut q = TimerQueue::default();
            let mut model: BTreeSet<(u64, u64)> = BTreeSet::new();
            let mut armed: Vec<(TimerKey, u64, u64)> = Vec::new();
            let mut now = 0u64;
            let mut seq = 0u64;
            let mut expected = Vec::new();
            for _ in 0..3_000 {
                match next() % 10 {
                    0..=4 => {
                        let spread = [4, 1_000, 1 << 20, 1 << 40, u64::MAX / 4][round % 5];
                        let Some(deadline) = now.checked_add(1 + next() % spread) else {
                            continue;
                        };
                        let waker = Waker::from(Arc::new(Named(seq, Arc::clone(&fired))));
                        let wake = TimerWake::Waker(waker);
                        armed.push((q.insert(deadline, wake), deadline, seq));
                        model.insert((deadline, seq));
                        seq += 1;
                    }
                    5 | 6 if !armed.is_empty() => {
                        let at = (next() % armed.len() as u64) as usize;
                        let (key, deadline, s) = armed.swap_remove(at);
                        assert_eq!(q.remove(key).is_some(), model.remove(&(deadline, s)));
                    }
                    7 => now += next() % 2_000,
                    _ => {
                        let due = model.first().map(|&(d, _)| d).filter(|&d| d <= now);
                        assert_eq!(q.due(now), due, "round {round}");
                        let deadline = match due {
                            Some(d) => d,
                            None => {
                                let first = model.first().map(|&(d, _)| d);
                                assert_eq!(q.next_deadline(), first, "round {round}");
                                match first {
                                    Some(d) => {
                                        now = d;
                                        d
                                    }
                                    None => continue,
                                }
                            }
                        };
                        let mut out = Vec::new();
                        q.pop_due_at(deadline, &mut out);
                        while let Some(&(d, s)) = model.first() {
                            if d != deadline {
                                break;
                            }
                            model.pop_first();
                            expected.push(s);
                        }
                        let inbox = Inbox::new();
                        out.into_iter().for_each(|w| w.wake(&inbox));
                        armed.retain(|&(_, d, _)| d != deadline);
                    }
                }
                assert_eq!(q.len(), model.len());
            }
            assert_eq!(*fired.lock().unwrap(), expected, "round {round}");
        }
    }
}
