//! `n` tasks, each sleeping its own pseudo-random virtual duration (up to 10 s), joined: the
//! cost of one timer, its task included.

use std::rc::Rc;
use std::time::Duration;

use crate::Lcg;

/// The `n` durations, the same for every peer.
pub fn deadlines(n: usize) -> Rc<[Duration]> {
    let mut rng = Lcg(7);
    (0..n)
        .map(|_| Duration::from_micros(rng.next_u64() % 10_000_000))
        .collect()
}

/// sim with the given strategy.
pub fn sim(strategy: sim::Strategy, deadlines: &[Duration]) -> u64 {
    super::sim_rt(strategy)
        .block_on(async {
            let handles: Vec<_> = deadlines
                .iter()
                .map(|&d| sim::spawn(sim::time::sleep(d)))
                .collect();
            for h in handles {
                h.await.expect("task returned");
            }
        })
        .expect("run succeeded");
    deadlines.len() as u64
}

/// tokio, current thread, paused time.
pub fn tokio(deadlines: &[Duration]) -> u64 {
    super::tokio_rt().block_on(async {
        let handles: Vec<_> = deadlines
            .iter()
            .map(|&d| tokio::spawn(tokio::time::sleep(d)))
            .collect();
        for h in handles {
            h.await.expect("task returned");
        }
    });
    deadlines.len() as u64
}

/// madsim, seed 1.
#[cfg(madsim)]
pub fn madsim(deadlines: &[Duration]) -> u64 {
    super::madsim_rt().block_on(async {
        let handles: Vec<_> = deadlines
            .iter()
            .map(|&d| madsim::task::spawn(madsim::time::sleep(d)))
            .collect();
        for h in handles {
            h.await.expect("task returned");
        }
    });
    deadlines.len() as u64
}
