//! `Strategy::Pct`: probabilistic concurrency testing (Burckhardt et al., ASPLOS 2010).
//!
//! Every task gets a random priority when it is spawned, from a high band; the runnable task
//! with the highest priority always runs. At `depth - 1` change points, chosen uniformly among
//! the run's first `horizon` decisions, the task about to run drops to a low priority (each
//! change point lower than the last), letting another task overtake it. A bug that needs `d`
//! specific orderings is found with probability at least `1 / (n * k^(d-1))` per run, for `n`
//! tasks and `k` decisions, far better than a random walk for bugs that need one task to run
//! a long way ahead of another.
//!
//! Change points count *decisions* (steps with two or more runnable tasks), not all steps. The
//! horizon is the expected number of decisions. Across the runs of a check, PCT learns it from
//! one probe: the test's seed at [`PROBE_POSITION`] runs first, with the default horizon, and
//! [`horizon_from`] its count of task decisions is the horizon of every seed after it (the
//! probe is always the same run, so every seed gets the same horizon on any shard or thread,
//! and a replay by seed learns it again the same way). Tied timers are ordered uniformly at
//! random.

use super::Scheduler;
use super::rng::{SimRng, Stream};
use crate::executor::RunnableSet;
use crate::record::TaskId;
use crate::record::{DecisionKind, ReplayError};

/// The depth used when `pct` is named without one.
pub(crate) const DEFAULT_DEPTH: u32 = 3;

/// The horizon used when no earlier run has told how many decisions to expect.
pub(crate) const DEFAULT_HORIZON: u64 = 100;

/// The seed position whose run tells the horizon of the others.
pub(crate) const PROBE_POSITION: u64 = 0;

/// The horizon learned from a probe run that made `task_decisions` task decisions.
pub(crate) fn horizon_from(task_decisions: u64) -> u64 {
    task_decisions.max(1)
}

const HIGH_BAND: u64 = 1 << 63;

pub(crate) struct Pct {
    rng: SimRng,
    depth: u32,
    /// Priority of each task, indexed by task id (ids are dense, from 0).
    priorities: Vec<u64>,
    /// Decision indices at which the running task is demoted, ascending.
    change_points: Vec<u64>,
    applied: usize,
    decisions: u64,
}

impl Pct {
    pub(crate) fn new(seed: u64, depth: u32, horizon: u64) -> Pct {
        let depth = depth.max(1);
        let mut rng = SimRng::new(seed, Stream::Scheduler);
        let horizon = horizon.clamp(1, u64::from(u32::MAX));
        let wanted = (depth as usize - 1).min(horizon as usize);
        let mut change_points = Vec::with_capacity(wanted);
        while change_points.len() < wanted {
            let point = u64::from(rng.below(horizon as u32));
            if !change_points.contains(&point) {
                change_points.push(point);
            }
        }
        change_points.sort_unstable();
        Pct {
            rng,
            depth,
            priorities: Vec::new(),
            change_points,
            applied: 0,
            decisions: 0,
        }
    }

    fn priority(&self, id: TaskId) -> u64 {
        self.priorities
            .get(id.as_u64() as usize)
            .copied()
            .unwrap_or(0)
    }

    fn highest(&self, runnable: &RunnableSet) -> usize {
        (0..runnable.len())
            .max_by_key(|&i| self.priority(runnable.get(i).id))
            .expect("PCT asked to choose among no tasks")
    }
}

impl Scheduler for Pct {
    fn on_spawn(&mut self, id: TaskId) {
        let index = id.as_u64() as usize;
        if self.priorities.len() <= index {
            self.priorities.resize(index + 1, 0);
        }
        self.priorities[index] = HIGH_BAND | self.rng.next_u64();
    }

    fn pick_task(
        &mut self,
        runnable: &RunnableSet,
        _last: Option<TaskId>,
    ) -> Result<usize, ReplayError> {
        let decision = self.decisions;
        self.decisions += 1;
        let mut best = self.highest(runnable);
        if self.change_points.get(self.applied) == Some(&decision) {
            // Demote the task about to run below every task not yet demoted.
            let low = u64::from(self.depth) - 1 - self.applied as u64;
            let id = runnable.get(best).id.as_u64() as usize;
            self.priorities[id] = low;
            self.applied += 1;
            best = self.highest(runnable);
        }
        Ok(best)
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
