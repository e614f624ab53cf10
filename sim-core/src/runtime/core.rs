//! The runtime's shared state and every operation on it.
//!
//! Invariants:
//! - all state sits in one `RefCell<State>`; a borrow is held only for a short, self-contained
//!   update and never across user code. Polling, cancelling (dropping a future), waking a
//!   waker and dropping anything user-owned (futures, outputs, wakers) happen with the state
//!   released, so user code may call back into the runtime at any point.
//! - the run loop asks [`Core::next_step`] for work, then performs it with [`Core::poll_task`]
//!   or [`Core::cancel_task`] (or polls the `block_on` future itself).

use std::any::Any;
use std::cell::{Cell, RefCell};
use std::future::Future;
use std::panic::{AssertUnwindSafe, Location, catch_unwind};
use std::rc::Rc;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use crate::buggify::Buggify;
use crate::error::{
    BlockedOn, Deadlock, NonDeterminism, NonDeterminismKind, PanicReason, Panicked, ReplayMismatch,
    SimError, StepLimit, TimeLimit,
};
use crate::executor::Ready;
use crate::executor::callbacks::{Callbacks, DoneCallback};
use crate::executor::cell::{AnyTask, Stage, TaskPoll};
use crate::executor::join::JoinHandle;
use crate::executor::table::{NewTask, Phase, TaskTable};
use crate::executor::waker::{Inbox, LocalWakes};
use crate::record::{
    DebugReport, DecisionKind, DecisionPoint, DoneInfo, Event, EventKind, Outcome, ReplayError,
    RunPoint, Schedule, SlowPoll, TaskId, TaskInfo,
};
use crate::runtime::context;
use crate::sched::guided::GuideStep;
use crate::sched::rng::{SimRng, Stream};
use crate::sched::{Scheduler, Strategy};
use crate::sync::Semaphore;
use crate::sync::resource::Resource;
use crate::time::Instant;
use crate::time::queue::{TimerKey, TimerQueue};
use std::collections::BTreeMap;

/// What a run does with a panic that no join handle observed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum UnobservedPanic {
    /// End the run with [`SimError::Panicked`]. The default.
    #[default]
    FailRun,
    /// Let the run go on; the panic is only lost.
    Ignore,
}

/// Settings fixed when the runtime is built.
#[derive(Debug, Clone)]
pub(crate) struct Config {
    pub(crate) seed: u64,
    pub(crate) strategy: Strategy,
    pub(crate) max_steps: u64,
    pub(crate) max_time: Option<Duration>,
    pub(crate) unobserved_panic: UnobservedPanic,
    pub(crate) record_events: bool,
    /// Whether to keep a hash of each event (the determinism check compares those).
    pub(crate) hash_events: bool,
    /// Expected number of decisions in a run, for strategies that spread choices over it.
    pub(crate) horizon: Option<u64>,
    /// Whether ready operations of `sim::sync` may yield anyway.
    pub(crate) chaos: bool,
    /// Workers of the simulated pool behind `spawn_blocking`.
    pub(crate) blocking_threads: usize,
    /// The lenient guide of the shrinker or of exploration, overriding the strategy.
    pub(crate) guide: Option<Vec<GuideStep>>,
    /// Whether `buggify!` sites may fire.
    pub(crate) buggify: bool,
    /// Whether to keep the full decision trace (for exhaustive exploration).
    pub(crate) trace_decisions: bool,
    /// Cancellation injection: expire the timeout at this (1-based) pending point of all the
    /// run's `timeout` futures.
    pub(crate) inject_at: Option<u64>,
    /// Debug mode: the slow-poll threshold, when on.
    pub(crate) debug: Option<Duration>,
}

/// Where cancellation injection stands in a run.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Injection {
    /// Pending points of `timeout` futures seen so far.
    pub(crate) seen: u64,
    /// The `timeout` that was cancelled, once the target point was reached.
    pub(crate) fired: Option<&'static Location<'static>>,
}

/// The next thing the run loop must do.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Step {
    /// Poll this task (which may be the `block_on` future).
    Poll(Ready),
    /// Drop this aborted task's future.
    Cancel(Ready),
}

/// What a step takes out of the task's entry while it polls or cancels the task (so user code
/// runs with the table released): its cell (`None` for the `block_on` future, which lives on
/// the caller's stack) and its waker. Both go back, or the task completes.
pub(crate) struct Taken {
    pub(crate) cell: Option<std::pin::Pin<Box<dyn AnyTask>>>,
    pub(crate) waker: Waker,
}

pub(crate) struct State {
    config: Config,
    tasks: TaskTable,
    timers: TimerQueue,
    now: Instant,
    steps: u64,
    scheduler: Box<dyn Scheduler>,
    schedule: Schedule,
    /// Decisions about which task runs (the schedule also holds timer and chaos decisions).
    task_decisions: u64,
    /// Decisions that switched away from the task that ran last while it could still run.
    preemptions: u64,
    /// The task polled at the previous step.
    last_polled: Option<Ready>,
    /// Every decision with its options, when exploring exhaustively.
    trace: Option<Vec<DecisionPoint>>,
    injection: Injection,
    /// What each blocked task waits on (tasks blocked in a `sim::sync` primitive).
    waits: BTreeMap<TaskId, Rc<Resource>>,
    /// What debug mode noticed.
    debug: DebugReport,
    user_rng: SimRng,
    current: Option<TaskId>,
    /// A failure found outside the run loop (a dropped handle holding a panic), reported at
    /// the next scheduling point.
    failure: Option<SimError>,
    events: Vec<Event>,
    /// One hash per event, in order, when `hash_events` is on.
    event_hashes: Vec<u64>,
    callbacks: Callbacks,
    /// Scratch buffer for the wakers of timers firing together, kept to avoid allocating.
    due: Vec<Waker>,
}

impl Drop for Core {
    fn drop(&mut self) {
        self.state.get_mut().schedule.recycle();
    }
}

pub(crate) struct Core {
    state: RefCell<State>,
    /// The virtual time, mirrored from the state so it can be read at any moment.
    clock: Cell<Instant>,
    /// Debug mode's slow-poll threshold (copied out of the config: read on every poll).
    slow_poll: Option<Duration>,
    inbox: Arc<Inbox>,
    /// The simulated pool behind `spawn_blocking`, made on first use.
    blocking: RefCell<Option<Rc<Semaphore>>>,
    /// `buggify!` state, when buggify is on.
    buggify: RefCell<Option<Buggify>>,
}

impl State {
    fn at(&self) -> RunPoint {
        RunPoint {
            seed: self.config.seed,
            step: self.steps,
            time: self.now.since_start(),
        }
    }

    /// Whether events are logged or hashed (so an event must be built at all).
    #[inline(always)]
    fn recording(&self) -> bool {
        self.config.record_events || self.config.hash_events
    }

    #[inline(always)]
    fn record(&mut self, kind: EventKind) {
        if self.recording() {
            self.keep(kind);
        }
    }

    fn keep(&mut self, kind: EventKind) {
        let event = Event {
            step: self.steps,
            time: self.now.since_start(),
            kind,
        };
        if self.config.hash_events {
            let mut hasher = std::hash::DefaultHasher::new();
            std::hash::Hash::hash(&event, &mut hasher);
            self.event_hashes.push(std::hash::Hasher::finish(&hasher));
        }
        if self.config.record_events {
            self.events.push(event);
        }
    }

    /// Records a decision. With tracing on (for exhaustive exploration), also its kind, its
    /// number of options, and which option would have kept the last task running.
    #[inline]
    fn decide(&mut self, kind: DecisionKind, decision: usize, options: usize) -> usize {
        self.schedule.push(decision as u32);
        if self.trace.is_some() {
            self.trace_decision(kind, decision, options);
        }
        decision
    }

    /// Exhaustive exploration's full record of one decision.
    #[cold]
    fn trace_decision(&mut self, kind: DecisionKind, decision: usize, options: usize) {
        if let Some(trace) = &mut self.trace {
            let runnable = self.tasks.runnable();
            let (stay, task) = match kind {
                DecisionKind::Task => (
                    self.last_polled
                        .and_then(|last| runnable.position(last.id))
                        .map(|i| i as u32),
                    Some(runnable.get(decision).id),
                ),
                _ => (None, None),
            };
            trace.push(DecisionPoint {
                kind,
                chosen: decision as u32,
                options: options as u32,
                stay,
                task,
            });
        }
    }

    fn replay_error(&self, error: ReplayError) -> SimError {
        SimError::Replay(ReplayMismatch {
            at: self.at(),
            error,
        })
    }

    fn panicked(&self, key: usize, message: String, reason: PanicReason) -> SimError {
        SimError::Panicked(Panicked {
            at: self.at(),
            task: self.tasks.info(key),
            message,
            reason,
        })
    }

    /// A panic nobody can observe any more (of the task that was in slot `key`): fails the
    /// run, or is noted for debug mode.
    fn unobserved(&mut self, key: usize, message: String, reason: PanicReason) {
        match self.config.unobserved_panic {
            UnobservedPanic::FailRun => {
                if self.failure.is_none() {
                    self.failure = Some(self.panicked(key, message, reason));
                }
            }
            UnobservedPanic::Ignore => {
                if self.config.debug.is_some() {
                    let task = self.tasks.info(key);
                    self.debug.ignored_panics.push((task, message));
                }
            }
        }
    }

    fn deadlock(&self) -> SimError {
        let blocked: Vec<TaskInfo> = self.tasks.blocked();
        let waits: Vec<BlockedOn> = blocked
            .iter()
            .filter_map(|t| {
                let resource = self.waits.get(&t.id)?;
                Some(BlockedOn {
                    task: t.id,
                    resource: resource.to_string(),
                    holders: resource.holders(),
                })
            })
            .collect();
        let cycle = find_cycle(&waits);
        SimError::Deadlock(Deadlock {
            at: self.at(),
            blocked,
            waits,
            cycle,
        })
    }
}

/// The first cycle (from the lowest task id) in the graph "task waits on a resource held by".
fn find_cycle(waits: &[BlockedOn]) -> Vec<TaskId> {
    let next = |task: TaskId| -> Vec<TaskId> {
        waits
            .iter()
            .find(|w| w.task == task)
            .map(|w| w.holders.clone())
            .unwrap_or_default()
    };
    for start in waits.iter().map(|w| w.task) {
        // Depth-first, following holders; a path that comes back to `start` is a cycle.
        // Only tasks above `start` are entered, so each cycle is found from its lowest id.
        let mut path = vec![start];
        let mut stack = vec![next(start)];
        while let Some(options) = stack.last_mut() {
            match options.pop() {
                Some(task) if task == start => return path,
                Some(task) if !path.contains(&task) && task > start => {
                    path.push(task);
                    stack.push(next(task));
                }
                Some(_) => {}
                None => {
                    stack.pop();
                    path.pop();
                }
            }
        }
    }
    Vec::new()
}

impl Core {
    pub(crate) fn new(config: Config) -> Rc<Core> {
        let scheduler =
            config
                .strategy
                .scheduler(config.seed, config.horizon, config.guide.as_deref());
        let user_rng = SimRng::new(config.seed, Stream::User);
        let buggify = config.buggify.then(|| Buggify::new(config.seed));
        let trace = config.trace_decisions.then(Vec::new);
        let slow_poll = config.debug;
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
            }),
            clock: Cell::new(Instant::ZERO),
            slow_poll,
            inbox: Arc::new(Inbox::new()),
            blocking: RefCell::new(None),
            buggify: RefCell::new(buggify),
        })
    }

    // ---- run-wide queries -------------------------------------------------------------

    /// The virtual time. Readable while the state is borrowed (the trace timer needs that).
    pub(crate) fn now(&self) -> Instant {
        self.clock.get()
    }

    pub(crate) fn seed(&self) -> u64 {
        self.state.borrow().config.seed
    }

    pub(crate) fn steps(&self) -> u64 {
        self.state.borrow().steps
    }

    /// `task` now waits on `resource`.
    pub(crate) fn register_wait(&self, task: TaskId, resource: Rc<Resource>) {
        let old = self.state.borrow_mut().waits.insert(task, resource);
        drop(old);
    }

    /// `task` no longer waits on a primitive.
    pub(crate) fn clear_wait(&self, task: TaskId) {
        let old = self.state.borrow_mut().waits.remove(&task);
        drop(old);
    }

    /// A `timeout`'s inner future just returned `Pending`: whether injection cancels it here.
    pub(crate) fn injection_point(&self, site: &'static Location<'static>) -> bool {
        let mut st = self.state.borrow_mut();
        let Some(target) = st.config.inject_at else {
            return false;
        };
        st.injection.seen += 1;
        if st.injection.seen == target {
            st.injection.fired = Some(site);
            return true;
        }
        false
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

    pub(crate) fn live_tasks(&self) -> usize {
        self.state.borrow().tasks.len()
    }

    /// The next raw value of the run's user stream.
    pub(crate) fn next_user_u64(&self) -> u64 {
        self.state.borrow_mut().user_rng.next_u64()
    }

    /// Chaos mode: whether a ready operation should yield once anyway. The answer is a
    /// recorded decision, so replay reproduces it.
    pub(crate) fn chaos_yield(&self) -> bool {
        if !self.state.borrow().config.chaos {
            return false;
        }
        self.choose(DecisionKind::Chaos, 2) == 1
    }

    /// A recorded choice among `options` made on behalf of program code (chaos, select!).
    /// A replay mismatch ends the run at its next scheduling point; meanwhile 0 is returned.
    pub(crate) fn choose(&self, kind: DecisionKind, options: usize) -> usize {
        if options < 2 {
            return 0;
        }
        let mut st = self.state.borrow_mut();
        match st.scheduler.pick(kind, options) {
            Ok(pick) => st.decide(kind, pick, options),
            Err(e) => {
                if st.failure.is_none() {
                    st.failure = Some(st.replay_error(e));
                }
                0
            }
        }
    }

    /// Runs `f` on the buggify state; `false` when buggify is off.
    pub(crate) fn with_buggify(&self, f: impl FnOnce(&mut Buggify) -> bool) -> bool {
        self.buggify.borrow_mut().as_mut().is_some_and(f)
    }

    /// The semaphore bounding how many `spawn_blocking` jobs overlap.
    pub(crate) fn blocking_pool(&self) -> Rc<Semaphore> {
        let threads = self.state.borrow().config.blocking_threads;
        Rc::clone(
            self.blocking
                .borrow_mut()
                .get_or_insert_with(|| Rc::new(Semaphore::new(threads))),
        )
    }

    /// Moves the clock forward by `d` (a task's explicit `advance`).
    pub(crate) fn advance(&self, d: Duration) {
        let mut st = self.state.borrow_mut();
        st.now = st.now.saturating_add(d);
        self.clock.set(st.now);
        drop(st);
        tracing::debug!(target: "sim", to = ?self.clock.get().since_start(), "clock advanced");
    }

    // ---- spawning ---------------------------------------------------------------------

    pub(crate) fn spawn<F>(
        self: &Rc<Self>,
        future: F,
        name: Option<Rc<str>>,
        spawned_at: &'static Location<'static>,
    ) -> JoinHandle<F::Output>
    where
        F: Future + 'static,
    {
        let cell: std::pin::Pin<Box<dyn AnyTask>> = Box::pin(Stage::Running { future });
        let ready = self.insert(NewTask {
            name,
            spawned_at,
            cell: Some(cell),
        });
        JoinHandle::new(Rc::clone(self), ready)
    }

    /// Inserts the `block_on` future's entry; its future stays on the caller's stack.
    pub(crate) fn spawn_main(&self, spawned_at: &'static Location<'static>) -> Ready {
        self.insert(NewTask {
            name: Some(crate::executor::table::main_name()),
            spawned_at,
            cell: None,
        })
    }

    fn insert(&self, task: NewTask) -> Ready {
        let mut st = self.state.borrow_mut();
        let ready = st.tasks.insert(task, &self.inbox);
        st.scheduler.on_spawn(ready.id);
        let parent = st.current;
        if st.recording() {
            let name = st
                .tasks
                .cold(ready.key, ready.id)
                .and_then(|c| c.name.as_deref().map(String::from));
            st.record(EventKind::Spawned {
                task: ready.id,
                parent,
                name,
            });
        }
        if tracing::enabled!(target: "sim", tracing::Level::DEBUG) {
            let name = st
                .tasks
                .cold(ready.key, ready.id)
                .and_then(|c| c.name.clone());
            drop(st);
            let parent = parent.map(tracing::field::display);
            tracing::debug!(target: "sim", task = %ready.id, name = name.as_deref(), parent, "spawn");
        }
        ready
    }

    // ---- the run loop's questions -----------------------------------------------------

    /// Decides what the run loop does next: fires due timers, moves the clock, and picks a
    /// runnable task, until there is a task to poll or cancel, or the run must stop.
    pub(crate) fn next_step(&self) -> Result<Step, SimError> {
        loop {
            let mut guard = self.collect_wakes(self.state.borrow_mut())?;
            let st = &mut *guard;
            if let Some(failure) = st.failure.take() {
                return Err(failure);
            }
            if let Some(max) = st.config.max_time
                && st.now.since_start() > max
            {
                let next_time = st.now.since_start();
                let mut at = st.at();
                at.time = max;
                return Err(SimError::TimeLimit(TimeLimit {
                    at,
                    max_time: max,
                    next_time,
                }));
            }
            let next_deadline = st.timers.next_deadline();
            if let Some(deadline) = next_deadline.filter(|&d| d <= st.now.as_nanos()) {
                let mut due = std::mem::take(&mut st.due);
                st.timers.pop_due_at(deadline, &mut due);
                st.record(EventKind::TimersFired { count: due.len() });
                tracing::trace!(target: "sim", count = due.len(), "timers fired");
                // Tied timers fire in an order the strategy decides: each decision picks one of
                // the timers not yet ordered, which swaps places with the first of them (the
                // same order as `VecDeque::swap_remove_front` on the rest). In place, so the
                // usual single timer costs no allocation.
                for start in 0..due.len().saturating_sub(1) {
                    let options = due.len() - start;
                    let pick = match st.scheduler.pick(DecisionKind::Timer, options) {
                        Ok(pick) => st.decide(DecisionKind::Timer, pick, options),
                        Err(e) => {
                            let error = st.replay_error(e);
                            drop(guard); // the wakers below must drop with the state released
                            drop(due);
                            return Err(error);
                        }
                    };
                    due.swap(start, start + pick);
                }
                drop(guard);
                for waker in due.drain(..) {
                    waker.wake();
                }
                self.state.borrow_mut().due = due;
                continue;
            }
            if !st.tasks.runnable().is_empty() {
                let index = match st.tasks.runnable().len() {
                    1 => 0,
                    options => match st
                        .scheduler
                        .pick_task(st.tasks.runnable(), st.last_polled.map(|r| r.id))
                    {
                        Ok(pick) => {
                            st.task_decisions += 1;
                            st.decide(DecisionKind::Task, pick, options)
                        }
                        Err(e) => return Err(st.replay_error(e)),
                    },
                };
                let chosen = st.tasks.runnable().get(index);
                if st.steps >= st.config.max_steps {
                    let next = st.tasks.info(chosen.key);
                    let max_steps = st.config.max_steps;
                    return Err(SimError::StepLimit(StepLimit {
                        at: st.at(),
                        max_steps,
                        next,
                    }));
                }
                st.steps += 1;
                if let Some(last) = st.last_polled
                    && last != chosen
                    && st
                        .tasks
                        .get(last.key, last.id)
                        .is_some_and(|e| e.phase == Phase::Queued)
                {
                    st.preemptions += 1;
                }
                st.last_polled = Some(chosen);
                let (ready, entry) = st.tasks.start(index);
                // The task is current while its future is polled or dropped, so its own code
                // and destructors see their task id.
                let step = if entry.abort_requested {
                    st.record(EventKind::Cancelled { task: ready.id });
                    Step::Cancel(ready)
                } else {
                    st.record(EventKind::Polled { task: ready.id });
                    Step::Poll(ready)
                };
                st.current = Some(ready.id);
                return Ok(step);
            }
            match next_deadline {
                Some(deadline) => {
                    let to = Duration::from_nanos(deadline);
                    if let Some(max) = st.config.max_time
                        && to > max
                    {
                        let at = st.at();
                        return Err(SimError::TimeLimit(TimeLimit {
                            at,
                            max_time: max,
                            next_time: to,
                        }));
                    }
                    st.now = Instant::from_nanos(deadline);
                    self.clock.set(st.now);
                    st.record(EventKind::ClockAdvanced { to });
                    tracing::trace!(target: "sim", to = ?to, "clock advanced to the next timer");
                }
                None => return Err(st.deadlock()),
            }
        }
    }

    /// Lets wakes from this thread skip the inbox's lock while the guard lives (`block_on`).
    pub(crate) fn local_wakes(&self) -> LocalWakes {
        self.inbox.activate()
    }

    /// Moves pending wakes from the inbox into the runnable set.
    /// Takes the state's borrow and gives it back (released meanwhile only to emit trace
    /// events, which may reach user code in a subscriber).
    fn collect_wakes<'a>(
        &'a self,
        mut st: std::cell::RefMut<'a, State>,
    ) -> Result<std::cell::RefMut<'a, State>, SimError> {
        if tracing::enabled!(target: "sim", tracing::Level::TRACE) {
            st = self.collect_wakes_traced(st);
        } else {
            let tasks = &mut st.tasks;
            self.inbox.drain_with(|ready| tasks.wake(ready));
        }
        if let Some(foreign) = self.inbox.foreign_wake() {
            let kind = NonDeterminismKind::ForeignWake {
                task: foreign.task,
                thread: foreign.thread,
            };
            return Err(SimError::NonDeterminism(NonDeterminism {
                at: st.at(),
                kind,
            }));
        }
        Ok(st)
    }

    /// [`collect_wakes`](Self::collect_wakes) when `sim`'s trace events are wanted: the same
    /// wakes in the same order, each traced with the state released.
    #[cold]
    fn collect_wakes_traced<'a>(
        &'a self,
        mut st: std::cell::RefMut<'a, State>,
    ) -> std::cell::RefMut<'a, State> {
        let mut woken = Vec::new();
        self.inbox.drain_into(&mut woken);
        if !woken.is_empty() {
            drop(st);
            for ready in &woken {
                tracing::trace!(target: "sim", task = %ready.id, "woken");
            }
            st = self.state.borrow_mut();
        }
        for ready in woken {
            st.tasks.wake(ready);
        }
        st
    }

    /// Takes the cell and waker of the task a step is about to poll or cancel.
    #[inline]
    pub(crate) fn take(&self, ready: Ready) -> Taken {
        let mut st = self.state.borrow_mut();
        let entry = st.tasks.entry(ready.key);
        Taken {
            cell: entry.cell.take(),
            waker: entry
                .waker
                .take()
                .expect("a task's waker is in its entry between polls"),
        }
    }

    /// Polls a spawned task once.
    pub(crate) fn poll_task(&self, ready: Ready) {
        let Taken { cell, waker } = self.take(ready);
        let mut cell = cell.expect("a spawned task has its cell");
        let started = self.debug_clock();
        let result = self.in_task_span(ready, || {
            cell.as_mut()
                .poll_task(&mut Context::from_waker(&waker), ready.id)
        });
        if let Some(started) = started {
            self.note_poll(ready, started);
        }
        if let TaskPoll::Pending = result {
            // Most steps end here. The same as `finish_poll`'s pending arm, written out: a
            // shared helper measured 1.4 % more instructions per step.
            let mut st = self.state.borrow_mut();
            st.current = None;
            let entry = st.tasks.entry(ready.key);
            entry.cell = Some(cell);
            entry.waker = Some(waker);
            entry.phase = Phase::Idle;
            if entry.abort_requested {
                st.tasks.wake(ready);
            }
            return;
        }
        self.finish_poll(ready, Some(cell), waker, result);
    }

    /// In debug mode, the wall-clock time a poll starts at.
    #[inline]
    pub(crate) fn debug_clock(&self) -> Option<std::time::Instant> {
        self.slow_poll.map(|_| std::time::Instant::now())
    }

    /// In debug mode, notes a poll that took longer than the threshold.
    pub(crate) fn note_poll(&self, ready: Ready, started: std::time::Instant) {
        let took = started.elapsed();
        let mut st = self.state.borrow_mut();
        if st.config.debug.is_some_and(|threshold| took > threshold) {
            if st.tasks.get(ready.key, ready.id).is_none() {
                return;
            }
            let slow = SlowPoll {
                task: st.tasks.info(ready.key),
                step: st.steps,
                time: st.now.since_start(),
                took,
            };
            st.debug.slow_polls.push(slow);
        }
    }

    /// Debug mode's report: what it noticed so far, and the tasks pending now.
    pub(crate) fn debug_report(&self) -> DebugReport {
        let st = self.state.borrow();
        let mut report = st.debug.clone();
        report.leaked = st.tasks.infos(|e| e.phase != Phase::Done);
        report
    }

    pub(crate) fn debug_on(&self) -> bool {
        self.slow_poll.is_some()
    }

    /// Runs `poll` (one poll of task `ready`) inside the task's span when `sim`'s debug events
    /// are on; otherwise just runs it, so a run without a subscriber pays one interest check.
    #[inline]
    pub(crate) fn in_task_span<R>(&self, ready: Ready, poll: impl FnOnce() -> R) -> R {
        if tracing::enabled!(target: "sim", tracing::Level::DEBUG) {
            self.task_span(ready).in_scope(|| {
                tracing::trace!(target: "sim", "poll");
                poll()
            })
        } else {
            poll()
        }
    }

    /// The span a task's poll runs in, so the task's own events appear inside it.
    pub(crate) fn task_span(&self, ready: Ready) -> tracing::Span {
        if !tracing::enabled!(target: "sim", tracing::Level::DEBUG) {
            return tracing::Span::none();
        }
        let name = self
            .state
            .borrow()
            .tasks
            .cold(ready.key, ready.id)
            .and_then(|c| c.name.clone());
        tracing::debug_span!(target: "sim", "task", id = %ready.id, name = name.as_deref())
    }

    /// Drops an aborted task's future.
    pub(crate) fn cancel_task(&self, ready: Ready) {
        let Taken { cell, waker } = self.take(ready);
        let mut cell = cell.expect("a spawned task has its cell");
        let result = self.task_span(ready).in_scope(|| {
            tracing::debug!(target: "sim", "cancelled: future dropped");
            cell.as_mut().cancel(ready.id)
        });
        let outcome = match result {
            TaskPoll::Panicked(_) => Outcome::Panicked,
            _ => Outcome::Cancelled,
        };
        self.complete(ready, Some(cell), waker, result, outcome);
    }

    /// Puts a polled task back, or completes it.
    pub(crate) fn finish_poll(
        &self,
        ready: Ready,
        cell: Option<std::pin::Pin<Box<dyn AnyTask>>>,
        waker: Waker,
        result: TaskPoll,
    ) {
        match result {
            TaskPoll::Pending => {
                let mut st = self.state.borrow_mut();
                st.current = None;
                let entry = st.tasks.entry(ready.key);
                entry.cell = cell;
                entry.waker = Some(waker);
                entry.phase = Phase::Idle;
                if entry.abort_requested {
                    st.tasks.wake(ready);
                }
            }
            TaskPoll::Complete => self.complete(ready, cell, waker, result, Outcome::Returned),
            TaskPoll::Panicked(_) => self.complete(ready, cell, waker, result, Outcome::Panicked),
        }
    }

    fn complete(
        &self,
        ready: Ready,
        cell: Option<std::pin::Pin<Box<dyn AnyTask>>>,
        waker: Waker,
        result: TaskPoll,
        outcome: Outcome,
    ) {
        match &result {
            TaskPoll::Panicked(message) => {
                tracing::debug!(target: "sim", task = %ready.id, message = %message, "panicked");
            }
            _ => tracing::debug!(target: "sim", task = %ready.id, ?outcome, "finished"),
        }
        let mut st = self.state.borrow_mut();
        st.current = None;
        st.record(EventKind::Finished {
            task: ready.id,
            outcome,
        });
        let entry = st.tasks.mark_done(ready.key, outcome);
        entry.waker = Some(waker);
        let drain = st.callbacks.task_done(DoneInfo {
            id: ready.id,
            outcome,
        });
        let entry = st.tasks.entry(ready.key);
        if entry.claims > 0 {
            entry.cell = cell;
            let join_waker = entry.join_waker.take();
            drop(st);
            if let Some(w) = join_waker {
                w.wake();
            }
        } else {
            let entry = st.tasks.remove(ready.key);
            if let TaskPoll::Panicked(message) = result {
                st.unobserved(ready.key, message, PanicReason::Detached);
            }
            drop(st);
            drop((entry, cell));
        }
        if drain {
            self.spawn_callback_drainer(ready.id);
        }
    }

    // ---- done callbacks ---------------------------------------------------------------

    /// Registers a callback to run, as a scheduled step, once the task has finished. `known`
    /// is the outcome when the caller already knows the task finished.
    pub(crate) fn on_done(&self, ready: Ready, known: Option<Outcome>, callback: DoneCallback) {
        let drain = {
            let mut st = self.state.borrow_mut();
            let outcome =
                known.or_else(|| st.tasks.get(ready.key, ready.id).and_then(|e| e.outcome));
            let done = outcome.map(|outcome| DoneInfo {
                id: ready.id,
                outcome,
            });
            st.callbacks.register(ready.id, done, callback)
        };
        if drain {
            self.spawn_callback_drainer(ready.id);
        }
    }

    /// Spawns the detached task that runs a finished task's callbacks in registration order.
    fn spawn_callback_drainer(&self, id: TaskId) {
        let future = async move {
            loop {
                let next = context::with_core("done callbacks", |core| {
                    core.state.borrow_mut().callbacks.next(id)
                });
                match next {
                    Some((callback, info)) => callback(info),
                    None => break,
                }
            }
        };
        let cell: std::pin::Pin<Box<dyn AnyTask>> = Box::pin(Stage::Running { future });
        let name = Some(Rc::from(format!("done callbacks of {id}")));
        let ready = self.insert(NewTask {
            name,
            spawned_at: Location::caller(),
            cell: Some(cell),
        });
        self.state.borrow_mut().tasks.entry(ready.key).claims = 0;
    }

    /// After the `block_on` future returned or panicked: removes its entry.
    pub(crate) fn finish_main(&self, ready: Ready, waker: Waker, outcome: Outcome) {
        let mut st = self.state.borrow_mut();
        st.current = None;
        st.record(EventKind::Finished {
            task: ready.id,
            outcome,
        });
        let entry = st.tasks.remove(ready.key);
        drop(st);
        drop((entry, waker));
    }

    /// The failure for a panicking `block_on` future (just finished, in slot `ready.key`).
    pub(crate) fn main_panicked(&self, ready: Ready, message: String) -> SimError {
        self.state
            .borrow()
            .panicked(ready.key, message, PanicReason::MainTask)
    }

    /// Removes the `block_on` future's entry after the run stopped with an error.
    pub(crate) fn abandon_main(&self, ready: Ready) {
        let entry = {
            let mut st = self.state.borrow_mut();
            st.current = None;
            st.tasks.unqueue(ready);
            st.tasks
                .get(ready.key, ready.id)
                .is_some()
                .then(|| st.tasks.remove(ready.key))
        };
        drop(entry);
    }

    /// Called when the `block_on` future finished: any pending failure still counts, and a
    /// replayed schedule must have been used up.
    pub(crate) fn end_of_run(&self) -> Result<(), SimError> {
        let mut st = self.state.borrow_mut();
        if let Some(failure) = st.failure.take() {
            return Err(failure);
        }
        if let Err(e) = st.scheduler.finish() {
            return Err(st.replay_error(e));
        }
        Ok(())
    }

    // ---- join handles -----------------------------------------------------------------

    /// Takes the task's output into `dst` if it finished; otherwise registers `cx`'s waker.
    pub(crate) fn poll_join(
        &self,
        ready: Ready,
        cx: &mut Context<'_>,
        dst: &mut dyn Any,
    ) -> Poll<()> {
        let mut st = self.state.borrow_mut();
        let entry = st
            .tasks
            .get_mut(ready.key, ready.id)
            .expect("a joined task stays in the table");
        if entry.phase != Phase::Done {
            if entry
                .join_waker
                .as_ref()
                .is_some_and(|w| w.will_wake(cx.waker()))
            {
                return Poll::Pending;
            }
            // Cloning and dropping wakers may run user code: not under the borrow.
            drop(st);
            let waker = cx.waker().clone();
            let mut st = self.state.borrow_mut();
            let entry = st
                .tasks
                .get_mut(ready.key, ready.id)
                .expect("still in the table");
            let old = entry.join_waker.replace(waker);
            drop(st);
            drop(old);
            return Poll::Pending;
        }
        if let Some(cell) = entry.cell.as_mut() {
            cell.as_mut().take_output(dst);
        }
        entry.claims -= 1;
        if entry.claims == 0 {
            let entry = st.tasks.remove(ready.key);
            drop(st);
            drop(entry);
        }
        Poll::Ready(())
    }

    /// Another join handle for the same task (for a task group). `false` if the task is gone.
    pub(crate) fn add_claim(&self, ready: Ready) -> bool {
        let mut st = self.state.borrow_mut();
        match st.tasks.get_mut(ready.key, ready.id) {
            Some(entry) => {
                entry.claims += 1;
                true
            }
            None => false,
        }
    }

    /// A join handle was dropped without taking the output.
    pub(crate) fn detach(&self, ready: Ready) {
        let mut st = self.state.borrow_mut();
        let Some(entry) = st.tasks.get_mut(ready.key, ready.id) else {
            return;
        };
        entry.claims -= 1;
        if entry.claims > 0 {
            return;
        }
        if entry.phase != Phase::Done {
            let join_waker = entry.join_waker.take();
            drop(st);
            drop(join_waker);
            return;
        }
        let entry = st.tasks.remove(ready.key);
        let message = entry.cell.as_ref().and_then(|c| c.as_ref().panic_message());
        if let Some(message) = message {
            st.unobserved(ready.key, message, PanicReason::HandleDropped);
        }
        drop(st);
        drop(entry);
    }

    /// Requests that a task be cancelled at its next scheduling point.
    pub(crate) fn abort(&self, ready: Ready) {
        let mut st = self.state.borrow_mut();
        let Some(entry) = st.tasks.get_mut(ready.key, ready.id) else {
            return;
        };
        if entry.phase == Phase::Done || entry.abort_requested {
            return;
        }
        entry.abort_requested = true;
        st.tasks.wake(ready);
        drop(st);
        tracing::debug!(target: "sim", task = %ready.id, "abort requested");
    }

    /// The task's place in the run's completion order, once it has finished.
    pub(crate) fn finish_order(&self, ready: Ready) -> Option<u64> {
        self.state
            .borrow()
            .tasks
            .get(ready.key, ready.id)
            .map(|e| u64::from(e.finished))
            .filter(|&order| order > 0)
    }

    pub(crate) fn is_finished(&self, ready: Ready) -> bool {
        let st = self.state.borrow();
        st.tasks
            .get(ready.key, ready.id)
            .is_none_or(|e| e.phase == Phase::Done)
    }

    // ---- timers -----------------------------------------------------------------------

    pub(crate) fn arm_timer(&self, deadline: Instant, waker: &Waker) -> TimerKey {
        let waker = waker.clone();
        self.state
            .borrow_mut()
            .timers
            .insert(deadline.as_nanos(), waker)
    }

    /// Points an armed timer at `waker`; `false` if it is no longer armed.
    pub(crate) fn rearm_timer(&self, timer: TimerKey, waker: &Waker) -> bool {
        match self.state.borrow().timers.wakes(timer, waker) {
            None => return false,
            Some(true) => return true,
            Some(false) => {}
        }
        let waker = waker.clone();
        let old = self.state.borrow_mut().timers.replace_waker(timer, waker);
        drop(old);
        true
    }

    pub(crate) fn disarm_timer(&self, timer: TimerKey) {
        let waker = self.state.borrow_mut().timers.remove(timer);
        drop(waker);
    }

    // ---- teardown ---------------------------------------------------------------------

    /// Drops every task, running destructors with this runtime current. Tasks spawned by
    /// those destructors are dropped too.
    pub(crate) fn teardown(&self) {
        loop {
            let entry = self.state.borrow_mut().tasks.remove_any();
            if let Some(entry) = entry {
                // A destructor that panics must not stop the teardown (the remaining tasks
                // would leak through their reference cycles), nor unwind out of `drop`.
                let _ = catch_unwind(AssertUnwindSafe(move || drop(entry)));
                continue;
            }
            let pool = self.blocking.borrow_mut().take();
            drop(pool);
            let callbacks = std::mem::take(&mut self.state.borrow_mut().callbacks);
            let _ = catch_unwind(AssertUnwindSafe(move || drop(callbacks)));
            let timers =
                std::mem::replace(&mut self.state.borrow_mut().timers, TimerQueue::empty());
            if timers.is_empty() && self.state.borrow().tasks.len() == 0 {
                break;
            }
            // Dropping a waker may spawn a task: go round again until both are empty.
            let _ = catch_unwind(AssertUnwindSafe(move || drop(timers)));
        }
    }
}
