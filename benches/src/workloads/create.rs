//! Build a runtime and run an empty future on it.

use std::hint::black_box;

/// sim (`Random`, seed 1).
pub fn sim() -> u64 {
    black_box(
        super::sim_rt(sim::Strategy::Random)
            .block_on(async { 1u8 })
            .expect("run succeeded"),
    );
    1
}

/// tokio, current thread, paused time.
pub fn tokio() -> u64 {
    black_box(super::tokio_rt().block_on(async { 1u8 }));
    1
}

/// madsim, seed 1.
#[cfg(madsim)]
pub fn madsim() -> u64 {
    black_box(super::madsim_rt().block_on(async { 1u8 }));
    1
}
