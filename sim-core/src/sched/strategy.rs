//! The strategy registry: [`Strategy`], its names as `SIM_STRATEGY` and the attribute spell
//! them, and the per-run [`Scheduler`] each makes. Adding a strategy: its own file, a variant
//! here (with its name, parsing and scheduler), and a row in `docs/finding-bugs.md`.

use std::fmt;
use std::str::FromStr;

use super::{Scheduler, fifo, guided, pct, random, replay};
use crate::record::Schedule;

/// How a run makes its scheduling choices.
///
/// The strategy decides which runnable task is polled next and every other choice of the run
/// (the order of timers due at the same virtual instant, chaos mode's yields, the first
/// `select!` branch). Every choice is recorded; see
/// [`Runtime::schedule`](crate::Runtime::schedule).
///
/// As text (the `SIM_STRATEGY` variable, [`FromStr`]): `random`, `fifo`, `pct` (depth 3),
/// `pct:N` (depth `N`), `exhaustive` (at most 2 preemptions) or `exhaustive:N`.
///
/// # Examples
///
/// ```
/// use sim::{Builder, Strategy};
///
/// let mut rt = Builder::new().seed(7).strategy(Strategy::Fifo).build();
/// let order = rt.block_on(async {
///     let a = sim::spawn(async { 1 });
///     let b = sim::spawn(async { 2 });
///     (a.await.unwrap(), b.await.unwrap())
/// });
/// assert_eq!(order.unwrap(), (1, 2));
/// assert_eq!("fifo".parse::<Strategy>().unwrap(), Strategy::Fifo);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Strategy {
    /// Uniformly random among the runnable tasks, drawn from the seed. The default.
    #[default]
    Random,
    /// The deterministic baseline: tasks run in the order they became runnable (new tasks in
    /// spawn order) and tied timers fire in the order they were armed. The seed is not used.
    Fifo,
    /// Probabilistic concurrency testing: random task priorities, highest runs, and
    /// `depth - 1` priority change points spread over the run. Finds bugs that need one task
    /// to run far ahead of others, which a uniform random walk rarely produces. A depth of 0
    /// acts as 1 (no change points).
    Pct {
        /// The number of ordering constraints the strategy aims to hit: a bug that needs `d`
        /// events in a specific order is targeted by depth `d`.
        depth: u32,
    },
    /// Every schedule with at most `max_preemptions` preemptions, depth first (for small
    /// tests). Under [`Check`](crate::check::Check) (and `#[sim::test]`) the seed list is
    /// replaced by the enumeration, run under one seed, and the check reports how many
    /// schedules it covered; it fails with a clear message if the space exceeds the budget
    /// ([`Check::max_schedules`](crate::check::Check::max_schedules)). A lone
    /// [`Runtime`](crate::Runtime) runs the first schedule of the enumeration (no preemption).
    Exhaustive {
        /// The most preemptions a schedule may have: switches away from a task that could
        /// have kept running.
        max_preemptions: u32,
    },
    /// Make exactly the decisions of a recorded schedule. A decision that does not fit the
    /// program (an index out of range, or more decisions needed than recorded) ends the run
    /// with [`SimError::Replay`](crate::SimError::Replay).
    Replay(Schedule),
}

impl Strategy {
    /// The strategy's name as accepted by `SIM_STRATEGY`.
    ///
    /// ```
    /// assert_eq!(sim::Strategy::Random.name(), "random");
    /// ```
    pub fn name(&self) -> &'static str {
        match self {
            Strategy::Random => "random",
            Strategy::Fifo => "fifo",
            Strategy::Pct { .. } => "pct",
            Strategy::Exhaustive { .. } => "exhaustive",
            Strategy::Replay(_) => "replay",
        }
    }

    pub(crate) fn scheduler(
        &self,
        seed: u64,
        horizon: Option<u64>,
        guide: Option<&[guided::GuideStep]>,
    ) -> Box<dyn Scheduler> {
        if let Some(steps) = guide {
            return Box::new(guided::Guided::new(steps.to_vec()));
        }
        match self {
            Strategy::Random => Box::new(random::Random::new(seed)),
            Strategy::Fifo => Box::new(fifo::Fifo),
            Strategy::Pct { depth } => Box::new(pct::Pct::new(
                seed,
                *depth,
                horizon.unwrap_or(pct::DEFAULT_HORIZON),
            )),
            Strategy::Replay(schedule) => Box::new(replay::Replay::new(schedule.clone())),
            Strategy::Exhaustive { .. } => Box::new(guided::Guided::new(Vec::new())),
        }
    }
}

impl fmt::Display for Strategy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Strategy::Replay(schedule) => write!(f, "replay({schedule})"),
            Strategy::Pct { depth } => write!(f, "pct:{depth}"),
            Strategy::Exhaustive { max_preemptions } => write!(f, "exhaustive:{max_preemptions}"),
            other => f.write_str(other.name()),
        }
    }
}

/// Why a string does not name a [`Strategy`].
///
/// ```
/// let err = "lifo".parse::<sim::Strategy>().unwrap_err();
/// assert_eq!(
///     err.to_string(),
///     "unknown strategy `lifo`; expected one of: random, fifo, pct, pct:N (N >= 1), \
///      exhaustive, exhaustive:N"
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseStrategyError {
    input: String,
}

impl fmt::Display for ParseStrategyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown strategy `{}`; expected one of: random, fifo, pct, pct:N (N >= 1), \
             exhaustive, exhaustive:N",
            self.input
        )
    }
}

impl std::error::Error for ParseStrategyError {}

impl FromStr for Strategy {
    type Err = ParseStrategyError;

    fn from_str(s: &str) -> Result<Strategy, ParseStrategyError> {
        let lower = s.trim().to_ascii_lowercase();
        match lower.as_str() {
            "random" => Ok(Strategy::Random),
            "fifo" => Ok(Strategy::Fifo),
            "pct" => Ok(Strategy::Pct {
                depth: pct::DEFAULT_DEPTH,
            }),
            "exhaustive" => Ok(Strategy::Exhaustive {
                max_preemptions: DEFAULT_MAX_PREEMPTIONS,
            }),
            other => {
                if let Some(Ok(depth)) = other.strip_prefix("pct:").map(str::parse::<u32>)
                    && depth >= 1
                {
                    return Ok(Strategy::Pct { depth });
                }
                match other.strip_prefix("exhaustive:").map(str::parse::<u32>) {
                    Some(Ok(max_preemptions)) => Ok(Strategy::Exhaustive { max_preemptions }),
                    _ => Err(ParseStrategyError {
                        input: s.to_string(),
                    }),
                }
            }
        }
    }
}

/// The preemption bound of `exhaustive` without a number.
pub(crate) const DEFAULT_MAX_PREEMPTIONS: u32 = 2;
