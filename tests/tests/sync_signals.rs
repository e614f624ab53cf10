//! `Event`, `Notify` and `Barrier`: who is woken, when (in virtual time), what is stored for
//! later, and what a waiter cancelled around the wake-up does to the others.

mod support;

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use sim::sync::{Barrier, Event, Notify};
use sim::task::yield_now;
use sim::time::{Duration, elapsed, sleep, timeout};
use support::{finished_or_cancelled, on_every_schedule, secs, yield_until};

const SEEDS: u64 = 200;

// ---------------------------------------------------------------------------------------------
// Event
// ---------------------------------------------------------------------------------------------

#[test]
fn event_set_wakes_every_waiter() {
    on_every_schedule(SEEDS, || async {
        let event = Rc::new(Event::new());
        let waiters: Vec<_> = (0..4u64)
            .map(|i| {
                let event = event.clone();
                sim::spawn(async move {
                    sleep(Duration::from_millis(100 * i)).await; // arrive at different times
                    event.wait().await;
                    elapsed()
                })
            })
            .collect();
        sleep(secs(2)).await;
        assert!(waiters.iter().all(|w| !w.is_finished()));
        event.set();
        for w in waiters {
            assert_eq!(w.await.unwrap(), secs(2));
        }
        // A set event lets a new waiter through at once.
        event.wait().await;
        assert_eq!(elapsed(), secs(2));
        assert!(event.is_set());
    });
}

#[test]
fn event_set_then_clear_still_wakes_waiters_already_blocked() {
    on_every_schedule(SEEDS, || async {
        let event = Rc::new(Event::new());
        let arrived = Rc::new(Cell::new(0));
        let waiters: Vec<_> = (0..3)
            .map(|_| {
                let (event, arrived) = (event.clone(), arrived.clone());
                sim::spawn(async move {
                    // Not set: this first poll of `wait` blocks in the same step.
                    arrived.set(arrived.get() + 1);
                    event.wait().await;
                    elapsed()
                })
            })
            .collect();
        yield_until(|| arrived.get() == 3).await;
        sleep(secs(1)).await;
        event.set();
        event.clear();
        assert!(!event.is_set());
        for w in waiters {
            assert_eq!(w.await.unwrap(), secs(1));
        }
    });
}

#[test]
fn event_wait_after_clear_blocks() {
    on_every_schedule(SEEDS, || async {
        let event = Rc::new(Event::new());
        event.set();
        event.wait().await;
        assert_eq!(elapsed(), secs(0));
        event.clear();
        assert!(timeout(secs(1), event.wait()).await.is_err());
        assert_eq!(elapsed(), secs(1));
        let setter = {
            let event = event.clone();
            sim::spawn(async move {
                sleep(secs(2)).await;
                event.set();
            })
        };
        event.wait().await;
        assert_eq!(elapsed(), secs(3));
        setter.await.unwrap();
    });
}

// ---------------------------------------------------------------------------------------------
// Notify
// ---------------------------------------------------------------------------------------------

#[test]
fn notify_one_stores_one_permit_not_two() {
    on_every_schedule(SEEDS, || async {
        let notify = Notify::new();
        notify.notify_one();
        notify.notify_one();
        notify.notified().await; // the stored permit
        assert_eq!(elapsed(), secs(0));
        assert!(
            timeout(secs(1), notify.notified()).await.is_err(),
            "a second permit was stored"
        );
        assert_eq!(elapsed(), secs(1));
    });
}

#[test]
fn notify_waiters_stores_no_permit() {
    on_every_schedule(SEEDS, || async {
        let notify = Notify::new();
        notify.notify_waiters();
        assert!(timeout(secs(1), notify.notified()).await.is_err());
        assert_eq!(elapsed(), secs(1));
    });
}

#[test]
fn notify_waiters_wakes_every_current_waiter_only() {
    on_every_schedule(SEEDS, || async {
        let notify = Rc::new(Notify::new());
        let arrived = Rc::new(Cell::new(0));
        let waiters: Vec<_> = (0..3)
            .map(|_| {
                let (notify, arrived) = (notify.clone(), arrived.clone());
                sim::spawn(async move {
                    arrived.set(arrived.get() + 1);
                    notify.notified().await; // no permit stored: registers now
                    elapsed()
                })
            })
            .collect();
        yield_until(|| arrived.get() == 3).await;
        sleep(secs(1)).await;
        notify.notify_waiters();
        for w in waiters {
            assert_eq!(w.await.unwrap(), secs(1));
        }
        // Nothing is left over for a later waiter.
        assert!(timeout(secs(1), notify.notified()).await.is_err());
    });
}

#[test]
fn notify_one_wakes_oldest_waiter_first() {
    on_every_schedule(SEEDS, || async {
        let notify = Rc::new(Notify::new());
        let arrivals = Rc::new(RefCell::new(Vec::new()));
        let woken = Rc::new(RefCell::new(Vec::new()));
        let waiters: Vec<_> = (0..3u32)
            .map(|i| {
                let (notify, arrivals, woken) = (notify.clone(), arrivals.clone(), woken.clone());
                sim::spawn(async move {
                    yield_now().await;
                    arrivals.borrow_mut().push(i);
                    notify.notified().await;
                    woken.borrow_mut().push((i, elapsed()));
                })
            })
            .collect();
        yield_until(|| arrivals.borrow().len() == 3).await;
        for _ in 0..3 {
            sleep(secs(1)).await;
            notify.notify_one();
        }
        for w in waiters {
            w.await.unwrap();
        }
        let expected: Vec<_> = arrivals
            .borrow()
            .iter()
            .zip(1..)
            .map(|(&i, k)| (i, secs(k)))
            .collect();
        assert_eq!(*woken.borrow(), expected);
    });
}

#[test]
fn notify_one_delivered_to_waiter_then_cancelled_passes_to_next_waiter() {
    on_every_schedule(SEEDS, || async {
        let notify = Rc::new(Notify::new());
        let arrivals = Rc::new(RefCell::new(Vec::new()));
        let mut waiters: Vec<_> = (0..2usize)
            .map(|i| {
                let (notify, arrivals) = (notify.clone(), arrivals.clone());
                Some(sim::spawn(async move {
                    arrivals.borrow_mut().push(i);
                    notify.notified().await;
                    elapsed()
                }))
            })
            .collect();
        yield_until(|| arrivals.borrow().len() == 2).await;
        let (head, next) = (arrivals.borrow()[0], arrivals.borrow()[1]);
        sleep(secs(1)).await;
        // In one step: notify the oldest waiter, and cancel it before it can run.
        notify.notify_one();
        let head_task = waiters[head].take().unwrap();
        head_task.abort();
        assert!(head_task.await.unwrap_err().is_cancelled());
        assert_eq!(waiters[next].take().unwrap().await.unwrap(), secs(1));
        // It was passed on, not duplicated into a stored permit.
        assert!(timeout(secs(1), notify.notified()).await.is_err());
    });
}

#[test]
fn notify_one_delivered_to_cancelled_sole_waiter_is_stored_as_permit() {
    on_every_schedule(SEEDS, || async {
        let notify = Rc::new(Notify::new());
        let arrived = Rc::new(Cell::new(false));
        let waiter = {
            let (notify, arrived) = (notify.clone(), arrived.clone());
            sim::spawn(async move {
                arrived.set(true);
                notify.notified().await;
            })
        };
        yield_until(|| arrived.get()).await;
        notify.notify_one();
        waiter.abort();
        assert!(waiter.await.unwrap_err().is_cancelled());
        // Nobody else waits: the notification comes back as the stored permit (exactly one).
        notify.notified().await;
        assert_eq!(elapsed(), secs(0));
        assert!(timeout(secs(1), notify.notified()).await.is_err());
    });
}

#[test]
fn notify_one_racing_cancellation_at_same_instant_reaches_exactly_one_waiter() {
    let outcomes = on_every_schedule(SEEDS, || async {
        let notify = Rc::new(Notify::new());
        let log = Rc::new(RefCell::new(Vec::<&'static str>::new()));
        let a = {
            let (notify, log) = (notify.clone(), log.clone());
            sim::spawn(async move {
                notify.notified().await;
                log.borrow_mut().push("a notified");
            })
        };
        let b = {
            let notify = notify.clone();
            sim::spawn(async move {
                sleep(Duration::from_millis(500)).await; // queued behind a
                timeout(Duration::from_millis(4500), notify.notified()) // until t=5s
                    .await
                    .is_ok()
            })
        };
        let notifier = {
            let (notify, log) = (notify.clone(), log.clone());
            sim::spawn(async move {
                sleep(secs(1)).await;
                log.borrow_mut().push("notify_one");
                notify.notify_one();
            })
        };
        let aborter = {
            let log = log.clone();
            sim::spawn(async move {
                sleep(secs(1)).await;
                a.abort();
                log.borrow_mut().push("aborted");
                finished_or_cancelled(a.await).is_some()
            })
        };
        notifier.await.unwrap();
        let a_done = aborter.await.unwrap();
        let b_done = b.await.unwrap();
        let a_logged = log.borrow().contains(&"a notified");
        assert_eq!(a_done, a_logged);
        assert!(
            a_done ^ b_done,
            "exactly one waiter must get the one notification: a {a_done}, b {b_done}"
        );
        assert_eq!(elapsed(), if b_done { secs(1) } else { secs(5) });
        // Nothing left over as a stored permit.
        assert!(timeout(secs(1), notify.notified()).await.is_err());
        let log = log.borrow().clone();
        log == ["notify_one", "aborted"] // handed to a, then a was dropped uncollected
    });
    assert!(
        outcomes[..2 * SEEDS as usize].contains(&true),
        "no seed cancelled a between the notification and its collection"
    );
}

// ---------------------------------------------------------------------------------------------
// Barrier
// ---------------------------------------------------------------------------------------------

#[test]
fn barrier_exactly_one_leader_per_round_released_together() {
    const N: u64 = 3;
    const ROUNDS: u64 = 4;
    on_every_schedule(SEEDS / 2, || async {
        let barrier = Rc::new(Barrier::new(N as usize));
        let results = Rc::new(RefCell::new(Vec::new()));
        let tasks: Vec<_> = (0..N)
            .map(|i| {
                let (barrier, results) = (barrier.clone(), results.clone());
                sim::spawn(async move {
                    for round in 0..ROUNDS {
                        // Task i arrives (i + round) % N + 1 seconds into the round.
                        sleep(secs((i + round) % N + 1)).await;
                        let r = barrier.wait().await;
                        results
                            .borrow_mut()
                            .push((round, i, r.is_leader(), elapsed()));
                    }
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
        let results = results.borrow();
        for round in 0..ROUNDS {
            let this_round: Vec<_> = results.iter().filter(|r| r.0 == round).collect();
            assert_eq!(this_round.len(), N as usize);
            // Every round lasts N seconds: released together when the last one arrives.
            assert!(this_round.iter().all(|r| r.3 == secs(N * (round + 1))));
            let leaders: Vec<_> = this_round.iter().filter(|r| r.2).map(|r| r.1).collect();
            // The one leader is the last to arrive.
            let last = (0..N).find(|i| (i + round) % N == N - 1).unwrap();
            assert_eq!(leaders, [last], "round {round}");
        }
    });
}

#[test]
fn barrier_waiter_cancelled_before_trip_does_not_count() {
    on_every_schedule(SEEDS, || async {
        let barrier = Rc::new(Barrier::new(3));
        let a = {
            let barrier = barrier.clone();
            sim::spawn(async move { timeout(secs(1), barrier.wait()).await.is_ok() })
        };
        let aborted = {
            let barrier = barrier.clone();
            sim::spawn(async move {
                barrier.wait().await;
                unreachable!("a barrier of 3 tripped with two waiters");
            })
        };
        let waiter = |delay| {
            let barrier = barrier.clone();
            sim::spawn(async move {
                sleep(secs(delay)).await;
                let r = barrier.wait().await;
                (r.is_leader(), elapsed())
            })
        };
        let b = waiter(2);
        let c = waiter(3);
        let d = waiter(4);
        // Two of three arrive at t=0; at t=1s one times out and the other is aborted.
        sleep(secs(1)).await;
        aborted.abort();
        assert!(aborted.await.unwrap_err().is_cancelled());
        assert!(!a.await.unwrap());
        // b (t=2s) and c (t=3s) must wait for d (t=4s): neither cancelled waiter counts.
        assert_eq!(b.await.unwrap(), (false, secs(4)));
        assert_eq!(c.await.unwrap(), (false, secs(4)));
        assert_eq!(d.await.unwrap(), (true, secs(4)));
    });
}

#[test]
fn barrier_cancellation_racing_the_trip_leaves_count_consistent() {
    let outcomes = on_every_schedule(SEEDS, || async {
        let barrier = Rc::new(Barrier::new(2));
        let log = Rc::new(RefCell::new(Vec::<&'static str>::new()));
        let a = {
            let (barrier, log) = (barrier.clone(), log.clone());
            sim::spawn(async move {
                let r = barrier.wait().await;
                log.borrow_mut().push("a released");
                r.is_leader()
            })
        };
        let b = {
            let (barrier, log) = (barrier.clone(), log.clone());
            sim::spawn(async move {
                sleep(secs(1)).await;
                log.borrow_mut().push("b arrives");
                timeout(secs(1), barrier.wait())
                    .await
                    .map(|r| r.is_leader())
            })
        };
        let aborter = {
            let log = log.clone();
            sim::spawn(async move {
                sleep(secs(1)).await;
                a.abort();
                log.borrow_mut().push("aborted");
                finished_or_cancelled(a.await)
            })
        };
        let a_result = aborter.await.unwrap();
        let b_result = b.await.unwrap();
        match b_result {
            // b tripped the barrier at t=1s: a had arrived and had not been cancelled yet.
            Ok(leader) => {
                assert!(leader);
                assert_ne!(a_result, Some(true));
                assert_eq!(elapsed(), secs(1));
            }
            // a was cancelled first; b waited alone and gave up at t=2s.
            Err(_) => {
                assert_eq!(a_result, None);
                assert_eq!(elapsed(), secs(2));
            }
        }
        // Nobody counts as arrived now: one waiter alone blocks, two trip it together.
        assert!(timeout(secs(1), barrier.wait()).await.is_err());
        let other = {
            let barrier = barrier.clone();
            sim::spawn(async move { barrier.wait().await.is_leader() })
        };
        let mine = barrier.wait().await.is_leader();
        assert!(mine ^ other.await.unwrap());
        let log = log.borrow().clone();
        // Released by b's arrival, then dropped before it could observe it.
        log == ["b arrives", "aborted"] && b_result.is_ok()
    });
    assert!(
        outcomes[..2 * SEEDS as usize].contains(&true),
        "no seed cancelled a between the trip and its collection"
    );
}
