//! Shrinking a failing schedule: look for a run that fails the same way with fewer
//! preemptions, then fewer steps.
//!
//! Candidates are edits of the current best schedule, run under the lenient `Guided` strategy
//! (recorded choices where they fit, "keep running the same task" elsewhere): a prefix kept
//! and the rest left to the default, or one decision replaced by the default. A candidate
//! replaces the best when it fails the same way (same kind, same panic message or error) and
//! is smaller by (preemptions, steps); its own recorded decisions become the new best, which
//! strict replay reproduces exactly. The search stops at a fixed point or when its attempt or
//! time budget is spent; the original failure is always reported too.
//!
//! [`shrink`] is the search; `SeedRunner::shrink_failure` runs it on a failing seed.

use std::time::{Duration, Instant};

use crate::error::SimError;
use crate::record::{DecisionPoint, Schedule};
use crate::sched::guided::GuideStep;

use super::quiet;
use super::report::{Failure, FailureKind, ShrunkSchedule};
use super::runner::{SeedRunner, TestFn};

/// How much work shrinking may do.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Budget {
    pub(crate) attempts: u32,
    pub(crate) time: Duration,
}

impl Default for Budget {
    fn default() -> Budget {
        Budget {
            attempts: 2_000,
            time: Duration::from_secs(10),
        }
    }
}

/// What "failing the same way" compares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Signature {
    Panic(String),
    Returned(String),
    Deadlock,
    StepLimit,
    TimeLimit,
    Other,
}

impl Signature {
    pub(crate) fn of(kind: &FailureKind) -> Signature {
        match kind {
            FailureKind::Run(SimError::Panicked(p)) => Signature::Panic(p.message.clone()),
            FailureKind::Run(SimError::Deadlock(_)) => Signature::Deadlock,
            FailureKind::Run(SimError::StepLimit(_)) => Signature::StepLimit,
            FailureKind::Run(SimError::TimeLimit(_)) => Signature::TimeLimit,
            FailureKind::Returned(text) => Signature::Returned(text.clone()),
            _ => Signature::Other,
        }
    }

    /// Whether a failure of this kind is worth shrinking (replay and nondeterminism are not
    /// about the interleaving).
    pub(crate) fn shrinkable(&self) -> bool {
        *self != Signature::Other
    }
}

/// A run, as the shrinker compares them.
#[derive(Debug, Clone)]
pub(crate) struct Attempt {
    /// How it failed; `None` if it passed.
    pub(crate) signature: Option<Signature>,
    /// Its decisions in guide form: task decisions by task, the others by option.
    pub(crate) guide: Vec<GuideStep>,
    /// Its decisions as a schedule, for strict replay.
    pub(crate) schedule: Schedule,
    pub(crate) preemptions: u64,
    pub(crate) steps: u64,
}

impl Attempt {
    pub(crate) fn size(&self) -> (u64, u64) {
        (self.preemptions, self.steps)
    }
}

/// The result of shrinking.
#[derive(Debug, Clone)]
pub(crate) struct Shrunk {
    pub(crate) best: Attempt,
    pub(crate) attempts: u32,
}

/// Shrinks `original` by running candidate guides through `run` (a guided run of the failing
/// seed that reports its outcome).
pub(crate) fn shrink(
    original: &Attempt,
    budget: Budget,
    mut run: impl FnMut(Vec<GuideStep>) -> Attempt,
) -> Shrunk {
    let started = Instant::now();
    let target = original.signature.clone();
    let mut best = original.clone();
    let mut attempts = 0;
    'search: loop {
        let current = best.guide.clone();
        for candidate in candidates(&current) {
            if attempts >= budget.attempts || started.elapsed() >= budget.time {
                break 'search;
            }
            attempts += 1;
            let attempt = run(candidate);
            if attempt.signature == target && attempt.size() < best.size() {
                best = attempt;
                continue 'search;
            }
        }
        break;
    }
    Shrunk { best, attempts }
}

/// Edits of `guide` to try, biggest cuts first: keep a prefix (the rest default), keep a
/// single step (every other decision default: finds one-preemption bugs directly), remove
/// one step (the later ones move up a decision), or make one step the default.
fn candidates(guide: &[GuideStep]) -> impl Iterator<Item = Vec<GuideStep>> + '_ {
    let n = guide.len();
    let prefixes = [0, n / 4, n / 2, 3 * n / 4]
        .into_iter()
        .filter(move |&k| k < n)
        .map(move |k| guide[..k].to_vec());
    let singles = (0..n)
        .filter(move |&i| guide[i] != GuideStep::Default)
        .map(move |i| {
            let mut edited = vec![GuideStep::Default; i + 1];
            edited[i] = guide[i];
            edited
        });
    let removals = (0..n).map(move |i| {
        let mut edited = guide.to_vec();
        edited.remove(i);
        edited
    });
    let defaults = (0..n)
        .filter(move |&i| guide[i] != GuideStep::Default)
        .map(move |i| {
            let mut edited = guide.to_vec();
            edited[i] = GuideStep::Default;
            edited
        });
    prefixes.chain(singles).chain(removals).chain(defaults)
}

/// The guide form of a traced run.
pub(crate) fn guide_of(trace: &[DecisionPoint]) -> Vec<GuideStep> {
    trace
        .iter()
        .map(|p| match p.task {
            Some(task) => GuideStep::Task(task),
            None => GuideStep::Index(p.chosen),
        })
        .collect()
}

impl<T: TestFn> SeedRunner<'_, T> {
    /// Looks for a smaller schedule failing the same way; see
    /// [`Check::shrink`](super::Check::shrink).
    pub(super) fn shrink_failure(&self, failure: &mut Failure) {
        let signature = Signature::of(&failure.kind);
        if !signature.shrinkable() || failure.schedule.is_empty() {
            return;
        }
        let (position, seed) = (failure.position, failure.seed);
        let attempt = |guide: Vec<GuideStep>| {
            let run = || self.run_seed(position, seed, Some(&guide));
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
                    guide: guide_of(&f.trace),
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
        let shrunk = shrink(&original, Budget::default(), attempt);
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::TaskId;

    /// A toy program of six decisions among tasks #0 and #1 (#0 is the default): it fails iff
    /// decision 3 runs task #1; every decision running #1 is a preemption.
    fn toy(guide: Vec<GuideStep>) -> Attempt {
        let chosen: Vec<u64> = (0..6)
            .map(|i| match guide.get(i) {
                Some(GuideStep::Task(t)) => t.as_u64(),
                _ => 0,
            })
            .collect();
        let preemptions = chosen.iter().filter(|&&t| t == 1).count() as u64;
        Attempt {
            signature: (chosen[3] == 1).then_some(Signature::Deadlock),
            guide: chosen.iter().map(|&t| GuideStep::Task(TaskId(t))).collect(),
            schedule: Schedule::from_decisions(chosen.iter().map(|&t| t as u32).collect()),
            preemptions,
            steps: 10,
        }
    }

    #[test]
    fn keeps_the_smallest_run_that_fails_the_same_way() {
        let original = toy([1, 1, 0, 1, 1, 1]
            .map(|t| GuideStep::Task(TaskId(t)))
            .to_vec());
        assert_eq!(original.preemptions, 5);
        let shrunk = shrink(&original, Budget::default(), toy);
        assert_eq!(shrunk.best.schedule.decisions(), [0, 0, 0, 1, 0, 0]);
        assert_eq!(shrunk.best.preemptions, 1);
    }

    #[test]
    fn respects_the_attempt_budget() {
        let original = toy(vec![GuideStep::Task(TaskId(1)); 6]);
        let budget = Budget {
            attempts: 3,
            time: Duration::from_secs(5),
        };
        let shrunk = shrink(&original, budget, |_| Attempt {
            signature: None,
            ..original.clone()
        });
        assert_eq!(shrunk.attempts, 3);
        assert_eq!(
            shrunk.best.schedule, original.schedule,
            "nothing smaller failed"
        );
    }
}
