//! Virtual time: sleeps, intervals, advance and the time limit.

mod support;

use sim::time::{Duration, Instant, MissedTickBehavior, advance, interval, sleep, sleep_until};
use sim::{Builder, SimError};
use support::{fifo, random, secs};

#[test]
fn sequential_sleeps_add_up() {
    let t = random(1)
        .block_on(async {
            sleep(secs(2)).await;
            sleep(secs(2)).await;
            Instant::now().since_start()
        })
        .unwrap();
    assert_eq!(t, secs(4));
}

#[test]
fn concurrent_sleeps_overlap_under_every_seed() {
    for seed in 0..50 {
        let t = random(seed)
            .block_on(async {
                let a = sim::spawn(sleep(secs(2)));
                let b = sim::spawn(async { sleep(secs(2)).await });
                a.await.unwrap();
                b.await.unwrap();
                sim::time::elapsed()
            })
            .unwrap();
        assert_eq!(t, secs(2), "seed {seed}");
    }
}

#[test]
fn a_year_long_sleep_is_virtual() {
    let t = random(3)
        .block_on(async {
            sleep(Duration::from_secs(365 * 24 * 3600)).await;
            sim::time::elapsed()
        })
        .unwrap();
    assert_eq!(t.as_secs(), 365 * 24 * 3600);
}

#[test]
fn zero_and_past_deadlines_complete_at_first_poll() {
    fifo()
        .block_on(async {
            sleep(secs(1)).await;
            let steps = sim::steps_taken();
            sleep(Duration::ZERO).await;
            sleep_until(Instant::now() - secs(1)).await;
            assert_eq!(
                sim::steps_taken(),
                steps,
                "no yield for deadlines already reached"
            );
        })
        .unwrap();
}

#[test]
fn sleeps_wake_in_deadline_order() {
    let log = support::Log::default();
    let mut rt = random(9);
    rt.block_on({
        let log = log.clone();
        async move {
            let handles: Vec<_> = [3u64, 1, 2]
                .into_iter()
                .map(|s| {
                    let log = log.clone();
                    sim::spawn(async move {
                        sleep(secs(s)).await;
                        log.push(format!("{s}@{:?}", sim::time::elapsed()));
                    })
                })
                .collect();
            for h in handles {
                h.await.unwrap();
            }
        }
    })
    .unwrap();
    assert_eq!(log.take(), ["1@1s", "2@2s", "3@3s"]);
}

#[test]
fn interval_ticks_on_its_grid_and_bursts_after_a_jump() {
    fifo()
        .block_on(async {
            let mut every = interval(Duration::from_millis(250));
            let mut ticks = Vec::new();
            for _ in 0..3 {
                ticks.push(every.tick().await.since_start().as_millis());
            }
            assert_eq!(ticks, [0, 250, 500]);
            advance(Duration::from_millis(600)).await; // now t=1100ms; 750 and 1000 missed
            let late: Vec<u128> = [every.tick().await, every.tick().await]
                .iter()
                .map(|t| t.since_start().as_millis())
                .collect();
            assert_eq!(late, [750, 1000]);
            assert_eq!(
                sim::time::elapsed().as_millis(),
                1100,
                "burst ticks do not wait"
            );
            assert_eq!(every.tick().await.since_start().as_millis(), 1250);
        })
        .unwrap();
}

#[test]
fn interval_delay_restarts_from_now() {
    fifo()
        .block_on(async {
            let mut every = interval(secs(1));
            every.set_missed_tick_behavior(MissedTickBehavior::Delay);
            every.tick().await;
            advance(Duration::from_millis(2500)).await;
            assert_eq!(every.tick().await.since_start(), secs(1));
            assert_eq!(
                every.tick().await.since_start(),
                Duration::from_millis(3500)
            );
        })
        .unwrap();
}

#[test]
fn advance_fires_due_timers_before_the_caller_continues() {
    fifo()
        .block_on(async {
            let done = sim::spawn(sleep(secs(5)));
            sim::task::yield_now().await; // let the sleeper arm its timer
            advance(secs(10)).await;
            sim::task::yield_now().await;
            assert!(done.is_finished());
            assert_eq!(sim::time::elapsed(), secs(10));
        })
        .unwrap();
}

#[test]
fn time_limit_stops_a_run_that_would_pass_it() {
    let mut rt = Builder::new().max_time(secs(10)).build();
    let err = rt
        .block_on(async {
            sleep(secs(4)).await;
            sleep(secs(7)).await;
        })
        .unwrap_err();
    let SimError::TimeLimit(limit) = &err else {
        panic!("expected a time limit, got {err}")
    };
    assert_eq!(limit.max_time, secs(10));
    assert_eq!(limit.next_time, secs(11));
    assert_eq!(
        limit.at.time,
        secs(4),
        "the clock stays at the last instant within the limit"
    );
    assert!(err.to_string().contains("time limit of 10s"), "{err}");
}

#[test]
fn time_outside_a_run_panics_with_a_clear_message() {
    let err = std::panic::catch_unwind(|| sim::time::Instant::now()).unwrap_err();
    let msg = err.downcast_ref::<String>().unwrap();
    assert!(
        msg.contains("`sim::time::Instant::now` called outside a sim runtime"),
        "{msg}"
    );
}

/// A timer names the task that armed it; a sleep moved to another task and awaited there
/// must wake that other task, and the task that armed it must not be woken for it.
#[sim::test(seeds = 20)]
async fn a_sleep_moved_to_another_task_wakes_that_task() {
    use std::cell::Cell;
    use std::future::poll_fn;
    use std::pin::Pin;
    use std::rc::Rc;
    use std::task::Poll;

    let (tx, rx) = sim::sync::oneshot::channel::<Pin<Box<sim::time::Sleep>>>();
    let first_polls = Rc::new(Cell::new(0u32));
    let counter = Rc::clone(&first_polls);
    let first = sim::spawn(async move {
        let mut sleep = Box::pin(sim::time::sleep(Duration::from_secs(1)));
        // Arm the timer with this task's own waker, then hand the sleep over.
        poll_fn(|cx| {
            counter.set(counter.get() + 1);
            assert!(sleep.as_mut().poll(cx).is_pending());
            Poll::Ready(())
        })
        .await;
        tx.send(sleep).expect("the receiver waits");
        // Park without a timer of its own: only a stray wake would poll this again.
        poll_fn(|_| {
            counter.set(counter.get() + 1);
            Poll::<()>::Pending
        })
        .await;
    });
    let second = sim::spawn(async move {
        let sleep = rx.await.expect("the sleep arrives");
        sleep.await;
        sim::time::Instant::now()
    });
    let woke_at = second.await.expect("the second task ran");
    assert_eq!(woke_at.since_start(), Duration::from_secs(1));
    sim::time::sleep(Duration::from_secs(5)).await;
    assert_eq!(
        first_polls.get(),
        2,
        "the task that armed the timer was woken by it"
    );
    first.abort();
}

/// A sleep polled with a waker that is not its task's (a combinator's or another executor's)
/// must wake that waker when it fires, not the task.
#[sim::test(seeds = 20)]
async fn a_sleep_polled_with_a_foreign_waker_wakes_that_waker() {
    use std::future::Future;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::task::{Context, Wake, Waker};

    struct Counter(AtomicU32);
    impl Wake for Counter {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::Relaxed);
        }
    }

    let counter = Arc::new(Counter(AtomicU32::new(0)));
    let waker = Waker::from(Arc::clone(&counter));
    let mut sleep = Box::pin(sim::time::sleep(Duration::from_secs(1)));
    assert!(
        sleep
            .as_mut()
            .poll(&mut Context::from_waker(&waker))
            .is_pending()
    );
    sim::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        counter.0.load(Ordering::Relaxed),
        1,
        "the sleep's own waker was woken"
    );
    assert!(
        sleep
            .as_mut()
            .poll(&mut Context::from_waker(&waker))
            .is_ready()
    );
}
