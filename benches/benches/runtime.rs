//! sim against tokio's current-thread runtime with paused time (and futures' `LocalPool` where
//! it applies), on the same futures, in one process. See docs/performance.md.

use std::rc::Rc;
use std::time::Duration;

use divan::Bencher;
use divan::counter::ItemsCount;
use sim_bench::{Lcg, Slot};

fn main() {
    divan::main();
}

const TASKS: usize = 100_000;
const MESSAGES: u64 = 1_000_000;
const TIMERS: usize = 10_000;

fn sim_rt() -> sim::Runtime {
    sim::Builder::new().seed(1).max_steps(u64::MAX).build()
}

fn sim_fifo_rt() -> sim::Runtime {
    sim::Builder::new()
        .strategy(sim::Strategy::Fifo)
        .max_steps(u64::MAX)
        .build()
}

fn tokio_rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .unwrap()
}

/// Spawn 100k tasks, then join them all.
mod spawn_join {
    use super::*;

    fn run_sim(mut rt: sim::Runtime) -> usize {
        rt.block_on(async {
            let handles: Vec<_> = (0..TASKS).map(|i| sim::spawn(async move { i })).collect();
            let mut sum = 0;
            for h in handles {
                sum += h.await.unwrap();
            }
            sum
        })
        .unwrap()
    }

    #[divan::bench]
    fn sim(b: Bencher<'_, '_>) {
        b.counter(ItemsCount::new(TASKS))
            .bench_local(|| run_sim(sim_rt()));
    }

    #[divan::bench]
    fn sim_fifo(b: Bencher<'_, '_>) {
        b.counter(ItemsCount::new(TASKS))
            .bench_local(|| run_sim(sim_fifo_rt()));
    }

    #[divan::bench]
    fn tokio(b: Bencher<'_, '_>) {
        b.counter(ItemsCount::new(TASKS)).bench_local(|| {
            tokio_rt().block_on(async {
                let handles: Vec<_> = (0..TASKS).map(|i| tokio::spawn(async move { i })).collect();
                let mut sum = 0;
                for h in handles {
                    sum += h.await.unwrap();
                }
                sum
            })
        });
    }

    #[divan::bench]
    fn local_pool(b: Bencher<'_, '_>) {
        use futures::task::LocalSpawnExt;
        b.counter(ItemsCount::new(TASKS)).bench_local(|| {
            let mut pool = futures::executor::LocalPool::new();
            let spawner = pool.spawner();
            pool.run_until(async move {
                let handles: Vec<_> = (0..TASKS)
                    .map(|i| spawner.spawn_local_with_handle(async move { i }).unwrap())
                    .collect();
                let mut sum = 0;
                for h in handles {
                    sum += h.await;
                }
                sum
            })
        });
    }
}

/// Two tasks pass a counter back and forth through single-slot rendezvous cells.
mod ping_pong {
    use super::*;

    async fn ping_pong<J>(
        spawn: impl Fn(std::pin::Pin<Box<dyn std::future::Future<Output = ()>>>) -> J,
    ) -> J {
        let (ping, pong) = (Slot::default(), Slot::default());
        let (p, q) = (ping.clone(), pong.clone());
        let echo = spawn(Box::pin(async move {
            loop {
                let v = p.recv().await;
                if v >= MESSAGES {
                    break;
                }
                q.send(v + 1);
            }
        }));
        let mut v = 0;
        while v < MESSAGES {
            ping.send(v);
            v = pong.recv().await + 1;
        }
        ping.send(MESSAGES);
        echo
    }

    #[divan::bench]
    fn sim(b: Bencher<'_, '_>) {
        b.counter(ItemsCount::new(MESSAGES)).bench_local(|| {
            sim_rt()
                .block_on(async { ping_pong(|f| sim::spawn(f)).await.await.unwrap() })
                .unwrap()
        });
    }

    #[divan::bench]
    fn tokio(b: Bencher<'_, '_>) {
        b.counter(ItemsCount::new(MESSAGES)).bench_local(|| {
            let rt = tokio_rt();
            let local = tokio::task::LocalSet::new();
            local.block_on(&rt, async {
                ping_pong(|f| tokio::task::spawn_local(f))
                    .await
                    .await
                    .unwrap()
            })
        });
    }

    #[divan::bench]
    fn local_pool(b: Bencher<'_, '_>) {
        use futures::task::LocalSpawnExt;
        b.counter(ItemsCount::new(MESSAGES)).bench_local(|| {
            let mut pool = futures::executor::LocalPool::new();
            let spawner = pool.spawner();
            pool.run_until(async move {
                ping_pong(|f| spawner.spawn_local_with_handle(f).unwrap())
                    .await
                    .await
            })
        });
    }
}

/// 10k tasks, each sleeping a pseudo-random virtual duration (up to 10 s), joined.
mod timers {
    use super::*;

    fn deadlines() -> Rc<Vec<Duration>> {
        let mut rng = Lcg(7);
        Rc::new(
            (0..TIMERS)
                .map(|_| Duration::from_micros(rng.next_u64() % 10_000_000))
                .collect(),
        )
    }

    #[divan::bench]
    fn sim(b: Bencher<'_, '_>) {
        let deadlines = deadlines();
        b.counter(ItemsCount::new(TIMERS)).bench_local(|| {
            sim_rt()
                .block_on(async {
                    let handles: Vec<_> = deadlines
                        .iter()
                        .map(|&d| sim::spawn(sim::time::sleep(d)))
                        .collect();
                    for h in handles {
                        h.await.unwrap();
                    }
                })
                .unwrap()
        });
    }

    #[divan::bench]
    fn tokio(b: Bencher<'_, '_>) {
        let deadlines = deadlines();
        b.counter(ItemsCount::new(TIMERS)).bench_local(|| {
            tokio_rt().block_on(async {
                let handles: Vec<_> = deadlines
                    .iter()
                    .map(|&d| tokio::spawn(tokio::time::sleep(d)))
                    .collect();
                for h in handles {
                    h.await.unwrap();
                }
            })
        });
    }
}

/// Build a runtime and run an empty future on it.
mod create {
    use super::*;

    #[divan::bench]
    fn sim() -> u8 {
        sim_rt().block_on(async { 1u8 }).unwrap()
    }

    #[divan::bench]
    fn tokio() -> u8 {
        tokio_rt().block_on(async { 1u8 })
    }
}

/// One seed's run of a small test: 10 tasks, each yielding 10 times, joined. This is what a
/// multi-seed check repeats thousands of times, runtime creation included.
mod per_seed {
    use super::*;

    const TASKS: usize = 10;
    const YIELDS: usize = 10;

    #[divan::bench]
    fn sim_random(b: Bencher<'_, '_>) {
        let mut seed = 0;
        b.bench_local(|| {
            seed += 1;
            sim::Runtime::new(seed)
                .block_on(async {
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
                        t.await.unwrap();
                    }
                })
                .unwrap()
        });
    }

    #[divan::bench]
    fn tokio_fifo(b: Bencher<'_, '_>) {
        b.bench_local(|| {
            tokio_rt().block_on(async {
                let tasks: Vec<_> = (0..TASKS)
                    .map(|_| {
                        tokio::spawn(async {
                            for _ in 0..YIELDS {
                                tokio::task::yield_now().await;
                            }
                        })
                    })
                    .collect();
                for t in tasks {
                    t.await.unwrap();
                }
            })
        });
    }

    /// Shuttle's random scheduler, per iteration (runs of 100 iterations, divided).
    #[divan::bench]
    fn shuttle_random(b: Bencher<'_, '_>) {
        const ITERATIONS: usize = 100;
        b.counter(ItemsCount::new(ITERATIONS)).bench_local(|| {
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
                            t.await.unwrap();
                        }
                    })
                },
                ITERATIONS,
            )
        });
    }
}
