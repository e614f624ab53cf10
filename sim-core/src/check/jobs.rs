//! Running a check: which seeds this process runs, PCT's horizon learned from the test's
//! first seed, the seeds spread over [`Check::jobs`](super::Check::jobs) threads, and what
//! follows a failure or a pass.
//!
//! Workers share only the next position to claim, the lowest failing position so far and,
//! once each, their totals: a seed's own bookkeeping stays on its thread. The failure kept is
//! the one with the lowest position, so the report does not depend on the threads' timing.

use std::collections::HashSet;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::report::Failure;
use super::runner::{SeedRunner, TestFn};
use super::{Check, CheckError, Summary, seed_for, seeds};
use crate::env::ReplayToken;
use crate::sched::{PCT_PROBE_POSITION, Strategy, pct_horizon_from};

/// The seeds this process runs, with their positions in the seed list (none for a seed
/// given by itself).
pub(super) fn targets(check: &Check) -> Vec<(Option<u64>, u64)> {
    match check.seed {
        Some(seed) => vec![(None, seed)],
        None => {
            let seeds = seeds::SeedList::new(&check.name);
            seeds::positions(check.seed_start, check.seeds, check.shard)
                .into_iter()
                .map(|p| (Some(p), seeds.seed(p)))
                .collect()
        }
    }
}

impl<T: TestFn> SeedRunner<'_, T> {
    /// The whole check: every schedule for an exhaustive search; else PCT's horizon, then
    /// the seed list, then cancellation injection if asked. A failure is shrunk and drawn
    /// before it is returned.
    pub(super) fn run_check(mut self) -> Result<Summary, CheckError> {
        let check = self.check;
        let started = std::time::Instant::now();
        if let Some(token) = check.replay.clone() {
            return self.run_token(&token, started);
        }
        self.run_saved_failures(started)?;
        if let Strategy::Exhaustive { max_preemptions } = check.strategy
            && check.schedule.is_none()
        {
            return self.run_exhaustive(max_preemptions, started);
        }
        self.horizon = self.learn_horizon()?;
        let _ = check.learned_horizon.set(self.horizon);
        let targets = targets(check);
        let summary = match self.run_targets(&targets) {
            Ok(summary) => summary,
            Err(mut failure) => {
                self.complete(&mut failure);
                return Err(CheckError::Failed(failure));
            }
        };
        if check.inject_cancellation {
            let (position, seed) = targets.first().copied().unwrap_or((None, 0));
            self.inject(position, seed)?;
        }
        if check.verbose {
            eprintln!(
                "sim: `{}` passed: {} seeds, {} distinct schedules, {} steps, strategy {}, {:.2?}",
                check.name,
                summary.seeds_run,
                summary.distinct_schedules,
                summary.steps,
                check.strategy,
                started.elapsed()
            );
        }
        Ok(summary)
    }

    /// Replays the failures saved for this test (see `regressions.rs`), before its seeds.
    fn run_saved_failures(&self, started: std::time::Instant) -> Result<(), CheckError> {
        let check = self.check;
        let Some(file) = check.regressions_file() else {
            return Ok(());
        };
        for token in file.load(check.identity()) {
            let replay = check.clone().replaying(&token)?;
            let mut runner = SeedRunner::new(&replay, self.test, self.caller);
            if let Err(CheckError::Failed(mut failure)) = runner.run_token(&token, started) {
                failure.regression = Some(file.path().to_path_buf());
                return Err(CheckError::Failed(failure));
            }
        }
        Ok(())
    }

    /// The one run a `SIM_REPLAY` token describes (the check was set up from it already).
    fn run_token(
        &mut self,
        token: &ReplayToken,
        started: std::time::Instant,
    ) -> Result<Summary, CheckError> {
        let check = self.check;
        self.horizon = token.horizon;
        let outcome = match token.inject {
            Some(point) => self.run_injected(None, token.seed, point).map(|_| Summary {
                seeds_run: 1,
                distinct_schedules: 1,
                steps: 0,
            }),
            None => {
                if let Strategy::Exhaustive { max_preemptions } = check.strategy
                    && check.schedule.is_none()
                {
                    return self.run_exhaustive(max_preemptions, started);
                }
                self.run_targets(&[(None, token.seed)])
            }
        };
        outcome.map_err(|mut failure| {
            self.complete(&mut failure);
            CheckError::Failed(failure)
        })
    }

    /// For PCT: how many decisions to expect, learned from the test's first seed (always the
    /// same run, so every seed of the test, on any shard or thread, gets the same horizon).
    pub(super) fn learn_horizon(&self) -> Result<Option<u64>, CheckError> {
        let check = self.check;
        if !matches!(check.strategy, Strategy::Pct { .. }) || check.schedule.is_some() {
            return Ok(None);
        }
        // What PCT learns across runs, and from which run, is `sched/pct.rs`'s to say.
        let probe = seed_for(&check.name, PCT_PROBE_POSITION);
        if check.seed == Some(probe) {
            return Ok(None); // the probe itself runs with the default horizon
        }
        let run = self
            .run_seed(Some(PCT_PROBE_POSITION), probe, None)
            .map_err(|mut failure| {
                failure.runs = 1; // the probe is the first run
                CheckError::Failed(failure)
            })?;
        Ok(Some(pct_horizon_from(run.decisions)))
    }

    /// Runs `targets`, on the check's threads; the failure with the lowest position, if any.
    pub(super) fn run_targets(
        &self,
        targets: &[(Option<u64>, u64)],
    ) -> Result<Summary, Box<Failure>> {
        let next = AtomicUsize::new(0);
        let first_failed = AtomicUsize::new(usize::MAX);
        let first_failure: Mutex<Option<(usize, Box<Failure>)>> = Mutex::new(None);
        let totals = Mutex::new((0u64, HashSet::new()));
        let worker = |runner: &SeedRunner<'_, T>| {
            let mut steps = 0u64;
            let mut schedules = HashSet::new();
            loop {
                let index = next.fetch_add(1, Ordering::Relaxed);
                // Every later seed is moot once a lower position failed.
                if index >= targets.len() || first_failed.load(Ordering::Acquire) < index {
                    break;
                }
                let (position, seed) = targets[index];
                match runner.run_seed(position, seed, None) {
                    Ok(run) => {
                        steps += run.steps;
                        schedules.insert(run.schedule_hash);
                    }
                    Err(failure) => {
                        let mut slot = first_failure.lock().unwrap_or_else(|e| e.into_inner());
                        if slot.as_ref().is_none_or(|(first, _)| index < *first) {
                            *slot = Some((index, failure));
                            first_failed.fetch_min(index, Ordering::Release);
                        }
                    }
                }
            }
            let mut totals = totals.lock().unwrap_or_else(|e| e.into_inner());
            totals.0 += steps;
            totals.1.extend(schedules);
        };
        let jobs = self.check.jobs.min(targets.len()).max(1);
        T::spread(self, jobs, &worker);
        if let Some((index, mut failure)) = first_failure
            .into_inner()
            .unwrap_or_else(|e| e.into_inner())
        {
            failure.runs = index as u64 + 1;
            return Err(failure);
        }
        let (steps, schedules) = totals.into_inner().unwrap_or_else(|e| e.into_inner());
        Ok(Summary {
            seeds_run: targets.len() as u64,
            distinct_schedules: schedules.len(),
            steps,
        })
    }
}
