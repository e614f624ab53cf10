//! Ordering violation (sim: `tests/src/bugs/ordering_violation.rs`): a producer loads the
//! configuration (an `await`) and stores it; a consumer spawned alongside assumes it is already
//! there. The fix makes the consumer wait for the producer's signal (sim: an `Event`; here a
//! [`crate::notify::Notify`] permit, the same for a single waiter).

use std::cell::RefCell;
use std::rc::Rc;

use shuttle::future::{block_on, spawn_local, yield_now};

use crate::notify::Notify;

#[derive(Debug, Clone, Copy)]
struct Config {
    workers: u32,
}

async fn start(wait_for_init: bool) {
    let config: Rc<RefCell<Option<Config>>> = Rc::new(RefCell::new(None));
    let loaded = Rc::new(Notify::default());
    let producer = {
        let (config, loaded) = (Rc::clone(&config), Rc::clone(&loaded));
        spawn_local(async move {
            yield_now().await; // reading the file
            *config.borrow_mut() = Some(Config { workers: 4 });
            loaded.notify_one();
        })
    };
    let consumer = spawn_local(async move {
        if wait_for_init {
            loaded.notified().await;
        }
        let workers = config.borrow().map(|c| c.workers);
        assert_eq!(
            workers,
            Some(4),
            "consumer read the config before it was initialised"
        );
    });
    producer.await.unwrap();
    consumer.await.unwrap();
}

/// The consumer assumes the producer ran first.
pub(crate) fn buggy() {
    block_on(start(false));
}

/// The consumer waits for the producer's signal.
pub(crate) fn fixed() {
    block_on(start(true));
}
