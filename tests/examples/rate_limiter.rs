//! The rate limiter of `sim_tests::rate_limiter` (at most `limit` acquisitions per `period`,
//! in any window `[t, t + period)`) serving clients that arrive at seeded random times,
//! checked under 50 seeds with `sim::check::Check`.
//!
//! Run: `cargo run -p sim-tests --example rate_limiter`. The integration test
//! `tests/tests/asyncio_rate_limit.rs` property-tests the same limiter.

use std::cell::RefCell;
use std::rc::Rc;

use sim::check::Check;
use sim::rand::RngExt;
use sim::time::{Duration, elapsed, sleep};
use sim_tests::rate_limiter::RateLimiter;

const LIMIT: usize = 3;
const PERIOD: Duration = Duration::from_secs(1);
const REQUESTS: usize = 12;

/// `REQUESTS` clients, each arriving at a seeded random time in the first 3 s, each passing
/// the limiter once; returns `(client, arrival, start)` in start order.
async fn clients(limiter: &RateLimiter) -> Vec<(usize, Duration, Duration)> {
    let starts = Rc::new(RefCell::new(Vec::new()));
    let mut rng = sim::rand::rng();
    let tasks: Vec<_> = (0..REQUESTS)
        .map(|client| {
            let arrival = Duration::from_millis(rng.random_range(0..3000));
            let (limiter, starts) = (limiter.clone(), Rc::clone(&starts));
            sim::spawn(async move {
                sleep(arrival).await;
                limiter.acquire().await;
                starts.borrow_mut().push((client, arrival, elapsed()));
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    starts.take()
}

/// The limiter's promise: every client starts, none before it arrived, and no window
/// `[t, t + PERIOD)` holds more than `LIMIT` starts.
fn assert_limited(starts: &[(usize, Duration, Duration)]) {
    assert_eq!(starts.len(), REQUESTS, "every client starts");
    for &(client, arrival, start) in starts {
        assert!(
            start >= arrival,
            "client {client} started before it arrived"
        );
        let in_window = starts
            .iter()
            .filter(|&&(_, _, s)| start <= s && s < start + PERIOD)
            .count();
        assert!(
            in_window <= LIMIT,
            "{in_window} starts in [{start:?}, {start:?} + {PERIOD:?})"
        );
    }
}

fn main() {
    println!("one run (seed 7): at most {LIMIT} starts per {PERIOD:?}");
    let mut rt = sim::Runtime::new(7);
    let starts = rt
        .block_on(async { clients(&RateLimiter::new(LIMIT, PERIOD)).await })
        .expect("the run failed");
    for &(client, arrival, start) in &starts {
        println!("  [t={start:?}] client {client:>2} starts (arrived at {arrival:?})");
    }
    assert_limited(&starts);

    let summary = Check::new().name("rate_limiter").seeds(50).run(|| async {
        let starts = clients(&RateLimiter::new(LIMIT, PERIOD)).await;
        assert_limited(&starts);
    });
    println!(
        "checked under {} seeds ({} distinct schedules, {} steps): never more than {LIMIT} \
         starts in any {PERIOD:?} window",
        summary.seeds_run, summary.distinct_schedules, summary.steps
    );
}
