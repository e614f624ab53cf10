//! The workloads, written once per peer in that peer's own idiom, over the same futures.
//!
//! Each function runs its workload once (runtime creation included) and returns the number of
//! items it did, which the harness divides by. The madsim versions exist only when the crate
//! is built with `RUSTFLAGS="--cfg madsim"` (see `scripts/bench.sh`).

pub mod create;
pub mod idle;
pub mod per_seed;
pub mod ping_pong;
pub mod spawn_join;
pub mod timers;
pub mod yields;

/// A sim runtime for a benchmark: the given strategy, seed 1, no step limit.
pub fn sim_rt(strategy: sim::Strategy) -> sim::Runtime {
    sim::Builder::new()
        .strategy(strategy)
        .seed(1)
        .max_steps(u64::MAX)
        .build()
}

/// tokio's current-thread runtime with paused time, as tokio's own tests use it.
pub fn tokio_rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .expect("a tokio runtime")
}

/// A madsim runtime with seed 1.
#[cfg(madsim)]
pub fn madsim_rt() -> madsim::runtime::Runtime {
    madsim::runtime::Runtime::with_seed_and_config(1, madsim::Config::default())
}
