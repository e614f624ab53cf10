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

mod never_grows {
    use proptest::prelude::*;
    use proptest::test_runner::{Config, RngSeed};

    use super::*;

    proptest! {
        #![proptest_config(Config {
            cases: 48,
            failure_persistence: None,
            rng_seed: RngSeed::Fixed(11),
            ..Config::default()
        })]

        /// Whatever the bug and the seed list, a shrunk failure is never larger than the
        /// original in preemptions, decisions or steps, and smaller in one of them; when
        /// nothing smaller was found, the report says so.
        #[test]
        fn a_shrunk_failure_is_never_larger_than_the_original(
            index in 0usize..64,
            start in 0u64..1_000_000,
        ) {
            let all = bugs::all();
            let bug = &all[index % all.len()];
            let outcome = Check::new()
                .name(bug.name)
                .seeds(bug.seed_budget)
                .seed_start(start)
                .chaos(bug.chaos)
                .max_steps(bugs::MAX_STEPS)
                .try_run(bug.buggy);
            if let Err(CheckError::Failed(failure)) = outcome {
                let original = (failure.preemptions, failure.schedule.len(), failure.at.step);
                match &failure.shrunk {
                    Some(shrunk) => {
                        let small = (shrunk.preemptions, shrunk.schedule.len(), shrunk.steps);
                        prop_assert!(
                            small.0 <= original.0 && small.1 <= original.1 && small.2 <= original.2
                                && small != original,
                            "{}: {small:?} from {original:?}\n{failure}", bug.name
                        );
                    }
                    None if !failure.schedule.is_empty() && matches!(failure.kind, FailureKind::Run(_)) => {
                        prop_assert!(
                            failure.to_string().contains("shrunk:   nothing smaller fails the same way"),
                            "{}: says nothing of shrinking:\n{failure}", bug.name
                        );
                    }
                    None => {}
                }
            }
        }
    }
}
