//! Chaos mode: a ready operation may yield once, so check-then-act races across an `await`
//! that happened to be ready become reachable, and the choice replays.

use std::rc::Rc;

use sim::sync::{Mutex, Queue};
use sim::{Builder, SimError, Strategy};

/// Two consumers each check that the queue has an item, then take it. Without a yield between
/// the check and the take, only one consumer ever sees the item.
async fn check_then_take() {
    let queue = Rc::new(Queue::new(0));
    queue.try_put(1).unwrap();
    let consumers: Vec<_> = (0..2)
        .map(|_| {
            let q = Rc::clone(&queue);
            sim::spawn(async move {
                if !q.is_empty() {
                    q.get().await; // ready now, but chaos may yield here
                }
            })
        })
        .collect();
    for c in consumers {
        c.await.unwrap();
    }
}

fn run(seed: u64, chaos: bool) -> Result<(), SimError> {
    Builder::new()
        .seed(seed)
        .chaos(chaos)
        .build()
        .block_on(check_then_take())
}

#[test]
fn without_chaos_a_ready_operation_never_yields() {
    for seed in 0..200 {
        run(seed, false).unwrap();
    }
}

#[test]
fn chaos_exposes_a_check_then_act_race_and_replays_it() {
    let failing = (0..200)
        .find(|&seed| run(seed, true).is_err())
        .expect("chaos finds the race");
    let mut first = Builder::new().seed(failing).chaos(true).build();
    let err = first.block_on(check_then_take()).unwrap_err();
    assert!(
        matches!(err, SimError::Deadlock(_)),
        "the second consumer waits forever: {err}"
    );
    let schedule = first.schedule();
    let mut replay = Builder::new()
        .seed(failing)
        .chaos(true)
        .strategy(Strategy::Replay(schedule.clone()))
        .build();
    assert!(
        matches!(
            replay.block_on(check_then_take()),
            Err(SimError::Deadlock(_))
        ),
        "the chaos decisions replay"
    );
    assert_eq!(replay.schedule(), schedule);
}

#[test]
fn chaos_keeps_mutual_exclusion() {
    for seed in 0..100 {
        let mut rt = Builder::new().seed(seed).chaos(true).build();
        let total = rt
            .block_on(async {
                let counter = Rc::new(Mutex::new(0));
                let tasks: Vec<_> = (0..4)
                    .map(|_| {
                        let c = Rc::clone(&counter);
                        sim::spawn(async move {
                            for _ in 0..3 {
                                let mut g = c.lock().await;
                                let read = *g;
                                sim::task::yield_now().await;
                                *g = read + 1;
                            }
                        })
                    })
                    .collect();
                for t in tasks {
                    t.await.unwrap();
                }
                *counter.lock().await
            })
            .unwrap();
        assert_eq!(total, 12, "seed {seed}");
    }
}

#[test]
fn fifo_never_takes_a_chaos_yield() {
    let mut rt = Builder::new().strategy(Strategy::Fifo).chaos(true).build();
    rt.block_on(check_then_take()).unwrap();
    assert!(!rt.schedule().is_empty(), "the run made decisions");
    assert!(rt.schedule().iter().all(|d| d == 0));
}
