//! `TcpListener`: a bound port that accepts connections.

use std::collections::VecDeque;
use std::fmt;
use std::future::poll_fn;
use std::io;
use std::net::SocketAddr;
use std::rc::Rc;
use std::task::{Poll, Waker};

use super::{ListenerState, TcpStream, abort};
use crate::engine::Core;
use crate::net::addr::{ToSocketAddrs, resolve};
use crate::net::deliver::kick;
use crate::net::fabric::{Net, Proto, SockId, Socket, error, wake_all};
use crate::net::wait::{NetWait, wait_on};

/// A TCP socket that listens for connections on the simulated network.
///
/// ```
/// use futures::{AsyncReadExt, AsyncWriteExt};
/// use sim::net::{TcpListener, TcpStream};
///
/// sim::Runtime::new(2).block_on(async {
///     sim::node::Builder::new("server")
///         .init(|| async {
///             let listener = TcpListener::bind("0.0.0.0:80").await.unwrap();
///             loop {
///                 let (mut stream, _) = listener.accept().await.unwrap();
///                 sim::spawn(async move {
///                     let mut request = String::new();
///                     stream.read_to_string(&mut request).await.unwrap();
///                     stream.write_all(request.to_uppercase().as_bytes()).await.unwrap();
///                 });
///             }
///         })
///         .build();
///     let mut stream = TcpStream::connect("server:80").await.unwrap();
///     stream.write_all(b"hello").await.unwrap();
///     stream.close().await.unwrap(); // half-close: the server sees the end of the request
///     let mut reply = String::new();
///     stream.read_to_string(&mut reply).await.unwrap();
///     assert_eq!(reply, "HELLO");
/// }).unwrap();
/// ```
pub struct TcpListener {
    core: Rc<Core>,
    net: Rc<Net>,
    id: SockId,
    local: SocketAddr,
}

impl fmt::Debug for TcpListener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TcpListener")
            .field("local", &self.local)
            .finish_non_exhaustive()
    }
}

impl TcpListener {
    /// Listens on `addr` on the calling task's node: the node's address, `0.0.0.0` or a
    /// loopback address, and a port (0 for a free ephemeral one).
    ///
    /// # Errors
    ///
    /// `AddrInUse` if the port is taken on this node; `AddrNotAvailable` for an address that
    /// is not the node's; the errors of resolving `addr`.
    ///
    /// # Panics
    ///
    /// Outside a running simulation.
    pub async fn bind(addr: impl ToSocketAddrs) -> io::Result<TcpListener> {
        let addr = resolve("sim::net::TcpListener::bind", &addr)?[0];
        let b = crate::net::bind(
            "sim::net::TcpListener::bind",
            Proto::Tcp,
            addr,
            |owner, local| {
                Socket::Listener(ListenerState {
                    owner,
                    local,
                    backlog: VecDeque::new(),
                    waiters: VecDeque::new(),
                    closed: None,
                })
            },
        )?;
        Ok(TcpListener {
            core: b.core,
            net: b.net,
            id: b.id,
            local: b.local,
        })
    }

    /// The address it listens on (with the port picked for a port 0).
    ///
    /// # Errors
    ///
    /// None in practice; the `Result` is tokio's shape.
    ///
    /// ```
    /// sim::Runtime::new(0).block_on(async {
    ///     let l = sim::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    ///     assert_eq!(l.local_addr().unwrap().port(), 49152);
    /// }).unwrap();
    /// ```
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        Ok(self.local)
    }

    /// Waits for a connection; returns it and the peer's address.
    ///
    /// # Errors
    ///
    /// `NotConnected` once the listener's node has crashed.
    pub async fn accept(&self) -> io::Result<(TcpStream, SocketAddr)> {
        let mut waiting = None;
        poll_fn(|cx| {
            let mut fabric = self.net.0.borrow_mut();
            let Some(Socket::Listener(state)) = fabric.sockets.get_mut(&self.id) else {
                unreachable!("a listener's state lives as long as it does");
            };
            if let Some(why) = &state.closed {
                return Poll::Ready(Err(error(io::ErrorKind::NotConnected, why.clone())));
            }
            if let Some(id) = state.backlog.pop_front() {
                let Some(Socket::Stream(end)) = fabric.sockets.get(&id) else {
                    unreachable!("a backlog holds its ends");
                };
                let (local, peer) = (end.local, end.peer);
                let stream =
                    TcpStream::adopt(Rc::clone(&self.core), Rc::clone(&self.net), id, local, peer);
                return Poll::Ready(Ok((stream, peer)));
            }
            if !state.waiters.iter().any(|w| w.will_wake(cx.waker())) {
                state.waiters.push_back(cx.waker().clone());
            }
            let local = self.local;
            wait_on(&mut waiting, || NetWait::Accept { local });
            Poll::Pending
        })
        .await
    }
}

impl Drop for TcpListener {
    fn drop(&mut self) {
        let mut wakers = Vec::new();
        let mut kicks = Vec::new();
        {
            let mut fabric = self.net.0.borrow_mut();
            if let Some(Socket::Listener(mut state)) = fabric.sockets.remove(&self.id) {
                wake_all(&mut state.waiters, &mut wakers);
                fabric.free_port(state.owner.node, Proto::Tcp, self.local.port(), self.id);
                let now = self.core.now();
                for id in state.backlog {
                    let why = format!(
                        "sim::net: the listener on {} closed before accepting this connection",
                        self.local
                    );
                    kicks.push(abort(&mut fabric, now, id, why, &mut wakers));
                    if let Some(Socket::Stream(end)) = fabric.sockets.get_mut(&id) {
                        end.held = false;
                    }
                }
            }
        }
        for k in kicks {
            kick(&self.core, &self.net, k);
        }
        wakers.into_iter().for_each(Waker::wake);
    }
}
