//! The determinism check ([`Check::check_determinism`](super::Check::check_determinism)): a
//! seed that passed runs again, and the two runs' events must agree.
//!
//! Both runs keep one hash per event, not the events. Only when the hashes part is the seed
//! run twice more with full event logs, to show the events themselves: if those two runs part
//! too, their own first difference is reported; if they agree (the nondeterminism did not
//! recur), the hashed runs' index is, with what the logged run did there.

use super::Check;
use std::time::Duration;

use super::TestOutput;
use super::probe::Probe;
use super::report::{Failure, FailureKind};
use super::runner::{SeedRunner, TestFn};
use crate::error::{NonDeterminism, NonDeterminismKind, SimError};
use crate::record::{Event, RunPoint};
use crate::runtime::Runtime;

impl<T: TestFn> SeedRunner<'_, T> {
    /// Runs the seed once more after its first run `rt` passed; fails with the first
    /// difference if the second run differs.
    /// `probe` is the first run's.
    pub(super) fn run_again(
        &self,
        rt: &Runtime,
        (position, seed): (Option<u64>, u64),
        probe: Probe,
    ) -> Result<(), Box<Failure>> {
        // Runs the test once more on `rt`; whether it passed.
        let passes = |rt: &mut Runtime| {
            matches!(
                rt.block_on_at(self.test.start(), self.caller)
                    .map(|o| o.into_outcome()),
                Ok(Ok(()))
            )
        };
        let mut again = self.builder(seed, probe.clone()).build();
        // The first run passed; the second must too, with the same events.
        let second_passed = passes(&mut again);
        let (a, b) = (rt.take_event_hashes(), again.take_event_hashes());
        let Some(hashed) = first_difference(&a, &b, second_passed) else {
            return Ok(());
        };
        let [(x, x_passed), (y, y_passed)] = [(); 2].map(|()| {
            let unhashed = Probe {
                hash_events: false,
                ..probe.clone()
            };
            let mut logged = self.builder(seed, unhashed).record_events(true).build();
            let passed = passes(&mut logged);
            (logged.events(), passed)
        });
        let index = first_difference(&x, &y, x_passed == y_passed).unwrap_or(hashed);
        let (first, second) = (x.get(index).cloned(), y.get(index).cloned());
        let at = divergence_point(seed, first.as_ref().or(second.as_ref()));
        let kind = NonDeterminismKind::Divergence {
            index,
            first: first.map(Box::new),
            second: second.map(Box::new),
        };
        let error = SimError::NonDeterminism(NonDeterminism { at, kind });
        Err(self.run_failure((position, seed), FailureKind::Run(error), rt, None))
    }
}

/// Where two runs' event sequences (or their hashes) first differ; a run that ended early, or
/// outcomes that differ (`same_outcome` false), count as a difference at the shorter length.
fn first_difference<T: PartialEq>(a: &[T], b: &[T], same_outcome: bool) -> Option<usize> {
    a.iter()
        .zip(b)
        .position(|(x, y)| x != y)
        .or_else(|| (a.len() != b.len() || !same_outcome).then(|| a.len().min(b.len())))
}

fn divergence_point(seed: u64, event: Option<&Event>) -> RunPoint {
    let (step, time) = event.map_or((0, Duration::ZERO), |e| (e.step, e.time));
    RunPoint { seed, step, time }
}

impl Check {
    /// Run every seed twice and fail if the two runs' events differ, naming the first
    /// difference (the runs compare a hash per event; a seed whose hashes part is run twice
    /// more with full logs, to show the two events): catches state that leaks between runs
    /// (globals, thread-locals) and other sources of nondeterminism.
    ///
    /// ```
    /// let summary = sim::check::Check::new().seeds(5).check_determinism(true).run(|| async {
    ///     sim::spawn(async {}).await.unwrap();
    /// });
    /// assert_eq!(summary.seeds_run, 5);
    /// ```
    pub fn check_determinism(mut self, on: bool) -> Check {
        self.check_determinism = on;
        self
    }
}
