//! Building a node, and booting a generation of it.

use std::fmt;
use std::future::Future;
use std::net::IpAddr;
use std::panic::Location;
use std::rc::Rc;

use super::registry::{Init, Nodes, Record};
use super::{NodeError, NodeId, NodeStatus, nodes};
use crate::engine::{Core, context};
use crate::task::JoinHandle;

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

/// Starts the node's current generation: a new group, and `init`'s future in it.
pub(super) fn boot(core: &Rc<Core>, nodes: &Nodes, id: NodeId, at: &'static Location<'static>) {
    let group = core.new_group();
    let (init, name) = {
        let mut registry = nodes.0.borrow_mut();
        registry.booted(id, group);
        let record = &registry.nodes[id.index() as usize];
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
