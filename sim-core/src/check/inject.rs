//! Cancellation injection ([`Check::inject_cancellation`](super::Check::inject_cancellation)):
//! after the seeds pass, the test runs again under its first seed once per pending point of
//! its `timeout` futures, each time with the timeout made to expire at that point.
//!
//! Run `k` expires the timeout at the `k`-th time any `timeout`'s inner future returns
//! `Pending`; the first run that ends before reaching its point has covered them all.

use super::probe::Probe;
use super::report::{Failure, FailureKind, InjectedCancellation};
use super::runner::{SeedRunner, Stop, TestFn, blamed_task};
use super::{CheckError, TestOutput};
use crate::record::RunPoint;

impl<T: TestFn> SeedRunner<'_, T> {
    /// Cancellation injection at every pending point, at most `max_schedules` runs.
    pub(super) fn inject(&self, position: Option<u64>, seed: u64) -> Result<(), CheckError> {
        let budget = self.check.max_schedules;
        for point in 1..=budget {
            match self.run_injected(position, seed, point) {
                Ok(true) => continue,
                Ok(false) => return Ok(()), // fewer pending points than `point`: all covered
                Err(failure) => return Err(CheckError::Failed(failure)),
            }
        }
        Err(CheckError::InjectionIncomplete {
            test: self.check.name.clone(),
            runs: budget,
        })
    }

    /// One injected run: `Ok(true)` if it passed with the injection made, `Ok(false)` if the
    /// run ended before reaching the point.
    fn run_injected(
        &self,
        position: Option<u64>,
        seed: u64,
        point: u64,
    ) -> Result<bool, Box<Failure>> {
        let probe = Probe {
            inject_at: Some(point),
            ..self.probe(position, None)
        };
        let mut rt = self.builder(seed, probe).build();
        let outcome = rt.block_on_at(self.test.start(), self.caller);
        let fired = rt.injection().fired;
        let kind = match outcome {
            Err(error) => FailureKind::Run(error),
            Ok(output) => match output.into_outcome() {
                Ok(()) => return Ok(fired.is_some()),
                Err(text) => FailureKind::Returned(text),
            },
        };
        let at = match &kind {
            FailureKind::Run(e) => e.at(),
            _ => RunPoint {
                seed,
                step: rt.steps(),
                time: rt.elapsed(),
            },
        };
        let task = match &kind {
            FailureKind::Run(e) => blamed_task(e),
            _ => None,
        };
        let stop = Stop {
            at,
            task,
            schedule: rt.schedule(),
            preemptions: rt.preemptions(),
            trace: Vec::new(),
        };
        let mut failure = self.failure(position, seed, kind, stop);
        failure.runs = point;
        failure.injected = fired.map(|site| InjectedCancellation { point, site });
        failure.replay = format!("SIM_INJECT_CANCEL=1 {}", failure.replay);
        Err(Box::new(failure))
    }
}
