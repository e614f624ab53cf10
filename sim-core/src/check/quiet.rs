//! Keeping the panics of a check's runs off the terminal, and remembering where they happened.
//!
//! The process's panic hook prints every panic, with a backtrace under `RUST_BACKTRACE=1`. A
//! panic inside a run is caught by the simulation and belongs in the failure report, not around
//! it; and while shrinking, hundreds of candidate runs may panic on purpose. So the checker
//! installs (once) a hook that stays silent on a thread that asked for quiet, noting only where
//! the panic happened (the report shows it), and defers to the previous hook everywhere else:
//! other threads, such as libtest's other tests, print as before. `SIM_VERBOSE=1` turns the
//! quiet off for the seeds' runs.

use std::cell::{Cell, RefCell};
use std::panic;
use std::sync::Once;

thread_local! {
    static QUIET: Cell<bool> = const { Cell::new(false) };
    /// Where the last panic on this thread happened, while quiet.
    static LAST: RefCell<Option<String>> = const { RefCell::new(None) };
}

fn install() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if QUIET.with(Cell::get) {
                let site = info.location().map(ToString::to_string);
                let _ = LAST.try_with(|last| *last.borrow_mut() = site);
            } else {
                previous(info);
            }
        }));
    });
}

/// Runs `f` with this thread's panics not printed.
pub(crate) fn quietly<R>(f: impl FnOnce() -> R) -> R {
    install();
    let was = QUIET.with(|q| q.replace(true));
    struct Restore(bool);
    impl Drop for Restore {
        fn drop(&mut self) {
            QUIET.with(|q| q.set(self.0));
        }
    }
    let _restore = Restore(was);
    f()
}

/// Where the last quiet panic on this thread happened, taken (`None` if none since the last
/// call).
pub(crate) fn take_last_site() -> Option<String> {
    LAST.with(|last| last.borrow_mut().take())
}
