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
//! Parts: [`slot`] (what a thread's runs publish, and the table of spawn sites), [`thread`]
//! (the registry of slots, the watchdog thread and its sampling rule), [`report`] (what it
//! prints); here, the checker's [`Label`] and the run's side: [`Core::watch_run`] and
//! [`Core::publish_time`].
//!
//! Invariant: nothing here reads or writes the run's state or makes a decision, so a run
//! produces the same events with a watchdog armed or not.

mod report;
mod slot;
mod thread;

use std::fmt;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, MutexGuard};

pub(crate) use slot::{Slot, address};

use super::Core;
pub(crate) use thread::slot;
use thread::{MIN_BUDGET, shorter_budget};

/// The exit status of a process the watchdog ends: libtest's status for failed tests.
pub(super) const EXIT_STATUS: i32 = 101;

/// What a run's report says beyond the runtime's own facts, set by whoever drives the run
/// (the checker: the test's name and the command that replays a seed).
#[derive(Clone)]
pub(crate) struct Label(pub(super) Arc<LabelText>);

pub(super) struct LabelText {
    pub(super) test: String,
    pub(super) replay: Box<dyn Fn(u64) -> String + Send + Sync>,
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
    pub(super) fn id(label: Option<&Label>) -> usize {
        label.map_or(0, |l| Arc::as_ptr(&l.0) as *const () as usize)
    }
}

impl fmt::Debug for Label {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Label").field(&self.0.test).finish()
    }
}

/// A lock that a panic elsewhere cannot poison for the watchdog.
pub(super) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
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

#[cfg(test)]
mod tests;
