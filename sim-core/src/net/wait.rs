//! What a task blocked on the network waits for, so that a deadlock report names it ("waiting
//! on bytes from 10.0.0.2:7 on TCP 10.0.0.1:49152") instead of an anonymous pending future.

use std::fmt;
use std::net::SocketAddr;
use std::rc::Rc;

use crate::engine::WaitTarget;
use crate::sync::Waiting;

/// A network wait, as a deadlock report shows it.
pub(super) enum NetWait {
    Recv { local: SocketAddr },
    Accept { local: SocketAddr },
    Connect { local: SocketAddr, peer: SocketAddr },
    Read { local: SocketAddr, peer: SocketAddr },
    Write { local: SocketAddr, peer: SocketAddr },
}

impl fmt::Display for NetWait {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NetWait::Recv { local } => write!(f, "a datagram on UDP {local}"),
            NetWait::Accept { local } => write!(f, "a connection on TCP {local}"),
            NetWait::Connect { local, peer } => {
                write!(f, "a TCP connection from {local} to {peer}")
            }
            NetWait::Read { local, peer } => write!(f, "bytes from {peer} on TCP {local}"),
            NetWait::Write { local, peer } => write!(
                f,
                "room to write to {peer} on TCP {local} (its send buffer is full)"
            ),
        }
    }
}

impl WaitTarget for NetWait {}

/// Counts the running task as waiting on `what` until `slot` is cleared (or dropped); a task
/// already counted is left as it is.
pub(super) fn wait_on(slot: &mut Option<Waiting>, what: impl FnOnce() -> NetWait) {
    if slot.is_none() {
        *slot = Some(Waiting::new(Rc::new(what())));
    }
}
