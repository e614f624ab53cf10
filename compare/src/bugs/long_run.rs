//! Missing backpressure, a long-run bug (sim: `tests/src/bugs/long_run.rs`): a producer pushes
//! 17 items into a hand-rolled buffer meant to hold 16, trusting the consumer (which drains
//! whenever it runs) to keep up; it overflows only if the producer makes all 17 pushes without
//! the consumer running in between. The fix is a bounded channel whose `send` waits for room:
//! shuttle's `sync_channel`, a blocking channel, used from the tasks directly (shuttle has no
//! async channel; a blocked shuttle task switches to another).

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::rc::Rc;

use shuttle::future::{block_on, spawn_local, yield_now};
use shuttle::sync::mpsc;

use crate::notify::Notify;

const CAPACITY: usize = 16;
const ITEMS: u32 = 17;

/// A bounded buffer that checks its bound instead of enforcing it.
pub(crate) fn buggy() {
    block_on(async {
        let buffer = Rc::new(RefCell::new(VecDeque::new()));
        let arrived = Rc::new(Notify::default());
        let done = Rc::new(Cell::new(false));
        let consumer = {
            let (buffer, arrived, done) =
                (Rc::clone(&buffer), Rc::clone(&arrived), Rc::clone(&done));
            spawn_local(async move {
                let mut got = Vec::new();
                loop {
                    got.extend(buffer.borrow_mut().drain(..));
                    if done.get() {
                        break;
                    }
                    arrived.notified().await;
                }
                got
            })
        };
        let producer = spawn_local(async move {
            for i in 0..ITEMS {
                buffer.borrow_mut().push_back(i);
                let len = buffer.borrow().len();
                assert!(
                    len <= CAPACITY,
                    "buffer overflow: {len} items, capacity {CAPACITY}"
                );
                arrived.notify_one();
                yield_now().await;
            }
            done.set(true);
            arrived.notify_one();
        });
        producer.await.unwrap();
        let got = consumer.await.unwrap();
        assert_eq!(got, (0..ITEMS).collect::<Vec<_>>());
    });
}

/// A bounded channel: the producer waits when it is full.
pub(crate) fn fixed() {
    block_on(async {
        let (tx, rx) = mpsc::sync_channel(CAPACITY);
        let consumer = spawn_local(async move {
            let mut got = Vec::new();
            while let Ok(i) = rx.recv() {
                got.push(i);
            }
            got
        });
        let producer = spawn_local(async move {
            for i in 0..ITEMS {
                tx.send(i).unwrap();
                yield_now().await;
            }
        });
        producer.await.unwrap();
        let got = consumer.await.unwrap();
        assert_eq!(got, (0..ITEMS).collect::<Vec<_>>());
    });
}
