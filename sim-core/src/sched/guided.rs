//! The shrinker's strategy: follow a recorded schedule where it fits, and otherwise make the
//! least disruptive choice (keep running the task that ran last; the first option elsewhere).
//!
//! Unlike `Replay`, it never fails: a decision that is out of range, or missing because the
//! schedule is shorter than the run, falls back to the default. `u32::MAX` in a schedule asks
//! for the default explicitly. That lets the shrinker try edited schedules (a decision
//! removed, a prefix kept) and see whether the failure survives.

use super::{DecisionKind, ReplayError, Schedule, Scheduler};
use crate::executor::{RunnableSet, TaskId};

/// A decision that asks for the default choice.
pub(crate) const DEFAULT: u32 = u32::MAX;

pub(crate) struct Guided {
    schedule: Schedule,
    next: usize,
    last: Option<TaskId>,
}

impl Guided {
    pub(crate) fn new(schedule: Schedule) -> Guided {
        Guided {
            schedule,
            next: 0,
            last: None,
        }
    }

    fn take(&mut self, options: usize) -> Option<usize> {
        let decision = self.schedule.decisions().get(self.next).copied();
        self.next += 1;
        decision
            .filter(|&d| d != DEFAULT && (d as usize) < options)
            .map(|d| d as usize)
    }
}

impl Scheduler for Guided {
    fn on_step(&mut self, task: TaskId) {
        self.last = Some(task);
    }

    fn pick_task(&mut self, runnable: &RunnableSet) -> Result<usize, ReplayError> {
        if let Some(pick) = self.take(runnable.len()) {
            return Ok(pick);
        }
        let stay = self
            .last
            .and_then(|last| (0..runnable.len()).find(|&i| runnable.get(i).id == last));
        Ok(stay.unwrap_or(0))
    }

    fn pick(&mut self, _kind: DecisionKind, options: usize) -> Result<usize, ReplayError> {
        Ok(self.take(options).unwrap_or(0))
    }
}
