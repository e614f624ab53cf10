//! Ordering violation: a producer task loads the configuration (an `await`, like reading a
//! file) and stores it in a shared `Option`; a consumer task spawned alongside it assumes the
//! configuration is already there. Whenever the consumer runs first it reads `None`. The fix
//! makes the consumer wait on an `Event` the producer sets after initialising.

use std::cell::RefCell;
use std::rc::Rc;

use sim::sync::Event;
use sim::task::yield_now;

#[derive(Debug, Clone, Copy)]
struct Config {
    workers: u32,
}

async fn start(wait_for_init: bool) {
    let config: Rc<RefCell<Option<Config>>> = Rc::new(RefCell::new(None));
    let loaded = Rc::new(Event::new());
    let producer = {
        let (config, loaded) = (Rc::clone(&config), Rc::clone(&loaded));
        sim::spawn(async move {
            yield_now().await; // reading the file
            *config.borrow_mut() = Some(Config { workers: 4 });
            loaded.set();
        })
    };
    let consumer = sim::spawn(async move {
        if wait_for_init {
            loaded.wait().await;
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
pub async fn buggy() {
    start(false).await;
}

/// The consumer waits for the producer's `Event`.
pub async fn fixed() {
    start(true).await;
}
