//! The watchdog seen from the command line: this test binary runs its own `fixtures` (ignored
//! tests whose polls do not return, or return slowly, on purpose) as subprocesses with a short
//! `SIM_WATCHDOG` budget, and checks that each ends soon after the budget, with a failing
//! status and a report on stderr, or passes when no step outlasts the budget.

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

mod support;
use support::report_line;

/// Tests that are only run by the subprocess tests below, never by a plain `cargo test`.
mod fixtures {
    use std::hint::black_box;

    use sim::time::{Duration, sleep};

    /// After a second of virtual time, a spawned task spins forever inside one poll.
    #[sim::test(seeds = 5)]
    #[ignore = "fixture: a poll never returns; run by the watchdog tests"]
    async fn busy_loop() {
        sleep(Duration::from_secs(1)).await;
        let spinner = sim::spawn(async {
            sim::task::yield_now().await;
            while black_box(true) {
                std::hint::spin_loop();
            }
        });
        spinner.await.unwrap();
    }

    /// The test's own task blocks its thread far longer than the budget.
    #[sim::test(seeds = 3)]
    #[ignore = "fixture: a poll sleeps for 30 s; run by the watchdog tests"]
    async fn thread_sleep() {
        sim::task::yield_now().await;
        std::thread::sleep(std::time::Duration::from_secs(30));
    }

    /// A nested executor waits for a simulated sleep, which cannot end: the simulation's clock
    /// moves only between polls, and this poll never returns.
    #[sim::test(seeds = 3)]
    #[ignore = "fixture: a nested block_on never returns; run by the watchdog tests"]
    async fn nested_block_on() {
        let waiter = sim::spawn(async {
            futures::executor::block_on(sleep(Duration::from_secs(1)));
        });
        waiter.await.unwrap();
    }

    /// Another runtime's `block_on` inside a poll, on a future that needs this simulation to
    /// move on: it never can.
    #[sim::test(seeds = 3)]
    #[ignore = "fixture: another executor's run_until never returns; run by the watchdog tests"]
    async fn foreign_block_on() {
        let (tx, rx) = sim::sync::oneshot::channel();
        let sender = sim::spawn(async move { tx.send(1).unwrap() });
        let mut pool = futures::executor::LocalPool::new();
        // The sender is a task of this simulation, which cannot run while this poll lasts.
        assert_eq!(pool.run_until(rx).unwrap(), 1);
        sender.await.unwrap();
    }

    /// Every step blocks for 150 ms: more than the budget in all, less in any one step.
    #[sim::test(seeds = 2)]
    #[ignore = "fixture: slow steps within the budget; run by the watchdog tests"]
    async fn slow_steps_within_budget() {
        for _ in 0..3 {
            std::thread::sleep(std::time::Duration::from_millis(150));
            sim::task::yield_now().await;
        }
    }

    /// One step of 600 ms: over a 300 ms budget, and fine with the watchdog off.
    #[sim::test(seeds = 1)]
    #[ignore = "fixture: one 600 ms step; run by the watchdog tests"]
    async fn one_slow_step() {
        std::thread::sleep(std::time::Duration::from_millis(600));
    }

    /// The attribute's budget: one step of 600 ms is over it.
    #[sim::test(seeds = 1, watchdog = "300ms")]
    #[ignore = "fixture: one 600 ms step over the attribute's budget; run by the watchdog tests"]
    async fn attribute_budget() {
        std::thread::sleep(std::time::Duration::from_millis(600));
    }

    /// Some seeds spin forever, others pass.
    #[sim::test(seeds = 40)]
    #[ignore = "fixture: some seeds never return from a poll; run by the watchdog tests"]
    async fn some_seeds_spin() {
        sim::task::yield_now().await;
        if sim::rand::random::<u32>() % 4 == 0 {
            while black_box(true) {
                std::hint::spin_loop();
            }
        }
    }

    /// A runtime built by hand, outside any check, with its own budget.
    #[test]
    #[ignore = "fixture: a poll never returns; run by the watchdog tests"]
    fn bare_runtime() {
        let mut rt = sim::Builder::new()
            .seed(7)
            .watchdog(std::time::Duration::from_millis(300))
            .build();
        rt.block_on(async {
            sim::task::yield_now().await;
            while black_box(true) {
                std::hint::spin_loop();
            }
        })
        .unwrap();
    }
}

/// How a fixture's process ended.
struct Ended {
    /// Its exit status (`None` if a signal ended it).
    code: Option<i32>,
    /// Its stdout, then its stderr.
    text: String,
    /// How long it ran.
    took: Duration,
}

/// Runs fixture `test` in a subprocess with `vars` (and no other `SIM_*` variable); a process
/// still running after a minute is killed and fails the calling test, so a watchdog that does
/// not fire cannot hang the suite.
fn run_fixture(test: &str, vars: &[(&str, &str)]) -> Ended {
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
    command
        .env("RUST_BACKTRACE", "0")
        .envs(vars.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let started = Instant::now();
    let mut child = command.spawn().unwrap();
    let mut pipes = [
        Box::new(child.stdout.take().unwrap()) as Box<dyn Read + Send>,
        Box::new(child.stderr.take().unwrap()),
    ]
    .map(|mut pipe| {
        std::thread::spawn(move || {
            let mut text = String::new();
            let _ = pipe.read_to_string(&mut text);
            text
        })
    })
    .into_iter();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("`{test}` with {vars:?} still ran after a minute: the watchdog did not end it");
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let took = started.elapsed();
    let stdout = pipes.next().unwrap().join().unwrap();
    let stderr = pipes.next().unwrap().join().unwrap();
    Ended {
        code: status.code(),
        text: stdout + &stderr,
        took,
    }
}

const BUDGET: (&str, &str) = ("SIM_WATCHDOG", "300ms");

/// A fixture stopped by the watchdog: a failing status, after the budget and well before the
/// fixture's own end (or a minute); the report's text.
fn stopped(test: &str, vars: &[(&str, &str)]) -> String {
    let ended = run_fixture(test, vars);
    let report = ended.text;
    assert_eq!(ended.code, Some(101), "{test} must fail:\n{report}");
    assert!(
        ended.took >= Duration::from_millis(300),
        "{test} ended after {:?}, before its budget:\n{report}",
        ended.took
    );
    assert!(
        ended.took < Duration::from_secs(10),
        "{test} ended after {:?}:\n{report}",
        ended.took
    );
    assert!(
        report.contains(&format!(
            "sim: test `{test}` failed: a poll did not return within the watchdog's budget of \
             300ms"
        )),
        "{report}"
    );
    assert!(
        report.contains("the other tests of this\n  binary stop with it"),
        "{report}"
    );
    report
}

/// A printed replay command's variables and test name, after checking that it selects exactly
/// this package, this target and one test.
fn parse_replay(command: &str) -> (Vec<(String, String)>, String) {
    let replay = support::parse_replay(command);
    assert_eq!(
        replay.cargo,
        ["test", "-p", "sim-tests", "--test", "watchdog"],
        "{command}"
    );
    assert_eq!(replay.test.len(), 3, "{command}");
    assert_eq!(
        replay.test[1..],
        ["--exact", "--include-ignored"],
        "{command}"
    );
    assert_eq!(replay.vars.len(), 1, "one token: {command}");
    assert_eq!(replay.vars[0].0, "SIM_REPLAY", "{command}");
    (replay.vars, replay.test[0].clone())
}

/// The report's replay command stops the same test at the same step, task and seed.
fn replays_the_same_stop(report: &str) {
    let command = report_line(report, "replay");
    assert!(command.starts_with("SIM_REPLAY='v1 "), "{command}");
    let (vars, test) = parse_replay(command);
    let mut vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    // The budget is the shell's setting, not the run's: the token does not carry it, and the
    // replay uses the short one again to stop quickly.
    vars.push(BUDGET);
    let again = stopped(&test, &vars);
    for line in ["task", "at", "seed"] {
        let (first, second) = (report_line(report, line), report_line(&again, line));
        // The time spent stuck differs from run to run; everything before it must not.
        let cut = |s: &str| s.split(", in this step for").next().unwrap().to_string();
        assert_eq!(cut(first), cut(second), "{line}:\n{report}\n{again}");
    }
}

#[test]
fn a_busy_loop_is_reported_with_its_task_step_time_seed_and_replay() {
    let report = stopped("fixtures::busy_loop", &[BUDGET]);
    let task = report_line(&report, "task");
    assert!(
        task.starts_with("#1 (spawned at tests/tests/watchdog.rs:"),
        "the spinning task, by id and spawn site: {task}"
    );
    assert!(task.contains(", in this step for "), "{task}");
    let at = report_line(&report, "at");
    assert!(at.starts_with("step ") && at.ends_with(", t=1s"), "{at}");
    assert!(report_line(&report, "seed").starts_with("0x"), "{report}");
    assert_eq!(report_line(&report, "thread"), "fixtures::busy_loop");
    replays_the_same_stop(&report);
}

#[test]
fn a_thread_sleep_longer_than_the_budget_is_reported_long_before_it_ends() {
    let report = stopped("fixtures::thread_sleep", &[BUDGET]);
    let task = report_line(&report, "task");
    assert!(
        task.starts_with("#0 \"main\" (spawned at tests/tests/watchdog.rs:"),
        "the test's own task: {task}"
    );
    assert!(
        report_line(&report, "at").starts_with("step 2, t=0ns"),
        "{report}"
    );
    replays_the_same_stop(&report);
}

#[test]
fn a_nested_block_on_that_never_returns_is_reported() {
    let report = stopped("fixtures::nested_block_on", &[BUDGET]);
    let task = report_line(&report, "task");
    assert!(
        task.starts_with("#1 (spawned at tests/tests/watchdog.rs:"),
        "{task}"
    );
    assert!(report_line(&report, "at").contains("t=0ns"), "{report}");
    replays_the_same_stop(&report);
}

#[test]
fn a_foreign_runtimes_block_on_inside_a_poll_is_reported() {
    let report = stopped("fixtures::foreign_block_on", &[BUDGET]);
    let task = report_line(&report, "task");
    assert!(task.starts_with("#0 \"main\""), "{task}");
    assert_eq!(report_line(&report, "at"), "step 1, t=0ns");
    replays_the_same_stop(&report);
}

#[test]
fn steps_under_the_budget_are_not_reported_however_long_the_test() {
    let ended = run_fixture("fixtures::slow_steps_within_budget", &[BUDGET]);
    assert_eq!(ended.code, Some(0), "{}", ended.text);
    assert!(
        ended.took >= Duration::from_millis(900),
        "six 150 ms steps ran: {:?}",
        ended.took
    );
    assert!(!ended.text.contains("watchdog"), "{}", ended.text);
}

#[test]
fn the_watchdog_can_be_turned_off() {
    let report = stopped("fixtures::one_slow_step", &[BUDGET]);
    assert!(
        report_line(&report, "task").starts_with("#0 \"main\""),
        "{report}"
    );
    for off in ["off", "0"] {
        let ended = run_fixture("fixtures::one_slow_step", &[("SIM_WATCHDOG", off)]);
        assert_eq!(ended.code, Some(0), "SIM_WATCHDOG={off}:\n{}", ended.text);
    }
    let ended = run_fixture("fixtures::one_slow_step", &[("SIM_WATCHDOG", "2s")]);
    assert_eq!(
        ended.code,
        Some(0),
        "a 600 ms step within 2 s:\n{}",
        ended.text
    );
}

/// `watchdog = "300ms"` in the attribute sets the budget, and the replay command (which does
/// not need to say it) stops at the same step; `SIM_WATCHDOG` overrides the attribute.
#[test]
fn the_attribute_sets_the_budget_and_the_environment_overrides_it() {
    let report = stopped("fixtures::attribute_budget", &[]);
    let command = report_line(&report, "replay");
    assert!(!command.contains("SIM_WATCHDOG"), "{command}");
    let (vars, test) = parse_replay(command);
    let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let again = stopped(&test, &vars);
    assert_eq!(report_line(&again, "at"), report_line(&report, "at"));
    let ended = run_fixture("fixtures::attribute_budget", &[("SIM_WATCHDOG", "5s")]);
    assert_eq!(ended.code, Some(0), "{}", ended.text);
}

/// With seeds on two threads, the thread that stops is reported, and its seed replays the stop.
#[test]
fn a_stuck_seed_among_parallel_jobs_is_reported_and_replays() {
    let report = stopped("fixtures::some_seeds_spin", &[BUDGET, ("SIM_JOBS", "2")]);
    assert!(
        report_line(&report, "task").starts_with("#0 \"main\""),
        "{report}"
    );
    let command = report_line(&report, "replay");
    assert!(!command.contains("SIM_JOBS"), "{command}");
    replays_the_same_stop(&report);
}

/// A runtime outside any check: the report names the thread and the seed, with no replay
/// command (no checker knows one).
#[test]
fn a_runtime_outside_a_check_is_watched_with_its_own_budget() {
    let ended = run_fixture("fixtures::bare_runtime", &[]);
    assert_eq!(ended.code, Some(101), "{}", ended.text);
    assert!(ended.took < Duration::from_secs(10), "{:?}", ended.took);
    let report = ended.text;
    assert!(
        report.contains(
            "sim: watchdog, on thread `fixtures::bare_runtime`: a poll did not return within \
             the watchdog's budget of 300ms"
        ),
        "{report}"
    );
    assert_eq!(report_line(&report, "seed"), "0x7");
    assert_eq!(report_line(&report, "at"), "step 2, t=0ns");
    assert!(!report.contains("  replay:"), "{report}");
}
