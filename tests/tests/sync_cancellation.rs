//! Grant-then-cancel, primitive by primitive: a waiter is handed what it waited for (room in a
//! queue, a permit, a lock, an item, a notification) and its future is dropped before it
//! resumes to collect it, in the very step of the hand-off.
//!
//! Every test runs under `Strategy::Fifo`, where the order of steps is known, so the window is
//! hit on every run rather than on some seeds. The rule checked each time: what was granted
//! passes on to the next waiter (or back into the primitive), nothing is lost or duplicated,
//! and the cancelled operation has no effect. Each test pins the exact outcome: the queue's
//! contents, the permits available, who got the lock.

mod support;

use std::rc::Rc;

use sim::sync::{Event, Queue, QueueFull, mpsc, mpsc::TryRecvError};
use sim::task::yield_now;
use sim::time::{elapsed, sleep, timeout};
use support::{fifo, secs};

/// Everything in the queue, front first (taking it out).
fn drain<T>(q: &Queue<T>) -> Vec<T> {
    std::iter::from_fn(|| q.try_get()).collect()
}

/// Every value waiting in the channel, oldest first (taking it out).
fn drain_channel<T>(rx: &mut mpsc::Receiver<T>) -> Vec<T> {
    std::iter::from_fn(|| rx.try_recv().ok()).collect()
}

/// A task that puts `item` into `q`, blocking while it is full.
fn putter(q: &Rc<Queue<&'static str>>, item: &'static str) -> sim::JoinHandle<()> {
    let q = Rc::clone(q);
    sim::spawn(async move { q.put(item).await })
}

// ---------------------------------------------------------------------------------------------
// Queue::put
// ---------------------------------------------------------------------------------------------

#[test]
fn queue_put_cancelled_after_room_was_granted_puts_nothing() {
    fifo()
        .block_on(async {
            let q = Rc::new(Queue::new(1));
            q.try_put("a").unwrap();
            let p = putter(&q, "b");
            yield_now().await; // the putter runs and blocks: the queue is full
            assert_eq!(q.try_put("x"), Err(QueueFull("x")));
            // One step: a get makes room, granted to the putter; the putter is cancelled.
            assert_eq!(q.get().await, "a");
            p.abort();
            assert!(p.await.unwrap_err().is_cancelled());
            assert_eq!(
                drain(&q),
                Vec::<&str>::new(),
                "the cancelled put put its item"
            );
            // Only "a" ever entered the queue: one task_done and nothing is unfinished.
            q.task_done();
            assert!(timeout(secs(1), q.join()).await.is_ok());
            // The room stayed free: a retry puts the item at once, once.
            q.put("b").await;
            assert_eq!(drain(&q), ["b"]);
            assert_eq!(elapsed(), secs(0));
        })
        .unwrap();
}

#[test]
fn queue_put_cancelled_after_room_was_granted_passes_the_room_to_the_next_putter() {
    fifo()
        .block_on(async {
            let q = Rc::new(Queue::new(1));
            q.try_put("a").unwrap();
            let first = putter(&q, "b");
            let second = putter(&q, "c");
            yield_now().await; // both block, "b" first
            assert_eq!(q.get().await, "a"); // room for "b"...
            first.abort(); // ...whose put is cancelled before it resumes
            assert!(first.await.unwrap_err().is_cancelled());
            assert_eq!(drain(&q), ["c"], "the room went to the next putter");
            second.await.unwrap();
            assert!(q.is_empty());
        })
        .unwrap();
}

#[test]
fn queue_put_dropped_by_select_in_the_step_room_was_granted_puts_nothing() {
    fifo()
        .block_on(async {
            let q = Rc::new(Queue::new(1));
            q.try_put(1).unwrap();
            let stop = Rc::new(Event::new());
            let p = {
                let (q, stop) = (Rc::clone(&q), Rc::clone(&stop));
                sim::spawn(async move {
                    sim::select! {
                        () = stop.wait() => "stopped",
                        () = q.put(2) => "put",
                    }
                })
            };
            yield_now().await; // the putter waits on both branches
            // One step: room for the put, and a reason to stop. Under Fifo the select polls
            // its first branch first, so it stops and drops the granted put.
            assert_eq!(q.get().await, 1);
            stop.set();
            assert_eq!(p.await.unwrap(), "stopped");
            assert_eq!(drain(&q), Vec::<i32>::new(), "the dropped put put its item");
        })
        .unwrap();
}

#[test]
fn queue_put_timed_out_by_wait_for_in_the_step_room_was_granted_puts_nothing() {
    fifo()
        .block_on(async {
            let q = Rc::new(Queue::new(1));
            q.try_put(1).unwrap();
            let p = {
                let q = Rc::clone(&q);
                sim::spawn(async move { q.put(2).await })
            };
            let getter = {
                let q = Rc::clone(&q);
                sim::spawn(async move {
                    sleep(secs(1)).await;
                    let item = q.get().await;
                    (item, q.len()) // the length in the step of the hand-off
                })
            };
            yield_now().await; // the putter blocks; the getter arms its timer before ours
            // Both timers are due at t=1s: the getter makes room, then the deadline cancels
            // the putter before it resumes.
            assert!(sim::wait_for(secs(1), p).await.is_err());
            assert_eq!(
                getter.await.unwrap(),
                (1, 1),
                "the room was granted while the put still waited"
            );
            assert_eq!(
                drain(&q),
                Vec::<i32>::new(),
                "the timed-out put put its item"
            );
            assert_eq!(elapsed(), secs(1));
        })
        .unwrap();
}

#[test]
fn queue_put_withdrawn_by_cancellation_releases_join_when_nothing_else_is_unfinished() {
    fifo()
        .block_on(async {
            let q = Rc::new(Queue::new(1));
            q.try_put("a").unwrap();
            let joiner = {
                let q = Rc::clone(&q);
                sim::spawn(async move { q.join().await })
            };
            let p = putter(&q, "b");
            yield_now().await; // the joiner waits for "a"; the putter for room
            assert_eq!(q.get().await, "a");
            q.task_done(); // "a" is done; "b" was let in on the putter's behalf...
            p.abort(); // ...and is withdrawn
            assert!(p.await.unwrap_err().is_cancelled());
            assert!(
                timeout(secs(1), joiner).await.is_ok(),
                "join still waits for an item that was never put"
            );
            assert_eq!(elapsed(), secs(0));
        })
        .unwrap();
}

#[test]
fn queue_put_cancelled_after_a_getter_took_its_item_has_put_it_once() {
    fifo()
        .block_on(async {
            let q = Rc::new(Queue::new(1));
            q.try_put("a").unwrap();
            let first = putter(&q, "b");
            let second = putter(&q, "c");
            yield_now().await;
            assert_eq!(q.get().await, "a"); // lets "b" in for the first putter
            assert_eq!(q.try_get(), Some("b")); // taken before that putter resumed
            first.abort(); // too late to withdraw "b": it has been taken
            assert!(first.await.unwrap_err().is_cancelled());
            // The withdrawal touched nothing else: "c" (let in by the second get) stays.
            assert_eq!(drain(&q), ["c"]);
            second.await.unwrap();
            for _ in 0..3 {
                q.task_done(); // "a", "b" and "c" each entered the queue once
            }
            assert!(timeout(secs(1), q.join()).await.is_ok());
        })
        .unwrap();
}

// ---------------------------------------------------------------------------------------------
// Queue::get
// ---------------------------------------------------------------------------------------------

#[test]
fn queue_get_cancelled_after_an_item_was_handed_over_returns_it_to_the_front() {
    fifo()
        .block_on(async {
            let q = Rc::new(Queue::new(0));
            let g = {
                let q = Rc::clone(&q);
                sim::spawn(async move { q.get().await })
            };
            yield_now().await; // the getter blocks: the queue is empty
            q.try_put("x").unwrap(); // handed straight to the getter
            q.try_put("y").unwrap(); // nobody else waits: into the queue
            g.abort();
            assert!(g.await.unwrap_err().is_cancelled());
            assert_eq!(
                drain(&q),
                ["x", "y"],
                "the item handed over comes back first"
            );
            q.task_done();
            q.task_done();
            assert!(timeout(secs(1), q.join()).await.is_ok());
        })
        .unwrap();
}

#[test]
fn queue_get_cancelled_after_an_item_was_handed_over_passes_it_to_the_next_getter() {
    fifo()
        .block_on(async {
            let q = Rc::new(Queue::new(0));
            let getter = || {
                let q = Rc::clone(&q);
                sim::spawn(async move { q.get().await })
            };
            let (first, second) = (getter(), getter());
            yield_now().await;
            q.try_put("x").unwrap(); // handed to the first getter
            first.abort();
            assert!(first.await.unwrap_err().is_cancelled());
            assert_eq!(second.await.unwrap(), "x");
            assert!(q.is_empty());
        })
        .unwrap();
}

// ---------------------------------------------------------------------------------------------
// mpsc
// ---------------------------------------------------------------------------------------------

/// A task that sends `value` on a clone of `tx`, and returns whether the send succeeded.
fn sender(tx: &mpsc::Sender<u32>, value: u32) -> sim::JoinHandle<bool> {
    let tx = tx.clone();
    sim::spawn(async move { tx.send(value).await.is_ok() })
}

#[test]
fn mpsc_send_cancelled_after_room_was_granted_sends_nothing() {
    fifo()
        .block_on(async {
            let (tx, mut rx) = mpsc::channel(1);
            tx.try_send(1).unwrap();
            let s = sender(&tx, 2);
            yield_now().await; // the sender blocks: the channel is full
            assert_eq!(rx.recv().await, Some(1)); // room for the blocked sender...
            s.abort(); // ...which is cancelled before it resumes
            assert!(s.await.unwrap_err().is_cancelled());
            assert_eq!(
                rx.try_recv(),
                Err(TryRecvError::Empty),
                "the cancelled send sent"
            );
            // The room stayed free.
            tx.try_send(3).unwrap();
            drop(tx);
            assert_eq!(drain_channel(&mut rx), [3]);
            assert_eq!(rx.recv().await, None);
        })
        .unwrap();
}

#[test]
fn mpsc_send_cancelled_after_room_was_granted_passes_the_room_to_the_next_sender() {
    fifo()
        .block_on(async {
            let (tx, mut rx) = mpsc::channel(1);
            tx.try_send(1).unwrap();
            let first = sender(&tx, 2);
            let second = sender(&tx, 3);
            drop(tx);
            yield_now().await; // both block, 2 first
            assert_eq!(rx.recv().await, Some(1));
            first.abort();
            assert!(first.await.unwrap_err().is_cancelled());
            assert!(second.await.unwrap(), "the next sender got the room");
            assert_eq!(drain_channel(&mut rx), [3]);
            assert_eq!(rx.recv().await, None);
        })
        .unwrap();
}

#[test]
fn mpsc_send_cancelled_after_the_receiver_took_its_value_has_sent_it_once() {
    fifo()
        .block_on(async {
            let (tx, mut rx) = mpsc::channel(1);
            tx.try_send(1).unwrap();
            let first = sender(&tx, 2);
            let second = sender(&tx, 3);
            drop(tx);
            yield_now().await;
            assert_eq!(rx.recv().await, Some(1)); // lets 2 in for the first sender
            assert_eq!(rx.try_recv(), Ok(2)); // received before that sender resumed
            first.abort(); // too late to withdraw 2
            assert!(first.await.unwrap_err().is_cancelled());
            assert!(second.await.unwrap());
            assert_eq!(drain_channel(&mut rx), [3]);
            assert_eq!(rx.recv().await, None);
        })
        .unwrap();
}

#[test]
fn mpsc_recv_dropped_in_the_step_a_value_arrives_takes_nothing() {
    fifo()
        .block_on(async {
            let (tx, rx) = mpsc::channel(1);
            let stop = Rc::new(Event::new());
            let r = {
                let stop = Rc::clone(&stop);
                sim::spawn(async move {
                    let mut rx = rx;
                    let got = sim::select! {
                        () = stop.wait() => None,
                        v = rx.recv() => v,
                    };
                    (got, rx)
                })
            };
            yield_now().await; // the receiver waits on both branches
            tx.send(7).await.unwrap(); // wakes the receiver...
            stop.set(); // ...which, under Fifo, takes the first branch and drops the recv
            let (got, mut rx) = r.await.unwrap();
            assert_eq!(got, None);
            assert_eq!(rx.try_recv(), Ok(7), "the dropped recv took the value");
        })
        .unwrap();
}

// ---------------------------------------------------------------------------------------------
// Many waiters, every cancellation
// ---------------------------------------------------------------------------------------------

#[test]
fn queue_puts_cancelled_in_turn_after_each_grant_leave_exactly_the_survivors_in_order() {
    // Five putters block on a full queue. Each time room is granted to the oldest, that putter
    // is cancelled (odd items) or let finish and its item taken (even items). What the getter
    // gets must be exactly the items of the puts that were not cancelled, in order, once each.
    fifo()
        .block_on(async {
            let q = Rc::new(Queue::new(1));
            q.try_put(0).unwrap();
            let puts: Vec<_> = (1..=5)
                .map(|i| {
                    let q = Rc::clone(&q);
                    sim::spawn(async move { q.put(i).await })
                })
                .collect();
            yield_now().await;
            let mut got = vec![q.get().await]; // room for item 1
            for (i, p) in (1..).zip(puts) {
                if i % 2 == 1 {
                    p.abort(); // withdrawn: the room passes to the next putter
                    assert!(p.await.unwrap_err().is_cancelled());
                } else {
                    p.await.unwrap();
                    got.push(q.try_get().expect("a completed put's item")); // room again
                }
            }
            assert_eq!(got, [0, 2, 4]);
            assert!(q.is_empty(), "{:?}", drain(&q));
            for _ in 0..3 {
                q.task_done();
            }
            assert!(timeout(secs(1), q.join()).await.is_ok());
        })
        .unwrap();
}
