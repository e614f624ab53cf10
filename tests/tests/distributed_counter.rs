//! A planted distributed bug, found under seeds, replayed, and shrunk to the one fault it
//! needs: a counter service over UDP whose client retries an increment when the reply does not
//! come in time. The buggy server applies every request it receives, so a lost reply (the
//! client retries a request that was applied) or a copied request counts an increment twice.
//! The fixed server remembers the request ids it applied. Only a network fault exposes the bug:
//! on a perfect network every request is applied once.

use std::cell::Cell;
use std::collections::BTreeSet;
use std::rc::Rc;

use sim::check::{Check, CheckError, FailureKind};
use sim::net::{self, FaultProfile, Link, UdpSocket};
use sim::node;
use sim::time::{Duration, sleep, timeout};
use sim::{Builder, SimError, Strategy};

const INCREMENTS: u64 = 10;

/// Copies the run's network counts out when the test body ends, by panic or not.
struct StatsOnDrop(Rc<Cell<net::NetStats>>);

impl Drop for StatsOnDrop {
    fn drop(&mut self) {
        self.0.set(net::stats());
    }
}

/// The network a cluster runs on.
#[derive(Clone, Copy)]
enum Network {
    /// One link for every pair of nodes.
    Link(Link),
    /// The faults of `FaultProfile::swarm()`, drawn by the seed.
    Swarm,
}

/// The cluster: a counter node, a client node that makes `INCREMENTS` increments with
/// retries, over a network that may lose, copy and cut off datagrams. Panics if the count is
/// wrong.
async fn cluster(fixed: bool, network: Network) {
    if let Network::Link(link) = network {
        net::set_default_link(link);
    }
    let count = Rc::new(Cell::new(0u64));
    let c = Rc::clone(&count);
    node::Builder::new("counter")
        .init(move || {
            let count = Rc::clone(&c);
            async move {
                let socket = UdpSocket::bind("0.0.0.0:5000").await.unwrap();
                let mut applied = BTreeSet::new();
                let mut buf = [0; 8];
                loop {
                    let (_, from) = socket.recv_from(&mut buf).await.unwrap();
                    let id = u64::from_le_bytes(buf);
                    // The bug: without the id check, a retried or copied request counts twice.
                    if !fixed || applied.insert(id) {
                        count.set(count.get() + 1);
                    }
                    socket.send_to(&buf, from).await.unwrap();
                }
            }
        })
        .build();
    let client = node::Builder::new("client").build();
    if let Network::Swarm = network {
        net::set_fault_profile(FaultProfile::swarm());
    }
    node::spawn_on(client, async move {
        let socket = UdpSocket::bind("0.0.0.0:0").await.unwrap();
        let mut buf = [0; 8];
        for id in 0..INCREMENTS {
            'retry: loop {
                socket
                    .send_to(&id.to_le_bytes(), "counter:5000")
                    .await
                    .unwrap();
                // Wait for this request's reply; late replies to earlier ones are skipped.
                let reply = timeout(Duration::from_millis(50), async {
                    loop {
                        socket.recv_from(&mut buf).await.unwrap();
                        if u64::from_le_bytes(buf) == id {
                            return;
                        }
                    }
                })
                .await;
                if reply.is_ok() {
                    break 'retry;
                }
            }
        }
    })
    .unwrap()
    .await
    .unwrap();
    // Let stragglers land: a late copy would still count.
    sleep(Duration::from_secs(1)).await;
    assert_eq!(
        count.get(),
        INCREMENTS,
        "the counter counted an acknowledged increment twice"
    );
}

fn lossy() -> Link {
    Link::new().loss(0.05).duplicate(0.02)
}

#[test]
fn the_retry_bug_is_found_replayed_and_shrunk_to_the_one_fault_it_needs() {
    let err = Check::new()
        .name("counter_retry")
        .seeds(200)
        .regressions(false)
        .try_run(|| cluster(false, Network::Link(lossy())))
        .unwrap_err();
    let CheckError::Failed(failure) = err else {
        panic!("expected the bug to be found: {err}")
    };
    let FailureKind::Run(SimError::Panicked(p)) = &failure.kind else {
        panic!("a panic: {failure}")
    };
    assert!(
        p.message
            .contains("counted an acknowledged increment twice"),
        "{failure}"
    );

    // The seed alone replays it, and so does the shrunk schedule; count the faults of each.
    let replay = |strategy: Option<Strategy>| {
        let stats = Rc::new(Cell::new(net::NetStats::default()));
        let st = Rc::clone(&stats);
        let mut b = Builder::new().seed(failure.seed);
        if let Some(s) = strategy {
            b = b.strategy(s);
        }
        let err = b
            .build()
            .block_on(async move {
                let guard = StatsOnDrop(st);
                cluster(false, Network::Link(lossy())).await;
                drop(guard);
            })
            .unwrap_err();
        let SimError::Panicked(again) = &err else {
            panic!("the replay fails the same way: {err}")
        };
        assert_eq!(again.message, p.message);
        let stats = stats.get();
        stats.datagrams_lost + stats.datagrams_duplicated
    };
    let by_seed = replay(None);
    let shrunk = failure.shrunk.as_ref().expect("the failure was shrunk");
    let after = replay(Some(Strategy::Replay(shrunk.schedule.clone())));
    assert!(by_seed >= 1);
    assert_eq!(after, 1, "shrunk from {by_seed} faults:\n{failure}");
}

#[test]
fn on_a_perfect_network_the_buggy_counter_passes() {
    // The bug needs a fault: without loss or copies, every request is applied once.
    Check::new()
        .seeds(100)
        .run(|| cluster(false, Network::Link(Link::new())));
}

#[test]
fn the_fixed_counter_survives_loss_copies_and_partitions() {
    Check::new()
        .seeds(200)
        .check_determinism(true)
        .run(|| async {
            let faults = async {
                // A partition at a seeded moment, healed a little later.
                sleep(Duration::from_millis(sim::rand::random::<u64>() % 200)).await;
                let (a, b) = (node::lookup("client"), node::lookup("counter"));
                if let (Some(a), Some(b)) = (a, b) {
                    net::partition(a, b);
                    sleep(Duration::from_millis(sim::rand::random::<u64>() % 300)).await;
                    net::repair(a, b);
                }
            };
            let link = Link::new().loss(0.2).duplicate(0.1);
            futures::join!(cluster(true, Network::Link(link)), faults);
        });
}

#[test]
fn the_retry_bug_is_found_by_a_default_check_with_the_swarm_profile() {
    // Default settings: 100 seeds, the random strategy; the seed picks the faults.
    let err = Check::new()
        .name("counter_retry_swarm")
        .regressions(false)
        .try_run(|| cluster(false, Network::Swarm))
        .unwrap_err();
    let CheckError::Failed(failure) = err else {
        panic!("expected the bug to be found: {err}")
    };
    let FailureKind::Run(SimError::Panicked(p)) = &failure.kind else {
        panic!("a panic: {failure}")
    };
    assert!(
        p.message
            .contains("counted an acknowledged increment twice"),
        "{failure}"
    );
    // The printed seed replays it.
    let again = Builder::new()
        .seed(failure.seed)
        .build()
        .block_on(cluster(false, Network::Swarm))
        .unwrap_err();
    assert!(
        again
            .to_string()
            .contains("counted an acknowledged increment twice")
    );
}

#[test]
fn the_fixed_counter_passes_every_seed_of_the_swarm_profile() {
    Check::new()
        .seeds(300)
        .check_determinism(true)
        .run(|| cluster(true, Network::Swarm));
}
