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

use std::time::{Duration, Instant};

use crate::error::SimError;
use crate::sched::Schedule;
use crate::sched::guided::DEFAULT;

use super::report::FailureKind;

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

/// A failing run, as the shrinker compares them.
#[derive(Debug, Clone)]
pub(crate) struct Attempt {
    pub(crate) signature: Option<Signature>,
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

/// Shrinks `original` by running candidate schedules through `run` (a guided run of the
/// failing seed that reports its outcome).
pub(crate) fn shrink(
    original: &Attempt,
    budget: Budget,
    mut run: impl FnMut(Schedule) -> Attempt,
) -> Shrunk {
    let started = Instant::now();
    let target = original.signature.clone();
    let mut best = original.clone();
    let mut attempts = 0;
    'search: loop {
        let current = best.schedule.clone();
        for candidate in candidates(current.decisions()) {
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

/// Edits of `decisions` to try, biggest cuts first.
fn candidates(decisions: &[u32]) -> impl Iterator<Item = Schedule> + '_ {
    let n = decisions.len();
    let prefixes = [0, n / 4, n / 2, 3 * n / 4]
        .into_iter()
        .filter(move |&k| k < n)
        .map(move |k| Schedule::from_decisions(decisions[..k].to_vec()));
    let defaults = (0..n)
        .filter(move |&i| decisions[i] != DEFAULT)
        .map(move |i| {
            let mut edited = decisions.to_vec();
            edited[i] = DEFAULT;
            Schedule::from_decisions(edited)
        });
    prefixes.chain(defaults)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attempt(decisions: Vec<u32>, preemptions: u64, steps: u64, fails: bool) -> Attempt {
        Attempt {
            signature: fails.then_some(Signature::Deadlock),
            schedule: Schedule::from_decisions(decisions),
            preemptions,
            steps,
        }
    }

    #[test]
    fn keeps_the_smallest_run_that_fails_the_same_way() {
        // A toy program of six decisions: it fails iff decision 3 is 1; each decision other
        // than the default (0) is a preemption, and missing decisions take the default.
        let run = |s: Schedule| {
            let d = s.decisions();
            let kept: Vec<u32> = (0..6)
                .map(|i| d.get(i).copied().filter(|&x| x != DEFAULT).unwrap_or(0))
                .collect();
            let fails = kept[3] == 1;
            let pre = kept.iter().filter(|&&x| x != 0).count() as u64;
            attempt(kept, pre, 10, fails)
        };
        let original = attempt(vec![1, 1, 2, 1, 1, 2], 5, 10, true);
        let shrunk = shrink(&original, Budget::default(), run);
        assert_eq!(shrunk.best.schedule.decisions(), &[0, 0, 0, 1, 0, 0]);
        assert_eq!(shrunk.best.preemptions, 1);
    }

    #[test]
    fn respects_the_attempt_budget() {
        let original = attempt(vec![1; 50], 50, 10, true);
        let budget = Budget {
            attempts: 7,
            time: Duration::from_secs(5),
        };
        let shrunk = shrink(&original, budget, |s| {
            attempt(s.decisions().to_vec(), 50, 10, false)
        });
        assert_eq!(shrunk.attempts, 7);
        assert_eq!(
            shrunk.best.schedule, original.schedule,
            "nothing smaller failed"
        );
    }
}
