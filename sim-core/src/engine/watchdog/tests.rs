//! Unit tests of the watchdog: the sampling rule, the table of spawn sites, the report.

use std::panic::Location;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use crossbeam_utils::atomic::AtomicCell;

use super::Label;
use super::report::Report;
use super::slot::{CHUNKS, FIRST_SITES, Site, Slot, place};
use super::thread::{Sampler, paused, period};
use crate::record::TaskId;

#[test]
fn the_period_is_an_eighth_of_the_smallest_budget_within_bounds() {
    assert_eq!(period(u64::MAX), Duration::from_secs(1));
    assert_eq!(period(10_000_000_000), Duration::from_secs(1));
    assert_eq!(period(400_000_000), Duration::from_millis(50));
    assert_eq!(period(1_000), Duration::from_millis(1));
}

/// A slot as a run leaves it while taking `step` under `budget`.
fn running(run: u64, step: u64, budget: Duration) -> Slot {
    let slot = Slot::new();
    slot.budget
        .store(budget.as_nanos() as u64, Ordering::Relaxed);
    slot.step(step, TaskId(1), 0);
    slot.run.store(run, Ordering::Release);
    slot
}

const BUDGET: Duration = Duration::from_millis(300);

#[test]
fn a_step_is_reported_once_seen_unchanged_for_its_budget_and_not_before() {
    let slot = running(1, 5, BUDGET);
    let mut sampler = Sampler::default();
    let t0 = Instant::now();
    assert!(sampler.sample(&[&slot], t0, false).is_empty(), "first seen");
    let almost = t0 + BUDGET - Duration::from_millis(1);
    assert!(sampler.sample(&[&slot], almost, false).is_empty());
    let stuck = sampler.sample(&[&slot], t0 + BUDGET, false);
    assert_eq!(stuck, [(0, BUDGET)]);
}

#[test]
fn progress_a_new_run_an_idle_slot_or_a_pause_start_the_count_again() {
    let slot = running(1, 5, BUDGET);
    let mut sampler = Sampler::default();
    let t0 = Instant::now();
    let at = |ms: u64| t0 + Duration::from_millis(ms);
    sampler.sample(&[&slot], t0, false);
    slot.step(6, TaskId(1), 0); // the next step
    assert!(sampler.sample(&[&slot], at(200), false).is_empty());
    assert!(
        sampler.sample(&[&slot], at(400), false).is_empty(),
        "200 ms into step 6"
    );
    assert_eq!(sampler.sample(&[&slot], at(500), false).len(), 1);

    slot.run.store(2, Ordering::Release); // a new run, at the same step number
    assert!(sampler.sample(&[&slot], at(600), false).is_empty());
    assert!(
        sampler.sample(&[&slot], at(800), true).is_empty(),
        "paused: counted afresh"
    );
    assert!(sampler.sample(&[&slot], at(1000), false).is_empty());
    assert_eq!(sampler.sample(&[&slot], at(1100), false).len(), 1);

    slot.run.store(0, Ordering::Release); // no run in progress
    for ms in [1200, 2000, 9000] {
        assert!(sampler.sample(&[&slot], at(ms), false).is_empty());
    }
}

#[test]
fn each_slot_is_judged_by_its_own_budget() {
    let short = running(1, 1, Duration::from_millis(100));
    let long = running(1, 1, Duration::from_secs(10));
    let mut sampler = Sampler::default();
    let t0 = Instant::now();
    sampler.sample(&[&short, &long], t0, false);
    let stuck = sampler.sample(&[&short, &long], t0 + Duration::from_secs(1), false);
    assert_eq!(stuck, [(0, Duration::from_secs(1))]);
}

#[test]
fn a_spawn_site_is_found_for_the_stuck_task_of_the_running_runtime_only() {
    let slot = Slot::new();
    let (here, there) = (Location::caller(), Location::caller());
    let (core, other) = (0x1000, 0x2000);
    slot.core.store(core, Ordering::Relaxed);
    let stuck_at = |task: u64, key: usize| {
        slot.step(1, TaskId(task), key);
        slot.site(TaskId(task))
    };
    slot.spawned(core, 3, TaskId(3), here);
    slot.spawned(core, 5000, TaskId(9), there); // in the third chunk
    assert_eq!(stuck_at(3, 3), Some(here));
    assert_eq!(stuck_at(9, 5000), Some(there));
    assert_eq!(stuck_at(4, 4), None, "a slot no task took");
    slot.spawned(core, 3, TaskId(10), there); // slot 3's next task
    assert_eq!(stuck_at(3, 3), None, "the slot no longer names task 3");
    assert_eq!(stuck_at(10, 3), Some(there));
    slot.spawned(other, 3, TaskId(10), here); // another runtime's task 10, in its slot 3
    assert_eq!(stuck_at(10, 3), None, "not the running runtime's");
    let past = FIRST_SITES * ((1 << CHUNKS) - 1);
    slot.spawned(core, past, TaskId(11), here);
    assert_eq!(stuck_at(11, past), None, "past the table: not kept");
}

#[test]
fn each_slot_of_the_task_table_has_one_place_in_the_chunks() {
    assert_eq!(place(0), (0, 0));
    assert_eq!(place(1023), (0, 1023));
    assert_eq!(place(1024), (1, 0));
    assert_eq!(place(3071), (1, 2047));
    assert_eq!(place(3072), (2, 0));
    let mut next = (0, 0);
    for key in 0..FIRST_SITES * 15 {
        assert_eq!(place(key), next, "slot {key}");
        next = if next.1 + 1 == FIRST_SITES << next.0 {
            (next.0 + 1, 0)
        } else {
            (next.0, next.1 + 1)
        };
    }
}

#[test]
fn a_late_wake_is_a_pause() {
    let t0 = Instant::now();
    let period = Duration::from_millis(50);
    assert!(!paused(t0, t0 + Duration::from_millis(120), period));
    assert!(paused(t0, t0 + Duration::from_millis(201), period));
}

#[test]
fn a_slot_has_a_cache_line_of_its_own() {
    assert_eq!(std::mem::align_of::<Slot>(), 64);
    assert_eq!(
        std::mem::size_of::<Site>(),
        16,
        "a site is found with a shift"
    );
    assert!(AtomicCell::<Option<&'static Location<'static>>>::is_lock_free());
}

#[test]
fn the_report_names_the_task_the_step_the_seed_and_the_replay() {
    let report = Report {
        budget: Duration::from_millis(300),
        stuck: Duration::from_micros(312_345),
        id: TaskId(2),
        cancel: false,
        site: Some(Location::caller()),
        step: 7,
        time: Duration::from_secs(1),
        seed: 0x2a,
        label: Some(Label::new("bank::transfer", |seed| {
            format!("SIM_SEED={seed:#x} cargo test -- bank::transfer --exact")
        })),
        thread: Some("bank::transfer".to_string()),
    }
    .to_string();
    let first = report.lines().next().unwrap();
    assert_eq!(
        first,
        "sim: test `bank::transfer` failed: a poll did not return within the watchdog's \
         budget of 300ms"
    );
    assert!(report.contains("\n  task:     #2 (spawned at "), "{report}");
    assert!(report.contains(", in this step for 312ms\n"), "{report}");
    assert!(report.contains("\n  at:       step 7, t=1s\n"), "{report}");
    assert!(report.contains("\n  seed:     0x2a\n"), "{report}");
    assert!(
        report.contains("\n  replay:   SIM_SEED=0x2a cargo test -- bank::transfer --exact\n"),
        "{report}"
    );
}
