//! Datagrams: `UdpSocket`. A datagram may be lost, copied or overtaken on its link, and is
//! dropped at a partition, at a host that is down, at a port nobody holds, and at a socket
//! whose queue is full.

use std::collections::VecDeque;
use std::fmt;
use std::future::poll_fn;
use std::io;
use std::net::SocketAddr;
use std::rc::Rc;
use std::task::{Poll, Waker};

use super::addr::{ToSocketAddrs, resolve};
use super::deliver::kick;
use super::fabric::{
    Datagram, Due, Net, Owner, Proto, SockId, Socket, UDP_QUEUE, alive, error, host_of, shown_ip,
    wake_all,
};
use super::wait::{NetWait, wait_on};
use crate::engine::Core;
use crate::record::DecisionKind;

/// The largest datagram that can be sent (as over IPv4).
pub const MAX_DATAGRAM: usize = 65_507;

/// A UDP socket's state in the fabric.
pub(crate) struct UdpState {
    pub(super) owner: Owner,
    pub(super) local: SocketAddr,
    pub(super) queue: VecDeque<(SocketAddr, Vec<u8>)>,
    pub(super) waiters: VecDeque<Waker>,
    /// Why it no longer works, if it does not (its node crashed).
    pub(super) closed: Option<String>,
}

impl UdpState {
    pub(super) fn close(&mut self, wakers: &mut Vec<Waker>) {
        self.closed = Some(format!(
            "sim::net: this UDP socket ({}) belonged to generation {} of node `{}`, which crashed",
            self.local, self.owner.generation, self.owner.node
        ));
        self.queue.clear();
        wake_all(&mut self.waiters, wakers);
    }
}

/// A UDP socket on the simulated network.
///
/// ```
/// use sim::net::UdpSocket;
///
/// sim::Runtime::new(1).block_on(async {
///     let server = sim::node::Builder::new("server")
///         .init(|| async {
///             let socket = UdpSocket::bind("0.0.0.0:7").await.unwrap();
///             let mut buf = [0; 64];
///             loop {
///                 let (n, from) = socket.recv_from(&mut buf).await.unwrap();
///                 socket.send_to(&buf[..n], from).await.unwrap();
///             }
///         })
///         .build();
///     let client = UdpSocket::bind("0.0.0.0:0").await.unwrap();
///     client.send_to(b"echo", "server:7").await.unwrap();
///     let mut buf = [0; 64];
///     let (n, from) = client.recv_from(&mut buf).await.unwrap();
///     assert_eq!((&buf[..n], from.ip()), (&b"echo"[..], sim::node::ip(server)));
/// }).unwrap();
/// ```
pub struct UdpSocket {
    core: Rc<Core>,
    net: Rc<Net>,
    id: SockId,
    local: SocketAddr,
}

impl fmt::Debug for UdpSocket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UdpSocket")
            .field("local", &self.local)
            .finish_non_exhaustive()
    }
}

impl UdpSocket {
    /// Binds a socket on the calling task's node to `addr`: the node's address, `0.0.0.0`
    /// or a loopback address, and a port (0 for a free ephemeral one).
    ///
    /// # Errors
    ///
    /// `AddrInUse` if the port is taken on this node; `AddrNotAvailable` for an address that
    /// is not the node's; the errors of resolving `addr`.
    ///
    /// # Panics
    ///
    /// Outside a running simulation.
    pub async fn bind(addr: impl ToSocketAddrs) -> io::Result<UdpSocket> {
        let addr = resolve("sim::net::UdpSocket::bind", &addr)?[0];
        let b = super::bind(
            "sim::net::UdpSocket::bind",
            Proto::Udp,
            addr,
            |owner, local| {
                Socket::Udp(UdpState {
                    owner,
                    local,
                    queue: VecDeque::new(),
                    waiters: VecDeque::new(),
                    closed: None,
                })
            },
        )?;
        Ok(UdpSocket {
            core: b.core,
            net: b.net,
            id: b.id,
            local: b.local,
        })
    }

    /// The address the socket is bound to (with the port picked for a port 0).
    ///
    /// ```
    /// sim::Runtime::new(0).block_on(async {
    ///     let s = sim::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    ///     assert_eq!(s.local_addr().unwrap().to_string(), "127.0.0.1:49152");
    /// }).unwrap();
    /// ```
    ///
    /// # Errors
    ///
    /// None in practice; the `Result` is tokio's shape.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        Ok(self.local)
    }

    /// Sends `buf` as one datagram to `target`; returns its length. It is in flight when this
    /// returns: a send never waits, and a datagram that cannot be delivered is dropped.
    ///
    /// # Errors
    ///
    /// `InvalidInput` for a datagram above [`MAX_DATAGRAM`] bytes; `HostUnreachable` for an
    /// address no host has; `NotConnected` once the socket's node has crashed; the errors of
    /// resolving `target`.
    pub async fn send_to(&self, buf: &[u8], target: impl ToSocketAddrs) -> io::Result<usize> {
        let to = resolve("sim::net::UdpSocket::send_to", &target)?[0];
        if buf.len() > MAX_DATAGRAM {
            return Err(error(
                io::ErrorKind::InvalidInput,
                format!(
                    "sim::net::UdpSocket::send_to: a datagram of {} bytes is above the {MAX_DATAGRAM}-byte limit",
                    buf.len()
                ),
            ));
        }
        let core = &self.core;
        let kicks = {
            let mut fabric = self.net.0.borrow_mut();
            let Some(Socket::Udp(state)) = fabric.sockets.get(&self.id) else {
                unreachable!("a UdpSocket's state lives as long as it does");
            };
            if let Some(why) = &state.closed {
                return Err(error(io::ErrorKind::NotConnected, why.clone()));
            }
            let owner = state.owner;
            let from_host = owner.node;
            let Some(to_host) = host_of(core, from_host, to.ip()) else {
                return Err(error(
                    io::ErrorKind::HostUnreachable,
                    format!(
                        "sim::net::UdpSocket::send_to: no host has the address {}",
                        to.ip()
                    ),
                ));
            };
            let from = SocketAddr::new(
                shown_ip(self.local.ip(), super::host_ip(core, from_host), to.ip()),
                self.local.port(),
            );
            let link = fabric.link(from_host, to_host);
            let (loss, dup) = link.map_or((0.0, 0.0), |l| (l.loss_rate(), l.duplicate_rate()));
            fabric.stats.datagrams_sent += 1;
            let copies = if core.choose_rare(DecisionKind::Net, 2, loss) == 1 {
                fabric.stats.datagrams_lost += 1;
                tracing::debug!(target: "sim::net", %from, %to, len = buf.len(), "datagram lost");
                0
            } else if core.choose_rare(DecisionKind::Net, 2, dup) == 1 {
                fabric.stats.datagrams_duplicated += 1;
                tracing::debug!(target: "sim::net", %from, %to, len = buf.len(), "datagram duplicated");
                2
            } else {
                1
            };
            let mut kicks = Vec::new();
            for _ in 0..copies {
                let at = core
                    .now()
                    .saturating_add(fabric.latency(from_host, to_host));
                fabric.next_datagram += 1;
                let key = fabric.next_datagram;
                fabric.datagrams.insert(
                    key,
                    Datagram {
                        from,
                        from_host,
                        to,
                        to_host,
                        bytes: buf.to_vec(),
                    },
                );
                kicks.push(fabric.schedule(at, Due::Datagram(key)));
            }
            kicks
        };
        for k in kicks {
            kick(core, &self.net, k);
        }
        Ok(buf.len())
    }

    /// Waits for a datagram; copies it into `buf` (cutting what does not fit, as UDP does)
    /// and returns its length as copied and its sender.
    ///
    /// # Errors
    ///
    /// `NotConnected` once the socket's node has crashed.
    pub async fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        let mut waiting = None;
        poll_fn(|cx| {
            let mut fabric = self.net.0.borrow_mut();
            let Some(Socket::Udp(state)) = fabric.sockets.get_mut(&self.id) else {
                unreachable!("a UdpSocket's state lives as long as it does");
            };
            if let Some(why) = &state.closed {
                return Poll::Ready(Err(error(io::ErrorKind::NotConnected, why.clone())));
            }
            if let Some((from, bytes)) = state.queue.pop_front() {
                let n = bytes.len().min(buf.len());
                buf[..n].copy_from_slice(&bytes[..n]);
                return Poll::Ready(Ok((n, from)));
            }
            if !state.waiters.iter().any(|w| w.will_wake(cx.waker())) {
                state.waiters.push_back(cx.waker().clone());
            }
            let local = self.local;
            wait_on(&mut waiting, || NetWait::Recv { local });
            Poll::Pending
        })
        .await
    }
}

impl Drop for UdpSocket {
    fn drop(&mut self) {
        let mut wakers = Vec::new();
        {
            let mut fabric = self.net.0.borrow_mut();
            if let Some(Socket::Udp(mut state)) = fabric.sockets.remove(&self.id) {
                wake_all(&mut state.waiters, &mut wakers);
                fabric.free_port(state.owner.node, Proto::Udp, self.local.port(), self.id);
            }
        }
        wakers.into_iter().for_each(Waker::wake);
    }
}

/// Delivers datagram `key`: into its socket's queue (its waiters go into `wakers`), or
/// dropped, or parked at a hold.
pub(super) fn deliver(
    core: &Core,
    fabric: &mut super::fabric::Fabric,
    key: u64,
    wakers: &mut Vec<Waker>,
) {
    let Some(d) = fabric.datagrams.get(&key) else {
        return;
    };
    let (from_host, to_host) = (d.from_host, d.to_host);
    if !fabric.is_cut(from_host, to_host)
        && fabric.park_if_held(from_host, to_host, super::fabric::Due::Datagram(key))
    {
        return;
    }
    let d = fabric.datagrams.remove(&key).expect("looked up above");
    if fabric.is_cut(d.from_host, d.to_host) {
        tracing::debug!(target: "sim::net", from = %d.from, to = %d.to, "datagram dropped by a partition");
        fabric.stats.datagrams_dropped += 1;
        return;
    }
    let Some(&id) = fabric.ports.get(&(d.to_host, Proto::Udp, d.to.port())) else {
        tracing::debug!(target: "sim::net", from = %d.from, to = %d.to, "datagram to a closed port");
        fabric.stats.datagrams_dropped += 1;
        return;
    };
    let Some(Socket::Udp(state)) = fabric.sockets.get_mut(&id) else {
        return;
    };
    if state.closed.is_some() || !alive(core, state.owner) || state.queue.len() >= UDP_QUEUE {
        tracing::debug!(target: "sim::net", from = %d.from, to = %d.to, "datagram dropped at its socket");
        fabric.stats.datagrams_dropped += 1;
        return;
    }
    state.queue.push_back((d.from, d.bytes));
    wake_all(&mut state.waiters, wakers);
    fabric.stats.datagrams_delivered += 1;
}
