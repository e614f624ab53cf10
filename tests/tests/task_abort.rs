//! Abort, cancel and abort-on-drop: when the future is dropped, and what the handle reports.

mod support;

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use sim::time::sleep;
use support::{DropCounter, Log, fifo, random, secs};

#[test]
fn abort_drops_the_future_at_a_later_step_not_inside_the_callers_poll() {
    let drops = DropCounter::default();
    fifo()
        .block_on({
            let drops = drops.clone();
            async move {
                let guard = drops.guard();
                let task = sim::spawn(async move {
                    let _guard = guard;
                    std::future::pending::<()>().await
                });
                sim::task::yield_now().await; // the task starts and parks
                task.abort();
                assert_eq!(
                    drops.count(),
                    0,
                    "abort must not drop the future re-entrantly"
                );
                let err = task.await.unwrap_err();
                assert!(err.is_cancelled());
                assert_eq!(drops.count(), 1);
            }
        })
        .unwrap();
}

#[test]
fn a_task_can_abort_itself_and_finishes_its_current_poll() {
    let log = Log::default();
    fifo()
        .block_on({
            let log = log.clone();
            async move {
                let slot: Rc<RefCell<Option<sim::JoinHandle<()>>>> = Rc::default();
                let own = Rc::clone(&slot);
                let l = log.clone();
                let task = sim::spawn(async move {
                    sim::task::yield_now().await;
                    own.borrow().as_ref().expect("handle handed over").abort();
                    l.push("still running after abort");
                    sim::task::yield_now().await;
                    l.push("unreachable");
                });
                *slot.borrow_mut() = Some(task);
                while !slot.borrow().as_ref().unwrap().is_finished() {
                    sim::task::yield_now().await;
                }
                let task = slot.borrow_mut().take().unwrap();
                assert!(task.await.unwrap_err().is_cancelled());
            }
        })
        .unwrap();
    assert_eq!(log.take(), ["still running after abort"]);
}

#[test]
fn abort_of_a_never_polled_task_never_runs_it() {
    let ran = Rc::new(Cell::new(false));
    for seed in 0..20 {
        let r = Rc::clone(&ran);
        random(seed)
            .block_on(async move {
                let task = sim::spawn(async move { r.set(true) });
                task.abort();
                assert!(task.await.unwrap_err().is_cancelled());
            })
            .unwrap();
        assert!(!ran.get(), "seed {seed}");
    }
}

#[test]
fn abort_after_completion_keeps_the_output() {
    fifo()
        .block_on(async {
            let task = sim::spawn(async { 3 });
            sim::task::yield_now().await;
            assert!(task.is_finished());
            task.abort();
            assert_eq!(task.await.unwrap(), 3);
        })
        .unwrap();
}

#[test]
fn cancel_waits_until_the_task_has_ended_and_destructors_ran() {
    let drops = DropCounter::default();
    for seed in 0..20 {
        let d = drops.clone();
        random(seed)
            .block_on(async move {
                let guard = d.guard();
                let task = sim::spawn(async move {
                    let _guard = guard;
                    sleep(secs(10)).await;
                });
                let before = d.count();
                let err = task.cancel().await.unwrap_err();
                assert!(err.is_cancelled());
                assert_eq!(d.count(), before + 1, "cancel resolves only after the drop");
                assert_eq!(sim::time::elapsed(), secs(0));
            })
            .unwrap();
    }
    assert_eq!(drops.count(), 20);
}

#[test]
fn cancel_of_a_finished_task_gives_its_output() {
    fifo()
        .block_on(async {
            let task = sim::spawn(async { "value" });
            sim::task::yield_now().await;
            assert_eq!(task.cancel().await.unwrap(), "value");
        })
        .unwrap();
}

#[test]
fn abort_on_drop_cancels_and_plain_drop_detaches() {
    let log = Log::default();
    let mut rt = fifo();
    rt.block_on({
        let log = log.clone();
        async move {
            let l = log.clone();
            let guarded = sim::spawn(async move {
                sleep(secs(1)).await;
                l.push("guarded finished");
            })
            .abort_on_drop();
            let l = log.clone();
            let detached = sim::spawn(async move {
                sleep(secs(1)).await;
                l.push("detached finished");
            });
            drop(guarded);
            drop(detached);
            sleep(secs(2)).await;
        }
    })
    .unwrap();
    assert_eq!(log.take(), ["detached finished"]);
}

#[test]
fn cancellation_runs_nested_destructors_that_use_the_runtime() {
    // A cancelled task holds a sleep and a handle to a child: dropping them disarms a timer
    // and detaches the child, both of which call back into the runtime.
    let mut rt = fifo();
    rt.block_on(async {
        let parent = sim::spawn(async {
            let child = sim::spawn(sleep(secs(100)));
            sleep(secs(50)).await;
            child.await.unwrap();
        });
        sim::task::yield_now().await;
        assert!(parent.cancel().await.unwrap_err().is_cancelled());
        sleep(secs(1)).await;
    })
    .unwrap();
    assert_eq!(rt.elapsed(), secs(1));
    assert_eq!(rt.live_tasks(), 1, "the detached child still sleeps");
}
