//! Lost wakeup (sim: `tests/src/bugs/lost_wakeup.rs`): a waiter checks a `ready` flag and, if it
//! is not set, yields and then waits on a `Notify`; the notifier sets the flag and calls
//! `notify_waiters`, which wakes only tasks already waiting. If it runs between the check and
//! the registration, the waiter sleeps forever (shuttle: deadlock). The fix uses `notify_one`,
//! which stores a permit. `Notify` is [`crate::notify::Notify`], sim's semantics on shuttle.

use std::cell::Cell;
use std::rc::Rc;

use shuttle::future::{block_on, spawn_local, yield_now};

use crate::notify::Notify;

async fn handshake(store_permit: bool) {
    let ready = Rc::new(Cell::new(false));
    let notify = Rc::new(Notify::default());
    let waiter = {
        let (ready, notify) = (Rc::clone(&ready), Rc::clone(&notify));
        spawn_local(async move {
            if !ready.get() {
                yield_now().await; // e.g. logging "going to sleep"
                notify.notified().await;
            }
            assert!(ready.get());
        })
    };
    let notifier = spawn_local(async move {
        ready.set(true);
        if store_permit {
            notify.notify_one();
        } else {
            notify.notify_waiters();
        }
    });
    notifier.await.unwrap();
    waiter.await.unwrap();
}

/// Wakes with `notify_waiters`: lost if the waiter is not registered yet.
pub(crate) fn buggy() {
    block_on(handshake(false));
}

/// Wakes with `notify_one`: stored if the waiter is not registered yet.
pub(crate) fn fixed() {
    block_on(handshake(true));
}
