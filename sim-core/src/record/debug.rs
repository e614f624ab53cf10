//! Debug mode (`Builder::debug`, `SIM_DEBUG=1`): the counterpart of asyncio's debug mode.
//!
//! With debug mode on, a run measures the wall-clock time of every poll and notes the polls
//! slower than a threshold (a task that does not yield holds up the whole simulation), and
//! notes panics that were ignored (under [`UnobservedPanic::Ignore`](crate::UnobservedPanic))
//! and join handles dropped with a panic inside. At the end of each `block_on` it reports
//! those, and the tasks still pending ("leaked"), on stderr; [`Runtime::debug_report`]
//! returns the same report as a value. Spawn sites and the creation sites of `sim::sync`
//! primitives are recorded whether or not debug mode is on.
//!
//! [`Runtime::debug_report`]: crate::Runtime::debug_report

use std::fmt;
use std::time::Duration;

use super::TaskInfo;

/// The default slow-poll threshold.
pub const DEFAULT_SLOW_POLL: Duration = Duration::from_millis(100);

/// What debug mode noticed in a run.
///
/// ```
/// let mut rt = sim::Builder::new().debug(true).build();
/// rt.block_on(async {
///     let stuck = sim::task::Builder::new().name("stuck").spawn(std::future::pending::<()>());
///     drop(stuck); // detached and never finishing: a leaked task
/// }).unwrap();
/// let report = rt.debug_report();
/// assert_eq!(report.leaked[0].name.as_deref(), Some("stuck"));
/// assert!(report.to_string().contains("1 task(s) still pending"));
/// ```
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct DebugReport {
    /// Tasks still pending when the run's `block_on` returned, in id order.
    pub leaked: Vec<TaskInfo>,
    /// Polls slower (in wall-clock time) than the threshold.
    pub slow_polls: Vec<SlowPoll>,
    /// Panics nobody observed that did not fail the run (`UnobservedPanic::Ignore`): the task
    /// and its panic message.
    pub ignored_panics: Vec<(TaskInfo, String)>,
}

/// A poll that took longer than the slow-poll threshold.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct SlowPoll {
    /// The task polled.
    pub task: TaskInfo,
    /// Its step.
    pub step: u64,
    /// The virtual time.
    pub time: Duration,
    /// Wall-clock time the poll took.
    pub took: Duration,
}

impl DebugReport {
    /// Whether debug mode noticed nothing.
    ///
    /// ```
    /// assert!(sim::DebugReport::default().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.leaked.is_empty() && self.slow_polls.is_empty() && self.ignored_panics.is_empty()
    }
}

impl fmt::Display for DebugReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "sim debug report:")?;
        if !self.leaked.is_empty() {
            writeln!(
                f,
                "  {} task(s) still pending at the end of the run (leaked):",
                self.leaked.len()
            )?;
            for task in &self.leaked {
                writeln!(f, "    - {task}")?;
            }
        }
        for slow in &self.slow_polls {
            writeln!(
                f,
                "  slow poll: task {} took {:?} of wall-clock time at step {}, t={:?} (it does \
                 not yield, and holds up every other task)",
                slow.task, slow.took, slow.step, slow.time
            )?;
        }
        for (task, message) in &self.ignored_panics {
            writeln!(f, "  panic nobody observed: task {task}: {message}")?;
        }
        if self.is_empty() {
            writeln!(f, "  nothing to report")?;
        }
        Ok(())
    }
}
