//! `Strategy::Replay`: the decisions of a recorded schedule, checked against the program.
//!
//! Replay never bends a schedule to fit: a recorded index that is out of range for the options
//! the program offers, a program that needs more decisions than were recorded, or one that ends
//! with recorded decisions unused, is a [`ReplayError`].

use super::Scheduler;
use crate::executor::RunnableSet;
use crate::record::TaskId;
use crate::record::{DecisionKind, ReplayError, Schedule};

pub(crate) struct Replay {
    schedule: Schedule,
    next: usize,
}

impl Replay {
    pub(crate) fn new(schedule: Schedule) -> Replay {
        Replay { schedule, next: 0 }
    }

    fn take(&mut self, kind: DecisionKind, options: usize) -> Result<usize, ReplayError> {
        let index = self.next;
        let Some(chosen) = self.schedule.get(index) else {
            return Err(ReplayError::Exhausted {
                recorded: self.schedule.len(),
                kind,
                options,
            });
        };
        if chosen as usize >= options {
            return Err(ReplayError::OutOfRange {
                index,
                chosen,
                options,
                kind,
            });
        }
        self.next += 1;
        Ok(chosen as usize)
    }
}

impl Scheduler for Replay {
    fn pick_task(
        &mut self,
        runnable: &RunnableSet,
        _last: Option<TaskId>,
    ) -> Result<usize, ReplayError> {
        self.take(DecisionKind::Task, runnable.len())
    }

    fn pick(&mut self, kind: DecisionKind, options: usize) -> Result<usize, ReplayError> {
        self.take(kind, options)
    }

    fn finish(&self) -> Result<(), ReplayError> {
        let unused = self.schedule.len() - self.next;
        if unused > 0 {
            return Err(ReplayError::Unused {
                recorded: self.schedule.len(),
                unused,
            });
        }
        Ok(())
    }
}
