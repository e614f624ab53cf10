//! The strategy registry: [`Strategy`], the table of names that `SIM_STRATEGY`, `Display` and
//! the `#[sim::test]` attribute all read, and the per-run [`Scheduler`] each strategy makes.
//! Adding a strategy: its own file, a variant here (with its row in the table, its
//! constructor and its scheduler), and a row in `docs/finding-bugs.md`.

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

/// Every strategy that has a name, in the order error messages list them. `SIM_STRATEGY`
/// (through [`FromStr`]), `Display` and the `#[sim::test]` attribute all read this table, so a
/// new strategy is named here once.
const NAMED: &[Named] = &[
    Named {
        name: "random",
        number: None,
    },
    Named {
        name: "fifo",
        number: None,
    },
    Named {
        name: "pct",
        number: Some(Number {
            what: "depth",
            default: pct::DEFAULT_DEPTH,
            min_in_text: 1,
        }),
    },
    Named {
        name: "exhaustive",
        number: Some(Number {
            what: "preemption bound",
            default: DEFAULT_MAX_PREEMPTIONS,
            min_in_text: 0,
        }),
    },
];

/// A named strategy, and the number it takes (`pct:N`, `depth = N`), if any.
struct Named {
    name: &'static str,
    number: Option<Number>,
}

/// What a strategy's number means.
struct Number {
    /// What the number is, as the attribute's error for a misplaced `depth` says (a unit test
    /// keeps that fixed message equal to this table).
    #[cfg_attr(not(test), expect(dead_code, reason = "read by the unit tests only"))]
    what: &'static str,
    /// The number when the name is given alone.
    default: u32,
    /// The least number the text form (`pct:N`) accepts.
    min_in_text: u32,
}

/// The strategy at `NAMED[index]` with `number` (ignored by strategies that take none).
const fn make(index: usize, number: u32) -> Strategy {
    match index {
        0 => Strategy::Random,
        1 => Strategy::Fifo,
        2 => Strategy::Pct { depth: number },
        3 => Strategy::Exhaustive {
            max_preemptions: number,
        },
        _ => panic!("a strategy of the table has no constructor"),
    }
}

/// The position of `name` in [`NAMED`].
const fn position(name: &str) -> Option<usize> {
    let mut i = 0;
    while i < NAMED.len() {
        if same(NAMED[i].name.as_bytes(), name.as_bytes()) {
            return Some(i);
        }
        i += 1;
    }
    None
}

const fn same(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

impl Strategy {
    /// The strategy `strategy = "name"` (and `depth = number`, if given) names in the
    /// `#[sim::test]` attribute, evaluated at compile time, so a wrong name is a compile error
    /// at the argument. Not a public API: the attribute expands to it.
    #[doc(hidden)]
    #[track_caller]
    pub const fn __from_attribute(name: &str, number: Option<u32>) -> Strategy {
        let Some(index) = position(name) else {
            panic!(
                "unknown strategy: `strategy = \"..\"` takes one of \"random\", \"fifo\", \"pct\", \"exhaustive\""
            );
        };
        match (&NAMED[index].number, number) {
            (Some(_), Some(number)) => make(index, number),
            (Some(n), None) => make(index, n.default),
            (None, None) => make(index, 0),
            (None, Some(_)) => panic!(
                "`depth` applies only with a strategy that takes a number: \"pct\" (its depth) \
                 or \"exhaustive\" (its preemption bound)"
            ),
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
        write!(f, "unknown strategy `{}`; expected one of: ", self.input)?;
        for (i, named) in NAMED.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            f.write_str(named.name)?;
            match &named.number {
                Some(n) if n.min_in_text > 0 => {
                    write!(f, ", {}:N (N >= {})", named.name, n.min_in_text)?
                }
                Some(_) => write!(f, ", {}:N", named.name)?,
                None => {}
            }
        }
        Ok(())
    }
}

impl std::error::Error for ParseStrategyError {}

impl FromStr for Strategy {
    type Err = ParseStrategyError;

    fn from_str(s: &str) -> Result<Strategy, ParseStrategyError> {
        let lower = s.trim().to_ascii_lowercase();
        let (name, number) = match lower.split_once(':') {
            Some((name, number)) => (name, Some(number)),
            None => (lower.as_str(), None),
        };
        let unknown = || ParseStrategyError {
            input: s.to_string(),
        };
        let index = position(name).ok_or_else(unknown)?;
        match (&NAMED[index].number, number) {
            (_, None) => Ok(make(
                index,
                NAMED[index].number.as_ref().map_or(0, |n| n.default),
            )),
            (Some(n), Some(text)) => match text.parse::<u32>() {
                Ok(number) if number >= n.min_in_text => Ok(make(index, number)),
                _ => Err(unknown()),
            },
            (None, Some(_)) => Err(unknown()),
        }
    }
}

/// The preemption bound of `exhaustive` without a number.
pub(crate) const DEFAULT_MAX_PREEMPTIONS: u32 = 2;

#[cfg(test)]
mod tests {
    use super::*;

    /// A panic in a `const fn` can only print a fixed string: these tests keep the attribute's
    /// fixed messages equal to the table.
    #[test]
    fn the_attributes_list_of_names_is_the_table() {
        let listed: Vec<String> = NAMED.iter().map(|n| format!("\"{}\"", n.name)).collect();
        let expected = format!("`strategy = \"..\"` takes one of {}", listed.join(", "));
        let panic = std::panic::catch_unwind(|| Strategy::__from_attribute("lifo", None))
            .expect_err("an unknown name panics");
        let message = panic.downcast_ref::<&str>().copied().unwrap_or_default();
        assert!(message.ends_with(&expected), "{message}");
    }

    #[test]
    fn the_attributes_depth_error_names_every_strategy_that_takes_a_number() {
        let numbered: Vec<String> = NAMED
            .iter()
            .filter_map(|n| Some(format!("\"{}\" (its {})", n.name, n.number.as_ref()?.what)))
            .collect();
        let panic = std::panic::catch_unwind(|| Strategy::__from_attribute("random", Some(1)))
            .expect_err("a number for a strategy without one panics");
        let message = panic.downcast_ref::<&str>().copied().unwrap_or_default();
        assert!(message.ends_with(&numbered.join(" or ")), "{message}");
    }

    #[test]
    fn every_named_strategy_has_a_constructor_and_round_trips_through_its_text() {
        for (index, named) in NAMED.iter().enumerate() {
            let number = named.number.as_ref().map_or(0, |n| n.default);
            let strategy = make(index, number);
            assert_eq!(strategy.name(), named.name);
            assert_eq!(strategy.to_string().parse::<Strategy>().unwrap(), strategy);
            assert_eq!(named.name.parse::<Strategy>().unwrap(), strategy);
            assert_eq!(Strategy::__from_attribute(named.name, None), strategy);
        }
    }

    #[test]
    fn numbers_follow_the_table() {
        assert_eq!(
            Strategy::__from_attribute("pct", Some(7)),
            Strategy::Pct { depth: 7 }
        );
        assert_eq!(
            "exhaustive:0".parse::<Strategy>().unwrap(),
            Strategy::Exhaustive { max_preemptions: 0 }
        );
        assert!("pct:0".parse::<Strategy>().is_err());
        assert!("random:3".parse::<Strategy>().is_err());
        assert!("pct:x".parse::<Strategy>().is_err());
        assert!(std::panic::catch_unwind(|| Strategy::__from_attribute("fifo", Some(2))).is_err());
    }
}
