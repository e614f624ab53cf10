//! [`Waiting`]: how any primitive, sim's or a third party's, tells the deadlock report what a
//! blocked task waits on.

use std::fmt;
use std::rc::Rc;

use crate::engine::{WaitTarget, context};
use crate::record::TaskId;

/// While it lives, the running task counts as waiting on `target`: if the run deadlocks, the
/// report names the target (and its holders) for this task. Make one when a poll is about to
/// return `Pending` because of the target, and drop it once the wait is over.
///
/// A task may wait on several targets at once (the branches of a `select!`): each `Waiting`
/// adds its target to the task's waits, and dropping it removes that one and no other. Outside
/// a task of a run, a `Waiting` does nothing.
///
/// # Examples
///
/// ```
/// use std::fmt;
/// use std::rc::Rc;
/// use sim::sync::{WaitTarget, Waiting};
///
/// struct Door(&'static str);
///
/// impl fmt::Display for Door {
///     fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
///         write!(f, "door {}", self.0)
///     }
/// }
///
/// impl WaitTarget for Door {}
///
/// let err = sim::Runtime::new(0)
///     .block_on(async {
///         let waiting = Waiting::new(Rc::new(Door("A")));
///         drop(waiting); // no longer waiting on A...
///         let _waiting = Waiting::new(Rc::new(Door("B")));
///         std::future::pending::<()>().await // ...but on B, forever
///     })
///     .unwrap_err();
/// let report = err.to_string();
/// assert!(report.contains("waiting on door B"), "{report}");
/// assert!(!report.contains("door A"), "{report}");
/// ```
pub struct Waiting {
    wait: Option<(TaskId, Rc<dyn WaitTarget>)>,
}

impl Waiting {
    /// Registers the running task as waiting on `target`.
    ///
    /// ```
    /// # use std::rc::Rc;
    /// # struct Gate;
    /// # impl std::fmt::Display for Gate {
    /// #     fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { f.write_str("gate") }
    /// # }
    /// # impl sim::sync::WaitTarget for Gate {}
    /// // Outside a run it registers nothing, and dropping it is a no-op.
    /// drop(sim::sync::Waiting::new(Rc::new(Gate)));
    /// ```
    pub fn new(target: Rc<dyn WaitTarget>) -> Waiting {
        let wait = context::try_core().and_then(|core| {
            let task = core.current_task()?;
            core.register_wait_on(task, Rc::clone(&target));
            Some((task, target))
        });
        Waiting { wait }
    }
}

impl Drop for Waiting {
    fn drop(&mut self) {
        if let (Some((task, target)), Some(core)) = (self.wait.take(), context::try_core()) {
            core.clear_wait_on(task, &target);
        }
    }
}

impl fmt::Debug for Waiting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Waiting");
        match &self.wait {
            Some((task, target)) => d.field("task", task).field("on", &target.to_string()),
            None => d.field("task", &None::<TaskId>),
        };
        d.finish()
    }
}
