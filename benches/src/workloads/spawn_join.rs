//! Spawn `n` tasks that each return a number, then join them all in spawn order.

use std::hint::black_box;

use super::{sim_rt, tokio_rt};

/// sim with the given strategy.
pub fn sim(strategy: sim::Strategy, n: usize) -> u64 {
    let sum = sim_rt(strategy)
        .block_on(async move {
            let handles: Vec<_> = (0..n).map(|i| sim::spawn(async move { i })).collect();
            let mut sum = 0;
            for h in handles {
                sum += h.await.expect("task returned");
            }
            sum
        })
        .expect("run succeeded");
    black_box(sum);
    n as u64
}

/// tokio, current thread, paused time.
pub fn tokio(n: usize) -> u64 {
    let sum = tokio_rt().block_on(async move {
        let handles: Vec<_> = (0..n).map(|i| tokio::spawn(async move { i })).collect();
        let mut sum = 0;
        for h in handles {
            sum += h.await.expect("task returned");
        }
        sum
    });
    black_box(sum);
    n as u64
}

/// The floor executor (see `crate::floor`).
pub fn floor(n: usize) -> u64 {
    let sum = crate::floor::block_on(1, async move {
        let handles: Vec<_> = (0..n)
            .map(|i| crate::floor::spawn(async move { i }))
            .collect();
        let mut sum = 0;
        for h in handles {
            sum += h.await;
        }
        sum
    });
    black_box(sum);
    n as u64
}

/// futures' `LocalPool`.
pub fn local_pool(n: usize) -> u64 {
    use futures::task::LocalSpawnExt;
    let mut pool = futures::executor::LocalPool::new();
    let spawner = pool.spawner();
    let sum = pool.run_until(async move {
        let handles: Vec<_> = (0..n)
            .map(|i| {
                spawner
                    .spawn_local_with_handle(async move { i })
                    .expect("spawned")
            })
            .collect();
        let mut sum = 0;
        for h in handles {
            sum += h.await;
        }
        sum
    });
    black_box(sum);
    n as u64
}

/// shuttle's random scheduler, one iteration.
pub fn shuttle(n: usize) -> u64 {
    shuttle::check_random(
        move || {
            let sum = shuttle::future::block_on(async move {
                let handles: Vec<_> = (0..n)
                    .map(|i| shuttle::future::spawn(async move { i }))
                    .collect();
                let mut sum = 0;
                for h in handles {
                    sum += h.await.expect("task returned");
                }
                sum
            });
            black_box(sum);
        },
        1,
    );
    n as u64
}

/// madsim, seed 1.
#[cfg(madsim)]
pub fn madsim(n: usize) -> u64 {
    let sum = super::madsim_rt().block_on(async move {
        let handles: Vec<_> = (0..n)
            .map(|i| madsim::task::spawn(async move { i }))
            .collect();
        let mut sum = 0;
        for h in handles {
            sum += h.await.expect("task returned");
        }
        sum
    });
    black_box(sum);
    n as u64
}
