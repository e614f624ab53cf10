//! What one thread's runs publish for the watchdog: a [`Slot`] of atomics, and its table of
//! spawn sites.

use std::panic::Location;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use crossbeam_utils::atomic::AtomicCell;

use super::report::Report;
use super::{Label, lock};
use crate::engine::Core;
use crate::record::TaskId;

/// The high bit of a published task id: the step drops an aborted task's future rather than
/// polling it.
pub(super) const CANCEL: u64 = 1 << 63;

/// Task-table slots whose spawn sites the first chunk of a [`Slot`]'s table keeps; chunk `i`
/// keeps `FIRST_SITES << i`, for the slots after those of the chunks before it.
pub(super) const FIRST_SITES: usize = 1024;

/// Chunks in a [`Slot`]'s table of spawn sites: they keep the sites of the first
/// `FIRST_SITES * (2^CHUNKS - 1)` task-table slots, about two million (a run with more tasks
/// alive at once is reported without the sites of the rest).
pub(super) const CHUNKS: usize = 11;

/// What a table of spawn sites holds for one task-table slot: a [`check`] naming the latest
/// task to take the slot and its runtime, and where that task was spawned. 16 bytes.
pub(super) struct Site {
    check: AtomicU64,
    at: AtomicCell<Option<&'static Location<'static>>>,
}

/// One chunk of a table of spawn sites.
struct Sites {
    sites: Box<[Site]>,
}

/// Which chunk of a table of spawn sites holds task-table slot `key`, and where in it.
#[inline(always)]
pub(super) fn place(key: usize) -> (usize, usize) {
    if key < FIRST_SITES {
        return (0, key); // every slot of most runs: no arithmetic
    }
    let n = key / FIRST_SITES + 1;
    let chunk = n.ilog2() as usize;
    (chunk, key - FIRST_SITES * ((1 << chunk) - 1))
}

/// A runtime's address, as a number that is only ever compared (see [`check`]).
#[inline(always)]
pub(crate) fn address(core: &Core) -> usize {
    core as *const Core as usize
}

/// What a table of spawn sites keeps to name a task: its id mixed with its runtime's
/// [`address`], so that a site written by another runtime on the same thread (spawning into a
/// runtime that is not running, through a `Handle`) is not taken for this run's.
#[inline(always)]
fn check(core: usize, task: TaskId) -> u64 {
    task.0 ^ (core as u64).rotate_left(32)
}

/// What one thread's runs publish for the watchdog. Only the thread that leased the slot
/// writes it; the watchdog only reads it (and the label and thread name, under their locks).
/// A cache line of its own, so threads running seeds side by side do not share one.
#[repr(align(64))]
pub(crate) struct Slot {
    /// The step being taken (`Runtime::steps`), stored last by [`Slot::step`].
    pub(super) step: AtomicU64,
    /// The id of the task the step polls, with [`CANCEL`] if it drops the task's future.
    pub(super) task: AtomicU64,
    /// That task's slot in the task table, where `sites` says where it was spawned.
    pub(super) key: AtomicUsize,
    /// The running runtime's [`address`].
    pub(super) core: AtomicUsize,
    /// Where the latest task of each task-table slot was spawned, written at spawn (rather
    /// than read at every step from the task table's cold state: a spawn is rarer, and at a
    /// million tasks in random order that read was a cache miss a step).
    /// Chunks are made as slots are first used, each twice as large as the one before (so a run
    /// growing to a million tasks makes eleven: made one per thousand tasks in the middle of a
    /// run's own allocations, they scattered its tasks in memory, and a yield storm over a
    /// million tasks in random order took 65 % longer a step, measured), and they never move
    /// or go away, so the watchdog reads them without a lock.
    sites: [AtomicCell<Option<&'static Sites>>; CHUNKS],
    /// The run's virtual time, in nanoseconds.
    pub(super) time: AtomicU64,
    /// The run in progress, numbered from 1 for the slot; 0 while none is.
    pub(super) run: AtomicU64,
    /// The budget of the run in progress, in nanoseconds.
    pub(super) budget: AtomicU64,
    pub(super) seed: AtomicU64,
    /// Runs started in this slot (so run numbers never repeat, even for a slot's next thread).
    pub(super) runs: AtomicU64,
    /// [`Label::id`] of the label in `label`.
    pub(super) label_id: AtomicUsize,
    pub(super) label: Mutex<Option<Label>>,
    /// The name of the thread holding the slot (libtest names a test's thread after the test).
    pub(super) thread: Mutex<Option<String>>,
}

impl Slot {
    pub(super) fn new() -> Slot {
        Slot {
            step: AtomicU64::new(0),
            task: AtomicU64::new(0),
            key: AtomicUsize::new(0),
            core: AtomicUsize::new(0),
            sites: std::array::from_fn(|_| AtomicCell::new(None)),
            time: AtomicU64::new(0),
            run: AtomicU64::new(0),
            budget: AtomicU64::new(u64::MAX),
            seed: AtomicU64::new(0),
            runs: AtomicU64::new(0),
            label_id: AtomicUsize::new(0),
            label: Mutex::new(None),
            thread: Mutex::new(None),
        }
    }

    /// Publishes the step about to be taken, a poll of `task` in task-table slot `key`: three
    /// stores, and nothing else.
    #[inline(always)]
    pub(crate) fn step(&self, step: u64, task: TaskId, key: usize) {
        self.task.store(task.0, Ordering::Relaxed);
        self.key.store(key, Ordering::Relaxed);
        self.step.store(step, Ordering::Release);
    }

    /// Keeps where task `task`, in task-table slot `key` of the runtime at `core` (see
    /// [`address`]), was spawned.
    #[inline(always)]
    pub(crate) fn spawned(
        &self,
        core: usize,
        key: usize,
        task: TaskId,
        at: &'static Location<'static>,
    ) {
        let (chunk, offset) = place(key);
        let Some(cell) = self.sites.get(chunk) else {
            return; // past the table: the report will lack this site
        };
        let sites = match cell.load() {
            Some(sites) => sites,
            None => self.new_chunk(chunk),
        };
        if let Some(site) = sites.sites.get(offset) {
            site.check.store(check(core, task), Ordering::Relaxed);
            site.at.store(Some(at));
        }
    }

    /// Chunk `chunk` of the table of spawn sites, made the first time one of its slots is
    /// used. Leaked on purpose: the watchdog may read it at any time, and the slot (with its
    /// table) is reused by the threads that come after, so a slot's chunks cover the largest
    /// task table that ran on it, at most twice over.
    #[cold]
    fn new_chunk(&self, chunk: usize) -> &'static Sites {
        let sites: Box<[Site]> = (0..FIRST_SITES << chunk)
            .map(|_| Site {
                check: AtomicU64::new(u64::MAX),
                at: AtomicCell::new(None),
            })
            .collect();
        let sites: &'static Sites = Box::leak(Box::new(Sites { sites }));
        self.sites[chunk].store(Some(sites));
        sites
    }

    /// Where the stuck task was spawned, if the table of sites still says so for this run.
    pub(super) fn site(&self, task: TaskId) -> Option<&'static Location<'static>> {
        let (chunk, offset) = place(self.key.load(Ordering::Relaxed));
        let site = self.sites.get(chunk)?.load()?.sites.get(offset)?;
        let expected = check(self.core.load(Ordering::Relaxed), task);
        (site.check.load(Ordering::Relaxed) == expected)
            .then(|| site.at.load())
            .flatten()
    }

    /// Marks the step just published as the drop of `task`'s future (an abort), not a poll.
    #[cold]
    pub(crate) fn cancelling(&self, task: TaskId) {
        self.task.store(task.0 | CANCEL, Ordering::Release);
    }

    /// Publishes the run's virtual time.
    #[inline(always)]
    pub(super) fn time(&self, nanos: u64) {
        self.time.store(nanos, Ordering::Relaxed);
    }

    /// The (run, step) pair the watchdog samples; `None` while no run is in progress.
    pub(super) fn progress(&self) -> Option<(u64, u64)> {
        let run = self.run.load(Ordering::Acquire);
        (run != 0).then(|| (run, self.step.load(Ordering::Acquire)))
    }

    /// The report of a step stuck for `stuck`, read from what the run published.
    pub(super) fn report(&self, stuck: Duration) -> String {
        let budget = Duration::from_nanos(self.budget.load(Ordering::Relaxed));
        let task = self.task.load(Ordering::Relaxed);
        let (id, cancel) = (TaskId(task & !CANCEL), task & CANCEL != 0);
        let site = self.site(id);
        let step = self.step.load(Ordering::Acquire);
        let time = Duration::from_nanos(self.time.load(Ordering::Relaxed));
        let seed = self.seed.load(Ordering::Relaxed);
        let label = lock(&self.label).clone();
        let thread = lock(&self.thread).clone();
        Report {
            budget,
            stuck,
            id,
            cancel,
            site,
            step,
            time,
            seed,
            label,
            thread,
        }
        .to_string()
    }
}
