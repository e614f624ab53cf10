//! The bug gallery (`sim_tests::bugs`): every buggy form fails on some seed of its budget, and
//! every fixed form passes every seed of it.
//!
//! Runs go through `sim_tests::bugs::run`, one `Builder` per seed `0..budget`, rather than
//! `sim::check::Check`, because some bugs need chaos mode, which `Check` does not set. A buggy
//! run that fails prints its panic (if it panicked); that is expected.

use sim::{SimError, Strategy};
use sim_tests::bugs::{self, Bug, first_failing_seed};

/// The strategies a search tries, in order.
fn search_order() -> [Strategy; 4] {
    [
        Strategy::Random,
        Strategy::Pct { depth: 1 },
        Strategy::Pct { depth: 2 },
        Strategy::Pct { depth: 3 },
    ]
}

/// The first strategy (in search order) that finds the bug, and the seed it fails on.
fn find(bug: &Bug) -> Option<(Strategy, u64)> {
    search_order().into_iter().find_map(|strategy| {
        first_failing_seed(bug.buggy, &strategy, bug.chaos, bug.seed_budget)
            .map(|seed| (strategy, seed))
    })
}

fn bug(name: &str) -> Bug {
    bugs::all()
        .into_iter()
        .find(|b| b.name == name)
        .unwrap_or_else(|| panic!("no bug named {name}"))
}

#[test]
fn the_gallery_lists_twelve_bugs_in_order() {
    let names: Vec<_> = bugs::all().iter().map(|b| b.name).collect();
    assert_eq!(
        names,
        [
            "lost_update",
            "check_then_act",
            "double_spend",
            "lock_order_deadlock",
            "lost_wakeup",
            "ordering_violation",
            "atomicity_violation_with_noise",
            "long_run",
            "timeout_tears_two_step_commit",
            "message_lost_in_select",
            "permit_lost_on_cancel",
            "half_done_by_timeout",
        ]
    );
    for b in bugs::all() {
        assert!((200..=2000).contains(&b.seed_budget), "{}", b.name);
    }
}

#[test]
fn every_buggy_form_fails_within_its_budget() {
    let mut missed = Vec::new();
    for bug in bugs::all().iter().filter(|b| b.name != "long_run") {
        match find(bug) {
            Some((strategy, seed)) => {
                eprintln!("{:32} found by {strategy} at seed {seed}", bug.name);
                // The failure is a function of the seed: it happens again.
                assert!(
                    bugs::run(bug.buggy, seed, &strategy, bug.chaos).is_err(),
                    "{}: seed {seed} under {strategy} did not fail again",
                    bug.name
                );
            }
            None => missed.push(bug.name),
        }
    }
    assert!(
        missed.is_empty(),
        "bugs not found within budget: {missed:?}"
    );
}

#[test]
fn long_run_is_found_by_pct_and_missed_by_random() {
    let bug = bug("long_run");
    assert_eq!(
        first_failing_seed(bug.buggy, &Strategy::Random, bug.chaos, bug.seed_budget),
        None,
        "a random walk should practically never run the producer 17 steps in a row"
    );
    let found = [1, 2].into_iter().find_map(|depth| {
        let strategy = Strategy::Pct { depth };
        first_failing_seed(bug.buggy, &strategy, bug.chaos, bug.seed_budget)
            .map(|seed| (strategy, seed))
    });
    let (strategy, seed) = found.expect("PCT (depth 1 or 2) finds the long run");
    eprintln!("{:32} found by {strategy} at seed {seed}", bug.name);
}

#[test]
fn every_fixed_form_passes_its_whole_budget() {
    let mut failed = Vec::new();
    for bug in bugs::all() {
        for strategy in [Strategy::Random, Strategy::Pct { depth: 2 }] {
            if let Some(seed) = first_failing_seed(bug.fixed, &strategy, bug.chaos, bug.seed_budget)
            {
                failed.push(format!(
                    "{} fails under {strategy} at seed {seed}",
                    bug.name
                ));
            }
        }
    }
    assert!(failed.is_empty(), "fixed forms failed: {failed:#?}");
}

#[test]
fn waiting_forever_is_reported_as_a_deadlock() {
    for name in ["lock_order_deadlock", "lost_wakeup"] {
        let bug = bug(name);
        let (strategy, seed) = find(&bug).expect("found");
        let err = bugs::run(bug.buggy, seed, &strategy, bug.chaos).unwrap_err();
        assert!(matches!(err, SimError::Deadlock(_)), "{name}: {err}");
    }
}

#[test]
fn chaos_is_what_exposes_check_then_act() {
    let bug = bug("check_then_act");
    assert!(bug.chaos);
    for strategy in search_order() {
        assert_eq!(
            first_failing_seed(bug.buggy, &strategy, false, bug.seed_budget),
            None,
            "without chaos the ready lock never yields, under {strategy}"
        );
    }
}
