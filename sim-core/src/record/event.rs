//! The run's event log, kept when [`Builder::record_events`](crate::Builder::record_events) is on.

use std::time::Duration;

use super::{Outcome, TaskId};

/// One thing that happened in a run.
///
/// # Examples
///
/// ```
/// use sim::{Builder, EventKind};
///
/// let mut rt = Builder::new().seed(1).record_events(true).build();
/// rt.block_on(async { sim::spawn(async {}).await.unwrap() }).unwrap();
/// let spawns = rt.events().iter().filter(|e| matches!(e.kind, EventKind::Spawned { .. })).count();
/// assert_eq!(spawns, 2); // the block_on future and the child
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Event {
    /// Steps taken before this event (a poll event carries the number of its own step).
    pub step: u64,
    /// Virtual time of the event.
    pub time: Duration,
    /// What happened.
    pub kind: EventKind,
}

/// What an [`Event`] records.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum EventKind {
    /// A task was created.
    Spawned {
        /// The new task.
        task: TaskId,
        /// The task that spawned it (`None` for the `block_on` future).
        parent: Option<TaskId>,
        /// The task's name, if it has one.
        name: Option<String>,
    },
    /// A task was polled.
    Polled {
        /// The task.
        task: TaskId,
    },
    /// A task's future was dropped because of an abort.
    Cancelled {
        /// The task.
        task: TaskId,
    },
    /// A task finished.
    Finished {
        /// The task.
        task: TaskId,
        /// How it finished.
        outcome: Outcome,
    },
    /// The clock moved forward because nothing could run.
    ClockAdvanced {
        /// The new virtual time.
        to: Duration,
    },
    /// Timers due at the same instant fired; their count.
    TimersFired {
        /// How many timers fired.
        count: usize,
    },
}
