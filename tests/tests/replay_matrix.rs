//! The replay contract: for every way a failure can be found, the command its report prints,
//! run verbatim by a shell, fails the same way at the same step.
//!
//! Each row runs a fixture through `cargo test` with the variables that find its bug, reads the
//! report's replay commands (by token; by token and schedule; by token and shrunk schedule),
//! runs each with `sh -c` from the workspace's root with no `SIM_*` variable set, and compares
//! the replayed failure (its failure line, its step and virtual time) with the original. The
//! fixtures fail only when `REPLAY_MATRIX=1` is set, so a plain `cargo test` runs them as
//! passing tests; the shell that replays a command keeps that variable, as a user's shell
//! keeps the environment the test needs.

use std::cell::Cell;
use std::path::Path;
use std::process::Command;
use std::rc::Rc;

use sim::check::Check;
use sim::time::{Duration, sleep, timeout};

mod support;
use support::{parse_replay, report_line};

/// Whether the fixtures are asked to fail (only inside the matrix's subprocesses).
fn armed() -> bool {
    std::env::var_os("REPLAY_MATRIX").is_some()
}

/// Three tasks add one each to a counter, reading it before a yield and writing after.
async fn lost_update() {
    if !armed() {
        return;
    }
    let n = Rc::new(Cell::new(0));
    let tasks: Vec<_> = (0..3)
        .map(|i| {
            let n = Rc::clone(&n);
            sim::task::Builder::new()
                .name(format!("adder-{i}"))
                .spawn(async move {
                    sleep(Duration::from_millis(sim::rand::random::<u64>() % 3)).await;
                    let read = n.get();
                    sim::task::yield_now().await;
                    n.set(read + 1);
                })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(n.get(), 3, "lost update");
}

mod fixtures {
    use super::*;

    #[sim::test(seeds = 200)]
    async fn random() {
        lost_update().await
    }

    #[sim::test(seeds = 200)]
    #[ignore = "fixture of the replay matrix: the row for ignored tests"]
    async fn ignored() {
        lost_update().await
    }

    /// Check-then-act around a lock: the check passes for both tasks only if taking a free
    /// lock yields, which only chaos mode makes it do.
    #[sim::test(seeds = 200)]
    async fn chaos() {
        if !armed() {
            return;
        }
        let lock = Rc::new(sim::sync::Mutex::new(()));
        let taken = Rc::new(Cell::new(0));
        let tasks: Vec<_> = (0..2)
            .map(|_| {
                let (lock, taken) = (Rc::clone(&lock), Rc::clone(&taken));
                sim::spawn(async move {
                    if taken.get() == 0 {
                        let _guard = lock.lock().await;
                        taken.set(taken.get() + 1);
                    }
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
        assert_eq!(taken.get(), 1, "taken twice");
    }

    /// A write that a fault makes fail is retried without undoing the first attempt.
    #[sim::test(seeds = 200)]
    async fn buggify() {
        if !armed() {
            return;
        }
        let applied = Cell::new(0);
        for _ in 0..3 {
            applied.set(applied.get() + 1);
            if sim::buggify!(0.5) {
                applied.set(applied.get() + 1); // the retry, without a rollback
            }
            sim::task::yield_now().await;
        }
        assert_eq!(applied.get(), 3, "a failed write was applied twice");
    }

    /// A transfer torn by a timeout between the debit and the credit: found by cancellation
    /// injection only.
    #[sim::test(seeds = 20)]
    async fn injection() {
        if !armed() {
            return;
        }
        let (from, to) = (Rc::new(Cell::new(100)), Rc::new(Cell::new(0)));
        let (f, t) = (Rc::clone(&from), Rc::clone(&to));
        let _ = timeout(Duration::from_secs(30), async move {
            sleep(Duration::from_millis(1)).await;
            f.set(f.get() - 40);
            sleep(Duration::from_millis(1)).await;
            t.set(t.get() + 40);
        })
        .await;
        assert_eq!(from.get() + to.get(), 100, "money lost");
    }
}

mod under_proptest {
    use proptest::prelude::*;
    use proptest::test_runner::{Config, RngSeed};

    use super::*;

    /// `workers` tasks each add one to a counter with a yield between read and write.
    async fn count(workers: u32) -> u32 {
        let n = Rc::new(Cell::new(0));
        let tasks: Vec<_> = (0..workers)
            .map(|_| {
                let n = Rc::clone(&n);
                sim::spawn(async move {
                    let read = n.get();
                    sim::task::yield_now().await;
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
        #![proptest_config(Config {
            cases: 32,
            failure_persistence: None,
            rng_seed: RngSeed::Fixed(7),
            ..Config::default()
        })]

        /// No name given to the check: its replay selects this test all the same.
        #[test]
        fn counter(workers in 1u32..6) {
            if armed() {
                let outcome = Check::new().seeds(30).try_run(|| async move {
                    assert_eq!(count(workers).await, workers, "lost update");
                });
                prop_assert!(outcome.is_ok(), "{}", outcome.unwrap_err());
            }
        }
    }
}

/// The workspace's root, where a printed command is pasted.
fn workspace_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap()
}

/// A command run the way a user runs it: in a shell, from the workspace's root, with the
/// fixtures armed, `extra` set, and no other `SIM_*` variable.
fn shell(command: &str, extra: &[(&str, &str)]) -> (bool, String) {
    let mut shell = Command::new("sh");
    shell.arg("-c").arg(command).current_dir(workspace_root());
    for (name, _) in std::env::vars() {
        if name.starts_with("SIM_") {
            shell.env_remove(name);
        }
    }
    shell
        .env("REPLAY_MATRIX", "1")
        .env("RUST_BACKTRACE", "0")
        .env("SIM_REGRESSIONS", "0")
        .envs(extra.iter().copied());
    let out = shell.output().expect("sh runs");
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.success(), text)
}

/// What a failure is, for comparing an original with its replay.
fn failure_of(report: &str) -> (String, String) {
    (
        report_line(report, "failure").to_string(),
        report_line(report, "at").to_string(),
    )
}

/// The row: `selector` finds the bug under `vars`; every replay command of its report then
/// fails the same way at the same step. Returns the report.
fn row(selector: &str, vars: &[(&str, &str)]) -> String {
    let (ok, report) = shell(selector, vars);
    assert!(!ok, "`{selector}` with {vars:?} must fail:\n{report}");
    assert!(report.contains("sim: test `"), "no report:\n{report}");
    let original = failure_of(&report);
    for key in [
        "replay",
        "replay the schedule",
        "replay the shrunk schedule",
    ] {
        if key != "replay the schedule" && key != "replay" && !report.contains(&format!("  {key}:"))
        {
            continue;
        }
        let command = report_line(&report, key);
        let replay = parse_replay(command);
        assert!(
            replay.vars.len() == 1 && replay.vars[0].0 == "SIM_REPLAY",
            "one token, nothing else: {command}"
        );
        let (ok, again) = shell(command, &[]);
        assert!(!ok, "`{command}` must fail:\n{again}");
        let replayed = failure_of(&again);
        if key == "replay the shrunk schedule" {
            // The shrunk schedule fails the same way, at the step the report gave it.
            assert_eq!(replayed.0, original.0, "`{command}`:\n{again}");
            let step = format!("step {},", shrunk_step(&report));
            assert!(replayed.1.starts_with(&step), "`{command}`:\n{again}");
        } else {
            assert_eq!(
                replayed, original,
                "`{command}`:\n{again}\n--- original:\n{report}"
            );
        }
    }
    report
}

/// The step at which the shrunk schedule fails, as the report says.
fn shrunk_step(report: &str) -> u64 {
    let shrunk = report_line(report, "shrunk");
    let after = shrunk.split("fails at step ").nth(1).expect(shrunk);
    after
        .split(|c: char| !c.is_ascii_digit())
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

const MATRIX: &str = "cargo test -q -p sim-tests --test replay_matrix --";

fn fixture(name: &str) -> String {
    format!("{MATRIX} fixtures::{name} --exact --include-ignored")
}

#[test]
fn a_random_walk_failure_replays() {
    let report = row(&fixture("random"), &[]);
    assert!(report.contains("strategy random"), "{report}");
}

#[test]
fn a_pct_failure_replays_with_its_horizon() {
    let report = row(&fixture("random"), &[("SIM_STRATEGY", "pct:2")]);
    assert!(report.contains(" strategy=pct:2 horizon="), "{report}");
}

#[test]
fn an_exhaustive_failure_replays_its_one_schedule() {
    let report = row(&fixture("random"), &[("SIM_STRATEGY", "exhaustive:1")]);
    assert!(
        report_line(&report, "replay").contains(" schedule=v1:"),
        "{report}"
    );
}

#[test]
fn a_chaos_failure_replays() {
    // Without chaos the lock never yields, so the check-then-act race cannot happen.
    let (ok, out) = shell(&fixture("chaos"), &[]);
    assert!(ok, "{out}");
    let report = row(&fixture("chaos"), &[("SIM_CHAOS", "1")]);
    assert!(report.contains(" chaos"), "{report}");
}

#[test]
fn a_buggify_failure_replays() {
    let (ok, out) = shell(&fixture("buggify"), &[]);
    assert!(ok, "no fault, no failure:\n{out}");
    let report = row(&fixture("buggify"), &[("SIM_BUGGIFY", "1")]);
    assert!(report.contains(" buggify"), "{report}");
}

#[test]
fn an_injected_cancellation_replays_at_its_point() {
    let (ok, out) = shell(&fixture("injection"), &[]);
    assert!(ok, "no seed alone tears the transfer:\n{out}");
    let report = row(&fixture("injection"), &[("SIM_INJECT_CANCEL", "1")]);
    assert!(report.contains(" inject="), "{report}");
}

#[test]
fn a_failure_found_on_parallel_jobs_replays() {
    row(
        &fixture("random"),
        &[("SIM_JOBS", "2"), ("SIM_SEEDS", "400")],
    );
}

#[test]
fn a_failure_found_in_a_shard_replays() {
    row(&fixture("random"), &[("SIM_SHARD", "2/3")]);
}

#[test]
fn an_ignored_test_replays() {
    let report = row(&fixture("ignored"), &[]);
    assert!(report.contains("--include-ignored"), "{report}");
}

#[test]
fn a_check_inside_proptest_replays_without_a_name() {
    let report = row(&format!("{MATRIX} under_proptest::counter --exact"), &[]);
    assert!(
        report.contains("SIM_REPLAY='v1 test=under_proptest::counter seed=0x"),
        "{report}"
    );
}

#[test]
fn a_unit_test_in_src_replays() {
    let report = row(
        "cargo test -q -p sim-tests --lib -- replay_fixture::lost_update --exact",
        &[],
    );
    assert!(
        report.contains(" --lib -- replay_fixture::lost_update --exact"),
        "{report}"
    );
}
