//! Seeded randomness for the program under test.
//!
//! Draws come from the run's own stream, derived from the seed and separate from the stream
//! the scheduler uses, so the same seed gives the same numbers and drawing a number does not
//! change which task runs next. Use these instead of `rand::rng()` or any other
//! entropy-seeded source, which would make runs unreproducible.
//!
//! The raw output (`next_u64` and friends) is fixed by the seed for good. Values made through
//! `rand`'s distributions (`random`, `random_range`) are fixed for a given major version of
//! `rand`, which defines those algorithms.

use rand::distr::{Distribution, StandardUniform};
use rand_core::{Infallible, TryRng};

pub use rand::{Rng, RngExt};

use crate::engine::context;
use crate::sched::SimRng as Stable;

/// A value drawn from the run's random stream, like `rand::random`.
///
/// # Panics
///
/// Outside a running simulation.
///
/// ```
/// let draw = |seed| sim::Runtime::new(seed).block_on(async { sim::rand::random::<u64>() }).unwrap();
/// assert_eq!(draw(1), draw(1));
/// assert_ne!(draw(1), draw(2));
/// ```
#[track_caller]
pub fn random<T>() -> T
where
    StandardUniform: Distribution<T>,
{
    // Sampling may run user code (a `Distribution` impl for a user type) that uses the
    // runtime again, so it draws from a generator forked off the run's stream, with the
    // runtime not borrowed.
    let seed = context::with_core("sim::rand::random", |core| core.next_user_u64());
    StandardUniform.sample(&mut SimRng {
        inner: Stable::from_u64(seed),
    })
}

/// A generator of its own, seeded from the run's random stream.
///
/// Handy when many values are needed (no per-draw lookup of the runtime) or a `&mut impl Rng`
/// must be passed to library code.
///
/// # Panics
///
/// Outside a running simulation.
///
/// ```
/// use sim::rand::RngExt;
///
/// let rolls = |seed| {
///     sim::Runtime::new(seed).block_on(async {
///         let mut rng = sim::rand::rng();
///         (0..5).map(|_| rng.random_range(1..=6)).collect::<Vec<u8>>()
///     }).unwrap()
/// };
/// assert_eq!(rolls(3), rolls(3));
/// assert!(rolls(3).iter().all(|r| (1..=6).contains(r)));
/// ```
#[track_caller]
pub fn rng() -> SimRng {
    context::with_core("sim::rand::rng", |core| SimRng {
        inner: Stable::from_u64(core.next_user_u64()),
    })
}

/// A seeded generator handed out by [`rng`]; implements [`Rng`] (so [`RngExt`] too).
#[derive(Debug, Clone)]
pub struct SimRng {
    inner: Stable,
}

impl TryRng for SimRng {
    type Error = Infallible;

    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        Ok(self.inner.next_u32())
    }

    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        Ok(self.inner.next_u64())
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        self.inner.fill_bytes(dst);
        Ok(())
    }
}
