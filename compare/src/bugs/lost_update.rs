//! Lost update (sim: `tests/src/bugs/lost_update.rs`): two tasks each read a shared counter,
//! await, then write back `read + 1`. The fix holds a mutex across the read-modify-write.
//!
//! The counter is an `Rc<Cell>` as in sim: plain state of a single-threaded program, not a
//! scheduling point (shuttle's `spawn_local` takes `!Send` futures; its tasks all run on one OS
//! thread).

use std::cell::Cell;
use std::rc::Rc;

use shuttle::future::{block_on, spawn_local, yield_now};
use shuttle::sync::Mutex;

/// Two unsynchronized read-await-write increments.
pub(crate) fn buggy() {
    block_on(async {
        let counter = Rc::new(Cell::new(0u32));
        let tasks: Vec<_> = (0..2)
            .map(|_| {
                let counter = Rc::clone(&counter);
                spawn_local(async move {
                    let read = counter.get();
                    yield_now().await; // another task may run here
                    counter.set(read + 1);
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
        assert_eq!(
            counter.get(),
            2,
            "lost update: an increment was overwritten"
        );
    });
}

/// The same increments, each under the lock for its whole read-modify-write.
pub(crate) fn fixed() {
    block_on(async {
        let counter = Rc::new(Mutex::new(0u32));
        let tasks: Vec<_> = (0..2)
            .map(|_| {
                let counter = Rc::clone(&counter);
                spawn_local(async move {
                    let mut guard = counter.lock().unwrap();
                    let read = *guard;
                    yield_now().await; // others may run, but not touch the counter
                    *guard = read + 1;
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
        assert_eq!(
            *counter.lock().unwrap(),
            2,
            "lost update: an increment was overwritten"
        );
    });
}
