//! The thread-local "current runtime", set while `block_on` runs and while a runtime is torn
//! down (so destructors of dropped tasks can still reach it).

use std::cell::RefCell;
use std::rc::Rc;

use super::Core;

thread_local! {
    static CURRENT: RefCell<Option<Rc<Core>>> = const { RefCell::new(None) };
}

/// Restores the previous current runtime when dropped.
pub(crate) struct Enter {
    previous: Option<Rc<Core>>,
}

/// Makes `core` the current runtime.
///
/// # Panics
///
/// If another runtime is already running on this thread and `nested_ok` is false.
pub(crate) fn enter(core: &Rc<Core>, nested_ok: bool) -> Enter {
    CURRENT.with(|current| {
        let mut current = current.borrow_mut();
        if !nested_ok && current.is_some() {
            panic!(
                "`Runtime::block_on` called from inside a running simulation; a run cannot be \
                 nested in another. Spawn the future with `sim::spawn` instead"
            );
        }
        Enter {
            previous: current.replace(Rc::clone(core)),
        }
    })
}

impl Drop for Enter {
    fn drop(&mut self) {
        let previous = self.previous.take();
        CURRENT.with(|current| *current.borrow_mut() = previous);
    }
}

/// The current runtime, if any.
pub(crate) fn try_core() -> Option<Rc<Core>> {
    CURRENT.with(|current| current.borrow().clone())
}

/// Runs `f` with the current runtime.
///
/// # Panics
///
/// Outside a running simulation, naming `what` was called.
#[track_caller]
pub(crate) fn with_core<R>(what: &str, f: impl FnOnce(&Rc<Core>) -> R) -> R {
    let Some(core) = try_core() else {
        panic!(
            "`{what}` called outside a sim runtime: it must run inside a future driven by \
             `sim::Runtime::block_on` (or a `#[sim::test]`)"
        );
    };
    f(&core)
}

/// The id of the task being polled (or dropped) in the current run, if any.
pub(crate) fn current_task() -> Option<crate::record::TaskId> {
    try_core().and_then(|core| core.current_task())
}
