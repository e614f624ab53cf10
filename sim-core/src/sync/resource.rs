//! What a blocked task waits on, for deadlock reports.
//!
//! Every primitive carries a [`Resource`]: its kind and where it was created, and (for locks
//! and semaphores) which tasks hold it. A waiter list registers each waiting task with the
//! runtime against its resource while the task waits, so a deadlock report can say, for each
//! blocked task, what it waits on and who holds that — and find the cycle of a lock-order
//! deadlock.

use std::cell::RefCell;
use std::fmt;
use std::panic::Location;
use std::rc::Rc;

use crate::engine::{WaitTarget, context};
use crate::record::TaskId;

/// A primitive as deadlock reports name it.
#[derive(Debug)]
pub(crate) struct Resource {
    kind: &'static str,
    site: &'static Location<'static>,
    holders: RefCell<Vec<TaskId>>,
}

impl Resource {
    pub(crate) fn new(kind: &'static str, site: &'static Location<'static>) -> Rc<Resource> {
        Rc::new(Resource {
            kind,
            site,
            holders: RefCell::new(Vec::new()),
        })
    }

    /// The running task now holds the resource; returns it, to pass to [`Resource::release`].
    pub(crate) fn hold(&self) -> Option<TaskId> {
        let task = context::current_task()?;
        self.holders.borrow_mut().push(task);
        Some(task)
    }

    /// `holder` (as returned by [`Resource::hold`]) no longer holds the resource.
    pub(crate) fn release(&self, holder: Option<TaskId>) {
        let Some(task) = holder else { return };
        let mut holders = self.holders.borrow_mut();
        if let Some(at) = holders.iter().position(|&t| t == task) {
            holders.swap_remove(at);
        }
    }

    /// The tasks holding the resource, in id order.
    pub(crate) fn holders(&self) -> Vec<TaskId> {
        let mut holders = self.holders.borrow().clone();
        holders.sort_unstable();
        holders.dedup();
        holders
    }

    /// Registers the running task as waiting on `resource`; returns the task.
    pub(crate) fn wait(resource: &Rc<Resource>) -> Option<TaskId> {
        let core = context::try_core()?;
        let task = core.current_task()?;
        core.register_wait(task, Rc::clone(resource) as Rc<dyn WaitTarget>);
        Some(task)
    }

    /// `task` (as returned by [`Resource::wait`]) no longer waits.
    pub(crate) fn stop_waiting(task: Option<TaskId>) {
        if let (Some(task), Some(core)) = (task, context::try_core()) {
            core.clear_wait(task);
        }
    }
}

impl WaitTarget for Resource {
    fn holders(&self) -> Vec<TaskId> {
        Resource::holders(self)
    }
}

impl fmt::Display for Resource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} created at {}", self.kind, self.site)
    }
}
