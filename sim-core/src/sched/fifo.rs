//! `Strategy::Fifo`: always the first option, so tasks run in the order they became runnable
//! and tied timers fire in the order they were armed.

use super::{ReplayError, Scheduler};
use crate::executor::RunnableSet;

pub(crate) struct Fifo;

impl Scheduler for Fifo {
    fn pick_task(&mut self, _runnable: &RunnableSet) -> Result<usize, ReplayError> {
        Ok(0)
    }

    fn pick_timer(&mut self, _tied: usize) -> Result<usize, ReplayError> {
        Ok(0)
    }

    fn pick_chaos(&mut self) -> Result<usize, ReplayError> {
        Ok(0)
    }
}
