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
}

impl Guided {
    pub(crate) fn new(steps: Vec<GuideStep>) -> Guided {
        Guided { steps, next: 0 }
    }

    fn take(&mut self) -> GuideStep {
        let step = self
            .steps
            .get(self.next)
            .copied()
            .unwrap_or(GuideStep::Default);
        self.next += 1;
        step
    }
}

impl Scheduler for Guided {
    fn pick_task(
        &mut self,
        runnable: &RunnableSet,
        last: Option<TaskId>,
    ) -> Result<usize, ReplayError> {
        let wanted = match self.take() {
            GuideStep::Task(task) => runnable.position(task),
            GuideStep::Index(i) => Some(i as usize).filter(|&i| i < runnable.len()),
            GuideStep::Default => None,
        };
        let stay = || last.and_then(|last| runnable.position(last));
        Ok(wanted.or_else(stay).unwrap_or(0))
    }

    fn pick(&mut self, _kind: DecisionKind, options: usize) -> Result<usize, ReplayError> {
        Ok(match self.take() {
            GuideStep::Index(i) if (i as usize) < options => i as usize,
            _ => 0,
        })
    }
}
