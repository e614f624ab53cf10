//! Cancellation injection ([`Check::inject_cancellation`](super::Check::inject_cancellation)):
//! after the seeds pass, the test runs again under its first seed once per pending point of
//! its `timeout` futures, each time with the timeout made to expire at that point.
//!
//! Run `k` expires the timeout at the `k`-th time any `timeout`'s inner future returns
//! `Pending`; the first run that ends before reaching its point has covered them all.

use super::probe::Probe;
use super::report::{Failure, FailureKind, InjectedCancellation};
use super::runner::{SeedRunner, Stop, TestFn, blamed_task};
use super::{Check, CheckError, TestOutput};
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
    pub(super) fn run_injected(
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
            inject: Some(point),
        };
        let mut failure = self.failure(position, seed, kind, stop);
        failure.runs = point;
        failure.injected = fired.map(|site| InjectedCancellation { point, site });
        Err(Box::new(failure))
    }
}

impl Check {
    /// Cancellation injection: after the seeds pass, re-run the test (under its first seed)
    /// once per pending point of its [`timeout`](crate::time::timeout) futures, each time
    /// making the timeout expire right there, so the code inside is checked for correctness
    /// when cancelled at its 1st, 2nd, ... k-th `await`. A failure names the point and the
    /// `timeout` that was cancelled. Stops after [`Check::max_schedules`] runs.
    ///
    /// ```
    /// use std::cell::Cell;
    /// use std::rc::Rc;
    /// use sim::check::Check;
    /// use sim::time::{sleep, timeout, Duration};
    ///
    /// // Moves 10 from `a` to `b` with an await between the two halves: cancelling it there
    /// // loses the money.
    /// let err = Check::new().seeds(3).inject_cancellation(true).try_run(|| async {
    ///     let (a, b) = (Rc::new(Cell::new(10)), Rc::new(Cell::new(0)));
    ///     let (a2, b2) = (Rc::clone(&a), Rc::clone(&b));
    ///     let transfer = async move {
    ///         a2.set(a2.get() - 10);
    ///         sleep(Duration::from_millis(1)).await;
    ///         b2.set(b2.get() + 10);
    ///     };
    ///     let _ = timeout(Duration::from_secs(60), transfer).await;
    ///     assert_eq!(a.get() + b.get(), 10, "money lost");
    /// });
    /// let report = err.unwrap_err().to_string();
    /// assert!(report.contains("injected: the timeout"), "{report}");
    /// ```
    pub fn inject_cancellation(mut self, on: bool) -> Check {
        self.inject_cancellation = on;
        self
    }
}
