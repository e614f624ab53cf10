//! What a check reports: the [`Summary`] of a pass, the [`CheckError`] of anything else, and
//! the [`Failure`] report of a failing seed.

use std::fmt;
use std::panic::Location;

use crate::env::{EnvError, ReplayToken};
use crate::error::{PanicReason, SimError};
use crate::record::{DecisionPoint, ReplayError, RunPoint, Schedule, TaskInfo};
use crate::sched::Strategy;

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

/// Why [`Check::try_run`](super::Check::try_run) did not pass.
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

/// Why a seed failed.
#[derive(Debug)]
#[non_exhaustive]
pub enum FailureKind {
    /// The run failed: a panic, a deadlock, a limit, nondeterminism.
    Run(SimError),
    /// The test returned `Err`; the text is the error's `Debug` form.
    Returned(String),
    /// A panic escaped the simulation: while making the test's future, or from a destructor
    /// while the runtime was torn down.
    Escaped(String),
}

/// A failing seed, with everything needed to understand and replay it.
///
/// `Display` is the report `#[sim::test]` prints.
#[derive(Debug)]
#[non_exhaustive]
pub struct Failure {
    /// The test's path, as `cargo test` names it (`module::test`).
    pub test: String,
    /// The failing seed.
    pub seed: u64,
    /// The seed's position in the test's seed list, when it came from the list.
    pub position: Option<u64>,
    /// Seeds the check was asked to run.
    pub seeds: u64,
    /// Runs made until this failure was found, counting it (seeds, or schedules for an
    /// exhaustive search; with several jobs, the failing seed's position in the list).
    pub runs: u64,
    /// The strategy the seed ran under.
    pub strategy: Strategy,
    /// What went wrong.
    pub kind: FailureKind,
    /// Where the run stopped.
    pub at: RunPoint,
    /// The task that failed, when one task is to blame.
    pub task: Option<TaskInfo>,
    /// The decisions of the failing run.
    pub schedule: Schedule,
    /// A shell command that runs exactly this seed again.
    pub replay: String,
    /// A shell command that replays the recorded schedule.
    pub replay_schedule: String,
    /// Preemptions in the failing schedule.
    pub preemptions: u64,
    /// The smallest schedule found that fails the same way, if shrinking found one.
    pub shrunk: Option<ShrunkSchedule>,
    /// When shrinking ran and found nothing smaller that fails the same way: the runs it tried.
    pub shrink_tried: Option<u32>,
    /// Where the failing run's timeline was written (`.json`, `.svg` and `.html` are added).
    pub timeline: Option<std::path::PathBuf>,
    /// Where the panic that failed the run happened (`file:line:column`), when it was one.
    pub panicked_at: Option<String>,
    /// Where the schedule of a replay token stopped fitting the run, when it did (the run went
    /// on past it with default choices).
    pub diverged: Option<ReplayError>,
    /// The cancellation the checker injected, when the failure came from injection.
    pub injected: Option<InjectedCancellation>,
    /// The failing run's decisions with their options, when it was traced.
    pub(crate) trace: Vec<DecisionPoint>,
    /// The token of the `replay` command.
    pub(crate) token: Option<ReplayToken>,
    /// Where this failure came from, when it was a saved one that failed again.
    pub regression: Option<std::path::PathBuf>,
    /// Where this failure was saved, to be replayed first by later runs.
    pub saved_to: Option<std::path::PathBuf>,
}

/// A cancellation injected by [`Check::inject_cancellation`](super::Check::inject_cancellation).
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct InjectedCancellation {
    /// Which pending point of the run's `timeout` futures, from 1.
    pub point: u64,
    /// Where the `timeout` that was made to expire was created.
    pub site: &'static Location<'static>,
}

/// A smaller schedule that fails the same way as the original.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ShrunkSchedule {
    /// The decisions; strict replay reproduces the failure.
    pub schedule: Schedule,
    /// Its preemptions.
    pub preemptions: u64,
    /// Steps until the failure.
    pub steps: u64,
    /// Candidate runs tried while shrinking.
    pub attempts: u32,
    /// A shell command that replays it.
    pub replay: String,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = if self.test.is_empty() {
            "<unnamed check>"
        } else {
            &self.test
        };
        writeln!(f, "sim: test `{name}` failed")?;
        let position = match self.position {
            Some(p) => format!(" (seed #{p} of {})", self.seeds),
            None => String::new(),
        };
        writeln!(
            f,
            "  seed:     {:#x}{position}, strategy {}, found after {} run(s)",
            self.seed, self.strategy, self.runs
        )?;
        writeln!(f, "  at:       step {}, t={:?}", self.at.step, self.at.time)?;
        if let Some(task) = &self.task {
            writeln!(f, "  task:     {task}")?;
        }
        if let Some(injected) = &self.injected {
            writeln!(
                f,
                "  injected: the timeout at {} was made to expire at pending point {} of the \
                 run's timeouts, cancelling its future there",
                injected.site, injected.point
            )?;
        }
        match &self.kind {
            FailureKind::Run(SimError::Panicked(p)) => {
                let why = match p.reason {
                    PanicReason::Detached => " (in a detached task: nobody awaited it)",
                    PanicReason::HandleDropped => " (its join handle was dropped unread)",
                    _ => "",
                };
                let mut lines = p.message.lines();
                writeln!(
                    f,
                    "  failure:  panicked{why}: {}",
                    lines.next().unwrap_or_default()
                )?;
                for line in lines {
                    writeln!(f, "            {line}")?;
                }
            }
            FailureKind::Run(error) => {
                let text = error.to_string();
                let mut lines = text.lines();
                writeln!(f, "  failure:  {}", lines.next().unwrap_or_default())?;
                for line in lines {
                    writeln!(f, "            {line}")?;
                }
            }
            FailureKind::Returned(error) => {
                writeln!(f, "  failure:  the test returned Err({error})")?;
            }
            FailureKind::Escaped(message) => {
                writeln!(
                    f,
                    "  failure:  panicked outside the simulation (making the test's future, or \
                     in a destructor at teardown): {message}"
                )?;
            }
        }
        if let Some(site) = &self.panicked_at {
            writeln!(f, "  where:    {site}")?;
        }
        writeln!(
            f,
            "  schedule: {} ({} decisions, {} preemptions)",
            self.schedule,
            self.schedule.len(),
            self.preemptions
        )?;
        if let Some(diverged) = &self.diverged {
            writeln!(
                f,
                "  diverged: the replayed schedule no longer fits the program: {diverged}; the \
                 run went on with default choices from there"
            )?;
        }
        if let Some(tried) = self.shrink_tried {
            writeln!(
                f,
                "  shrunk:   nothing smaller fails the same way ({tried} runs tried): the schedule \
                 above is as small as shrinking can make it"
            )?;
        }
        if let Some(shrunk) = &self.shrunk {
            writeln!(
                f,
                "  shrunk:   {} ({} decisions, {} preemptions, fails at step {}; {} runs tried)",
                shrunk.schedule,
                shrunk.schedule.len(),
                shrunk.preemptions,
                shrunk.steps,
                shrunk.attempts
            )?;
        }
        if let Some(path) = &self.timeline {
            writeln!(f, "  timeline: {}.html (and .svg, .json)", path.display())?;
        }
        if let Some(path) = &self.regression {
            writeln!(
                f,
                "  saved:    a failure kept in {} fails again (delete its line once it is \
                 fixed for good)",
                path.display()
            )?;
        }
        if let Some(path) = &self.saved_to {
            writeln!(
                f,
                "  saved:    in {}: later runs replay it first (commit the file)",
                path.display()
            )?;
        }
        writeln!(f, "  replay:   {}", self.replay)?;
        writeln!(f, "  replay the schedule: {}", self.replay_schedule)?;
        if let Some(shrunk) = &self.shrunk {
            writeln!(f, "  replay the shrunk schedule: {}", shrunk.replay)?;
        }
        // Ends with a line break, so whatever is printed after the report (a test harness's
        // punctuation) cannot join the last command's line and break it when pasted.
        Ok(())
    }
}
