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

use super::Check;
use super::probe::Probe;
use super::report::{Failure, FailureKind};
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

/// A test body as the checker holds it: it makes a fresh future for each run, and may be
/// called from the check's threads. Every `Fn() -> impl Future` whose output is a
/// [`TestOutput`] is one.
pub(super) trait TestFn: Sync {
    /// What the test's future resolves to.
    type Output: TestOutput;
    /// The test's future.
    type Future: Future<Output = Self::Output>;
    /// A fresh future for one run.
    fn start(&self) -> Self::Future;
}

impl<F, Fut> TestFn for F
where
    F: Fn() -> Fut + Sync,
    Fut: Future,
    Fut::Output: TestOutput,
{
    type Output = Fut::Output;
    type Future = Fut;

    fn start(&self) -> Fut {
        self()
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
        Probe {
            guide: guide.map(<[GuideStep]>::to_vec),
            horizon: horizon_at(position, self.horizon),
            inject_at: None,
            trace_decisions: guide.is_some()
                || matches!(check.strategy, Strategy::Exhaustive { .. }),
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
        std::panic::catch_unwind(run).unwrap_or_else(|payload| {
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
            };
            Err(Box::new(self.failure(position, seed, kind, stop)))
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
        };
        Box::new(self.failure(position, seed, kind, stop))
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
            injected: None,
            timeline: None,
            runs: 0,
            trace,
        }
    }

    /// The shell command that runs exactly this seed (and schedule) of this test again.
    pub(super) fn replay_command(
        &self,
        seed: u64,
        schedule: Option<&Schedule>,
        twice: bool,
    ) -> String {
        let check = self.check;
        let mut command = format!("SIM_SEED={seed:#x}");
        if twice {
            command += " SIM_CHECK_DETERMINISM=1";
        }
        if check.strategy_from_env {
            command += &format!(" SIM_STRATEGY={}", check.strategy);
        }
        for (name, value) in &check.replayed_vars {
            command += &format!(" {name}={}", shell_word(value));
        }
        if let Some(schedule) = schedule {
            command += &format!(" SIM_SCHEDULE='{schedule}'");
        }
        command += " cargo test";
        if let Some(package) = &check.package {
            command += &format!(" -p {package}");
        }
        if !check.name.is_empty() {
            command += &format!(" -- {} --exact", check.name);
            if check.ignored {
                command += " --ignored";
            }
        }
        command
    }
}

impl Check {
    /// This check with its runs labelled for the watchdog's report (see
    /// `Builder::watchdog`): the test's name, and the command that replays a seed, made only
    /// if a report is printed. Set once per check; each seed's builder carries it.
    pub(super) fn labelled(mut self) -> Check {
        let check = self.clone();
        let replay = move |seed| {
            let runner = SeedRunner {
                check: &check,
                test: &(),
                caller: Location::caller(),
                horizon: None,
            };
            runner.replay_command(seed, check.schedule.as_ref(), false)
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
