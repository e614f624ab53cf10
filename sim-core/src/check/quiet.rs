//! Keeping the panics of the shrinker's many runs off the terminal.
//!
//! The process's panic hook prints every panic. While shrinking, hundreds of candidate runs
//! may panic on purpose, so the checker installs (once) a hook that stays silent on a thread
//! that asked for quiet and defers to the previous hook everywhere else: other threads, such
//! as libtest's other tests, print as before.

use std::cell::Cell;
use std::panic;
use std::sync::Once;

thread_local! {
    static QUIET: Cell<bool> = const { Cell::new(false) };
}

fn install() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if !QUIET.with(Cell::get) {
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
