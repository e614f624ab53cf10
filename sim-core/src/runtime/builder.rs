//! Configuring a runtime, in code or from `SIM_*` environment variables.

use std::time::Duration;

use super::Runtime;
use crate::engine::{Config, Label, UnobservedPanic, Watchdog};
use crate::env::{EnvError, EnvSettings, PanicPolicy};
use crate::record::DEFAULT_SLOW_POLL;
use crate::sched::GuideStep;
use crate::sched::Strategy;

/// The default step limit: high enough for any reasonable test, low enough that a task that
/// never stops yielding fails in about a second instead of hanging the test suite.
pub const DEFAULT_MAX_STEPS: u64 = 10_000_000;

/// The default watchdog budget: the longest one step (one poll of one task) may run in wall-clock
/// time before the watchdog ends the test with a report; see [`Builder::watchdog`].
///
/// A poll of a simulated task takes microseconds, so ten seconds is a million times more than
/// usual and leaves room for a slow debug build, a loaded CI machine or `valgrind`, yet a hung
/// test is reported in ten seconds instead of at a CI job's timeout, which is minutes to hours
/// away and says nothing about where it hung.
///
/// ```
/// assert_eq!(sim::DEFAULT_WATCHDOG, std::time::Duration::from_secs(10));
/// ```
pub const DEFAULT_WATCHDOG: Duration = Duration::from_secs(10);

/// Builds a [`Runtime`].
///
/// Defaults: seed 0, [`Strategy::Random`], at most [`DEFAULT_MAX_STEPS`] steps, no limit on
/// virtual time, unobserved panics fail the run, no event log, a watchdog with a budget of
/// [`DEFAULT_WATCHDOG`] for one step.
///
/// # Examples
///
/// ```
/// use sim::time::Duration;
/// use sim::{Builder, Strategy};
///
/// let rt = Builder::new()
///     .seed(0xfeed)
///     .strategy(Strategy::Fifo)
///     .max_steps(1_000)
///     .max_time(Duration::from_secs(60))
///     .build();
/// assert_eq!(rt.seed(), 0xfeed);
/// ```
#[derive(Debug, Clone)]
pub struct Builder {
    config: Config,
    watchdog: Watchdog,
}

impl Default for Builder {
    fn default() -> Builder {
        Builder::new()
    }
}

impl Builder {
    /// A builder with every setting at its default.
    ///
    /// ```
    /// assert_eq!(sim::Builder::new().build().seed(), 0);
    /// ```
    pub fn new() -> Builder {
        Builder {
            config: Config {
                seed: 0,
                strategy: super::default_strategy(),
                max_steps: DEFAULT_MAX_STEPS,
                max_time: None,
                unobserved_panic: UnobservedPanic::default(),
                record_events: false,
                hash_events: false,
                horizon: None,
                chaos: false,
                blocking_threads: 1,
                guide: None,
                buggify: false,
                trace_decisions: false,
                inject_at: None,
                debug: None,
            },
            watchdog: Watchdog {
                budget: DEFAULT_WATCHDOG.as_nanos() as u64,
                label: None,
            },
        }
    }

    /// A builder with defaults, then the settings given by the environment.
    ///
    /// It reads the variables that concern one run: the rows marked `Builder` in the
    /// [table of `SIM_*` variables](crate::check#environment), the one list of them. It also
    /// starts [tracing](crate::trace::init) when `SIM_TRACE` asks for it.
    ///
    /// # Errors
    ///
    /// A set `SIM_*` variable whose value does not parse (any of the table's) gives an
    /// [`EnvError`] naming the variable, the value and what was expected. Nothing falls back
    /// to a default silently.
    ///
    /// ```
    /// // With none of the variables set, this is `Builder::new()`.
    /// let rt = sim::Builder::from_env().expect("SIM_* variables are well-formed").build();
    /// # let _ = rt;
    /// ```
    pub fn from_env() -> Result<Builder, EnvError> {
        Builder::new().apply_vars(|name| std::env::var_os(name))
    }

    /// Like [`Builder::from_env`], but reading the variables from `vars` instead of the
    /// process environment: for configuration that arrives another way, and for tests.
    ///
    /// # Errors
    ///
    /// As [`Builder::from_env`].
    ///
    /// ```
    /// let b = sim::Builder::from_vars([("SIM_SEED", "0x10"), ("SIM_STRATEGY", "fifo")]).unwrap();
    /// assert_eq!(b.build().seed(), 16);
    ///
    /// let err = sim::Builder::from_vars([("SIM_STRATEGY", "lifo")]).unwrap_err();
    /// assert_eq!(err.var(), "SIM_STRATEGY");
    /// ```
    pub fn from_vars<'a>(
        vars: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Builder, EnvError> {
        let vars: Vec<(&str, &str)> = vars.into_iter().collect();
        Builder::new().apply_vars(|name| {
            vars.iter()
                .rev()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v).into())
        })
    }

    /// Applies `SIM_*` settings read through `lookup`.
    fn apply_vars(
        self,
        lookup: impl Fn(&str) -> Option<std::ffi::OsString>,
    ) -> Result<Builder, EnvError> {
        Ok(self.apply_env(&EnvSettings::read(lookup)?))
    }

    /// Applies the settings of the environment that concern a single run, and starts
    /// tracing if `SIM_TRACE` asks for it.
    pub(crate) fn apply_env(mut self, env: &EnvSettings) -> Builder {
        if let Some(level) = env.trace_level() {
            crate::trace::init(level);
        }
        if let Some(seed) = env.seed {
            self.config.seed = seed;
        }
        if let Some(strategy) = &env.strategy {
            self.config.strategy = strategy.clone();
        }
        if let Some(schedule) = &env.schedule {
            self.config.strategy = Strategy::Replay(schedule.clone());
        }
        self.apply_run_env(env)
    }

    /// Applies the per-run settings of the environment other than the seed and the strategy
    /// (which the multi-seed checker sets per run itself): the checker's runtime builder
    /// takes them from here too, so both read them alike.
    /// The settings this builder would build a run with.
    pub(crate) fn config(&self) -> &Config {
        &self.config
    }

    /// The settings to build with, to change directly (the checker resets a replayed run's).
    pub(crate) fn config_mut(&mut self) -> &mut Config {
        &mut self.config
    }

    pub(crate) fn apply_run_env(mut self, env: &EnvSettings) -> Builder {
        if let Some(on) = env.buggify {
            self = self.buggify(on);
        }
        if let Some(on) = env.chaos {
            self = self.chaos(on);
        }
        if let Some(steps) = env.max_steps {
            self = self.max_steps(steps);
        }
        if let Some(time) = env.max_time {
            self = self.max_time(time);
        }
        if let Some(threads) = env.blocking_threads {
            self = self.blocking_threads(threads);
        }
        if let Some(policy) = env.unobserved_panic {
            self = self.unobserved_panic(match policy {
                PanicPolicy::Fail => UnobservedPanic::FailRun,
                PanicPolicy::Ignore => UnobservedPanic::Ignore,
            });
        }
        // The threshold first, so that `SIM_DEBUG=0` turns debug mode off even then.
        if let Some(threshold) = env.slow_poll {
            self = self.slow_poll_threshold(threshold);
        }
        if let Some(on) = env.debug {
            self = self.debug(on);
        }
        if let Some(budget) = env.watchdog {
            self = self.watchdog(budget);
        }
        self
    }

    /// The seed behind every random choice of the run.
    ///
    /// ```
    /// assert_eq!(sim::Builder::new().seed(3).build().seed(), 3);
    /// ```
    pub fn seed(mut self, seed: u64) -> Builder {
        self.config.seed = seed;
        self
    }

    /// How scheduling choices are made; see [`Strategy`].
    ///
    /// ```
    /// let rt = sim::Builder::new().strategy(sim::Strategy::Fifo).build();
    /// # drop(rt);
    /// ```
    pub fn strategy(mut self, strategy: Strategy) -> Builder {
        self.config.strategy = strategy;
        self
    }

    /// The most steps (task polls) a run may take before it fails with
    /// [`SimError::StepLimit`](crate::SimError::StepLimit).
    ///
    /// ```
    /// let mut rt = sim::Builder::new().max_steps(10).build();
    /// let err = rt.block_on(async { loop { sim::task::yield_now().await } }).unwrap_err();
    /// assert!(matches!(err, sim::SimError::StepLimit(_)));
    /// ```
    pub fn max_steps(mut self, max_steps: u64) -> Builder {
        self.config.max_steps = max_steps;
        self
    }

    /// The most virtual time a run may reach before it fails with
    /// [`SimError::TimeLimit`](crate::SimError::TimeLimit).
    ///
    /// ```
    /// use sim::time::{sleep, Duration};
    ///
    /// let mut rt = sim::Builder::new().max_time(Duration::from_secs(5)).build();
    /// let err = rt.block_on(async { sleep(Duration::from_secs(6)).await }).unwrap_err();
    /// assert!(matches!(err, sim::SimError::TimeLimit(_)));
    /// ```
    pub fn max_time(mut self, max_time: Duration) -> Builder {
        self.config.max_time = Some(max_time);
        self
    }

    /// What to do with a panic no join handle observed (the default fails the run).
    ///
    /// ```
    /// use sim::UnobservedPanic;
    ///
    /// let mut rt = sim::Builder::new().unobserved_panic(UnobservedPanic::Ignore).build();
    /// rt.block_on(async {
    ///     drop(sim::spawn(async { panic!("ignored") }));
    ///     sim::task::yield_now().await;
    /// }).unwrap();
    /// ```
    pub fn unobserved_panic(mut self, policy: UnobservedPanic) -> Builder {
        self.config.unobserved_panic = policy;
        self
    }

    /// Chaos mode: an operation of a [`sim::sync`](crate::sync) primitive that is ready at its
    /// first poll (a free lock, a permit, a queued item) may still yield once first, decided
    /// by the seed, so check-then-act races across an `await` that happened to be ready become
    /// reachable. Each such choice is a recorded decision. The exact points are listed in the
    /// [`sync`](crate::sync) module docs.
    ///
    /// ```
    /// let mut rt = sim::Builder::new().chaos(true).build();
    /// rt.block_on(async {
    ///     let lock = sim::sync::Mutex::new(0);
    ///     *lock.lock().await += 1; // may yield once before taking the free lock
    /// }).unwrap();
    /// ```
    pub fn chaos(mut self, on: bool) -> Builder {
        self.config.chaos = on;
        self
    }

    /// Workers of the simulated pool behind [`task::spawn_blocking`](crate::task::spawn_blocking):
    /// at most this many blocking jobs overlap (default 1; 0 acts as 1).
    ///
    /// ```
    /// use sim::time::Duration;
    ///
    /// let mut rt = sim::Builder::new().blocking_threads(2).build();
    /// rt.block_on(async {
    ///     let jobs: Vec<_> = (0..10)
    ///         .map(|i| sim::task::spawn_blocking(Duration::from_secs(1), move || i))
    ///         .collect();
    ///     for j in jobs { j.await.unwrap(); }
    ///     assert_eq!(sim::time::elapsed(), Duration::from_secs(5)); // ten 1 s jobs, two at a time
    /// }).unwrap();
    /// ```
    pub fn blocking_threads(mut self, threads: usize) -> Builder {
        self.config.blocking_threads = threads.max(1);
        self
    }

    /// Lets [`buggify!`](crate::buggify!) sites fire (off by default); see [`buggify`](mod@crate::buggify).
    ///
    /// ```
    /// let mut rt = sim::Builder::new().seed(3).buggify(true).build();
    /// let fired = rt.block_on(async { (0..100).filter(|_| sim::buggify!(1.0)).count() }).unwrap();
    /// assert!(fired == 0 || fired == 100); // a site is enabled for the whole run, or not at all
    /// ```
    pub fn buggify(mut self, on: bool) -> Builder {
        self.config.buggify = on;
        self
    }

    /// Debug mode, like asyncio's: notes polls slower than [`DEFAULT_SLOW_POLL`] of
    /// wall-clock time, ignored panics, and at the end of each `block_on` prints a report of
    /// those and of the tasks still pending; see [`Runtime::debug_report`]. `SIM_DEBUG=1`
    /// turns it on from the environment.
    ///
    /// ```
    /// let rt = sim::Builder::new().debug(true).build();
    /// # drop(rt);
    /// ```
    pub fn debug(mut self, on: bool) -> Builder {
        self.config.debug = on.then_some(self.config.debug.unwrap_or(DEFAULT_SLOW_POLL));
        self
    }

    /// Debug mode with a slow-poll threshold of `threshold`.
    ///
    /// ```
    /// use sim::time::Duration;
    /// let rt = sim::Builder::new().slow_poll_threshold(Duration::from_millis(10)).build();
    /// # drop(rt);
    /// ```
    pub fn slow_poll_threshold(mut self, threshold: Duration) -> Builder {
        self.config.debug = Some(threshold);
        self
    }

    /// The watchdog's budget: the most wall-clock time one step (one poll of one task, or the
    /// drop of an aborted task's future) may take; `None` or a zero duration turns the
    /// watchdog off. The default is [`DEFAULT_WATCHDOG`]; `SIM_WATCHDOG=30s` sets it from the
    /// environment and `SIM_WATCHDOG=off` turns it off.
    ///
    /// A single-threaded executor cannot interrupt a poll, so a task that never yields (a busy
    /// loop, `std::thread::sleep`, a blocking lock or I/O, `futures::executor::block_on` or
    /// another runtime's `block_on` inside async code) would hang the test with no report. One
    /// watchdog thread per process watches the runs of every thread; when a step outlasts its
    /// budget, it prints a report to stderr (the test, the task and its spawn site, the step,
    /// the virtual time, the seed, and under a [`Check`](crate::check::Check) the command that
    /// replays it) and **ends the process** with exit status 101: the stuck poll cannot be
    /// unwound from another thread, so the other tests of the same binary stop too. A step is
    /// reported between one and one and a quarter budgets after it began, never before.
    ///
    /// The watchdog reads only what each step publishes for it (a few relaxed atomic stores);
    /// it makes no decision and never changes what a run does.
    ///
    /// ```
    /// use sim::time::Duration;
    ///
    /// // A test whose steps do real work for a while: a minute per step.
    /// let mut rt = sim::Builder::new().watchdog(Duration::from_secs(60)).build();
    /// rt.block_on(async {
    ///     std::thread::sleep(Duration::from_millis(20)); // blocks: fine, well within budget
    /// }).unwrap();
    ///
    /// // No watchdog at all (while stepping through a run in a debugger, say).
    /// let rt = sim::Builder::new().watchdog(None).build();
    /// # drop(rt);
    /// ```
    pub fn watchdog(mut self, budget: impl Into<Option<Duration>>) -> Builder {
        // In nanoseconds, saturating (585 years is as good as no limit, but still armed).
        let nanos = budget
            .into()
            .map_or(0, |b| b.as_nanos().min(u64::MAX as u128) as u64);
        self.watchdog.budget = nanos;
        self
    }

    /// What the watchdog's report says about the runs of this builder: the test's name, and
    /// the command that replays a seed (the checker sets this).
    pub(crate) fn label(
        mut self,
        test: impl Into<String>,
        replay: impl Fn(u64) -> String + Send + Sync + 'static,
    ) -> Builder {
        self.watchdog.label = Some(Label::new(test, replay));
        self
    }

    /// Keep a log of the run's events, readable with [`Runtime::events`].
    ///
    /// ```
    /// let rt = sim::Builder::new().record_events(true).build();
    /// # drop(rt);
    /// ```
    pub fn record_events(mut self, on: bool) -> Builder {
        self.config.record_events = on;
        self
    }

    /// Keep one hash per event instead of the events (8 bytes each): enough for the
    /// determinism check to find where two runs part.
    pub(crate) fn hash_events(mut self, on: bool) -> Builder {
        self.config.hash_events = on;
        self
    }

    /// The number of decisions a run is expected to make, for [`Strategy::Pct`], which spreads
    /// its change points over them. The multi-seed checker sets it from earlier seeds.
    pub(crate) fn horizon(mut self, decisions: u64) -> Builder {
        self.config.horizon = Some(decisions);
        self
    }

    /// Follows the guide `steps` where they fit and makes the least disruptive choice elsewhere (the
    /// shrinker's strategy); overrides the strategy.
    pub(crate) fn guide(mut self, steps: Vec<GuideStep>) -> Builder {
        self.config.guide = Some(steps);
        self
    }

    /// Cancellation injection: the `n`-th time (from 1) any `timeout`'s inner future returns
    /// `Pending`, that timeout expires on the spot.
    pub(crate) fn inject_at(mut self, n: u64) -> Builder {
        self.config.inject_at = Some(n);
        self
    }

    /// Keeps every decision's options, for exhaustive exploration.
    pub(crate) fn trace_decisions(mut self, on: bool) -> Builder {
        self.config.trace_decisions = on;
        self
    }

    /// The runtime.
    ///
    /// ```
    /// let mut rt = sim::Builder::new().build();
    /// assert_eq!(rt.block_on(async { 3 }).unwrap(), 3);
    /// ```
    pub fn build(self) -> Runtime {
        Runtime::from_config(self.config, self.watchdog)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn from(vars: &[(&str, &str)]) -> Result<Builder, EnvError> {
        Builder::from_vars(vars.iter().copied())
    }

    #[test]
    fn reads_each_variable() {
        let b = from(&[("SIM_SEED", "0x2A"), ("SIM_STRATEGY", "fifo")]).unwrap();
        assert_eq!(b.config.seed, 42);
        assert_eq!(b.config.strategy, Strategy::Fifo);
        let b = from(&[("SIM_SEED", " 17 "), ("SIM_SCHEDULE", "v1:1,0")]).unwrap();
        assert_eq!(b.config.seed, 17);
        assert_eq!(
            b.config.strategy,
            Strategy::Replay("v1:1,0".parse().unwrap())
        );
    }

    #[test]
    fn the_watchdog_budget_comes_from_the_setter_or_the_environment() {
        let budget = |b: Builder| b.watchdog.budget;
        assert_eq!(budget(Builder::new()), DEFAULT_WATCHDOG.as_nanos() as u64);
        assert_eq!(
            budget(Builder::new().watchdog(Duration::from_secs(1))),
            1_000_000_000
        );
        assert_eq!(budget(Builder::new().watchdog(None)), 0);
        assert_eq!(
            budget(Builder::new().watchdog(Duration::ZERO)),
            0,
            "zero is off"
        );
        assert_eq!(
            budget(Builder::new().watchdog(Duration::MAX)),
            u64::MAX,
            "saturates"
        );
        let env = |value| budget(from(&[("SIM_WATCHDOG", value)]).unwrap());
        assert_eq!(env("250ms"), 250_000_000);
        assert_eq!(env("off"), 0);
        assert_eq!(env("0"), 0);
        // The table's default is the code's.
        let row = crate::env::VARIABLES
            .iter()
            .find(|v| v.name == "SIM_WATCHDOG")
            .unwrap();
        assert_eq!(
            row.default,
            humantime::format_duration(DEFAULT_WATCHDOG).to_string()
        );
    }

    #[test]
    fn malformed_values_name_variable_and_value() {
        for (var, value, needle) in [
            ("SIM_SEED", "-1", "unsigned 64-bit seed"),
            ("SIM_SEED", "0xZZ", "hexadecimal"),
            ("SIM_SEED", "", "decimal"),
            ("SIM_SEED", "18446744073709551616", "64-bit"),
            ("SIM_STRATEGY", "lifo", "expected one of: random, fifo, pct"),
            ("SIM_STRATEGY", "pct:0", "pct:N (N >= 1)"),
            ("SIM_SCHEDULE", "0,1", "version prefix"),
        ] {
            let err = from(&[(var, value)]).unwrap_err();
            assert_eq!(err.var(), var);
            let text = err.to_string();
            assert!(
                text.starts_with(&format!("{var}={value:?} is malformed: ")),
                "{text}"
            );
            assert!(text.contains(needle), "{text}");
        }
    }
}
