//! The nodes of one run: names, addresses, generations and the engine group of each
//! generation. Kept in the run's extension slots, so the engine never names a node.
//!
//! Invariants:
//! - node ids are dense, in the order the nodes were built; names and addresses are unique.
//! - a node's current generation owns exactly one engine group while the node is up; a crash
//!   kills that group and the node keeps no group until it boots again, in a new group.
//! - every engine group a node ever had maps back to the node and that generation, so a task
//!   of a crashed generation (its destructor, say) still knows where it ran.
//! - the registry is never borrowed while user code runs (an `init` closure, a future).

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::future::Future;
use std::net::{IpAddr, Ipv4Addr};
use std::pin::Pin;
use std::rc::Rc;

use super::{NodeError, NodeId, NodeStatus};

/// What a node runs at each boot.
pub(super) type Init = Rc<dyn Fn() -> Pin<Box<dyn Future<Output = ()>>>>;

/// One node.
pub(super) struct Record {
    pub(super) name: Rc<str>,
    pub(super) ip: IpAddr,
    pub(super) init: Option<Init>,
    pub(super) status: NodeStatus,
    /// Boots so far, minus one: 0 for the first boot.
    pub(super) generation: u64,
    /// The engine group of the current generation (meaningless while down).
    pub(super) group: u32,
}

/// Every node of the run.
#[derive(Default)]
pub(super) struct Registry {
    pub(super) nodes: Vec<Record>,
    by_name: BTreeMap<Rc<str>, NodeId>,
    by_ip: BTreeMap<IpAddr, NodeId>,
    /// Engine group to (node, generation), for every group a node ever had.
    by_group: BTreeMap<u32, (NodeId, u64)>,
    /// How many addresses were handed out automatically.
    auto_ips: u32,
}

/// Told of each crash (the network closes the node's sockets), after the node is down and
/// before any task of the crashed generation is dropped.
pub(crate) type CrashHook = Rc<dyn Fn(&Rc<crate::engine::Core>, NodeId)>;

/// The registry as a run's extension slot, and the hooks layers above register.
#[derive(Default)]
pub(super) struct Nodes(
    pub(super) RefCell<Registry>,
    pub(super) RefCell<Vec<CrashHook>>,
);

impl Registry {
    pub(super) fn get(&self, id: NodeId) -> Result<&Record, NodeError> {
        if id == NodeId::HARNESS {
            return Err(NodeError::Harness);
        }
        self.nodes
            .get(id.index() as usize)
            .ok_or(NodeError::Unknown { node: id.index() })
    }

    /// Checks a new node's name and address, picking an address when none was asked for.
    pub(super) fn admit(&mut self, name: &str, ip: Option<IpAddr>) -> Result<IpAddr, NodeError> {
        if name.is_empty() {
            return Err(NodeError::EmptyName);
        }
        if self.by_name.contains_key(name) {
            return Err(NodeError::DuplicateName {
                name: name.to_string(),
            });
        }
        if let Some(ip) = ip {
            if ip == super::HARNESS_IP {
                return Err(NodeError::DuplicateIp {
                    ip,
                    taken_by: "harness".to_string(),
                });
            }
            if let Some(&other) = self.by_ip.get(&ip) {
                return Err(NodeError::DuplicateIp {
                    ip,
                    taken_by: self.nodes[other.index() as usize].name.to_string(),
                });
            }
            return Ok(ip);
        }
        // 10.0.0.1, 10.0.0.2, ...: the next one no node has taken.
        loop {
            self.auto_ips += 1;
            let ip = IpAddr::V4(Ipv4Addr::from(0x0a00_0000 + self.auto_ips));
            if !self.by_ip.contains_key(&ip) {
                return Ok(ip);
            }
        }
    }

    pub(super) fn insert(&mut self, record: Record) -> NodeId {
        let id = NodeId::new(u32::try_from(self.nodes.len()).expect("fewer than 2^32 nodes"));
        self.by_name.insert(Rc::clone(&record.name), id);
        self.by_ip.insert(record.ip, id);
        self.nodes.push(record);
        id
    }

    pub(super) fn booted(&mut self, id: NodeId, group: u32) {
        let record = &mut self.nodes[id.index() as usize];
        record.group = group;
        record.status = NodeStatus::Running;
        self.by_group.insert(group, (id, record.generation));
    }

    pub(super) fn by_name(&self, name: &str) -> Option<NodeId> {
        self.by_name.get(name).copied()
    }

    pub(super) fn by_ip(&self, ip: IpAddr) -> Option<NodeId> {
        self.by_ip.get(&ip).copied()
    }

    /// The node and generation an engine group belongs to.
    pub(super) fn of_group(&self, group: u32) -> Option<(NodeId, u64)> {
        self.by_group.get(&group).copied()
    }
}
