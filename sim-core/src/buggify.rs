//! `buggify!`: FoundationDB-style fault injection, decided by the seed.
//!
//! Put `if sim::buggify!() { ... }` around a rare path: a dropped message, a failed write, an
//! extra delay. When buggify is on for a run ([`Builder::buggify`](crate::Builder::buggify),
//! [`Check::buggify`](crate::check::Check::buggify), `SIM_BUGGIFY=1`), each call *site* is
//! enabled or not once per run (one site in four, by the seed), and an enabled site fires
//! each time it is reached with a probability (25 % unless given: `buggify!(0.05)`). So every
//! run exercises a different, small set of fault paths, and rare paths get run at all. When
//! buggify is off, and outside a simulation, `buggify!()` is always `false`.
//!
//! Draws come from a stream of their own, so enabling buggify does not change the schedule or
//! the values of `sim::rand`, and the same seed always fires the same sites at the same times.

use std::cell::RefCell;
use std::collections::BTreeMap;

use crate::engine::context;
use crate::sched::{SimRng, Stream};

/// Probability that a call site is enabled in a run.
const SITE_ENABLED: u32 = 4; // one in four

/// Where a `buggify!` is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Site {
    file: &'static str,
    line: u32,
    column: u32,
}

/// The run's buggify state (an extension slot of the run): `None` when buggify is off.
struct BuggifySlot(RefCell<Option<Buggify>>);

/// The per-run buggify state: which sites are enabled, and the stream that decides.
#[derive(Debug)]
struct Buggify {
    rng: SimRng,
    sites: BTreeMap<Site, bool>,
}

impl Buggify {
    fn new(seed: u64) -> Buggify {
        Buggify {
            rng: SimRng::new(seed, Stream::Buggify),
            sites: BTreeMap::new(),
        }
    }

    fn fires(&mut self, site: Site, probability: f64) -> bool {
        let rng = &mut self.rng;
        let enabled = *self
            .sites
            .entry(site)
            .or_insert_with(|| rng.below(SITE_ENABLED) == 0);
        enabled && self.rng.unit() < probability
    }
}

#[doc(hidden)]
pub fn buggify_at(file: &'static str, line: u32, column: u32, probability: f64) -> bool {
    let site = Site { file, line, column };
    context::try_core().is_some_and(|core| {
        let state = core.local(|core| {
            let on = core.with_config(|config| config.buggify);
            BuggifySlot(RefCell::new(on.then(|| Buggify::new(core.seed()))))
        });
        let mut state = state.0.borrow_mut();
        state.as_mut().is_some_and(|b| b.fires(site, probability))
    })
}

/// Whether to take a rare fault path here; see the [module docs](mod@crate::buggify).
///
/// `buggify!()` fires with probability 0.25 at an enabled site; `buggify!(p)` with `p`.
///
/// # Examples
///
/// ```
/// use sim::Builder;
///
/// async fn send(log: &mut Vec<&'static str>) {
///     if sim::buggify!() {
///         log.push("dropped"); // the rare path under test
///         return;
///     }
///     log.push("sent");
/// }
///
/// let run = |seed, on| {
///     Builder::new().seed(seed).buggify(on).build().block_on(async {
///         let mut log = Vec::new();
///         for _ in 0..20 { send(&mut log).await; }
///         log.contains(&"dropped")
///     }).unwrap()
/// };
/// assert!((0..50).all(|seed| !run(seed, false)), "off: never fires");
/// assert!((0..50).any(|seed| run(seed, true)), "on: some runs take the fault path");
/// assert_eq!(run(7, true), run(7, true), "the seed decides");
/// ```
#[macro_export]
macro_rules! buggify {
    () => {
        $crate::buggify::buggify_at(::core::file!(), ::core::line!(), ::core::column!(), 0.25)
    };
    ($probability:expr) => {
        $crate::buggify::buggify_at(
            ::core::file!(),
            ::core::line!(),
            ::core::column!(),
            $probability,
        )
    };
}
