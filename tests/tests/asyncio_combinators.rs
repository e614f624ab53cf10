//! Semantics of the asyncio-style combinators, asserted on every schedule: many seeds under
//! `Random`, and `Fifo`.

mod support;

use std::cell::{Cell, RefCell};
use std::collections::HashSet;
use std::rc::Rc;

use futures::StreamExt;
use sim::task::TaskGroup;
use sim::time::{Duration, sleep, timeout};
use sim::{Builder, ReturnWhen, Strategy};
use support::{DropCounter, Log, fifo, random, secs};

/// Runs `program` under 100 Random seeds and under Fifo.
fn every_schedule<F, Fut>(program: F)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    for seed in 0..100 {
        random(seed).block_on(program()).unwrap();
    }
    fifo().block_on(program()).unwrap();
}

#[test]
fn wait_for_cancels_the_task_and_returns_only_after_it_ended() {
    every_schedule(|| async {
        let drops = DropCounter::default();
        let guard = drops.guard();
        let task = sim::spawn(async move {
            let _g = guard;
            sleep(secs(5)).await;
        });
        let err = sim::wait_for(secs(1), task).await.unwrap_err();
        assert_eq!(err.deadline().since_start(), secs(1));
        assert_eq!(
            drops.times(),
            [secs(1)],
            "the task's future was dropped at the deadline"
        );
        assert_eq!(sim::time::elapsed(), secs(1));
    });
}

#[test]
fn wait_for_returns_the_result_when_in_time() {
    every_schedule(|| async {
        let task = sim::spawn(async {
            sleep(secs(1)).await;
            9
        });
        assert_eq!(sim::wait_for(secs(2), task).await.unwrap().unwrap(), 9);
        assert_eq!(sim::time::elapsed(), secs(1));
    });
}

#[test]
fn dropping_a_pending_wait_for_cancels_its_task() {
    every_schedule(|| async {
        let drops = DropCounter::default();
        let guard = drops.guard();
        let task = sim::spawn(async move {
            let _g = guard;
            sleep(secs(5)).await;
        });
        // The outer timeout drops the wait_for at t=1s, which must cancel the task.
        assert!(
            timeout(secs(1), sim::wait_for(secs(3), task))
                .await
                .is_err()
        );
        sleep(Duration::from_millis(1)).await;
        assert_eq!(drops.times(), [secs(1)]);
    });
}

#[test]
fn shield_keeps_the_work_running_and_its_result_retrievable() {
    every_schedule(|| async {
        let mut work = sim::shield(async {
            sleep(secs(2)).await;
            2
        });
        assert!(timeout(secs(1), &mut work).await.is_err());
        assert!(!work.is_finished(), "not cancelled by the timeout");
        assert_eq!(work.await.unwrap(), 2);
        assert_eq!(sim::time::elapsed(), secs(2));
    });
}

/// asyncio's `wait_for(shield(x), d)`: the wait gives up at the deadline, `x` runs on to its
/// end (and is not cancelled when the `WaitFor` is dropped either).
#[test]
fn wait_for_on_a_shield_gives_up_the_wait_and_leaves_the_work_running() {
    every_schedule(|| async {
        let done = Rc::new(Cell::new(false));
        let d = Rc::clone(&done);
        let waited = sim::wait_for(
            secs(1),
            sim::shield(async move {
                sleep(secs(2)).await;
                d.set(true);
            }),
        )
        .await;
        assert!(waited.is_err());
        assert_eq!(
            sim::time::elapsed(),
            secs(1),
            "the wait ends at its deadline"
        );
        sleep(secs(2)).await;
        assert!(done.get(), "the shielded work ran to its end");
        let d = Rc::clone(&done);
        d.set(false);
        let pending = sim::wait_for(
            secs(1),
            sim::shield(async move {
                sleep(secs(2)).await;
                d.set(true);
            }),
        );
        drop(pending);
        sleep(secs(3)).await;
        assert!(done.get(), "dropping the wait does not cancel the work");
    });
}

#[test]
fn gather_keeps_input_order_whatever_the_completion_order() {
    every_schedule(|| async {
        let delays: Vec<u64> = (0..6).map(|_| sim::rand::random::<u64>() % 5).collect();
        let futures = delays.iter().map(|&d| async move {
            sleep(Duration::from_millis(d)).await;
            d
        });
        assert_eq!(sim::gather(futures).await.unwrap(), delays);
    });
}

#[test]
fn dropping_a_pending_gather_cancels_its_children() {
    every_schedule(|| async {
        let drops = DropCounter::default();
        let futures: Vec<_> = (0..3)
            .map(|_| {
                let g = drops.guard();
                async move {
                    let _g = g;
                    sleep(secs(10)).await;
                }
            })
            .collect();
        assert!(timeout(secs(1), sim::gather(futures)).await.is_err());
        sleep(Duration::from_millis(1)).await;
        assert_eq!(drops.times(), [secs(1); 3]);
    });
}

#[test]
fn gather_returns_the_first_failure_and_leaves_the_others_running() {
    every_schedule(|| async {
        let finished = Log::default();
        let f = finished.clone();
        let futures: Vec<std::pin::Pin<Box<dyn std::future::Future<Output = u8>>>> = vec![
            Box::pin(async {
                sleep(secs(1)).await;
                panic!("first failure")
            }),
            Box::pin(async move {
                sleep(secs(3)).await;
                f.push("survivor");
                0
            }),
        ];
        let err = sim::gather(futures).await.unwrap_err();
        assert!(err.is_panic());
        assert_eq!(sim::time::elapsed(), secs(1));
        sleep(secs(5)).await;
        assert_eq!(
            finished.take(),
            ["survivor"],
            "not cancelled, as in asyncio"
        );
    });
}

#[test]
fn gather_settled_reports_every_result() {
    every_schedule(|| async {
        let futures: Vec<std::pin::Pin<Box<dyn std::future::Future<Output = u8>>>> = vec![
            Box::pin(async { 1 }),
            Box::pin(async { panic!("two") }),
            Box::pin(async {
                sleep(secs(1)).await;
                3
            }),
        ];
        let results = sim::gather_settled(futures).await;
        assert_eq!(*results[0].as_ref().unwrap(), 1);
        assert_eq!(
            results[1].as_ref().unwrap_err().panic_message(),
            Some("two")
        );
        assert_eq!(*results[2].as_ref().unwrap(), 3);
    });
}

#[test]
fn first_exception_returns_at_the_first_error_with_the_rest_pending_and_running() {
    every_schedule(|| async {
        let ok = sim::spawn(async {
            sleep(secs(1)).await;
            1
        });
        let bad = sim::spawn(async {
            sleep(secs(2)).await;
            panic!("bad")
        });
        let slow = sim::spawn(async {
            sleep(secs(4)).await;
            4
        });
        let (done, pending) = sim::wait([ok, bad, slow], ReturnWhen::FirstException).await;
        assert_eq!(sim::time::elapsed(), secs(2));
        assert_eq!(done.len(), 2);
        assert_eq!(*done[0].1.as_ref().unwrap(), 1);
        assert!(done[1].1.as_ref().unwrap_err().is_panic());
        assert_eq!(pending.len(), 1);
        let rest = pending.into_iter().next().unwrap();
        assert!(!rest.is_finished());
        assert_eq!(rest.await.unwrap(), 4, "the pending task was not cancelled");
    });
}

#[test]
fn first_completed_and_all_completed() {
    every_schedule(|| async {
        let a = sim::spawn(async {
            sleep(secs(1)).await;
            'a'
        });
        let b = sim::spawn(async {
            sleep(secs(2)).await;
            'b'
        });
        let (done, pending) = sim::wait([a, b], ReturnWhen::FirstCompleted).await;
        assert_eq!((done.len(), pending.len()), (1, 1));
        assert_eq!(sim::time::elapsed(), secs(1));
        let (done, pending) = sim::wait(pending, ReturnWhen::AllCompleted).await;
        assert_eq!((done.len(), pending.len()), (1, 0));
        assert_eq!(*done[0].1.as_ref().unwrap(), 'b');
        assert_eq!(sim::time::elapsed(), secs(2));
    });
}

#[test]
fn as_completed_yields_in_completion_order() {
    every_schedule(|| async {
        let delays: Vec<u64> = (0..6).map(|_| sim::rand::random::<u64>() % 10).collect();
        let handles = delays.iter().map(|&d| {
            sim::spawn(async move {
                sleep(Duration::from_millis(d)).await;
                (d, sim::time::elapsed())
            })
        });
        let mut results = sim::as_completed(handles);
        let mut last = Duration::ZERO;
        let mut seen = Vec::new();
        while let Some(r) = results.next().await {
            let (d, finished_at) = r.unwrap();
            assert!(finished_at >= last, "completion order");
            assert_eq!(finished_at, Duration::from_millis(d));
            last = finished_at;
            seen.push(d);
        }
        let mut sorted = delays.clone();
        sorted.sort_unstable();
        seen.sort_unstable();
        assert_eq!(seen, sorted);
    });
}

/// A group whose two children fail at t=1s, and a third that would run for 10 s.
async fn failing_group(drops: DropCounter) -> Vec<String> {
    let group = TaskGroup::new();
    let g = drops.guard();
    group.spawn(async move {
        let _g = g;
        sleep(secs(10)).await;
    });
    group.spawn(async {
        sleep(secs(1)).await;
        panic!("one")
    });
    group.spawn(async {
        sleep(secs(1)).await;
        panic!("two")
    });
    let err = group.join().await.unwrap_err();
    assert!(err.errors().iter().all(sim::JoinError::is_panic));
    let mut messages: Vec<String> = err
        .errors()
        .iter()
        .filter_map(|e| e.panic_message())
        .map(String::from)
        .collect();
    messages.sort_unstable();
    messages
}

#[test]
fn task_group_cancels_siblings_on_a_failure_and_collects_the_errors() {
    every_schedule(|| async {
        let drops = DropCounter::default();
        let messages = failing_group(drops.clone()).await;
        // Whichever child fails first cancels the others; the second failing child may be
        // cancelled before it runs, so one or both failures are reported.
        assert!(!messages.is_empty() && messages.iter().all(|m| m == "one" || m == "two"));
        assert_eq!(
            drops.times(),
            [secs(1)],
            "the long sibling was cancelled at the failure"
        );
        assert_eq!(sim::time::elapsed(), secs(1));
    });
}

#[test]
fn task_group_reports_every_child_that_failed() {
    // Under Fifo both children run at t=1s before the group reacts: both failures appear.
    let messages = fifo()
        .block_on(failing_group(DropCounter::default()))
        .unwrap();
    assert_eq!(messages, ["one", "two"]);
}

#[test]
fn a_child_cancelled_through_its_handle_is_not_a_failure() {
    every_schedule(|| async {
        let group = TaskGroup::new();
        let doomed = group.spawn(async {
            sleep(secs(5)).await;
            0
        });
        group.spawn(async {
            sleep(secs(1)).await;
            1
        });
        doomed.abort();
        assert_eq!(group.join().await.unwrap(), [1]);
        assert_eq!(sim::time::elapsed(), secs(1));
    });
}

#[test]
fn dropping_a_task_group_cancels_its_children() {
    every_schedule(|| async {
        let drops = DropCounter::default();
        let group = TaskGroup::new();
        for _ in 0..3 {
            let g = drops.guard();
            group.spawn(async move {
                let _g = g;
                sleep(secs(10)).await;
            });
        }
        sim::task::yield_now().await;
        drop(group);
        sleep(secs(1)).await;
        assert_eq!(drops.count(), 3);
        assert!(drops.times().iter().all(|t| *t == Duration::ZERO));
    });
}

#[test]
fn nested_groups_keep_their_structure() {
    every_schedule(|| async {
        let outer = TaskGroup::new();
        outer.spawn(async {
            let inner = TaskGroup::new();
            inner.spawn(async { 1 });
            inner.spawn(async { panic!("inner failure") });
            inner
                .join()
                .await
                .map(|v| v.len())
                .map_err(|e| e.errors().len())
        });
        outer.spawn(async { Ok(7) });
        let results = outer.join().await.unwrap();
        assert_eq!(
            results,
            [Err(1), Ok(7)],
            "the inner group's failure stays inside it"
        );
    });
}

#[test]
fn done_callbacks_run_in_registration_order_after_the_task() {
    every_schedule(|| async {
        let log = Rc::new(RefCell::new(Vec::new()));
        let task = sim::spawn(async { sleep(secs(1)).await });
        for i in 0..4 {
            let log = Rc::clone(&log);
            task.on_done(move |done| {
                log.borrow_mut()
                    .push((i, done.outcome, sim::time::elapsed()))
            });
        }
        task.await.unwrap();
        sleep(Duration::from_millis(1)).await;
        let expected: Vec<_> = (0..4)
            .map(|i| (i, sim::Outcome::Returned, secs(1)))
            .collect();
        assert_eq!(*log.borrow(), expected);
    });
}

#[test]
fn blocking_jobs_never_exceed_the_pool_and_finish_on_time() {
    for threads in 1..=3usize {
        for seed in 0..30 {
            let mut rt = Builder::new().seed(seed).blocking_threads(threads).build();
            rt.block_on(async move {
                let jobs: Vec<_> = (0..7)
                    .map(|_| sim::task::spawn_blocking(secs(1), sim::time::elapsed))
                    .collect();
                let mut starts = Vec::new();
                for j in jobs {
                    starts.push(j.await.unwrap());
                }
                let expected_end = secs(7u64.div_ceil(threads as u64));
                assert_eq!(sim::time::elapsed(), expected_end);
                // A job starts as soon as a worker is free: `threads` of them each second.
                starts.sort();
                let expected: Vec<_> = (0..7u64).map(|k| secs(k / threads as u64)).collect();
                assert_eq!(starts, expected);
            })
            .unwrap();
        }
    }
}

#[test]
fn select_is_decided_by_the_seed_and_replays() {
    let pick = |seed: u64| {
        let mut rt = random(seed);
        let branch = rt
            .block_on(async {
                sim::select! {
                    () = sleep(secs(1)) => "a",
                    () = sleep(secs(1)) => "b",
                    () = sleep(secs(1)) => "c",
                }
            })
            .unwrap();
        (branch, rt.schedule())
    };
    let branches: HashSet<&str> = (0..50).map(|s| pick(s).0).collect();
    assert_eq!(
        branches.len(),
        3,
        "every branch wins on some seed: {branches:?}"
    );
    for seed in 0..10 {
        let (branch, schedule) = pick(seed);
        assert_eq!(pick(seed).0, branch);
        let mut replay = Builder::new()
            .seed(seed)
            .strategy(Strategy::Replay(schedule))
            .build();
        let again = replay
            .block_on(async {
                sim::select! {
                    () = sleep(secs(1)) => "a",
                    () = sleep(secs(1)) => "b",
                    () = sleep(secs(1)) => "c",
                }
            })
            .unwrap();
        assert_eq!(again, branch);
    }
}

#[test]
fn select_drops_the_losing_branches() {
    every_schedule(|| async {
        let drops = DropCounter::default();
        let g = drops.guard();
        let loser = async move {
            let _g = g;
            sleep(secs(5)).await;
        };
        let winner = sim::select! {
            () = loser => "loser",
            () = sleep(secs(1)) => "timer",
        };
        assert_eq!(winner, "timer");
        assert_eq!(drops.times(), [secs(1)]);
    });
}

#[test]
fn the_determinism_check_catches_futures_select() {
    use futures::FutureExt;
    let result = sim::check::Check::new()
        .name("uses_futures_select")
        .seeds(20)
        .check_determinism(true)
        .try_run(|| async {
            for _ in 0..10 {
                // Both branches are ready: futures::select! picks one with process entropy.
                futures::select! {
                    () = std::future::ready(()).fuse() => sim::task::yield_now().await,
                    () = std::future::ready(()).fuse() => drop(sim::spawn(async {})),
                }
            }
        });
    let report = result
        .expect_err("futures::select! must be caught")
        .to_string();
    assert!(report.contains("diverged at event"), "{report}");
}

/// asyncio's TaskGroup with an exception in a child: opted into with `cancel_on_error`, the
/// first child returning `Err` cancels its siblings at once, and `try_join` reports every
/// `Err`; without it, an `Err` is an output like any other and nobody is cancelled.
#[test]
fn a_child_returning_err_fails_a_group_that_cancels_on_error() {
    every_schedule(|| async {
        let drops = DropCounter::default();
        let group = sim::task::TaskGroup::new().cancel_on_error();
        let guard = drops.guard();
        let slow = group.spawn(async move {
            let _guard = guard;
            sleep(secs(10)).await;
            Ok(1)
        });
        group.spawn(async {
            sleep(secs(1)).await;
            Err("refused")
        });
        let err = group.try_join().await.unwrap_err();
        assert_eq!(err.failures(), ["refused"]);
        assert!(err.errors().is_empty());
        assert!(slow.is_finished());
        assert_eq!(
            drops.times(),
            [secs(1)],
            "the sibling was cancelled at the error"
        );
        assert_eq!(sim::time::elapsed(), secs(1));

        let plain = sim::task::TaskGroup::new();
        plain.spawn(async {
            sleep(secs(2)).await;
            Ok::<_, &str>(2)
        });
        plain.spawn(async { Err("refused") });
        let outputs = plain.join().await.unwrap();
        assert_eq!(outputs, [Ok(2), Err("refused")], "nobody cancelled");
        assert_eq!(sim::time::elapsed(), secs(3));
    });
}
