//! What join handles ask of the engine: take the output or register a waker, add or drop a
//! claim, request an abort, and whether (and in which order) a task finished.

use std::any::Any;
use std::task::{Context, Poll};

use crate::error::PanicReason;
use crate::executor::Phase;
use crate::executor::Ready;

use super::Core;

impl Core {
    /// Takes the task's output into `dst` if it finished; otherwise registers `cx`'s waker.
    pub(crate) fn poll_join(
        &self,
        ready: Ready,
        cx: &mut Context<'_>,
        dst: &mut dyn Any,
    ) -> Poll<()> {
        let mut st = self.state.borrow_mut();
        let entry = st
            .tasks
            .get_mut(ready.key, ready.id)
            .expect("a joined task stays in the table");
        if entry.phase != Phase::Done {
            if entry
                .join_waker
                .as_ref()
                .is_some_and(|w| w.will_wake(cx.waker()))
            {
                return Poll::Pending;
            }
            // Cloning and dropping wakers may run user code: not under the borrow.
            drop(st);
            let waker = cx.waker().clone();
            let mut st = self.state.borrow_mut();
            let entry = st
                .tasks
                .get_mut(ready.key, ready.id)
                .expect("still in the table");
            let old = entry.join_waker.replace(waker);
            drop(st);
            drop(old);
            return Poll::Pending;
        }
        if let Some(cell) = entry.cell.as_mut() {
            cell.as_mut().take_output(dst);
        }
        entry.claims -= 1;
        if entry.claims == 0 {
            let entry = st.tasks.remove(ready.key);
            drop(st);
            drop(entry);
        }
        Poll::Ready(())
    }

    /// Another join handle for the same task (for a task group). `false` if the task is gone.
    pub(crate) fn add_claim(&self, ready: Ready) -> bool {
        let mut st = self.state.borrow_mut();
        match st.tasks.get_mut(ready.key, ready.id) {
            Some(entry) => {
                entry.claims += 1;
                true
            }
            None => false,
        }
    }

    /// A join handle was dropped without taking the output.
    pub(crate) fn detach(&self, ready: Ready) {
        let mut st = self.state.borrow_mut();
        let Some(entry) = st.tasks.get_mut(ready.key, ready.id) else {
            return;
        };
        entry.claims -= 1;
        if entry.claims > 0 {
            return;
        }
        if entry.phase != Phase::Done {
            let join_waker = entry.join_waker.take();
            drop(st);
            drop(join_waker);
            return;
        }
        let entry = st.tasks.remove(ready.key);
        let message = entry.cell.as_ref().and_then(|c| c.as_ref().panic_message());
        if let Some(message) = message {
            st.unobserved(ready.key, message, PanicReason::HandleDropped);
        }
        drop(st);
        drop(entry);
    }

    /// Requests that a task be cancelled at its next scheduling point.
    pub(crate) fn abort(&self, ready: Ready) {
        let mut st = self.state.borrow_mut();
        let Some(entry) = st.tasks.get_mut(ready.key, ready.id) else {
            return;
        };
        if entry.phase == Phase::Done || entry.abort_requested {
            return;
        }
        entry.abort_requested = true;
        st.tasks.wake(ready);
        drop(st);
        tracing::debug!(target: "sim", task = %ready.id, "abort requested");
    }

    /// The task's place in the run's completion order, once it has finished.
    pub(crate) fn finish_order(&self, ready: Ready) -> Option<u64> {
        self.state
            .borrow()
            .tasks
            .get(ready.key, ready.id)
            .map(|e| u64::from(e.finished))
            .filter(|&order| order > 0)
    }

    pub(crate) fn is_finished(&self, ready: Ready) -> bool {
        let st = self.state.borrow();
        st.tasks
            .get(ready.key, ready.id)
            .is_none_or(|e| e.phase == Phase::Done)
    }
}
