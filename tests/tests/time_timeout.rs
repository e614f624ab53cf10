//! `timeout`: the inner future is dropped exactly at the deadline.

mod support;

use sim::time::{Duration, Instant, sleep, timeout, timeout_at};
use support::{DropCounter, fifo, random, secs};

#[test]
fn timeout_drops_the_inner_future_exactly_at_the_deadline() {
    for seed in 0..20 {
        let drops = DropCounter::default();
        let result = random(seed)
            .block_on({
                let drops = drops.clone();
                async move {
                    let guard = drops.guard();
                    let out = timeout(secs(1), async move {
                        let _guard = guard;
                        sleep(secs(2)).await;
                        "finished"
                    })
                    .await;
                    // Still inside the run: the drop must already have happened, at t=1s.
                    assert_eq!(drops.times(), [secs(1)]);
                    out
                }
            })
            .unwrap();
        assert!(result.is_err());
        assert_eq!(drops.times(), [secs(1)], "seed {seed}");
    }
}

#[test]
fn a_future_that_finishes_in_time_wins() {
    let out = fifo()
        .block_on(async {
            timeout(secs(3), async {
                sleep(secs(2)).await;
                5
            })
            .await
        })
        .unwrap();
    assert_eq!(out.unwrap(), 5);
}

#[test]
fn ready_at_the_deadline_counts_as_in_time() {
    let out = fifo()
        .block_on(async {
            let inner = sleep(secs(1));
            timeout(secs(1), inner).await
        })
        .unwrap();
    assert!(
        out.is_ok(),
        "the inner future is polled before the deadline is checked"
    );
}

#[test]
fn timeout_on_a_borrowed_handle_leaves_the_task_running() {
    let (first, second, at) = random(4)
        .block_on(async {
            let mut task = sim::spawn(async {
                sleep(secs(2)).await;
                2
            });
            let first = timeout(secs(1), &mut task).await.is_err();
            let second = task.await.unwrap();
            (first, second, sim::time::elapsed())
        })
        .unwrap();
    assert!(first);
    assert_eq!((second, at), (2, secs(2)));
}

#[test]
fn elapsed_reports_its_deadline() {
    fifo()
        .block_on(async {
            let deadline = Instant::now() + Duration::from_millis(1500);
            let err = timeout_at(deadline, std::future::pending::<()>())
                .await
                .unwrap_err();
            assert_eq!(err.deadline(), deadline);
            assert_eq!(Instant::now(), deadline);
            assert_eq!(err.to_string(), "deadline elapsed at t=1.5s");
        })
        .unwrap();
}
