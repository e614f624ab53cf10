//! Teardown: every task dropped with the runtime current, until nothing is left.

use std::panic::{AssertUnwindSafe, catch_unwind};

use super::timer_queue::TimerQueue;

use super::Core;

impl Core {
    /// Drops every task, running destructors with this runtime current. Tasks spawned by
    /// those destructors are dropped too.
    pub(crate) fn teardown(&self) {
        // Tasks are dropped lowest slot first. A destructor that spawns puts its task in a
        // slot just emptied, behind the cursor: the cursor then starts again from slot 0, so
        // the order stays lowest slot first.
        let mut cursor = 0;
        loop {
            let (entry, left) = {
                let mut st = self.state.borrow_mut();
                let entry = st.tasks.remove_next(&mut cursor);
                (entry, st.tasks.len())
            };
            if let Some(entry) = entry {
                // A destructor that panics must not stop the teardown (the remaining tasks
                // would leak through their reference cycles), nor unwind out of `drop`.
                let _ = catch_unwind(AssertUnwindSafe(move || drop(entry)));
                if self.state.borrow().tasks.len() > left {
                    cursor = 0;
                }
                continue;
            }
            if let Some(locals) = self.locals.take_all() {
                let _ = catch_unwind(AssertUnwindSafe(move || drop(locals)));
            }
            let callbacks = std::mem::take(&mut self.state.borrow_mut().callbacks);
            let _ = catch_unwind(AssertUnwindSafe(move || drop(callbacks)));
            let timers =
                std::mem::replace(&mut self.state.borrow_mut().timers, TimerQueue::empty());
            if timers.is_empty() && self.state.borrow().tasks.len() == 0 {
                break;
            }
            // Dropping a waker may spawn a task: go round again until both are empty.
            let _ = catch_unwind(AssertUnwindSafe(move || drop(timers)));
        }
    }
}

impl Drop for Core {
    fn drop(&mut self) {
        self.state.get_mut().schedule.recycle();
    }
}
