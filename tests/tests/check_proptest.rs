//! `Check` inside proptest: inputs from proptest, interleavings from seeds. A failure shrinks
//! the input with proptest's shrinker while the checker finds the failing schedule for each.

use std::cell::Cell;
use std::rc::Rc;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestError, TestRunner};
use sim::check::Check;

/// `workers` tasks each add one to a counter, with a yield between read and write when
/// `racy`: a lost update that needs at least two workers.
async fn count(workers: u32, racy: bool) -> u32 {
    let n = Rc::new(Cell::new(0));
    let tasks: Vec<_> = (0..workers)
        .map(|_| {
            let n = Rc::clone(&n);
            sim::spawn(async move {
                let read = n.get();
                if racy {
                    sim::task::yield_now().await;
                }
                n.set(read + 1);
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    n.get()
}

proptest! {
    #![proptest_config(Config { cases: 16, failure_persistence: None, ..Config::default() })]

    #[test]
    fn a_correct_counter_passes_for_every_input_and_seed(workers in 1u32..8) {
        Check::new().name("check_proptest::correct").seeds(20).run(|| async move {
            assert_eq!(count(workers, false).await, workers);
        });
    }
}

#[test]
fn proptest_shrinks_the_input_of_a_racy_counter_to_the_smallest_failing_one() {
    let mut runner = TestRunner::new(Config {
        cases: 64,
        failure_persistence: None,
        ..Config::default()
    });
    let result = runner.run(&(1u32..12), |workers| {
        let outcome = Check::new()
            .name("check_proptest::racy")
            .seeds(50)
            .try_run(|| async move {
                assert_eq!(count(workers, true).await, workers, "lost update");
            });
        prop_assert!(outcome.is_ok(), "{}", outcome.unwrap_err());
        Ok(())
    });
    match result {
        Err(TestError::Fail(reason, workers)) => {
            assert_eq!(
                workers, 2,
                "the smallest input with a lost update has two workers"
            );
            // The replay selects this very test, though the check was given another name.
            let reason = reason.to_string();
            let test = "proptest_shrinks_the_input_of_a_racy_counter_to_the_smallest_failing_one";
            let token = format!("SIM_REPLAY='v1 test={test} seed=0x");
            assert!(reason.contains(&token), "{reason}");
            let selector =
                format!("cargo test -p sim-tests --test check_proptest -- {test} --exact");
            assert!(reason.contains(&selector), "{reason}");
        }
        other => panic!("expected a shrunk failure, got {other:?}"),
    }
}
