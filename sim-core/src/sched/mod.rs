//! Scheduling: the strategies that make every choice of a run, and the record of those choices.
//!
//! Two seams. Within a run, the [`Scheduler`] trait: the runtime asks it which runnable task to poll next,
//! and for every other choice a run makes (which of several timers due at the same instant
//! fires next, whether chaos mode makes a ready operation yield, which `select!` branch goes
//! first); it also tells it of each spawn and asks it at the end whether the run used up what
//! it expected (a replayed schedule). Each strategy
//! is one file. The runtime, not the strategy, records each decision into the [`Schedule`], and
//! only asks when there is a real choice (two or more options), so a strategy never sees, and a
//! schedule never stores, a forced step.
//!
//! Across the runs of one check, the [`Search`] trait: a strategy that learns from its runs
//! (exhaustive exploration, the shrinker) plans each run's guide from the record of the run
//! before, in its own file, and the checker only drives it. PCT's one cross-run fact, its
//! horizon, is learned in `pct.rs` from one probe run.
//!
//! | file | what |
//! |---|---|
//! | `strategy.rs` | the registry: [`Strategy`], its names, parsing and each run's scheduler |
//! | `random.rs`, `fifo.rs`, `pct.rs`, `replay.rs` | the per-run strategies |
//! | `guided.rs` | the lenient strategy the searches drive runs with |
//! | `search.rs` | the [`Search`] seam and the record of a run it learns from |
//! | `exhaustive.rs`, `shrink.rs` | the two searches |
//! | `rng.rs` | the stable generator every seeded choice draws from |

mod exhaustive;
mod fifo;
mod guided;
mod pct;
mod random;
mod replay;
mod rng;
mod search;
mod shrink;
mod strategy;

pub(crate) use exhaustive::Exhaustive;
pub(crate) use guided::GuideStep;
pub(crate) use pct::{PROBE_POSITION as PCT_PROBE_POSITION, horizon_from as pct_horizon_from};
pub(crate) use rng::{SimRng, Stream};
pub(crate) use search::{RunRecord, Search};
pub(crate) use shrink::{ShrinkBudget, Shrinker};
pub use strategy::{ParseStrategyError, Strategy};

use crate::executor::RunnableSet;
use crate::record::{DecisionKind, ReplayError, TaskId};

/// The seam between the run loop and a strategy.
///
/// Both methods are called only when there are at least two options, and must return an index
/// below the number of options.
pub(crate) trait Scheduler {
    /// A task was spawned (strategies that rank tasks assign its rank here).
    fn on_spawn(&mut self, _id: TaskId) {}

    /// Index into `runnable` (in its iteration order) of the task to poll next; `last` is the
    /// task polled at the previous step.
    fn pick_task(
        &mut self,
        runnable: &RunnableSet,
        last: Option<TaskId>,
    ) -> Result<usize, ReplayError>;

    /// Any other choice, among `options` (at least two): which of several tied timers fires
    /// next (in arming order), whether a ready operation yields in chaos mode (0 = proceeds,
    /// 1 = yields), which `select!` branch is polled first.
    fn pick(&mut self, kind: DecisionKind, options: usize) -> Result<usize, ReplayError>;

    /// A choice whose option 0 is the usual outcome and the others are rare: together they
    /// have probability `rare` (in `0.0..=1.0`) when the strategy draws at random. Strategies
    /// that do not draw (replay, guided, exhaustive, FIFO) treat it as [`pick`](Self::pick).
    fn pick_rare(
        &mut self,
        kind: DecisionKind,
        options: usize,
        _rare: f64,
    ) -> Result<usize, ReplayError> {
        self.pick(kind, options)
    }

    /// After a run ends normally: an error if the strategy expected more decisions.
    fn finish(&self) -> Result<(), ReplayError> {
        Ok(())
    }

    /// For a lenient replay: the first place the recorded decisions stopped fitting the run,
    /// which it went on past with default choices.
    fn divergence(&self) -> Option<ReplayError> {
        None
    }
}
