//! Regression tests for defects found in review: each failed before its fix.

mod support;

use std::sync::atomic::{AtomicU32, Ordering};

use sim::check::Check;
use sim::time::{Duration, sleep};
use sim::{Builder, SimError};
use support::{DropCounter, fifo};

/// A user type whose sampling calls back into the runtime.
#[derive(Debug)]
struct Stamped {
    at: Duration,
    tag: u8,
}

impl rand::distr::Distribution<Stamped> for rand::distr::StandardUniform {
    fn sample<R: rand::Rng + ?Sized>(&self, rng: &mut R) -> Stamped {
        Stamped {
            at: sim::time::elapsed(),
            tag: (rng.next_u32() % 256) as u8,
        }
    }
}

#[test]
fn sampling_a_user_type_may_use_the_runtime() {
    let draw = |seed| {
        Builder::new()
            .seed(seed)
            .build()
            .block_on(async {
                sleep(Duration::from_secs(1)).await;
                let s: Stamped = sim::rand::random();
                (s.at, s.tag)
            })
            .unwrap()
    };
    assert_eq!(draw(4).0, Duration::from_secs(1));
    assert_eq!(draw(4), draw(4));
}

#[test]
fn a_runtime_runs_again_after_a_run_failed_with_its_main_task_queued() {
    let mut rt = fifo();
    let first = rt.block_on(async {
        drop(sim::spawn(async { panic!("detached") }));
        sim::task::yield_now().await;
    });
    assert!(matches!(first, Err(SimError::Panicked(_))));
    assert_eq!(rt.block_on(async { 5 }).unwrap(), 5);
}

#[test]
fn a_cancelled_tasks_destructors_run_as_that_task() {
    struct Report(std::rc::Rc<std::cell::Cell<Option<sim::TaskId>>>);
    impl Drop for Report {
        fn drop(&mut self) {
            self.0.set(sim::task::try_id());
        }
    }
    let seen = std::rc::Rc::new(std::cell::Cell::new(None));
    let s = std::rc::Rc::clone(&seen);
    fifo()
        .block_on(async move {
            let task = sim::spawn(async move {
                let _r = Report(s);
                std::future::pending::<()>().await
            });
            let id = task.id();
            sim::task::yield_now().await;
            assert!(task.cancel().await.unwrap_err().is_cancelled());
            id
        })
        .map(|id| assert_eq!(seen.get(), Some(id)))
        .unwrap();
}

#[test]
fn a_panicking_destructor_at_teardown_does_not_leak_the_other_tasks() {
    struct Bomb;
    impl Drop for Bomb {
        fn drop(&mut self) {
            panic!("destructor panics");
        }
    }
    let drops = DropCounter::default();
    let mut rt = fifo();
    rt.block_on({
        let drops = drops.clone();
        async move {
            drop(sim::spawn(async {
                let _b = Bomb;
                std::future::pending::<()>().await
            }));
            for _ in 0..3 {
                let g = drops.guard();
                drop(sim::spawn(async move {
                    let _g = g;
                    std::future::pending::<()>().await
                }));
            }
            sim::task::yield_now().await;
        }
    })
    .unwrap();
    drop(rt);
    assert_eq!(drops.count(), 3);
}

#[test]
fn a_sleep_beyond_the_representable_range_is_a_deadlock_not_a_jump() {
    let err = Builder::new()
        .build()
        .block_on(async { sleep(Duration::MAX).await })
        .unwrap_err();
    let SimError::Deadlock(d) = err else {
        panic!("expected a deadlock")
    };
    assert_eq!(d.at.time, Duration::ZERO);
}

#[test]
fn the_determinism_check_catches_a_second_run_that_returns_err() {
    static RUNS: AtomicU32 = AtomicU32::new(0);
    let result = Check::new()
        .name("leaky")
        .seeds(3)
        .check_determinism(true)
        .try_run(|| async {
            if RUNS.fetch_add(1, Ordering::SeqCst) % 2 == 1 {
                return Err("second run differs");
            }
            Ok(())
        });
    let report = result.unwrap_err().to_string();
    assert!(report.contains("diverged"), "{report}");
    let replay = support::report_line(&report, "replay");
    assert!(
        replay.starts_with("SIM_REPLAY='v1 ") && replay.contains(" twice'"),
        "the replay repeats the check: {report}"
    );
}

/// The determinism check keeps only a hash per event; when the hashes differ, it re-runs the
/// seed with full logs to show the two events where the runs part.
#[test]
fn the_determinism_check_shows_the_events_where_runs_part() {
    static RUNS: AtomicU32 = AtomicU32::new(0);
    let result = Check::new()
        .name("alternating")
        .seeds(1)
        .check_determinism(true)
        .try_run(|| async {
            let extra = RUNS.fetch_add(1, Ordering::SeqCst) % 2 == 1;
            sim::spawn(async {}).await.unwrap();
            if extra {
                sim::spawn(async {}).await.unwrap();
            }
        });
    let report = result.unwrap_err().to_string();
    // The failure's own lines, indented deeper than the report's: what follows `key`.
    let value = |key: &str| {
        report
            .lines()
            .find_map(|l| l.trim_start().strip_prefix(key))
            .unwrap_or_else(|| panic!("no `{key}` line in:\n{report}"))
            .trim()
    };
    let (first, second) = (value("first run:"), value("second run:"));
    // The message for runs whose events agree at the index must not be the one shown here.
    assert!(!second.contains("did not differ again"), "{report}");
    assert_ne!(first, second, "{report}");
    assert!(
        second.contains("Spawned"),
        "the second run's extra spawn: {report}"
    );
}
