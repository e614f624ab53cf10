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
//! A lone [`Runtime`](crate::Runtime) under [`Strategy::Exhaustive`](super::Strategy) runs the
//! first schedule of the enumeration (every decision the default); the checker drives the
//! whole [`Exhaustive`] search, under one seed.

use super::GuideStep;
use super::search::{RunRecord, Search};
use crate::record::{DecisionKind, DecisionPoint};

/// The depth-first search over schedules with at most `max_preemptions` preemptions, stopping
/// after `budget` schedules.
#[derive(Debug)]
pub(crate) struct Exhaustive {
    max_preemptions: u32,
    budget: u64,
    schedules: u64,
    complete: bool,
}

impl Exhaustive {
    pub(crate) fn new(max_preemptions: u32, budget: u64) -> Exhaustive {
        Exhaustive {
            max_preemptions,
            budget,
            schedules: 0,
            complete: false,
        }
    }

    /// Schedules run so far.
    pub(crate) fn schedules(&self) -> u64 {
        self.schedules
    }

    /// Whether every schedule within the bound was run.
    pub(crate) fn complete(&self) -> bool {
        self.complete
    }

    /// The prefix of the next schedule after a run with decision trace `trace`, if any.
    fn next_prefix(&self, trace: &[DecisionPoint]) -> Option<Vec<u32>> {
        let mut before = Vec::with_capacity(trace.len());
        let mut count = 0u32;
        for point in trace {
            before.push(count);
            count += u32::from(is_preemption(point, point.chosen));
        }
        let (i, alt) = (0..trace.len()).rev().find_map(|i| {
            let point = &trace[i];
            let order = order(point);
            let rank = order.iter().position(|&c| c == point.chosen)?;
            order[rank + 1..]
                .iter()
                .copied()
                .find(|&alt| {
                    before[i] + u32::from(is_preemption(point, alt)) <= self.max_preemptions
                })
                .map(|alt| (i, alt))
        })?;
        let mut decisions: Vec<u32> = trace[..i].iter().map(|p| p.chosen).collect();
        decisions.push(alt);
        Some(decisions)
    }
}

impl Search for Exhaustive {
    fn next_run(&mut self, last: Option<&RunRecord>) -> Option<Vec<GuideStep>> {
        let prefix = match last {
            None => Vec::new(),
            Some(run) => {
                self.schedules += 1;
                match self.next_prefix(&run.trace) {
                    Some(prefix) => prefix,
                    None => {
                        self.complete = true;
                        return None;
                    }
                }
            }
        };
        if self.schedules >= self.budget {
            return None;
        }
        Some(prefix.into_iter().map(GuideStep::Index).collect())
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::Schedule;

    /// A toy program: `depth` binary task decisions; choosing 1 is a preemption.
    fn toy(depth: usize, guide: &[GuideStep]) -> RunRecord {
        let trace: Vec<DecisionPoint> = (0..depth)
            .map(|i| DecisionPoint {
                kind: DecisionKind::Task,
                chosen: match guide.get(i) {
                    Some(GuideStep::Index(c)) => *c,
                    _ => 0,
                },
                options: 2,
                stay: Some(0),
                task: None,
            })
            .collect();
        RunRecord {
            schedule: Schedule::from_decisions(trace.iter().map(|p| p.chosen).collect()),
            trace,
            preemptions: 0,
            steps: 0,
            failed: false,
        }
    }

    /// Drives `search` over the toy program; the number of runs made.
    fn drive(search: &mut Exhaustive, depth: usize) -> u64 {
        let mut last = None;
        let mut runs = 0;
        while let Some(guide) = search.next_run(last.as_ref()) {
            runs += 1;
            last = Some(toy(depth, &guide));
        }
        runs
    }

    #[test]
    fn enumerates_every_schedule_within_the_bound() {
        // Schedules of 4 binary decisions with at most k ones: sum of C(4, j) for j <= k.
        for (k, expected) in [(0, 1), (1, 5), (2, 11), (4, 16)] {
            let mut search = Exhaustive::new(k, 1_000);
            assert_eq!(drive(&mut search, 4), expected, "k = {k}");
            assert_eq!(search.schedules(), expected, "k = {k}");
            assert!(search.complete(), "k = {k}");
        }
    }

    #[test]
    fn stops_at_the_budget() {
        let mut search = Exhaustive::new(4, 3);
        assert_eq!(drive(&mut search, 4), 3);
        assert_eq!(search.schedules(), 3);
        assert!(!search.complete());
    }
}
