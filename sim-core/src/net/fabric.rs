//! The network of one run: every socket, which port each holds, what is in flight, the links
//! and the partitions. Kept in the run's extension slots, so the engine names none of it.
//!
//! Invariants:
//! - the fabric is never borrowed while user code runs: wakers are collected under the borrow
//!   and woken after it is released.
//! - socket ids are never reused, so a stale id names nothing rather than a newer socket; the
//!   maps are ordered, so every walk over them (a crash closing a node's sockets) is in the
//!   same order on every run.
//! - everything in flight is in `due`, keyed by (deadline, send order): the delivery task
//!   wakes at the earliest deadline, and messages due at the same instant are delivered in the
//!   order they were sent.
//! - a stream's segments leave its pipe only from the front, so bytes arrive in the order
//!   they were written, whatever the latencies drawn.

use std::cell::RefCell;
use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, BinaryHeap, VecDeque};
use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::rc::Rc;
use std::task::Waker;
use std::time::Duration;

use super::link::Link;
use crate::engine::Core;
use crate::node::{NodeId, NodeStatus};
use crate::record::Instant;
use crate::sched::{SimRng, Stream};

/// A socket's number in its run.
pub(super) type SockId = u64;

/// Which port space a port is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Proto {
    Tcp,
    Udp,
}

/// The first port `bind(…:0)` and `connect` hand out.
const EPHEMERAL: u16 = 49_152;

/// A stream's bytes written and not yet read by the peer, at most (a write beyond waits).
pub(super) const SEND_BUFFER: usize = 64 * 1024;
/// Datagrams queued on a socket and not yet received, at most (more are dropped).
pub(super) const UDP_QUEUE: usize = 256;
/// Connections arrived and not yet accepted, at most (more are refused).
pub(super) const BACKLOG: usize = 128;
/// The first wait before a stream segment that could not cross a partition is tried again.
pub(super) const RTO_MIN: Duration = Duration::from_millis(200);
/// The longest wait between tries.
pub(super) const RTO_MAX: Duration = Duration::from_secs(5);
/// How long a stream (or a connect) tries to get a segment across before it gives up and
/// resets with `TimedOut`.
pub(super) const STALL_TIMEOUT: Duration = Duration::from_secs(30);

/// Which generation of which host a socket belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Owner {
    pub(super) node: NodeId,
    pub(super) generation: u64,
}

/// One socket of the run.
pub(super) enum Socket {
    Udp(super::udp::UdpState),
    Listener(super::tcp::ListenerState),
    Stream(super::tcp::End),
}

/// Something in flight, due at a deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Due {
    /// A datagram, by its number in `datagrams`.
    Datagram(u64),
    /// The front of a stream end's outgoing pipe.
    Pipe(SockId),
    /// A connect refused (no listener): the client learns it after the way back.
    Refused(SockId),
}

/// A datagram on its way.
pub(super) struct Datagram {
    pub(super) from: SocketAddr,
    pub(super) from_host: NodeId,
    pub(super) to: SocketAddr,
    pub(super) to_host: NodeId,
    pub(super) bytes: Vec<u8>,
}

/// The delivery task's state.
#[derive(Default)]
pub(super) struct Courier {
    /// Whether the delivery task exists.
    pub(super) running: bool,
    /// The deadline it sleeps until, and its waker, to wake it for an earlier one.
    pub(super) until: Option<Instant>,
    pub(super) waker: Option<Waker>,
}

/// The network of one run.
pub(super) struct Fabric {
    pub(super) rng: SimRng,
    pub(super) next_socket: SockId,
    pub(super) sockets: BTreeMap<SockId, Socket>,
    pub(super) ports: BTreeMap<(NodeId, Proto, u16), SockId>,
    pub(super) ephemeral: BTreeMap<NodeId, u16>,
    pub(super) due: BinaryHeap<Reverse<(Instant, u64, Due)>>,
    pub(super) sent: u64,
    pub(super) next_datagram: u64,
    pub(super) datagrams: BTreeMap<u64, Datagram>,
    pub(super) default_link: Link,
    pub(super) links: BTreeMap<(NodeId, NodeId), Link>,
    /// One-way cuts, `(from, to)`: a message from `from` to `to` does not arrive.
    pub(super) cuts: BTreeSet<(NodeId, NodeId)>,
    /// Held ways, `(from, to)`: a message from `from` to `to` waits for a release.
    pub(super) holds: BTreeSet<(NodeId, NodeId)>,
    /// What arrived at a held way, in arrival order.
    pub(super) parked: BTreeMap<(NodeId, NodeId), Vec<Due>>,
    pub(super) courier: Courier,
    pub(super) stats: super::NetStats,
    /// Whether a fault profile was set (once per run).
    pub(super) profile_set: bool,
    /// Whether the profile's fault task is still injecting, and who waits for it to end.
    pub(super) faults_running: bool,
    pub(super) quiet_waiters: Vec<Waker>,
    /// The timed faults injected so far.
    pub(super) fault_log: Vec<String>,
}

/// The fabric as a run's extension slot.
pub(super) struct Net(pub(super) RefCell<Fabric>);

impl Net {
    /// This run's network, made (and told of crashes) on first use.
    pub(super) fn of(core: &Core) -> Rc<Net> {
        let mut made = false;
        let net = core.local(|core| {
            made = true;
            Net(RefCell::new(Fabric {
                rng: SimRng::new(core.seed(), Stream::Net),
                next_socket: 0,
                sockets: BTreeMap::new(),
                ports: BTreeMap::new(),
                ephemeral: BTreeMap::new(),
                due: BinaryHeap::new(),
                sent: 0,
                next_datagram: 0,
                datagrams: BTreeMap::new(),
                default_link: Link::new(),
                links: BTreeMap::new(),
                cuts: BTreeSet::new(),
                holds: BTreeSet::new(),
                parked: BTreeMap::new(),
                courier: Courier::default(),
                stats: super::NetStats::default(),
                profile_set: false,
                faults_running: false,
                quiet_waiters: Vec::new(),
                fault_log: Vec::new(),
            }))
        });
        if made {
            let weak = Rc::downgrade(&net);
            crate::node::on_crash(
                core,
                Rc::new(move |core: &Rc<Core>, node| {
                    if let Some(net) = weak.upgrade() {
                        let (wakers, kicks) = net.0.borrow_mut().crash(node, core.now());
                        for kick in kicks {
                            super::deliver::kick(core, &net, kick);
                        }
                        wakers.into_iter().for_each(Waker::wake);
                    }
                }),
            );
        }
        net
    }
}

/// An `io::Error` of `kind` whose message names the problem.
pub(super) fn error(kind: io::ErrorKind, message: String) -> io::Error {
    io::Error::new(kind, message)
}

/// The host that `ip` reaches from `from`: itself for a loopback address.
pub(super) fn host_of(core: &Core, from: NodeId, ip: IpAddr) -> Option<NodeId> {
    if ip.is_loopback() {
        return Some(from);
    }
    crate::node::at_ip(core, ip)
}

impl Fabric {
    pub(super) fn new_id(&mut self) -> SockId {
        self.next_socket += 1;
        self.next_socket
    }

    /// The link from `from` to `to`, or `None` for a host talking to itself.
    pub(super) fn link(&self, from: NodeId, to: NodeId) -> Option<Link> {
        if from == to {
            return None;
        }
        if from == NodeId::HARNESS || to == NodeId::HARNESS {
            // The harness is never faulted: its links have the default latency only.
            return Some(Link::new().latency(self.default_link.latency_of()));
        }
        let key = (from.min(to), from.max(to));
        Some(*self.links.get(&key).unwrap_or(&self.default_link))
    }

    /// A latency drawn for one message from `from` to `to` (zero on a host's own loopback).
    pub(super) fn latency(&mut self, from: NodeId, to: NodeId) -> Duration {
        match self.link(from, to) {
            None => Duration::ZERO,
            Some(link) => link.latency_of().sample(&mut self.rng),
        }
    }

    /// Whether a message from `from` to `to` is cut off by a partition.
    pub(super) fn is_cut(&self, from: NodeId, to: NodeId) -> bool {
        from != to && !self.cuts.is_empty() && self.cuts.contains(&(from, to))
    }

    /// Whether a message from `from` to `to` must wait for a release; if so, it is parked.
    pub(super) fn park_if_held(&mut self, from: NodeId, to: NodeId, what: Due) -> bool {
        if from == to || self.holds.is_empty() || !self.holds.contains(&(from, to)) {
            return false;
        }
        self.parked.entry((from, to)).or_default().push(what);
        true
    }

    /// Releases the way from `from` to `to`: what waited there is due now, in the order it
    /// arrived.
    pub(super) fn release_way(&mut self, from: NodeId, to: NodeId, now: Instant) -> Vec<Wake> {
        self.holds.remove(&(from, to));
        let parked = self.parked.remove(&(from, to)).unwrap_or_default();
        let mut kicks = Vec::new();
        for what in parked {
            if let Due::Pipe(id) = what {
                match self.sockets.get_mut(&id) {
                    Some(Socket::Stream(e))
                        if e.out.scheduled.is_none() && !e.out.queue.is_empty() =>
                    {
                        e.out.scheduled = Some(now);
                    }
                    _ => continue,
                }
            }
            kicks.push(self.schedule(now, what));
        }
        kicks
    }

    /// Puts `what` in flight until `at`. Returns whether the delivery task must be started.
    pub(super) fn schedule(&mut self, at: Instant, what: Due) -> Wake {
        self.sent += 1;
        self.due.push(Reverse((at, self.sent, what)));
        if !self.courier.running {
            self.courier.running = true;
            return Wake::Start;
        }
        match self.courier.until {
            Some(until) if at < until => match self.courier.waker.take() {
                Some(w) => Wake::Courier(w),
                None => Wake::Nothing,
            },
            _ => Wake::Nothing,
        }
    }

    /// Takes port `port` (0: the next free ephemeral one) for `socket` on `host`.
    pub(super) fn take_port(
        &mut self,
        host: NodeId,
        proto: Proto,
        port: u16,
        socket: SockId,
        shown: IpAddr,
    ) -> io::Result<u16> {
        if port != 0 {
            if self.ports.contains_key(&(host, proto, port)) {
                return Err(error(
                    io::ErrorKind::AddrInUse,
                    format!("sim::net: {proto:?} port {port} of {shown} is already bound"),
                ));
            }
            self.ports.insert((host, proto, port), socket);
            return Ok(port);
        }
        let start = *self.ephemeral.get(&host).unwrap_or(&EPHEMERAL);
        let mut candidate = start;
        loop {
            let next = if candidate == u16::MAX {
                EPHEMERAL
            } else {
                candidate + 1
            };
            if let std::collections::btree_map::Entry::Vacant(slot) =
                self.ports.entry((host, proto, candidate))
            {
                slot.insert(socket);
                self.ephemeral.insert(host, next);
                return Ok(candidate);
            }
            candidate = next;
            if candidate == start {
                return Err(error(
                    io::ErrorKind::AddrInUse,
                    format!("sim::net: every ephemeral {proto:?} port of {shown} is in use"),
                ));
            }
        }
    }

    /// Frees `port` if `socket` holds it.
    pub(super) fn free_port(&mut self, host: NodeId, proto: Proto, port: u16, socket: SockId) {
        if self.ports.get(&(host, proto, port)) == Some(&socket) {
            self.ports.remove(&(host, proto, port));
        }
    }

    /// Node `node` crashed: every socket of it closes (streams reset their peers), its ports
    /// are free for the next generation. Returns the wakers to wake, and what the resets put
    /// in flight asks of the delivery task.
    fn crash(&mut self, node: NodeId, now: Instant) -> (Vec<Waker>, Vec<Wake>) {
        let mine: Vec<SockId> = self
            .sockets
            .iter()
            .filter(|(_, s)| s.owner().node == node)
            .map(|(&id, _)| id)
            .collect();
        let mut wakers = Vec::new();
        let mut kicks = Vec::new();
        for id in mine {
            self.close_for_crash(id, now, &mut wakers, &mut kicks);
        }
        (wakers, kicks)
    }

    fn close_for_crash(
        &mut self,
        id: SockId,
        now: Instant,
        wakers: &mut Vec<Waker>,
        starts: &mut Vec<Wake>,
    ) {
        let Some(socket) = self.sockets.get_mut(&id) else {
            return;
        };
        match socket {
            Socket::Udp(u) => {
                let (host, port) = (u.owner.node, u.local.port());
                u.close(wakers);
                self.free_port(host, Proto::Udp, port, id);
            }
            Socket::Listener(l) => {
                let (host, port) = (l.owner.node, l.local.port());
                let backlog: Vec<SockId> = l.close(wakers);
                self.free_port(host, Proto::Tcp, port, id);
                for end in backlog {
                    let why = "sim::net: the node crashed before this connection was accepted"
                        .to_string();
                    starts.push(super::tcp::abort(self, now, end, why, wakers));
                    if let Some(Socket::Stream(e)) = self.sockets.get_mut(&end) {
                        e.held = false;
                    }
                }
            }
            Socket::Stream(e) => {
                let why = format!(
                    "sim::net: this connection ({} <-> {}) belonged to generation {} of node `{}`, which crashed",
                    e.local, e.peer, e.owner.generation, e.owner.node
                );
                starts.push(super::tcp::abort(self, now, id, why, wakers));
            }
        }
    }
}

/// What a caller must do after putting something in flight.
#[must_use]
pub(super) enum Wake {
    Nothing,
    /// Start the delivery task.
    Start,
    /// Wake the delivery task: something is due before it would wake.
    Courier(Waker),
}

impl Socket {
    pub(super) fn owner(&self) -> Owner {
        match self {
            Socket::Udp(u) => u.owner,
            Socket::Listener(l) => l.owner,
            Socket::Stream(e) => e.owner,
        }
    }
}

/// `ip` as the address a socket of `host` shows for itself when talking to `peer`: an
/// unspecified bind shows the host's address (or loopback, to a loopback peer).
pub(super) fn shown_ip(bound: IpAddr, host_ip: IpAddr, peer: IpAddr) -> IpAddr {
    if !bound.is_unspecified() {
        return bound;
    }
    if peer.is_loopback() {
        IpAddr::V4(Ipv4Addr::LOCALHOST)
    } else {
        host_ip
    }
}

/// Whether `host` is running generation `generation` (a socket of it may be used).
pub(super) fn alive(core: &Core, owner: Owner) -> bool {
    matches!(
        crate::node::host(core, owner.node),
        Some((_, status, generation)) if status != NodeStatus::Down && generation == owner.generation
    )
}

/// Moves every waker waiting on a socket into `out`, to be woken once the fabric is released.
pub(super) fn wake_all(waiters: &mut VecDeque<Waker>, out: &mut Vec<Waker>) {
    out.extend(waiters.drain(..));
}
