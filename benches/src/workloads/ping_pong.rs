//! Two tasks pass a counter back and forth `m` times through single-slot rendezvous cells
//! ([`Slot`]), so only each executor's wake and poll path is measured.

use std::future::Future;
use std::pin::Pin;

use crate::Slot;

type Echo = Pin<Box<dyn Future<Output = ()>>>;

/// The exchange itself, generic over how the echo task is spawned: the main side sends,
/// the echo task answers, `m` times. Returns the echo task's handle.
async fn exchange<J>(m: u64, spawn: impl Fn(Echo) -> J) -> J {
    let (ping, pong) = (Slot::default(), Slot::default());
    let (p, q) = (ping.clone(), pong.clone());
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
    echo
}

/// sim, `Random`.
pub fn sim(m: u64) -> u64 {
    super::sim_rt(sim::Strategy::Random)
        .block_on(async move { exchange(m, sim::spawn).await.await.expect("echo returned") })
        .expect("run succeeded");
    m
}

/// tokio, current thread, paused time, in a `LocalSet` (the tasks are not `Send`).
pub fn tokio(m: u64) -> u64 {
    let rt = super::tokio_rt();
    let local = tokio::task::LocalSet::new();
    local.block_on(&rt, async move {
        exchange(m, tokio::task::spawn_local)
            .await
            .await
            .expect("echo returned")
    });
    m
}

/// futures' `LocalPool`.
pub fn local_pool(m: u64) -> u64 {
    use futures::task::LocalSpawnExt;
    let mut pool = futures::executor::LocalPool::new();
    let spawner = pool.spawner();
    pool.run_until(async move {
        exchange(m, |f| spawner.spawn_local_with_handle(f).expect("spawned"))
            .await
            .await
    });
    m
}

/// shuttle's random scheduler, one iteration.
pub fn shuttle(m: u64) -> u64 {
    shuttle::check_random(
        move || {
            shuttle::future::block_on(async move {
                exchange(m, shuttle::future::spawn_local)
                    .await
                    .await
                    .expect("echo returned")
            })
        },
        1,
    );
    m
}

/// madsim, seed 1.
#[cfg(madsim)]
pub fn madsim(m: u64) -> u64 {
    super::madsim_rt().block_on(async move {
        exchange(m, madsim::task::spawn_local)
            .await
            .await
            .expect("echo returned")
    });
    m
}
