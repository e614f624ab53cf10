//! The engine: the one object a run's state lives in, and every operation on it, split by
//! concern into the files below. The public `Runtime` (in `runtime/`) is a facade over it; the
//! public `task`, `time` and `sync` modules reach it through [`context`].
//!
//! Parts:
//! - [`config`]: the settings fixed when a run is built;
//! - [`state`]: the mutable state and its shared bookkeeping (events, decisions, failures);
//! - [`step`]: the run loop's question "what next?" (wakes, timers, the strategy's pick);
//! - [`poll`]: polling or cancelling a task, and completing it;
//! - [`spawn`], [`join`], [`callbacks`], [`main_task`]: a task's life from entry to removal;
//! - [`timers`], [`timer_queue`] and [`radix`]: the clock, the timer driver and its buckets;
//! - [`choice`]: decisions made for program code (chaos, `select!`, injection);
//! - [`groups`]: tasks killed, held and released together (the nodes of `sim::node`);
//! - [`deadlock`]: what blocked tasks wait on; [`debug`]: debug mode's measurements;
//! - [`teardown`]: dropping every task with the runtime; [`context`]: the current engine;
//! - [`watchdog`]: what a run publishes for the process's watchdog thread, and that thread.
//!
//! Invariants:
//! - all state sits in one `RefCell<State>`; a borrow is held only for a short, self-contained
//!   update and never across user code. Polling, cancelling (dropping a future), waking a
//!   waker and dropping anything user-owned (futures, outputs, wakers) happen with the state
//!   released, so user code may call back into the runtime at any point.
//! - the run loop asks [`Core::next_step`] for work, then performs it with [`Core::poll_task`]
//!   or [`Core::cancel_task`] (or polls the `block_on` future itself).
//! - the engine imports only the leaf layers (`record`, `spare`, `error`), the task storage
//!   (`executor`) and the strategies (`sched`); nothing public above it.

mod callbacks;
mod choice;
mod config;
pub(crate) mod context;
mod deadlock;
mod debug;
mod groups;
mod join;
mod locals;
mod main_task;
mod poll;
mod radix;
mod spawn;
mod state;
mod step;
mod teardown;
mod timer_queue;
mod timers;
mod watchdog;

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

pub use self::config::UnobservedPanic;
pub(crate) use self::config::{Config, Injection, Watchdog};
pub use self::deadlock::WaitTarget;
pub(crate) use self::groups::{INHERIT, NO_GROUP};
pub(crate) use self::step::Step;
pub(crate) use self::timer_queue::TimerKey;
pub(crate) use self::watchdog::Label;

use self::callbacks::Callbacks;
use self::locals::Locals;
use self::state::State;
use self::timer_queue::TimerQueue;
use crate::executor::Inbox;
use crate::executor::Ready;
use crate::executor::TaskTable;
use crate::record::{DebugReport, DecisionPoint, Event, Instant, Schedule, TaskId};
use crate::sched::{SimRng, Stream};

/// A run's engine: its state behind one `RefCell`, plus what must be readable while that
/// state is borrowed (the clock) or is shared with wakers on other threads (the inbox).
pub(crate) struct Core {
    pub(super) state: RefCell<State>,
    /// The virtual time, mirrored from the state so it can be read at any moment.
    pub(super) clock: Cell<Instant>,
    /// Debug mode's slow-poll threshold (copied out of the config: read on every poll).
    pub(super) slow_poll: Option<Duration>,
    pub(super) inbox: Arc<Inbox>,
    /// State the subsystems above the engine keep for this run.
    pub(super) locals: Locals,
    /// The watchdog's settings (apart from the config, which is copied around while the
    /// runtime is made: a larger config measured 150 more instructions per runtime).
    pub(super) watchdog: Watchdog,
    /// This thread's watchdog slot, when the watchdog is armed (see [`Core::watch_run`]).
    pub(super) watch: Cell<Option<&'static watchdog::Slot>>,
    /// The task being polled and its waker's data pointer, set at each step, so that a timer
    /// armed with the task's own waker can name the task instead of cloning the waker (see
    /// `TimerWake`). Only compared, never followed.
    pub(super) polling: Cell<(*const (), Ready)>,
}

impl Core {
    pub(crate) fn new(config: Config, watchdog: Watchdog) -> Rc<Core> {
        let scheduler =
            config
                .strategy
                .scheduler(config.seed, config.horizon, config.guide.as_deref());
        let user_rng = SimRng::new(config.seed, Stream::User);
        let trace = config.trace_decisions.then(Vec::new);
        let slow_poll = config.debug;
        // Made before the state, which then need not be kept on the stack across these calls
        // (that cost two more copies of it, measured).
        let inbox = Arc::new(Inbox::new());
        let watch = if watchdog.budget != 0 {
            watchdog::slot()
        } else {
            None
        };
        Rc::new(Core {
            state: RefCell::new(State {
                config,
                tasks: TaskTable::new(),
                timers: TimerQueue::default(),
                now: Instant::ZERO,
                steps: 0,
                scheduler,
                schedule: Schedule::for_run(256),
                task_decisions: 0,
                preemptions: 0,
                last_polled: None,
                trace,
                injection: Injection::default(),
                waits: BTreeMap::new(),
                debug: DebugReport::default(),
                user_rng,
                current: None,
                failure: None,
                events: Vec::new(),
                event_hashes: Vec::new(),
                callbacks: Callbacks::default(),
                due: Vec::new(),
                groups: None,
            }),
            clock: Cell::new(Instant::ZERO),
            slow_poll,
            inbox,
            locals: Locals::default(),
            watchdog,
            watch: Cell::new(watch),
            polling: Cell::new((std::ptr::null(), Ready::NONE)),
        })
    }

    /// The virtual time. Readable while the state is borrowed (the trace timer needs that).
    pub(crate) fn now(&self) -> Instant {
        self.clock.get()
    }

    /// Reads a setting of the run.
    pub(crate) fn with_config<R>(&self, f: impl FnOnce(&Config) -> R) -> R {
        f(&self.state.borrow().config)
    }

    pub(crate) fn seed(&self) -> u64 {
        self.state.borrow().config.seed
    }

    pub(crate) fn steps(&self) -> u64 {
        self.state.borrow().steps
    }

    pub(crate) fn injection(&self) -> Injection {
        self.state.borrow().injection
    }

    pub(crate) fn take_trace(&self) -> Vec<DecisionPoint> {
        self.state.borrow_mut().trace.take().unwrap_or_default()
    }

    pub(crate) fn preemptions(&self) -> u64 {
        self.state.borrow().preemptions
    }

    pub(crate) fn task_decisions(&self) -> u64 {
        self.state.borrow().task_decisions
    }

    pub(crate) fn schedule(&self) -> Schedule {
        self.state.borrow().schedule.clone()
    }

    /// Hashes the schedule in place (no copy).
    pub(crate) fn hash_schedule(&self, hasher: &mut impl std::hash::Hasher) {
        std::hash::Hash::hash(&self.state.borrow().schedule, hasher);
    }

    pub(crate) fn events(&self) -> std::cell::Ref<'_, [Event]> {
        std::cell::Ref::map(self.state.borrow(), |s| &s.events[..])
    }

    /// The per-event hashes kept so far (see `Config::hash_events`), taken out.
    pub(crate) fn take_event_hashes(&self) -> Vec<u64> {
        std::mem::take(&mut self.state.borrow_mut().event_hashes)
    }

    pub(crate) fn current_task(&self) -> Option<TaskId> {
        self.state.borrow().current
    }

    /// Where a lenient replay's decisions stopped fitting the run, if they did.
    pub(crate) fn divergence(&self) -> Option<crate::record::ReplayError> {
        self.state.borrow().scheduler.divergence()
    }

    pub(crate) fn live_tasks(&self) -> usize {
        self.state.borrow().tasks.len()
    }
}

#[cfg(test)]
mod size_tests {
    use super::Core;

    /// A runtime's engine is one allocation made per seed. glibc's thread cache serves blocks
    /// up to 1032 bytes; past that each runtime pays the allocator's slow path (the timer
    /// queue's buckets inline once made it 110 instructions dearer per runtime, measured).
    #[test]
    fn the_engine_fits_the_allocators_thread_cache() {
        let size = std::mem::size_of::<Core>() + 2 * std::mem::size_of::<usize>();
        assert!(size <= 1032, "an Rc<Core> of {size} bytes");
    }
}
