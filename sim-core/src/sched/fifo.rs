//! `Strategy::Fifo`: always the first option, so tasks run in the order they became runnable
//! and tied timers fire in the order they were armed.

use super::Scheduler;
use crate::executor::RunnableSet;
use crate::record::TaskId;
use crate::record::{DecisionKind, ReplayError};

pub(crate) struct Fifo;

impl Scheduler for Fifo {
    fn pick_task(
        &mut self,
        _runnable: &RunnableSet,
        _last: Option<TaskId>,
    ) -> Result<usize, ReplayError> {
        Ok(0)
    }

    fn pick(&mut self, _kind: DecisionKind, _options: usize) -> Result<usize, ReplayError> {
        Ok(0)
    }
}
