//! Every workload of every peer but madsim (which only builds under `--cfg madsim`; CI
//! type-checks it) runs once at a small size, so a broken benchmark shows up in the tests
//! rather than in the middle of a ten-minute `scripts/bench.sh`. A workload checks its own
//! runs (each run and each task must succeed, or it panics); the asserts here pin the item
//! counts the harness divides its times by.

use sim::Strategy;
use sim_bench::workloads::{create, per_seed, ping_pong, spawn_join, timers, yields};

#[test]
fn spawn_join_runs_on_every_peer() {
    for strategy in [Strategy::Random, Strategy::Fifo] {
        assert_eq!(spawn_join::sim(strategy, 20), 20);
    }
    assert_eq!(spawn_join::tokio(20), 20);
    assert_eq!(spawn_join::local_pool(20), 20);
    assert_eq!(spawn_join::shuttle(20), 20);
    assert_eq!(spawn_join::floor(20), 20);
}

#[test]
fn ping_pong_runs_on_every_peer() {
    assert_eq!(ping_pong::sim(50), 50);
    assert_eq!(ping_pong::tokio(50), 50);
    assert_eq!(ping_pong::local_pool(50), 50);
    assert_eq!(ping_pong::shuttle(50), 50);
}

#[test]
fn timers_run_on_every_peer() {
    let deadlines = timers::deadlines(30);
    for strategy in [Strategy::Random, Strategy::Fifo] {
        assert_eq!(timers::sim(strategy, &deadlines), 30);
    }
    assert_eq!(timers::tokio(&deadlines), 30);
}

#[test]
fn one_seed_runs_on_every_peer() {
    assert_eq!(per_seed::sim_random(), 1);
    assert_eq!(per_seed::sim_fifo(), 1);
    assert_eq!(per_seed::sim_check(3), 3);
    assert_eq!(per_seed::tokio(), 1);
    assert_eq!(per_seed::shuttle(2), 2);
    assert_eq!(per_seed::floor(), 1);
}

#[test]
fn creation_and_yields_run() {
    assert_eq!(create::sim(), 1);
    assert_eq!(create::tokio(), 1);
    for strategy in [Strategy::Random, Strategy::Fifo] {
        assert_eq!(
            yields::sim(strategy, 5, 3),
            20,
            "polls: 5 tasks x (3 yields + 1)"
        );
    }
    assert_eq!(yields::tokio(5, 3), 20);
}
