//! One run of the test under one seed, as every part of the checker makes it: the runtime
//! built from the check's settings, the test's future run to its end, and a failing run
//! turned into a [`Failure`] with the commands that replay it.
//!
//! [`SeedRunner`] ties a [`Check`] to the test it runs and to where `run` was called; the seed
//! list ([`jobs`](super::jobs)), the determinism check, cancellation injection, exhaustive
//! exploration, shrinking and timelines are its methods, each in its own file. [`TestFn`]
//! states once what a test body is, so none of them repeats the bound.

use std::fmt;
use std::future::Future;
use std::hash::{DefaultHasher, Hasher};
use std::panic::Location;
use std::time::Duration;

use super::probe::Probe;
use super::quiet;
use super::report::{Failure, FailureKind};
use super::token::RunShape;
use super::{Check, seed_for};
use crate::env::ReplayToken;
use crate::error::{NonDeterminism, NonDeterminismKind, SimError};
use crate::record::{DecisionPoint, RunPoint, Schedule, TaskId, TaskInfo};
use crate::runtime::{Builder, Runtime};
use crate::sched::GuideStep;
use crate::sched::{PCT_PROBE_POSITION, Strategy};

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

/// A test body as the checker holds it: it makes a fresh future for each run. A body that may
/// be shared between threads ([`Shared`], from `Check::run`) runs seeds on the check's threads
/// (`SIM_JOBS`); one that may not ([`Local`], from `Check::run_local`: it holds an `Rc`, say)
/// runs them all on the calling thread.
pub(super) trait TestFn: Sized {
    /// What the test's future resolves to.
    type Output: TestOutput;
    /// The test's future.
    type Future: Future<Output = Self::Output>;
    /// A fresh future for one run.
    fn start(&self) -> Self::Future;
    /// Runs `worker` on `jobs` threads of a scope, or once on this thread when the body
    /// cannot be shared between threads.
    fn spread(
        runner: &SeedRunner<'_, Self>,
        jobs: usize,
        worker: &(dyn Fn(&SeedRunner<'_, Self>) + Sync),
    );
}

/// A test body that can be shared between threads.
pub(super) struct Shared<F>(pub(super) F);

/// A test body that stays on the calling thread.
pub(super) struct Local<F>(pub(super) F);

impl<F, Fut> TestFn for Shared<F>
where
    F: Fn() -> Fut + Sync,
    Fut: Future,
    Fut::Output: TestOutput,
{
    type Output = Fut::Output;
    type Future = Fut;

    fn start(&self) -> Fut {
        (self.0)()
    }

    fn spread(
        runner: &SeedRunner<'_, Self>,
        jobs: usize,
        worker: &(dyn Fn(&SeedRunner<'_, Self>) + Sync),
    ) {
        if jobs <= 1 {
            worker(runner);
            return;
        }
        std::thread::scope(|scope| {
            for _ in 0..jobs {
                scope.spawn(|| worker(runner));
            }
        });
    }
}

impl<F, Fut> TestFn for Local<F>
where
    F: Fn() -> Fut,
    Fut: Future,
    Fut::Output: TestOutput,
{
    type Output = Fut::Output;
    type Future = Fut;

    fn start(&self) -> Fut {
        (self.0)()
    }

    fn spread(
        runner: &SeedRunner<'_, Self>,
        jobs: usize,
        worker: &(dyn Fn(&SeedRunner<'_, Self>) + Sync),
    ) {
        if jobs > 1 {
            eprintln!(
                "sim: `{}` runs its seeds on one thread: its body cannot be shared between \
                 threads (`Check::run_local`), so {jobs} jobs were not started",
                runner.check.name
            );
        }
        worker(runner);
    }
}

/// Runs one check's test, seed by seed.
pub(super) struct SeedRunner<'c, T> {
    pub(super) check: &'c Check,
    pub(super) test: &'c T,
    /// Where `run` was called: the main task's spawn site in reports.
    pub(super) caller: &'static Location<'static>,
    /// PCT's horizon, once learned from the first seed (see `learn_horizon`).
    pub(super) horizon: Option<u64>,
}

/// The outcome of one seed.
pub(super) struct SeedRun {
    pub(super) steps: u64,
    pub(super) decisions: u64,
    pub(super) schedule_hash: u64,
    /// The decisions with their options, when exploring exhaustively.
    pub(super) trace: Vec<DecisionPoint>,
}

/// Where and how a failing run stopped.
pub(super) struct Stop {
    pub(super) at: RunPoint,
    pub(super) task: Option<TaskInfo>,
    pub(super) schedule: Schedule,
    pub(super) preemptions: u64,
    pub(super) trace: Vec<DecisionPoint>,
    /// Cancellation injection's point, for an injected run.
    pub(super) inject: Option<u64>,
}

impl<'c, T: TestFn> SeedRunner<'c, T> {
    pub(super) fn new(
        check: &'c Check,
        test: &'c T,
        caller: &'static Location<'static>,
    ) -> SeedRunner<'c, T> {
        SeedRunner {
            check,
            test,
            caller,
            horizon: None,
        }
    }

    /// The checker's knobs for a run of the seed at `position`, guided by `guide` if given.
    pub(super) fn probe(&self, position: Option<u64>, guide: Option<&[GuideStep]>) -> Probe {
        let check = self.check;
        let guide = guide
            .map(<[GuideStep]>::to_vec)
            .or_else(|| check.replay_guide.clone());
        let traced = guide.is_some();
        Probe {
            guide,
            horizon: horizon_at(position, self.horizon),
            inject_at: None,
            trace_decisions: traced || matches!(check.strategy, Strategy::Exhaustive { .. }),
            hash_events: check.check_determinism,
        }
    }

    /// The runtime of one run: the check's runtime settings, this seed, the check's strategy
    /// (or the schedule it replays), and the checker's own knobs.
    pub(super) fn builder(&self, seed: u64, probe: Probe) -> Builder {
        let check = self.check;
        let strategy = match &check.schedule {
            Some(schedule) => Strategy::Replay(schedule.clone()),
            None => check.strategy.clone(),
        };
        probe.apply(check.runtime.clone().seed(seed).strategy(strategy))
    }

    /// Runs one seed; a panic that escapes the simulation (from making the test's future, or
    /// from a destructor at teardown) becomes this seed's failure instead of unwinding
    /// through the checker. `guide` makes the run follow a guide (shrinking, exploration).
    pub(super) fn run_seed(
        &self,
        position: Option<u64>,
        seed: u64,
        guide: Option<&[GuideStep]>,
    ) -> Result<SeedRun, Box<Failure>> {
        let probe = self.probe(position, guide);
        let run = std::panic::AssertUnwindSafe(|| self.run_seed_inner(position, seed, probe));
        let result = if self.check.verbose {
            std::panic::catch_unwind(run)
        } else {
            let _ = quiet::take_last_site();
            quiet::quietly(|| std::panic::catch_unwind(run))
        };
        let site = quiet::take_last_site();
        result
            .map(|outcome| {
                outcome.map_err(|mut failure| {
                    if matches!(
                        failure.kind,
                        FailureKind::Run(SimError::Panicked(_)) | FailureKind::Escaped(_)
                    ) {
                        failure.panicked_at = site.clone();
                    }
                    failure
                })
            })
            .unwrap_or_else(|payload| {
                let message = crate::executor::panic_message(&*payload);
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
                    inject: None,
                };
                let mut failure = self.failure(position, seed, kind, stop);
                failure.panicked_at = site;
                Err(Box::new(failure))
            })
    }

    /// Runs one seed (twice with the determinism check).
    fn run_seed_inner(
        &self,
        position: Option<u64>,
        seed: u64,
        probe: Probe,
    ) -> Result<SeedRun, Box<Failure>> {
        let mut rt = self.builder(seed, probe.clone()).build();
        let outcome = rt.block_on_at(self.test.start(), self.caller);
        match outcome {
            Err(error) => {
                let task = blamed_task(&error);
                return Err(self.run_failure((position, seed), FailureKind::Run(error), &rt, task));
            }
            Ok(output) => {
                if let Err(text) = output.into_outcome() {
                    let main = TaskInfo {
                        id: TaskId(0),
                        name: Some("main".into()),
                        spawned_at: self.caller,
                    };
                    let kind = FailureKind::Returned(text);
                    return Err(self.run_failure((position, seed), kind, &rt, Some(main)));
                }
            }
        }
        if self.check.check_determinism {
            self.run_again(&rt, (position, seed), probe)?;
        }
        if self.check.replay.is_some()
            && let Some(divergence) = rt.divergence()
        {
            eprintln!(
                "sim: `{}` passed, but the replayed schedule no longer fits the program: \
                 {divergence}; the run went on with default choices from there",
                self.check.name
            );
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

    /// The failure of the run `rt` just made.
    pub(super) fn run_failure(
        &self,
        (position, seed): (Option<u64>, u64),
        kind: FailureKind,
        rt: &Runtime,
        task: Option<TaskInfo>,
    ) -> Box<Failure> {
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
            inject: None,
        };
        let mut failure = self.failure(position, seed, kind, stop);
        if self.check.replay.is_some() {
            failure.diverged = rt.divergence();
        }
        Box::new(failure)
    }

    /// What a failure gets before it is reported: a shrunk schedule and a timeline, when the
    /// check asks for them.
    pub(super) fn complete(&self, failure: &mut Failure) {
        if self.check.shrink {
            self.shrink_failure(failure);
        }
        self.write_timeline(failure);
    }
}

impl<T> SeedRunner<'_, T> {
    pub(super) fn failure(
        &self,
        position: Option<u64>,
        seed: u64,
        kind: FailureKind,
        stop: Stop,
    ) -> Failure {
        let Stop {
            at,
            task,
            schedule,
            preemptions,
            trace,
            inject,
        } = stop;
        let divergence = matches!(
            &kind,
            FailureKind::Run(SimError::NonDeterminism(NonDeterminism {
                kind: NonDeterminismKind::Divergence { .. },
                ..
            }))
        );
        // An exhaustive search's run is pinned by its schedule (a seed alone would mean the
        // whole search again); an injected one by its point.
        let pinned = matches!(self.check.strategy, Strategy::Exhaustive { .. });
        let token = self.check.token(RunShape {
            inject,
            ..self.shape(position, seed, pinned.then_some(&schedule), divergence)
        });
        let replay = self.command_for(&token);
        let replay_schedule = self.replay_command(RunShape {
            inject,
            ..self.shape(position, seed, Some(&schedule), divergence)
        });
        let check = self.check;
        Failure {
            test: check.name.clone(),
            seed,
            position,
            seeds: check.seeds,
            strategy: check.strategy.clone(),
            kind,
            at,
            task,
            schedule,
            replay,
            replay_schedule,
            preemptions,
            shrunk: None,
            shrink_tried: None,
            panicked_at: None,
            diverged: None,
            injected: None,
            timeline: None,
            runs: 0,
            trace,
            token: Some(token),
            regression: None,
            saved_to: None,
        }
    }

    /// The shell command that makes exactly the run `shape` describes of this test again.
    pub(super) fn replay_command(&self, shape: RunShape<'_>) -> String {
        self.command_for(&self.check.token(shape))
    }

    /// The shell command that replays `token`.
    pub(super) fn command_for(&self, token: &ReplayToken) -> String {
        let selector = self
            .check
            .selector
            .as_ref()
            .map_or_else(|| "cargo test".to_string(), |s| s.command());
        format!("SIM_REPLAY={} {selector}", shell_word(&token.to_string()))
    }

    /// The shape of the run at `position` under `seed`: PCT's horizon as that run had it.
    pub(super) fn shape<'a>(
        &self,
        position: Option<u64>,
        seed: u64,
        schedule: Option<&'a Schedule>,
        twice: bool,
    ) -> RunShape<'a> {
        RunShape {
            seed,
            schedule,
            horizon: horizon_at(position, self.horizon),
            inject: None,
            twice,
        }
    }
}

impl Check {
    /// This check with its runs labelled for the watchdog's report (see
    /// `Builder::watchdog`): the test's name, and the command that replays a seed, made only
    /// if a report is printed. Set once per check; each seed's builder carries it.
    pub(super) fn labelled(mut self) -> Check {
        let check = self.clone();
        let learned = std::sync::Arc::clone(&self.learned_horizon);
        let probe = seed_for(&self.name, PCT_PROBE_POSITION);
        let replay = move |seed| {
            let runner = SeedRunner {
                check: &check,
                test: &(),
                caller: Location::caller(),
                horizon: learned.get().copied().flatten(),
            };
            // The hanging run's seed position is not known here; PCT's probe is the one seed
            // that runs without the learned horizon.
            let position = (seed == probe).then_some(PCT_PROBE_POSITION);
            runner.replay_command(runner.shape(position, seed, None, false))
        };
        self.runtime = self.runtime.label(self.name.clone(), replay);
        self
    }
}

/// `value` as one shell word: as it is when that is safe, else in single quotes.
fn shell_word(value: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "._:/,+-".contains(c);
    if !value.is_empty() && value.chars().all(plain) {
        value.to_string()
    } else {
        format!("'{}'", value.replace('\'', "'\\''"))
    }
}

/// The one task a failure is about, when there is one.
pub(super) fn blamed_task(error: &SimError) -> Option<TaskInfo> {
    match error {
        SimError::Panicked(p) => Some(p.task.clone()),
        SimError::StepLimit(s) => Some(s.next.clone()),
        _ => None,
    }
}

/// The PCT horizon a seed at `position` runs with: none for the first seed, which the checker
/// learns the horizon from.
fn horizon_at(position: Option<u64>, horizon: Option<u64>) -> Option<u64> {
    if position == Some(PCT_PROBE_POSITION) {
        None
    } else {
        horizon
    }
}
