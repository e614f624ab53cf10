//! Shrinking on bugs of the gallery: the shrunk schedule has at most the bug's true number of
//! preemptions (one, for each of these), and replays to the same failure.

use sim::check::{Check, CheckError, FailureKind};
use sim::{Builder, SimError, Strategy};
use sim_tests::bugs::{self, Bug};

/// What "the same failure" compares: the panic message, or the kind of error.
fn signature(error: &SimError) -> String {
    match error {
        SimError::Panicked(p) => format!("panic: {}", p.message),
        SimError::Deadlock(_) => "deadlock".to_string(),
        other => format!("{other}"),
    }
}

/// Checks the bug's shrinking and replay; returns how many preemptions the failing run had
/// before it was shrunk.
fn shrinks_to_one_preemption(name: &str) -> u64 {
    let bug: Bug = bugs::all()
        .into_iter()
        .find(|b| b.name == name)
        .expect("a gallery bug");
    let err = Check::new()
        .name(bug.name)
        .seeds(bug.seed_budget)
        .chaos(bug.chaos)
        .max_steps(bugs::MAX_STEPS)
        .try_run(bug.buggy)
        .unwrap_err();
    let CheckError::Failed(failure) = err else {
        panic!("{name}: expected a failure: {err}")
    };
    let FailureKind::Run(original) = &failure.kind else {
        panic!("{name}: a run failure")
    };
    let (schedule, preemptions) = match &failure.shrunk {
        Some(s) => (s.schedule.clone(), s.preemptions),
        None => (failure.schedule.clone(), failure.preemptions),
    };
    assert!(
        preemptions <= 1,
        "{name}: shrunk to {preemptions} preemptions:\n{failure}"
    );

    let mut rt = Builder::new()
        .seed(failure.seed)
        .chaos(bug.chaos)
        .max_steps(bugs::MAX_STEPS)
        .strategy(Strategy::Replay(schedule))
        .build();
    let replayed = rt.block_on((bug.buggy)()).unwrap_err();
    assert_eq!(
        signature(&replayed),
        signature(original),
        "{name}: the same failure"
    );
    assert_eq!(rt.preemptions(), preemptions, "{name}");
    failure.preemptions
}

#[test]
fn lost_update_shrinks_to_one_preemption() {
    shrinks_to_one_preemption("lost_update");
}

#[test]
fn atomicity_violation_among_noise_shrinks_to_one_preemption() {
    // The noise tasks make the failing run preempt more than once, so shrinking has work to
    // do here: the run above is cut down to one preemption.
    let original = shrinks_to_one_preemption("atomicity_violation_with_noise");
    assert!(
        original > 1,
        "the noisy failing run had {original} preemptions"
    );
}

#[test]
fn lock_order_deadlock_shrinks_to_one_preemption() {
    shrinks_to_one_preemption("lock_order_deadlock");
}
