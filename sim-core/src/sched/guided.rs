//! The strategy of the shrinker and of exhaustive exploration: follow a guide where it fits,
//! and otherwise make the least disruptive choice (keep running the task that ran last; the
//! first option elsewhere).
//!
//! Unlike `Replay`, it never fails. A guide step names a task (the shrinker's form: removing
//! one step does not change what the others mean) or an option index (exploration's form);
//! a step that does not fit (the task is not runnable, the index is out of range), an
//! explicit `Default`, or a missing step falls back to the default choice.

use super::Scheduler;
use crate::executor::RunnableSet;
use crate::record::TaskId;
use crate::record::{DecisionKind, ReplayError};

/// One step of a guide: what to choose at the next decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum GuideStep {
    /// Run this task next, if it is runnable.
    Task(TaskId),
    /// Take this option.
    Index(u32),
    /// Make the default choice.
    Default,
}

pub(crate) struct Guided {
    steps: Vec<GuideStep>,
    next: usize,
    /// The first place the guide did not fit the run, if any (the replay of a token reports
    /// it; the searches, which expect it, ignore it).
    diverged: Option<ReplayError>,
}

impl Guided {
    pub(crate) fn new(steps: Vec<GuideStep>) -> Guided {
        Guided {
            steps,
            next: 0,
            diverged: None,
        }
    }

    fn take(&mut self, kind: DecisionKind, options: usize) -> GuideStep {
        let step = match self.steps.get(self.next) {
            Some(step) => *step,
            None => {
                if !self.steps.is_empty() {
                    self.diverge(ReplayError::Exhausted {
                        recorded: self.steps.len(),
                        kind,
                        options,
                    });
                }
                GuideStep::Default
            }
        };
        if let GuideStep::Index(i) = step
            && i as usize >= options
        {
            self.diverge(ReplayError::OutOfRange {
                index: self.next,
                chosen: i,
                options,
                kind,
            });
        }
        self.next += 1;
        step
    }

    fn diverge(&mut self, error: ReplayError) {
        if self.diverged.is_none() {
            self.diverged = Some(error);
        }
    }
}

impl Scheduler for Guided {
    fn pick_task(
        &mut self,
        runnable: &RunnableSet,
        last: Option<TaskId>,
    ) -> Result<usize, ReplayError> {
        let wanted = match self.take(DecisionKind::Task, runnable.len()) {
            GuideStep::Task(task) => runnable.position(task),
            GuideStep::Index(i) => Some(i as usize).filter(|&i| i < runnable.len()),
            GuideStep::Default => None,
        };
        let stay = || last.and_then(|last| runnable.position(last));
        Ok(wanted.or_else(stay).unwrap_or(0))
    }

    fn pick(&mut self, kind: DecisionKind, options: usize) -> Result<usize, ReplayError> {
        Ok(match self.take(kind, options) {
            GuideStep::Index(i) if (i as usize) < options => i as usize,
            _ => 0,
        })
    }

    fn divergence(&self) -> Option<ReplayError> {
        self.diverged.clone().or_else(|| {
            (self.next < self.steps.len()).then(|| ReplayError::Unused {
                recorded: self.steps.len(),
                unused: self.steps.len() - self.next,
            })
        })
    }
}
