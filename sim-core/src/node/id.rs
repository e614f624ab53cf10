//! Node ids and where a node is in its life.

use std::fmt;
use std::rc::Rc;

use super::nodes;
use crate::engine::context;

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
    pub(crate) const fn new(index: u32) -> NodeId {
        NodeId(index)
    }

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
