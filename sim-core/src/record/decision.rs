//! Decisions: what each is about, how one is traced for exhaustive exploration, and why a
//! recorded schedule can fail to replay.

use std::fmt;

use super::TaskId;

/// What a decision is about; carried in replay errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecisionKind {
    /// Which runnable task is polled next.
    Task,
    /// Which of several timers due at the same instant fires next.
    Timer,
    /// Whether a ready operation yields once anyway (chaos mode).
    Chaos,
    /// Which branch of a `select!` is polled first.
    Select,
    /// Whether the simulated network drops or copies a message (`sim::net`); 0 is "delivered
    /// once", the choice shrinking pulls toward.
    Net,
}

impl fmt::Display for DecisionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DecisionKind::Task => "which task runs next",
            DecisionKind::Timer => "which tied timer fires next",
            DecisionKind::Chaos => "whether a ready operation yields (chaos mode)",
            DecisionKind::Select => "which select! branch is polled first",
            DecisionKind::Net => "whether the network drops or copies a message",
        })
    }
}

/// One decision of a run, as exhaustive exploration needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct DecisionPoint {
    pub(crate) kind: DecisionKind,
    pub(crate) chosen: u32,
    pub(crate) options: u32,
    /// For a task decision: the option that keeps the previously polled task running, if it
    /// was runnable. Any other choice is a preemption.
    pub(crate) stay: Option<u32>,
    /// For a task decision: the task chosen.
    pub(crate) task: Option<TaskId>,
}

/// A replayed schedule does not fit the program being run.
///
/// This means the program (or its inputs) changed since the schedule was recorded.
///
/// ```
/// use sim::{Builder, SimError, Strategy};
///
/// // Decision 0 asks for option 5, but only two tasks are runnable.
/// let schedule = "v1:5".parse().unwrap();
/// let mut rt = Builder::new().strategy(Strategy::Replay(schedule)).build();
/// let err = rt
///     .block_on(async {
///         let a = sim::spawn(async {});
///         a.await.unwrap();
///     })
///     .unwrap_err();
/// assert!(matches!(err, SimError::Replay(_)), "{err}");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ReplayError {
    /// The recorded decision at `index` chose option `chosen`, but the program offered only
    /// `options`.
    OutOfRange {
        /// Position of the decision in the schedule, from 0.
        index: usize,
        /// The option the schedule recorded.
        chosen: u32,
        /// How many options the program offered.
        options: usize,
        /// What the decision was about.
        kind: DecisionKind,
    },
    /// The program needed another decision after all `recorded` ones were used.
    Exhausted {
        /// How many decisions the schedule holds.
        recorded: usize,
        /// What the missing decision was about.
        kind: DecisionKind,
        /// How many options it had.
        options: usize,
    },
    /// The program finished with `unused` of the `recorded` decisions left over.
    Unused {
        /// How many decisions the schedule holds.
        recorded: usize,
        /// How many of them were never needed.
        unused: usize,
    },
}

impl fmt::Display for ReplayError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReplayError::OutOfRange {
                index,
                chosen,
                options,
                kind,
            } => write!(
                f,
                "decision {index} of the schedule chooses option {chosen} for {kind}, but the \
                 program offers only {options} (options 0..{options})"
            ),
            ReplayError::Exhausted {
                recorded,
                kind,
                options,
            } => write!(
                f,
                "the schedule's {recorded} decisions are used up, but the program needs another \
                 ({kind}, {options} options)"
            ),
            ReplayError::Unused { recorded, unused } => write!(
                f,
                "the program finished with {unused} of the schedule's {recorded} decisions unused"
            ),
        }
    }
}

impl std::error::Error for ReplayError {}
