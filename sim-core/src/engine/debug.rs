//! Debug mode's measurements (slow polls) and the per-task tracing span.

use crate::executor::Phase;
use crate::executor::Ready;
use crate::record::{DebugReport, SlowPoll};

use super::Core;

impl Core {
    /// In debug mode, the wall-clock time a poll starts at.
    #[inline]
    pub(crate) fn debug_clock(&self) -> Option<std::time::Instant> {
        self.slow_poll.map(|_| std::time::Instant::now())
    }

    /// In debug mode, notes a poll that took longer than the threshold.
    pub(crate) fn note_poll(&self, ready: Ready, started: std::time::Instant) {
        let took = started.elapsed();
        let mut st = self.state.borrow_mut();
        if st.config.debug.is_some_and(|threshold| took > threshold) {
            if st.tasks.get(ready.key, ready.id).is_none() {
                return;
            }
            let slow = SlowPoll {
                task: st.tasks.info(ready.key),
                step: st.steps,
                time: st.now.since_start(),
                took,
            };
            st.debug.slow_polls.push(slow);
        }
    }

    /// Debug mode's report: what it noticed so far, and the tasks pending now.
    pub(crate) fn debug_report(&self) -> DebugReport {
        let st = self.state.borrow();
        let mut report = st.debug.clone();
        report.leaked = st.tasks.infos(|e| e.phase != Phase::Done);
        report
    }

    pub(crate) fn debug_on(&self) -> bool {
        self.slow_poll.is_some()
    }

    /// Runs `poll` (one poll of task `ready`) inside the task's span when `sim`'s debug events
    /// are on; otherwise just runs it, so a run without a subscriber pays one interest check.
    #[inline]
    pub(crate) fn in_task_span<R>(&self, ready: Ready, poll: impl FnOnce() -> R) -> R {
        if tracing::enabled!(target: "sim", tracing::Level::DEBUG) {
            self.task_span(ready).in_scope(|| {
                tracing::trace!(target: "sim", "poll");
                poll()
            })
        } else {
            poll()
        }
    }

    /// The span a task's poll runs in, so the task's own events appear inside it.
    pub(crate) fn task_span(&self, ready: Ready) -> tracing::Span {
        if !tracing::enabled!(target: "sim", tracing::Level::DEBUG) {
            return tracing::Span::none();
        }
        let name = self
            .state
            .borrow()
            .tasks
            .cold(ready.key, ready.id)
            .and_then(|c| c.name.clone());
        tracing::debug_span!(target: "sim", "task", id = %ready.id, name = name.as_deref())
    }
}
