//! The task table reuses a finished task's waker for the next task in its slot, in the same run
//! or a later one on the thread, but only when nothing else holds it. A waker that someone kept
//! must go on naming its old task: waking it never polls the slot's new task.

use std::cell::{Cell, RefCell};
use std::future::poll_fn;
use std::rc::Rc;
use std::task::{Poll, Waker};

use sim::Strategy;

/// A task that counts its polls and stays pending.
fn parked(polls: &Rc<Cell<u32>>) -> impl std::future::Future<Output = ()> + 'static {
    let polls = Rc::clone(polls);
    poll_fn(move |_| {
        polls.set(polls.get() + 1);
        Poll::Pending
    })
}

fn fifo() -> sim::Runtime {
    sim::Builder::new().seed(3).strategy(Strategy::Fifo).build()
}

#[test]
fn a_kept_waker_does_not_wake_the_next_task_in_its_slot() {
    let polls = fifo()
        .block_on(async {
            // The first child keeps its waker and finishes; taking its output frees its slot.
            let kept: Rc<RefCell<Option<Waker>>> = Rc::default();
            let k = Rc::clone(&kept);
            sim::spawn(poll_fn(move |cx| {
                *k.borrow_mut() = Some(cx.waker().clone());
                Poll::Ready(())
            }))
            .await
            .unwrap();
            // The next child takes that slot (the most recently freed one) and parks.
            let polls = Rc::new(Cell::new(0));
            let second = sim::spawn(parked(&polls));
            sim::task::yield_now().await;
            assert_eq!(polls.get(), 1, "the second child was polled once");
            kept.borrow_mut().take().unwrap().wake();
            for _ in 0..5 {
                sim::task::yield_now().await;
            }
            second.abort();
            polls.get()
        })
        .unwrap();
    assert_eq!(polls, 1, "the old task's waker woke the slot's new task");
}

#[test]
fn a_waker_kept_from_an_earlier_run_does_not_wake_a_task_of_the_next() {
    let kept: Rc<RefCell<Option<Waker>>> = Rc::default();
    let k = Rc::clone(&kept);
    fifo()
        .block_on(async move {
            sim::spawn(poll_fn(move |cx| {
                *k.borrow_mut() = Some(cx.waker().clone());
                Poll::Ready(())
            }))
            .await
            .unwrap();
        })
        .unwrap();
    // The first runtime is gone; the next one on this thread reuses its table and slots.
    let polls = fifo()
        .block_on(async {
            let polls = Rc::new(Cell::new(0));
            let child = sim::spawn(parked(&polls));
            sim::task::yield_now().await;
            kept.borrow_mut().take().unwrap().wake();
            for _ in 0..5 {
                sim::task::yield_now().await;
            }
            child.abort();
            polls.get()
        })
        .unwrap();
    assert_eq!(
        polls, 1,
        "a waker of the earlier run woke a task of this one"
    );
}

#[test]
fn reused_wakers_wake_their_new_tasks() {
    // Many short runs on one thread, each spawning tasks that park and are woken through a
    // channel: every run after the first reuses the wakers the one before left.
    let mut outputs = Vec::new();
    for seed in 0..20 {
        let mut rt = sim::Builder::new().seed(seed).build();
        let sum = rt
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
