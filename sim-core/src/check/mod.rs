//! The multi-seed checker: run a test under many seeds, report the first failure so it can be
//! replayed. `#[sim::test]` expands to a [`Check`]; it is just as usable by hand, and from
//! inside `proptest!`.
//!
//! # Which seeds
//!
//! A test runs `seeds` seeds (default [`DEFAULT_SEEDS`]); seed number `p` is
//! [`seed_for(test name, p)`](seed_for), so different tests explore different seeds and every
//! run of the suite explores the same ones. Each seed gets a fresh runtime.
//!
//! # Environment
//!
//! Every variable is optional; a malformed value fails the test with a message naming the
//! variable and the value.
//!
//! | variable | meaning | format |
//! |---|---|---|
//! | `SIM_SEED` | run exactly this seed, nothing else | decimal, or hex with `0x` |
//! | `SIM_SEEDS` | how many seeds to run (overrides `seeds = N`) | integer >= 1 |
//! | `SIM_SEED_START` | position of the first seed (to continue where another run stopped) | integer |
//! | `SIM_SHARD` | run only shard `i` of `n`: positions `p` with `p % n == i - 1` | `i/n`, `1 <= i <= n` |
//! | `SIM_STRATEGY` | the strategy (overrides the attribute) | `random`, `fifo`, `pct`, `pct:N`, `exhaustive`, `exhaustive:N` |
//! | `SIM_JOBS` | run seeds on this many threads, one runtime each | integer >= 1 |
//! | `SIM_SCHEDULE` | replay this schedule (needs `SIM_SEED`) | as printed, `v1:...` |
//! | `SIM_CHECK_DETERMINISM` | run each seed twice and compare their events (hashed) | `1`/`0`, `true`/`false` |
//! | `SIM_VERBOSE` | print a one-line summary when the test passes | `1`/`0`, `true`/`false` |
//! | `SIM_SHRINK` | shrink a failing schedule (on unless `0`) | `1`/`0`, `true`/`false` |
//! | `SIM_BUGGIFY` | let `buggify!` sites fire | `1`/`0`, `true`/`false` |
//! | `SIM_TIMELINE` | on failure, write the failing run's timeline (JSON, SVG, HTML) into this folder | a path |
//! | `SIM_DEBUG` | debug mode in every run (see `Builder::debug`) | `1`/`0`, `true`/`false` |
//! | `SIM_TRACE` | print the run's events with virtual timestamps (see [`trace`](crate::trace)) | `1`, `trace`, `info`, `0` |
//! | `SIM_INJECT_CANCEL` | after the seeds, cancel each `timeout` at each of its pending points in turn | `1`/`0`, `true`/`false` |
//!
//! With `SIM_JOBS`, the failure reported is the one with the lowest seed position, whatever
//! the threads' timing, so the report is the same as with one thread.
//!
//! # Examples
//!
//! ```
//! use std::cell::Cell;
//! use std::rc::Rc;
//! use sim::check::Check;
//!
//! // Passes under every seed: the summary says how many ran.
//! let summary = Check::new().name("doc::passes").seeds(20).run(|| async {
//!     let n = Rc::new(Cell::new(0));
//!     let tasks: Vec<_> = (0..3)
//!         .map(|_| { let n = Rc::clone(&n); sim::spawn(async move { n.set(n.get() + 1) }) })
//!         .collect();
//!     for t in tasks { t.await.unwrap(); }
//!     assert_eq!(n.get(), 3);
//! });
//! assert_eq!(summary.seeds_run, 20);
//!
//! // A lost update: the failure names its seed and how to replay it.
//! let failure = Check::new().name("doc::lost_update").seeds(100).try_run(|| async {
//!     let n = Rc::new(Cell::new(0));
//!     let tasks: Vec<_> = (0..2)
//!         .map(|_| {
//!             let n = Rc::clone(&n);
//!             sim::spawn(async move {
//!                 let read = n.get();
//!                 sim::task::yield_now().await;
//!                 n.set(read + 1);
//!             })
//!         })
//!         .collect();
//!     for t in tasks { t.await.unwrap(); }
//!     assert_eq!(n.get(), 2, "lost update");
//! });
//! let report = failure.unwrap_err().to_string();
//! assert!(report.contains("lost update"), "{report}");
//! assert!(report.contains("SIM_SEED=0x"), "{report}");
//! ```

mod explore;
mod quiet;
mod report;
mod seeds;
mod shrink;

use shrink::{Attempt, Budget, Signature};

use crate::sched::guided::GuideStep;

use std::collections::HashSet;
use std::fmt;
use std::future::Future;
use std::hash::{DefaultHasher, Hasher};
use std::panic::Location;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

pub use report::{Failure, FailureKind, InjectedCancellation, ShrunkSchedule};
pub use seeds::seed_for;

pub use crate::env::Shard;
use crate::env::{EnvError, EnvSettings};
use crate::error::{NonDeterminism, NonDeterminismKind, SimError};
use crate::record::TaskId;
use crate::record::{DecisionPoint, Event, RunPoint, Schedule, TaskInfo};
use crate::runtime::{Builder, DEFAULT_MAX_STEPS, Runtime};
use crate::sched::Strategy;

/// Seeds a test runs unless told otherwise.
pub const DEFAULT_SEEDS: u64 = 100;

/// The most schedules [`Strategy::Exhaustive`] runs unless told otherwise.
pub const DEFAULT_MAX_SCHEDULES: u64 = 10_000;

/// What a test body may return: `()`, or `Result<(), E>` with `E: Debug` (an `Err` fails the
/// seed, and the report shows it).
pub trait TestOutput {
    /// `Ok` for a pass; `Err` with the error's text for a failure.
    fn into_outcome(self) -> Result<(), String>;
}

impl TestOutput for () {
    fn into_outcome(self) -> Result<(), String> {
        Ok(())
    }
}

impl<E: fmt::Debug> TestOutput for Result<(), E> {
    fn into_outcome(self) -> Result<(), String> {
        self.map_err(|e| format!("{e:?}"))
    }
}

/// Runs a test under many seeds; see the [module docs](self).
#[derive(Debug, Clone)]
#[must_use = "a Check does nothing until `run` or `try_run`"]
pub struct Check {
    name: String,
    package: Option<String>,
    ignored: bool,
    seeds: u64,
    seed: Option<u64>,
    seed_start: u64,
    shard: Option<Shard>,
    strategy: Strategy,
    strategy_from_env: bool,
    max_steps: u64,
    max_time: Option<Duration>,
    jobs: usize,
    schedule: Option<Schedule>,
    check_determinism: bool,
    verbose: bool,
    shrink: bool,
    buggify: bool,
    chaos: bool,
    max_schedules: u64,
    inject_cancellation: bool,
    debug: bool,
    timeline: Option<std::path::PathBuf>,
    env_error: Option<EnvError>,
    /// Where `run` was called: the main task's spawn site in reports.
    caller: Option<&'static Location<'static>>,
}

impl Default for Check {
    fn default() -> Check {
        Check::new()
    }
}

/// What a passing check did.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Summary {
    /// Seeds run (each determinism re-run not counted).
    pub seeds_run: u64,
    /// How many different schedules those seeds produced.
    pub distinct_schedules: usize,
    /// Steps taken, over all seeds.
    pub steps: u64,
}

/// Why [`Check::try_run`] did not pass.
#[derive(Debug)]
#[non_exhaustive]
pub enum CheckError {
    /// A `SIM_*` variable is malformed.
    Env(EnvError),
    /// The check's own settings contradict each other.
    Config(String),
    /// A seed failed.
    Failed(Box<Failure>),
    /// Cancellation injection ran its budget of runs before covering every pending point.
    InjectionIncomplete {
        /// The check's name.
        test: String,
        /// Runs made.
        runs: u64,
    },
    /// [`Strategy::Exhaustive`] ran its budget of schedules without covering the space.
    Incomplete {
        /// The check's name.
        test: String,
        /// Schedules run.
        schedules: u64,
        /// The preemption bound.
        max_preemptions: u32,
    },
}

impl fmt::Display for CheckError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CheckError::Env(e) => write!(f, "sim: {e}"),
            CheckError::Config(problem) => write!(f, "sim: {problem}"),
            CheckError::Failed(failure) => failure.fmt(f),
            CheckError::InjectionIncomplete { test, runs } => write!(
                f,
                "sim: cancellation injection of `{test}` stopped after {runs} runs before \
                 reaching the last pending point of its timeouts; raise `Check::max_schedules`"
            ),
            CheckError::Incomplete {
                test,
                schedules,
                max_preemptions,
            } => write!(
                f,
                "sim: exhaustive search of `{test}` stopped after {schedules} schedules without \
                 covering every schedule with at most {max_preemptions} preemptions; raise the \
                 budget (`Check::max_schedules`) or lower the bound, or use a sampling strategy"
            ),
        }
    }
}

impl std::error::Error for CheckError {}

/// The outcome of one seed.
struct SeedRun {
    steps: u64,
    decisions: u64,
    schedule_hash: u64,
    /// The decisions with their options, when exploring exhaustively.
    trace: Vec<DecisionPoint>,
}

impl Check {
    /// A check with default settings: [`DEFAULT_SEEDS`] seeds, [`Strategy::Random`], one thread.
    ///
    /// ```
    /// let summary = sim::check::Check::new().seeds(3).run(|| async {});
    /// assert_eq!(summary.seeds_run, 3);
    /// ```
    pub fn new() -> Check {
        Check {
            name: String::new(),
            package: None,
            ignored: false,
            seeds: DEFAULT_SEEDS,
            seed: None,
            seed_start: 0,
            shard: None,
            strategy: Strategy::Random,
            strategy_from_env: false,
            max_steps: DEFAULT_MAX_STEPS,
            max_time: None,
            jobs: 1,
            schedule: None,
            check_determinism: false,
            verbose: false,
            shrink: true,
            buggify: false,
            chaos: false,
            max_schedules: DEFAULT_MAX_SCHEDULES,
            inject_cancellation: false,
            debug: false,
            timeline: None,
            env_error: None,
            caller: None,
        }
    }

    /// The check for the test function `function` in module `module_path` of `package`, as
    /// `#[sim::test]` creates it: named as `cargo test` names the test, with the package for
    /// the replay command, and with the environment applied.
    ///
    /// ```
    /// let check = sim::check::Check::for_test("my_crate::bank", "transfer", "my-crate");
    /// # drop(check);
    /// ```
    pub fn for_test(module_path: &str, function: &str, package: &str) -> Check {
        // `cargo test` names a test by its path inside the crate, without the crate's name.
        let name = match module_path.split_once("::") {
            Some((_, inner)) => format!("{inner}::{function}"),
            None => function.to_string(),
        };
        Check::new().name(name).package(package)
    }

    /// The test's name, as `cargo test` shows it (`module::test`). Seeds derive from it, and
    /// the replay command filters on it.
    ///
    /// ```
    /// let check = sim::check::Check::new().name("bank::transfer");
    /// # drop(check);
    /// ```
    pub fn name(mut self, name: impl Into<String>) -> Check {
        self.name = name.into();
        self
    }

    /// The cargo package, for the replay command's `-p`.
    ///
    /// ```
    /// let check = sim::check::Check::new().package("my-app");
    /// # drop(check);
    /// ```
    pub fn package(mut self, package: impl Into<String>) -> Check {
        self.package = Some(package.into());
        self
    }

    /// Marks the test as `#[ignore]`d, so the replay command passes `--ignored`.
    ///
    /// ```
    /// let check = sim::check::Check::new().ignored(true);
    /// # drop(check);
    /// ```
    pub fn ignored(mut self, ignored: bool) -> Check {
        self.ignored = ignored;
        self
    }

    /// How many seeds to run.
    ///
    /// ```
    /// assert_eq!(sim::check::Check::new().seeds(7).run(|| async {}).seeds_run, 7);
    /// ```
    pub fn seeds(mut self, seeds: u64) -> Check {
        self.seeds = seeds;
        self
    }

    /// Run exactly this seed and no other.
    ///
    /// ```
    /// let summary = sim::check::Check::new().seed(0x2a).run(|| async {
    ///     assert_eq!(sim::seed(), 0x2a);
    /// });
    /// assert_eq!(summary.seeds_run, 1);
    /// ```
    pub fn seed(mut self, seed: u64) -> Check {
        self.seed = Some(seed);
        self
    }

    /// Start at this position in the seed list.
    ///
    /// ```
    /// let check = sim::check::Check::new().seed_start(1000);
    /// # drop(check);
    /// ```
    pub fn seed_start(mut self, position: u64) -> Check {
        self.seed_start = position;
        self
    }

    /// Run only this shard's share of the seeds.
    ///
    /// ```
    /// use sim::check::{Check, Shard};
    /// let summary = Check::new().seeds(10).shard(Shard::new(1, 2)).run(|| async {});
    /// assert_eq!(summary.seeds_run, 5);
    /// ```
    pub fn shard(mut self, shard: Shard) -> Check {
        self.shard = Some(shard);
        self
    }

    /// The scheduling strategy.
    ///
    /// ```
    /// let summary = sim::check::Check::new().strategy(sim::Strategy::Fifo).seeds(5).run(|| async {});
    /// assert_eq!(summary.distinct_schedules, 1);
    /// ```
    pub fn strategy(mut self, strategy: Strategy) -> Check {
        self.strategy = strategy;
        self
    }

    /// The step limit of each run; see [`Builder::max_steps`].
    ///
    /// ```
    /// let err = sim::check::Check::new().seeds(1).max_steps(50).try_run(|| async {
    ///     for _ in 0.. { sim::task::yield_now().await }
    /// });
    /// assert!(err.unwrap_err().to_string().contains("step limit of 50"));
    /// ```
    pub fn max_steps(mut self, max_steps: u64) -> Check {
        self.max_steps = max_steps;
        self
    }

    /// The virtual time limit of each run; see [`Builder::max_time`].
    ///
    /// ```
    /// use sim::time::{sleep, Duration};
    /// let err = sim::check::Check::new().seeds(1).max_time(Duration::from_secs(1)).try_run(|| async {
    ///     sleep(Duration::from_secs(2)).await;
    /// });
    /// assert!(err.is_err());
    /// ```
    pub fn max_time(mut self, max_time: Duration) -> Check {
        self.max_time = Some(max_time);
        self
    }

    /// Run seeds on this many threads, one runtime per thread. The reported failure does not
    /// depend on the threads' timing: it is the failing seed with the lowest position.
    ///
    /// ```
    /// let summary = sim::check::Check::new().seeds(8).jobs(2).run(|| async {});
    /// assert_eq!(summary.seeds_run, 8);
    /// ```
    pub fn jobs(mut self, jobs: usize) -> Check {
        self.jobs = jobs.max(1);
        self
    }

    /// Replay this schedule (under the seed given with [`Check::seed`], which still feeds
    /// `sim::rand`).
    ///
    /// ```
    /// let summary = sim::check::Check::new()
    ///     .seed(1)
    ///     .schedule("v1:".parse().unwrap())
    ///     .run(|| async {});
    /// assert_eq!(summary.seeds_run, 1);
    /// ```
    pub fn schedule(mut self, schedule: Schedule) -> Check {
        self.schedule = Some(schedule);
        self
    }

    /// Run every seed twice and fail if the two runs' events differ, naming the first
    /// difference (the runs compare a hash per event; a seed whose hashes part is run twice
    /// more with full logs, to show the two events): catches state that leaks between runs (globals, thread-locals) and other
    /// sources of nondeterminism.
    ///
    /// ```
    /// let summary = sim::check::Check::new().seeds(5).check_determinism(true).run(|| async {
    ///     sim::spawn(async {}).await.unwrap();
    /// });
    /// assert_eq!(summary.seeds_run, 5);
    /// ```
    pub fn check_determinism(mut self, on: bool) -> Check {
        self.check_determinism = on;
        self
    }

    /// Whether to shrink a failing schedule (on by default): search for a run that fails the
    /// same way with fewer preemptions, then fewer steps, and report it beside the original.
    /// Shrinking stops after 2000 runs or 10 s.
    ///
    /// ```
    /// let check = sim::check::Check::new().shrink(false);
    /// # drop(check);
    /// ```
    pub fn shrink(mut self, on: bool) -> Check {
        self.shrink = on;
        self
    }

    /// Lets [`buggify!`](crate::buggify!) sites fire in every run (off by default).
    ///
    /// ```
    /// let summary = sim::check::Check::new().seeds(5).buggify(true).run(|| async {
    ///     let _ = sim::buggify!();
    /// });
    /// assert_eq!(summary.seeds_run, 5);
    /// ```
    pub fn buggify(mut self, on: bool) -> Check {
        self.buggify = on;
        self
    }

    /// Chaos mode in every run; see [`Builder::chaos`].
    ///
    /// ```
    /// let summary = sim::check::Check::new().seeds(5).chaos(true).run(|| async {
    ///     let m = sim::sync::Mutex::new(1);
    ///     assert_eq!(*m.lock().await, 1);
    /// });
    /// assert_eq!(summary.seeds_run, 5);
    /// ```
    pub fn chaos(mut self, on: bool) -> Check {
        self.chaos = on;
        self
    }

    /// The most schedules [`Strategy::Exhaustive`] may run before the check gives up with
    /// [`CheckError::Incomplete`] (default [`DEFAULT_MAX_SCHEDULES`]).
    ///
    /// ```
    /// use sim::check::{Check, CheckError};
    /// use sim::Strategy;
    ///
    /// let err = Check::new()
    ///     .strategy(Strategy::Exhaustive { max_preemptions: 3 })
    ///     .max_schedules(5)
    ///     .try_run(|| async {
    ///         let tasks: Vec<_> = (0..3)
    ///             .map(|_| sim::spawn(async { sim::task::yield_now().await }))
    ///             .collect();
    ///         for t in tasks { t.await.unwrap(); }
    ///     })
    ///     .unwrap_err();
    /// assert!(matches!(err, CheckError::Incomplete { schedules: 5, .. }), "{err}");
    /// ```
    pub fn max_schedules(mut self, schedules: u64) -> Check {
        self.max_schedules = schedules;
        self
    }

    /// Cancellation injection: after the seeds pass, re-run the test (under its first seed)
    /// once per pending point of its [`timeout`](crate::time::timeout) futures, each time
    /// making the timeout expire right there, so the code inside is checked for correctness
    /// when cancelled at its 1st, 2nd, ... k-th `await`. A failure names the point and the
    /// `timeout` that was cancelled. Stops after [`Check::max_schedules`] runs.
    ///
    /// ```
    /// use std::cell::Cell;
    /// use std::rc::Rc;
    /// use sim::check::Check;
    /// use sim::time::{sleep, timeout, Duration};
    ///
    /// // Moves 10 from `a` to `b` with an await between the two halves: cancelling it there
    /// // loses the money.
    /// let err = Check::new().seeds(3).inject_cancellation(true).try_run(|| async {
    ///     let (a, b) = (Rc::new(Cell::new(10)), Rc::new(Cell::new(0)));
    ///     let (a2, b2) = (Rc::clone(&a), Rc::clone(&b));
    ///     let _ = timeout(Duration::from_secs(60), async move {
    ///         a2.set(a2.get() - 10);
    ///         sleep(Duration::from_millis(1)).await;
    ///         b2.set(b2.get() + 10);
    ///     })
    ///     .await;
    ///     assert_eq!(a.get() + b.get(), 10, "money lost");
    /// });
    /// let report = err.unwrap_err().to_string();
    /// assert!(report.contains("injected: the timeout"), "{report}");
    /// ```
    pub fn inject_cancellation(mut self, on: bool) -> Check {
        self.inject_cancellation = on;
        self
    }

    /// On failure, write the failing run's timeline (Chrome trace JSON, SVG and HTML; see
    /// [`timeline`](crate::timeline)) into `dir`, named after the test and the seed.
    ///
    /// ```
    /// let dir = std::env::temp_dir().join(format!("sim-doc-timeline-{}", std::process::id()));
    /// let err = sim::check::Check::new().name("doc").seeds(1).timeline(&dir).try_run(|| async {
    ///     assert_eq!(1 + 1, 3, "boom");
    /// });
    /// let report = err.unwrap_err().to_string();
    /// assert!(report.contains("timeline:"), "{report}");
    /// # std::fs::remove_dir_all(&dir).unwrap();
    /// ```
    pub fn timeline(mut self, dir: impl Into<std::path::PathBuf>) -> Check {
        self.timeline = Some(dir.into());
        self
    }

    /// Print a one-line summary to stderr when the check passes.
    ///
    /// ```
    /// let check = sim::check::Check::new().verbose(true);
    /// # drop(check);
    /// ```
    pub fn verbose(mut self, on: bool) -> Check {
        self.verbose = on;
        self
    }

    /// Applies the `SIM_*` variables (see the [module docs](self)). A malformed variable is
    /// reported when the check runs; use [`Check::try_from_env`] to see it at once.
    ///
    /// ```
    /// let summary = sim::check::Check::new().seeds(2).from_env().run(|| async {});
    /// # let _ = summary;
    /// ```
    pub fn from_env(self) -> Check {
        match EnvSettings::from_process() {
            Ok(env) => self.apply_env(&env),
            Err(e) => Check {
                env_error: Some(e),
                ..self
            },
        }
    }

    /// Applies the `SIM_*` variables, or says which one is malformed.
    ///
    /// # Errors
    ///
    /// An [`EnvError`] naming the malformed variable and its value.
    ///
    /// ```
    /// let check = sim::check::Check::new().try_from_env().expect("well-formed SIM_* variables");
    /// # drop(check);
    /// ```
    pub fn try_from_env(self) -> Result<Check, EnvError> {
        Ok(self.apply_env(&EnvSettings::from_process()?))
    }

    fn apply_env(mut self, env: &EnvSettings) -> Check {
        env.start_tracing();
        if let Some(seed) = env.seed {
            self.seed = Some(seed);
        }
        if let Some(strategy) = &env.strategy {
            self.strategy = strategy.clone();
            self.strategy_from_env = true;
        }
        if let Some(schedule) = &env.schedule {
            self.schedule = Some(schedule.clone());
        }
        if let Some(seeds) = env.seeds {
            self.seeds = seeds;
        }
        if let Some(start) = env.seed_start {
            self.seed_start = start;
        }
        if let Some(shard) = env.shard {
            self.shard = Some(shard);
        }
        if let Some(jobs) = env.jobs {
            self.jobs = jobs;
        }
        if let Some(on) = env.check_determinism {
            self.check_determinism = on;
        }
        if let Some(on) = env.verbose {
            self.verbose = on;
        }
        if let Some(on) = env.shrink {
            self.shrink = on;
        }
        if let Some(on) = env.buggify {
            self.buggify = on;
        }
        if let Some(on) = env.inject_cancellation {
            self.inject_cancellation = on;
        }
        if let Some(on) = env.debug {
            self.debug = on;
        }
        if let Some(dir) = &env.timeline {
            self.timeline = Some(dir.clone());
        }
        self
    }

    /// Runs the test under every seed; panics with the failure report if one fails.
    ///
    /// `test` makes a fresh future for each seed, and is called on the check's threads
    /// (hence `Sync`); the futures themselves need not be `Send`.
    ///
    /// # Panics
    ///
    /// With the report of the first failing seed, or a malformed `SIM_*` variable.
    ///
    /// ```
    /// let summary = sim::check::Check::new().seeds(4).run(|| async {
    ///     sim::time::sleep(sim::time::Duration::from_secs(1)).await;
    /// });
    /// assert_eq!(summary.seeds_run, 4);
    /// ```
    #[track_caller]
    pub fn run<F, Fut>(self, test: F) -> Summary
    where
        F: Fn() -> Fut + Sync,
        Fut: Future,
        Fut::Output: TestOutput,
    {
        match self.try_run_at(test, Location::caller()) {
            Ok(summary) => summary,
            Err(error) => panic!("{error}"),
        }
    }

    /// Runs the test under every seed; returns the first failure instead of panicking.
    ///
    /// # Errors
    ///
    /// [`CheckError::Failed`] with the report of the failing seed with the lowest position;
    /// [`CheckError::Env`] for a malformed `SIM_*` variable; [`CheckError::Config`] for
    /// contradictory settings (a schedule without a seed).
    ///
    /// ```
    /// let err = sim::check::Check::new().seeds(3).try_run(|| async { Err::<(), _>("nope") });
    /// assert!(err.unwrap_err().to_string().contains("the test returned Err(\"nope\")"));
    /// ```
    #[track_caller]
    pub fn try_run<F, Fut>(self, test: F) -> Result<Summary, CheckError>
    where
        F: Fn() -> Fut + Sync,
        Fut: Future,
        Fut::Output: TestOutput,
    {
        self.try_run_at(test, Location::caller())
    }

    fn try_run_at<F, Fut>(
        mut self,
        test: F,
        caller: &'static Location<'static>,
    ) -> Result<Summary, CheckError>
    where
        F: Fn() -> Fut + Sync,
        Fut: Future,
        Fut::Output: TestOutput,
    {
        self.caller = Some(caller);
        if let Some(e) = self.env_error.clone() {
            return Err(CheckError::Env(e));
        }
        if self.schedule.is_some() && self.seed.is_none() {
            return Err(CheckError::Config(
                "a schedule to replay (SIM_SCHEDULE) needs its seed (SIM_SEED) too: the seed \
                 still feeds `sim::rand`; use the replay command the failure report printed"
                    .to_string(),
            ));
        }
        let started = std::time::Instant::now();
        if let Strategy::Exhaustive { max_preemptions } = self.strategy
            && self.schedule.is_none()
        {
            return self.run_exhaustive(max_preemptions, &test, started);
        }
        let horizon = self.learn_horizon(&test)?;
        let seeds = seeds::SeedList::new(&self.name);
        let targets: Vec<(Option<u64>, u64)> = match self.seed {
            Some(seed) => vec![(None, seed)],
            None => seeds::positions(self.seed_start, self.seeds, self.shard)
                .into_iter()
                .map(|p| (Some(p), seeds.seed(p)))
                .collect(),
        };
        let summary = match self.run_targets(&targets, horizon, &test) {
            Ok(summary) => summary,
            Err(mut failure) => {
                if self.shrink {
                    self.shrink_failure(&mut failure, horizon, &test);
                }
                self.write_timeline(&mut failure, horizon, &test);
                return Err(CheckError::Failed(failure));
            }
        };
        if self.inject_cancellation {
            let (position, seed) = targets.first().copied().unwrap_or((None, 0));
            self.inject(position, seed, horizon, &test)?;
        }
        if self.verbose {
            eprintln!(
                "sim: `{}` passed: {} seeds, {} distinct schedules, {} steps, strategy {}, {:.2?}",
                self.name,
                summary.seeds_run,
                summary.distinct_schedules,
                summary.steps,
                self.strategy,
                started.elapsed()
            );
        }
        Ok(summary)
    }

    /// For PCT: how many decisions to expect, learned from the test's first seed (always the
    /// same run, so every seed of the test, on any shard or thread, gets the same horizon).
    fn learn_horizon<F, Fut>(&self, test: &F) -> Result<Option<u64>, CheckError>
    where
        F: Fn() -> Fut + Sync,
        Fut: Future,
        Fut::Output: TestOutput,
    {
        if !matches!(self.strategy, Strategy::Pct { .. }) || self.schedule.is_some() {
            return Ok(None);
        }
        let probe = seed_for(&self.name, 0);
        if self.seed == Some(probe) {
            return Ok(None); // the probe itself runs with the default horizon
        }
        let run = self
            .run_seed(Some(0), probe, None, None, test)
            .map_err(|mut failure| {
                failure.runs = 1; // the probe is the first run
                CheckError::Failed(failure)
            })?;
        Ok(Some(run.decisions.max(1)))
    }

    /// Cancellation injection; see [`Check::inject_cancellation`].
    fn inject<F, Fut>(
        &self,
        position: Option<u64>,
        seed: u64,
        horizon: Option<u64>,
        test: &F,
    ) -> Result<(), CheckError>
    where
        F: Fn() -> Fut + Sync,
        Fut: Future,
        Fut::Output: TestOutput,
    {
        let horizon = horizon_at(position, horizon);
        for point in 1..=self.max_schedules {
            match self.run_injected(position, seed, horizon, point, test) {
                Ok(true) => continue,
                Ok(false) => return Ok(()), // fewer pending points than `point`: all covered
                Err(failure) => return Err(CheckError::Failed(failure)),
            }
        }
        Err(CheckError::InjectionIncomplete {
            test: self.name.clone(),
            runs: self.max_schedules,
        })
    }

    /// One injected run: `Ok(true)` if it passed with the injection made, `Ok(false)` if the
    /// run ended before reaching the point.
    fn run_injected<F, Fut>(
        &self,
        position: Option<u64>,
        seed: u64,
        horizon: Option<u64>,
        point: u64,
        test: &F,
    ) -> Result<bool, Box<Failure>>
    where
        F: Fn() -> Fut + Sync,
        Fut: Future,
        Fut::Output: TestOutput,
    {
        let caller = self.caller.unwrap_or(Location::caller());
        let mut rt = self.builder(seed, horizon, None).inject_at(point).build();
        let outcome = rt.block_on_at(test(), caller);
        let fired = rt.injection().fired;
        let kind = match outcome {
            Err(error) => FailureKind::Run(error),
            Ok(output) => match output.into_outcome() {
                Ok(()) => return Ok(fired.is_some()),
                Err(text) => FailureKind::Returned(text),
            },
        };
        let at = match &kind {
            FailureKind::Run(e) => e.at(),
            _ => RunPoint {
                seed,
                step: rt.steps(),
                time: rt.elapsed(),
            },
        };
        let task = match &kind {
            FailureKind::Run(e) => blamed_task(e),
            _ => None,
        };
        let stop = Stop {
            at,
            task,
            schedule: rt.schedule(),
            preemptions: rt.preemptions(),
            trace: Vec::new(),
        };
        let mut failure = self.failure(position, seed, kind, stop);
        failure.runs = point;
        failure.injected = fired.map(|site| InjectedCancellation { point, site });
        failure.replay = format!("SIM_INJECT_CANCEL=1 {}", failure.replay);
        Err(Box::new(failure))
    }

    /// Runs every schedule within the preemption bound under one seed.
    fn run_exhaustive<F, Fut>(
        &self,
        max_preemptions: u32,
        test: &F,
        started: std::time::Instant,
    ) -> Result<Summary, CheckError>
    where
        F: Fn() -> Fut + Sync,
        Fut: Future,
        Fut::Output: TestOutput,
    {
        let seed = self.seed.unwrap_or_else(|| seed_for(&self.name, 0));
        let mut steps = 0;
        let mut runs = 0;
        let run = |prefix: &Schedule| -> Result<Vec<DecisionPoint>, Box<Failure>> {
            runs += 1;
            let guide: Vec<GuideStep> = prefix.iter().map(GuideStep::Index).collect();
            let run = self.run_seed(None, seed, None, Some(&guide), test)?;
            steps += run.steps;
            Ok(run.trace)
        };
        let explored = explore::explore(max_preemptions, self.max_schedules, run);
        let explored = match explored {
            Ok(explored) => explored,
            Err(mut failure) => {
                failure.runs = runs;
                if self.shrink {
                    self.shrink_failure(&mut failure, None, test);
                }
                self.write_timeline(&mut failure, None, test);
                return Err(CheckError::Failed(failure));
            }
        };
        if !explored.complete {
            return Err(CheckError::Incomplete {
                test: self.name.clone(),
                schedules: explored.schedules,
                max_preemptions,
            });
        }
        let summary = Summary {
            seeds_run: explored.schedules,
            distinct_schedules: explored.schedules as usize,
            steps,
        };
        if self.verbose {
            eprintln!(
                "sim: `{}` passed: all {} schedules with at most {} preemptions, {} steps, {:.2?}",
                self.name,
                explored.schedules,
                max_preemptions,
                steps,
                started.elapsed()
            );
        }
        Ok(summary)
    }

    /// With `SIM_TIMELINE` (or [`Check::timeline`]), replays the failing run with its events
    /// recorded and writes its timeline; the report then names the files.
    fn write_timeline<F, Fut>(&self, failure: &mut Failure, horizon: Option<u64>, test: &F)
    where
        F: Fn() -> Fut + Sync,
        Fut: Future,
        Fut::Output: TestOutput,
    {
        let Some(base) = &self.timeline else { return };
        let horizon = horizon_at(failure.position, horizon);
        let caller = self.caller.unwrap_or(Location::caller());
        let mut rt = self
            .builder(failure.seed, horizon, None)
            .strategy(Strategy::Replay(failure.schedule.clone()))
            .record_events(true)
            .build();
        let replay = || rt.block_on_at(test(), caller).map(|_| ());
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| quiet::quietly(replay)));
        let name: String = self
            .name
            .chars()
            .map(|c| {
                if c.is_alphanumeric() || c == '_' {
                    c
                } else {
                    '-'
                }
            })
            .collect();
        let path = base.join(format!("{name}-{:#x}", failure.seed));
        let timeline =
            crate::timeline::Timeline::from_events(&rt.events()).failing_step(failure.at.step);
        match timeline.write_to(&path) {
            Ok(()) => failure.timeline = Some(path),
            Err(e) => eprintln!(
                "sim: could not write the timeline to {}: {e}",
                path.display()
            ),
        }
    }

    /// Looks for a smaller schedule failing the same way; see [`Check::shrink`].
    fn shrink_failure<F, Fut>(&self, failure: &mut Failure, horizon: Option<u64>, test: &F)
    where
        F: Fn() -> Fut + Sync,
        Fut: Future,
        Fut::Output: TestOutput,
    {
        let signature = Signature::of(&failure.kind);
        if !signature.shrinkable() || failure.schedule.is_empty() {
            return;
        }
        let horizon = horizon_at(failure.position, horizon);
        let (position, seed) = (failure.position, failure.seed);
        let attempt = |guide: Vec<GuideStep>| {
            let run = || self.run_seed(position, seed, horizon, Some(&guide), test);
            match quiet::quietly(run) {
                Ok(_) => Attempt {
                    signature: None,
                    guide,
                    schedule: Schedule::default(),
                    preemptions: u64::MAX,
                    steps: u64::MAX,
                },
                Err(f) => Attempt {
                    signature: Some(Signature::of(&f.kind)),
                    guide: shrink::guide_of(&f.trace),
                    schedule: f.schedule.clone(),
                    preemptions: f.preemptions,
                    steps: f.at.step,
                },
            }
        };
        // The original run again, traced, to learn which task each decision chose.
        let original_guide = failure.schedule.iter().map(GuideStep::Index).collect();
        let original = attempt(original_guide);
        if original.signature.as_ref() != Some(&signature) {
            return; // the failure does not reproduce under guidance: leave it as it is
        }
        let shrunk = shrink::shrink(&original, Budget::default(), attempt);
        if shrunk.best.size() < original.size() {
            let replay = self.replay_command(seed, Some(&shrunk.best.schedule), false);
            failure.shrunk = Some(ShrunkSchedule {
                schedule: shrunk.best.schedule,
                preemptions: shrunk.best.preemptions,
                steps: shrunk.best.steps,
                attempts: shrunk.attempts,
                replay,
            });
        }
    }

    fn run_targets<F, Fut>(
        &self,
        targets: &[(Option<u64>, u64)],
        horizon: Option<u64>,
        test: &F,
    ) -> Result<Summary, Box<Failure>>
    where
        F: Fn() -> Fut + Sync,
        Fut: Future,
        Fut::Output: TestOutput,
    {
        // Workers share only the next position to claim, the lowest failing position so far
        // and, once each, their totals: a seed's own bookkeeping stays on its thread.
        let next = AtomicUsize::new(0);
        let first_failed = AtomicUsize::new(usize::MAX);
        let first_failure: Mutex<Option<(usize, Box<Failure>)>> = Mutex::new(None);
        let totals = Mutex::new((0u64, HashSet::new()));
        let worker = || {
            let mut steps = 0u64;
            let mut schedules = HashSet::new();
            loop {
                let index = next.fetch_add(1, Ordering::Relaxed);
                // Every later seed is moot once a lower position failed.
                if index >= targets.len() || first_failed.load(Ordering::Acquire) < index {
                    break;
                }
                let (position, seed) = targets[index];
                let horizon = horizon_at(position, horizon);
                match self.run_seed(position, seed, horizon, None, test) {
                    Ok(run) => {
                        steps += run.steps;
                        schedules.insert(run.schedule_hash);
                    }
                    Err(failure) => {
                        let mut slot = first_failure.lock().unwrap_or_else(|e| e.into_inner());
                        if slot.as_ref().is_none_or(|(first, _)| index < *first) {
                            *slot = Some((index, failure));
                            first_failed.fetch_min(index, Ordering::Release);
                        }
                    }
                }
            }
            let mut totals = totals.lock().unwrap_or_else(|e| e.into_inner());
            totals.0 += steps;
            totals.1.extend(schedules);
        };
        let jobs = self.jobs.min(targets.len()).max(1);
        if jobs == 1 {
            worker();
        } else {
            std::thread::scope(|scope| {
                for _ in 0..jobs {
                    scope.spawn(worker);
                }
            });
        }
        if let Some((index, mut failure)) = first_failure
            .into_inner()
            .unwrap_or_else(|e| e.into_inner())
        {
            failure.runs = index as u64 + 1;
            return Err(failure);
        }
        let (steps, schedules) = totals.into_inner().unwrap_or_else(|e| e.into_inner());
        Ok(Summary {
            seeds_run: targets.len() as u64,
            distinct_schedules: schedules.len(),
            steps,
        })
    }

    fn builder(&self, seed: u64, horizon: Option<u64>, guide: Option<&[GuideStep]>) -> Builder {
        let strategy = match &self.schedule {
            Some(schedule) => Strategy::Replay(schedule.clone()),
            None => self.strategy.clone(),
        };
        let mut builder = Builder::new()
            .seed(seed)
            .strategy(strategy)
            .max_steps(self.max_steps)
            .buggify(self.buggify)
            .chaos(self.chaos)
            .debug(self.debug)
            .trace_decisions(
                guide.is_some() || matches!(self.strategy, Strategy::Exhaustive { .. }),
            )
            .hash_events(self.check_determinism);
        if let Some(max) = self.max_time {
            builder = builder.max_time(max);
        }
        if let Some(h) = horizon {
            builder = builder.horizon(h);
        }
        if let Some(guide) = guide {
            builder = builder.guide(guide.to_vec());
        }
        builder
    }

    /// Runs one seed; a panic that escapes the simulation (from making the test's future, or
    /// from a destructor at teardown) becomes this seed's failure instead of unwinding
    /// through the checker.
    fn run_seed<F, Fut>(
        &self,
        position: Option<u64>,
        seed: u64,
        horizon: Option<u64>,
        guide: Option<&[GuideStep]>,
        test: &F,
    ) -> Result<SeedRun, Box<Failure>>
    where
        F: Fn() -> Fut + Sync,
        Fut: Future,
        Fut::Output: TestOutput,
    {
        let run = std::panic::AssertUnwindSafe(|| {
            self.run_seed_inner(position, seed, horizon, guide, test)
        });
        std::panic::catch_unwind(run).unwrap_or_else(|payload| {
            let message = crate::executor::cell::panic_message(&*payload);
            let at = RunPoint {
                seed,
                step: 0,
                time: Duration::ZERO,
            };
            let kind = FailureKind::Escaped(message);
            let stop = Stop {
                at,
                task: None,
                schedule: Schedule::default(),
                preemptions: 0,
                trace: Vec::new(),
            };
            Err(Box::new(self.failure(position, seed, kind, stop)))
        })
    }

    /// Runs one seed (twice with the determinism check).
    fn run_seed_inner<F, Fut>(
        &self,
        position: Option<u64>,
        seed: u64,
        horizon: Option<u64>,
        guide: Option<&[GuideStep]>,
        test: &F,
    ) -> Result<SeedRun, Box<Failure>>
    where
        F: Fn() -> Fut + Sync,
        Fut: Future,
        Fut::Output: TestOutput,
    {
        let caller = self.caller.unwrap_or(Location::caller());
        let mut rt = self.builder(seed, horizon, guide).build();
        let outcome = rt.block_on_at(test(), caller);
        let failure = |kind: FailureKind, rt: &Runtime, task: Option<TaskInfo>| {
            let at = match &kind {
                FailureKind::Run(e) => e.at(),
                FailureKind::Returned(_) | FailureKind::Escaped(_) => RunPoint {
                    seed,
                    step: rt.steps(),
                    time: rt.elapsed(),
                },
            };
            let stop = Stop {
                at,
                task,
                schedule: rt.schedule(),
                preemptions: rt.preemptions(),
                trace: rt.take_trace(),
            };
            Box::new(self.failure(position, seed, kind, stop))
        };
        match outcome {
            Err(error) => {
                let task = blamed_task(&error);
                return Err(failure(FailureKind::Run(error), &rt, task));
            }
            Ok(output) => {
                if let Err(text) = output.into_outcome() {
                    let main = TaskInfo {
                        id: TaskId(0),
                        name: Some("main".into()),
                        spawned_at: caller,
                    };
                    return Err(failure(FailureKind::Returned(text), &rt, Some(main)));
                }
            }
        }
        if self.check_determinism {
            // Runs the test once more on `rt`; whether it passed.
            let passes = |rt: &mut Runtime| {
                matches!(
                    rt.block_on_at(test(), caller).map(|o| o.into_outcome()),
                    Ok(Ok(()))
                )
            };
            let mut again = self.builder(seed, horizon, guide).build();
            // The first run passed; the second must too, with the same events.
            let second_passed = passes(&mut again);
            // Both runs kept one hash per event (not the events): compare those. Only when
            // they differ is the seed run twice more with full logs, to show the events. If
            // those two runs part too, their own first difference is reported; if they agree
            // (the nondeterminism did not recur), the hashed runs' index is, with what the
            // logged run did there.
            let (a, b) = (rt.take_event_hashes(), again.take_event_hashes());
            if let Some(hashed) = first_difference(&a, &b, second_passed) {
                let [(x, x_passed), (y, y_passed)] = [(); 2].map(|()| {
                    let mut logged = self
                        .builder(seed, horizon, guide)
                        .hash_events(false)
                        .record_events(true)
                        .build();
                    let passed = passes(&mut logged);
                    (logged.events(), passed)
                });
                let index = first_difference(&x, &y, x_passed == y_passed).unwrap_or(hashed);
                let (first, second) = (x.get(index).cloned(), y.get(index).cloned());
                let at = divergence_point(seed, first.as_ref().or(second.as_ref()));
                let kind = NonDeterminismKind::Divergence {
                    index,
                    first: first.map(Box::new),
                    second: second.map(Box::new),
                };
                let error = SimError::NonDeterminism(NonDeterminism { at, kind });
                return Err(failure(FailureKind::Run(error), &rt, None));
            }
        }
        let mut hasher = DefaultHasher::new();
        rt.hash_schedule(&mut hasher);
        Ok(SeedRun {
            steps: rt.steps(),
            decisions: rt.task_decisions(),
            schedule_hash: hasher.finish(),
            trace: rt.take_trace(),
        })
    }

    fn failure(&self, position: Option<u64>, seed: u64, kind: FailureKind, stop: Stop) -> Failure {
        let Stop {
            at,
            task,
            schedule,
            preemptions,
            trace,
        } = stop;
        let divergence = matches!(
            &kind,
            FailureKind::Run(SimError::NonDeterminism(NonDeterminism {
                kind: NonDeterminismKind::Divergence { .. },
                ..
            }))
        );
        let replay = self.replay_command(seed, None, divergence);
        let replay_schedule = self.replay_command(seed, Some(&schedule), divergence);
        Failure {
            test: self.name.clone(),
            seed,
            position,
            seeds: self.seeds,
            strategy: self.strategy.clone(),
            kind,
            at,
            task,
            schedule,
            replay,
            replay_schedule,
            preemptions,
            shrunk: None,
            injected: None,
            timeline: None,
            runs: 0,
            trace,
        }
    }

    /// The shell command that runs exactly this seed (and schedule) of this test again.
    fn replay_command(&self, seed: u64, schedule: Option<&Schedule>, twice: bool) -> String {
        let mut command = format!("SIM_SEED={seed:#x}");
        if twice {
            command += " SIM_CHECK_DETERMINISM=1";
        }
        if self.strategy_from_env {
            command += &format!(" SIM_STRATEGY={}", self.strategy);
        }
        if let Some(schedule) = schedule {
            command += &format!(" SIM_SCHEDULE='{schedule}'");
        }
        command += " cargo test";
        if let Some(package) = &self.package {
            command += &format!(" -p {package}");
        }
        if !self.name.is_empty() {
            command += &format!(" -- {} --exact", self.name);
            if self.ignored {
                command += " --ignored";
            }
        }
        command
    }
}

/// Where and how a failing run stopped.
struct Stop {
    at: RunPoint,
    task: Option<TaskInfo>,
    schedule: Schedule,
    preemptions: u64,
    trace: Vec<DecisionPoint>,
}

/// The one task a failure is about, when there is one.
fn blamed_task(error: &SimError) -> Option<TaskInfo> {
    match error {
        SimError::Panicked(p) => Some(p.task.clone()),
        SimError::StepLimit(s) => Some(s.next.clone()),
        _ => None,
    }
}

/// Where two runs' event sequences (or their hashes) first differ; a run that ended early, or
/// outcomes that differ (`same_outcome` false), count as a difference at the shorter length.
fn first_difference<T: PartialEq>(a: &[T], b: &[T], same_outcome: bool) -> Option<usize> {
    a.iter()
        .zip(b)
        .position(|(x, y)| x != y)
        .or_else(|| (a.len() != b.len() || !same_outcome).then(|| a.len().min(b.len())))
}

fn divergence_point(seed: u64, event: Option<&Event>) -> RunPoint {
    let (step, time) = event.map_or((0, Duration::ZERO), |e| (e.step, e.time));
    RunPoint { seed, step, time }
}

/// The PCT horizon a seed at `position` runs with: none for the first seed, which the checker
/// learns the horizon from.
fn horizon_at(position: Option<u64>, horizon: Option<u64>) -> Option<u64> {
    if position == Some(0) { None } else { horizon }
}
