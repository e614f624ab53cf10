//! The checker's own knobs on one run, kept apart from the user's runtime settings.
//!
//! A [`Check`](super::Check) holds the user's [`Builder`]; each run clones it, sets the seed
//! and the strategy, and applies one [`Probe`]: the settings only the checker uses, to learn
//! from a run or to steer it. None of them is a public `Builder` setting.

use crate::runtime::Builder;
use crate::sched::GuideStep;

/// What the checker adds to one run's builder.
#[derive(Debug, Clone, Default)]
pub(super) struct Probe {
    /// Follow this guide where it fits, overriding the strategy (shrinking, exploration).
    pub(super) guide: Option<Vec<GuideStep>>,
    /// PCT's expected number of decisions, learned from the test's first seed.
    pub(super) horizon: Option<u64>,
    /// Cancellation injection: expire the `timeout` at this (1-based) pending point.
    pub(super) inject_at: Option<u64>,
    /// Keep every decision's options (for exhaustive exploration and the shrinker).
    pub(super) trace_decisions: bool,
    /// Keep one hash per event (for the determinism check).
    pub(super) hash_events: bool,
}

impl Probe {
    /// `builder` with these knobs set.
    pub(super) fn apply(self, builder: Builder) -> Builder {
        let Probe {
            guide,
            horizon,
            inject_at,
            trace_decisions,
            hash_events,
        } = self;
        let mut builder = builder
            .trace_decisions(trace_decisions)
            .hash_events(hash_events);
        if let Some(h) = horizon {
            builder = builder.horizon(h);
        }
        if let Some(guide) = guide {
            builder = builder.guide(guide);
        }
        if let Some(point) = inject_at {
            builder = builder.inject_at(point);
        }
        builder
    }
}
