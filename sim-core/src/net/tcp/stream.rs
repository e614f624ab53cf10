//! `TcpStream`: one end of a connection, as `futures::io::{AsyncRead, AsyncWrite}`.

use std::fmt;
use std::future::poll_fn;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use futures::io::{AsyncRead, AsyncWrite};

use super::{End, Phase, Seg, push};
use crate::engine::{Core, context};
use crate::net::addr::{ToSocketAddrs, resolve};
use crate::net::deliver::kick;
use crate::net::fabric::{
    Net, Owner, Proto, SEND_BUFFER, SockId, Socket, error, host_of, shown_ip,
};
use crate::net::wait::{NetWait, wait_on};
use crate::sync::Waiting;

/// One end of a TCP connection on the simulated network: ordered, reliable bytes, with a
/// bounded send buffer (a write waits while 64 KiB are unread by the peer), half-close
/// ([`AsyncWriteExt::close`](futures::AsyncWriteExt::close) sends the end of the stream and
/// leaves reading open), and a reset when the peer's node crashes.
///
/// See [`TcpListener`](super::TcpListener) for a server and client together.
///
/// ```
/// use futures::{AsyncReadExt, AsyncWriteExt};
/// use sim::net::{TcpListener, TcpStream};
///
/// sim::Runtime::new(0).block_on(async {
///     let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
///     let addr = listener.local_addr().unwrap();
///     let client = sim::spawn(async move {
///         let mut s = TcpStream::connect(addr).await.unwrap();
///         s.write_all(b"ping").await.unwrap();
///         let mut pong = [0; 4];
///         s.read_exact(&mut pong).await.unwrap();
///         pong
///     });
///     let (mut s, _) = listener.accept().await.unwrap();
///     let mut ping = [0; 4];
///     s.read_exact(&mut ping).await.unwrap();
///     s.write_all(b"pong").await.unwrap();
///     assert_eq!(&client.await.unwrap(), b"pong");
/// }).unwrap();
/// ```
pub struct TcpStream {
    core: Rc<Core>,
    net: Rc<Net>,
    id: SockId,
    local: SocketAddr,
    peer: SocketAddr,
    /// Counts the task as waiting (for deadlock reports) while a read or a write is pending.
    reading: Option<Waiting>,
    writing: Option<Waiting>,
}

impl fmt::Debug for TcpStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TcpStream")
            .field("local", &self.local)
            .field("peer", &self.peer)
            .finish_non_exhaustive()
    }
}

impl TcpStream {
    /// A stream for an end the fabric made (an accepted connection).
    pub(super) fn adopt(
        core: Rc<Core>,
        net: Rc<Net>,
        id: SockId,
        local: SocketAddr,
        peer: SocketAddr,
    ) -> TcpStream {
        TcpStream {
            core,
            net,
            id,
            local,
            peer,
            reading: None,
            writing: None,
        }
    }

    /// Connects from the calling task's node to `addr`.
    ///
    /// # Errors
    ///
    /// `ConnectionRefused` when nothing listens there (the host is down, or no listener has
    /// the port); `TimedOut` when no answer crosses for 30 s (a partition);
    /// `HostUnreachable` for an address no host has; the errors of resolving `addr`.
    ///
    /// # Panics
    ///
    /// Outside a running simulation.
    pub async fn connect(addr: impl ToSocketAddrs) -> io::Result<TcpStream> {
        let to = resolve("sim::net::TcpStream::connect", &addr)?[0];
        let (core, net, id, local) = context::with_core("sim::net::TcpStream::connect", |core| {
            let (node, generation) = crate::node::placement(core);
            let Some(to_host) = host_of(core, node, to.ip()) else {
                return Err(error(
                    io::ErrorKind::HostUnreachable,
                    format!(
                        "sim::net::TcpStream::connect: no host has the address {}",
                        to.ip()
                    ),
                ));
            };
            let host_ip = crate::net::host_ip(core, node);
            let net = Net::of(core);
            let now = core.now();
            let kick_of = {
                let mut fabric = net.0.borrow_mut();
                let id = fabric.new_id();
                let ip = shown_ip(std::net::Ipv4Addr::UNSPECIFIED.into(), host_ip, to.ip());
                let port = fabric.take_port(node, Proto::Tcp, 0, id, host_ip)?;
                let local = SocketAddr::new(ip, port);
                let mut end = End::new(Owner { node, generation }, local, to, to_host, now);
                end.holds_port = true;
                fabric.sockets.insert(id, Socket::Stream(end));
                (id, local, push(&mut fabric, now, id, Seg::Syn))
            };
            kick(core, &net, kick_of.2);
            Ok((Rc::clone(core), net, kick_of.0, kick_of.1))
        })?;
        let stream = TcpStream::adopt(core, net, id, local, to);
        let mut waiting = None;
        poll_fn(|cx| {
            let mut fabric = stream.net.0.borrow_mut();
            let end = stream.end(&mut fabric);
            match end.phase {
                Phase::Open => Poll::Ready(Ok(())),
                Phase::Closed => Poll::Ready(Err(end.error_now())),
                Phase::Connecting => {
                    end.writer = Some(cx.waker().clone());
                    wait_on(&mut waiting, || NetWait::Connect { local, peer: to });
                    Poll::Pending
                }
            }
        })
        .await?;
        Ok(stream)
    }

    fn end<'a>(&self, fabric: &'a mut crate::net::fabric::Fabric) -> &'a mut End {
        match fabric.sockets.get_mut(&self.id) {
            Some(Socket::Stream(end)) => end,
            _ => unreachable!("a stream's end lives as long as it does"),
        }
    }

    /// This end's address.
    ///
    /// # Errors
    ///
    /// None in practice; the `Result` is tokio's shape.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        Ok(self.local)
    }

    /// The other end's address.
    ///
    /// # Errors
    ///
    /// None in practice; the `Result` is tokio's shape.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        Ok(self.peer)
    }

    /// Does nothing: segments are never coalesced here. Kept for tokio's shape.
    ///
    /// # Errors
    ///
    /// Never.
    pub fn set_nodelay(&self, _nodelay: bool) -> io::Result<()> {
        Ok(())
    }
}

impl End {
    fn error_now(&self) -> io::Error {
        match &self.error {
            Some((kind, why)) => error(*kind, why.clone()),
            None => error(
                io::ErrorKind::NotConnected,
                "sim::net: the connection is closed".into(),
            ),
        }
    }
}

impl TcpStream {
    /// A read now: `Pending` (with the waker kept) if nothing has arrived.
    fn try_read(&self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        let mut wake = None;
        let result = {
            let mut fabric = self.net.0.borrow_mut();
            let end = self.end(&mut fabric);
            if !end.recv.is_empty() {
                let n = end.recv.len().min(buf.len());
                for (slot, byte) in buf.iter_mut().zip(end.recv.drain(..n)) {
                    *slot = byte;
                }
                if let Some(peer) = end.peer_id
                    && let Some(Socket::Stream(p)) = fabric.sockets.get_mut(&peer)
                {
                    p.unacked = p.unacked.saturating_sub(n);
                    wake = p.writer.take();
                }
                Poll::Ready(Ok(n))
            } else if end.recv_fin {
                Poll::Ready(Ok(0))
            } else if end.phase == Phase::Closed {
                Poll::Ready(Err(end.error_now()))
            } else {
                end.reader = Some(cx.waker().clone());
                Poll::Pending
            }
        };
        if let Some(w) = wake {
            w.wake();
        }
        result
    }

    /// A write now: `Pending` (with the waker kept) while the send buffer is full.
    fn try_write(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let now = self.core.now();
        let kick_of = {
            let mut fabric = self.net.0.borrow_mut();
            let end = self.end(&mut fabric);
            if end.phase == Phase::Closed {
                return Poll::Ready(Err(end.error_now()));
            }
            if end.write_shut {
                return Poll::Ready(Err(error(
                    io::ErrorKind::BrokenPipe,
                    format!("sim::net: {} was closed for writing", self.local),
                )));
            }
            if buf.is_empty() {
                return Poll::Ready(Ok(0));
            }
            let room = SEND_BUFFER.saturating_sub(end.unacked);
            if room == 0 {
                end.writer = Some(cx.waker().clone());
                return Poll::Pending;
            }
            let n = room.min(buf.len());
            end.unacked += n;
            (
                n,
                push(&mut fabric, now, self.id, Seg::Data(buf[..n].to_vec())),
            )
        };
        kick(&self.core, &self.net, kick_of.1);
        Poll::Ready(Ok(kick_of.0))
    }
}

impl AsyncRead for TcpStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let result = this.try_read(cx, buf);
        if result.is_pending() {
            let (local, peer) = (this.local, this.peer);
            wait_on(&mut this.reading, || NetWait::Read { local, peer });
        } else {
            this.reading = None;
        }
        result
    }
}

impl AsyncWrite for TcpStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let result = this.try_write(cx, buf);
        if result.is_pending() {
            let (local, peer) = (this.local, this.peer);
            wait_on(&mut this.writing, || NetWait::Write { local, peer });
        } else {
            this.writing = None;
        }
        result
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let mut fabric = self.net.0.borrow_mut();
        let end = self.end(&mut fabric);
        if end.phase == Phase::Closed {
            return Poll::Ready(Err(end.error_now()));
        }
        Poll::Ready(Ok(()))
    }

    fn poll_close(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let now = self.core.now();
        let wake = {
            let mut fabric = self.net.0.borrow_mut();
            let end = self.end(&mut fabric);
            if end.phase == Phase::Closed || end.write_shut {
                return Poll::Ready(Ok(()));
            }
            end.write_shut = true;
            push(&mut fabric, now, self.id, Seg::Fin)
        };
        kick(&self.core, &self.net, wake);
        Poll::Ready(Ok(()))
    }
}

impl Drop for TcpStream {
    fn drop(&mut self) {
        let now = self.core.now();
        let wake = {
            let mut fabric = self.net.0.borrow_mut();
            let end = self.end(&mut fabric);
            end.held = false;
            let fin = end.phase == Phase::Open && !end.write_shut;
            end.write_shut = true;
            let wake = if fin {
                push(&mut fabric, now, self.id, Seg::Fin)
            } else {
                crate::net::fabric::Wake::Nothing
            };
            super::reap(&mut fabric, self.id);
            wake
        };
        kick(&self.core, &self.net, wake);
    }
}
