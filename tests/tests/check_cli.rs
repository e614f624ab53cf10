//! The checker seen from the command line: this test binary runs its own `fixtures` (ignored
//! tests that fail or record on purpose) as subprocesses, with `SIM_*` variables, and checks
//! what they print.

use std::collections::BTreeSet;
use std::process::Command;

mod support;
use support::{parse_replay, report_line};

/// Tests that are only run by the subprocess tests below, never by a plain `cargo test`.
mod fixtures {
    use std::cell::Cell;
    use std::rc::Rc;

    use sim::time::{Duration, sleep};

    #[sim::test(seeds = 300)]
    #[ignore = "fixture: fails on purpose; run by the check_cli subprocess tests"]
    async fn lost_update() {
        let n = Rc::new(Cell::new(0));
        let tasks: Vec<_> = (0..3)
            .map(|i| {
                let n = Rc::clone(&n);
                sim::task::Builder::new()
                    .name(format!("adder-{i}"))
                    .spawn(async move {
                        sleep(Duration::from_millis(sim::rand::random::<u64>() % 4)).await;
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

    #[sim::test(seeds = 40)]
    #[ignore = "fixture: prints its seed; run by the check_cli subprocess tests"]
    async fn prints_seed() {
        println!("ran seed {:#x}", sim::seed());
    }

    #[sim::test(seeds = 3)]
    #[ignore = "fixture: fails when blocking jobs overlap; run by the check_cli subprocess tests"]
    async fn blocking_jobs_in_turn() {
        let jobs: Vec<_> = (0..2)
            .map(|i| sim::task::spawn_blocking(Duration::from_secs(1), move || i))
            .collect();
        for job in jobs {
            job.await.unwrap();
        }
        assert_eq!(
            sim::time::elapsed(),
            Duration::from_secs(2),
            "the jobs overlapped"
        );
    }

    thread_local! {
        static RUNS: Cell<u32> = const { Cell::new(0) };
    }

    #[sim::test(seeds = 5)]
    #[ignore = "fixture: leaks state between runs; run by the check_cli subprocess tests"]
    async fn leaks_a_thread_local() {
        let runs = RUNS.with(|r| {
            r.set(r.get() + 1);
            r.get()
        });
        for _ in 0..runs % 2 {
            sim::task::yield_now().await;
        }
    }
}

fn run_fixture(test: &str, vars: &[(&str, &str)]) -> (bool, String) {
    let mut command = Command::new(std::env::current_exe().unwrap());
    command.args([
        test,
        "--exact",
        "--ignored",
        "--nocapture",
        "--test-threads=1",
    ]);
    for (name, _) in std::env::vars() {
        if name.starts_with("SIM_") {
            command.env_remove(name);
        }
    }
    // The fixtures fail on purpose: keep no failure of theirs in the package (a test below
    // points SIM_REGRESSIONS at a folder of its own).
    command
        .env("RUST_BACKTRACE", "0")
        .env("SIM_REGRESSIONS", "0")
        .envs(vars.iter().copied());
    let out = command.output().unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.success(), text)
}

/// Runs a printed replay command against this binary: its variables, its test arguments,
/// after checking that it selects exactly this package, this target and the fixture.
fn replay(command: &str, fixture: &str) -> (bool, String) {
    let replay = parse_replay(command);
    assert_eq!(
        replay.cargo,
        ["test", "-p", "sim-tests", "--test", "check_cli"],
        "{command}"
    );
    assert_eq!(
        replay.test,
        [fixture, "--exact", "--include-ignored"],
        "{command}"
    );
    assert_eq!(replay.vars.len(), 1, "one token: {command}");
    let (name, token) = &replay.vars[0];
    assert_eq!(name, "SIM_REPLAY", "{command}");
    run_fixture(fixture, &[(name.as_str(), token.as_str())])
}

#[test]
fn a_failure_prints_a_replay_command_that_reproduces_it_at_the_same_step() {
    let (ok, report) = run_fixture("fixtures::lost_update", &[]);
    assert!(!ok, "the fixture must fail:\n{report}");
    assert!(
        report.contains("sim: test `fixtures::lost_update` failed"),
        "{report}"
    );
    assert!(report.contains("lost update"), "{report}");
    let seed = report_line(&report, "seed").to_string();
    let at = report_line(&report, "at").to_string();
    assert!(seed.contains("strategy random"), "{seed}");
    let command = report_line(&report, "replay").to_string();
    assert!(
        command.starts_with("SIM_REPLAY='v1 test=fixtures::lost_update seed=0x"),
        "{command}"
    );

    let (ok, again) = replay(&command, "fixtures::lost_update");
    assert!(!ok);
    assert_eq!(
        report_line(&again, "at"),
        at,
        "same step and time:\n{again}"
    );
    assert!(report_line(&again, "seed").starts_with(seed.split(' ').next().unwrap()));
    assert_eq!(
        report_line(&again, "schedule"),
        report_line(&report, "schedule")
    );

    let by_schedule = report_line(&report, "replay the schedule").to_string();
    assert!(by_schedule.contains(" schedule=v1:"), "{by_schedule}");
    let (ok, third) = replay(&by_schedule, "fixtures::lost_update");
    assert!(!ok);
    assert_eq!(
        report_line(&third, "at"),
        at,
        "the schedule replays to the same step:\n{third}"
    );
}

fn seeds_run(vars: &[(&str, &str)]) -> Vec<String> {
    let (ok, out) = run_fixture("fixtures::prints_seed", vars);
    assert!(ok, "{out}");
    // With --nocapture the first line may follow libtest's `test name ... ` on the same line.
    out.lines()
        .filter_map(|l| {
            l.find("ran seed ")
                .map(|i| l[i + "ran seed ".len()..].to_string())
        })
        .collect()
}

#[test]
fn shards_split_the_seeds_without_overlap_and_with_full_coverage() {
    let all: BTreeSet<String> = seeds_run(&[]).into_iter().collect();
    assert_eq!(all.len(), 40);
    let mut union = BTreeSet::new();
    let mut total = 0;
    for shard in ["1/3", "2/3", "3/3"] {
        let seeds = seeds_run(&[("SIM_SHARD", shard)]);
        total += seeds.len();
        union.extend(seeds);
    }
    assert_eq!(total, 40, "no seed runs in two shards");
    assert_eq!(union, all, "together the shards run every seed");
}

#[test]
fn seed_count_and_start_come_from_the_environment() {
    let first: Vec<String> = seeds_run(&[("SIM_SEEDS", "10")]);
    let next: Vec<String> = seeds_run(&[("SIM_SEEDS", "10"), ("SIM_SEED_START", "10")]);
    let twenty: Vec<String> = seeds_run(&[("SIM_SEEDS", "20")]);
    assert_eq!(first.len(), 10);
    assert_eq!([first, next].concat(), twenty);
    assert_eq!(seeds_run(&[("SIM_SEED", "0x2a")]), ["0x2a"]);
}

#[test]
fn parallel_jobs_report_the_same_seed_as_one_job() {
    let (_, one) = run_fixture("fixtures::lost_update", &[("SIM_JOBS", "1")]);
    let (_, two) = run_fixture("fixtures::lost_update", &[("SIM_JOBS", "2")]);
    assert_eq!(report_line(&one, "seed"), report_line(&two, "seed"));
    assert_eq!(report_line(&one, "at"), report_line(&two, "at"));
    let mut all = seeds_run(&[("SIM_JOBS", "2")]);
    all.sort();
    let mut serial = seeds_run(&[]);
    serial.sort();
    assert_eq!(all, serial, "two jobs run the same seeds");
}

#[test]
fn malformed_variables_fail_with_the_documented_errors() {
    for (var, value, expected) in [
        (
            "SIM_SEEDS",
            "lots",
            "SIM_SEEDS=\"lots\" is malformed: expected a whole number of at least 1",
        ),
        (
            "SIM_SHARD",
            "0/2",
            "SIM_SHARD=\"0/2\" is malformed: expected `i/n` with 1 <= i <= n",
        ),
        (
            "SIM_JOBS",
            "0",
            "SIM_JOBS=\"0\" is malformed: expected a whole number of at least 1",
        ),
        (
            "SIM_SEED",
            "0xZZ",
            "SIM_SEED=\"0xZZ\" is malformed: expected an unsigned 64-bit seed",
        ),
        (
            "SIM_STRATEGY",
            "lifo",
            "SIM_STRATEGY=\"lifo\" is malformed: unknown strategy `lifo`",
        ),
        (
            "SIM_SCHEDULE",
            "1,2",
            "SIM_SCHEDULE=\"1,2\" is malformed: malformed schedule at byte 0",
        ),
        (
            "SIM_CHECK_DETERMINISM",
            "yes please",
            "SIM_CHECK_DETERMINISM=\"yes please\" is malformed",
        ),
    ] {
        let (ok, out) = run_fixture("fixtures::prints_seed", &[(var, value)]);
        assert!(!ok, "{var}={value} must fail the test");
        assert!(out.contains(expected), "{var}={value}:\n{out}");
        assert!(
            !out.contains("ran seed"),
            "nothing runs with a malformed variable"
        );
    }
    let (ok, out) = run_fixture("fixtures::prints_seed", &[("SIM_SCHEDULE", "v1:0")]);
    assert!(
        !ok && out.contains("needs its seed (SIM_SEED) too"),
        "{out}"
    );
}

#[test]
fn the_determinism_check_catches_state_leaking_between_runs() {
    let (ok, out) = run_fixture("fixtures::leaks_a_thread_local", &[]);
    assert!(ok, "without the check, each run passes:\n{out}");
    let (ok, out) = run_fixture(
        "fixtures::leaks_a_thread_local",
        &[("SIM_CHECK_DETERMINISM", "1")],
    );
    assert!(!ok, "{out}");
    assert!(out.contains("two runs of seed"), "{out}");
    assert!(out.contains("diverged at event"), "{out}");
    assert!(
        out.contains("first run:") && out.contains("second run:"),
        "{out}"
    );
}

#[test]
fn verbose_mode_prints_a_summary_line() {
    let (ok, out) = run_fixture("fixtures::prints_seed", &[("SIM_VERBOSE", "1")]);
    assert!(ok);
    assert!(
        out.contains("sim: `fixtures::prints_seed` passed: 40 seeds, 1 distinct schedules"),
        "{out}"
    );
}

/// A variable that changes what a run does (here the blocking pool's size) is part of the
/// replay command: replaying with it fails the same way, and the run without it passes.
#[test]
fn a_replay_command_sets_the_run_settings_the_failure_ran_with() {
    let (ok, out) = run_fixture("fixtures::blocking_jobs_in_turn", &[]);
    assert!(ok, "one worker runs the jobs in turn:\n{out}");
    let (ok, report) = run_fixture(
        "fixtures::blocking_jobs_in_turn",
        &[("SIM_BLOCKING_THREADS", "2"), ("SIM_SHRINK", "0")],
    );
    assert!(!ok, "two workers overlap the jobs:\n{report}");
    assert!(report.contains("the jobs overlapped"), "{report}");
    let command = report_line(&report, "replay").to_string();
    assert!(
        command.contains(" blocking_threads=2' cargo test"),
        "{command}"
    );
    assert!(!command.contains("SIM_SHRINK"), "{command}");
    let (ok, again) = replay(&command, "fixtures::blocking_jobs_in_turn");
    assert!(!ok, "{again}");
    assert_eq!(report_line(&again, "at"), report_line(&report, "at"));
    let seed = report_line(&report, "seed").split(' ').next().unwrap();
    assert!(report_line(&again, "seed").starts_with(seed), "{again}");
}

/// One report per failing test, and no backtrace of sim's internals around it, even with
/// `RUST_BACKTRACE=1`; the report says where the test panicked.
#[test]
fn a_failure_prints_one_report_and_no_backtrace() {
    let (ok, out) = run_fixture("fixtures::lost_update", &[("RUST_BACKTRACE", "1")]);
    assert!(!ok, "{out}");
    assert_eq!(
        out.matches("sim: test `fixtures::lost_update` failed")
            .count(),
        1,
        "{out}"
    );
    assert!(!out.contains("stack backtrace"), "{out}");
    assert!(
        !out.contains("panicked at"),
        "the report, not the panic hook:\n{out}"
    );
    assert!(
        report_line(&out, "where").starts_with("tests/tests/check_cli.rs:"),
        "{out}"
    );
}

/// A failure of `run` is kept in the regressions file, and every later run replays it first:
/// here a failure found only with two blocking workers fails again in a run that asks for one,
/// until the file is turned off.
#[test]
fn a_failure_is_kept_and_replayed_first_by_later_runs() {
    let dir = std::env::temp_dir().join(format!("sim-check-cli-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let folder = dir.to_string_lossy().into_owned();
    let keep = [("SIM_REGRESSIONS", folder.as_str())];

    let (ok, report) = run_fixture(
        "fixtures::blocking_jobs_in_turn",
        &[keep[0], ("SIM_BLOCKING_THREADS", "2")],
    );
    assert!(!ok, "{report}");
    let file = dir.join("check_cli.txt");
    assert_eq!(
        report_line(&report, "saved"),
        format!(
            "in {}: later runs replay it first (commit the file)",
            file.display()
        )
    );
    let kept = std::fs::read_to_string(&file).unwrap();
    let token = report_line(&report, "replay")
        .strip_prefix("SIM_REPLAY='")
        .and_then(|rest| rest.split('\'').next())
        .unwrap()
        .to_string();
    assert!(kept.lines().any(|l| l == token), "{kept}");
    assert!(token.contains(" blocking_threads=2"), "{token}");

    // One worker: the test's own seeds pass, but the kept failure runs first and fails again.
    let (ok, again) = run_fixture("fixtures::blocking_jobs_in_turn", &keep);
    assert!(!ok, "{again}");
    assert!(again.contains("the jobs overlapped"), "{again}");
    assert!(
        report_line(&again, "saved")
            .starts_with(&format!("a failure kept in {} fails again", file.display())),
        "{again}"
    );
    assert_eq!(report_line(&again, "at"), report_line(&report, "at"));
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        kept,
        "a kept failure is not kept twice"
    );

    let (ok, off) = run_fixture("fixtures::blocking_jobs_in_turn", &[]);
    assert!(ok, "without the file the seeds pass:\n{off}");
    std::fs::remove_dir_all(&dir).unwrap();
}
