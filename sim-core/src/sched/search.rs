//! The seam across the runs of one check: a [`Search`] plans each run from what the run before
//! it did, the way a per-run [`Scheduler`](super::Scheduler) makes each decision of one run.
//!
//! A search hands out *guides* (see [`GuideStep`]): the checker runs the test once under the
//! `Guided` strategy following the guide, with the decision trace on, and hands the run's
//! [`RunRecord`] back. The search decides alone when it is over. So exhaustive exploration and
//! the shrinker each live in one file, and the checker's part is the same short loop for both.
//!
//! Invariant: a search is a pure function of the records it is given (and its budget), so the
//! same test explores the same runs in the same order on every machine.

use super::GuideStep;
use crate::record::{DecisionKind, DecisionPoint, Schedule};

/// What one guided run did, as a search learns from it.
#[derive(Debug, Clone)]
pub(crate) struct RunRecord {
    /// Every decision of the run, with its options (the run was traced).
    pub(crate) trace: Vec<DecisionPoint>,
    /// The run's decisions as a schedule, which strict replay reproduces.
    pub(crate) schedule: Schedule,
    /// Task decisions that switched away from a task that could have kept running.
    pub(crate) preemptions: u64,
    /// Steps taken before the run ended.
    pub(crate) steps: u64,
    /// Whether the run failed the way the search looks for: for the shrinker, the same way as
    /// the failure it shrinks; for exploration, at all.
    pub(crate) failed: bool,
}

impl RunRecord {
    /// What the shrinker makes smaller: preemptions, then decisions, then steps.
    pub(crate) fn size(&self) -> (u64, u64, u64) {
        (self.preemptions, self.schedule.len() as u64, self.steps)
    }

    /// The run's faults: network decisions that did not take the usual outcome (a datagram
    /// lost or copied).
    pub(crate) fn faults(&self) -> usize {
        self.trace
            .iter()
            .filter(|p| p.kind == DecisionKind::Net && p.chosen != 0)
            .count()
    }

    /// Whether this run is smaller than `other`: fewer faults and no more preemptions, or as
    /// many faults and no more preemptions, decisions or steps, and fewer of one of them.
    /// Shrinking accepts only such runs, so its result never has more faults or preemptions
    /// than the original, and it is larger in decisions or steps only where a fault was
    /// removed (a datagram delivered takes steps a lost one did not).
    pub(crate) fn dominates(&self, other: &RunRecord) -> bool {
        let (faults, others) = (self.faults(), other.faults());
        if faults != others {
            return faults < others && self.preemptions <= other.preemptions;
        }
        let (a, b) = (self.size(), other.size());
        a.0 <= b.0 && a.1 <= b.1 && a.2 <= b.2 && a != b
    }
}

/// A strategy over several runs of one test.
pub(crate) trait Search {
    /// The guide of the next run, given the record of the run just made (`None` before the
    /// first run); `None` when the search is over.
    fn next_run(&mut self, last: Option<&RunRecord>) -> Option<Vec<GuideStep>>;
}

/// A traced run's decisions in guide form: task decisions by the task chosen (so removing one
/// step keeps the others' meaning), the others by option.
pub(crate) fn guide_of(trace: &[DecisionPoint]) -> Vec<GuideStep> {
    trace
        .iter()
        .map(|p| match p.task {
            Some(task) => GuideStep::Task(task),
            None => GuideStep::Index(p.chosen),
        })
        .collect()
}
