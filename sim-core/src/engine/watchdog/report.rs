//! What the watchdog prints about a stuck step.

use std::fmt::{self, Write as _};
use std::panic::Location;
use std::time::Duration;

use super::{EXIT_STATUS, Label};
use crate::record::TaskId;

/// What the watchdog prints about one stuck step.
pub(super) struct Report {
    pub(super) budget: Duration,
    pub(super) stuck: Duration,
    pub(super) id: TaskId,
    pub(super) cancel: bool,
    pub(super) site: Option<&'static Location<'static>>,
    pub(super) step: u64,
    pub(super) time: Duration,
    pub(super) seed: u64,
    pub(super) label: Option<Label>,
    pub(super) thread: Option<String>,
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = if self.cancel {
            "dropping an aborted task's future"
        } else {
            "a poll"
        };
        match (&self.label, &self.thread) {
            (Some(label), _) => write!(f, "sim: test `{}` failed: ", label.0.test)?,
            (None, Some(thread)) => write!(f, "sim: watchdog, on thread `{thread}`: ")?,
            (None, None) => write!(f, "sim: watchdog: ")?,
        }
        writeln!(
            f,
            "{what} did not return within the watchdog's budget of {:?}",
            self.budget
        )?;
        // Task 0 is always the `block_on` future, which the checker runs as "main".
        let name = if self.id == TaskId(0) {
            " \"main\""
        } else {
            ""
        };
        let mut task = format!("{}{name}", self.id);
        if let Some(site) = self.site {
            let _ = write!(task, " (spawned at {site})");
        }
        let millis = Duration::from_millis(self.stuck.as_millis() as u64);
        writeln!(f, "  task:     {task}, in this step for {millis:?}")?;
        writeln!(f, "  at:       step {}, t={:?}", self.step, self.time)?;
        writeln!(f, "  seed:     {:#x}", self.seed)?;
        if let Some(thread) = &self.thread {
            writeln!(f, "  thread:   {thread}")?;
        }
        if let Some(label) = &self.label {
            writeln!(f, "  replay:   {}", (label.0.replay)(self.seed))?;
        }
        write!(
            f,
            "  A step that does not return holds the simulation's only thread: a busy loop, a \
             blocking call\n  (std::thread::sleep, a blocking lock or I/O) or a nested \
             `block_on` inside async code. It\n  cannot be interrupted, so the process ends \
             here with status {EXIT_STATUS}, and the other tests of this\n  binary stop with \
             it. A step that is only slow: raise the budget (SIM_WATCHDOG=30s,\n  \
             `Builder::watchdog`) or turn the watchdog off (SIM_WATCHDOG=off)."
        )
    }
}
