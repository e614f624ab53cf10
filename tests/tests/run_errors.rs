//! Failed runs: deadlock and step-limit reports, and what they name.

mod support;

use sim::time::{Duration, sleep};
use sim::{Builder, SimError};
use support::{fifo, random};

#[test]
fn deadlock_lists_every_blocked_task_by_id_and_name() {
    let mut rt = Builder::new().seed(0x2a).build();
    let err = rt
        .block_on(async {
            let (tx, rx) = futures::channel::oneshot::channel::<()>();
            let waiter = sim::task::Builder::new().name("waiter").spawn(async move {
                let _ = rx.await;
            });
            let holder = sim::task::Builder::new().name("holder").spawn(async move {
                let _tx = tx; // keeps the channel open forever
                std::future::pending::<()>().await
            });
            sleep(Duration::from_secs(3)).await;
            waiter.await.unwrap();
            holder.await.unwrap();
        })
        .unwrap_err();
    let SimError::Deadlock(d) = &err else {
        panic!("expected a deadlock, got {err}")
    };
    let blocked: Vec<(u64, Option<&str>)> = d
        .blocked
        .iter()
        .map(|t| (t.id.as_u64(), t.name.as_deref()))
        .collect();
    assert_eq!(
        blocked,
        [(0, Some("main")), (1, Some("waiter")), (2, Some("holder"))]
    );
    assert_eq!(d.at.time, Duration::from_secs(3));
    assert_eq!(d.at.seed, 0x2a);
    let text = err.to_string();
    for needle in [
        "deadlock",
        "seed 0x2a",
        "t=3s",
        "#1 \"waiter\"",
        "#2 \"holder\"",
        "run_errors.rs",
    ] {
        assert!(text.contains(needle), "report lacks {needle:?}:\n{text}");
    }
}

#[test]
fn a_task_that_never_stops_yielding_hits_the_step_limit() {
    let mut rt = Builder::new().max_steps(1000).build();
    let err = rt
        .block_on(async {
            let spinner = sim::task::Builder::new().name("spinner").spawn(async {
                loop {
                    sim::task::yield_now().await;
                }
            });
            spinner.await.unwrap();
        })
        .unwrap_err();
    let SimError::StepLimit(limit) = &err else {
        panic!("expected a step limit, got {err}")
    };
    assert_eq!(limit.max_steps, 1000);
    assert_eq!(limit.at.step, 1000);
    assert_eq!(limit.next.name.as_deref(), Some("spinner"));
    assert!(err.to_string().contains("step limit of 1000"), "{err}");
    assert_eq!(rt.steps(), 1000);
}

#[test]
fn a_runtime_is_usable_after_a_failed_run() {
    let mut rt = random(5);
    assert!(rt.block_on(std::future::pending::<()>()).is_err());
    assert_eq!(rt.block_on(async { 9 }).unwrap(), 9);
}

#[test]
fn nested_block_on_panics_with_a_clear_message() {
    let err = std::panic::catch_unwind(|| {
        fifo()
            .block_on(async {
                let _ = fifo().block_on(async {});
            })
            .unwrap_err()
    })
    .map(|e| e.to_string());
    // The inner call panics inside the outer run; the outer run reports that panic.
    let text = err.unwrap();
    assert!(
        text.contains("called from inside a running simulation"),
        "{text}"
    );
}

#[test]
fn spawn_outside_a_run_panics_with_a_clear_message() {
    let err = std::panic::catch_unwind(|| drop(sim::spawn(async {}))).unwrap_err();
    let msg = err.downcast_ref::<String>().unwrap();
    assert!(
        msg.starts_with("`sim::spawn` called outside a sim runtime"),
        "{msg}"
    );
}

#[test]
fn a_lock_order_deadlock_reads_as_a_cycle_naming_tasks_and_locks() {
    use sim::sync::Mutex;
    use std::rc::Rc;
    let run = |seed| {
        Builder::new().seed(seed).build().block_on(async {
            let first = Rc::new(Mutex::new("first"));
            let second = Rc::new(Mutex::new("second"));
            let (a1, a2) = (Rc::clone(&first), Rc::clone(&second));
            let a = sim::task::Builder::new().name("a").spawn(async move {
                let _one = a1.lock().await;
                sim::task::yield_now().await;
                let _two = a2.lock().await;
            });
            let (b1, b2) = (Rc::clone(&first), Rc::clone(&second));
            let b = sim::task::Builder::new().name("b").spawn(async move {
                let _two = b2.lock().await;
                sim::task::yield_now().await;
                let _one = b1.lock().await;
            });
            a.await.unwrap();
            b.await.unwrap();
        })
    };
    let err = (0..100)
        .find_map(|seed| run(seed).err())
        .expect("some seed deadlocks");
    let SimError::Deadlock(d) = &err else {
        panic!("expected a deadlock, got {err}")
    };
    assert_eq!(d.cycle.len(), 2, "{err}");
    let ids: Vec<u64> = d.cycle.iter().map(|t| t.as_u64()).collect();
    assert_eq!(ids, [1, 2], "tasks a (#1) and b (#2)");
    // main awaits a's join handle; a and b each wait on the mutex the other holds.
    assert_eq!(d.waits.len(), 3, "{err}");
    let (main, locks) = d.waits.split_first().unwrap();
    assert_eq!(main.task.as_u64(), 0, "{err}");
    assert!(
        main.resource.starts_with("the end of task #1 \"a\""),
        "{main:?}"
    );
    assert_eq!(main.holders, [d.cycle[0]], "{err}");
    for wait in locks {
        assert!(
            wait.resource
                .starts_with("Mutex created at tests/tests/run_errors.rs:"),
            "{wait:?}"
        );
        assert_eq!(wait.holders.len(), 1);
    }
    let text = err.to_string();
    assert!(
        text.contains("cycle: #1 \"a\" waits on Mutex created at tests/tests/run_errors.rs:"),
        "{text}"
    );
    assert!(
        text.contains("-> #2 \"b\" waits on Mutex created at"),
        "{text}"
    );
    assert!(text.contains(", held by #2 \"b\""), "{text}");
    assert!(text.contains(", held by #1 \"a\""), "{text}");
}

#[test]
fn a_task_blocked_on_an_empty_channel_says_so() {
    let err = Builder::new()
        .build()
        .block_on(async {
            let (_tx, mut rx) = sim::sync::mpsc::channel::<u8>(1);
            let _ = rx.recv().await;
        })
        .unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains(
            "waiting on mpsc channel (recv: empty) created at tests/tests/run_errors.rs:"
        ),
        "{text}"
    );
}
