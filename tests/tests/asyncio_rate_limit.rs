//! The rate limiter of `sim_tests::rate_limiter`, property-tested: limits, request counts and periods from proptest, schedules
//! from the checker's seeds.
//!
//! With every request arriving at t=0, the limiter's behaviour is exact: the k-th request to
//! start (from 0) starts at `floor(k / limit)` periods, so no window `[t, t + period)` holds
//! more than `limit` starts, and the last start, which is when the run ends, is at
//! `ceil(count / limit) - 1` periods.

use std::cell::RefCell;
use std::rc::Rc;

use proptest::prelude::*;
use proptest::test_runner::Config;
use sim::check::Check;
use sim::time::{Duration, elapsed};
use sim_tests::rate_limiter::RateLimiter;

/// `count` requests, all arriving at t=0, each passing `limiter` once; returns
/// `(request, start)` in start order, once every request has started.
async fn burst(limiter: &RateLimiter, count: usize) -> Vec<(usize, Duration)> {
    let starts = Rc::new(RefCell::new(Vec::new()));
    let tasks: Vec<_> = (0..count)
        .map(|request| {
            let (limiter, starts) = (limiter.clone(), Rc::clone(&starts));
            sim::spawn(async move {
                limiter.acquire().await;
                starts.borrow_mut().push((request, elapsed()));
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    starts.take()
}

/// Runs a burst of `count` requests through a `limit`-per-`period` limiter under 20 seeds
/// (from seed position `first_seed`) and checks every property of the module docs.
fn check_burst(limit: usize, count: usize, period: Duration, first_seed: u64) {
    Check::new()
        .name("rate_limit")
        .seeds(20)
        .seed_start(first_seed)
        .run(move || async move {
            let starts = burst(&RateLimiter::new(limit, period), count).await;

            // Every request starts, exactly once.
            let mut started: Vec<usize> = starts.iter().map(|&(request, _)| request).collect();
            started.sort_unstable();
            assert_eq!(
                started,
                (0..count).collect::<Vec<_>>(),
                "every request starts once"
            );

            // No window [t, t + period) holds more than `limit` starts.
            for &(_, t) in &starts {
                let in_window = starts
                    .iter()
                    .filter(|&&(_, s)| t <= s && s < t + period)
                    .count();
                assert!(
                    in_window <= limit,
                    "{in_window} starts in [{t:?}, {t:?} + {period:?}), limit {limit}"
                );
            }

            // Nothing waits longer than it must: the k-th start is at floor(k / limit) periods.
            for (k, &(request, t)) in starts.iter().enumerate() {
                let slot = u32::try_from(k / limit).unwrap();
                assert_eq!(t, period * slot, "start #{k} (request {request})");
            }

            // So the run takes exactly ceil(count / limit) - 1 periods.
            let batches = u32::try_from(count.div_ceil(limit)).unwrap();
            assert_eq!(elapsed(), period * (batches - 1), "total virtual time");
        });
}

#[test]
fn ten_requests_at_three_per_second_take_three_seconds() {
    check_burst(3, 10, Duration::from_secs(1), 0);
}

proptest! {
    #![proptest_config(Config { cases: 24, failure_persistence: None, ..Config::default() })]

    #[test]
    fn a_burst_never_exceeds_the_limit_and_waits_no_longer_than_it_must(
        limit in 1usize..5,
        count in 1usize..40,
        period_ms in 1u64..5_000,
        first_seed in 0u64..1_000_000,
    ) {
        check_burst(limit, count, Duration::from_millis(period_ms), first_seed);
    }
}
