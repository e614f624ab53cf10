//! Addresses: what `bind`, `connect` and `send_to` accept, and how a node's name becomes its
//! address.

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};

use crate::engine::context;

/// Something that names one or more socket addresses of the simulated network: a
/// [`SocketAddr`], an `(IpAddr, u16)` pair, or a string `"host:port"` whose host is an IP
/// address, `localhost`, or the name of a node of the run.
///
/// The trait is sealed: its one method is the simulation's own.
///
/// ```
/// use sim::net::{lookup_host, UdpSocket};
///
/// sim::Runtime::new(0).block_on(async {
///     let db = sim::node::Builder::new("db").build();
///     let addrs: Vec<_> = lookup_host("db:5432").await.unwrap().collect();
///     assert_eq!(addrs, vec![std::net::SocketAddr::new(sim::node::ip(db), 5432)]);
///     // The same forms work anywhere an address is asked for.
///     let socket = UdpSocket::bind(("0.0.0.0", 0)).await.unwrap();
///     socket.send_to(b"hi", "db:9").await.unwrap();
/// }).unwrap();
/// ```
pub trait ToSocketAddrs: sealed::Resolve {}

pub(crate) mod sealed {
    use std::io;
    use std::net::{IpAddr, SocketAddr};

    /// How a [`ToSocketAddrs`](super::ToSocketAddrs) value is turned into addresses.
    pub trait Resolve {
        /// The addresses named, with `lookup` for host names.
        fn resolve(&self, lookup: &dyn Fn(&str) -> Option<IpAddr>) -> io::Result<Vec<SocketAddr>>;
    }
}

use sealed::Resolve;

macro_rules! direct {
    ($($t:ty),*) => {$(
        impl Resolve for $t {
            fn resolve(&self, _: &dyn Fn(&str) -> Option<IpAddr>) -> io::Result<Vec<SocketAddr>> {
                Ok(vec![SocketAddr::from(*self)])
            }
        }
        impl ToSocketAddrs for $t {}
    )*};
}

direct!(
    SocketAddr,
    SocketAddrV4,
    SocketAddrV6,
    (IpAddr, u16),
    (Ipv4Addr, u16),
    (Ipv6Addr, u16)
);

impl Resolve for (&str, u16) {
    fn resolve(&self, lookup: &dyn Fn(&str) -> Option<IpAddr>) -> io::Result<Vec<SocketAddr>> {
        let (host, port) = *self;
        Ok(vec![SocketAddr::new(host_ip(host, lookup)?, port)])
    }
}
impl ToSocketAddrs for (&str, u16) {}

impl Resolve for (String, u16) {
    fn resolve(&self, lookup: &dyn Fn(&str) -> Option<IpAddr>) -> io::Result<Vec<SocketAddr>> {
        (self.0.as_str(), self.1).resolve(lookup)
    }
}
impl ToSocketAddrs for (String, u16) {}

impl Resolve for str {
    fn resolve(&self, lookup: &dyn Fn(&str) -> Option<IpAddr>) -> io::Result<Vec<SocketAddr>> {
        if let Ok(addr) = self.parse::<SocketAddr>() {
            return Ok(vec![addr]);
        }
        let Some((host, port)) = self.rsplit_once(':') else {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("sim::net: `{self}` is not `host:port`"),
            ));
        };
        let port: u16 = port.parse().map_err(|_| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("sim::net: `{port}` in `{self}` is not a port number"),
            )
        })?;
        (host, port).resolve(lookup)
    }
}
impl ToSocketAddrs for str {}

impl Resolve for String {
    fn resolve(&self, lookup: &dyn Fn(&str) -> Option<IpAddr>) -> io::Result<Vec<SocketAddr>> {
        self.as_str().resolve(lookup)
    }
}
impl ToSocketAddrs for String {}

impl<T: Resolve + ?Sized> Resolve for &T {
    fn resolve(&self, lookup: &dyn Fn(&str) -> Option<IpAddr>) -> io::Result<Vec<SocketAddr>> {
        (**self).resolve(lookup)
    }
}
impl<T: ToSocketAddrs + ?Sized> ToSocketAddrs for &T {}

/// A host part: an IP address, `localhost`, or a node's name.
fn host_ip(host: &str, lookup: &dyn Fn(&str) -> Option<IpAddr>) -> io::Result<IpAddr> {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    if let Ok(ip) = bare.parse::<IpAddr>() {
        return Ok(ip);
    }
    if host == "localhost" {
        return Ok(IpAddr::V4(Ipv4Addr::LOCALHOST));
    }
    lookup(host).ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::NotFound,
            format!("sim::net: no node of this run is named `{host}`"),
        )
    })
}

/// Resolves `addr` in the current run; an empty result is an error.
pub(super) fn resolve(
    what: &str,
    addr: &(impl ToSocketAddrs + ?Sized),
) -> io::Result<Vec<SocketAddr>> {
    let addrs = context::with_core(what, |core| {
        addr.resolve(&|name| crate::node::named(core, name).map(|id| host_addr(core, id)))
    })?;
    if addrs.is_empty() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{what}: no address to use"),
        ));
    }
    Ok(addrs)
}

fn host_addr(core: &crate::engine::Core, id: crate::node::NodeId) -> IpAddr {
    crate::node::host(core, id).map_or(crate::node::HARNESS_IP, |(ip, _, _)| ip)
}

/// The addresses `host` names: a node's name becomes its address.
///
/// # Errors
///
/// `NotFound` for a name that is no node of the run; `InvalidInput` for a string that is not
/// `host:port`.
///
/// # Panics
///
/// Outside a running simulation.
///
/// ```
/// sim::Runtime::new(0).block_on(async {
///     let web = sim::node::Builder::new("web").build();
///     let mut addrs = sim::net::lookup_host(("web", 80)).await.unwrap();
///     assert_eq!(addrs.next().unwrap().to_string(), "10.0.0.1:80");
///     assert!(sim::net::lookup_host("nowhere:80").await.is_err());
/// }).unwrap();
/// ```
pub async fn lookup_host(host: impl ToSocketAddrs) -> io::Result<impl Iterator<Item = SocketAddr>> {
    Ok(resolve("sim::net::lookup_host", &host)?.into_iter())
}
