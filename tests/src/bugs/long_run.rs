//! Missing backpressure, a long-run bug: a producer pushes 17 items into a hand-rolled buffer
//! meant to hold 16, trusting the consumer (which drains whenever it runs) to keep up, so the
//! buffer overflows only if the producer makes all 17 pushes without the consumer running in
//! between. A random walk does that in about one run of 100,000, PCT (with the producer at the
//! higher priority) in about half of its runs; the fix is a bounded channel whose `send` waits
//! for room.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::rc::Rc;

use sim::sync::{Notify, mpsc};
use sim::task::yield_now;

const CAPACITY: usize = 16;
const ITEMS: u32 = 17;

/// A bounded buffer that checks its bound instead of enforcing it.
pub async fn buggy() {
    let buffer = Rc::new(RefCell::new(VecDeque::new()));
    let arrived = Rc::new(Notify::new());
    let done = Rc::new(Cell::new(false));
    let consumer = {
        let (buffer, arrived, done) = (Rc::clone(&buffer), Rc::clone(&arrived), Rc::clone(&done));
        sim::spawn(async move {
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
    let producer = sim::spawn(async move {
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
}

/// A bounded channel: the producer waits when it is full.
pub async fn fixed() {
    let (tx, mut rx) = mpsc::channel(CAPACITY);
    let consumer = sim::spawn(async move {
        let mut got = Vec::new();
        while let Some(i) = rx.recv().await {
            got.push(i);
        }
        got
    });
    let producer = sim::spawn(async move {
        for i in 0..ITEMS {
            tx.send(i).await.unwrap();
            yield_now().await;
        }
    });
    producer.await.unwrap();
    let got = consumer.await.unwrap();
    assert_eq!(got, (0..ITEMS).collect::<Vec<_>>());
}
