//! `n` tasks, each yielding `k` times, joined: the cost of one scheduling step (pick, poll,
//! wake, re-queue) while `n` tasks are runnable at once.

use super::{sim_rt, tokio_rt};

/// sim with the given strategy; returns the number of polls of spawned tasks.
pub fn sim(strategy: sim::Strategy, n: usize, k: usize) -> u64 {
    sim_rt(strategy)
        .block_on(async move {
            let handles: Vec<_> = (0..n)
                .map(|_| {
                    sim::spawn(async move {
                        for _ in 0..k {
                            sim::task::yield_now().await;
                        }
                    })
                })
                .collect();
            for h in handles {
                h.await.expect("task returned");
            }
        })
        .expect("run succeeded");
    (n * (k + 1)) as u64
}

/// tokio, current thread, paused time.
pub fn tokio(n: usize, k: usize) -> u64 {
    tokio_rt().block_on(async move {
        let handles: Vec<_> = (0..n)
            .map(|_| {
                tokio::spawn(async move {
                    for _ in 0..k {
                        tokio::task::yield_now().await;
                    }
                })
            })
            .collect();
        for h in handles {
            h.await.expect("task returned");
        }
    });
    (n * (k + 1)) as u64
}

/// futures' `LocalPool` (its `yield_now` is the same wake-then-pending as the others').
pub fn local_pool(n: usize, k: usize) -> u64 {
    use futures::task::LocalSpawnExt;
    let mut pool = futures::executor::LocalPool::new();
    let spawner = pool.spawner();
    pool.run_until(async move {
        let handles: Vec<_> = (0..n)
            .map(|_| {
                spawner
                    .spawn_local_with_handle(async move {
                        for _ in 0..k {
                            crate::YieldNow::default().await;
                        }
                    })
                    .expect("spawned")
            })
            .collect();
        for h in handles {
            h.await;
        }
    });
    (n * (k + 1)) as u64
}
