//! UDP on the simulated network: loss, duplication and reordering drawn from the seed,
//! partitions that drop what reaches them, and faults that replay and shrink.

use std::cell::RefCell;
use std::rc::Rc;

use sim::check::{Check, CheckError, FailureKind};
use sim::net::{self, Latency, Link, UdpSocket};
use sim::node::{self, NodeId};
use sim::time::{Duration, sleep};
use sim::{Builder, SimError, Strategy};

/// A node that records every datagram it gets on port 9, as a `u32`.
fn sink(name: &str, got: &Rc<RefCell<Vec<u32>>>) -> NodeId {
    let got = Rc::clone(got);
    node::Builder::new(name)
        .init(move || {
            let got = Rc::clone(&got);
            async move {
                let socket = UdpSocket::bind("0.0.0.0:9").await.unwrap();
                let mut buf = [0; 4];
                loop {
                    let (n, _) = socket.recv_from(&mut buf).await.unwrap();
                    assert_eq!(n, 4);
                    got.borrow_mut().push(u32::from_le_bytes(buf));
                }
            }
        })
        .build()
}

/// Sends `0..count` from a fresh node to `to:9`, one datagram each.
async fn send_from(name: &str, to: &'static str, count: u32) {
    let from = node::Builder::new(name).build();
    node::spawn_on(from, async move {
        let socket = UdpSocket::bind("0.0.0.0:0").await.unwrap();
        for i in 0..count {
            socket.send_to(&i.to_le_bytes(), (to, 9)).await.unwrap();
        }
    })
    .unwrap()
    .await
    .unwrap();
}

#[test]
fn loss_drops_some_datagrams_and_delivers_the_rest_once() {
    for seed in 0..20 {
        let got = Rc::new(RefCell::new(Vec::new()));
        let g = Rc::clone(&got);
        Builder::new()
            .seed(seed)
            .build()
            .block_on(async move {
                net::set_default_link(Link::new().loss(0.3));
                sink("sink", &g);
                send_from("source", "sink", 200).await;
                sleep(Duration::from_secs(1)).await;
            })
            .unwrap();
        let mut got = got.borrow().clone();
        let n = got.len();
        assert!((100..180).contains(&n), "seed {seed}: {n} arrived");
        got.sort_unstable();
        got.dedup();
        assert_eq!(got.len(), n, "seed {seed}: no copies without duplication");
    }
}

#[test]
fn duplication_delivers_copies() {
    for seed in 0..20 {
        let got = Rc::new(RefCell::new(Vec::new()));
        let g = Rc::clone(&got);
        Builder::new()
            .seed(seed)
            .build()
            .block_on(async move {
                net::set_default_link(Link::new().duplicate(0.5));
                sink("sink", &g);
                send_from("source", "sink", 100).await;
                sleep(Duration::from_secs(1)).await;
            })
            .unwrap();
        let got = got.borrow();
        assert!(got.len() > 120, "seed {seed}: only {} arrived", got.len());
        let mut distinct = got.clone();
        distinct.sort_unstable();
        distinct.dedup();
        assert_eq!(distinct, (0..100).collect::<Vec<_>>(), "seed {seed}");
    }
}

#[test]
fn datagrams_overtake_each_other_when_latencies_vary_and_not_when_fixed() {
    for (latency, reorders) in [
        (
            Latency::uniform(Duration::from_millis(1), Duration::from_millis(40)),
            true,
        ),
        (Latency::fixed(Duration::from_millis(5)), false),
    ] {
        let got = Rc::new(RefCell::new(Vec::new()));
        let g = Rc::clone(&got);
        Builder::new()
            .seed(5)
            .build()
            .block_on(async move {
                net::set_default_link(Link::new().latency(latency));
                sink("sink", &g);
                send_from("source", "sink", 50).await;
                sleep(Duration::from_secs(1)).await;
            })
            .unwrap();
        let got = got.borrow();
        assert_eq!(got.len(), 50);
        let in_order = got.windows(2).all(|w| w[0] < w[1]);
        assert_eq!(!in_order, reorders, "{latency:?}: {got:?}");
    }
}

#[test]
fn a_partition_drops_datagrams_on_their_way_and_repair_lets_new_ones_through() {
    Builder::new()
        .build()
        .block_on(async {
            let got = Rc::new(RefCell::new(Vec::new()));
            let sink = sink("sink", &got);
            let source = node::Builder::new("source").build();
            let socket = Rc::new(RefCell::new(None));
            let s = Rc::clone(&socket);
            node::spawn_on(source, async move {
                *s.borrow_mut() = Some(UdpSocket::bind("0.0.0.0:0").await.unwrap());
            })
            .unwrap()
            .await
            .unwrap();
            let send = |i: u32| {
                let socket = Rc::clone(&socket);
                node::spawn_on(source, async move {
                    let s = socket.borrow_mut().take().unwrap();
                    s.send_to(&i.to_le_bytes(), "sink:9").await.unwrap();
                    *socket.borrow_mut() = Some(s);
                })
                .unwrap()
            };
            send(1).await.unwrap();
            // Sent before the cut, arriving after it: dropped.
            net::partition(source, sink);
            sleep(Duration::from_secs(1)).await;
            send(2).await.unwrap();
            sleep(Duration::from_secs(1)).await;
            net::repair(source, sink);
            send(3).await.unwrap();
            sleep(Duration::from_secs(1)).await;
            // A one-way cut stops one direction only.
            net::partition_oneway(sink, source);
            send(4).await.unwrap();
            sleep(Duration::from_secs(1)).await;
            assert_eq!(*got.borrow(), vec![3, 4]);
        })
        .unwrap();
}

#[test]
fn oversized_datagrams_and_unknown_hosts_are_named_errors() {
    Builder::new()
        .build()
        .block_on(async {
            let s = UdpSocket::bind("0.0.0.0:0").await.unwrap();
            let err = s
                .send_to(&vec![0; 70_000], "10.0.0.77:1")
                .await
                .unwrap_err();
            assert!(err.to_string().contains("70000 bytes"), "{err}");
            let err = s.send_to(b"x", "10.0.0.77:1").await.unwrap_err();
            assert_eq!(err.kind(), std::io::ErrorKind::HostUnreachable);
            let err = UdpSocket::bind("0.0.0.0:99999").await.unwrap_err();
            assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
        })
        .unwrap();
}

/// Loss and duplication are recorded decisions: the same seed loses the same datagrams.
#[test]
fn faults_are_deterministic() {
    Check::new()
        .seeds(100)
        .check_determinism(true)
        .run(|| async {
            net::set_default_link(
                Link::new()
                    .latency(Latency::uniform(Duration::ZERO, Duration::from_millis(30)))
                    .loss(0.2)
                    .duplicate(0.1),
            );
            let got = Rc::new(RefCell::new(Vec::new()));
            sink("sink", &got);
            send_from("a", "sink", 20).await;
            send_from("b", "sink", 20).await;
            sleep(Duration::from_secs(1)).await;
        });
}

/// A program that fails when any datagram is lost: the failure shrinks to one loss, and the
/// shrunk schedule replays it.
#[test]
fn a_failure_from_loss_shrinks_to_the_one_loss_it_needs() {
    let test = || async {
        net::set_default_link(Link::new().loss(0.3));
        let got = Rc::new(RefCell::new(Vec::new()));
        sink("sink", &got);
        send_from("source", "sink", 20).await;
        sleep(Duration::from_secs(1)).await;
        assert!(got.borrow().len() == 20, "datagrams were lost");
    };
    let err = Check::new()
        .seeds(10)
        .regressions(false)
        .try_run(test)
        .unwrap_err();
    let CheckError::Failed(failure) = err else {
        panic!("expected a failure: {err}")
    };
    let FailureKind::Run(SimError::Panicked(p)) = &failure.kind else {
        panic!("a panic: {failure}")
    };
    assert!(p.message.contains("datagrams were lost"));
    let shrunk = failure.shrunk.as_ref().expect("shrunk");
    // How many losses the original and the shrunk schedule hold, by replaying each.
    let losses = |schedule: &sim::Schedule| {
        let lost = Rc::new(RefCell::new(0));
        let l = Rc::clone(&lost);
        let mut rt = Builder::new()
            .seed(failure.seed)
            .strategy(Strategy::Replay(schedule.clone()))
            .build();
        let result = rt.block_on(async move {
            net::set_default_link(Link::new().loss(0.3));
            let got = Rc::new(RefCell::new(Vec::new()));
            sink("sink", &got);
            send_from("source", "sink", 20).await;
            sleep(Duration::from_secs(1)).await;
            *l.borrow_mut() = 20 - got.borrow().len();
        });
        result.unwrap();
        lost.take()
    };
    let original = losses(&failure.schedule);
    let after = losses(&shrunk.schedule);
    assert!(original >= 1);
    assert_eq!(after, 1, "shrunk from {original} losses:\n{failure}");
}

#[test]
fn held_datagrams_all_arrive_at_the_release_and_a_partition_still_drops() {
    Builder::new()
        .build()
        .block_on(async {
            net::set_default_link(
                Link::new().latency(Latency::uniform(Duration::ZERO, Duration::from_millis(40))),
            );
            let got = Rc::new(RefCell::new(Vec::new()));
            let sink = sink("sink", &got);
            let source = node::Builder::new("source").build();
            net::hold(source, sink);
            let send = |range: std::ops::Range<u32>| {
                node::spawn_on(source, async move {
                    let s = UdpSocket::bind("0.0.0.0:0").await.unwrap();
                    for i in range {
                        s.send_to(&i.to_le_bytes(), "sink:9").await.unwrap();
                    }
                })
                .unwrap()
            };
            send(0..10).await.unwrap();
            sleep(Duration::from_secs(5)).await;
            assert!(got.borrow().is_empty(), "a held datagram arrived");
            net::release(source, sink);
            sleep(Duration::from_millis(1)).await;
            let mut held = got.borrow().clone();
            assert_eq!(held.len(), 10);
            held.sort_unstable();
            assert_eq!(held, (0..10).collect::<Vec<_>>());
            // Held and cut: the cut wins.
            got.borrow_mut().clear();
            net::hold(source, sink);
            net::partition(source, sink);
            send(10..15).await.unwrap();
            sleep(Duration::from_secs(1)).await;
            net::repair(source, sink);
            net::release(source, sink);
            sleep(Duration::from_secs(1)).await;
            assert!(got.borrow().is_empty(), "{:?}", got.borrow());
        })
        .unwrap();
}

#[test]
fn a_deadlock_report_names_a_socket_waiting_for_a_datagram() {
    let err = Builder::new()
        .build()
        .block_on(async {
            let s = UdpSocket::bind("0.0.0.0:53").await.unwrap();
            let mut buf = [0; 8];
            let _ = s.recv_from(&mut buf).await;
        })
        .unwrap_err();
    assert!(matches!(err, SimError::Deadlock(_)), "{err}");
    let report = err.to_string();
    assert!(
        report.contains("waiting on a datagram on UDP 0.0.0.0:53"),
        "{report}"
    );
}
