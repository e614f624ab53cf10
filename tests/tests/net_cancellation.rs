//! Cancelling a network wait at the instant it is granted loses nothing: a connection, a
//! datagram or bytes that arrive for a task aborted in the same step (before it ran again)
//! stay for the next call.
//!
//! Each test delivers at a fixed instant (fixed latency) and aborts the waiting task at that
//! same instant; the seed decides whether the delivery or the abort comes first, and every
//! seed must keep what was delivered.

use std::rc::Rc;
use std::sync::atomic::{AtomicU32, Ordering};

use futures::{AsyncReadExt, AsyncWriteExt, FutureExt};
use sim::check::Check;
use sim::net::{self, Latency, Link, TcpListener, TcpStream, UdpSocket};
use sim::node;
use sim::time::{Duration, sleep};

const LATENCY: Duration = Duration::from_millis(5);

/// Counts the seeds of a test where the abort came after the delivery (so the grant was
/// waiting for a task that would never run again): the race these tests are about.
fn hit(counter: &AtomicU32) {
    counter.fetch_add(1, Ordering::Relaxed);
}

fn fixed_latency() {
    net::set_default_link(Link::new().latency(Latency::fixed(LATENCY)));
}

#[test]
fn an_accept_aborted_as_its_connection_arrives_leaves_it_for_the_next_accept() {
    static RACED: AtomicU32 = AtomicU32::new(0);
    Check::new().seeds(100).run(|| async {
        fixed_latency();
        let listener = Rc::new(TcpListener::bind("0.0.0.0:80").await.unwrap());
        let l = Rc::clone(&listener);
        let first = sim::spawn(async move { l.accept().await.map(|_| ()) });
        let client = node::Builder::new("client").build();
        let connected = node::spawn_on(client, async {
            let mut s = TcpStream::connect((sim::node::HARNESS_IP, 80))
                .await
                .unwrap();
            s.write_all(b"hi").await.unwrap();
        })
        .unwrap();
        // The SYN is due at LATENCY: abort the first accept at that same instant.
        sleep(LATENCY).await;
        first.abort();
        let outcome = first.await;
        if outcome.is_err() {
            // Aborted before it took the connection: the next accept gets it.
            let ready = listener.accept().now_or_never();
            if ready.is_some() {
                hit(&RACED);
            }
            let (mut s, _) = match ready {
                Some(accepted) => accepted.unwrap(),
                None => listener.accept().await.unwrap(),
            };
            let mut buf = [0; 2];
            s.read_exact(&mut buf).await.unwrap();
            assert_eq!(&buf, b"hi");
        }
        connected.await.unwrap();
    });
    assert!(
        RACED.load(Ordering::Relaxed) > 0,
        "no seed aborted after the delivery"
    );
}

#[test]
fn a_recv_aborted_as_its_datagram_arrives_leaves_it_for_the_next_recv() {
    static RACED: AtomicU32 = AtomicU32::new(0);
    Check::new().seeds(100).run(|| async {
        fixed_latency();
        let socket = Rc::new(UdpSocket::bind("0.0.0.0:9").await.unwrap());
        let s = Rc::clone(&socket);
        let first = sim::spawn(async move {
            let mut buf = [0; 4];
            s.recv_from(&mut buf).await.map(|(n, _)| n)
        });
        let sender = node::Builder::new("sender").build();
        node::spawn_on(sender, async {
            let s = UdpSocket::bind("0.0.0.0:0").await.unwrap();
            s.send_to(b"data", (sim::node::HARNESS_IP, 9))
                .await
                .unwrap();
        })
        .unwrap()
        .await
        .unwrap();
        sleep(LATENCY).await;
        let delivered = net::stats().datagrams_delivered == 1;
        first.abort();
        if first.await.is_err() {
            if delivered {
                hit(&RACED);
            }
            let mut buf = [0; 4];
            let (n, _) = socket.recv_from(&mut buf).await.unwrap();
            assert_eq!(&buf[..n], b"data");
        }
    });
    assert!(
        RACED.load(Ordering::Relaxed) > 0,
        "no seed aborted after the delivery"
    );
}

#[test]
fn a_read_aborted_as_its_bytes_arrive_leaves_them_for_the_next_read() {
    static RACED: AtomicU32 = AtomicU32::new(0);
    Check::new().seeds(100).run(|| async {
        fixed_latency();
        let listener = TcpListener::bind("0.0.0.0:80").await.unwrap();
        let writer = node::Builder::new("writer").build();
        let (go_tx, go_rx) = sim::sync::oneshot::channel::<()>();
        let wrote = node::spawn_on(writer, async move {
            let mut s = TcpStream::connect((sim::node::HARNESS_IP, 80))
                .await
                .unwrap();
            go_rx.await.unwrap();
            s.write_all(b"bytes").await.unwrap();
            s
        })
        .unwrap();
        let (stream, _) = listener.accept().await.unwrap();
        let stream = Rc::new(futures::lock::Mutex::new(stream));
        let s = Rc::clone(&stream);
        let first = sim::spawn(async move {
            let mut buf = [0; 5];
            s.lock().await.read_exact(&mut buf).await.map(|()| buf)
        });
        sim::task::yield_now().await; // the first read is waiting
        go_tx.send(()).unwrap();
        let _kept = wrote.await.unwrap();
        // The writer's bytes are due LATENCY after it wrote, which was now.
        sleep(LATENCY).await;
        first.abort();
        if first.await.is_err() {
            let mut s = stream.lock().await;
            let mut buf = [0; 5];
            let ready = s.read(&mut buf).now_or_never();
            let n = match ready {
                Some(n) => {
                    hit(&RACED);
                    n.unwrap()
                }
                None => s.read(&mut buf).await.unwrap(),
            };
            assert_eq!(&buf[..n], b"bytes");
        }
    });
    assert!(
        RACED.load(Ordering::Relaxed) > 0,
        "no seed aborted after the delivery"
    );
}
