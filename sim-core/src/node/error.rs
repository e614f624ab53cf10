//! What a node operation reports when it cannot be done.

use std::fmt;
use std::net::IpAddr;

/// Why a node could not be built, found or acted on.
///
/// ```
/// use sim::node::{self, NodeError};
///
/// sim::Runtime::new(0).block_on(async {
///     node::Builder::new("db").build();
///     let again = node::Builder::new("db").try_build();
///     assert!(matches!(again, Err(NodeError::DuplicateName { .. })));
///     assert_eq!(again.unwrap_err().to_string(), "a node named `db` already exists in this run");
/// }).unwrap();
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum NodeError {
    /// A node was given an empty name.
    EmptyName,
    /// Another node of the run has this name.
    DuplicateName {
        /// The name asked for.
        name: String,
    },
    /// Another node of the run has this address.
    DuplicateIp {
        /// The address asked for.
        ip: IpAddr,
        /// The node that has it.
        taken_by: String,
    },
    /// No node of this run has this id (an id from another run, say).
    Unknown {
        /// The id's number.
        node: u32,
    },
    /// The id is [`NodeId::HARNESS`](super::NodeId::HARNESS): tasks outside any node, which
    /// cannot be crashed, paused or spawned on as a node.
    Harness,
    /// The node is down: it crashed and was not restarted.
    Down {
        /// The node's name.
        node: String,
    },
}

impl fmt::Display for NodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NodeError::EmptyName => f.write_str("a node's name must not be empty"),
            NodeError::DuplicateName { name } => {
                write!(f, "a node named `{name}` already exists in this run")
            }
            NodeError::DuplicateIp { ip, taken_by } => {
                write!(f, "address {ip} is already node `{taken_by}`'s")
            }
            NodeError::Unknown { node } => write!(
                f,
                "no node #{node} in this run (node ids belong to the run that built the node)"
            ),
            NodeError::Harness => f.write_str(
                "NodeId::HARNESS stands for tasks outside any node; it is not a node that can be \
                 crashed, restarted, paused or spawned on",
            ),
            NodeError::Down { node } => {
                write!(
                    f,
                    "node `{node}` is down (crashed, and not restarted since)"
                )
            }
        }
    }
}

impl std::error::Error for NodeError {}
