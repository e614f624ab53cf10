//! The watchdog thread: the registry of every thread's [`Slot`], the leases that hand them
//! out, the sampling rule, and the loop that ends the process at a stuck step.

use std::io::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};
use std::thread::Thread;
use std::time::{Duration, Instant};

use super::slot::Slot;
use super::{EXIT_STATUS, lock};

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
pub(super) static MIN_BUDGET: AtomicU64 = AtomicU64::new(u64::MAX);

/// The watchdog thread, once started (`None` if it could not be).
static WATCHDOG: OnceLock<Option<Thread>> = OnceLock::new();

/// Lowers [`MIN_BUDGET`] and wakes the watchdog to sample at the new, shorter period at once.
#[cold]
pub(super) fn shorter_budget(budget: u64) {
    MIN_BUDGET.fetch_min(budget, Ordering::Relaxed);
    if let Some(Some(watchdog)) = WATCHDOG.get() {
        watchdog.unpark();
    }
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

/// What the watchdog last saw of a slot: its progress, and when it first saw it.
#[derive(Clone, Copy)]
struct Seen {
    progress: Option<(u64, u64)>,
    since: Instant,
}

/// What the watchdog remembers between samples, one [`Seen`] per slot of the registry.
#[derive(Default)]
pub(super) struct Sampler {
    seen: Vec<Seen>,
}

impl Sampler {
    /// Samples `slots` at `now`: the slots (by index) whose step has stayed the same for at
    /// least their budget, with how long it has been seen. A slot with no run, or whose step
    /// changed since the last sample, starts counting from `now`; so do all slots after a
    /// pause (`paused`: the watchdog itself woke far later than it asked).
    pub(super) fn sample(
        &mut self,
        slots: &[&Slot],
        now: Instant,
        paused: bool,
    ) -> Vec<(usize, Duration)> {
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
pub(super) fn period(min_budget: u64) -> Duration {
    (Duration::from_nanos(min_budget) / 8).clamp(Duration::from_millis(1), Duration::from_secs(1))
}

/// Whether the watchdog, asleep since `asleep` for `period`, woke so late at `now` that the
/// whole process must have been stopped (a debugger, a suspended machine) or starved: then
/// it counts afresh rather than blame a run for the pause.
pub(super) fn paused(asleep: Instant, now: Instant, period: Duration) -> bool {
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
