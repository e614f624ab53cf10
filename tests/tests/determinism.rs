//! The same seed gives the same run; different seeds explore different interleavings.

mod support;

use std::collections::HashSet;

use sim::time::{Duration, sleep};
use sim::{Builder, Event, Strategy};
use support::Log;

/// `tasks` tasks, each logging its name and yielding `yields` times.
async fn interleave(log: Log, tasks: usize, yields: usize) {
    let handles: Vec<_> = (0..tasks)
        .map(|t| {
            let log = log.clone();
            sim::spawn(async move {
                for y in 0..yields {
                    log.push(format!("{t}.{y}"));
                    sim::task::yield_now().await;
                }
            })
        })
        .collect();
    for h in handles {
        h.await.unwrap();
    }
}

fn run_interleaving(strategy: Strategy, seed: u64) -> Vec<String> {
    let log = Log::default();
    Builder::new()
        .seed(seed)
        .strategy(strategy)
        .build()
        .block_on(interleave(log.clone(), 8, 5))
        .unwrap();
    log.take()
}

#[test]
fn random_explores_many_interleavings_and_fifo_one() {
    let random: HashSet<Vec<String>> = (0..200)
        .map(|seed| run_interleaving(Strategy::Random, seed))
        .collect();
    let fifo: HashSet<Vec<String>> = (0..200)
        .map(|seed| run_interleaving(Strategy::Fifo, seed))
        .collect();
    assert!(
        random.len() >= 195,
        "only {} distinct interleavings in 200 seeds",
        random.len()
    );
    assert_eq!(fifo.len(), 1);
    // Fifo is round-robin: every task's first step, then every task's second, ...
    let order = fifo.into_iter().next().unwrap();
    let expected: Vec<String> = (0..5)
        .flat_map(|y| (0..8).map(move |t| format!("{t}.{y}")))
        .collect();
    assert_eq!(order, expected);
}

/// A program with tasks, timers, timeouts, aborts and seeded randomness.
async fn busy_program() -> u64 {
    let mut handles = Vec::new();
    for i in 0..6u64 {
        handles.push(sim::spawn(async move {
            let jitter = sim::rand::random::<u64>() % 5;
            sleep(Duration::from_millis(10 * (i % 3) + jitter)).await;
            sim::task::yield_now().await;
            let _ =
                sim::time::timeout(Duration::from_millis(3), sleep(Duration::from_millis(i))).await;
            i
        }));
    }
    handles[5].abort();
    let mut sum = 0;
    for h in handles {
        sum += h.await.unwrap_or(100);
    }
    sum
}

fn events(seed: u64) -> (Vec<Event>, String) {
    let mut rt = Builder::new().seed(seed).record_events(true).build();
    rt.block_on(busy_program()).unwrap();
    (rt.events(), rt.schedule().to_string())
}

#[test]
fn the_same_seed_gives_an_identical_event_log() {
    for seed in [0, 1, 0xdead_beef, u64::MAX] {
        let (first, s1) = events(seed);
        let (second, s2) = events(seed);
        assert!(
            first.len() > 30,
            "the program does enough to be interesting"
        );
        assert_eq!(first, second, "seed {seed:#x}");
        assert_eq!(s1, s2);
    }
}

#[test]
fn different_seeds_give_different_event_logs() {
    let logs: HashSet<Vec<Event>> = (0..20).map(|seed| events(seed).0).collect();
    assert!(logs.len() > 10, "only {} distinct logs", logs.len());
}

/// Three timers armed for the same instant; which fires first is the strategy's choice.
fn tied_timer_order(strategy: Strategy, seed: u64) -> Vec<String> {
    let log = Log::default();
    let mut rt = Builder::new().seed(seed).strategy(strategy).build();
    rt.block_on({
        let log = log.clone();
        async move {
            let mut handles = Vec::new();
            for name in ["a", "b", "c"] {
                let log = log.clone();
                let timer = sleep(Duration::from_secs(1));
                handles.push(sim::spawn(async move {
                    timer.await;
                    log.push(name);
                }));
            }
            for h in handles {
                h.await.unwrap();
            }
        }
    })
    .unwrap();
    log.take()
}

#[test]
fn same_instant_timer_order_varies_with_the_seed() {
    let orders: HashSet<Vec<String>> = (0..100)
        .map(|seed| tied_timer_order(Strategy::Random, seed))
        .collect();
    assert_eq!(orders.len(), 6, "all 3! orders appear: {orders:?}");
    for seed in 0..10 {
        assert_eq!(
            tied_timer_order(Strategy::Random, seed),
            tied_timer_order(Strategy::Random, seed)
        );
    }
}

#[test]
fn fifo_fires_tied_timers_in_arming_order() {
    for seed in 0..5 {
        assert_eq!(tied_timer_order(Strategy::Fifo, seed), ["a", "b", "c"]);
    }
}

#[test]
fn seeded_randomness_is_reproducible_and_does_not_shift_the_schedule() {
    let run = |draw: bool| {
        let mut rt = Builder::new().seed(11).build();
        rt.block_on(async move {
            let log = Log::default();
            if draw {
                let _: u64 = sim::rand::random();
            }
            interleave(log.clone(), 4, 3).await;
            log.take()
        })
        .unwrap()
    };
    assert_eq!(
        run(false),
        run(true),
        "user draws come from a separate stream"
    );
}

/// Seeds run on two threads add up to the same summary as on one: the same steps and the same
/// number of distinct schedules. (The seeds themselves are compared from the command line, in
/// `check_cli.rs`; `SIM_JOBS` in the environment would override both job counts here.)
#[test]
fn a_check_on_two_threads_sums_up_like_one_on_one() {
    let test = || async {
        let handles: Vec<_> = (0..4)
            .map(|_| {
                sim::spawn(async {
                    for _ in 0..3 {
                        sim::task::yield_now().await;
                    }
                })
            })
            .collect();
        for h in handles {
            h.await.unwrap();
        }
    };
    let check = || sim::check::Check::new().name("jobs").seeds(300);
    let one = check().jobs(1).run(test);
    let two = check().jobs(2).run(test);
    assert!(one.distinct_schedules > 100, "{one:?}");
    assert_eq!(
        (one.steps, one.distinct_schedules),
        (two.steps, two.distinct_schedules)
    );
}
