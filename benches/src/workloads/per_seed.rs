//! One seed's run of a small test: 10 tasks, each yielding 10 times, joined, runtime creation
//! included. This is what a multi-seed check repeats thousands of times.

use std::cell::Cell;

/// Tasks in the small test.
pub const TASKS: usize = 10;
/// Yields per task.
pub const YIELDS: usize = 10;

async fn sim_test() {
    let tasks: Vec<_> = (0..TASKS)
        .map(|_| {
            sim::spawn(async {
                for _ in 0..YIELDS {
                    sim::task::yield_now().await;
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.expect("task returned");
    }
}

thread_local! {
    static SEED: Cell<u64> = const { Cell::new(0) };
}

/// The next seed: each run of the sim and madsim peers takes a new one, as a check does.
fn next_seed() -> u64 {
    SEED.with(|s| {
        s.set(s.get() + 1);
        s.get()
    })
}

/// sim, `Random`, a new seed per run.
pub fn sim_random() -> u64 {
    sim::Runtime::new(next_seed())
        .block_on(sim_test())
        .expect("run succeeded");
    1
}

/// The floor executor (see `crate::floor`), a new seed per run.
pub fn floor() -> u64 {
    crate::floor::block_on(next_seed(), async {
        let tasks: Vec<_> = (0..TASKS)
            .map(|_| {
                crate::floor::spawn(async {
                    for _ in 0..YIELDS {
                        sim::task::yield_now().await;
                    }
                })
            })
            .collect();
        for t in tasks {
            t.await;
        }
    });
    1
}

/// sim's multi-seed checker (what `#[sim::test]` runs): `seeds` seeds of the test in one
/// `Check`, per seed.
pub fn sim_check(seeds: u64) -> u64 {
    sim::check::Check::new()
        .name("per_seed")
        .seeds(seeds)
        .run(sim_test);
    seeds
}

/// sim, `Fifo` (the same run as the yield-storm workload at this size).
pub fn sim_fifo() -> u64 {
    super::yields::sim(sim::Strategy::Fifo, TASKS, YIELDS);
    1
}

/// tokio, current thread, paused time (tokio's own order, close to FIFO).
pub fn tokio() -> u64 {
    super::yields::tokio(TASKS, YIELDS);
    1
}

/// shuttle's random scheduler: `iterations` runs in one `check_random` call.
pub fn shuttle(iterations: usize) -> u64 {
    shuttle::check_random(
        || {
            shuttle::future::block_on(async {
                let tasks: Vec<_> = (0..TASKS)
                    .map(|_| {
                        shuttle::future::spawn(async {
                            for _ in 0..YIELDS {
                                shuttle::future::yield_now().await;
                            }
                        })
                    })
                    .collect();
                for t in tasks {
                    t.await.expect("task returned");
                }
            })
        },
        iterations,
    );
    iterations as u64
}

/// madsim, a new seed per run.
#[cfg(madsim)]
pub fn madsim() -> u64 {
    let rt = madsim::runtime::Runtime::with_seed_and_config(next_seed(), madsim::Config::default());
    rt.block_on(async {
        let tasks: Vec<_> = (0..TASKS)
            .map(|_| {
                madsim::task::spawn(async {
                    for _ in 0..YIELDS {
                        madsim::task::yield_now().await;
                    }
                })
            })
            .collect();
        for t in tasks {
            t.await.expect("task returned");
        }
    });
    1
}
