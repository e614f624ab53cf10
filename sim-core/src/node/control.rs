//! What happens to a node: tasks spawned on it, crash, restart, pause and resume.

use std::future::Future;
use std::panic::Location;
use std::rc::Rc;

use super::builder::boot;
use super::registry::{Nodes, Record};
use super::{NodeError, NodeId, NodeStatus, or_panic, with_node};
use crate::engine::Core;
use crate::task::JoinHandle;

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
/// The node is down at once ([`status`](super::status) says so), and its tasks are dropped as soon as the
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

fn kill(core: &Rc<Core>, nodes: &Nodes, id: NodeId, record: &Record) {
    if record.status == NodeStatus::Down {
        return;
    }
    tracing::debug!(target: "sim", node = %record.name, generation = record.generation, "crash");
    core.kill_group(record.group);
    nodes.0.borrow_mut().nodes[id.index() as usize].status = NodeStatus::Down;
    let hooks = nodes.1.borrow().clone();
    for hook in hooks {
        hook(core, id);
    }
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
            nodes.0.borrow_mut().nodes[id.index() as usize].generation += 1;
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
    hold("sim::node::pause", id, Hold::Pause);
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
    hold("sim::node::resume", id, Hold::Resume);
}

/// Which way [`hold`] moves a node.
#[derive(Clone, Copy)]
enum Hold {
    /// `Running -> Paused`.
    Pause,
    /// `Paused -> Running`.
    Resume,
}

/// Pauses or resumes node `id`; the other state is left as it is, and a node that is down
/// is an error.
#[track_caller]
fn hold(what: &str, id: NodeId, how: Hold) {
    let result = with_node(what, id, |core, nodes, record| {
        let (from, to) = match how {
            Hold::Pause => (NodeStatus::Running, NodeStatus::Paused),
            Hold::Resume => (NodeStatus::Paused, NodeStatus::Running),
        };
        if record.status == NodeStatus::Down {
            return Err(NodeError::Down {
                node: record.name.to_string(),
            });
        }
        if record.status != from {
            return Ok(());
        }
        match how {
            Hold::Pause => {
                tracing::debug!(target: "sim", node = %record.name, "pause");
                core.hold_group(record.group);
            }
            Hold::Resume => {
                tracing::debug!(target: "sim", node = %record.name, "resume");
                core.release_group(record.group);
            }
        }
        nodes.0.borrow_mut().nodes[id.index() as usize].status = to;
        Ok(())
    });
    or_panic(what, result.and_then(|r| r));
}
