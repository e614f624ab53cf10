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
//! `Builder`; a [`Check`] reads them all when it runs, or earlier at [`Check::from_env`]).
//! Every variable is optional; a malformed value fails the test with a message naming the
//! variable and the value, never a silent default. The last column says which settings a
//! failure's replay token (`SIM_REPLAY`) carries: a pasted replay command makes the failing run
//! again whatever the shell's other variables say.
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
//! // The replay command carries one token with everything that shaped the failing run.
//! assert!(report.contains("replay:   SIM_REPLAY='v1 test=doc::lost_update seed=0x"), "{report}");
//! ```

mod artifacts;
mod determinism;
mod env;
mod explore;
mod inject;
mod jobs;
mod probe;
mod quiet;
mod regressions;
mod report;
mod runner;
mod seeds;
mod selector;
mod shrink;
mod token;

use std::future::Future;
use std::panic::Location;
use std::time::Duration;

use runner::{Local, SeedRunner, Shared, TestFn};

pub use report::{CheckError, Failure, FailureKind, InjectedCancellation, ShrunkSchedule, Summary};
pub use runner::TestOutput;
pub use seeds::{Shard, seed_for};

use crate::env::{EnvError, RegressionsSetting, ReplayToken};
use crate::record::Schedule;
use crate::runtime::Builder;
use crate::sched::{GuideStep, Strategy};
use selector::Selector;

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
    jobs: usize,
    schedule: Option<Schedule>,
    check_determinism: bool,
    verbose: bool,
    shrink: bool,
    max_schedules: u64,
    inject_cancellation: bool,
    timeline: Option<std::path::PathBuf>,
    env_error: Option<EnvError>,
    /// Whether `run` reads the `SIM_*` variables itself (unless `from_env` already did).
    read_env: bool,
    /// Whether the variables were applied already.
    env_read: bool,
    /// Whether failures of `run` are saved and saved ones replayed first, and where.
    regressions: RegressionsSetting,
    /// The run a `SIM_REPLAY` token asks for.
    replay: Option<ReplayToken>,
    /// PCT's horizon once learned, for the watchdog's replay command (made on another thread,
    /// only if a step hangs).
    learned_horizon: std::sync::Arc<std::sync::OnceLock<Option<u64>>>,
    /// A token's schedule, followed leniently: where it stops fitting (the code changed), the
    /// run goes on with default choices and the report says where.
    replay_guide: Option<Vec<GuideStep>>,
    /// How to run this check's test again, found when it runs.
    selector: Option<Selector>,
    /// The settings of each run; the seed and the strategy are set per run.
    runtime: Builder,
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
            jobs: 1,
            schedule: None,
            check_determinism: false,
            verbose: false,
            shrink: true,
            max_schedules: DEFAULT_MAX_SCHEDULES,
            inject_cancellation: false,
            timeline: None,
            env_error: None,
            read_env: true,
            env_read: false,
            regressions: RegressionsSetting::On,
            replay: None,
            learned_horizon: std::sync::Arc::default(),
            replay_guide: None,
            selector: None,
            runtime: Builder::new(),
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

    /// Marks the test as `#[ignore]`d. (Kept for the attribute and for code that calls it: the
    /// replay command passes `--include-ignored` for every test, which runs the one test it
    /// selects whether it is ignored or not.)
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

    /// Whether a failure of [`run`](Check::run) is saved to the test's package
    /// (`sim-regressions/<target>.txt`, to commit) and every saved failure of this test is
    /// replayed first, before the seeds (on by default; `SIM_REGRESSIONS`). A saved failure
    /// that fails again is reported as it was found, naming the file.
    ///
    /// ```
    /// let summary = sim::check::Check::new().regressions(false).seeds(2).run(|| async {});
    /// assert_eq!(summary.seeds_run, 2);
    /// ```
    pub fn regressions(mut self, on: bool) -> Check {
        self.regressions = if on {
            RegressionsSetting::On
        } else {
            RegressionsSetting::Off
        };
        self
    }

    /// Runs the test under every seed; panics with the failure report if one fails.
    ///
    /// `test` makes a fresh future for each seed, and is called on the check's threads
    /// (hence `Sync`); the futures themselves need not be `Send`. A body that holds an `Rc`
    /// (a fixture shared by the seeds) runs with [`run_local`](Check::run_local) instead.
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
        Check::finish(self.try_run_at(Shared(test), Location::caller(), true))
    }

    /// [`run`](Check::run) for a body that cannot be shared between threads (it holds an
    /// `Rc` fixture, say): every seed runs on the calling thread, whatever `SIM_JOBS` says.
    ///
    /// # Panics
    ///
    /// As [`run`](Check::run).
    ///
    /// ```
    /// use std::rc::Rc;
    ///
    /// let fixture = Rc::new(vec![1, 2, 3]);
    /// let summary = sim::check::Check::new().seeds(5).run_local(|| {
    ///     let fixture = Rc::clone(&fixture);
    ///     async move { assert_eq!(fixture.len(), 3) }
    /// });
    /// assert_eq!(summary.seeds_run, 5);
    /// ```
    #[track_caller]
    pub fn run_local<F, Fut>(self, test: F) -> Summary
    where
        F: Fn() -> Fut,
        Fut: Future,
        Fut::Output: TestOutput,
    {
        Check::finish(self.try_run_at(Local(test), Location::caller(), true))
    }

    /// [`try_run`](Check::try_run) for a body that cannot be shared between threads; see
    /// [`run_local`](Check::run_local).
    ///
    /// # Errors
    ///
    /// As [`try_run`](Check::try_run).
    ///
    /// ```
    /// use std::cell::Cell;
    /// use std::rc::Rc;
    ///
    /// let runs = Rc::new(Cell::new(0));
    /// let summary = sim::check::Check::new().seeds(3).try_run_local(|| {
    ///     runs.set(runs.get() + 1);
    ///     async {}
    /// });
    /// assert_eq!(summary.unwrap().seeds_run, 3);
    /// assert_eq!(runs.get(), 3);
    /// ```
    #[track_caller]
    pub fn try_run_local<F, Fut>(self, test: F) -> Result<Summary, CheckError>
    where
        F: Fn() -> Fut,
        Fut: Future,
        Fut::Output: TestOutput,
    {
        self.try_run_at(Local(test), Location::caller(), false)
    }

    /// A check's summary, or its failure as a panic.
    fn finish(outcome: Result<Summary, CheckError>) -> Summary {
        match outcome {
            Ok(summary) => summary,
            Err(error) => {
                // The report once, and no backtrace of the checker around it: the failure is
                // the test's, and the report says where (`RUST_BACKTRACE` backtraces of the
                // test's own panic come with `SIM_VERBOSE=1`). The payload is the report too,
                // so `#[should_panic(expected = ..)]` and harnesses that catch it see it.
                let report = error.to_string();
                eprint!("{report}");
                if !report.ends_with('\n') {
                    eprintln!();
                }
                std::panic::resume_unwind(Box::new(report))
            }
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
        self.try_run_at(Shared(test), Location::caller(), false)
    }

    /// Checks the settings, then runs the check (see `SeedRunner::run_check`).
    fn try_run_at<T: TestFn>(
        mut self,
        test: T,
        caller: &'static Location<'static>,
        save: bool,
    ) -> Result<Summary, CheckError> {
        if self.read_env && !self.env_read {
            self = self.from_env();
        }
        if let Some(e) = self.env_error.clone() {
            return Err(CheckError::Env(e));
        }
        let selector = Selector::here(caller, self.package.as_deref());
        if self.name.is_empty()
            && let Some(test) = &selector.test
        {
            self.name = test.clone();
        }
        self.selector = Some(selector);
        if let Some(token) = self.replay.clone() {
            self = self.replaying(&token)?;
        }
        if self.schedule.is_some() && self.seed.is_none() {
            return Err(CheckError::Config(
                "a schedule to replay (SIM_SCHEDULE) needs its seed (SIM_SEED) too: the seed \
                 still feeds `sim::rand`; use the replay command the failure report printed"
                    .to_string(),
            ));
        }
        let check = self.labelled();
        let outcome = SeedRunner::new(&check, &test, caller).run_check();
        match outcome {
            Err(CheckError::Failed(mut failure)) if save && failure.regression.is_none() => {
                check.save_regression(&mut failure);
                Err(CheckError::Failed(failure))
            }
            other => other,
        }
    }

    /// Where this check keeps its failures, unless it keeps none.
    fn regressions_file(&self) -> Option<regressions::Regressions> {
        match &self.regressions {
            RegressionsSetting::Off => None,
            RegressionsSetting::On => regressions::Regressions::of(self, None),
            RegressionsSetting::Folder(dir) => regressions::Regressions::of(self, Some(dir)),
        }
    }

    /// Keeps a new failure of `run` for the next runs (not a replayed one).
    fn save_regression(&self, failure: &mut Failure) {
        if self.replay.is_some() {
            return;
        }
        let (Some(file), Some(token)) = (self.regressions_file(), failure.token.as_ref()) else {
            return;
        };
        match file.save(token) {
            Ok(()) => failure.saved_to = Some(file.path().to_path_buf()),
            Err(e) => eprintln!(
                "sim: could not save the failure to {} ({e}); set SIM_REGRESSIONS=0 to stop \
                 trying",
                file.path().display()
            ),
        }
    }
}
