//! Why a run failed: [`SimError`] and the report carried by each of its variants.
//!
//! Every report says where in the run it happened (a [`RunPoint`]: seed, step, virtual time)
//! and names the tasks involved by id and name, so a failure can be replayed and read.

mod deadlock;

use std::fmt;
use std::time::Duration;

use crate::record::{Event, ReplayError, RunPoint, TaskId, TaskInfo};

pub(crate) use deadlock::find_cycle;
pub use deadlock::{BlockedOn, Deadlock, WakerHeld};

/// Why a run did not produce its result.
///
/// `Display` gives a one-paragraph report that names the seed and the tasks involved.
///
/// # Examples
///
/// ```
/// use sim::{Runtime, SimError};
///
/// let err = Runtime::new(3)
///     .block_on(async { std::future::pending::<()>().await })
///     .unwrap_err();
/// match &err {
///     SimError::Deadlock(d) => assert_eq!(d.blocked[0].id.as_u64(), 0),
///     other => panic!("unexpected: {other}"),
/// }
/// assert!(err.to_string().contains("seed 0x3"), "{err}");
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum SimError {
    /// Nothing could run and no timer was pending, but the `block_on` future had not finished.
    Deadlock(Deadlock),
    /// The run took more steps than [`Builder::max_steps`](crate::Builder::max_steps) allows.
    StepLimit(StepLimit),
    /// Virtual time would pass [`Builder::max_time`](crate::Builder::max_time).
    TimeLimit(TimeLimit),
    /// A task panicked and nobody observed it through its join handle, or the `block_on`
    /// future itself panicked.
    Panicked(Panicked),
    /// Something outside the seed's control influenced the run.
    NonDeterminism(NonDeterminism),
    /// A replayed schedule does not fit the program.
    Replay(ReplayMismatch),
}

impl SimError {
    /// Where in the run the failure happened.
    ///
    /// ```
    /// let err = sim::Runtime::new(0)
    ///     .block_on(std::future::pending::<()>())
    ///     .unwrap_err();
    /// assert_eq!(err.at().step, 1);
    /// ```
    pub fn at(&self) -> RunPoint {
        match self {
            SimError::Deadlock(e) => e.at,
            SimError::StepLimit(e) => e.at,
            SimError::TimeLimit(e) => e.at,
            SimError::Panicked(e) => e.at,
            SimError::NonDeterminism(e) => e.at,
            SimError::Replay(e) => e.at,
        }
    }
}

impl fmt::Display for SimError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SimError::Deadlock(e) => e.fmt(f),
            SimError::StepLimit(e) => e.fmt(f),
            SimError::TimeLimit(e) => e.fmt(f),
            SimError::Panicked(e) => e.fmt(f),
            SimError::NonDeterminism(e) => e.fmt(f),
            SimError::Replay(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for SimError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            SimError::Replay(e) => Some(&e.error),
            _ => None,
        }
    }
}

/// The run reached its step limit.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct StepLimit {
    /// Where the run stopped.
    pub at: RunPoint,
    /// The limit that was reached.
    pub max_steps: u64,
    /// The task that would have run next.
    pub next: TaskInfo,
}

impl fmt::Display for StepLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "step limit of {} reached at {}; task {} was about to run again (a task that never \
             stops yielding, or a run longer than expected: raise `max_steps`)",
            self.max_steps, self.at, self.next
        )
    }
}

/// Virtual time would have passed the run's limit.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct TimeLimit {
    /// Where the run stopped (its time is the last instant reached within the limit).
    pub at: RunPoint,
    /// The limit.
    pub max_time: Duration,
    /// The virtual time the run was about to move to.
    pub next_time: Duration,
}

impl fmt::Display for TimeLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "time limit of {:?} reached at {}: the next event is at t={:?}",
            self.max_time, self.at, self.next_time
        )
    }
}

/// A task panicked and the panic was not observed.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Panicked {
    /// Where the run stopped.
    pub at: RunPoint,
    /// The task that panicked.
    pub task: TaskInfo,
    /// The panic message (`<non-string panic payload>` when it was not a string).
    pub message: String,
    /// Why this panic fails the run.
    pub reason: PanicReason,
}

/// Why a panic fails the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PanicReason {
    /// The `block_on` future itself panicked.
    MainTask,
    /// The task's join handle had been dropped, so no one can observe the panic.
    Detached,
    /// The join handle was dropped without taking the panic out.
    HandleDropped,
}

impl fmt::Display for Panicked {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let why = match self.reason {
            PanicReason::MainTask => "",
            PanicReason::Detached => " (its join handle was dropped, so nobody observed it)",
            PanicReason::HandleDropped => " (its join handle was dropped without awaiting it)",
        };
        write!(
            f,
            "task {} panicked at {}{}: {}",
            self.task, self.at, why, self.message
        )
    }
}

/// Something outside the seed's control influenced the run.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct NonDeterminism {
    /// Where the run stopped.
    pub at: RunPoint,
    /// What happened.
    pub kind: NonDeterminismKind,
}

/// What kind of outside influence was detected.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum NonDeterminismKind {
    /// A task's waker was used from another thread, at a moment no seed controls.
    ForeignWake {
        /// The task that was woken.
        task: TaskId,
        /// The thread that woke it.
        thread: String,
    },
    /// Two runs of the same seed diverged (the determinism check): event number `index` of
    /// the first run differs from the second's. `None` means that run had no such event.
    Divergence {
        /// Position of the first differing event in the event log.
        index: usize,
        /// That event in the first run.
        first: Option<Box<Event>>,
        /// That event in the second run.
        second: Option<Box<Event>>,
    },
}

impl fmt::Display for NonDeterminism {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            NonDeterminismKind::ForeignWake { task, thread } => write!(
                f,
                "nondeterminism at {}: task {task} was woken from thread {thread}, outside the \
                 simulation; wakes from other threads arrive at times no seed controls, so this \
                 run cannot be reproduced",
                self.at
            ),
            NonDeterminismKind::Divergence {
                index,
                first,
                second,
            } => {
                let show = |e: &Option<Box<Event>>| match e {
                    Some(e) => format!("step {}, t={:?}: {:?}", e.step, e.time, e.kind),
                    None => "(no such event: the run ended)".to_string(),
                };
                // Equal events (or none) at the index: the runs parted in how they ended, or in
                // an event whose difference did not recur when the seed was re-run with logs.
                let second_shown = if first == second {
                    "the same; the runs parted in how they ended, or in an event that did not \
                     differ again when the seed was re-run with a full log"
                        .to_string()
                } else {
                    show(second)
                };
                write!(
                    f,
                    "nondeterminism: two runs of seed {:#x} diverged at event {index}\n  first run:  \
                     {}\n  second run: {}\nsomething outside the seed (a global or thread-local \
                     counter, the wall clock, process-seeded randomness, `futures::select!`) \
                     changed what the program did",
                    self.at.seed,
                    show(first),
                    second_shown
                )
            }
        }
    }
}

/// A replayed schedule stopped fitting the program.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ReplayMismatch {
    /// Where the run stopped.
    pub at: RunPoint,
    /// How the schedule and the program disagree.
    pub error: ReplayError,
}

impl fmt::Display for ReplayMismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "replayed schedule does not fit the program at {}: {} (the program or its inputs \
             changed since the schedule was recorded)",
            self.at, self.error
        )
    }
}
