//! What reports and callbacks say about a task: where in a run something happened, which task
//! it was, and how the task ended.

use std::fmt;
use std::panic::Location;
use std::time::Duration;

use super::TaskId;

/// A point in a run: which run (its seed), how many steps had been taken, and the virtual time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct RunPoint {
    /// The run's seed.
    pub seed: u64,
    /// Steps (task polls) taken so far.
    pub step: u64,
    /// Virtual time since the run began.
    pub time: Duration,
}

impl fmt::Display for RunPoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "step {}, t={:?}, seed {:#x}",
            self.step, self.time, self.seed
        )
    }
}

/// A task as reports name it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TaskInfo {
    /// The task's id.
    pub id: TaskId,
    /// The name given with [`task::Builder::name`](crate::task::Builder::name), if any.
    pub name: Option<String>,
    /// The source location that spawned the task.
    pub spawned_at: &'static Location<'static>,
}

impl fmt::Display for TaskInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.id)?;
        if let Some(name) = &self.name {
            write!(f, " \"{name}\"")?;
        }
        write!(f, " (spawned at {})", self.spawned_at)
    }
}

/// How a task finished.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// Its future returned a value.
    Returned,
    /// Its future panicked.
    Panicked,
    /// It was aborted and its future dropped.
    Cancelled,
}

/// What a done callback learns about the task.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct DoneInfo {
    /// The task that finished.
    pub id: TaskId,
    /// How it finished.
    pub outcome: Outcome,
}
