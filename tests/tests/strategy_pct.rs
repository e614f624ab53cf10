//! PCT: priority scheduling with change points finds bugs that need one task to run far ahead.

use std::cell::Cell;
use std::rc::Rc;

use sim::{Builder, Strategy};

/// Fails (returns false) only if `runner` finishes all its steps before `checker` resumes
/// once: a uniform random walk must pick `runner` ~`steps` times in a row to get there.
async fn long_run_bug(steps: u32) -> bool {
    let progress = Rc::new(Cell::new(0));
    let p = Rc::clone(&progress);
    let runner = sim::spawn(async move {
        for _ in 0..steps {
            sim::task::yield_now().await;
            p.set(p.get() + 1);
        }
    });
    let p = Rc::clone(&progress);
    let checker = sim::spawn(async move {
        sim::task::yield_now().await;
        p.get() < steps
    });
    let ok = checker.await.unwrap();
    runner.await.unwrap();
    ok
}

fn first_failing_seed(strategy: &Strategy, seeds: u64) -> Option<u64> {
    (0..seeds).find(|&seed| {
        let mut rt = Builder::new().seed(seed).strategy(strategy.clone()).build();
        !rt.block_on(long_run_bug(12)).unwrap()
    })
}

#[test]
fn pct_finds_a_long_run_bug_that_random_misses() {
    let pct = first_failing_seed(&Strategy::Pct { depth: 1 }, 20);
    assert!(pct.is_some(), "PCT should find the bug within 20 seeds");
    assert_eq!(
        first_failing_seed(&Strategy::Random, 200),
        None,
        "random needs ~4096 seeds"
    );
}

#[test]
fn pct_runs_are_reproducible_and_replayable() {
    for depth in 1..=3 {
        let strategy = Strategy::Pct { depth };
        let run = |seed| {
            let mut rt = Builder::new().seed(seed).strategy(strategy.clone()).build();
            let ok = rt.block_on(long_run_bug(6)).unwrap();
            (ok, rt.schedule())
        };
        for seed in 0..10 {
            let (ok, schedule) = run(seed);
            assert_eq!(run(seed), (ok, schedule.clone()));
            let mut replay = Builder::new().strategy(Strategy::Replay(schedule)).build();
            assert_eq!(replay.block_on(long_run_bug(6)).unwrap(), ok);
        }
    }
}

#[test]
fn pct_change_points_let_low_priority_tasks_overtake() {
    // With depth 1 a task's order is fixed by its priority alone; with more depth the change
    // points produce orders that no single priority assignment gives, so more orders appear.
    let orders = |depth| {
        (0..200)
            .map(|seed| {
                let mut rt = Builder::new()
                    .seed(seed)
                    .strategy(Strategy::Pct { depth })
                    .build();
                rt.block_on(async {
                    let log = Rc::new(std::cell::RefCell::new(String::new()));
                    let tasks: Vec<_> = ["a", "b"]
                        .into_iter()
                        .map(|name| {
                            let log = Rc::clone(&log);
                            sim::spawn(async move {
                                for _ in 0..3 {
                                    log.borrow_mut().push_str(name);
                                    sim::task::yield_now().await;
                                }
                            })
                        })
                        .collect();
                    for t in tasks {
                        t.await.unwrap();
                    }
                    log.borrow().clone()
                })
                .unwrap()
            })
            .collect::<std::collections::HashSet<String>>()
    };
    let shallow = orders(1);
    let deep = orders(3);
    assert!(
        shallow.len() <= 2,
        "depth 1 is pure priority order: {shallow:?}"
    );
    assert!(deep.len() > shallow.len(), "{deep:?}");
}

#[test]
fn pct_parses_from_text() {
    assert_eq!(
        "pct".parse::<Strategy>().unwrap(),
        Strategy::Pct { depth: 3 }
    );
    assert_eq!(
        "PCT:5".parse::<Strategy>().unwrap(),
        Strategy::Pct { depth: 5 }
    );
    assert!("pct:0".parse::<Strategy>().is_err());
    assert!("pct:x".parse::<Strategy>().is_err());
    assert_eq!(Strategy::Pct { depth: 2 }.to_string(), "pct:2");
}
