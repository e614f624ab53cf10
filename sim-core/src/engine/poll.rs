//! Polling and cancelling a task, and what happens after: put it back, or complete it (wake its
//! joiner, run its callbacks, or drop it with its output and report a panic nobody observes).
//!
//! Invariant: a task's cell and waker are taken out of its entry for the poll, so user code runs
//! with the table released; both go back, or the task completes.

use std::task::{Context, Waker};

use crate::error::PanicReason;
use crate::executor::Phase;
use crate::executor::Ready;
use crate::executor::{AnyTask, TaskPoll};
use crate::record::{DoneInfo, EventKind, Outcome};

use super::Core;

/// What a step takes out of the task's entry while it polls or cancels the task (so user code
/// runs with the table released): its cell (`None` for the `block_on` future, which lives on
/// the caller's stack) and its waker. Both go back, or the task completes.
pub(crate) struct Taken {
    pub(crate) cell: Option<std::pin::Pin<Box<dyn AnyTask>>>,
    pub(crate) waker: Waker,
}

impl Core {
    /// Takes the cell and waker of the task a step is about to poll or cancel, and tells the
    /// watchdog, when one is armed, which step that is (three stores; here rather than in
    /// `next_step`, where they measured six instructions more a step in spilled registers;
    /// the task's spawn site was kept when it was spawned, which is rarer).
    /// Always inlined: as a call it measured 40 instructions a step more.
    #[inline(always)]
    pub(crate) fn take(&self, ready: Ready) -> Taken {
        let mut st = self.state.borrow_mut();
        if let Some(slot) = self.watch.get() {
            slot.step(st.steps, ready.id, ready.key);
        }
        let entry = st.tasks.entry(ready.key);
        let waker = entry
            .waker
            .take()
            .expect("a task's waker is in its entry between polls");
        self.polling.set((waker.data(), ready));
        Taken {
            cell: entry.cell.take(),
            waker,
        }
    }

    /// Polls a spawned task once.
    pub(crate) fn poll_task(&self, ready: Ready) {
        let Taken { cell, waker } = self.take(ready);
        let mut cell = cell.expect("a spawned task has its cell");
        let started = self.debug_clock();
        let result = self.in_task_span(ready, || {
            cell.as_mut()
                .poll_task(&mut Context::from_waker(&waker), ready.id)
        });
        if let Some(started) = started {
            self.note_poll(ready, started);
        }
        if let TaskPoll::Pending = result {
            // Most steps end here. The same as `finish_poll`'s pending arm, written out: a
            // shared helper measured 1.4 % more instructions per step.
            let mut st = self.state.borrow_mut();
            st.current = None;
            let entry = st.tasks.entry(ready.key);
            entry.cell = Some(cell);
            entry.waker = Some(waker);
            entry.phase = Phase::Idle;
            if entry.abort_requested {
                st.tasks.wake(ready);
            }
            return;
        }
        self.finish_poll(ready, Some(cell), waker, result);
    }

    /// Drops an aborted task's future.
    pub(crate) fn cancel_task(&self, ready: Ready) {
        let Taken { cell, waker } = self.take(ready);
        if let Some(slot) = self.watch.get() {
            slot.cancelling(ready.id);
        }
        let mut cell = cell.expect("a spawned task has its cell");
        let result = self.task_span(ready).in_scope(|| {
            tracing::debug!(target: "sim", "cancelled: future dropped");
            cell.as_mut().cancel(ready.id)
        });
        let outcome = match result {
            TaskPoll::Panicked(_) => Outcome::Panicked,
            _ => Outcome::Cancelled,
        };
        self.complete(ready, Some(cell), waker, result, outcome);
    }

    /// Puts a polled task back, or completes it.
    pub(crate) fn finish_poll(
        &self,
        ready: Ready,
        cell: Option<std::pin::Pin<Box<dyn AnyTask>>>,
        waker: Waker,
        result: TaskPoll,
    ) {
        match result {
            TaskPoll::Pending => {
                let mut st = self.state.borrow_mut();
                st.current = None;
                let entry = st.tasks.entry(ready.key);
                entry.cell = cell;
                entry.waker = Some(waker);
                entry.phase = Phase::Idle;
                if entry.abort_requested {
                    st.tasks.wake(ready);
                }
            }
            TaskPoll::Complete => self.complete(ready, cell, waker, result, Outcome::Returned),
            TaskPoll::Panicked(_) => self.complete(ready, cell, waker, result, Outcome::Panicked),
        }
    }

    pub(super) fn complete(
        &self,
        ready: Ready,
        cell: Option<std::pin::Pin<Box<dyn AnyTask>>>,
        waker: Waker,
        result: TaskPoll,
        outcome: Outcome,
    ) {
        match &result {
            TaskPoll::Panicked(message) => {
                tracing::debug!(target: "sim", task = %ready.id, message = %message, "panicked");
            }
            _ => tracing::debug!(target: "sim", task = %ready.id, ?outcome, "finished"),
        }
        let mut st = self.state.borrow_mut();
        st.current = None;
        st.record(EventKind::Finished {
            task: ready.id,
            outcome,
        });
        let entry = st.tasks.mark_done(ready.key, outcome);
        entry.waker = Some(waker);
        let drain = st.callbacks.task_done(DoneInfo {
            id: ready.id,
            outcome,
        });
        let entry = st.tasks.entry(ready.key);
        if entry.claims > 0 {
            entry.cell = cell;
            let join_waker = entry.join_waker.take();
            drop(st);
            if let Some(w) = join_waker {
                w.wake();
            }
        } else {
            let entry = st.tasks.remove(ready.key);
            if let TaskPoll::Panicked(message) = result {
                st.unobserved(ready.key, message, PanicReason::Detached);
            }
            drop(st);
            drop((entry, cell));
        }
        if drain {
            self.spawn_callback_drainer(ready.id);
        }
    }
}
