//! The vocabulary of a run: plain records that every layer may use and that use nothing of the
//! crate above them.
//!
//! Invariant: files here import only `std`, each other and `crate::spare` (buffer recycling).
//! A record holds values, never a handle to a runtime: ids, where in a run something happened,
//! how a task ended, the event log, the schedule and its decisions, replay errors and debug
//! mode's report. Because they sit at the bottom, the executor, the schedulers, the engine and
//! the error reports can all name them without an import running upward (the layering test in
//! `tests/layering.rs` keeps it so).

mod debug;
mod decision;
mod event;
mod id;
mod instant;
mod schedule;
mod task;

pub use debug::{DEFAULT_SLOW_POLL, DebugReport, SlowPoll};
pub(crate) use decision::DecisionPoint;
pub use decision::{DecisionKind, ReplayError};
pub use event::{Event, EventKind};
pub use id::TaskId;
pub use instant::Instant;
pub use schedule::{ParseScheduleError, Schedule};
pub use task::{DoneInfo, Outcome, RunPoint, TaskInfo};
