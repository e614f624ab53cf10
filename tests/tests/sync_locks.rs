//! `Mutex`, `RwLock` and `Semaphore`: FIFO hand-off, exclusion, permit bounds, and what a waiter
//! cancelled at the very moment of the hand-off does to the lock or the permits.

mod support;

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::Poll;

use sim::sync::{Mutex, RwLock, Semaphore};
use sim::task::yield_now;
use sim::time::{Duration, elapsed, sleep, timeout};
use sim::{Builder, Strategy};
use support::{fifo, on_every_schedule, random, secs, yield_until};

const SEEDS: u64 = 200;

/// Polls `fut` exactly once, from inside the current task.
async fn poll_once<F: Future + Unpin>(fut: &mut F) -> Poll<F::Output> {
    std::future::poll_fn(|cx| Poll::Ready(Pin::new(&mut *fut).poll(cx))).await
}

// ---------------------------------------------------------------------------------------------
// Mutex
// ---------------------------------------------------------------------------------------------

#[test]
fn mutex_fifo_fairness_known_arrival_order_under_fifo() {
    let mut rt = fifo();
    rt.block_on(async {
        let m = Rc::new(Mutex::new(Vec::new()));
        let guard = m.lock().await;
        // Task i reaches `lock` after 5 - i yields: under Fifo they arrive as 4, 3, 2, 1, 0.
        let tasks: Vec<_> = (0..5u32)
            .map(|i| {
                let m = Rc::clone(&m);
                sim::spawn(async move {
                    for _ in 0..(5 - i) {
                        yield_now().await;
                    }
                    let mut g = m.lock().await;
                    g.push(i);
                    yield_now().await; // hold it across a step; nobody may cut in
                })
            })
            .collect();
        for _ in 0..10 {
            yield_now().await;
        }
        assert!(m.try_lock().is_none(), "try_lock must not overtake waiters");
        drop(guard);
        for t in tasks {
            t.await.unwrap();
        }
        assert_eq!(*m.lock().await, [4, 3, 2, 1, 0]);
    })
    .unwrap();
}

#[test]
fn mutex_fifo_fairness_in_arrival_order_on_every_schedule() {
    on_every_schedule(SEEDS, || async {
        let m = Rc::new(Mutex::new(()));
        let arrivals = Rc::new(RefCell::new(Vec::new()));
        let acquired = Rc::new(RefCell::new(Vec::new()));
        let guard = m.lock().await;
        let tasks: Vec<_> = (0..4u32)
            .map(|i| {
                let (m, arrivals, acquired) = (m.clone(), arrivals.clone(), acquired.clone());
                sim::spawn(async move {
                    yield_now().await;
                    // The lock is held, so this first poll of `lock` registers the waiter in
                    // the same step as the log entry.
                    arrivals.borrow_mut().push(i);
                    let _g = m.lock().await;
                    acquired.borrow_mut().push((i, elapsed()));
                    sleep(secs(1)).await;
                })
            })
            .collect();
        yield_until(|| arrivals.borrow().len() == 4).await;
        drop(guard);
        for t in tasks {
            t.await.unwrap();
        }
        let expected: Vec<_> = arrivals
            .borrow()
            .iter()
            .zip(0..)
            .map(|(&i, k)| (i, secs(k)))
            .collect();
        assert_eq!(*acquired.borrow(), expected);
        assert_eq!(elapsed(), secs(4));
    });
}

#[test]
fn mutex_mutual_exclusion_no_lost_update_under_random_with_chaos() {
    async fn increments() -> (u32, Duration) {
        let counter = Rc::new(Mutex::new(0u32));
        let tasks: Vec<_> = (0..4)
            .map(|_| {
                let counter = Rc::clone(&counter);
                sim::spawn(async move {
                    for _ in 0..5 {
                        let mut g = counter.lock().await;
                        let read = *g;
                        yield_now().await;
                        sleep(Duration::from_millis(1)).await;
                        *g = read + 1;
                    }
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
        let total = *counter.lock().await;
        (total, elapsed())
    }
    for seed in 0..SEEDS {
        for chaos in [true, false] {
            let mut rt = Builder::new()
                .seed(seed)
                .strategy(Strategy::Random)
                .chaos(chaos)
                .build();
            let (total, at) = rt.block_on(increments()).unwrap();
            assert_eq!(total, 20, "seed {seed} chaos {chaos}: lost update");
            // Twenty critical sections of 1 ms each, never overlapping.
            assert_eq!(at, Duration::from_millis(20), "seed {seed} chaos {chaos}");
        }
    }
}

#[test]
fn mutex_counter_without_lock_loses_updates_on_some_seed() {
    // The control for the test above: the same read-yield-write without the lock does lose
    // updates on some seed, so the seeds really interleave the critical sections.
    let lost = (0..SEEDS).any(|seed| {
        let mut rt = random(seed);
        rt.block_on(async {
            let counter = Rc::new(Cell::new(0u32));
            let tasks: Vec<_> = (0..4)
                .map(|_| {
                    let counter = Rc::clone(&counter);
                    sim::spawn(async move {
                        for _ in 0..5 {
                            let read = counter.get();
                            yield_now().await;
                            counter.set(read + 1);
                        }
                    })
                })
                .collect();
            for t in tasks {
                t.await.unwrap();
            }
            counter.get()
        })
        .unwrap()
            != 20
    });
    assert!(lost);
}

#[test]
fn mutex_dropping_granted_uncollected_lock_future_passes_lock_on() {
    on_every_schedule(20, || async {
        let m = Mutex::new(0);
        let guard = m.lock().await;
        let mut first = Box::pin(m.lock());
        let mut second = Box::pin(m.lock());
        assert!(poll_once(&mut first).await.is_pending());
        assert!(poll_once(&mut second).await.is_pending());
        drop(guard); // hands the lock to `first`, which never collects it
        assert!(m.try_lock().is_none(), "the lock was handed to `first`");
        drop(first); // must pass it to `second`
        assert!(m.try_lock().is_none(), "the lock was passed to `second`");
        let Poll::Ready(mut g) = poll_once(&mut second).await else {
            panic!("`second` must hold the lock now");
        };
        *g += 1;
        drop(g);
        let g = m.try_lock().expect("the lock is free again");
        assert_eq!(*g, 1);
    });
}

#[test]
fn mutex_waiter_aborted_in_the_step_it_is_handed_the_lock_passes_it_on() {
    on_every_schedule(SEEDS, || async {
        let m = Rc::new(Mutex::new(()));
        let arrivals = Rc::new(RefCell::new(Vec::new()));
        let acquired = Rc::new(RefCell::new(Vec::new()));
        let guard = m.lock().await;
        let mut handles: Vec<_> = (0..2usize)
            .map(|i| {
                let (m, arrivals, acquired) = (m.clone(), arrivals.clone(), acquired.clone());
                Some(sim::spawn(async move {
                    arrivals.borrow_mut().push(i);
                    let _g = m.lock().await;
                    acquired.borrow_mut().push((i, elapsed()));
                    sleep(secs(1)).await;
                }))
            })
            .collect();
        yield_until(|| arrivals.borrow().len() == 2).await;
        let (head, next) = (arrivals.borrow()[0], arrivals.borrow()[1]);
        // In one step: hand the lock to the head waiter, and abort it before it can run.
        drop(guard);
        let head_task = handles[head].take().unwrap();
        head_task.abort();
        assert!(head_task.await.unwrap_err().is_cancelled());
        handles[next].take().unwrap().await.unwrap();
        assert_eq!(*acquired.borrow(), [(next, secs(0))]);
        assert_eq!(elapsed(), secs(1));
        assert!(m.try_lock().is_some(), "the lock was lost");
    });
}

#[test]
fn mutex_timeout_expiring_at_handoff_instant_neither_loses_nor_duplicates_lock() {
    let outcomes = on_every_schedule(SEEDS, || async {
        let m = Rc::new(Mutex::new(()));
        let holding = Rc::new(Cell::new(0u32));
        let holder = {
            let (m, holding) = (m.clone(), holding.clone());
            sim::spawn(async move {
                let guard = m.lock().await;
                holding.set(1);
                sleep(secs(1)).await;
                holding.set(0);
                drop(guard); // the hand-off, at t=1s
            })
        };
        let w1 = {
            let (m, holding) = (m.clone(), holding.clone());
            sim::spawn(async move {
                sleep(Duration::from_millis(100)).await; // the holder has the lock by now
                let g = timeout(Duration::from_millis(900), m.lock()).await; // expires at t=1s
                let at = elapsed();
                let got_it = g.is_ok();
                if let Ok(_g) = g {
                    assert_eq!(holding.replace(1), 0, "two holders");
                    sleep(secs(1)).await;
                    holding.set(0);
                }
                (got_it, at)
            })
        };
        let w2 = {
            let (m, holding) = (m.clone(), holding.clone());
            sim::spawn(async move {
                sleep(Duration::from_millis(500)).await; // queued behind w1
                let _g = m.lock().await;
                let at = elapsed();
                assert_eq!(holding.replace(1), 0, "two holders");
                sleep(secs(1)).await;
                holding.set(0);
                at
            })
        };
        holder.await.unwrap();
        let (w1_got_it, w1_at) = w1.await.unwrap();
        let w2_at = w2.await.unwrap();
        assert_eq!(w1_at, secs(1));
        assert!(m.try_lock().is_some(), "the lock was lost");
        if w1_got_it {
            // w1 was first in line and took the lock at t=1s; w2 got it after w1 released.
            assert_eq!(w2_at, secs(2));
            assert_eq!(elapsed(), secs(3));
        } else {
            // w1 gave up at t=1s: the lock went to w2 at once.
            assert_eq!(w2_at, secs(1));
            assert_eq!(elapsed(), secs(2));
        }
        w1_got_it
    });
    let random = &outcomes[..2 * SEEDS as usize];
    assert!(
        random.contains(&true),
        "no seed handed the lock to w1 first"
    );
    assert!(
        random.contains(&false),
        "no seed expired w1's timeout first"
    );
}

#[test]
fn mutex_abort_at_handoff_instant_passes_lock_to_next_waiter() {
    let outcomes = on_every_schedule(SEEDS, || async {
        let m = Rc::new(Mutex::new(()));
        let log = Rc::new(RefCell::new(Vec::<&'static str>::new()));
        let holder = {
            let (m, log) = (m.clone(), log.clone());
            sim::spawn(async move {
                let guard = m.lock().await;
                sleep(secs(1)).await;
                log.borrow_mut().push("released");
                drop(guard); // the hand-off, at t=1s
            })
        };
        let w1 = {
            let (m, log) = (m.clone(), log.clone());
            sim::spawn(async move {
                sleep(Duration::from_millis(100)).await; // the holder has the lock by now
                let _g = m.lock().await;
                log.borrow_mut().push("w1 acquired");
                sleep(secs(10)).await; // holds it until aborted
            })
        };
        let w2 = {
            let m = m.clone();
            sim::spawn(async move {
                // Arrive after w1 on every schedule.
                sleep(Duration::from_millis(500)).await;
                let _g = m.lock().await;
                elapsed()
            })
        };
        let aborter = {
            let log = log.clone();
            sim::spawn(async move {
                sleep(secs(1)).await;
                w1.abort();
                log.borrow_mut().push("aborted");
                w1.await
            })
        };
        holder.await.unwrap();
        let w1_result = aborter.await.unwrap();
        assert!(w1_result.unwrap_err().is_cancelled());
        // However the tie at t=1s was ordered, w2 gets the lock at t=1s.
        assert_eq!(w2.await.unwrap(), secs(1));
        assert!(m.try_lock().is_some(), "the lock was lost");
        let log = log.borrow().clone();
        // Handed to w1 and cancelled before w1 collected it.
        log == ["released", "aborted"]
    });
    assert!(
        outcomes[..2 * SEEDS as usize].contains(&true),
        "no seed aborted w1 between the hand-off and its collection"
    );
}

// ---------------------------------------------------------------------------------------------
// RwLock
// ---------------------------------------------------------------------------------------------

#[test]
fn rwlock_readers_share_and_writers_exclude_on_every_schedule() {
    on_every_schedule(SEEDS, || async {
        let lock = Rc::new(RwLock::new(0u32));
        let readers = Rc::new(Cell::new(0u32));
        let max_readers = Rc::new(Cell::new(0u32));
        let writers = Rc::new(Cell::new(0u32));
        let tasks: Vec<_> = (0..6u32)
            .map(|i| {
                let (lock, readers, max_readers, writers) = (
                    lock.clone(),
                    readers.clone(),
                    max_readers.clone(),
                    writers.clone(),
                );
                sim::spawn(async move {
                    if i % 3 == 2 {
                        let mut g = lock.write().await;
                        assert_eq!((readers.get(), writers.replace(1)), (0, 0));
                        sleep(secs(1)).await;
                        *g += 1;
                        writers.set(0);
                    } else {
                        let g = lock.read().await;
                        assert_eq!(writers.get(), 0, "a reader beside a writer");
                        readers.set(readers.get() + 1);
                        max_readers.set(max_readers.get().max(readers.get()));
                        let seen = *g;
                        sleep(secs(1)).await;
                        assert_eq!(*g, seen, "the value changed under a read guard");
                        readers.set(readers.get() - 1);
                    }
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
        assert_eq!(*lock.read().await, 2);
        assert!(max_readers.get() >= 2, "readers never shared the lock");
        // Two writers of 1 s each, and at most three batches of readers between them.
        assert!((secs(3)..=secs(5)).contains(&elapsed()), "{:?}", elapsed());
    });
}

#[test]
fn rwlock_waiting_writer_holds_up_later_readers() {
    on_every_schedule(SEEDS, || async {
        let lock = Rc::new(RwLock::new(0u32));
        let log = Rc::new(RefCell::new(Vec::new()));
        let r1 = lock.read().await;
        let arrived = Rc::new(Cell::new(0));
        let writer = {
            let (lock, log, arrived) = (lock.clone(), log.clone(), arrived.clone());
            sim::spawn(async move {
                arrived.set(1);
                let mut g = lock.write().await;
                log.borrow_mut().push(("writer", elapsed()));
                sleep(secs(1)).await;
                *g = 7;
            })
        };
        yield_until(|| arrived.get() == 1).await;
        let reader = {
            let (lock, log) = (lock.clone(), log.clone());
            sim::spawn(async move {
                let g = lock.read().await;
                log.borrow_mut().push(("reader", elapsed()));
                *g
            })
        };
        sleep(secs(1)).await;
        assert!(
            log.borrow().is_empty(),
            "a reader overtook a waiting writer"
        );
        drop(r1);
        writer.await.unwrap();
        assert_eq!(reader.await.unwrap(), 7);
        assert_eq!(*log.borrow(), [("writer", secs(1)), ("reader", secs(2))]);
    });
}

#[test]
fn rwlock_cancelled_waiting_writer_lets_readers_behind_it_through() {
    on_every_schedule(SEEDS, || async {
        let lock = Rc::new(RwLock::new(0u32));
        let r1 = lock.read().await;
        let arrived = Rc::new(Cell::new(false));
        let writer = {
            let (lock, arrived) = (lock.clone(), arrived.clone());
            sim::spawn(async move {
                arrived.set(true);
                timeout(secs(1), lock.write()).await.is_ok()
            })
        };
        yield_until(|| arrived.get()).await;
        let reader = {
            let lock = lock.clone();
            sim::spawn(async move {
                let _g = lock.read().await;
                elapsed()
            })
        };
        // r1 is held throughout; the writer gives up at t=1s and the reader gets in then.
        assert!(!writer.await.unwrap());
        assert_eq!(reader.await.unwrap(), secs(1));
        drop(r1);
        assert_eq!(elapsed(), secs(1));
        *lock.write().await += 1;
        assert_eq!(*lock.read().await, 1);
    });
}

// ---------------------------------------------------------------------------------------------
// Semaphore
// ---------------------------------------------------------------------------------------------

#[test]
fn semaphore_fifo_fairness_known_arrival_order_under_fifo() {
    let mut rt = fifo();
    rt.block_on(async {
        let sem = Rc::new(Semaphore::new(0));
        let order = Rc::new(RefCell::new(Vec::new()));
        let tasks: Vec<_> = (0..5u32)
            .map(|i| {
                let (sem, order) = (sem.clone(), order.clone());
                sim::spawn(async move {
                    for _ in 0..(5 - i) {
                        yield_now().await;
                    }
                    sem.acquire().await.forget();
                    order.borrow_mut().push((i, elapsed()));
                })
            })
            .collect();
        for _ in 0..10 {
            yield_now().await;
        }
        for _ in 0..5 {
            sleep(secs(1)).await;
            sem.add_permits(1);
        }
        for t in tasks {
            t.await.unwrap();
        }
        let expected: Vec<_> = [4, 3, 2, 1, 0].into_iter().zip((1..).map(secs)).collect();
        assert_eq!(*order.borrow(), expected);
        assert_eq!(sem.available_permits(), 0);
    })
    .unwrap();
}

#[test]
fn semaphore_fifo_fairness_in_arrival_order_on_every_schedule() {
    on_every_schedule(SEEDS, || async {
        let sem = Rc::new(Semaphore::new(0));
        let arrivals = Rc::new(RefCell::new(Vec::new()));
        let acquired = Rc::new(RefCell::new(Vec::new()));
        let tasks: Vec<_> = (0..4u32)
            .map(|i| {
                let (sem, arrivals, acquired) = (sem.clone(), arrivals.clone(), acquired.clone());
                sim::spawn(async move {
                    yield_now().await;
                    arrivals.borrow_mut().push(i);
                    sem.acquire().await.forget();
                    acquired.borrow_mut().push((i, elapsed()));
                })
            })
            .collect();
        yield_until(|| arrivals.borrow().len() == 4).await;
        for _ in 0..4 {
            sleep(secs(1)).await;
            sem.add_permits(1);
        }
        for t in tasks {
            t.await.unwrap();
        }
        let expected: Vec<_> = arrivals
            .borrow()
            .iter()
            .zip(1..)
            .map(|(&i, k)| (i, secs(k)))
            .collect();
        assert_eq!(*acquired.borrow(), expected);
    });
}

#[test]
fn semaphore_large_request_at_head_is_not_overtaken() {
    on_every_schedule(SEEDS, || async {
        let sem = Rc::new(Semaphore::new(0));
        let log = Rc::new(RefCell::new(Vec::new()));
        let arrived = Rc::new(Cell::new(0));
        let big = {
            let (sem, log, arrived) = (sem.clone(), log.clone(), arrived.clone());
            sim::spawn(async move {
                arrived.set(1);
                sem.acquire_many(2).await.forget();
                log.borrow_mut().push(("big", elapsed()));
            })
        };
        yield_until(|| arrived.get() == 1).await;
        let small = {
            let (sem, log) = (sem.clone(), log.clone());
            sim::spawn(async move {
                sem.acquire().await.forget();
                log.borrow_mut().push(("small", elapsed()));
            })
        };
        sleep(secs(1)).await;
        sem.add_permits(1);
        sleep(secs(1)).await;
        // One permit is free, but the head waiter needs two: nobody goes.
        assert!(log.borrow().is_empty());
        assert_eq!(sem.available_permits(), 1);
        assert!(sem.try_acquire().is_err(), "try_acquire overtook waiters");
        sem.add_permits(1);
        big.await.unwrap();
        sleep(secs(1)).await;
        sem.add_permits(1);
        small.await.unwrap();
        assert_eq!(*log.borrow(), [("big", secs(2)), ("small", secs(3))]);
        assert_eq!(sem.available_permits(), 0);
    });
}

#[test]
fn semaphore_never_more_than_n_holders_and_total_time_ceil_jobs_over_n() {
    const JOBS: u64 = 7;
    for n in 1..=3usize {
        on_every_schedule(SEEDS / 2, || async move {
            let sem = Rc::new(Semaphore::new(n));
            let current = Rc::new(Cell::new(0usize));
            let max = Rc::new(Cell::new(0usize));
            let tasks: Vec<_> = (0..JOBS)
                .map(|_| {
                    let (sem, current, max) = (sem.clone(), current.clone(), max.clone());
                    sim::spawn(async move {
                        let _p = sem.acquire().await;
                        current.set(current.get() + 1);
                        max.set(max.get().max(current.get()));
                        sleep(secs(1)).await;
                        current.set(current.get() - 1);
                    })
                })
                .collect();
            for t in tasks {
                t.await.unwrap();
            }
            assert_eq!(max.get(), n, "holders overlapped beyond the permits");
            assert_eq!(elapsed(), secs(JOBS.div_ceil(n as u64)));
            assert_eq!(sem.available_permits(), n);
        });
    }
}

#[test]
fn semaphore_dropping_granted_uncollected_acquire_returns_permits() {
    on_every_schedule(20, || async {
        let sem = Semaphore::new(2);
        let held = sem.acquire_many(2).await;
        let mut first = Box::pin(sem.acquire_many(2));
        let mut second = Box::pin(sem.acquire());
        assert!(poll_once(&mut first).await.is_pending());
        assert!(poll_once(&mut second).await.is_pending());
        drop(held); // both permits go to `first`
        assert_eq!(sem.available_permits(), 0);
        drop(first); // gives them back: one goes on to `second`, one stays free
        assert_eq!(sem.available_permits(), 1);
        let Poll::Ready(p) = poll_once(&mut second).await else {
            panic!("`second` must have its permit");
        };
        drop(p);
        assert_eq!(sem.available_permits(), 2);
    });
}

#[test]
fn semaphore_waiter_aborted_in_the_step_it_is_handed_permits_returns_them() {
    on_every_schedule(SEEDS, || async {
        let sem = Rc::new(Semaphore::new(2));
        let held = sem.acquire_many(2).await;
        let arrived = Rc::new(Cell::new(0));
        let big_ran = Rc::new(Cell::new(false));
        let big = {
            let (sem, arrived, ran) = (sem.clone(), arrived.clone(), big_ran.clone());
            sim::spawn(async move {
                arrived.set(1);
                let _p = sem.acquire_many(2).await;
                ran.set(true);
            })
        };
        yield_until(|| arrived.get() == 1).await;
        let small = {
            let (sem, arrived) = (sem.clone(), arrived.clone());
            sim::spawn(async move {
                arrived.set(2);
                let _p = sem.acquire().await;
                let at = elapsed();
                sleep(secs(1)).await;
                at
            })
        };
        yield_until(|| arrived.get() == 2).await;
        sleep(secs(1)).await;
        // In one step: both permits go to big, and big is aborted before it can collect them.
        drop(held);
        assert_eq!(sem.available_permits(), 0);
        big.abort();
        assert!(big.await.unwrap_err().is_cancelled());
        assert!(!big_ran.get());
        // big's permits went on: one to small at once, one back to the semaphore.
        assert_eq!(small.await.unwrap(), secs(1));
        assert_eq!(sem.available_permits(), 2, "permits lost or duplicated");
    });
}

#[test]
fn semaphore_timeout_expiring_at_handoff_instant_returns_all_permits() {
    let outcomes = on_every_schedule(SEEDS, || async {
        let sem = Rc::new(Semaphore::new(1));
        let holders = Rc::new(Cell::new(0u32));
        let held = Rc::clone(&sem).acquire_owned().await;
        let holder = sim::spawn(async move {
            sleep(secs(1)).await;
            drop(held); // at t=1s
        });
        let w1 = {
            let (sem, holders) = (sem.clone(), holders.clone());
            sim::spawn(async move {
                let p = timeout(secs(1), sem.acquire()).await; // expires at t=1s
                assert_eq!(elapsed(), secs(1));
                if let Ok(_p) = p {
                    assert_eq!(holders.replace(1), 0);
                    sleep(secs(1)).await;
                    holders.set(0);
                    true
                } else {
                    false
                }
            })
        };
        let w2 = {
            let (sem, holders) = (sem.clone(), holders.clone());
            sim::spawn(async move {
                sleep(Duration::from_millis(500)).await; // queued behind w1
                let _p = sem.acquire().await;
                let at = elapsed();
                assert_eq!(holders.replace(1), 0);
                sleep(secs(1)).await;
                holders.set(0);
                at
            })
        };
        holder.await.unwrap();
        let w1_got_it = w1.await.unwrap();
        let w2_at = w2.await.unwrap();
        assert_eq!(w2_at, if w1_got_it { secs(2) } else { secs(1) });
        assert_eq!(
            sem.available_permits(),
            1,
            "a permit was lost or duplicated"
        );
        w1_got_it
    });
    let random = &outcomes[..2 * SEEDS as usize];
    assert!(random.contains(&true) && random.contains(&false));
}

#[test]
fn semaphore_abort_at_handoff_instant_returns_all_permits() {
    let outcomes = on_every_schedule(SEEDS, || async {
        let sem = Rc::new(Semaphore::new(3));
        let log = Rc::new(RefCell::new(Vec::<&'static str>::new()));
        let held = Rc::clone(&sem).acquire_owned().await;
        let rest = sem.acquire_many(2).await;
        rest.forget(); // 0 free, and only `held` will come back
        let holder = {
            let log = log.clone();
            sim::spawn(async move {
                sleep(secs(1)).await;
                log.borrow_mut().push("released");
                drop(held);
            })
        };
        let w1 = {
            let (sem, log) = (sem.clone(), log.clone());
            sim::spawn(async move {
                let _p = sem.acquire().await;
                log.borrow_mut().push("w1 acquired");
                sleep(secs(10)).await;
            })
        };
        let w2 = {
            let sem = sem.clone();
            sim::spawn(async move {
                sleep(Duration::from_millis(500)).await;
                let _p = sem.acquire().await;
                elapsed()
            })
        };
        let aborter = {
            let log = log.clone();
            sim::spawn(async move {
                sleep(secs(1)).await;
                w1.abort();
                log.borrow_mut().push("aborted");
                w1.await
            })
        };
        holder.await.unwrap();
        assert!(aborter.await.unwrap().unwrap_err().is_cancelled());
        assert_eq!(w2.await.unwrap(), secs(1));
        assert_eq!(
            sem.available_permits(),
            1,
            "a permit was lost or duplicated"
        );
        let log = log.borrow().clone();
        log == ["released", "aborted"]
    });
    assert!(
        outcomes[..2 * SEEDS as usize].contains(&true),
        "no seed aborted w1 between the hand-off and its collection"
    );
}

#[test]
fn semaphore_cancelled_head_waiter_lets_smaller_waiters_through() {
    on_every_schedule(SEEDS, || async {
        let sem = Rc::new(Semaphore::new(2));
        let held = sem.acquire().await; // one of two free
        let arrived = Rc::new(Cell::new(false));
        let big = {
            let (sem, arrived) = (sem.clone(), arrived.clone());
            sim::spawn(async move {
                arrived.set(true);
                timeout(secs(1), sem.acquire_many(2)).await.is_ok()
            })
        };
        yield_until(|| arrived.get()).await;
        let small = {
            let sem = sem.clone();
            sim::spawn(async move {
                let _p = sem.acquire().await;
                elapsed()
            })
        };
        // small waits behind big although a permit is free, until big gives up at t=1s.
        assert!(!big.await.unwrap());
        assert_eq!(small.await.unwrap(), secs(1));
        drop(held);
        assert_eq!(sem.available_permits(), 2);
    });
}
