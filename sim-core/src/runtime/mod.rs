//! The runtime and its run loop.

mod builder;

use std::fmt;
use std::future::Future;
use std::panic::{AssertUnwindSafe, Location, catch_unwind};
use std::pin::pin;
use std::rc::Rc;
use std::task::{Context, Poll};

pub use crate::engine::UnobservedPanic;
pub use builder::{Builder, DEFAULT_MAX_STEPS, DEFAULT_WATCHDOG};

use crate::engine::context;
use crate::engine::{Config, Core, Step, Watchdog};
use crate::error::SimError;
use crate::executor::{TaskPoll, panic_message};
use crate::record::{DebugReport, DecisionPoint, Event, Outcome, Schedule};
use crate::sched::Strategy;
use crate::task::JoinHandle;

/// A deterministic simulation: one thread, a virtual clock, and a seed behind every choice.
///
/// Build one with [`Runtime::new`] or a [`Builder`], then drive a future with
/// [`block_on`](Runtime::block_on). Tasks still pending when the future returns stay in the
/// runtime and are dropped, destructors and all, when the runtime is dropped.
///
/// # Examples
///
/// ```
/// use sim::time::{sleep, Duration, Instant};
///
/// let mut rt = sim::Runtime::new(42);
/// let t = rt.block_on(async {
///     let a = sim::spawn(sleep(Duration::from_secs(2)));
///     let b = sim::spawn(sleep(Duration::from_secs(2)));
///     a.await.unwrap();
///     b.await.unwrap();
///     Instant::now().since_start()
/// });
/// assert_eq!(t.unwrap(), Duration::from_secs(2)); // concurrent sleeps overlap
/// assert_eq!(rt.seed(), 42);
/// ```
pub struct Runtime {
    core: Rc<Core>,
    strategy_name: &'static str,
}

impl Runtime {
    /// A runtime with the given seed and every other setting at its default.
    ///
    /// ```
    /// assert_eq!(sim::Runtime::new(9).seed(), 9);
    /// ```
    pub fn new(seed: u64) -> Runtime {
        Builder::new().seed(seed).build()
    }

    pub(crate) fn from_config(config: Config, watchdog: Watchdog) -> Runtime {
        let strategy_name = config.strategy.name();
        Runtime {
            core: Core::new(config, watchdog),
            strategy_name,
        }
    }

    /// Runs `future` to completion as task `#0`, with every task it spawns, and returns its
    /// output.
    ///
    /// The run loop: while the future has not finished, pick a runnable task (by the strategy)
    /// and poll it once — one *step*; when nothing is runnable, move the clock to the earliest
    /// timer and fire every timer due then (ties in an order the strategy picks); when there is
    /// no timer either, the run is deadlocked.
    ///
    /// # Errors
    ///
    /// [`SimError::Deadlock`], [`SimError::StepLimit`], [`SimError::TimeLimit`],
    /// [`SimError::Panicked`] (the future panicked, or a task's panic went unobserved),
    /// [`SimError::NonDeterminism`], [`SimError::Replay`]. Each names the seed.
    ///
    /// # Panics
    ///
    /// If called from inside a running simulation (runs do not nest).
    ///
    /// ```
    /// let out = sim::Runtime::new(0).block_on(async { 1 + 1 });
    /// assert_eq!(out.unwrap(), 2);
    /// ```
    #[track_caller]
    pub fn block_on<F: Future>(&mut self, future: F) -> Result<F::Output, SimError> {
        self.block_on_at(future, Location::caller())
    }

    /// `block_on`, with the main task's spawn site given (the checker passes the test's).
    pub(crate) fn block_on_at<F: Future>(
        &mut self,
        future: F,
        spawned_at: &'static Location<'static>,
    ) -> Result<F::Output, SimError> {
        let _enter = context::enter(&self.core, false);
        let _local_wakes = self.core.local_wakes();
        let _watching = self.core.watch_run();
        let core = &*self.core;
        let main = core.spawn_main(spawned_at);
        let mut future = pin!(future);
        loop {
            let step = match core.next_step() {
                Ok(step) => step,
                Err(error) => {
                    core.abandon_main(main);
                    return Err(error);
                }
            };
            match step {
                Step::Poll(ready) if ready == main => {
                    let waker = core.take(ready).waker;
                    let mut cx = Context::from_waker(&waker);
                    let started = core.debug_clock();
                    let polled = core.in_task_span(ready, || {
                        catch_unwind(AssertUnwindSafe(|| future.as_mut().poll(&mut cx)))
                    });
                    if let Some(started) = started {
                        core.note_poll(ready, started);
                    }
                    match polled {
                        Ok(Poll::Pending) => {
                            core.finish_poll(ready, None, waker, TaskPoll::Pending)
                        }
                        Ok(Poll::Ready(output)) => {
                            core.finish_main(ready, waker, Outcome::Returned);
                            core.end_of_run()?;
                            if core.debug_on() {
                                let report = core.debug_report();
                                if !report.is_empty() {
                                    eprint!("{report}");
                                }
                            }
                            return Ok(output);
                        }
                        Err(payload) => {
                            core.finish_main(ready, waker, Outcome::Panicked);
                            return Err(core.main_panicked(ready, panic_message(&*payload)));
                        }
                    }
                }
                Step::Poll(ready) => core.poll_task(ready),
                Step::Cancel(ready) => core.cancel_task(ready),
            }
        }
    }

    /// A handle to the simulation running on this thread, or `None` outside one: the
    /// non-panicking form of asyncio's `get_running_loop`.
    ///
    /// ```
    /// assert!(sim::Runtime::try_current().is_none());
    /// sim::Runtime::new(5).block_on(async {
    ///     let handle = sim::Runtime::try_current().expect("inside a run");
    ///     assert_eq!(handle.seed(), 5);
    /// }).unwrap();
    /// ```
    pub fn try_current() -> Option<Handle> {
        context::try_core().map(|core| Handle { core })
    }

    /// The run's seed.
    ///
    /// ```
    /// assert_eq!(sim::Builder::new().seed(0x2a).build().seed(), 42);
    /// ```
    pub fn seed(&self) -> u64 {
        self.core.seed()
    }

    /// Steps taken so far: each poll of a task, and each cancellation, is one step.
    ///
    /// ```
    /// let mut rt = sim::Runtime::new(0);
    /// rt.block_on(async { sim::task::yield_now().await }).unwrap();
    /// assert_eq!(rt.steps(), 2);
    /// ```
    pub fn steps(&self) -> u64 {
        self.core.steps()
    }

    /// Every scheduling decision made so far, for replay with [`Strategy::Replay`].
    ///
    /// ```
    /// use sim::{Builder, Strategy};
    ///
    /// let program = || async {
    ///     let tasks: Vec<_> = (0..3).map(|i| sim::spawn(async move { i })).collect();
    ///     for t in tasks { t.await.unwrap(); }
    ///     sim::steps_taken()
    /// };
    /// let mut first = Builder::new().seed(5).build();
    /// first.block_on(program()).unwrap();
    /// let schedule = first.schedule();
    ///
    /// let mut again = Builder::new().strategy(Strategy::Replay(schedule.clone())).build();
    /// again.block_on(program()).unwrap();
    /// assert_eq!(again.schedule(), schedule);
    /// ```
    pub fn schedule(&self) -> Schedule {
        self.core.schedule()
    }

    /// Hashes the schedule without copying it (the checker counts distinct schedules).
    pub(crate) fn hash_schedule(&self, hasher: &mut impl std::hash::Hasher) {
        self.core.hash_schedule(hasher);
    }

    /// Scheduling decisions that switched away from the task that ran last while it could
    /// still run: the measure of how unusual an interleaving is. A run with no preemption
    /// lets each task run until it waits.
    ///
    /// ```
    /// let mut rt = sim::Builder::new().strategy(sim::Strategy::Fifo).build();
    /// rt.block_on(async { sim::task::yield_now().await }).unwrap();
    /// assert_eq!(rt.preemptions(), 0);
    /// ```
    pub fn preemptions(&self) -> u64 {
        self.core.preemptions()
    }

    /// How far cancellation injection got in this run.
    pub(crate) fn injection(&self) -> crate::engine::Injection {
        self.core.injection()
    }

    /// The decision trace, when [`Builder::trace_decisions`] was on.
    pub(crate) fn take_trace(&self) -> Vec<DecisionPoint> {
        self.core.take_trace()
    }

    /// Where a lenient replay (a replay token's schedule) stopped fitting the run, if it did.
    pub(crate) fn divergence(&self) -> Option<crate::record::ReplayError> {
        self.core.divergence()
    }

    /// How many of the schedule's decisions chose a task (PCT spreads its change points over
    /// these).
    pub(crate) fn task_decisions(&self) -> u64 {
        self.core.task_decisions()
    }

    /// What debug mode noticed (see [`Builder::debug`]): tasks pending now, slow polls, and
    /// ignored panics. Without debug mode, only the pending tasks are listed.
    ///
    /// ```
    /// let mut rt = sim::Runtime::new(0);
    /// rt.block_on(async { drop(sim::spawn(std::future::pending::<()>())) }).unwrap();
    /// assert_eq!(rt.debug_report().leaked.len(), 1);
    /// ```
    pub fn debug_report(&self) -> DebugReport {
        self.core.debug_report()
    }

    /// The run's events, if [`Builder::record_events`] was turned on (otherwise empty).
    ///
    /// ```
    /// let mut rt = sim::Builder::new().record_events(true).build();
    /// rt.block_on(async {}).unwrap();
    /// assert!(!rt.events().is_empty());
    /// ```
    pub fn events(&self) -> Vec<Event> {
        self.core.events().to_vec()
    }

    /// The run's per-event hashes (with `Builder::hash_events`), taken out.
    pub(crate) fn take_event_hashes(&self) -> Vec<u64> {
        self.core.take_event_hashes()
    }

    /// Virtual time since the run began.
    ///
    /// ```
    /// let mut rt = sim::Runtime::new(0);
    /// rt.block_on(async { sim::time::sleep(sim::time::Duration::from_secs(3)).await }).unwrap();
    /// assert_eq!(rt.elapsed().as_secs(), 3);
    /// ```
    pub fn elapsed(&self) -> std::time::Duration {
        self.core.now().since_start()
    }

    /// Tasks the runtime still holds: running, pending, or finished with an output not yet
    /// taken by their join handle.
    ///
    /// ```
    /// let mut rt = sim::Runtime::new(0);
    /// rt.block_on(async { drop(sim::spawn(std::future::pending::<()>())) }).unwrap();
    /// assert_eq!(rt.live_tasks(), 1);
    /// ```
    pub fn live_tasks(&self) -> usize {
        self.core.live_tasks()
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        // Destructors of dropped tasks may use the runtime (disarm timers, detach handles,
        // even spawn), so it is made current, nesting inside any run on this thread.
        let _enter = context::enter(&self.core, true);
        self.core.teardown();
    }
}

impl fmt::Debug for Runtime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Runtime")
            .field("seed", &self.seed())
            .field("strategy", &self.strategy_name)
            .field("steps", &self.steps())
            .field("elapsed", &self.elapsed())
            .finish()
    }
}

/// A handle to a running simulation, from [`Runtime::try_current`]: spawn into it and ask
/// about it from code that does not know whether it runs inside a simulation.
#[derive(Clone)]
pub struct Handle {
    core: Rc<Core>,
}

impl Handle {
    /// The run's seed.
    ///
    /// ```
    /// sim::Runtime::new(9).block_on(async {
    ///     assert_eq!(sim::Runtime::try_current().unwrap().seed(), 9);
    /// }).unwrap();
    /// ```
    pub fn seed(&self) -> u64 {
        self.core.seed()
    }

    /// Virtual time since the run began.
    ///
    /// ```
    /// sim::Runtime::new(0).block_on(async {
    ///     sim::time::sleep(sim::time::Duration::from_secs(1)).await;
    ///     assert_eq!(sim::Runtime::try_current().unwrap().elapsed().as_secs(), 1);
    /// }).unwrap();
    /// ```
    pub fn elapsed(&self) -> std::time::Duration {
        self.core.now().since_start()
    }

    /// Spawns a task into the run; see [`spawn`](crate::spawn).
    ///
    /// ```
    /// sim::Runtime::new(0).block_on(async {
    ///     let handle = sim::Runtime::try_current().unwrap();
    ///     assert_eq!(handle.spawn(async { 3 }).await.unwrap(), 3);
    /// }).unwrap();
    /// ```
    #[track_caller]
    pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        JoinHandle::spawn_on(&self.core, future, None, Location::caller())
    }
}

impl fmt::Debug for Handle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Handle")
            .field("seed", &self.seed())
            .finish()
    }
}

/// Steps taken so far by the current run (see [`Runtime::steps`]).
///
/// # Panics
///
/// Outside a running simulation.
///
/// ```
/// sim::Runtime::new(0).block_on(async {
///     assert_eq!(sim::steps_taken(), 1);
///     sim::task::yield_now().await;
///     assert_eq!(sim::steps_taken(), 2);
/// }).unwrap();
/// ```
#[track_caller]
pub fn steps_taken() -> u64 {
    context::with_core("sim::steps_taken", |core| core.steps())
}

/// The seed of the current run.
///
/// # Panics
///
/// Outside a running simulation.
///
/// ```
/// sim::Runtime::new(77).block_on(async { assert_eq!(sim::seed(), 77) }).unwrap();
/// ```
#[track_caller]
pub fn seed() -> u64 {
    context::with_core("sim::seed", |core| core.seed())
}

/// Whether the calling code runs inside a simulation (asyncio's `get_running_loop` check).
///
/// ```
/// assert!(!sim::in_simulation());
/// sim::Runtime::new(0).block_on(async { assert!(sim::in_simulation()) }).unwrap();
/// ```
pub fn in_simulation() -> bool {
    context::try_core().is_some()
}

pub(crate) fn default_strategy() -> Strategy {
    Strategy::Random
}
