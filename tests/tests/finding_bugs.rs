//! Bug-finding machinery: exhaustive search, shrinking, and buggify.

use std::cell::Cell;
use std::rc::Rc;

use sim::check::{Check, CheckError, FailureKind};
use sim::{Builder, SimError, Strategy};

/// `workers` tasks increment a counter with a yield between read and write (a lost update
/// when `racy`), plus `noise` tasks that only yield.
async fn counter(workers: u32, noise: u32, racy: bool) {
    let n = Rc::new(Cell::new(0));
    let mut tasks = Vec::new();
    for _ in 0..workers {
        let n = Rc::clone(&n);
        tasks.push(sim::spawn(async move {
            let read = n.get();
            if racy {
                sim::task::yield_now().await;
            }
            n.set(read + 1);
            sim::task::yield_now().await;
        }));
    }
    for _ in 0..noise {
        tasks.push(sim::spawn(async {
            for _ in 0..3 {
                sim::task::yield_now().await;
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(n.get(), workers, "lost update");
}

fn exhaustive(bound: u32) -> Check {
    Check::new()
        .name("finding_bugs::exhaustive")
        .strategy(Strategy::Exhaustive {
            max_preemptions: bound,
        })
}

#[test]
fn exhaustive_search_with_one_task_and_no_preemption_runs_one_schedule() {
    let summary = exhaustive(0).run(|| counter(1, 0, false));
    assert_eq!(summary.seeds_run, 1);
}

#[test]
fn exhaustive_search_covers_more_schedules_as_the_bound_grows_and_counts_them() {
    let counts: Vec<u64> = (0..4)
        .map(|bound| exhaustive(bound).run(|| counter(2, 1, false)).seeds_run)
        .collect();
    assert!(counts.windows(2).all(|w| w[0] < w[1]), "{counts:?}");
    // Deterministic: the same bound always covers the same number of schedules.
    assert_eq!(
        exhaustive(2).run(|| counter(2, 1, false)).seeds_run,
        counts[2]
    );
}

#[test]
fn exhaustive_search_finds_a_one_preemption_bug_and_the_failure_replays() {
    let err = exhaustive(1)
        .shrink(false)
        .try_run(|| counter(2, 0, true))
        .unwrap_err();
    let CheckError::Failed(failure) = err else {
        panic!("expected a failure: {err}")
    };
    assert!(
        failure.preemptions <= 1,
        "found within the bound: {}",
        failure.preemptions
    );
    let mut rt = Builder::new()
        .seed(failure.seed)
        .strategy(Strategy::Replay(failure.schedule.clone()))
        .build();
    let replayed = rt.block_on(counter(2, 0, true)).unwrap_err();
    assert!(matches!(replayed, SimError::Panicked(p) if p.message.contains("lost update")));
}

#[test]
fn exhaustive_search_stops_with_a_clear_message_past_its_budget() {
    let err = exhaustive(3)
        .max_schedules(20)
        .try_run(|| counter(3, 2, false))
        .unwrap_err();
    let text = err.to_string();
    assert!(matches!(
        err,
        CheckError::Incomplete {
            schedules: 20,
            max_preemptions: 3,
            ..
        }
    ));
    assert!(text.contains("stopped after 20 schedules"), "{text}");
}

#[test]
fn shrinking_reduces_preemptions_and_the_shrunk_schedule_replays_to_the_same_failure() {
    // A lost update among noise tasks: random schedules are full of irrelevant preemptions.
    let err = Check::new()
        .name("finding_bugs::shrink")
        .seeds(500)
        .try_run(|| counter(2, 4, true))
        .unwrap_err();
    let CheckError::Failed(failure) = err else {
        panic!("expected a failure: {err}")
    };
    let shrunk = failure
        .shrunk
        .as_ref()
        .expect("a smaller schedule was found");
    assert!(shrunk.preemptions < failure.preemptions, "{failure}");
    assert!(
        shrunk.preemptions <= 2,
        "close to the bug's true need of one preemption: {failure}"
    );
    let report = failure.to_string();
    assert!(report.contains("shrunk:"), "{report}");
    assert!(
        report.contains(
            "replay the shrunk schedule: SIM_REPLAY='v1 \
             test=shrinking_reduces_preemptions_and_the_shrunk_schedule_replays_to_the_same_failure \
             seed=0x"
        ),
        "{report}"
    );
    assert!(
        report.contains(&format!(" schedule={}'", shrunk.schedule)),
        "{report}"
    );

    let mut rt = Builder::new()
        .seed(failure.seed)
        .strategy(Strategy::Replay(shrunk.schedule.clone()))
        .build();
    let replayed = rt.block_on(counter(2, 4, true)).unwrap_err();
    let SimError::Panicked(p) = replayed else {
        panic!("expected the same panic")
    };
    assert!(p.message.contains("lost update"));
    assert_eq!(rt.preemptions(), shrunk.preemptions);
    assert_eq!(p.at.step, shrunk.steps);
    let FailureKind::Run(SimError::Panicked(original)) = &failure.kind else {
        panic!()
    };
    assert_eq!(original.message, p.message, "the same failure");
}

#[test]
fn shrinking_never_hides_the_original_failure() {
    let err = Check::new()
        .name("finding_bugs::original")
        .seeds(200)
        .try_run(|| counter(2, 2, true));
    let report = err.unwrap_err().to_string();
    assert!(report.contains("  schedule: v1:"), "{report}");
    assert!(
        report.contains(
            "  replay:   SIM_REPLAY='v1 test=shrinking_never_hides_the_original_failure seed=0x"
        ),
        "{report}"
    );
}

/// A store that retries a write on failure, but forgets to roll back the first, half-applied
/// attempt: only a failing write (a rare fault path) exposes it.
async fn retrying_store() {
    let applied = Rc::new(Cell::new(0u32));
    for _ in 0..5 {
        loop {
            applied.set(applied.get() + 1); // write...
            sim::task::yield_now().await;
            if sim::buggify!(0.5) {
                // ...the write "failed": retry. The bug: the increment is not undone.
                continue;
            }
            break;
        }
    }
    assert_eq!(applied.get(), 5, "a failed write was applied twice");
}

#[test]
fn buggify_finds_a_bug_only_a_rare_fault_path_exposes() {
    let off = Check::new()
        .name("finding_bugs::buggify")
        .seeds(200)
        .try_run(retrying_store);
    assert!(off.is_ok(), "with buggify off the fault path never runs");
    let on = Check::new()
        .name("finding_bugs::buggify")
        .seeds(200)
        .buggify(true)
        .try_run(retrying_store);
    let report = on.unwrap_err().to_string();
    assert!(
        report.contains("a failed write was applied twice"),
        "{report}"
    );
}

#[test]
fn buggify_is_reproducible_from_the_seed() {
    let fired = |seed| {
        Builder::new()
            .seed(seed)
            .buggify(true)
            .build()
            .block_on(async { (0..64).map(|_| sim::buggify!()).collect::<Vec<bool>>() })
            .unwrap()
    };
    for seed in 0..20 {
        assert_eq!(fired(seed), fired(seed));
    }
    assert!((0..50).any(|s| fired(s).contains(&true)));
    assert!(
        (0..50).any(|s| !fired(s).contains(&true)),
        "sites are enabled per run, not always"
    );
}

/// Moves `amount` between two accounts inside a timeout, with an await between the debit and
/// the credit (`torn`), or only after both (`atomic`).
async fn transfer_under_timeout(atomic: bool) {
    use sim::time::{Duration, sleep, timeout};
    let (from, to) = (Rc::new(Cell::new(100)), Rc::new(Cell::new(0)));
    let (f, t) = (Rc::clone(&from), Rc::clone(&to));
    let _ = timeout(Duration::from_secs(30), async move {
        sleep(Duration::from_millis(1)).await; // look up the accounts
        if atomic {
            sleep(Duration::from_millis(1)).await; // write the audit record first
            f.set(f.get() - 40);
            t.set(t.get() + 40);
        } else {
            f.set(f.get() - 40);
            sleep(Duration::from_millis(1)).await; // write the audit record
            t.set(t.get() + 40);
        }
    })
    .await;
    assert_eq!(from.get() + to.get(), 100, "money lost");
}

#[test]
fn cancellation_injection_names_the_await_that_breaks_an_invariant() {
    let ok = Check::new()
        .name("inject::torn")
        .seeds(20)
        .try_run(|| transfer_under_timeout(false));
    assert!(
        ok.is_ok(),
        "no schedule or seed alone reaches the cancellation"
    );
    let err = Check::new()
        .name("inject::torn")
        .seeds(20)
        .inject_cancellation(true)
        .try_run(|| transfer_under_timeout(false))
        .unwrap_err();
    let CheckError::Failed(failure) = &err else {
        panic!("expected a failure: {err}")
    };
    let injected = failure
        .injected
        .expect("the failure names the injected cancellation");
    assert_eq!(
        injected.point, 2,
        "cancelling at the second await tears the transfer"
    );
    assert!(injected.site.file().ends_with("finding_bugs.rs"));
    let report = err.to_string();
    assert!(report.contains("injected: the timeout at"), "{report}");
    // Both replay lines pin the injected point, not only the seed.
    assert_eq!(
        report.matches(" inject=2' cargo test").count(),
        2,
        "{report}"
    );

    let fixed = Check::new()
        .name("inject::atomic")
        .seeds(20)
        .inject_cancellation(true)
        .try_run(|| transfer_under_timeout(true));
    assert!(
        fixed.is_ok(),
        "cancelled at any await, the atomic version keeps the invariant"
    );
}
