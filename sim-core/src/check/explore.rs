//! Exhaustive exploration, driven: every schedule within the preemption bound, under one
//! seed, for [`Strategy::Exhaustive`](crate::Strategy::Exhaustive). The search itself (which
//! schedule comes next) is `sched::Exhaustive`; this file only runs what it plans and stops at
//! the first failure.

use super::runner::{SeedRunner, TestFn};
use super::{Check, CheckError, Summary, seed_for};
use crate::record::Schedule;
use crate::sched::{Exhaustive, RunRecord, Search};

impl<T: TestFn> SeedRunner<'_, T> {
    /// Runs every schedule within the preemption bound under one seed.
    pub(super) fn run_exhaustive(
        &self,
        max_preemptions: u32,
        started: std::time::Instant,
    ) -> Result<Summary, CheckError> {
        let check = self.check;
        let seed = check.seed.unwrap_or_else(|| seed_for(&check.name, 0));
        let mut search = Exhaustive::new(max_preemptions, check.max_schedules);
        let mut steps = 0;
        let mut runs = 0;
        let mut last: Option<RunRecord> = None;
        while let Some(guide) = search.next_run(last.as_ref()) {
            runs += 1;
            match self.run_seed(None, seed, Some(&guide)) {
                Ok(run) => {
                    steps += run.steps;
                    last = Some(RunRecord {
                        trace: run.trace,
                        schedule: Schedule::default(),
                        preemptions: 0,
                        steps: run.steps,
                        failed: false,
                    });
                }
                Err(mut failure) => {
                    failure.runs = runs;
                    self.complete(&mut failure);
                    return Err(CheckError::Failed(failure));
                }
            }
        }
        let schedules = search.schedules();
        if !search.complete() {
            return Err(CheckError::Incomplete {
                test: check.name.clone(),
                schedules,
                max_preemptions,
            });
        }
        let summary = Summary {
            seeds_run: schedules,
            distinct_schedules: schedules as usize,
            steps,
        };
        if check.verbose {
            eprintln!(
                "sim: `{}` passed: all {} schedules with at most {} preemptions, {} steps, {:.2?}",
                check.name,
                schedules,
                max_preemptions,
                steps,
                started.elapsed()
            );
        }
        Ok(summary)
    }
}

impl Check {
    /// The most schedules [`Strategy::Exhaustive`](crate::Strategy::Exhaustive) may run before the check gives up with
    /// [`CheckError::Incomplete`] (default [`DEFAULT_MAX_SCHEDULES`](super::DEFAULT_MAX_SCHEDULES)).
    ///
    /// ```
    /// use sim::check::{Check, CheckError};
    /// use sim::Strategy;
    ///
    /// let err = Check::new()
    ///     .strategy(Strategy::Exhaustive { max_preemptions: 3 })
    ///     .max_schedules(5)
    ///     .try_run(|| async {
    ///         let tasks: Vec<_> = (0..3)
    ///             .map(|_| sim::spawn(async { sim::task::yield_now().await }))
    ///             .collect();
    ///         for t in tasks { t.await.unwrap(); }
    ///     })
    ///     .unwrap_err();
    /// assert!(matches!(err, CheckError::Incomplete { schedules: 5, .. }), "{err}");
    /// ```
    pub fn max_schedules(mut self, schedules: u64) -> Check {
        self.max_schedules = schedules;
        self
    }
}
