//! Debug mode: slow polls, leaked tasks and ignored panics, each reported with its task.

use sim::time::Duration;
use sim::{Builder, Strategy, UnobservedPanic};

#[test]
fn a_poll_that_does_not_yield_is_reported_as_slow() {
    let mut rt = Builder::new()
        .slow_poll_threshold(Duration::from_millis(5))
        .build();
    rt.block_on(async {
        let hog = sim::task::Builder::new().name("hog").spawn(async {
            std::thread::sleep(std::time::Duration::from_millis(30)); // blocks the simulation
        });
        hog.await.unwrap();
    })
    .unwrap();
    let report = rt.debug_report();
    let slow: Vec<_> = report
        .slow_polls
        .iter()
        .map(|s| s.task.name.clone())
        .collect();
    assert_eq!(slow, [Some("hog".to_string())]);
    assert!(report.slow_polls[0].took >= Duration::from_millis(30));
    assert!(
        report.to_string().contains("slow poll: task #1 \"hog\""),
        "{report}"
    );
}

#[test]
fn tasks_still_pending_at_the_end_are_reported_as_leaked() {
    let mut rt = Builder::new().strategy(Strategy::Fifo).debug(true).build();
    rt.block_on(async {
        drop(
            sim::task::Builder::new()
                .name("forgotten")
                .spawn(std::future::pending::<()>()),
        );
        drop(sim::spawn(async {})); // finishes: not leaked
        sim::task::yield_now().await;
        sim::task::yield_now().await;
    })
    .unwrap();
    let report = rt.debug_report();
    let leaked: Vec<_> = report
        .leaked
        .iter()
        .map(|t| (t.id.as_u64(), t.name.clone()))
        .collect();
    assert_eq!(leaked, [(1, Some("forgotten".to_string()))]);
    let text = report.to_string();
    assert!(
        text.contains("1 task(s) still pending at the end of the run (leaked)"),
        "{text}"
    );
    assert!(
        text.contains("debug_mode.rs"),
        "the spawn site is named: {text}"
    );
}

#[test]
fn ignored_panics_are_reported() {
    let mut rt = Builder::new()
        .strategy(Strategy::Fifo)
        .debug(true)
        .unobserved_panic(UnobservedPanic::Ignore)
        .build();
    rt.block_on(async {
        drop(
            sim::task::Builder::new()
                .name("lost")
                .spawn(async { panic!("nobody saw this") }),
        );
        let unread = sim::spawn(async { panic!("handle dropped") });
        sim::task::yield_now().await;
        sim::task::yield_now().await;
        drop(unread);
    })
    .unwrap();
    let report = rt.debug_report();
    let mut messages: Vec<&str> = report
        .ignored_panics
        .iter()
        .map(|(_, m)| m.as_str())
        .collect();
    messages.sort_unstable();
    assert_eq!(messages, ["handle dropped", "nobody saw this"]);
}

#[test]
fn without_debug_mode_nothing_is_measured() {
    // A threshold far below the poll's 5 ms, then debug mode turned off: were polls still
    // measured, this one would be reported.
    let mut rt = Builder::new()
        .slow_poll_threshold(Duration::from_millis(1))
        .debug(false)
        .build();
    rt.block_on(async {
        std::thread::sleep(std::time::Duration::from_millis(5));
    })
    .unwrap();
    assert!(rt.debug_report().slow_polls.is_empty());
}
