//! A simulated network between the nodes of a run: TCP streams and UDP datagrams on the
//! run's one seeded scheduler and clock, with latencies, loss, duplication and partitions
//! that are part of the run, so a seed replays them exactly.
//!
//! - **Addresses.** A node's address is the one [`node::Builder`](crate::node::Builder)
//!   gave it; `127.0.0.1` is the node itself; a node's *name* resolves to its address
//!   (`"server:80"`). Tasks outside any node (the test body) are a host too, at
//!   [`HARNESS_IP`](crate::node::HARNESS_IP), which no fault touches. Port 0 binds a free
//!   ephemeral port (49152 up).
//! - **Delivery.** Every message is due at its send time plus a latency drawn from its link
//!   ([`Link`], [`Latency`]; 1–5 ms by default). Nothing is sent on a tick: a delivery task
//!   sleeps until the next deadline, so cost follows messages, not nodes or links.
//! - **Streams** ([`TcpStream`], [`TcpListener`]) are reliable and ordered. A partition
//!   stalls them (they retry with back-off and reset with `TimedOut` after 30 s with nothing
//!   across), a crashed peer resets them, a full send buffer (64 KiB unread) makes a write
//!   wait, and a write side can be closed while reading goes on.
//! - **Datagrams** ([`UdpSocket`]) are lost and copied as the link says, overtake each other
//!   when their latencies do, and are dropped at a partition, at a host that is down, at a
//!   port nobody holds, and at a full socket.
//! - **Faults are decisions.** Whether a datagram is lost or copied is a recorded decision of
//!   the run: a replay repeats it and shrinking pulls it back to "delivered once", so a shrunk
//!   failure keeps the faults it needs. Partitions ([`partition`], [`partition_oneway`],
//!   [`repair`], [`repair_all`]) are checked when a message arrives, so a cut made while a
//!   message is on its way still stops it. [`hold`] keeps messages (in order, without a
//!   stream timing out) until [`release`]: a partition drops, a hold delays.
//! - **Crashes.** When a node crashes, its sockets close at once: its ports are free for the
//!   next generation, its connections reset their peers, and a socket of the old generation
//!   kept somewhere fails every later call with an error naming the crash.
//!
//! ```
//! use futures::{AsyncReadExt, AsyncWriteExt};
//! use sim::net::{TcpListener, TcpStream};
//! use sim::time::{sleep, Duration};
//!
//! sim::Runtime::new(3).block_on(async {
//!     let server = sim::node::Builder::new("server")
//!         .init(|| async {
//!             let listener = TcpListener::bind("0.0.0.0:9000").await.unwrap();
//!             loop {
//!                 let (mut s, _) = listener.accept().await.unwrap();
//!                 sim::spawn(async move {
//!                     let mut buf = [0; 5];
//!                     while s.read_exact(&mut buf).await.is_ok() {
//!                         s.write_all(&buf).await.unwrap();
//!                     }
//!                 });
//!             }
//!         })
//!         .build();
//!     let client = sim::node::Builder::new("client").build();
//!     let echoed = sim::node::spawn_on(client, async {
//!         let mut s = TcpStream::connect("server:9000").await.unwrap();
//!         s.write_all(b"hello").await.unwrap();
//!         let mut buf = [0; 5];
//!         s.read_exact(&mut buf).await.unwrap();
//!         buf
//!     }).unwrap();
//!     assert_eq!(&echoed.await.unwrap(), b"hello");
//!     // The server crashes: the client's connection is reset.
//!     let probe = sim::node::spawn_on(client, async {
//!         let mut s = TcpStream::connect("server:9000").await.unwrap();
//!         sleep(Duration::from_secs(1)).await;
//!         let mut buf = [0; 1];
//!         s.read(&mut buf).await
//!     }).unwrap();
//!     sleep(Duration::from_millis(500)).await;
//!     sim::node::crash(server);
//!     let err = probe.await.unwrap().unwrap_err();
//!     assert_eq!(err.kind(), std::io::ErrorKind::ConnectionReset);
//! }).unwrap();
//! ```

mod addr;
mod deliver;
mod fabric;
mod faults;
mod link;
mod liveness;
mod profile;
mod tcp;
mod udp;
mod wait;

use std::io;
use std::net::{IpAddr, SocketAddr};

pub use self::addr::{ToSocketAddrs, lookup_host};
pub use self::faults::{
    hold, is_partitioned, partition, partition_oneway, release, repair, repair_all,
    set_default_link, set_link,
};
pub use self::link::{Latency, Link};
pub use self::liveness::{eventually, fault_log, quiet};
pub use self::profile::{DrawnFaults, FaultProfile, set_fault_profile};
pub use self::tcp::{TcpListener, TcpStream};
pub use self::udp::{MAX_DATAGRAM, UdpSocket};

use crate::engine::{Core, context};
use crate::node::NodeId;

/// What the network of the current run has done with datagrams so far.
///
/// Lost and duplicated datagrams are the run's faults (its `Net` decisions); dropped ones met
/// a partition, a node that is down, a port nobody holds or a full socket.
///
/// ```
/// use sim::net::{self, UdpSocket};
///
/// sim::Runtime::new(0).block_on(async {
///     let s = UdpSocket::bind("127.0.0.1:0").await.unwrap();
///     let me = s.local_addr().unwrap();
///     s.send_to(b"hi", me).await.unwrap();
///     let mut buf = [0; 2];
///     s.recv_from(&mut buf).await.unwrap();
///     let stats = net::stats();
///     assert_eq!((stats.datagrams_sent, stats.datagrams_delivered), (1, 1));
/// }).unwrap();
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct NetStats {
    /// Datagrams handed to `send_to`.
    pub datagrams_sent: u64,
    /// Datagrams put in a socket's queue (a copy counts again).
    pub datagrams_delivered: u64,
    /// Datagrams the link lost (a fault).
    pub datagrams_lost: u64,
    /// Datagrams the link copied (a fault).
    pub datagrams_duplicated: u64,
    /// Datagrams dropped on arrival: a partition, a node down, a closed port, a full queue.
    pub datagrams_dropped: u64,
}

/// The current run's [`NetStats`].
///
/// # Panics
///
/// Outside a running simulation.
#[track_caller]
pub fn stats() -> NetStats {
    context::with_core("sim::net::stats", |core| {
        fabric::Net::of(core).0.borrow().stats
    })
}

/// The address of host `node` (the harness's for the harness).
fn host_ip(core: &Core, node: NodeId) -> IpAddr {
    crate::node::host(core, node).map_or(crate::node::HARNESS_IP, |(ip, _, _)| ip)
}

/// A socket just bound: the run, its network, the socket's id and address.
struct Bound {
    core: std::rc::Rc<Core>,
    net: std::rc::Rc<fabric::Net>,
    id: fabric::SockId,
    local: SocketAddr,
}

/// Binds a socket of the calling task's node to `addr` (the node's address, `0.0.0.0` or a
/// loopback address; port 0 for a free ephemeral one), made by `make` from its owner and its
/// address.
fn bind(
    what: &str,
    proto: fabric::Proto,
    addr: SocketAddr,
    make: impl FnOnce(fabric::Owner, SocketAddr) -> fabric::Socket,
) -> io::Result<Bound> {
    context::with_core(what, |core| {
        let (node, generation) = crate::node::placement(core);
        let host_ip = host_ip(core, node);
        let ip = addr.ip();
        if !(ip.is_unspecified() || ip.is_loopback() || ip == host_ip) {
            return Err(fabric::error(
                io::ErrorKind::AddrNotAvailable,
                format!("sim::net: cannot bind {addr} on {node}, whose address is {host_ip}"),
            ));
        }
        let net = fabric::Net::of(core);
        let mut f = net.0.borrow_mut();
        let id = f.new_id();
        let port = f.take_port(node, proto, addr.port(), id, host_ip)?;
        let local = SocketAddr::new(ip, port);
        f.sockets
            .insert(id, make(fabric::Owner { node, generation }, local));
        drop(f);
        Ok(Bound {
            core: std::rc::Rc::clone(core),
            net,
            id,
            local,
        })
    })
}
