//! Fault profiles: each seed draws its own mix of faults; timed faults stop at the window's
//! end; `eventually` reports the faults before it; a failure keeps only the timed faults it
//! needs.

use std::cell::Cell;
use std::rc::Rc;

use sim::check::{Check, CheckError};
use sim::net::{self, FaultProfile};
use sim::node::{self, NodeStatus};
use sim::time::{Duration, Instant, sleep};
use sim::{Builder, SimError, Strategy};

fn three_nodes() -> Vec<node::NodeId> {
    (0..3)
        .map(|i| {
            node::Builder::new(format!("n{i}"))
                .init(|| async {})
                .build()
        })
        .collect()
}

#[test]
fn each_seed_draws_its_own_mix_of_faults() {
    let mut drawn = Vec::new();
    for seed in 0..64 {
        let d = Builder::new()
            .seed(seed)
            .build()
            .block_on(async {
                three_nodes();
                net::set_fault_profile(FaultProfile::swarm())
            })
            .unwrap();
        drawn.push(d);
    }
    let some = |f: &dyn Fn(&net::DrawnFaults) -> bool| drawn.iter().any(f) && !drawn.iter().all(f);
    assert!(some(&|d| d.loss > 0.0));
    assert!(some(&|d| d.duplicate > 0.0));
    assert!(some(&|d| d.long_tail));
    assert!(some(&|d| d.partitions));
    assert!(some(&|d| d.holds));
    assert!(drawn.iter().all(|d| !d.crashes), "crashes are off in swarm");
    assert!(drawn.iter().all(|d| d.loss <= 0.1 && d.duplicate <= 0.03));
}

#[test]
fn timed_faults_stop_at_the_window_and_leave_the_network_whole() {
    let faulted = Cell::new(0);
    for seed in 0..40 {
        let log = Builder::new()
            .seed(seed)
            .build()
            .block_on(async {
                let nodes = three_nodes();
                let window = Duration::from_secs(5);
                let started = Instant::now();
                net::set_fault_profile(FaultProfile::swarm().crashes(true).window(window));
                net::quiet().await;
                assert!(Instant::now() - started <= window + Duration::from_secs(5));
                for &a in &nodes {
                    assert_eq!(node::status(a), NodeStatus::Running, "seed {seed}");
                    for &b in &nodes {
                        assert!(!net::is_partitioned(a, b), "seed {seed}");
                    }
                }
                net::fault_log()
            })
            .unwrap();
        if !log.is_empty() {
            faulted.set(faulted.get() + 1);
        }
    }
    assert!(
        faulted.get() > 5,
        "only {} seeds injected a timed fault",
        faulted.get()
    );
}

#[test]
fn eventually_names_the_faults_that_came_before() {
    let message = (0..100)
        .find_map(|seed| {
            let err = Builder::new()
                .seed(seed)
                .build()
                .block_on(async {
                    three_nodes();
                    net::set_fault_profile(FaultProfile::swarm());
                    net::quiet().await;
                    net::eventually("the impossible", Duration::from_secs(1), || false).await;
                })
                .unwrap_err();
            let SimError::Panicked(p) = err else {
                panic!("a panic: {err}")
            };
            p.message.contains("partition").then_some(p.message)
        })
        .expect("a seed with a partition");
    assert!(
        message.starts_with(
            "sim::net::eventually: the impossible did not hold within 1s (after the faults: "
        ),
        "{message}"
    );
}

#[test]
fn eventually_returns_once_the_condition_holds() {
    Builder::new()
        .build()
        .block_on(async {
            let flag = Rc::new(Cell::new(false));
            let f = Rc::clone(&flag);
            drop(sim::spawn(async move {
                sleep(Duration::from_millis(300)).await;
                f.set(true);
            }));
            net::eventually("the flag", Duration::from_secs(1), || flag.get()).await;
            assert!(Instant::now().elapsed() < Duration::from_millis(400));
        })
        .unwrap();
}

/// A test that fails on any timed fault: its failure shrinks to exactly one.
#[test]
fn a_failure_keeps_only_the_timed_faults_it_needs() {
    let test = || async {
        three_nodes();
        net::set_fault_profile(FaultProfile::swarm());
        net::quiet().await;
        assert!(net::fault_log().is_empty(), "a timed fault happened");
    };
    let err = Check::new().regressions(false).try_run(test).unwrap_err();
    let CheckError::Failed(failure) = err else {
        panic!("expected a failure: {err}")
    };
    let faults_in = |schedule: sim::Schedule| {
        Builder::new()
            .seed(failure.seed)
            .strategy(Strategy::Replay(schedule))
            .build()
            .block_on(async {
                three_nodes();
                net::set_fault_profile(FaultProfile::swarm());
                net::quiet().await;
                net::fault_log().len()
            })
            .unwrap()
    };
    let original = faults_in(failure.schedule.clone());
    let shrunk = faults_in(failure.shrunk.as_ref().expect("shrunk").schedule.clone());
    assert!(original >= 1);
    assert_eq!(shrunk, 1, "shrunk from {original} timed faults:\n{failure}");
}
