//! Questions about the run's nodes: which node a task is on, and each node's state.

use std::net::IpAddr;

use super::{NodeId, NodeStatus, nodes, or_panic, with_node};
use crate::engine::context;

/// The node of the running task: [`NodeId::HARNESS`] for tasks outside any node.
///
/// # Panics
///
/// Outside a running simulation.
///
/// ```
/// use sim::node::{self, NodeId};
///
/// sim::Runtime::new(0).block_on(async {
///     assert_eq!(node::current(), NodeId::HARNESS);
///     let n = node::Builder::new("n").build();
///     let on_n = node::spawn_on(n, async {
///         // A task spawned by a node's task is the node's too.
///         sim::spawn(async { node::current() }).await.unwrap()
///     });
///     assert_eq!(on_n.unwrap().await.unwrap(), n);
/// }).unwrap();
/// ```
#[track_caller]
pub fn current() -> NodeId {
    context::with_core("sim::node::current", |core| super::placement(core).0)
}

/// Where node `id` is in its life.
///
/// # Panics
///
/// Outside a running simulation, or if `id` names no node of this run.
///
/// ```
/// use sim::node::{self, NodeStatus};
///
/// sim::Runtime::new(0).block_on(async {
///     let n = node::Builder::new("n").build();
///     assert_eq!(node::status(n), NodeStatus::Running);
///     node::pause(n);
///     assert_eq!(node::status(n), NodeStatus::Paused);
///     node::crash(n);
///     assert_eq!(node::status(n), NodeStatus::Down);
/// }).unwrap();
/// ```
#[track_caller]
pub fn status(id: NodeId) -> NodeStatus {
    or_panic(
        "sim::node::status",
        with_node("sim::node::status", id, |_, _, r| r.status),
    )
}

/// How many times node `id` was restarted: 0 for its first boot.
///
/// # Panics
///
/// Outside a running simulation, or if `id` names no node of this run.
///
/// ```
/// sim::Runtime::new(0).block_on(async {
///     let n = sim::node::Builder::new("n").build();
///     assert_eq!(sim::node::generation(n), 0);
/// }).unwrap();
/// ```
#[track_caller]
pub fn generation(id: NodeId) -> u64 {
    or_panic(
        "sim::node::generation",
        with_node("sim::node::generation", id, |_, _, r| r.generation),
    )
}

/// Node `id`'s address.
///
/// # Panics
///
/// Outside a running simulation, or if `id` names no node of this run.
///
/// ```
/// sim::Runtime::new(0).block_on(async {
///     let a = sim::node::Builder::new("a").build();
///     let b = sim::node::Builder::new("b").build();
///     assert_eq!(sim::node::ip(a).to_string(), "10.0.0.1");
///     assert_eq!(sim::node::ip(b).to_string(), "10.0.0.2");
/// }).unwrap();
/// ```
#[track_caller]
pub fn ip(id: NodeId) -> IpAddr {
    or_panic(
        "sim::node::ip",
        with_node("sim::node::ip", id, |_, _, r| r.ip),
    )
}

/// The node named `name`, if the run has one.
///
/// # Panics
///
/// Outside a running simulation.
///
/// ```
/// sim::Runtime::new(0).block_on(async {
///     let a = sim::node::Builder::new("a").build();
///     assert_eq!(sim::node::lookup("a"), Some(a));
///     assert_eq!(sim::node::lookup("b"), None);
/// }).unwrap();
/// ```
#[track_caller]
pub fn lookup(name: &str) -> Option<NodeId> {
    context::with_core("sim::node::lookup", |core| {
        nodes(core).0.borrow().by_name(name)
    })
}

/// The node whose address is `ip`, if the run has one.
///
/// # Panics
///
/// Outside a running simulation.
///
/// ```
/// sim::Runtime::new(0).block_on(async {
///     let a = sim::node::Builder::new("a").build();
///     assert_eq!(sim::node::by_ip(sim::node::ip(a)), Some(a));
/// }).unwrap();
/// ```
#[track_caller]
pub fn by_ip(ip: IpAddr) -> Option<NodeId> {
    context::with_core("sim::node::by_ip", |core| nodes(core).0.borrow().by_ip(ip))
}

/// Every node of the run, in the order they were built.
///
/// # Panics
///
/// Outside a running simulation.
///
/// ```
/// sim::Runtime::new(0).block_on(async {
///     let a = sim::node::Builder::new("a").build();
///     let b = sim::node::Builder::new("b").build();
///     assert_eq!(sim::node::all(), vec![a, b]);
/// }).unwrap();
/// ```
#[track_caller]
pub fn all() -> Vec<NodeId> {
    context::with_core("sim::node::all", |core| {
        let n = nodes(core).0.borrow().nodes.len();
        (0..n as u32).map(NodeId::new).collect()
    })
}
