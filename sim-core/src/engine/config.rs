//! What a run is configured with: the settings fixed when the runtime is built, and where
//! cancellation injection stands.

use std::panic::Location;
use std::time::Duration;

use crate::sched::GuideStep;
use crate::sched::Strategy;

/// What a run does with a panic that no join handle observed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum UnobservedPanic {
    /// End the run with [`SimError::Panicked`](crate::SimError::Panicked). The default.
    #[default]
    FailRun,
    /// Let the run go on; the panic is only lost.
    Ignore,
}

/// Settings fixed when the runtime is built.
#[derive(Debug, Clone)]
pub(crate) struct Config {
    pub(crate) seed: u64,
    pub(crate) strategy: Strategy,
    pub(crate) max_steps: u64,
    pub(crate) max_time: Option<Duration>,
    pub(crate) unobserved_panic: UnobservedPanic,
    pub(crate) record_events: bool,
    /// Whether to keep a hash of each event (the determinism check compares those).
    pub(crate) hash_events: bool,
    /// Expected number of decisions in a run, for strategies that spread choices over it.
    pub(crate) horizon: Option<u64>,
    /// Whether ready operations of `sim::sync` may yield anyway.
    pub(crate) chaos: bool,
    /// Workers of the simulated pool behind `spawn_blocking`.
    pub(crate) blocking_threads: usize,
    /// The lenient guide of the shrinker or of exploration, overriding the strategy.
    pub(crate) guide: Option<Vec<GuideStep>>,
    /// Whether `buggify!` sites may fire.
    pub(crate) buggify: bool,
    /// Whether to keep the full decision trace (for exhaustive exploration).
    pub(crate) trace_decisions: bool,
    /// Cancellation injection: expire the timeout at this (1-based) pending point of all the
    /// run's `timeout` futures.
    pub(crate) inject_at: Option<u64>,
    /// Debug mode: the slow-poll threshold, when on.
    pub(crate) debug: Option<Duration>,
}

/// The watchdog's settings, kept beside the [`Config`] rather than in it (see `Core`).
#[derive(Debug, Clone, Default)]
pub(crate) struct Watchdog {
    /// The budget of wall-clock time for one step, in nanoseconds; 0 when off.
    pub(crate) budget: u64,
    /// What the report says about the run (the checker's test name and replay command).
    pub(crate) label: Option<super::Label>,
}

/// Where cancellation injection stands in a run.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Injection {
    /// Pending points of `timeout` futures seen so far.
    pub(crate) seen: u64,
    /// The `timeout` that was cancelled, once the target point was reached.
    pub(crate) fired: Option<&'static Location<'static>>,
}
