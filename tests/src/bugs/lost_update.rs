//! Lost update: two tasks each read a shared counter, await something (a round trip to
//! storage), then write back `read + 1`. If the second task reads before the first writes,
//! one increment overwrites the other and the counter ends at 1 instead of 2. The fix holds a
//! `sim::sync::Mutex` across the whole read-modify-write.

use std::cell::Cell;
use std::rc::Rc;

use sim::sync::Mutex;
use sim::task::yield_now;

/// Two unsynchronized read-await-write increments.
pub async fn buggy() {
    let counter = Rc::new(Cell::new(0u32));
    let tasks: Vec<_> = (0..2)
        .map(|_| {
            let counter = Rc::clone(&counter);
            sim::spawn(async move {
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
}

/// The same increments, each under the lock for its whole read-modify-write.
pub async fn fixed() {
    let counter = Rc::new(Mutex::new(0u32));
    let tasks: Vec<_> = (0..2)
        .map(|_| {
            let counter = Rc::clone(&counter);
            sim::spawn(async move {
                let mut guard = counter.lock().await;
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
        *counter.lock().await,
        2,
        "lost update: an increment was overwritten"
    );
}
