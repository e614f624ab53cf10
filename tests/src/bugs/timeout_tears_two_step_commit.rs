//! Timeout tears a two-step commit: a commit writes part A, awaits the log flusher's "durable"
//! signal, then writes part B, all under a timeout. The flusher signals at the very instant the
//! timeout expires; if the committing task runs first, the timeout drops the commit between A
//! and B and the store is left with A and no B. The fix does the await before mutating
//! anything, so a cancelled commit leaves no trace and a finished one writes both parts.

use std::cell::Cell;
use std::rc::Rc;

use sim::sync::Notify;
use sim::time::{Duration, sleep, timeout};

#[derive(Debug, Default)]
struct Store {
    a: Cell<Option<u32>>,
    b: Cell<Option<u32>>,
}

async fn commit_then_wait(store: &Store, durable: &Notify, value: u32) {
    store.a.set(Some(value));
    durable.notified().await;
    store.b.set(Some(value));
}

async fn wait_then_commit(store: &Store, durable: &Notify, value: u32) {
    durable.notified().await;
    store.a.set(Some(value));
    store.b.set(Some(value));
}

async fn run(await_first: bool) {
    let store = Store::default();
    let durable = Rc::new(Notify::new());
    let flusher = {
        let durable = Rc::clone(&durable);
        sim::spawn(async move {
            sleep(Duration::from_millis(5)).await;
            durable.notify_one();
        })
    };
    let limit = Duration::from_millis(5);
    let _ = if await_first {
        timeout(limit, wait_then_commit(&store, &durable, 7)).await
    } else {
        timeout(limit, commit_then_wait(&store, &durable, 7)).await
    };
    flusher.await.unwrap();
    assert_eq!(
        store.a.get().is_some(),
        store.b.get().is_some(),
        "torn commit: {store:?}"
    );
}

/// Write A, await, write B: a timeout can cut in between.
pub async fn buggy() {
    run(false).await;
}

/// Await, then write A and B with no await between them.
pub async fn fixed() {
    run(true).await;
}
