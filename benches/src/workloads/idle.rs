//! Messages between two tasks while `n` other tasks are alive and idle: what one wake and one
//! poll cost in a large simulation, where most tasks wait (a thousand nodes' servers, timers
//! and sockets) and few run at once. The idle tasks are parked before the clock starts; the
//! figure is the exchange alone, per message.

use std::cell::Cell;
use std::future::{Future, pending};
use std::pin::Pin;
use std::rc::Rc;

use std::time::{Duration, Instant};

use crate::Slot;

/// Messages exchanged per repetition.
pub const MESSAGES: u64 = 100_000;

/// A task that counts its first poll, then waits forever.
async fn parked(polled: Rc<Cell<usize>>) {
    polled.set(polled.get() + 1);
    pending::<()>().await;
}

/// Yields until `polled` reaches `n` (every parked task has run once and gone idle).
async fn until_parked(polled: &Cell<usize>, n: usize) {
    while polled.get() < n {
        crate::YieldNow::default().await;
    }
}

/// The timed part: `m` messages there and back, through single-slot cells.
async fn exchange<J, F>(m: u64, spawn: impl Fn(Pin<Box<dyn Future<Output = ()>>>) -> J) -> Duration
where
    J: Future<Output = F>,
{
    let (ping, pong) = (Slot::default(), Slot::default());
    let (p, q) = (ping.clone(), pong.clone());
    let started = Instant::now();
    let echo = spawn(Box::pin(async move {
        loop {
            let v = p.recv().await;
            if v >= m {
                break;
            }
            q.send(v + 1);
        }
    }));
    let mut v = 0;
    while v < m {
        ping.send(v);
        v = pong.recv().await + 1;
    }
    ping.send(m);
    echo.await;
    started.elapsed()
}

/// sim with the given strategy.
pub fn sim(strategy: sim::Strategy, n: usize) -> (u64, Duration) {
    let took = super::sim_rt(strategy)
        .block_on(async move {
            let polled = Rc::new(Cell::new(0));
            for _ in 0..n {
                drop(sim::spawn(parked(Rc::clone(&polled))));
            }
            until_parked(&polled, n).await;
            exchange(MESSAGES, |f| {
                let echo = sim::spawn(f);
                async { echo.await.expect("echo returned") }
            })
            .await
        })
        .expect("run succeeded");
    (MESSAGES, took)
}

/// tokio, current thread, paused time, in a `LocalSet`.
pub fn tokio(n: usize) -> (u64, Duration) {
    let rt = super::tokio_rt();
    let local = tokio::task::LocalSet::new();
    let took = local.block_on(&rt, async move {
        let polled = Rc::new(Cell::new(0));
        for _ in 0..n {
            drop(tokio::task::spawn_local(parked(Rc::clone(&polled))));
        }
        until_parked(&polled, n).await;
        exchange(MESSAGES, |f| {
            let echo = tokio::task::spawn_local(f);
            async { echo.await.expect("echo returned") }
        })
        .await
    });
    (MESSAGES, took)
}

/// futures' `LocalPool`.
pub fn local_pool(n: usize) -> (u64, Duration) {
    use futures::task::LocalSpawnExt;
    let mut pool = futures::executor::LocalPool::new();
    let spawner = pool.spawner();
    let took = pool.run_until(async move {
        let polled = Rc::new(Cell::new(0));
        for _ in 0..n {
            spawner
                .spawn_local(parked(Rc::clone(&polled)))
                .expect("spawned");
        }
        until_parked(&polled, n).await;
        exchange(MESSAGES, |f| {
            spawner.spawn_local_with_handle(f).expect("spawned")
        })
        .await
    });
    (MESSAGES, took)
}
