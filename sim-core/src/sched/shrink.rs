//! The shrinker's search: from a failing run, look for one that fails the same way with fewer
//! preemptions, then fewer steps.
//!
//! Candidates are edits of the best run's guide, biggest cuts first: keep a prefix (the rest
//! left to the default), keep a single step (every other decision the default: this finds a
//! one-preemption bug directly), remove one step (the later ones move up a decision), or make
//! one step the default. Guides name tasks rather than option indices, so removing a step
//! keeps the others' meaning. A candidate run replaces the best when it fails the same way and
//! is smaller without being larger in anything: no more preemptions, decisions or steps, and
//! fewer of one (so the result is never larger than the original in any of the three); the
//! candidates are then made afresh from it. The search
//! ends at a fixed point (no candidate of the best is better) or when its budget of attempts or
//! of wall-clock time is spent. The best run's recorded schedule, which strict replay
//! reproduces, is the result.

use std::rc::Rc;
use std::time::{Duration, Instant};

use super::GuideStep;
use super::search::{RunRecord, Search, guide_of};

/// How much work shrinking may do.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ShrinkBudget {
    pub(crate) attempts: u32,
    pub(crate) time: Duration,
}

impl Default for ShrinkBudget {
    fn default() -> ShrinkBudget {
        ShrinkBudget {
            attempts: 2_000,
            time: Duration::from_secs(10),
        }
    }
}

/// The shrinking search, started from the (traced) failing run.
pub(crate) struct Shrinker {
    best: RunRecord,
    candidates: Box<dyn Iterator<Item = Vec<GuideStep>>>,
    attempts: u32,
    budget: ShrinkBudget,
    started: Instant,
}

impl Shrinker {
    pub(crate) fn new(original: RunRecord, budget: ShrinkBudget) -> Shrinker {
        let candidates = candidates(guide_of(&original.trace).into());
        Shrinker {
            best: original,
            candidates,
            attempts: 0,
            budget,
            started: Instant::now(),
        }
    }

    /// The smallest run found that fails the same way (the original if none is smaller).
    pub(crate) fn best(&self) -> &RunRecord {
        &self.best
    }

    /// Candidate runs made.
    pub(crate) fn attempts(&self) -> u32 {
        self.attempts
    }
}

impl Search for Shrinker {
    fn next_run(&mut self, last: Option<&RunRecord>) -> Option<Vec<GuideStep>> {
        if let Some(run) = last
            && run.failed
            && run.dominates(&self.best)
        {
            self.best = run.clone();
            self.candidates = candidates(guide_of(&self.best.trace).into());
        }
        let candidate = self.candidates.next()?;
        if self.attempts >= self.budget.attempts || self.started.elapsed() >= self.budget.time {
            return None;
        }
        self.attempts += 1;
        Some(candidate)
    }
}

/// Edits of `guide` to try, biggest cuts first (see the module docs).
fn candidates(guide: Rc<[GuideStep]>) -> Box<dyn Iterator<Item = Vec<GuideStep>>> {
    let n = guide.len();
    let g = Rc::clone(&guide);
    let prefixes = [0, n / 4, n / 2, 3 * n / 4]
        .into_iter()
        .filter(move |&k| k < n)
        .map(move |k| g[..k].to_vec());
    let g = Rc::clone(&guide);
    let singles = (0..n)
        .filter({
            let g = Rc::clone(&g);
            move |&i| g[i] != GuideStep::Default
        })
        .map(move |i| {
            let mut edited = vec![GuideStep::Default; i + 1];
            edited[i] = g[i];
            edited
        });
    let g = Rc::clone(&guide);
    let removals = (0..n).map(move |i| {
        let mut edited = g.to_vec();
        edited.remove(i);
        edited
    });
    let g = guide;
    let defaults = (0..n)
        .filter({
            let g = Rc::clone(&g);
            move |&i| g[i] != GuideStep::Default
        })
        .map(move |i| {
            let mut edited = g.to_vec();
            edited[i] = GuideStep::Default;
            edited
        });
    Box::new(prefixes.chain(singles).chain(removals).chain(defaults))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::{DecisionKind, DecisionPoint, Schedule, TaskId};

    /// A toy program of six decisions among tasks #0 and #1 (#0 is the default): it fails iff
    /// decision 3 runs task #1; every decision running #1 is a preemption.
    fn toy(guide: &[GuideStep]) -> RunRecord {
        let chosen: Vec<u64> = (0..6)
            .map(|i| match guide.get(i) {
                Some(GuideStep::Task(t)) => t.as_u64(),
                _ => 0,
            })
            .collect();
        let trace = chosen
            .iter()
            .map(|&t| DecisionPoint {
                kind: DecisionKind::Task,
                chosen: t as u32,
                options: 2,
                stay: Some(0),
                task: Some(TaskId(t)),
            })
            .collect();
        RunRecord {
            trace,
            schedule: Schedule::from_decisions(chosen.iter().map(|&t| t as u32).collect()),
            preemptions: chosen.iter().filter(|&&t| t == 1).count() as u64,
            steps: 10,
            failed: chosen[3] == 1,
        }
    }

    fn drive(shrinker: &mut Shrinker, run: impl Fn(&[GuideStep]) -> RunRecord) {
        let mut last = None;
        while let Some(guide) = shrinker.next_run(last.as_ref()) {
            last = Some(run(&guide));
        }
    }

    #[test]
    fn keeps_the_smallest_run_that_fails_the_same_way() {
        let original = toy(&[1, 1, 0, 1, 1, 1].map(|t| GuideStep::Task(TaskId(t))));
        assert_eq!(original.preemptions, 5);
        let mut shrinker = Shrinker::new(original, ShrinkBudget::default());
        drive(&mut shrinker, toy);
        assert_eq!(shrinker.best().schedule.decisions(), [0, 0, 0, 1, 0, 0]);
        assert_eq!(shrinker.best().preemptions, 1);
    }

    #[test]
    fn respects_the_attempt_budget() {
        let original = toy(&[GuideStep::Task(TaskId(1)); 6]);
        let budget = ShrinkBudget {
            attempts: 3,
            time: Duration::from_secs(5),
        };
        let mut shrinker = Shrinker::new(original.clone(), budget);
        drive(&mut shrinker, |_| RunRecord {
            failed: false,
            ..original.clone()
        });
        assert_eq!(shrinker.attempts(), 3);
        assert_eq!(
            shrinker.best().schedule,
            original.schedule,
            "nothing smaller failed"
        );
    }
}
