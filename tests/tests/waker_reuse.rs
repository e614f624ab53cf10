//! The task table reuses a finished task's waker for the next task in its slot, in the same run
//! or a later one on the thread, but only when nothing else holds it. A waker that someone kept
//! must go on naming its old task: waking it never polls the slot's new task.

mod support;

use std::cell::Cell;
use std::future::poll_fn;
use std::rc::Rc;
use std::task::{Poll, Waker};

use sim::JoinHandle;
use support::{fifo, random};

/// Runs a child that finishes at once, handing out its waker; taking its output frees its slot.
async fn waker_of_a_finished_task() -> Waker {
    sim::spawn(poll_fn(|cx| Poll::Ready(cx.waker().clone())))
        .await
        .unwrap()
}

/// Spawns a task that counts its polls and stays pending; under `Fifo` it takes the slot freed
/// last (the task table hands out the most recently freed slot first) and is polled once.
async fn parked_child() -> (JoinHandle<()>, Rc<Cell<u32>>) {
    let polls = Rc::new(Cell::new(0));
    let counter = Rc::clone(&polls);
    let child = sim::spawn(poll_fn(move |_| {
        counter.set(counter.get() + 1);
        Poll::Pending
    }));
    sim::task::yield_now().await;
    assert_eq!(polls.get(), 1, "the child was polled once");
    (child, polls)
}

/// Wakes `kept`, gives the child every chance to run, and returns how often it was polled.
async fn polls_after_waking(kept: Waker, child: JoinHandle<()>, polls: Rc<Cell<u32>>) -> u32 {
    kept.wake();
    for _ in 0..5 {
        sim::task::yield_now().await;
    }
    child.abort();
    polls.get()
}

#[test]
fn a_kept_waker_does_not_wake_the_next_task_in_its_slot() {
    let polls = fifo()
        .block_on(async {
            let kept = waker_of_a_finished_task().await;
            let (child, polls) = parked_child().await;
            polls_after_waking(kept, child, polls).await
        })
        .unwrap();
    assert_eq!(polls, 1, "the old task's waker woke the slot's new task");
}

#[test]
fn a_waker_kept_from_an_earlier_run_does_not_wake_a_task_of_the_next() {
    let kept = fifo().block_on(waker_of_a_finished_task()).unwrap();
    // The first runtime is gone; the next one on this thread reuses its table and slots.
    let polls = fifo()
        .block_on(async {
            let (child, polls) = parked_child().await;
            polls_after_waking(kept, child, polls).await
        })
        .unwrap();
    assert_eq!(
        polls, 1,
        "a waker of the earlier run woke a task of this one"
    );
}

#[test]
fn reused_wakers_wake_their_new_tasks() {
    // Many short runs on one thread, each spawning tasks that park on timers and are joined:
    // every run after the first reuses the wakers the one before left.
    let mut outputs = Vec::new();
    for seed in 0..20 {
        let sum = random(seed)
            .block_on(async {
                let (tx, mut rx) = sim::sync::mpsc::unbounded_channel();
                let children: Vec<_> = (0..8u32)
                    .map(|i| {
                        let tx = tx.clone();
                        sim::spawn(async move {
                            sim::time::sleep(std::time::Duration::from_millis(u64::from(i))).await;
                            tx.send(i).await.unwrap();
                        })
                    })
                    .collect();
                drop(tx);
                for child in children {
                    child.await.unwrap();
                }
                let mut sum = 0;
                while let Some(i) = rx.recv().await {
                    sum += i;
                }
                sum
            })
            .unwrap();
        outputs.push(sum);
    }
    assert_eq!(outputs, vec![28; 20]);
}
