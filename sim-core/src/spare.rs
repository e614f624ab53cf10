//! One thread-local slot per kind of buffer, where a runtime part that is dropped empty leaves
//! its buffers for the next one built on the same thread (a multi-seed check builds a runtime
//! per seed, and allocating the same buffers again for every seed is what this saves).
//!
//! Invariant: only empty buffers go in (no task, future, output or name of a finished run), so
//! what the next runtime takes behaves like freshly allocated buffers, except for its capacity.
//! The one thing kept is the task table's per-slot wakers: each is renewed for the next task in
//! its slot only when nothing else holds it, so a kept waker can never wake a task of another
//! run (see `TaskWaker::renew`). A slot holds one set of buffers; a second one offered while it
//! is full is dropped.

use std::cell::RefCell;
use std::thread::LocalKey;

/// A thread-local slot for one set of spare buffers.
pub(crate) type Slot<T> = LocalKey<RefCell<Option<T>>>;

/// Takes the buffers left in `slot`, if any (none during thread teardown).
pub(crate) fn take<T: 'static>(slot: &'static Slot<T>) -> Option<T> {
    slot.try_with(|s| s.borrow_mut().take()).ok().flatten()
}

/// Leaves `buffers` in `slot` for the next taker, unless the slot is full or the thread is
/// being torn down (then they are simply dropped).
pub(crate) fn keep<T: 'static>(slot: &'static Slot<T>, buffers: T) {
    let _ = slot.try_with(|s| {
        let mut s = s.borrow_mut();
        if s.is_none() {
            *s = Some(buffers);
        }
    });
}
