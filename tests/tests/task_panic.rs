//! Panics: observed through the join handle, or failing the run when nobody observes them.

mod support;

use sim::{Builder, PanicReason, SimError, UnobservedPanic};
use support::fifo;

#[test]
fn an_observed_panic_reaches_the_join_handle() {
    let msg = fifo()
        .block_on(async {
            let task = sim::task::Builder::new()
                .name("bad")
                .spawn(async { panic!("broken {}", 7) });
            let err = task.await.unwrap_err();
            assert!(err.is_panic() && !err.is_cancelled());
            err.panic_message().unwrap().to_string()
        })
        .unwrap();
    assert_eq!(msg, "broken 7");
}

#[test]
fn a_detached_task_panic_fails_the_run_at_once() {
    let mut rt = fifo();
    let err = rt
        .block_on(async {
            drop(
                sim::task::Builder::new()
                    .name("worker")
                    .spawn(async { panic!("lost") }),
            );
            sim::time::sleep(sim::time::Duration::from_secs(5)).await;
        })
        .unwrap_err();
    let SimError::Panicked(p) = &err else {
        panic!("expected Panicked, got {err}")
    };
    assert_eq!(p.reason, PanicReason::Detached);
    assert_eq!(p.task.id.as_u64(), 1);
    assert_eq!(p.task.name.as_deref(), Some("worker"));
    assert_eq!(p.message, "lost");
    assert_eq!(
        p.at.time,
        sim::time::Duration::ZERO,
        "the run stops at the panic, not later"
    );
    let text = err.to_string();
    assert!(text.contains("#1 \"worker\""), "{text}");
    assert!(text.contains("seed 0x0"), "{text}");
    assert!(
        text.contains("task_panic.rs"),
        "report names the spawn site: {text}"
    );
}

#[test]
fn dropping_a_handle_that_holds_a_panic_fails_the_run() {
    let err = fifo()
        .block_on(async {
            let task = sim::spawn(async { panic!("unread") });
            sim::task::yield_now().await;
            assert!(task.is_finished());
            drop(task);
        })
        .unwrap_err();
    let SimError::Panicked(p) = err else {
        panic!("expected Panicked")
    };
    assert_eq!(p.reason, PanicReason::HandleDropped);
    assert_eq!(p.message, "unread");
}

#[test]
fn unobserved_panics_can_be_ignored() {
    let mut rt = Builder::new()
        .unobserved_panic(UnobservedPanic::Ignore)
        .build();
    let out = rt
        .block_on(async {
            drop(sim::spawn(async { panic!("ignored") }));
            sim::time::sleep(sim::time::Duration::from_secs(1)).await;
            "ok"
        })
        .unwrap();
    assert_eq!(out, "ok");
}

#[test]
fn a_panicking_main_future_is_reported_not_propagated() {
    let err = fifo().block_on(async { panic!("in main") }).unwrap_err();
    let SimError::Panicked(p) = err else {
        panic!("expected Panicked")
    };
    assert_eq!(p.reason, PanicReason::MainTask);
    assert_eq!(p.task.id.as_u64(), 0);
    assert_eq!(p.message, "in main");
}

#[test]
fn a_panic_payload_can_be_resumed() {
    let payload = fifo()
        .block_on(async {
            sim::spawn(async { std::panic::panic_any(42u32) })
                .await
                .unwrap_err()
        })
        .unwrap()
        .into_panic();
    assert_eq!(*payload.downcast::<u32>().unwrap(), 42);
}
