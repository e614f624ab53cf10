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

mod error;
mod registry;

use std::fmt;
use std::future::Future;
use std::net::IpAddr;
use std::panic::Location;
use std::rc::Rc;

pub use error::NodeError;

use self::registry::{Init, Nodes, Record};
use crate::engine::{Core, context};
use crate::task::JoinHandle;

/// A node of the current run: dense, in the order nodes were built, stable across restarts.
///
/// Displays as the node's name inside the run that built it, and as `node#N` elsewhere.
///
/// ```
/// sim::Runtime::new(0).block_on(async {
///     let a = sim::node::Builder::new("a").build();
///     assert_eq!(a.to_string(), "a");
///     assert_eq!(sim::node::NodeId::HARNESS.to_string(), "harness");
/// }).unwrap();
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeId(u32);

impl NodeId {
    /// The tasks outside any node: the test body and what it spawns directly.
    pub const HARNESS: NodeId = NodeId(u32::MAX);

    /// The node's number: its place in the order nodes were built, from 0.
    ///
    /// ```
    /// sim::Runtime::new(0).block_on(async {
    ///     let first = sim::node::Builder::new("first").build();
    ///     assert_eq!(first.index(), 0);
    /// }).unwrap();
    /// ```
    pub fn index(self) -> u32 {
        self.0
    }
}

impl fmt::Display for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if *self == NodeId::HARNESS {
            return f.write_str("harness");
        }
        let name = context::try_core().and_then(|core| {
            let nodes = nodes(&core);
            let registry = nodes.0.borrow();
            registry.get(*self).ok().map(|r| Rc::clone(&r.name))
        });
        match name {
            Some(name) => f.write_str(&name),
            None => write!(f, "node#{}", self.0),
        }
    }
}

/// Where a node is in its life: `Running <-> Paused`, either `-> Down` by a crash, and
/// `Down -> Running` by a restart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum NodeStatus {
    /// Its tasks run.
    Running,
    /// Its tasks are not polled until it resumes.
    Paused,
    /// It crashed and was not restarted: it has no tasks.
    Down,
}

/// Builds a node of the current run.
///
/// ```
/// use std::net::{IpAddr, Ipv4Addr};
///
/// sim::Runtime::new(0).block_on(async {
///     let ip = IpAddr::V4(Ipv4Addr::new(192, 168, 1, 10));
///     let db = sim::node::Builder::new("db").ip(ip).init(|| async {}).build();
///     assert_eq!(sim::node::ip(db), ip);
///     assert_eq!(sim::node::lookup("db"), Some(db));
/// }).unwrap();
/// ```
#[must_use = "a node is made by `build`"]
pub struct Builder {
    name: String,
    ip: Option<IpAddr>,
    init: Option<Init>,
}

impl fmt::Debug for Builder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Builder")
            .field("name", &self.name)
            .field("ip", &self.ip)
            .field("init", &self.init.is_some())
            .finish()
    }
}

impl Builder {
    /// A node named `name` (unique in the run; names appear in reports and trace events).
    pub fn new(name: impl Into<String>) -> Builder {
        Builder {
            name: name.into(),
            ip: None,
            init: None,
        }
    }

    /// The node's address (unique in the run). Without one, the node gets the next free one
    /// of 10.0.0.1, 10.0.0.2, ...
    pub fn ip(mut self, ip: impl Into<IpAddr>) -> Builder {
        self.ip = Some(ip.into());
        self
    }

    /// What the node runs at each boot: `init` is called at the first boot and again after
    /// every restart, and the future it returns is the node's first task.
    pub fn init<F, Fut>(mut self, init: F) -> Builder
    where
        F: Fn() -> Fut + 'static,
        Fut: Future<Output = ()> + 'static,
    {
        self.init = Some(Rc::new(move || Box::pin(init())));
        self
    }

    /// Builds and boots the node.
    ///
    /// # Panics
    ///
    /// Outside a running simulation, or when [`try_build`](Self::try_build) would fail,
    /// with that error's message.
    #[track_caller]
    pub fn build(self) -> NodeId {
        match self.try_build() {
            Ok(id) => id,
            Err(e) => panic!("sim::node::Builder::build: {e}"),
        }
    }

    /// Builds and boots the node, or says why it cannot: an empty or taken name, a taken
    /// address.
    ///
    /// # Panics
    ///
    /// Outside a running simulation.
    #[track_caller]
    pub fn try_build(self) -> Result<NodeId, NodeError> {
        let at = Location::caller();
        context::with_core("sim::node::Builder::build", |core| {
            let nodes = nodes(core);
            let id = {
                let mut registry = nodes.0.borrow_mut();
                let ip = registry.admit(&self.name, self.ip)?;
                registry.insert(Record {
                    name: Rc::from(self.name),
                    ip,
                    init: self.init,
                    status: NodeStatus::Down,
                    generation: 0,
                    group: 0,
                })
            };
            boot(core, &nodes, id, at);
            Ok(id)
        })
    }
}

fn nodes(core: &Core) -> Rc<Nodes> {
    core.local(|_| Nodes::default())
}

/// Starts the node's current generation: a new group, and `init`'s future in it.
fn boot(core: &Rc<Core>, nodes: &Nodes, id: NodeId, at: &'static Location<'static>) {
    let group = core.new_group();
    let (init, name) = {
        let mut registry = nodes.0.borrow_mut();
        registry.booted(id, group);
        let record = &registry.nodes[id.0 as usize];
        (record.init.clone(), Rc::clone(&record.name))
    };
    tracing::debug!(target: "sim", node = %name, "boot");
    if let Some(init) = init {
        let future = init();
        let ready = core.spawn_in(group, future, Some(name), at);
        // The node owns its first task: nobody joins it.
        drop(JoinHandle::<()>::new(Rc::clone(core), ready));
    }
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
    context::with_core("sim::node::current", |core| {
        let group = core.current_group();
        if group == crate::engine::NO_GROUP {
            return NodeId::HARNESS;
        }
        let nodes = nodes(core);
        let registry = nodes.0.borrow();
        registry
            .of_group(group)
            .map_or(NodeId::HARNESS, |(id, _)| id)
    })
}

/// Spawns `future` as a task of node `id`'s current generation.
///
/// # Errors
///
/// [`NodeError::Down`] if the node is down; [`NodeError::Harness`] or
/// [`NodeError::Unknown`] if `id` names no node of this run.
///
/// # Panics
///
/// Outside a running simulation.
///
/// ```
/// use sim::node;
///
/// sim::Runtime::new(0).block_on(async {
///     let n = node::Builder::new("n").build();
///     assert_eq!(node::spawn_on(n, async { 1 + 1 }).unwrap().await.unwrap(), 2);
///     node::crash(n);
///     assert!(matches!(node::spawn_on(n, async {}), Err(node::NodeError::Down { .. })));
/// }).unwrap();
/// ```
#[track_caller]
pub fn spawn_on<F>(id: NodeId, future: F) -> Result<JoinHandle<F::Output>, NodeError>
where
    F: Future + 'static,
    F::Output: 'static,
{
    let at = Location::caller();
    with_node("sim::node::spawn_on", id, |core, _, record| {
        if record.status == NodeStatus::Down {
            return Err(NodeError::Down {
                node: record.name.to_string(),
            });
        }
        let ready = core.spawn_in(record.group, future, None, at);
        Ok(JoinHandle::new(Rc::clone(core), ready))
    })?
}

/// Crashes node `id`: every task of its generation is dropped before any other task runs or
/// any timer fires, and the node is down until [`restart`]. Crashing a node that is down
/// does nothing.
///
/// The node is down at once ([`status`] says so), and its tasks are dropped as soon as the
/// calling task's poll ends: a destructor may itself call into `sim` (spawn, wake, log), which
/// it cannot do in the middle of another task's poll. No task, timer or message runs in
/// between, so no other task can observe the crash half done.
///
/// A node may crash itself: the calling task's poll ends, and it is dropped with the rest.
///
/// # Panics
///
/// Outside a running simulation, or if `id` names no node of this run.
///
/// ```
/// use sim::node;
/// use sim::time::{sleep, Duration};
///
/// sim::Runtime::new(0).block_on(async {
///     let n = node::Builder::new("n").build();
///     let forever = node::spawn_on(n, sleep(Duration::from_secs(3600))).unwrap();
///     node::crash(n);
///     assert!(forever.await.unwrap_err().is_cancelled());
/// }).unwrap();
/// ```
#[track_caller]
pub fn crash(id: NodeId) {
    or_panic(
        "sim::node::crash",
        with_node("sim::node::crash", id, |core, nodes, record| {
            kill(core, nodes, id, record);
        }),
    );
}

fn kill(core: &Core, nodes: &Nodes, id: NodeId, record: &Record) {
    if record.status == NodeStatus::Down {
        return;
    }
    tracing::debug!(target: "sim", node = %record.name, generation = record.generation, "crash");
    core.kill_group(record.group);
    nodes.0.borrow_mut().nodes[id.0 as usize].status = NodeStatus::Down;
}

/// Restarts node `id`: crashes it if it is up (see [`crash`]), then boots a new generation,
/// which runs the node's `init`. Its old generation's tasks are all dropped before the new
/// one's first task runs.
///
/// # Panics
///
/// Outside a running simulation, or if `id` names no node of this run.
///
/// ```
/// use sim::node;
///
/// sim::Runtime::new(0).block_on(async {
///     let n = node::Builder::new("n").init(|| async {}).build();
///     node::restart(n);
///     assert_eq!(node::generation(n), 1);
///     assert_eq!(node::status(n), node::NodeStatus::Running);
/// }).unwrap();
/// ```
#[track_caller]
pub fn restart(id: NodeId) {
    let at = Location::caller();
    or_panic(
        "sim::node::restart",
        with_node("sim::node::restart", id, |core, nodes, record| {
            kill(core, nodes, id, record);
            nodes.0.borrow_mut().nodes[id.0 as usize].generation += 1;
            boot(core, nodes, id, at);
        }),
    );
}

/// Pauses node `id`: its tasks are not polled until [`resume`]; wakes that reach them are
/// kept, in order. Pausing a paused node does nothing.
///
/// # Panics
///
/// Outside a running simulation, if `id` names no node of this run, or if the node is down.
///
/// ```
/// use std::cell::Cell;
/// use std::rc::Rc;
/// use sim::node;
/// use sim::time::{sleep, Duration};
///
/// sim::Runtime::new(0).block_on(async {
///     let ticks = Rc::new(Cell::new(0));
///     let t = Rc::clone(&ticks);
///     let n = node::Builder::new("n")
///         .init(move || {
///             let t = Rc::clone(&t);
///             async move { loop { sleep(Duration::from_secs(1)).await; t.set(t.get() + 1); } }
///         })
///         .build();
///     sleep(Duration::from_millis(2500)).await;
///     node::pause(n);
///     sleep(Duration::from_secs(10)).await;
///     assert_eq!(ticks.get(), 2); // nothing ran while paused
///     node::resume(n);
///     sleep(Duration::from_millis(100)).await;
///     assert_eq!(ticks.get(), 3); // the late timer fired once it resumed
/// }).unwrap();
/// ```
#[track_caller]
pub fn pause(id: NodeId) {
    let result = with_node("sim::node::pause", id, |core, nodes, record| {
        match record.status {
            NodeStatus::Down => {
                return Err(NodeError::Down {
                    node: record.name.to_string(),
                });
            }
            NodeStatus::Paused => return Ok(()),
            NodeStatus::Running => {}
        }
        tracing::debug!(target: "sim", node = %record.name, "pause");
        core.hold_group(record.group);
        nodes.0.borrow_mut().nodes[id.0 as usize].status = NodeStatus::Paused;
        Ok(())
    });
    or_panic("sim::node::pause", result.and_then(|r| r));
}

/// Resumes a paused node: the wakes kept while it was paused let its tasks run, in the order
/// they arrived. Resuming a running node does nothing.
///
/// # Panics
///
/// Outside a running simulation, if `id` names no node of this run, or if the node is down.
///
/// ```
/// use sim::node;
///
/// sim::Runtime::new(0).block_on(async {
///     let n = node::Builder::new("n").build();
///     node::pause(n);
///     let job = node::spawn_on(n, async { 42 }).unwrap();
///     node::resume(n);
///     assert_eq!(job.await.unwrap(), 42);
/// }).unwrap();
/// ```
#[track_caller]
pub fn resume(id: NodeId) {
    let result = with_node("sim::node::resume", id, |core, nodes, record| {
        match record.status {
            NodeStatus::Down => {
                return Err(NodeError::Down {
                    node: record.name.to_string(),
                });
            }
            NodeStatus::Running => return Ok(()),
            NodeStatus::Paused => {}
        }
        tracing::debug!(target: "sim", node = %record.name, "resume");
        core.release_group(record.group);
        nodes.0.borrow_mut().nodes[id.0 as usize].status = NodeStatus::Running;
        Ok(())
    });
    or_panic("sim::node::resume", result.and_then(|r| r));
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
        (0..n as u32).map(NodeId).collect()
    })
}
