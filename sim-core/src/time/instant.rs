//! Reading the virtual clock: [`Instant::now`] and [`Instant::elapsed`]. The type itself and its
//! arithmetic are a plain record (`record/instant.rs`), so the engine can keep its clock in it
//! without importing the public `time` module.

use std::time::Duration;

use crate::engine::context;
use crate::record::Instant;

impl Instant {
    /// The current virtual time.
    ///
    /// # Panics
    ///
    /// Outside a running simulation.
    ///
    /// ```
    /// # sim::Runtime::new(0).block_on(async {
    /// assert_eq!(sim::time::Instant::now().since_start(), sim::time::Duration::ZERO);
    /// # }).unwrap();
    /// ```
    #[track_caller]
    pub fn now() -> Instant {
        context::with_core("sim::time::Instant::now", |core| core.now())
    }

    /// Virtual time elapsed since this instant.
    ///
    /// ```
    /// # sim::Runtime::new(0).block_on(async {
    /// let t = sim::time::Instant::now();
    /// sim::time::sleep(sim::time::Duration::from_secs(1)).await;
    /// assert_eq!(t.elapsed().as_secs(), 1);
    /// # }).unwrap();
    /// ```
    #[track_caller]
    pub fn elapsed(self) -> Duration {
        Instant::now().saturating_duration_since(self)
    }
}
