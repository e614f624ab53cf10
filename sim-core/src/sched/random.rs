//! `Strategy::Random`: each choice uniform among its options, drawn from the seed.

use super::Scheduler;
use super::rng::{SimRng, Stream};
use crate::executor::RunnableSet;
use crate::record::TaskId;
use crate::record::{DecisionKind, ReplayError};

pub(crate) struct Random {
    rng: SimRng,
}

impl Random {
    pub(crate) fn new(seed: u64) -> Random {
        Random {
            rng: SimRng::new(seed, Stream::Scheduler),
        }
    }
}

impl Scheduler for Random {
    fn pick_task(
        &mut self,
        runnable: &RunnableSet,
        _last: Option<TaskId>,
    ) -> Result<usize, ReplayError> {
        Ok(self.rng.below(runnable.len() as u32) as usize)
    }

    fn pick(&mut self, _kind: DecisionKind, options: usize) -> Result<usize, ReplayError> {
        Ok(self.rng.below(options as u32) as usize)
    }

    fn pick_rare(
        &mut self,
        _kind: DecisionKind,
        options: usize,
        rare: f64,
    ) -> Result<usize, ReplayError> {
        Ok(self.rng.rare_pick(options as u32, rare) as usize)
    }
}
