//! Streams: `TcpListener` and `TcpStream`, reliable and ordered bytes over the fabric.
//!
//! Each end of a connection keeps a *pipe*: the segments it sent that have not arrived, in
//! order, each with the instant it is due (never before the one ahead of it). A segment that
//! meets a partition is not lost: it is tried again after a back-off (200 ms, doubling to
//! 5 s), and a pipe that gets nothing across for 30 s gives up and resets its end with
//! `TimedOut`. A writer may have at most 64 KiB written and not yet read by its peer; beyond
//! that a write waits.
//!
//! Invariants:
//! - an end is removed from the fabric once nobody holds it (no `TcpStream`, not in a
//!   listener's backlog) and its pipe is empty, so what it sent before being dropped still
//!   arrives, its FIN last.
//! - `unacked` of an end is the bytes it wrote that its peer has not read (or discarded);
//!   reading wakes the writer.

mod listener;
mod stream;

use std::collections::VecDeque;
use std::io;
use std::net::SocketAddr;
use std::task::Waker;
use std::time::Duration;

pub use self::listener::TcpListener;
pub use self::stream::TcpStream;

use super::fabric::{
    BACKLOG, Due, Fabric, Owner, Proto, RTO_MAX, RTO_MIN, STALL_TIMEOUT, SockId, Socket, Wake,
    alive, shown_ip, wake_all,
};
use crate::engine::Core;
use crate::node::NodeId;
use crate::record::Instant;

/// A listener's state in the fabric.
pub(crate) struct ListenerState {
    pub(super) owner: Owner,
    pub(super) local: SocketAddr,
    pub(super) backlog: VecDeque<SockId>,
    pub(super) waiters: VecDeque<Waker>,
    pub(super) closed: Option<String>,
}

impl ListenerState {
    /// Closes the listener for a crash; returns its backlog, to be reset.
    pub(super) fn close(&mut self, wakers: &mut Vec<Waker>) -> Vec<SockId> {
        self.closed = Some(format!(
            "sim::net: this listener ({}) belonged to generation {} of node `{}`, which crashed",
            self.local, self.owner.generation, self.owner.node
        ));
        wake_all(&mut self.waiters, wakers);
        self.backlog.drain(..).collect()
    }
}

/// Where an end is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Phase {
    /// Its SYN is on the way (a client end).
    Connecting,
    /// Bytes flow.
    Open,
    /// Reset, refused, timed out or crashed: `error` says which.
    Closed,
}

/// What a segment carries.
#[derive(Debug)]
pub(super) enum Seg {
    Syn,
    SynAck,
    Data(Vec<u8>),
    Fin,
    Rst,
}

#[derive(Debug)]
pub(super) struct Segment {
    pub(super) at: Instant,
    pub(super) seg: Seg,
}

/// An end's segments in flight, in order.
pub(super) struct Pipe {
    pub(super) queue: VecDeque<Segment>,
    /// The deadline of the last segment pushed: a later one is never due before it.
    pub(super) last: Instant,
    /// The deadline the front is scheduled for in the fabric's `due` (other entries for this
    /// pipe are stale).
    pub(super) scheduled: Option<Instant>,
    /// Since when the front has failed to cross, and the next back-off.
    pub(super) stall: Option<(Instant, Duration)>,
}

/// One end of a connection.
pub(crate) struct End {
    pub(super) owner: Owner,
    pub(super) local: SocketAddr,
    pub(super) peer: SocketAddr,
    pub(super) peer_host: NodeId,
    pub(super) peer_id: Option<SockId>,
    pub(super) phase: Phase,
    pub(super) recv: VecDeque<u8>,
    pub(super) recv_fin: bool,
    pub(super) error: Option<(io::ErrorKind, String)>,
    pub(super) unacked: usize,
    pub(super) write_shut: bool,
    pub(super) reader: Option<Waker>,
    pub(super) writer: Option<Waker>,
    pub(super) out: Pipe,
    /// Whether a `TcpStream` or a listener's backlog holds it.
    pub(super) held: bool,
    /// Whether it holds its local port (a client end's ephemeral port).
    pub(super) holds_port: bool,
}

impl End {
    pub(super) fn new(
        owner: Owner,
        local: SocketAddr,
        peer: SocketAddr,
        peer_host: NodeId,
        now: Instant,
    ) -> End {
        End {
            owner,
            local,
            peer,
            peer_host,
            peer_id: None,
            phase: Phase::Connecting,
            recv: VecDeque::new(),
            recv_fin: false,
            error: None,
            unacked: 0,
            write_shut: false,
            reader: None,
            writer: None,
            out: Pipe {
                queue: VecDeque::new(),
                last: now,
                scheduled: None,
                stall: None,
            },
            held: true,
            holds_port: false,
        }
    }

    fn fail(&mut self, kind: io::ErrorKind, why: String, wakers: &mut Vec<Waker>) {
        if self.error.is_none() {
            self.error = Some((kind, why));
        }
        self.phase = Phase::Closed;
        wakers.extend(self.reader.take());
        wakers.extend(self.writer.take());
    }
}

fn end(fabric: &mut Fabric, id: SockId) -> Option<&mut End> {
    match fabric.sockets.get_mut(&id) {
        Some(Socket::Stream(e)) => Some(e),
        _ => None,
    }
}

/// Sends `seg` from end `id` toward its peer, behind what it sent before.
pub(super) fn push(fabric: &mut Fabric, now: Instant, id: SockId, seg: Seg) -> Wake {
    let Some(e) = end(fabric, id) else {
        return Wake::Nothing;
    };
    let (from, to) = (e.owner.node, e.peer_host);
    let latency = fabric.latency(from, to);
    let e = end(fabric, id).expect("looked up above");
    let at = e.out.last.max(now.saturating_add(latency));
    e.out.last = at;
    e.out.queue.push_back(Segment { at, seg });
    if e.out.queue.len() == 1 {
        e.out.scheduled = Some(at);
        return fabric.schedule(at, Due::Pipe(id));
    }
    Wake::Nothing
}

/// Removes end `id` if nobody holds it and it has nothing left to send.
fn reap(fabric: &mut Fabric, id: SockId) {
    let Some(e) = end(fabric, id) else {
        return;
    };
    if e.held || !e.out.queue.is_empty() {
        return;
    }
    let (host, port, holds) = (e.owner.node, e.local.port(), e.holds_port);
    fabric.sockets.remove(&id);
    if holds {
        fabric.free_port(host, Proto::Tcp, port, id);
    }
}

/// The node of end `id` crashed (or its listener went away before accepting it): it resets
/// its peer and fails every later operation.
pub(super) fn abort(
    fabric: &mut Fabric,
    now: Instant,
    id: SockId,
    why: String,
    wakers: &mut Vec<Waker>,
) -> Wake {
    let Some(e) = end(fabric, id) else {
        return Wake::Nothing;
    };
    if e.phase == Phase::Closed {
        return Wake::Nothing;
    }
    e.fail(io::ErrorKind::NotConnected, why, wakers);
    push(fabric, now, id, Seg::Rst)
}

/// Delivers what is due at the front of end `id`'s pipe (its entry in `due` was for `at`).
pub(super) fn deliver(
    core: &Core,
    fabric: &mut Fabric,
    id: SockId,
    at: Instant,
    wakers: &mut Vec<Waker>,
    kicks: &mut Vec<Wake>,
) {
    let now = core.now();
    match end(fabric, id) {
        Some(e) if e.out.scheduled == Some(at) => e.out.scheduled = None,
        _ => return, // a stale entry: the pipe was rescheduled, or the end is gone
    }
    loop {
        let e = end(fabric, id).expect("checked above");
        let Some(front) = e.out.queue.front() else {
            reap(fabric, id);
            return;
        };
        if front.at > now {
            let due = front.at;
            e.out.scheduled = Some(due);
            kicks.push(fabric.schedule(due, Due::Pipe(id)));
            return;
        }
        let (from, to) = (e.owner.node, e.peer_host);
        if fabric.is_cut(from, to) {
            stall(fabric, now, id, wakers, kicks);
            return;
        }
        if fabric.park_if_held(from, to, Due::Pipe(id)) {
            // Held, not lost: no back-off and no timeout; a release makes it due again.
            let e = end(fabric, id).expect("checked above");
            e.out.stall = None;
            e.out.scheduled = None;
            return;
        }
        let e = end(fabric, id).expect("checked above");
        e.out.stall = None;
        let seg = e.out.queue.pop_front().expect("a front").seg;
        arrive(core, fabric, now, id, seg, wakers, kicks);
    }
}

/// The front segment of end `id` could not cross a partition.
fn stall(
    fabric: &mut Fabric,
    now: Instant,
    id: SockId,
    wakers: &mut Vec<Waker>,
    kicks: &mut Vec<Wake>,
) {
    let e = end(fabric, id).expect("a stalled end exists");
    let (since, rto) = *e.out.stall.get_or_insert((now, RTO_MIN));
    if now.saturating_duration_since(since) >= STALL_TIMEOUT {
        let why = format!(
            "sim::net: nothing {} sent reached {} for {:?} (a partition?)",
            e.local, e.peer, STALL_TIMEOUT
        );
        tracing::debug!(target: "sim::net", local = %e.local, peer = %e.peer, "stream timed out");
        e.out.queue.clear();
        e.out.stall = None;
        e.fail(io::ErrorKind::TimedOut, why, wakers);
        reap(fabric, id);
        return;
    }
    let retry = now.saturating_add(rto);
    e.out.stall = Some((since, (rto * 2).min(RTO_MAX)));
    let front = e.out.queue.front_mut().expect("a stalled front");
    front.at = retry;
    e.out.last = e.out.last.max(retry);
    e.out.scheduled = Some(retry);
    kicks.push(fabric.schedule(retry, Due::Pipe(id)));
}

/// Segment `seg` from end `id` arrives where it is going.
fn arrive(
    core: &Core,
    fabric: &mut Fabric,
    now: Instant,
    id: SockId,
    seg: Seg,
    wakers: &mut Vec<Waker>,
    kicks: &mut Vec<Wake>,
) {
    let e = end(fabric, id).expect("the sender exists");
    let (local, peer, peer_host, peer_id) = (e.local, e.peer, e.peer_host, e.peer_id);
    if let Seg::Syn = seg {
        let listener = fabric
            .ports
            .get(&(peer_host, Proto::Tcp, peer.port()))
            .copied();
        let accepted =
            listener.and_then(|lid| accept_syn(core, fabric, now, lid, id, wakers, kicks));
        if accepted.is_none() {
            let owner = e_owner(fabric, id);
            let back = fabric.latency(peer_host, owner);
            kicks.push(fabric.schedule(now.saturating_add(back), Due::Refused(id)));
        }
        return;
    }
    let target = peer_id.and_then(|p| end(fabric, p).map(|_| p));
    let Some(target) = target else {
        // The peer end is gone: whatever this end sends is answered by a reset.
        if let Seg::Data(_) | Seg::Fin = seg {
            let e = end(fabric, id).expect("the sender exists");
            e.fail(
                io::ErrorKind::ConnectionReset,
                format!("sim::net: connection to {peer} reset (the peer's socket is closed)"),
                wakers,
            );
        }
        return;
    };
    let t = end(fabric, target).expect("checked above");
    match seg {
        Seg::Syn => unreachable!("handled above"),
        Seg::SynAck => {
            if t.phase == Phase::Connecting {
                t.phase = Phase::Open;
                wakers.extend(t.writer.take());
            }
        }
        Seg::Data(bytes) => {
            if !t.held || t.phase == Phase::Closed {
                let n = bytes.len();
                kicks.push(push(fabric, now, target, Seg::Rst));
                let e = end(fabric, id).expect("the sender exists");
                e.unacked = e.unacked.saturating_sub(n);
                return;
            }
            t.recv.extend(bytes);
            wakers.extend(t.reader.take());
        }
        Seg::Fin => {
            t.recv_fin = true;
            wakers.extend(t.reader.take());
        }
        Seg::Rst => {
            if t.phase != Phase::Closed {
                t.out.queue.clear();
                t.fail(
                    io::ErrorKind::ConnectionReset,
                    format!(
                        "sim::net: connection {} <-> {local} reset by the peer",
                        t.local
                    ),
                    wakers,
                );
            }
            reap(fabric, target);
        }
    }
}

fn e_owner(fabric: &mut Fabric, id: SockId) -> NodeId {
    end(fabric, id).map_or(NodeId::HARNESS, |e| e.owner.node)
}

/// A SYN from client end `client` reached listener `lid`: the server's end is made and put
/// in the backlog, and answers with a SYN-ACK. `None` if the listener cannot take it.
fn accept_syn(
    core: &Core,
    fabric: &mut Fabric,
    now: Instant,
    lid: SockId,
    client: SockId,
    wakers: &mut Vec<Waker>,
    kicks: &mut Vec<Wake>,
) -> Option<()> {
    let (client_addr, client_host) = {
        let c = end(fabric, client)?;
        (c.local, c.owner.node)
    };
    let Some(Socket::Listener(l)) = fabric.sockets.get(&lid) else {
        return None;
    };
    if l.closed.is_some() || !alive(core, l.owner) || l.backlog.len() >= BACKLOG {
        return None;
    }
    let (owner, bound) = (l.owner, l.local);
    let host_ip = super::host_ip(core, owner.node);
    let local = SocketAddr::new(
        shown_ip(bound.ip(), host_ip, client_addr.ip()),
        bound.port(),
    );
    let id = fabric.new_id();
    let mut server = End::new(owner, local, client_addr, client_host, now);
    server.phase = Phase::Open;
    server.peer_id = Some(client);
    fabric.sockets.insert(id, Socket::Stream(server));
    if let Some(c) = end(fabric, client) {
        c.peer_id = Some(id);
    }
    let Some(Socket::Listener(l)) = fabric.sockets.get_mut(&lid) else {
        unreachable!("looked up above");
    };
    l.backlog.push_back(id);
    wake_all(&mut l.waiters, wakers);
    kicks.push(push(fabric, now, id, Seg::SynAck));
    Some(())
}

/// The connect of end `id` was refused.
pub(super) fn refused(fabric: &mut Fabric, id: SockId, wakers: &mut Vec<Waker>) {
    if let Some(e) = end(fabric, id)
        && e.phase == Phase::Connecting
    {
        let why = format!(
            "sim::net: connection refused: nothing listens on {}",
            e.peer
        );
        e.out.queue.clear();
        e.fail(io::ErrorKind::ConnectionRefused, why, wakers);
        reap(fabric, id);
    }
}
