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
//! Every `SIM_*` variable, the one list of them (`Builder::from_env` reads the rows marked
//! `Builder`; [`Check::from_env`], which `#[sim::test]` calls, reads them all). Every variable
//! is optional; a malformed value fails the test with a message naming the variable and the
//! value, never a silent default.
//!
#![doc = crate::env::table!()]
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
//! // A lost update, found among 100 seeds: the failure names its seed and how to replay it.
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

mod artifacts;
mod determinism;
mod env;
mod explore;
mod inject;
mod jobs;
mod probe;
mod quiet;
mod report;
mod runner;
mod seeds;
mod shrink;

use std::future::Future;
use std::panic::Location;
use std::time::Duration;

use runner::{SeedRunner, TestFn};

pub use report::{CheckError, Failure, FailureKind, InjectedCancellation, ShrunkSchedule, Summary};
pub use runner::TestOutput;
pub use seeds::{Shard, seed_for};

use crate::env::EnvError;
use crate::record::Schedule;
use crate::runtime::Builder;
use crate::sched::Strategy;

/// Seeds a test runs unless told otherwise.
pub const DEFAULT_SEEDS: u64 = 100;

/// The most schedules [`Strategy::Exhaustive`] runs unless told otherwise.
pub const DEFAULT_MAX_SCHEDULES: u64 = 10_000;

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
    jobs: usize,
    schedule: Option<Schedule>,
    check_determinism: bool,
    verbose: bool,
    shrink: bool,
    max_schedules: u64,
    inject_cancellation: bool,
    timeline: Option<std::path::PathBuf>,
    env_error: Option<EnvError>,
    /// The settings of each run; the seed and the strategy are set per run.
    runtime: Builder,
    /// Variables from the environment that change what a run does, as set: a replay command
    /// sets them again.
    replayed_vars: Vec<(&'static str, String)>,
}

impl Default for Check {
    fn default() -> Check {
        Check::new()
    }
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
            jobs: 1,
            schedule: None,
            check_determinism: false,
            verbose: false,
            shrink: true,
            max_schedules: DEFAULT_MAX_SCHEDULES,
            inject_cancellation: false,
            timeline: None,
            env_error: None,
            runtime: Builder::new(),
            replayed_vars: Vec::new(),
        }
    }

    /// The check for the test function `function` in module `module_path` of `package`, as
    /// `#[sim::test]` creates it: named as `cargo test` names the test, with the package for
    /// the replay command. (The attribute then applies its arguments and
    /// [`from_env`](Check::from_env).)
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
    pub fn max_steps(self, max_steps: u64) -> Check {
        self.runtime(|b| b.max_steps(max_steps))
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
    pub fn max_time(self, max_time: Duration) -> Check {
        self.runtime(|b| b.max_time(max_time))
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

    /// Lets [`buggify!`](crate::buggify!) sites fire in every run (off by default).
    ///
    /// ```
    /// let summary = sim::check::Check::new().seeds(5).buggify(true).run(|| async {
    ///     let _ = sim::buggify!();
    /// });
    /// assert_eq!(summary.seeds_run, 5);
    /// ```
    pub fn buggify(self, on: bool) -> Check {
        self.runtime(|b| b.buggify(on))
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
    pub fn chaos(self, on: bool) -> Check {
        self.runtime(|b| b.chaos(on))
    }

    /// Any setting of one run, on the [`Builder`] every seed's runtime is built from:
    /// [`blocking_threads`](Builder::blocking_threads),
    /// [`unobserved_panic`](Builder::unobserved_panic), [`debug`](Builder::debug),
    /// [`slow_poll_threshold`](Builder::slow_poll_threshold),
    /// [`record_events`](Builder::record_events), and those [`Check`] has setters for too
    /// (`chaos`, `buggify`, `max_steps`, `max_time`), which forward here.
    ///
    /// `f` is applied now, to the builder the check holds; each run clones that builder and
    /// sets the seed and the strategy on it, which stay the check's own ([`Check::seed`],
    /// [`Check::strategy`]): a seed or strategy set through `f` is replaced in every run. The
    /// `SIM_*` variables that [`Check::from_env`] applies afterwards override what `f` set.
    ///
    /// ```
    /// use sim::time::Duration;
    /// use sim::UnobservedPanic;
    ///
    /// let summary = sim::check::Check::new()
    ///     .seeds(5)
    ///     .runtime(|b| b.blocking_threads(2).unobserved_panic(UnobservedPanic::Ignore))
    ///     .run(|| async {
    ///         // Four 1 s jobs on two workers take 2 s of virtual time.
    ///         let jobs: Vec<_> = (0..4)
    ///             .map(|i| sim::task::spawn_blocking(Duration::from_secs(1), move || i))
    ///             .collect();
    ///         for job in jobs {
    ///             job.await.unwrap();
    ///         }
    ///         assert_eq!(sim::time::elapsed(), Duration::from_secs(2));
    ///         // Nobody observes this panic, and the run ignores it.
    ///         drop(sim::spawn(async { panic!("lost") }));
    ///         sim::task::yield_now().await;
    ///     });
    /// assert_eq!(summary.seeds_run, 5);
    /// ```
    pub fn runtime(mut self, f: impl FnOnce(Builder) -> Builder) -> Check {
        self.runtime = f(std::mem::take(&mut self.runtime));
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

    /// Checks the settings, then runs the check (see `SeedRunner::run_check`).
    fn try_run_at<T: TestFn>(
        self,
        test: T,
        caller: &'static Location<'static>,
    ) -> Result<Summary, CheckError> {
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
        let check = self.labelled();
        SeedRunner::new(&check, &test, caller).run_check()
    }
}
