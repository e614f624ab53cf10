//! Lost wakeup: a waiter checks a `ready` flag and, if it is not set, does a little more work
//! and then waits on a `Notify`. The notifier sets the flag and calls `notify_waiters`, which
//! wakes only tasks already waiting and stores nothing; if it runs between the waiter's check
//! and its registration, the notification is lost and the waiter sleeps forever (deadlock).
//! The fix uses `notify_one`, which stores a permit when nobody waits yet.

use std::cell::Cell;
use std::rc::Rc;

use sim::sync::Notify;
use sim::task::yield_now;

async fn handshake(store_permit: bool) {
    let ready = Rc::new(Cell::new(false));
    let notify = Rc::new(Notify::new());
    let waiter = {
        let (ready, notify) = (Rc::clone(&ready), Rc::clone(&notify));
        sim::spawn(async move {
            if !ready.get() {
                yield_now().await; // e.g. logging "going to sleep"
                notify.notified().await;
            }
            assert!(ready.get());
        })
    };
    let notifier = sim::spawn(async move {
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
pub async fn buggy() {
    handshake(false).await;
}

/// Wakes with `notify_one`: stored if the waiter is not registered yet.
pub async fn fixed() {
    handshake(true).await;
}
