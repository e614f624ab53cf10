//! `#[sim::test]` end to end: passing tests, results, should_panic, and the crate override.

use std::cell::Cell;
use std::rc::Rc;

use sim::time::{Duration, sleep};

#[sim::test]
async fn a_plain_async_test_runs() {
    sleep(Duration::from_secs(1)).await;
    assert_eq!(sim::time::elapsed(), Duration::from_secs(1));
}

#[sim::test(seeds = 10)]
async fn a_test_may_return_ok() -> Result<(), String> {
    let v = sim::spawn(async { 2 }).await.map_err(|e| e.to_string())?;
    if v == 2 {
        Ok(())
    } else {
        Err(format!("got {v}"))
    }
}

#[sim::test(seed = 0x2a)]
async fn seed_pins_exactly_one_seed() {
    assert_eq!(sim::seed(), 0x2a);
}

#[sim::test(strategy = "fifo", seeds = 3)]
async fn fifo_runs_in_spawn_order() {
    let order = Rc::new(std::cell::RefCell::new(Vec::new()));
    let tasks: Vec<_> = (0..4)
        .map(|i| {
            let order = Rc::clone(&order);
            sim::spawn(async move { order.borrow_mut().push(i) })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(*order.borrow(), [0, 1, 2, 3]);
}

#[sim::test(
    strategy = "pct",
    depth = 2,
    seeds = 20,
    max_steps = 10_000,
    max_time = "1m"
)]
async fn every_argument_together() {
    sleep(Duration::from_secs(30)).await;
}

/// A lost update: some seeds interleave the read and the write of two tasks.
async fn lost_update() {
    let n = Rc::new(Cell::new(0));
    let tasks: Vec<_> = (0..2)
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
    assert_eq!(n.get(), 2, "lost update");
}

#[sim::test(seeds = 200)]
#[should_panic(
    expected = "cargo test -p sim-tests --test macro_attr -- finds_a_lost_update_and_reports_it --exact --include-ignored"
)]
async fn finds_a_lost_update_and_reports_it() {
    lost_update().await;
}

#[sim::test(seeds = 50)]
#[should_panic(expected = "the test returned Err(\"always\")")]
async fn an_err_result_fails() -> Result<(), &'static str> {
    Err("always")
}

mod renamed {
    pub(crate) use sim as runtime;
}

#[sim::test(crate = "renamed::runtime", seeds = 2)]
async fn the_crate_path_can_be_overridden() {
    renamed::runtime::task::yield_now().await;
}

mod nested {
    #[sim::test(seeds = 1)]
    #[should_panic(expected = "-- nested::reports_its_module_path --exact")]
    async fn reports_its_module_path() {
        panic!("fails on purpose");
    }
}

/// Two 1 s blocking jobs started together.
async fn two_blocking_jobs() -> Duration {
    let jobs: Vec<_> = (0..2)
        .map(|i| sim::task::spawn_blocking(Duration::from_secs(1), move || i))
        .collect();
    for job in jobs {
        job.await.unwrap();
    }
    sim::time::elapsed()
}

#[sim::test(seeds = 5, blocking_threads = 2)]
async fn blocking_threads_lets_two_blocking_jobs_overlap() {
    assert_eq!(two_blocking_jobs().await, Duration::from_secs(1));
}

#[sim::test(seeds = 5)]
async fn by_default_blocking_jobs_run_one_at_a_time() {
    assert_eq!(two_blocking_jobs().await, Duration::from_secs(2));
}

/// A task panics and nobody awaits it.
async fn panic_nobody_observes() {
    drop(sim::spawn(async { panic!("nobody looks") }));
    sleep(Duration::from_secs(1)).await;
}

#[sim::test(seeds = 5, unobserved_panic = "ignore")]
async fn an_ignored_unobserved_panic_does_not_fail_the_test() {
    panic_nobody_observes().await;
}

#[sim::test(seeds = 5, unobserved_panic = "fail")]
#[should_panic(expected = "nobody looks")]
async fn an_unobserved_panic_fails_the_test_under_fail() {
    panic_nobody_observes().await;
}

#[sim::test(
    seeds = 3,
    debug = true,
    slow_poll = "1s",
    record_events = true,
    blocking_threads = 3
)]
async fn every_runtime_argument_together() {
    assert_eq!(two_blocking_jobs().await, Duration::from_secs(1));
}
