//! `Strategy::Replay`: the decisions of a recorded schedule, checked against the program.
//!
//! Replay never bends a schedule to fit: a recorded index that is out of range for the options
//! the program offers, a program that needs more decisions than were recorded, or one that ends
//! with recorded decisions unused, is a [`ReplayError`].

use std::fmt;

use super::{DecisionKind, Schedule, Scheduler};
use crate::executor::{RunnableSet, TaskId};

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
