//! Grant-then-cancel, primitive by primitive: a waiter is handed what it waited for (room in a
//! queue, a permit, a lock, an item, a notification) and its future is dropped before it
//! resumes to collect it, in the very step of the hand-off.
//!
//! One test per path runs under `Strategy::Fifo`, where the order of steps is known, so the
//! window is hit on every run rather than on some seeds. The rule checked each time: what was
//! granted passes on to the next waiter (or back into the primitive), nothing is lost or
//! duplicated, and the cancelled operation has no effect. Each test pins the exact outcome:
//! the queue's contents, the permits available, who got the lock. A last test checks the
//! queue's rule as a property over many seeded schedules, with and without chaos.

mod support;

use std::rc::Rc;

use sim::sync::{
    Barrier, Event, Mutex, Notify, Queue, QueueFull, RwLock, Semaphore, mpsc, mpsc::TryRecvError,
};
use sim::task::yield_now;
use sim::time::{Duration, elapsed, sleep, timeout};
use support::{Log, fifo, on_every_schedule, secs};

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
// Semaphore
// ---------------------------------------------------------------------------------------------

/// A task that acquires `n` permits of `sem`, logs `name` with the time, and holds them 1 s.
fn acquirer(sem: &Rc<Semaphore>, n: usize, name: &'static str, log: &Log) -> sim::JoinHandle<()> {
    let (sem, log) = (Rc::clone(sem), log.clone());
    sim::spawn(async move {
        let _permits = sem.acquire_many(n).await;
        log.push(format!("{name} at {:?}", elapsed()));
        sleep(secs(1)).await;
    })
}

#[test]
fn semaphore_acquire_cancelled_after_its_permit_was_granted_passes_it_to_the_next_waiter() {
    fifo()
        .block_on(async {
            let log = Log::default();
            let sem = Rc::new(Semaphore::new(1));
            let held = sem.acquire().await;
            let first = acquirer(&sem, 1, "first", &log);
            let second = acquirer(&sem, 1, "second", &log);
            yield_now().await; // both wait, first ahead
            drop(held); // the permit is granted to the first waiter...
            first.abort(); // ...which is cancelled before it resumes
            assert!(first.await.unwrap_err().is_cancelled());
            assert_eq!(
                sem.available_permits(),
                0,
                "the permit went to the second waiter"
            );
            second.await.unwrap();
            assert_eq!(log.take(), ["second at 0ns"]);
            assert_eq!(sem.available_permits(), 1);
        })
        .unwrap();
}

#[test]
fn semaphore_acquire_many_cancelled_after_its_permits_were_granted_returns_every_one() {
    fifo()
        .block_on(async {
            let log = Log::default();
            let sem = Rc::new(Semaphore::new(3));
            let held = sem.acquire_many(3).await;
            let big = acquirer(&sem, 3, "big", &log);
            let two = acquirer(&sem, 2, "two", &log);
            let one = acquirer(&sem, 1, "one", &log);
            yield_now().await; // all three wait, in that order
            drop(held); // all three permits are granted to `big`...
            big.abort(); // ...which is cancelled: they go to the two behind it
            assert!(big.await.unwrap_err().is_cancelled());
            assert_eq!(sem.available_permits(), 0);
            two.await.unwrap();
            one.await.unwrap();
            assert_eq!(log.take(), ["two at 0ns", "one at 0ns"]);
            assert_eq!(elapsed(), secs(1), "the two held their permits together");
            assert_eq!(sem.available_permits(), 3);
        })
        .unwrap();
}

#[test]
fn semaphore_acquire_owned_cancelled_after_its_permit_was_granted_leaves_it_free() {
    fifo()
        .block_on(async {
            let sem = Rc::new(Semaphore::new(1));
            let held = sem.try_acquire().unwrap();
            let w = {
                let sem = Rc::clone(&sem);
                sim::spawn(async move {
                    let _permit = sem.acquire_owned().await;
                    unreachable!("cancelled before it resumed");
                })
            };
            yield_now().await;
            drop(held); // granted to the owned acquire...
            w.abort(); // ...which is cancelled: nobody else waits
            assert!(w.await.unwrap_err().is_cancelled());
            assert_eq!(sem.available_permits(), 1, "the permit came back");
            assert!(sem.try_acquire().is_ok());
        })
        .unwrap();
}

// ---------------------------------------------------------------------------------------------
// Mutex and RwLock
// ---------------------------------------------------------------------------------------------

#[test]
fn mutex_lock_cancelled_after_the_lock_was_handed_over_passes_it_to_the_next_waiter() {
    fifo()
        .block_on(async {
            let log = Log::default();
            let m = Rc::new(Mutex::new(Vec::new()));
            let locker = |name: &'static str| {
                let (m, log) = (Rc::clone(&m), log.clone());
                sim::spawn(async move {
                    let mut g = m.lock().await;
                    g.push(name);
                    log.push(format!("{name} at {:?}", elapsed()));
                    sleep(secs(1)).await;
                })
            };
            let guard = m.lock().await;
            let (first, second) = (locker("first"), locker("second"));
            yield_now().await;
            drop(guard); // the lock is handed to the first waiter...
            first.abort(); // ...which is cancelled before it resumes
            assert!(first.await.unwrap_err().is_cancelled());
            assert!(m.try_lock().is_none(), "the lock went to the second waiter");
            second.await.unwrap();
            assert_eq!(log.take(), ["second at 0ns"]);
            assert_eq!(*m.try_lock().expect("the lock is free"), ["second"]);
        })
        .unwrap();
}

#[test]
fn rwlock_write_cancelled_after_the_lock_was_granted_lets_the_readers_behind_it_in() {
    fifo()
        .block_on(async {
            let log = Log::default();
            let lock = Rc::new(RwLock::new(0));
            let guard = lock.write().await;
            let writer = {
                let lock = Rc::clone(&lock);
                sim::spawn(async move {
                    *lock.write().await += 1;
                })
            };
            let reader = |name: &'static str| {
                let (lock, log) = (Rc::clone(&lock), log.clone());
                sim::spawn(async move {
                    let v = lock.read().await;
                    log.push(format!("{name} read {} at {:?}", *v, elapsed()));
                    sleep(secs(1)).await;
                })
            };
            let (r1, r2) = (reader("r1"), reader("r2"));
            yield_now().await; // the writer waits first, the readers behind it
            drop(guard); // the lock goes to the writer...
            writer.abort(); // ...which is cancelled: both readers get in, together
            assert!(writer.await.unwrap_err().is_cancelled());
            r1.await.unwrap();
            r2.await.unwrap();
            assert_eq!(log.take(), ["r1 read 0 at 0ns", "r2 read 0 at 0ns"]);
            assert_eq!(elapsed(), secs(1));
            assert_eq!(*lock.write().await, 0, "the cancelled write never wrote");
        })
        .unwrap();
}

#[test]
fn rwlock_read_cancelled_after_the_lock_was_granted_lets_the_writer_behind_it_in() {
    fifo()
        .block_on(async {
            let log = Log::default();
            let lock = Rc::new(RwLock::new(0));
            let guard = lock.write().await;
            let reader = {
                let lock = Rc::clone(&lock);
                sim::spawn(async move {
                    let _v = lock.read().await;
                    unreachable!("cancelled before it resumed");
                })
            };
            let writer = {
                let (lock, log) = (Rc::clone(&lock), log.clone());
                sim::spawn(async move {
                    *lock.write().await += 1;
                    log.push(format!("writer at {:?}", elapsed()));
                })
            };
            yield_now().await; // the reader waits first, the writer behind it
            drop(guard); // a read permit goes to the reader; the writer needs them all...
            reader.abort(); // ...and gets them once the reader's is handed back
            assert!(reader.await.unwrap_err().is_cancelled());
            writer.await.unwrap();
            assert_eq!(log.take(), ["writer at 0ns"]);
            assert_eq!(*lock.read().await, 1);
        })
        .unwrap();
}

// ---------------------------------------------------------------------------------------------
// Barrier, Notify, Event
// ---------------------------------------------------------------------------------------------

#[test]
fn barrier_wait_cancelled_after_its_round_released_it_counts_in_that_round_only() {
    fifo()
        .block_on(async {
            let barrier = Rc::new(Barrier::new(2));
            let w = {
                let barrier = Rc::clone(&barrier);
                sim::spawn(async move { barrier.wait().await })
            };
            yield_now().await; // the first of two has arrived
            // One step: the second arrival trips the barrier, releasing the first, which is
            // cancelled before it resumes. The round is over; the next one starts from zero.
            assert!(barrier.wait().await.is_leader());
            w.abort();
            assert!(w.await.unwrap_err().is_cancelled());
            assert!(
                timeout(secs(1), barrier.wait()).await.is_err(),
                "an arrival carried over into the next round"
            );
            let other = {
                let barrier = Rc::clone(&barrier);
                sim::spawn(async move { barrier.wait().await.is_leader() })
            };
            let mine = barrier.wait().await.is_leader();
            assert!(
                !mine && other.await.unwrap(),
                "two fresh arrivals trip the barrier"
            );
        })
        .unwrap();
}

/// A task that waits for a notification, then logs `name` with the time.
fn notified(notify: &Rc<Notify>, name: &'static str, log: &Log) -> sim::JoinHandle<()> {
    let (notify, log) = (Rc::clone(notify), log.clone());
    sim::spawn(async move {
        notify.notified().await;
        log.push(format!("{name} at {:?}", elapsed()));
    })
}

#[test]
fn notify_one_cancelled_after_delivery_passes_to_the_next_waiter() {
    fifo()
        .block_on(async {
            let log = Log::default();
            let notify = Rc::new(Notify::new());
            let first = notified(&notify, "first", &log);
            let second = notified(&notify, "second", &log);
            yield_now().await;
            notify.notify_one(); // reaches the first waiter...
            first.abort(); // ...which is cancelled before it resumes
            assert!(first.await.unwrap_err().is_cancelled());
            second.await.unwrap();
            assert_eq!(log.take(), ["second at 0ns"]);
            assert!(
                timeout(secs(1), notify.notified()).await.is_err(),
                "the notification was passed on and also stored"
            );
        })
        .unwrap();
}

#[test]
fn notify_one_cancelled_after_delivery_to_the_only_waiter_is_stored_as_the_permit() {
    fifo()
        .block_on(async {
            let log = Log::default();
            let notify = Rc::new(Notify::new());
            let only = notified(&notify, "only", &log);
            yield_now().await;
            notify.notify_one();
            only.abort();
            assert!(only.await.unwrap_err().is_cancelled());
            // Back into the primitive: exactly one stored permit.
            notify.notified().await;
            assert_eq!(elapsed(), secs(0));
            assert!(timeout(secs(1), notify.notified()).await.is_err());
            assert!(log.take().is_empty());
        })
        .unwrap();
}

#[test]
fn notify_waiters_cancelled_after_delivery_passes_nothing_on() {
    fifo()
        .block_on(async {
            let log = Log::default();
            let notify = Rc::new(Notify::new());
            let first = notified(&notify, "first", &log);
            let second = notified(&notify, "second", &log);
            yield_now().await;
            notify.notify_waiters(); // reaches both...
            first.abort(); // ...and the first is cancelled before it resumes
            assert!(first.await.unwrap_err().is_cancelled());
            second.await.unwrap();
            assert_eq!(log.take(), ["second at 0ns"]);
            let late = notified(&notify, "late", &log);
            assert!(
                timeout(secs(1), late).await.is_err(),
                "a cancelled notify_waiters delivery became a stored permit"
            );
        })
        .unwrap();
}

#[test]
fn event_wait_cancelled_after_set_leaves_the_other_waiters_released() {
    fifo()
        .block_on(async {
            let log = Log::default();
            let event = Rc::new(Event::new());
            let waiter = |name: &'static str| {
                let (event, log) = (Rc::clone(&event), log.clone());
                sim::spawn(async move {
                    event.wait().await;
                    log.push(format!("{name} at {:?}", elapsed()));
                })
            };
            let (first, second) = (waiter("first"), waiter("second"));
            yield_now().await;
            event.set(); // releases both...
            event.clear(); // ...for good, even though the flag is down again
            first.abort(); // the first is cancelled before it resumes
            assert!(first.await.unwrap_err().is_cancelled());
            second.await.unwrap();
            assert_eq!(log.take(), ["second at 0ns"]);
            assert!(!event.is_set(), "the cancellation changed the flag");
            assert!(timeout(secs(1), event.wait()).await.is_err());
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

// ---------------------------------------------------------------------------------------------
// Every schedule
// ---------------------------------------------------------------------------------------------

/// An item that logs `drop {id}` when dropped (a getter forgets the items it gets).
struct Item {
    id: u32,
    log: Log,
}

impl Drop for Item {
    fn drop(&mut self) {
        self.log.push(format!("drop {}", self.id));
    }
}

/// Logs `cancel {id}` if dropped before [`Armed::disarm`]: put in a task's future, it records
/// the moment the future was dropped unfinished.
struct Armed(Option<(Log, u32)>);

impl Armed {
    fn disarm(mut self) {
        self.0 = None;
    }
}

impl Drop for Armed {
    fn drop(&mut self) {
        if let Some((log, id)) = self.0.take() {
            log.push(format!("cancel {id}"));
        }
    }
}

#[test]
fn queue_put_cancelled_on_any_schedule_puts_nothing_unless_a_getter_took_its_item_first() {
    // Three putters block on a full queue; at t=1s a getter takes items while another task
    // aborts every putter. Whatever the interleaving (chaos lets each get yield after the
    // room it made was granted), an aborted put's item either never reaches a getter (it is
    // dropped) or was taken before the put was dropped; every item ends exactly once.
    let gotten = on_every_schedule(200, || async {
        let log = Log::default();
        let q = Rc::new(Queue::new(1));
        let item = |id| Item {
            id,
            log: log.clone(),
        };
        q.try_put(item(0)).unwrap_or_else(|_| unreachable!());
        let putters: Vec<_> = (1..=3)
            .map(|id| {
                let (q, armed, item) = (Rc::clone(&q), Armed(Some((log.clone(), id))), item(id));
                sim::spawn(async move {
                    sleep(Duration::from_millis(u64::from(id) * 100)).await;
                    q.put(item).await;
                    armed.disarm();
                })
            })
            .collect();
        let getter = {
            let (q, log) = (Rc::clone(&q), log.clone());
            sim::spawn(async move {
                sleep(secs(1)).await;
                while let Ok(item) = timeout(secs(1), q.get()).await {
                    log.push(format!("got {}", item.id));
                    std::mem::forget(item);
                }
            })
        };
        let aborter = sim::spawn(async move {
            sleep(secs(1)).await;
            for p in &putters {
                p.abort();
            }
            for p in putters {
                let _ = p.await;
            }
        });
        aborter.await.unwrap();
        getter.await.unwrap();
        let log = log.take();
        let at = |entry: String| log.iter().position(|e| *e == entry);
        let got: Vec<u32> = log
            .iter()
            .filter_map(|e| e.strip_prefix("got ")?.parse().ok())
            .collect();
        assert!(got.windows(2).all(|w| w[0] < w[1]), "out of order: {log:?}");
        for id in 0..=3 {
            let (got, dropped) = (at(format!("got {id}")), at(format!("drop {id}")));
            assert!(
                got.is_some() != dropped.is_some(),
                "item {id} must end exactly once: {log:?}"
            );
            match (at(format!("cancel {id}")), got) {
                (Some(cancel), Some(got)) => assert!(
                    got < cancel,
                    "a cancelled put's item reached a getter after the cancellation: {log:?}"
                ),
                (None, None) if id > 0 => panic!("a completed put lost its item: {log:?}"),
                _ => {}
            }
        }
        got.len()
    });
    assert!(
        gotten.contains(&1) && gotten.contains(&4),
        "the interleavings were not explored: {gotten:?}"
    );
}

#[test]
fn queue_put_withdrawn_after_task_done_was_called_ahead_for_it_does_not_panic() {
    // asyncio counts task_done calls, not which items they are for: a consumer may mark an
    // item done before taking it. Withdrawing that item must not underflow the count.
    fifo()
        .block_on(async {
            let q = Rc::new(Queue::new(1));
            q.try_put("a").unwrap();
            let p = putter(&q, "b");
            yield_now().await;
            assert_eq!(q.get().await, "a"); // lets "b" in
            q.task_done();
            q.task_done(); // ahead, for "b"
            p.abort();
            assert!(p.await.unwrap_err().is_cancelled());
            assert!(q.is_empty());
            assert!(timeout(secs(1), q.join()).await.is_ok());
            q.put("c").await;
            assert_eq!(drain(&q), ["c"]);
            q.task_done();
            assert!(timeout(secs(1), q.join()).await.is_ok());
        })
        .unwrap();
}
