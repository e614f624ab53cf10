//! Shrinking a failing run, driven: the search for a smaller run that fails the same way is
//! `sched::Shrinker`; this file decides what "the same way" means (a [`Signature`]), runs the
//! guides the search plans, quietly, and reports the smallest run found beside the original.

use super::Check;
use crate::error::SimError;
use crate::record::Schedule;
use crate::sched::{GuideStep, RunRecord, Search, ShrinkBudget, Shrinker};

use super::quiet;
use super::report::{Failure, FailureKind, ShrunkSchedule};
use super::runner::{SeedRunner, TestFn};

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

impl<T: TestFn> SeedRunner<'_, T> {
    /// Looks for a smaller schedule failing the same way; see
    /// [`Check::shrink`](super::Check::shrink).
    pub(super) fn shrink_failure(&self, failure: &mut Failure) {
        let signature = Signature::of(&failure.kind);
        if !signature.shrinkable() || failure.schedule.is_empty() {
            return;
        }
        let (position, seed) = (failure.position, failure.seed);
        // One guided run of the failing seed, as the search learns from it.
        let attempt = |guide: &[GuideStep]| {
            let run = || self.run_seed(position, seed, Some(guide));
            match quiet::quietly(run) {
                Ok(_) => None,
                Err(f) => {
                    let signature = Signature::of(&f.kind);
                    let f = *f;
                    let run = RunRecord {
                        trace: f.trace,
                        schedule: f.schedule,
                        preemptions: f.preemptions,
                        steps: f.at.step,
                        failed: false,
                    };
                    Some((signature, run))
                }
            }
        };
        // The original run again, traced, to learn which task each decision chose.
        let original_guide: Vec<GuideStep> =
            failure.schedule.iter().map(GuideStep::Index).collect();
        let original = match attempt(&original_guide) {
            Some((again, run)) if again == signature => RunRecord {
                failed: true,
                ..run
            },
            // The failure does not reproduce under guidance: leave it as it is.
            _ => return,
        };
        let mut shrinker = Shrinker::new(original.clone(), ShrinkBudget::default());
        let mut last: Option<RunRecord> = None;
        while let Some(guide) = shrinker.next_run(last.as_ref()) {
            last = Some(match attempt(&guide) {
                Some((sig, run)) => RunRecord {
                    failed: sig == signature,
                    ..run
                },
                // A pass: nothing to learn but that it passed.
                None => RunRecord {
                    trace: Vec::new(),
                    schedule: Schedule::default(),
                    preemptions: u64::MAX,
                    steps: u64::MAX,
                    failed: false,
                },
            });
        }
        let best = shrinker.best();
        if best.dominates(&original) {
            let replay =
                self.replay_command(self.shape(position, seed, Some(&best.schedule), false));
            failure.shrunk = Some(ShrunkSchedule {
                schedule: best.schedule.clone(),
                preemptions: best.preemptions,
                steps: best.steps,
                attempts: shrinker.attempts(),
                replay,
            });
        } else {
            failure.shrink_tried = Some(shrinker.attempts());
        }
    }
}

impl Check {
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
}
