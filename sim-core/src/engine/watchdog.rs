//! The watchdog: a poll that never returns (a busy loop, `std::thread::sleep`, a blocking lock,
//! a nested `block_on`) cannot be preempted by a single-threaded executor, so one thread of
//! its own watches every run of the process and, when one step has lasted longer than the
//! run's budget of wall-clock time, prints a report to stderr and ends the process with a
//! failing status. The stuck poll cannot be unwound from another thread: ending the process
//! is the only way to end the test instead of hanging it.
//!
//! What a run publishes for it, through thread-safe cells only (the run's own state is a
//! `RefCell` on the run's thread, which the watchdog never touches):
//! - once per thread: a [`Slot`], registered with the watchdog and recycled when the thread
//!   ends, so the registry holds as many slots as threads ever ran at once;
//! - once per run ([`Core::watch_run`]): the run's number, seed, budget and virtual
//!   time; its [`Label`] only when it differs from the slot's (behind a mutex: once per check
//!   and thread, never per seed); and, when the run ends, that no run is in progress;
//! - once per step ([`Slot::step`], from `Core::take`): the step, the task and its slot in the
//!   task table, as relaxed stores, the step last with release ordering so a reader that sees
//!   it sees the rest (a cancellation then marks the task so);
//! - once per spawn ([`Slot::spawned`]): where the task was spawned, in the slot's table of
//!   spawn sites (indexed like the task table, in chunks each twice as large as the one before,
//!   which never move, so the watchdog reads them without a lock);
//! - when the clock moves ([`Core::publish_time`]): the virtual time.
//!
//! The watchdog thread (one per process, started by the first run armed with a budget) wakes
//! every eighth of the smallest budget armed so far and samples each slot's (run, step) pair.
//! A pair that stays the same for the slot's budget is a stuck step. The time is measured from
//! the first sample that saw the pair, which is never earlier than the step began, so a step
//! shorter than the budget is never reported; one that never returns is reported between one
//! and one and a quarter budgets after it began. If the watchdog itself wakes far later than
//! it asked (the process was stopped in a debugger, or the machine slept), it starts counting
//! again instead of blaming the run for the pause.
//!
//! Invariant: nothing here reads or writes the run's state or makes a decision, so a run
//! produces the same events with a watchdog armed or not.

use std::fmt::{self, Write as _};
use std::io::Write as _;
use std::panic::Location;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::thread::Thread;
use std::time::{Duration, Instant};

use crossbeam_utils::atomic::AtomicCell;

use super::Core;
use crate::record::TaskId;

/// The exit status of a process the watchdog ends: libtest's status for failed tests.
pub(crate) const EXIT_STATUS: i32 = 101;

/// What a run's report says beyond the runtime's own facts, set by whoever drives the run
/// (the checker: the test's name and the command that replays a seed).
#[derive(Clone)]
pub(crate) struct Label(Arc<LabelText>);

struct LabelText {
    test: String,
    replay: Box<dyn Fn(u64) -> String + Send + Sync>,
}

impl Label {
    pub(crate) fn new(
        test: impl Into<String>,
        replay: impl Fn(u64) -> String + Send + Sync + 'static,
    ) -> Label {
        Label(Arc::new(LabelText {
            test: test.into(),
            replay: Box::new(replay),
        }))
    }

    /// Identifies the label without reading it (0 is no label).
    #[inline]
    fn id(label: Option<&Label>) -> usize {
        label.map_or(0, |l| Arc::as_ptr(&l.0) as *const () as usize)
    }
}

impl fmt::Debug for Label {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Label").field(&self.0.test).finish()
    }
}

/// The high bit of a published task id: the step drops an aborted task's future rather than
/// polling it.
const CANCEL: u64 = 1 << 63;

/// Task-table slots whose spawn sites the first chunk of a [`Slot`]'s table keeps; chunk `i`
/// keeps `FIRST_SITES << i`, for the slots after those of the chunks before it.
const FIRST_SITES: usize = 1024;

/// Chunks in a [`Slot`]'s table of spawn sites: they keep the sites of the first
/// `FIRST_SITES * (2^CHUNKS - 1)` task-table slots, about two million (a run with more tasks
/// alive at once is reported without the sites of the rest).
const CHUNKS: usize = 11;

/// What a table of spawn sites holds for one task-table slot: a [`check`] naming the latest
/// task to take the slot and its runtime, and where that task was spawned. 16 bytes.
struct Site {
    check: AtomicU64,
    at: AtomicCell<Option<&'static Location<'static>>>,
}

/// One chunk of a table of spawn sites.
struct Sites {
    sites: Box<[Site]>,
}

/// Which chunk of a table of spawn sites holds task-table slot `key`, and where in it.
#[inline(always)]
fn place(key: usize) -> (usize, usize) {
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
    step: AtomicU64,
    /// The id of the task the step polls, with [`CANCEL`] if it drops the task's future.
    task: AtomicU64,
    /// That task's slot in the task table, where `sites` says where it was spawned.
    key: AtomicUsize,
    /// The running runtime's [`address`].
    core: AtomicUsize,
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
    time: AtomicU64,
    /// The run in progress, numbered from 1 for the slot; 0 while none is.
    run: AtomicU64,
    /// The budget of the run in progress, in nanoseconds.
    budget: AtomicU64,
    seed: AtomicU64,
    /// Runs started in this slot (so run numbers never repeat, even for a slot's next thread).
    runs: AtomicU64,
    /// [`Label::id`] of the label in `label`.
    label_id: AtomicUsize,
    label: Mutex<Option<Label>>,
    /// The name of the thread holding the slot (libtest names a test's thread after the test).
    thread: Mutex<Option<String>>,
}

impl Slot {
    fn new() -> Slot {
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
    fn site(&self, task: TaskId) -> Option<&'static Location<'static>> {
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
    fn time(&self, nanos: u64) {
        self.time.store(nanos, Ordering::Relaxed);
    }

    /// The (run, step) pair the watchdog samples; `None` while no run is in progress.
    fn progress(&self) -> Option<(u64, u64)> {
        let run = self.run.load(Ordering::Acquire);
        (run != 0).then(|| (run, self.step.load(Ordering::Acquire)))
    }

    /// The report of a step stuck for `stuck`, read from what the run published.
    fn report(&self, stuck: Duration) -> String {
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

/// What the watchdog prints about one stuck step.
struct Report {
    budget: Duration,
    stuck: Duration,
    id: TaskId,
    cancel: bool,
    site: Option<&'static Location<'static>>,
    step: u64,
    time: Duration,
    seed: u64,
    label: Option<Label>,
    thread: Option<String>,
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = if self.cancel {
            "dropping an aborted task's future"
        } else {
            "a poll"
        };
        match (&self.label, &self.thread) {
            (Some(label), _) => write!(f, "sim: test `{}` failed: ", label.0.test)?,
            (None, Some(thread)) => write!(f, "sim: watchdog, on thread `{thread}`: ")?,
            (None, None) => write!(f, "sim: watchdog: ")?,
        }
        writeln!(
            f,
            "{what} did not return within the watchdog's budget of {:?}",
            self.budget
        )?;
        // Task 0 is always the `block_on` future, which the checker runs as "main".
        let name = if self.id == TaskId(0) {
            " \"main\""
        } else {
            ""
        };
        let mut task = format!("{}{name}", self.id);
        if let Some(site) = self.site {
            let _ = write!(task, " (spawned at {site})");
        }
        let millis = Duration::from_millis(self.stuck.as_millis() as u64);
        writeln!(f, "  task:     {task}, in this step for {millis:?}")?;
        writeln!(f, "  at:       step {}, t={:?}", self.step, self.time)?;
        writeln!(f, "  seed:     {:#x}", self.seed)?;
        if let Some(thread) = &self.thread {
            writeln!(f, "  thread:   {thread}")?;
        }
        if let Some(label) = &self.label {
            writeln!(f, "  replay:   {}", (label.0.replay)(self.seed))?;
        }
        write!(
            f,
            "  A step that does not return holds the simulation's only thread: a busy loop, a \
             blocking call\n  (std::thread::sleep, a blocking lock or I/O) or a nested \
             `block_on` inside async code. It\n  cannot be interrupted, so the process ends \
             here with status {EXIT_STATUS}, and the other tests of this\n  binary stop with \
             it. A step that is only slow: raise the budget (SIM_WATCHDOG=30s,\n  \
             `Builder::watchdog`) or turn the watchdog off (SIM_WATCHDOG=off)."
        )
    }
}

/// Every slot ever made, and those free for a new thread.
struct Registry {
    slots: Vec<&'static Slot>,
    free: Vec<&'static Slot>,
}

static REGISTRY: Mutex<Registry> = Mutex::new(Registry {
    slots: Vec::new(),
    free: Vec::new(),
});

/// The smallest budget any run has armed, in nanoseconds: it sets how often the watchdog
/// samples.
static MIN_BUDGET: AtomicU64 = AtomicU64::new(u64::MAX);

/// The watchdog thread, once started (`None` if it could not be).
static WATCHDOG: OnceLock<Option<Thread>> = OnceLock::new();

/// Lowers [`MIN_BUDGET`] and wakes the watchdog to sample at the new, shorter period at once.
#[cold]
fn shorter_budget(budget: u64) {
    MIN_BUDGET.fetch_min(budget, Ordering::Relaxed);
    if let Some(Some(watchdog)) = WATCHDOG.get() {
        watchdog.unpark();
    }
}

/// A lock that a panic elsewhere cannot poison for the watchdog.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

/// A thread's slot, given back to the registry when the thread ends.
struct Lease(&'static Slot);

impl Lease {
    fn take() -> Lease {
        let slot = {
            let mut registry = lock(&REGISTRY);
            match registry.free.pop() {
                Some(slot) => slot,
                None => {
                    // Leaked on purpose: the watchdog reads slots without holding the
                    // registry's lock, and a slot is reused by later threads, so there are
                    // never more than the threads that ever ran at once.
                    let slot: &'static Slot = Box::leak(Box::new(Slot::new()));
                    registry.slots.push(slot);
                    slot
                }
            }
        };
        *lock(&slot.thread) = std::thread::current().name().map(String::from);
        WATCHDOG.get_or_init(|| {
            std::thread::Builder::new()
                .name("sim-watchdog".to_string())
                .spawn(watch)
                .ok()
                .map(|handle| handle.thread().clone())
        });
        Lease(slot)
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        let slot = self.0;
        slot.run.store(0, Ordering::Release);
        slot.label_id.store(0, Ordering::Relaxed);
        let label = lock(&slot.label).take();
        drop(label);
        lock(&REGISTRY).free.push(slot);
    }
}

thread_local! {
    static LEASE: Lease = Lease::take();
}

/// This thread's slot (registering the thread, and starting the watchdog, on first use).
/// `None` while the thread is being torn down.
pub(crate) fn slot() -> Option<&'static Slot> {
    LEASE.try_with(|lease| lease.0).ok()
}

/// Marks the end of a run for the watchdog when dropped.
pub(crate) struct Watching(Option<&'static Slot>);

impl Drop for Watching {
    fn drop(&mut self) {
        if let Some(slot) = self.0 {
            slot.run.store(0, Ordering::Release);
        }
    }
}

impl Core {
    /// Publishes the start of a run (`block_on`) to the watchdog, if one is armed; the guard
    /// publishes its end. The usual case (the thread's slot known, the label unchanged) is a
    /// handful of stores, inlined; the rest is [`Core::watch_first_run`].
    #[inline]
    pub(crate) fn watch_run(&self) -> Watching {
        let budget = self.watchdog.budget;
        if budget == 0 {
            return Watching(None);
        }
        let slot = match self.watch.get() {
            Some(slot)
                if slot.label_id.load(Ordering::Relaxed)
                    == Label::id(self.watchdog.label.as_ref()) =>
            {
                slot
            }
            _ => match self.watch_first_run() {
                Some(slot) => slot,
                None => return Watching(None),
            },
        };
        slot.budget.store(budget, Ordering::Relaxed);
        slot.core.store(address(self), Ordering::Relaxed);
        slot.seed
            .store(self.state.borrow().config.seed, Ordering::Relaxed);
        slot.time(self.now().as_nanos());
        if budget < MIN_BUDGET.load(Ordering::Relaxed) {
            shorter_budget(budget);
        }
        let run = slot.runs.load(Ordering::Relaxed) + 1;
        slot.runs.store(run, Ordering::Relaxed);
        slot.run.store(run, Ordering::Release);
        Watching(Some(slot))
    }

    /// The first run of this runtime with a watchdog, or one whose label the slot does not
    /// hold: finds the thread's slot (registering the thread on its first run) and gives the
    /// slot the label.
    #[cold]
    fn watch_first_run(&self) -> Option<&'static Slot> {
        let slot = match self.watch.get() {
            Some(slot) => slot,
            None => {
                let slot = slot()?;
                self.watch.set(Some(slot));
                slot
            }
        };
        let label = self.watchdog.label.as_ref();
        let id = Label::id(label);
        if slot.label_id.load(Ordering::Relaxed) != id {
            let old = std::mem::replace(&mut *lock(&slot.label), label.cloned());
            slot.label_id.store(id, Ordering::Relaxed);
            drop(old);
        }
        Some(slot)
    }

    /// Publishes the virtual time after the clock moved.
    #[inline]
    pub(crate) fn publish_time(&self, nanos: u64) {
        if let Some(slot) = self.watch.get() {
            slot.time(nanos);
        }
    }
}

/// What the watchdog last saw of a slot: its progress, and when it first saw it.
#[derive(Clone, Copy)]
struct Seen {
    progress: Option<(u64, u64)>,
    since: Instant,
}

/// What the watchdog remembers between samples, one [`Seen`] per slot of the registry.
#[derive(Default)]
struct Sampler {
    seen: Vec<Seen>,
}

impl Sampler {
    /// Samples `slots` at `now`: the slots (by index) whose step has stayed the same for at
    /// least their budget, with how long it has been seen. A slot with no run, or whose step
    /// changed since the last sample, starts counting from `now`; so do all slots after a
    /// pause (`paused`: the watchdog itself woke far later than it asked).
    fn sample(&mut self, slots: &[&Slot], now: Instant, paused: bool) -> Vec<(usize, Duration)> {
        let fresh = Seen {
            progress: None,
            since: now,
        };
        self.seen.resize(slots.len(), fresh);
        let mut stuck = Vec::new();
        for (index, (slot, seen)) in slots.iter().zip(&mut self.seen).enumerate() {
            let progress = slot.progress();
            if progress.is_none() || progress != seen.progress || paused {
                *seen = Seen {
                    progress,
                    since: now,
                };
                continue;
            }
            let budget = Duration::from_nanos(slot.budget.load(Ordering::Relaxed));
            let elapsed = now.duration_since(seen.since);
            // Read again after the budget: still the same step, not one that just began.
            if elapsed >= budget && slot.progress() == progress {
                stuck.push((index, elapsed));
            }
        }
        stuck
    }
}

/// How long the watchdog sleeps between samples, for the smallest budget armed.
fn period(min_budget: u64) -> Duration {
    (Duration::from_nanos(min_budget) / 8).clamp(Duration::from_millis(1), Duration::from_secs(1))
}

/// Whether the watchdog, asleep since `asleep` for `period`, woke so late at `now` that the
/// whole process must have been stopped (a debugger, a suspended machine) or starved: then
/// it counts afresh rather than blame a run for the pause.
fn paused(asleep: Instant, now: Instant, period: Duration) -> bool {
    now.duration_since(asleep) > 2 * period + Duration::from_millis(100)
}

/// The watchdog thread: samples every slot each period, and at the first step found stuck
/// beyond its budget prints the report and ends the process.
fn watch() {
    let mut sampler = Sampler::default();
    loop {
        let period = period(MIN_BUDGET.load(Ordering::Relaxed));
        let asleep = Instant::now();
        std::thread::park_timeout(period);
        let now = Instant::now();
        let slots = lock(&REGISTRY).slots.clone();
        let stuck = sampler.sample(&slots, now, paused(asleep, now, period));
        if !stuck.is_empty() {
            let mut text = String::from("\n");
            for (index, elapsed) in stuck {
                text += &slots[index].report(elapsed);
                text.push('\n');
            }
            let _ = std::io::stderr().lock().write_all(text.as_bytes());
            std::process::exit(EXIT_STATUS);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_period_is_an_eighth_of_the_smallest_budget_within_bounds() {
        assert_eq!(period(u64::MAX), Duration::from_secs(1));
        assert_eq!(period(10_000_000_000), Duration::from_secs(1));
        assert_eq!(period(400_000_000), Duration::from_millis(50));
        assert_eq!(period(1_000), Duration::from_millis(1));
    }

    /// A slot as a run leaves it while taking `step` under `budget`.
    fn running(run: u64, step: u64, budget: Duration) -> Slot {
        let slot = Slot::new();
        slot.budget
            .store(budget.as_nanos() as u64, Ordering::Relaxed);
        slot.step(step, TaskId(1), 0);
        slot.run.store(run, Ordering::Release);
        slot
    }

    const BUDGET: Duration = Duration::from_millis(300);

    #[test]
    fn a_step_is_reported_once_seen_unchanged_for_its_budget_and_not_before() {
        let slot = running(1, 5, BUDGET);
        let mut sampler = Sampler::default();
        let t0 = Instant::now();
        assert!(sampler.sample(&[&slot], t0, false).is_empty(), "first seen");
        let almost = t0 + BUDGET - Duration::from_millis(1);
        assert!(sampler.sample(&[&slot], almost, false).is_empty());
        let stuck = sampler.sample(&[&slot], t0 + BUDGET, false);
        assert_eq!(stuck, [(0, BUDGET)]);
    }

    #[test]
    fn progress_a_new_run_an_idle_slot_or_a_pause_start_the_count_again() {
        let slot = running(1, 5, BUDGET);
        let mut sampler = Sampler::default();
        let t0 = Instant::now();
        let at = |ms: u64| t0 + Duration::from_millis(ms);
        sampler.sample(&[&slot], t0, false);
        slot.step(6, TaskId(1), 0); // the next step
        assert!(sampler.sample(&[&slot], at(200), false).is_empty());
        assert!(
            sampler.sample(&[&slot], at(400), false).is_empty(),
            "200 ms into step 6"
        );
        assert_eq!(sampler.sample(&[&slot], at(500), false).len(), 1);

        slot.run.store(2, Ordering::Release); // a new run, at the same step number
        assert!(sampler.sample(&[&slot], at(600), false).is_empty());
        assert!(
            sampler.sample(&[&slot], at(800), true).is_empty(),
            "paused: counted afresh"
        );
        assert!(sampler.sample(&[&slot], at(1000), false).is_empty());
        assert_eq!(sampler.sample(&[&slot], at(1100), false).len(), 1);

        slot.run.store(0, Ordering::Release); // no run in progress
        for ms in [1200, 2000, 9000] {
            assert!(sampler.sample(&[&slot], at(ms), false).is_empty());
        }
    }

    #[test]
    fn each_slot_is_judged_by_its_own_budget() {
        let short = running(1, 1, Duration::from_millis(100));
        let long = running(1, 1, Duration::from_secs(10));
        let mut sampler = Sampler::default();
        let t0 = Instant::now();
        sampler.sample(&[&short, &long], t0, false);
        let stuck = sampler.sample(&[&short, &long], t0 + Duration::from_secs(1), false);
        assert_eq!(stuck, [(0, Duration::from_secs(1))]);
    }

    #[test]
    fn a_spawn_site_is_found_for_the_stuck_task_of_the_running_runtime_only() {
        let slot = Slot::new();
        let (here, there) = (Location::caller(), Location::caller());
        let (core, other) = (0x1000, 0x2000);
        slot.core.store(core, Ordering::Relaxed);
        let stuck_at = |task: u64, key: usize| {
            slot.step(1, TaskId(task), key);
            slot.site(TaskId(task))
        };
        slot.spawned(core, 3, TaskId(3), here);
        slot.spawned(core, 5000, TaskId(9), there); // in the third chunk
        assert_eq!(stuck_at(3, 3), Some(here));
        assert_eq!(stuck_at(9, 5000), Some(there));
        assert_eq!(stuck_at(4, 4), None, "a slot no task took");
        slot.spawned(core, 3, TaskId(10), there); // slot 3's next task
        assert_eq!(stuck_at(3, 3), None, "the slot no longer names task 3");
        assert_eq!(stuck_at(10, 3), Some(there));
        slot.spawned(other, 3, TaskId(10), here); // another runtime's task 10, in its slot 3
        assert_eq!(stuck_at(10, 3), None, "not the running runtime's");
        let past = FIRST_SITES * ((1 << CHUNKS) - 1);
        slot.spawned(core, past, TaskId(11), here);
        assert_eq!(stuck_at(11, past), None, "past the table: not kept");
    }

    #[test]
    fn each_slot_of_the_task_table_has_one_place_in_the_chunks() {
        assert_eq!(place(0), (0, 0));
        assert_eq!(place(1023), (0, 1023));
        assert_eq!(place(1024), (1, 0));
        assert_eq!(place(3071), (1, 2047));
        assert_eq!(place(3072), (2, 0));
        let mut next = (0, 0);
        for key in 0..FIRST_SITES * 15 {
            assert_eq!(place(key), next, "slot {key}");
            next = if next.1 + 1 == FIRST_SITES << next.0 {
                (next.0 + 1, 0)
            } else {
                (next.0, next.1 + 1)
            };
        }
    }

    #[test]
    fn a_late_wake_is_a_pause() {
        let t0 = Instant::now();
        let period = Duration::from_millis(50);
        assert!(!paused(t0, t0 + Duration::from_millis(120), period));
        assert!(paused(t0, t0 + Duration::from_millis(201), period));
    }

    #[test]
    fn a_slot_has_a_cache_line_of_its_own() {
        assert_eq!(std::mem::align_of::<Slot>(), 64);
        assert_eq!(
            std::mem::size_of::<Site>(),
            16,
            "a site is found with a shift"
        );
        assert!(AtomicCell::<Option<&'static Location<'static>>>::is_lock_free());
    }

    #[test]
    fn the_report_names_the_task_the_step_the_seed_and_the_replay() {
        let report = Report {
            budget: Duration::from_millis(300),
            stuck: Duration::from_micros(312_345),
            id: TaskId(2),
            cancel: false,
            site: Some(Location::caller()),
            step: 7,
            time: Duration::from_secs(1),
            seed: 0x2a,
            label: Some(Label::new("bank::transfer", |seed| {
                format!("SIM_SEED={seed:#x} cargo test -- bank::transfer --exact")
            })),
            thread: Some("bank::transfer".to_string()),
        }
        .to_string();
        let first = report.lines().next().unwrap();
        assert_eq!(
            first,
            "sim: test `bank::transfer` failed: a poll did not return within the watchdog's \
             budget of 300ms"
        );
        assert!(report.contains("\n  task:     #2 (spawned at "), "{report}");
        assert!(report.contains(", in this step for 312ms\n"), "{report}");
        assert!(report.contains("\n  at:       step 7, t=1s\n"), "{report}");
        assert!(report.contains("\n  seed:     0x2a\n"), "{report}");
        assert!(
            report.contains("\n  replay:   SIM_SEED=0x2a cargo test -- bank::transfer --exact\n"),
            "{report}"
        );
    }
}
