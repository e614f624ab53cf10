//! Simulated machines: named nodes, each with an address and its own tasks, that crash,
//! restart, pause and resume on the run's one seeded scheduler and clock.
//!
//! A node is built inside a run with a [`Builder`]: a name, an address (one is picked when
//! none is given: 10.0.0.1, 10.0.0.2, ...) and an *init* closure, which makes the future
//! that runs when the node boots, and again at every restart. Every task spawned by a node's
//! tasks belongs to the node (to its current *generation*: a boot and all it spawns).
//!
//! - [`crash`] ends a generation: every task of the node is dropped (destructors run) before
//!   any other task is polled or any timer fires, and their join handles report
//!   cancellation. Nothing of the generation survives but what the program kept outside it.
//! - [`restart`] crashes the node if it is up, then boots a new generation, which runs `init`.
//! - [`pause`] stops polling the node's tasks: wakes that reach them (a message, a timer) are
//!   kept, in order, and [`resume`] lets them run. Timers keep their deadlines; a timer due
//!   while the node is paused fires late, when it resumes.
//!
//! Tasks outside any node (the test body, say) belong to [`NodeId::HARNESS`]; no fault
//! touches them.
//!
//! ```
//! use std::cell::Cell;
//! use std::rc::Rc;
//! use sim::node::{self, NodeStatus};
//! use sim::time::{sleep, Duration};
//!
//! sim::Runtime::new(7).block_on(async {
//!     let boots = Rc::new(Cell::new(0));
//!     let b = Rc::clone(&boots);
//!     let server = node::Builder::new("server")
//!         .init(move || {
//!             b.set(b.get() + 1);
//!             async {
//!                 // Work that never ends on its own.
//!                 loop { sleep(Duration::from_secs(1)).await; }
//!             }
//!         })
//!         .build();
//!     sleep(Duration::from_secs(5)).await;
//!     node::crash(server);
//!     assert_eq!(node::status(server), NodeStatus::Down);
//!     node::restart(server);
//!     assert_eq!((boots.get(), node::generation(server)), (2, 1));
//! })
//! .unwrap();
//! ```
//!
//! Invariants: see `registry.rs` (names, addresses, generations) and the engine's task
//! groups (what crash and pause do to tasks).

mod builder;
mod control;
mod error;
mod id;
mod query;
mod registry;

use std::rc::Rc;

pub use self::builder::Builder;
pub use self::control::{crash, pause, restart, resume, spawn_on};
pub use self::error::NodeError;
pub use self::id::{NodeId, NodeStatus};
pub use self::query::{all, by_ip, current, generation, ip, lookup, status};

pub(crate) use self::registry::CrashHook;
use self::registry::{Nodes, Record};
use crate::engine::{Core, context};

/// The address of the tasks outside any node ([`NodeId::HARNESS`]) on the simulated network:
/// 192.0.2.1, from a block reserved for documentation, so no real address is shadowed. No
/// node may take it.
///
/// ```
/// sim::Runtime::new(0).block_on(async {
///     let taken = sim::node::Builder::new("n").ip(sim::node::HARNESS_IP).try_build();
///     assert!(taken.is_err());
/// }).unwrap();
/// ```
pub const HARNESS_IP: std::net::IpAddr =
    std::net::IpAddr::V4(std::net::Ipv4Addr::new(192, 0, 2, 1));

/// Registers `hook`, called at every crash of a node of this run (see [`CrashHook`]).
pub(crate) fn on_crash(core: &Core, hook: CrashHook) {
    nodes(core).1.borrow_mut().push(hook);
}

/// The node and generation of the task being polled (the harness has generation 0).
pub(crate) fn placement(core: &Core) -> (NodeId, u64) {
    let group = core.current_group();
    if group == crate::engine::NO_GROUP {
        return (NodeId::HARNESS, 0);
    }
    nodes(core)
        .0
        .borrow()
        .of_group(group)
        .unwrap_or((NodeId::HARNESS, 0))
}

/// Node `id`'s address, status and generation, if `id` is a node of this run (the harness:
/// [`HARNESS_IP`], always running, generation 0).
pub(crate) fn host(core: &Core, id: NodeId) -> Option<(std::net::IpAddr, NodeStatus, u64)> {
    if id == NodeId::HARNESS {
        return Some((HARNESS_IP, NodeStatus::Running, 0));
    }
    let nodes = nodes(core);
    let registry = nodes.0.borrow();
    registry
        .get(id)
        .ok()
        .map(|r| (r.ip, r.status, r.generation))
}

/// The node at `ip` (the harness at [`HARNESS_IP`]).
pub(crate) fn at_ip(core: &Core, ip: std::net::IpAddr) -> Option<NodeId> {
    if ip == HARNESS_IP {
        return Some(NodeId::HARNESS);
    }
    nodes(core).0.borrow().by_ip(ip)
}

/// The node named `name`.
pub(crate) fn named(core: &Core, name: &str) -> Option<NodeId> {
    nodes(core).0.borrow().by_name(name)
}

fn nodes(core: &Core) -> Rc<Nodes> {
    core.local(|_| Nodes::default())
}

/// Runs `f` on the registry and the node's record, with the run's core.
#[track_caller]
fn with_node<R>(
    what: &str,
    id: NodeId,
    f: impl FnOnce(&Rc<Core>, &Nodes, &Record) -> R,
) -> Result<R, NodeError> {
    context::with_core(what, |core| {
        let nodes = nodes(core);
        let record = {
            let registry = nodes.0.borrow();
            let r = registry.get(id)?;
            Record {
                name: Rc::clone(&r.name),
                ip: r.ip,
                init: None,
                status: r.status,
                generation: r.generation,
                group: r.group,
            }
        };
        Ok(f(core, &nodes, &record))
    })
}

#[track_caller]
fn or_panic<R>(what: &str, result: Result<R, NodeError>) -> R {
    result.unwrap_or_else(|e| panic!("{what}: {e}"))
}
