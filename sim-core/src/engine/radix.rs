//! A radix heap over timer deadlines: the buckets of the timer queue.
//!
//! Virtual time only moves forward, and timers are armed only for deadlines after the current
//! time, so a *monotone* priority queue serves. `last` is no later than any item. Deadlines
//! are read as eleven 6-bit digits. Bucket 0 holds the items due exactly at `last`; the other
//! buckets form levels of 64, like a timing wheel's: an item sits at the level of the highest
//! digit where its deadline differs from `last`, in the bucket of its own digit there. Every
//! deadline in a bucket is earlier than every deadline in a later bucket of its level or in a
//! higher level, so the first occupied bucket holds the earliest deadlines.
//!
//! Moving `last` forward to the smallest deadline of the first occupied bucket (or to any time
//! in that bucket's range before it) sends each of its items to a lower level, so an item
//! moves at most eleven times however many are armed (three or four for a million timers over
//! ten seconds), by sequential pushes. A binary heap's pop walks 20 levels of a million-item
//! array in scattered memory instead (17 of a timer's 46 cache misses at a million timers,
//! measured under `cachegrind`; see `docs/performance.md`).
//!
//! Invariant: `occupied[level]` has bit `digit` set exactly when that bucket holds an item,
//! and `levels` has bit `level` set exactly when `occupied[level]` is not zero. A bucket keeps
//! its buffer while the wheel lives.

/// A bucket item: a timer's deadline, arming order and entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Item {
    pub(super) deadline: u64,
    pub(super) seq: u64,
    pub(super) key: usize,
}

/// Bits per digit of a deadline, and buckets per level.
const DIGIT: u32 = 6;
const LEVELS: usize = 11;
/// Bucket 0, then `LEVELS` levels of 64 buckets.
const BUCKETS: usize = 1 + LEVELS * 64;

#[derive(Debug)]
pub(super) struct Wheel {
    buckets: Vec<Vec<Item>>,
    occupied: [u64; LEVELS],
    levels: u16,
    last: u64,
    /// Items pushed, moves included: how large the buffers may have grown.
    pushed: usize,
}

impl Wheel {
    pub(super) fn new() -> Box<Wheel> {
        let mut buckets = Vec::with_capacity(BUCKETS);
        buckets.resize_with(BUCKETS, Vec::new);
        Box::new(Wheel {
            buckets,
            occupied: [0; LEVELS],
            levels: 0,
            last: 0,
            pushed: 0,
        })
    }

    /// No item is before this time.
    #[inline]
    pub(super) fn last(&self) -> u64 {
        self.last
    }

    pub(super) fn pushed(&self) -> usize {
        self.pushed
    }

    #[inline]
    pub(super) fn bucket_mut(&mut self, b: usize) -> &mut Vec<Item> {
        &mut self.buckets[b]
    }

    /// Whether no bucket holds an item.
    pub(super) fn is_empty(&self) -> bool {
        self.levels == 0 && self.buckets[0].is_empty()
    }

    /// How many items the buckets hold.
    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        self.buckets.iter().map(Vec::len).sum()
    }

    /// Empties every bucket, keeping the buffers, for the next run. Visits only the occupied
    /// buckets: a runtime is dropped per seed, and walking all 705 measured 60 ns of a
    /// runtime's creation and drop.
    pub(super) fn clear(&mut self) {
        self.buckets[0].clear();
        for level in 0..LEVELS {
            let mut digits = self.occupied[level];
            while digits != 0 {
                let digit = digits.trailing_zeros() as usize;
                digits &= digits - 1;
                self.buckets[1 + level * 64 + digit].clear();
            }
        }
        self.occupied = [0; LEVELS];
        self.levels = 0;
        self.last = 0;
        self.pushed = 0;
    }

    /// Keeps only the items `keep` accepts.
    pub(super) fn retain(&mut self, mut keep: impl FnMut(&Item) -> bool) {
        for bucket in &mut self.buckets {
            bucket.retain(&mut keep);
        }
        self.occupied = [0; LEVELS];
        self.levels = 0;
        for b in 1..self.buckets.len() {
            if !self.buckets[b].is_empty() {
                self.mark(b);
            }
        }
    }

    /// The bucket of an item due at `deadline`, which is not before `last`.
    #[inline]
    fn bucket_of(&self, deadline: u64) -> usize {
        let differ = deadline ^ self.last;
        if differ == 0 {
            return 0;
        }
        let level = (u64::BITS - 1 - differ.leading_zeros()) / DIGIT;
        let digit = (deadline >> (level * DIGIT)) & 63;
        1 + level as usize * 64 + digit as usize
    }

    #[inline]
    fn mark(&mut self, b: usize) {
        let (level, digit) = ((b - 1) / 64, (b - 1) % 64);
        self.occupied[level] |= 1 << digit;
        self.levels |= 1 << level;
    }

    #[inline]
    pub(super) fn unmark(&mut self, b: usize) {
        let (level, digit) = ((b - 1) / 64, (b - 1) % 64);
        self.occupied[level] &= !(1 << digit);
        if self.occupied[level] == 0 {
            self.levels &= !(1 << level);
        }
    }

    /// Adds an item due at or after `last`.
    #[inline]
    pub(super) fn push(&mut self, item: Item) {
        self.pushed += 1;
        let b = self.bucket_of(item.deadline);
        self.buckets[b].push(item);
        if b > 0 {
            self.mark(b);
        }
    }

    /// The first occupied bucket after bucket 0: it holds the earliest deadlines.
    #[inline]
    pub(super) fn first_occupied(&self) -> Option<usize> {
        if self.levels == 0 {
            return None;
        }
        let level = self.levels.trailing_zeros() as usize;
        let digit = self.occupied[level].trailing_zeros() as usize;
        Some(1 + level * 64 + digit)
    }

    /// The earliest deadline bucket `b >= 1` can hold: `last`'s digits above the bucket's
    /// level, the bucket's digit, then zeros.
    #[inline]
    pub(super) fn lowest_in(&self, b: usize) -> u64 {
        let (level, digit) = (((b - 1) / 64) as u32, ((b - 1) % 64) as u64);
        let shift = level * DIGIT;
        let above = shift + DIGIT;
        let high = if above >= u64::BITS {
            0
        } else {
            (self.last >> above) << above
        };
        high | (digit << shift)
    }

    /// Moves `last` to `to` (no later than any item, and within bucket `b`'s range, which must
    /// be the first occupied one), sending bucket `b`'s items to lower levels. Later buckets
    /// stay valid: their items differ from `to` at the same digit as from the old `last`.
    pub(super) fn settle(&mut self, b: usize, to: u64) {
        let mut items = std::mem::take(&mut self.buckets[b]);
        self.unmark(b);
        self.last = to;
        for &item in &items {
            self.push(item);
        }
        items.clear();
        self.buckets[b] = items;
    }
}
