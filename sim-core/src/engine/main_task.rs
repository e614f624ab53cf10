//! The `block_on` future's own entry: it lives on the caller's stack, so its end (returned,
//! panicked, or abandoned when the run stopped) is handled apart from spawned tasks.

use std::task::Waker;

use crate::error::{PanicReason, SimError};
use crate::executor::Ready;
use crate::record::{EventKind, Outcome};

use super::Core;

impl Core {
    /// After the `block_on` future returned or panicked: removes its entry.
    pub(crate) fn finish_main(&self, ready: Ready, waker: Waker, outcome: Outcome) {
        let mut st = self.state.borrow_mut();
        st.current = None;
        st.record(EventKind::Finished {
            task: ready.id,
            outcome,
        });
        let entry = st.tasks.remove(ready.key);
        drop(st);
        drop((entry, waker));
    }

    /// The failure for a panicking `block_on` future (just finished, in slot `ready.key`).
    pub(crate) fn main_panicked(&self, ready: Ready, message: String) -> SimError {
        self.state
            .borrow()
            .panicked(ready.key, message, PanicReason::MainTask)
    }

    /// Removes the `block_on` future's entry after the run stopped with an error.
    pub(crate) fn abandon_main(&self, ready: Ready) {
        let entry = {
            let mut st = self.state.borrow_mut();
            st.current = None;
            st.tasks.unqueue(ready);
            st.tasks
                .get(ready.key, ready.id)
                .is_some()
                .then(|| st.tasks.remove(ready.key))
        };
        drop(entry);
    }

    /// Called when the `block_on` future finished: any pending failure still counts, and a
    /// replayed schedule must have been used up.
    pub(crate) fn end_of_run(&self) -> Result<(), SimError> {
        let mut st = self.state.borrow_mut();
        if let Some(failure) = st.failure.take() {
            return Err(failure);
        }
        if let Err(e) = st.scheduler.finish() {
            return Err(st.replay_error(e));
        }
        Ok(())
    }
}
