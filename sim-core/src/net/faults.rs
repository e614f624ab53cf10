//! The control plane: partitions and links, set from any task (usually the test body).

use super::fabric::Net;
use super::link::Link;
use crate::engine::context;
use crate::node::NodeId;

#[track_caller]
fn nodes_only(what: &str, ids: &[NodeId]) {
    for &id in ids {
        if id == NodeId::HARNESS {
            panic!("{what}: the harness is never faulted; build a node for the part to cut off");
        }
        if context::with_core(what, |core| crate::node::host(core, id)).is_none() {
            panic!("{what}: {id} is no node of this run");
        }
    }
}

fn with_net<R>(what: &str, f: impl FnOnce(&mut super::fabric::Fabric) -> R) -> R {
    context::with_core(what, |core| f(&mut Net::of(core).0.borrow_mut()))
}

/// Cuts `a` and `b` apart both ways: nothing sent between them arrives until [`repair`].
/// Datagrams on the way are dropped when they reach the cut; a stream's bytes wait and are
/// tried again, so a connection survives a short partition and times out after a long one.
///
/// # Panics
///
/// Outside a running simulation, or if `a` or `b` is the harness or no node of the run.
///
/// ```
/// use sim::net::{self, UdpSocket};
/// use sim::time::{sleep, Duration};
///
/// sim::Runtime::new(0).block_on(async {
///     let a = sim::node::Builder::new("a").build();
///     let b = sim::node::Builder::new("b")
///         .init(|| async {
///             let s = UdpSocket::bind("0.0.0.0:9").await.unwrap();
///             let mut buf = [0; 8];
///             s.recv_from(&mut buf).await.unwrap();
///             panic!("a datagram crossed the partition");
///         })
///         .build();
///     net::partition(a, b);
///     sim::node::spawn_on(a, async {
///         let s = UdpSocket::bind("0.0.0.0:0").await.unwrap();
///         s.send_to(b"hi", "b:9").await.unwrap();
///     }).unwrap();
///     sleep(Duration::from_secs(1)).await;
/// }).unwrap();
/// ```
#[track_caller]
pub fn partition(a: NodeId, b: NodeId) {
    nodes_only("sim::net::partition", &[a, b]);
    tracing::debug!(target: "sim::net", %a, %b, "partition");
    with_net("sim::net::partition", |f| {
        f.cuts.insert((a, b));
        f.cuts.insert((b, a));
    });
}

/// Cuts the way from `from` to `to` only: `to` still reaches `from`.
///
/// # Panics
///
/// Outside a running simulation, or if either is the harness or no node of the run.
///
/// ```
/// sim::Runtime::new(0).block_on(async {
///     let a = sim::node::Builder::new("a").build();
///     let b = sim::node::Builder::new("b").build();
///     sim::net::partition_oneway(a, b);
///     assert!(sim::net::is_partitioned(a, b));
///     assert!(!sim::net::is_partitioned(b, a));
/// }).unwrap();
/// ```
#[track_caller]
pub fn partition_oneway(from: NodeId, to: NodeId) {
    nodes_only("sim::net::partition_oneway", &[from, to]);
    tracing::debug!(target: "sim::net", %from, %to, "one-way partition");
    with_net("sim::net::partition_oneway", |f| {
        f.cuts.insert((from, to));
    });
}

/// Heals the cut between `a` and `b`, both ways.
///
/// # Panics
///
/// Outside a running simulation, or if either is the harness or no node of the run.
///
/// ```
/// sim::Runtime::new(0).block_on(async {
///     let a = sim::node::Builder::new("a").build();
///     let b = sim::node::Builder::new("b").build();
///     sim::net::partition(a, b);
///     sim::net::repair(a, b);
///     assert!(!sim::net::is_partitioned(a, b));
/// }).unwrap();
/// ```
#[track_caller]
pub fn repair(a: NodeId, b: NodeId) {
    nodes_only("sim::net::repair", &[a, b]);
    tracing::debug!(target: "sim::net", %a, %b, "repair");
    with_net("sim::net::repair", |f| {
        f.cuts.remove(&(a, b));
        f.cuts.remove(&(b, a));
    });
}

/// Heals every partition.
///
/// # Panics
///
/// Outside a running simulation.
///
/// ```
/// sim::Runtime::new(0).block_on(async {
///     let a = sim::node::Builder::new("a").build();
///     let b = sim::node::Builder::new("b").build();
///     sim::net::partition_oneway(b, a);
///     sim::net::repair_all();
///     assert!(!sim::net::is_partitioned(b, a));
/// }).unwrap();
/// ```
#[track_caller]
pub fn repair_all() {
    tracing::debug!(target: "sim::net", "repair all");
    with_net("sim::net::repair_all", |f| f.cuts.clear());
}

/// Whether messages from `from` to `to` are cut off.
///
/// # Panics
///
/// Outside a running simulation.
///
/// ```
/// sim::Runtime::new(0).block_on(async {
///     let a = sim::node::Builder::new("a").build();
///     let b = sim::node::Builder::new("b").build();
///     assert!(!sim::net::is_partitioned(a, b));
/// }).unwrap();
/// ```
#[track_caller]
pub fn is_partitioned(from: NodeId, to: NodeId) -> bool {
    with_net("sim::net::is_partitioned", |f| f.is_cut(from, to))
}

/// Sets the link between `a` and `b` (both ways): its latency, loss and duplication.
///
/// # Panics
///
/// Outside a running simulation, or if either is the harness or no node of the run.
///
/// ```
/// use sim::net::{Latency, Link};
/// use std::time::Duration;
///
/// sim::Runtime::new(0).block_on(async {
///     let a = sim::node::Builder::new("a").build();
///     let b = sim::node::Builder::new("b").build();
///     sim::net::set_link(a, b, Link::new().latency(Latency::fixed(Duration::from_millis(40))).loss(0.1));
/// }).unwrap();
/// ```
#[track_caller]
pub fn set_link(a: NodeId, b: NodeId, link: Link) {
    nodes_only("sim::net::set_link", &[a, b]);
    with_net("sim::net::set_link", |f| {
        f.links.insert((a.min(b), a.max(b)), link);
    });
}

/// Sets the link of every pair of nodes without one of its own ([`set_link`]). The harness's
/// links take its latency only: the harness is never faulted.
///
/// # Panics
///
/// Outside a running simulation.
///
/// ```
/// use sim::net::{Latency, Link};
/// use std::time::Duration;
///
/// sim::Runtime::new(0).block_on(async {
///     sim::net::set_default_link(Link::new().latency(Latency::fixed(Duration::from_millis(1))).duplicate(0.01));
/// }).unwrap();
/// ```
#[track_caller]
pub fn set_default_link(link: Link) {
    with_net("sim::net::set_default_link", |f| f.default_link = link);
}

/// Holds every message between `a` and `b`, both ways, until [`release`]: datagrams and
/// stream bytes wait in the order they arrived (a stream does not time out while held), then
/// arrive at the release. A partition met first still drops a datagram.
///
/// # Panics
///
/// Outside a running simulation, or if either is the harness or no node of the run.
///
/// ```
/// use std::cell::Cell;
/// use std::rc::Rc;
/// use sim::net::{self, UdpSocket};
/// use sim::time::{sleep, Duration};
///
/// sim::Runtime::new(0).block_on(async {
///     let got = Rc::new(Cell::new(0));
///     let g = Rc::clone(&got);
///     let b = sim::node::Builder::new("b")
///         .init(move || {
///             let g = Rc::clone(&g);
///             async move {
///                 let s = UdpSocket::bind("0.0.0.0:9").await.unwrap();
///                 let mut buf = [0; 1];
///                 loop { s.recv_from(&mut buf).await.unwrap(); g.set(g.get() + 1); }
///             }
///         })
///         .build();
///     let a = sim::node::Builder::new("a").build();
///     net::hold(a, b);
///     sim::node::spawn_on(a, async {
///         let s = UdpSocket::bind("0.0.0.0:0").await.unwrap();
///         s.send_to(&[1], "b:9").await.unwrap();
///     }).unwrap().await.unwrap();
///     sleep(Duration::from_secs(10)).await;
///     assert_eq!(got.get(), 0); // held
///     net::release(a, b);
///     sleep(Duration::from_millis(1)).await;
///     assert_eq!(got.get(), 1); // delivered at the release
/// }).unwrap();
/// ```
#[track_caller]
pub fn hold(a: NodeId, b: NodeId) {
    nodes_only("sim::net::hold", &[a, b]);
    tracing::debug!(target: "sim::net", %a, %b, "hold");
    with_net("sim::net::hold", |f| {
        f.holds.insert((a, b));
        f.holds.insert((b, a));
    });
}

/// Releases what [`hold`] keeps between `a` and `b`: it is all due at once, in the order it
/// arrived (`a` to `b` first).
///
/// # Panics
///
/// Outside a running simulation, or if either is the harness or no node of the run.
///
/// ```
/// sim::Runtime::new(0).block_on(async {
///     let a = sim::node::Builder::new("a").build();
///     let b = sim::node::Builder::new("b").build();
///     sim::net::hold(a, b);
///     sim::net::release(a, b);
/// }).unwrap();
/// ```
#[track_caller]
pub fn release(a: NodeId, b: NodeId) {
    nodes_only("sim::net::release", &[a, b]);
    tracing::debug!(target: "sim::net", %a, %b, "release");
    context::with_core("sim::net::release", |core| {
        let net = Net::of(core);
        let now = core.now();
        let kicks = {
            let mut f = net.0.borrow_mut();
            let mut kicks = f.release_way(a, b, now);
            kicks.extend(f.release_way(b, a, now));
            kicks
        };
        for k in kicks {
            super::deliver::kick(core, &net, k);
        }
    });
}
