//! Exhaustive exploration: every schedule up to a preemption bound, depth first.
//!
//! Stateless model checking by replay. Each run follows a prefix of decisions and then makes
//! the default choice at every later decision (keep running the task that ran last, or the
//! first option), recording each decision's options. The next run keeps the longest prefix
//! that still has an untried alternative and takes that alternative; alternatives at a
//! decision are tried in the order "default first, then the others by index", so every
//! schedule is run exactly once. A task decision other than the default is a preemption;
//! alternatives that would exceed the bound are skipped. Tied timers, chaos and `select!`
//! choices are explored too and cost no preemption.
//!
//! [`explore`] is the search; `SeedRunner::run_exhaustive` runs the test under it for
//! [`Strategy::Exhaustive`](crate::Strategy::Exhaustive), all under one seed.

use super::report::Failure;
use super::runner::{SeedRunner, TestFn};
use super::{CheckError, Summary, seed_for};
use crate::record::{DecisionKind, DecisionPoint, Schedule};
use crate::sched::guided::GuideStep;

/// How far an exploration got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Exploration {
    /// Schedules run.
    pub(crate) schedules: u64,
    /// Whether every schedule within the bound was run.
    pub(crate) complete: bool,
}

/// The option indices of a decision in exploration order: the default first.
fn order(point: &DecisionPoint) -> Vec<u32> {
    let first = point.stay.unwrap_or(0);
    std::iter::once(first)
        .chain((0..point.options).filter(|&i| i != first))
        .collect()
}

fn is_preemption(point: &DecisionPoint, choice: u32) -> bool {
    point.kind == DecisionKind::Task && point.stay.is_some_and(|stay| stay != choice)
}

/// Runs every schedule with at most `max_preemptions` preemptions, at most `budget` of them.
/// `run` executes one schedule prefix and returns its decision trace, or the failure that
/// ends the exploration.
pub(crate) fn explore<E>(
    max_preemptions: u32,
    budget: u64,
    mut run: impl FnMut(&Schedule) -> Result<Vec<DecisionPoint>, E>,
) -> Result<Exploration, E> {
    let mut prefix = Schedule::default();
    let mut schedules = 0;
    loop {
        if schedules >= budget {
            return Ok(Exploration {
                schedules,
                complete: false,
            });
        }
        let trace = run(&prefix)?;
        schedules += 1;
        let mut before = Vec::with_capacity(trace.len());
        let mut count = 0u32;
        for point in &trace {
            before.push(count);
            count += u32::from(is_preemption(point, point.chosen));
        }
        let next = (0..trace.len()).rev().find_map(|i| {
            let point = &trace[i];
            let order = order(point);
            let rank = order.iter().position(|&c| c == point.chosen)?;
            order[rank + 1..]
                .iter()
                .copied()
                .find(|&alt| before[i] + u32::from(is_preemption(point, alt)) <= max_preemptions)
                .map(|alt| (i, alt))
        });
        match next {
            None => {
                return Ok(Exploration {
                    schedules,
                    complete: true,
                });
            }
            Some((i, alt)) => {
                let mut decisions: Vec<u32> = trace[..i].iter().map(|p| p.chosen).collect();
                decisions.push(alt);
                prefix = Schedule::from_decisions(decisions);
            }
        }
    }
}

impl<T: TestFn> SeedRunner<'_, T> {
    /// Runs every schedule within the preemption bound under one seed.
    pub(super) fn run_exhaustive(
        &self,
        max_preemptions: u32,
        started: std::time::Instant,
    ) -> Result<Summary, CheckError> {
        let check = self.check;
        let seed = check.seed.unwrap_or_else(|| seed_for(&check.name, 0));
        let mut steps = 0;
        let mut runs = 0;
        let run = |prefix: &Schedule| -> Result<Vec<DecisionPoint>, Box<Failure>> {
            runs += 1;
            let guide: Vec<GuideStep> = prefix.iter().map(GuideStep::Index).collect();
            let run = self.run_seed(None, seed, Some(&guide))?;
            steps += run.steps;
            Ok(run.trace)
        };
        let explored = match explore(max_preemptions, check.max_schedules, run) {
            Ok(explored) => explored,
            Err(mut failure) => {
                failure.runs = runs;
                self.complete(&mut failure);
                return Err(CheckError::Failed(failure));
            }
        };
        if !explored.complete {
            return Err(CheckError::Incomplete {
                test: check.name.clone(),
                schedules: explored.schedules,
                max_preemptions,
            });
        }
        let summary = Summary {
            seeds_run: explored.schedules,
            distinct_schedules: explored.schedules as usize,
            steps,
        };
        if check.verbose {
            eprintln!(
                "sim: `{}` passed: all {} schedules with at most {} preemptions, {} steps, {:.2?}",
                check.name,
                explored.schedules,
                max_preemptions,
                steps,
                started.elapsed()
            );
        }
        Ok(summary)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A toy program: `depth` binary task decisions; choosing 1 is a preemption.
    fn toy(depth: usize) -> impl FnMut(&Schedule) -> Result<Vec<DecisionPoint>, ()> {
        move |prefix| {
            Ok((0..depth)
                .map(|i| DecisionPoint {
                    kind: DecisionKind::Task,
                    chosen: prefix.get(i).unwrap_or(0),
                    options: 2,
                    stay: Some(0),
                    task: None,
                })
                .collect())
        }
    }

    #[test]
    fn enumerates_every_schedule_within_the_bound() {
        // Schedules of 4 binary decisions with at most k ones: sum of C(4, j) for j <= k.
        for (k, expected) in [(0, 1), (1, 5), (2, 11), (4, 16)] {
            let done = explore(k, 1_000, toy(4)).unwrap();
            assert_eq!(
                done,
                Exploration {
                    schedules: expected,
                    complete: true
                },
                "k = {k}"
            );
        }
    }

    #[test]
    fn stops_at_the_budget() {
        let done = explore(4, 3, toy(4)).unwrap();
        assert_eq!(
            done,
            Exploration {
                schedules: 3,
                complete: false
            }
        );
    }
}
