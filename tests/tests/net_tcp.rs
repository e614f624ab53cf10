//! TCP on the simulated network: ordered bytes, backpressure, half-close, refusals, resets on
//! a crash, partitions that stall and time out, ports freed by a crash.

use std::cell::{Cell, RefCell};
use std::io::ErrorKind;
use std::rc::Rc;

use futures::{AsyncReadExt, AsyncWriteExt};
use sim::Builder;
use sim::check::Check;
use sim::net::{self, Latency, Link, TcpListener, TcpStream};
use sim::node::{self, NodeId};
use sim::time::{Duration, Instant, sleep};

/// A node that echoes every byte it reads on port 7, per connection.
fn echo_server(name: &str) -> NodeId {
    node::Builder::new(name)
        .init(|| async {
            let listener = TcpListener::bind("0.0.0.0:7").await.unwrap();
            loop {
                let (mut s, _) = listener.accept().await.unwrap();
                drop(sim::spawn(async move {
                    let mut buf = [0; 1024];
                    loop {
                        match s.read(&mut buf).await {
                            Ok(0) | Err(_) => break,
                            Ok(n) => {
                                if s.write_all(&buf[..n]).await.is_err() {
                                    break;
                                }
                            }
                        }
                    }
                }));
            }
        })
        .build()
}

#[test]
fn bytes_arrive_in_the_order_written_whatever_the_latencies() {
    Check::new().seeds(40).run(|| async {
        net::set_default_link(
            Link::new().latency(Latency::uniform(Duration::ZERO, Duration::from_millis(50))),
        );
        let server = echo_server("server");
        let client = node::Builder::new("client").build();
        let got = node::spawn_on(client, async {
            let s = TcpStream::connect("server:7").await.unwrap();
            let (mut r, mut w) = s.split();
            let writer = async {
                for i in 0..200u32 {
                    w.write_all(&i.to_le_bytes()).await.unwrap();
                }
            };
            let reader = async {
                let mut got = Vec::new();
                let mut word = [0; 4];
                for _ in 0..200 {
                    r.read_exact(&mut word).await.unwrap();
                    got.push(u32::from_le_bytes(word));
                }
                got
            };
            futures::join!(writer, reader).1
        })
        .unwrap()
        .await
        .unwrap();
        assert_eq!(got, (0..200).collect::<Vec<_>>());
        let _ = server;
    });
}

#[test]
fn a_full_send_buffer_makes_the_writer_wait_until_the_peer_reads() {
    Builder::new()
        .build()
        .block_on(async {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            let written = Rc::new(Cell::new(0usize));
            let w = Rc::clone(&written);
            let writer = sim::spawn(async move {
                let mut s = TcpStream::connect(addr).await.unwrap();
                let chunk = vec![7u8; 10_000];
                while w.get() < 1_000_000 {
                    let n = s.write(&chunk).await.unwrap();
                    w.set(w.get() + n);
                }
            });
            let (mut server, _) = listener.accept().await.unwrap();
            sleep(Duration::from_secs(1)).await;
            // Nothing was read: the writer stopped at the buffer's bound, and did not fail.
            assert_eq!(written.get(), 64 * 1024);
            let mut all = Vec::new();
            let mut buf = vec![0; 100_000];
            while all.len() < 1_000_000 {
                let n = server.read(&mut buf).await.unwrap();
                all.extend_from_slice(&buf[..n]);
            }
            writer.await.unwrap();
            assert!(all.iter().all(|&b| b == 7));
        })
        .unwrap();
}

#[test]
fn a_half_closed_stream_still_carries_the_answer() {
    Builder::new()
        .seed(4)
        .build()
        .block_on(async {
            node::Builder::new("upper")
                .init(|| async {
                    let listener = TcpListener::bind("0.0.0.0:80").await.unwrap();
                    let (mut s, _) = listener.accept().await.unwrap();
                    let mut text = String::new();
                    s.read_to_string(&mut text).await.unwrap();
                    s.write_all(text.to_uppercase().as_bytes()).await.unwrap();
                })
                .build();
            let mut s = TcpStream::connect("upper:80").await.unwrap();
            s.write_all(b"quiet").await.unwrap();
            s.close().await.unwrap();
            let err = s.write(b"more").await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::BrokenPipe);
            let mut reply = String::new();
            s.read_to_string(&mut reply).await.unwrap();
            assert_eq!(reply, "QUIET");
        })
        .unwrap();
}

#[test]
fn connecting_where_nothing_listens_is_refused_and_unknown_hosts_are_named() {
    Builder::new()
        .build()
        .block_on(async {
            let idle = node::Builder::new("idle").build();
            let err = TcpStream::connect("idle:80").await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::ConnectionRefused);
            assert!(
                err.to_string().contains("nothing listens on 10.0.0.1:80"),
                "{err}"
            );
            node::crash(idle);
            let err = TcpStream::connect("idle:80").await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::ConnectionRefused);
            let err = TcpStream::connect("10.9.9.9:80").await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::HostUnreachable);
            let err = TcpStream::connect("nobody:80").await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::NotFound);
            assert!(err.to_string().contains("`nobody`"), "{err}");
        })
        .unwrap();
}

#[test]
fn a_crash_of_the_peer_resets_the_connection() {
    Check::new().seeds(30).run(|| async {
        let server = echo_server("server");
        let mut s = TcpStream::connect("server:7").await.unwrap();
        s.write_all(b"x").await.unwrap();
        let mut one = [0; 1];
        s.read_exact(&mut one).await.unwrap();
        node::crash(server);
        let err = s.read(&mut one).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ConnectionReset, "{err}");
        let err = s.write(b"y").await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ConnectionReset, "{err}");
    });
}

#[test]
fn a_short_partition_delays_bytes_and_a_long_one_times_the_stream_out() {
    Builder::new()
        .seed(9)
        .build()
        .block_on(async {
            let server = echo_server("server");
            let client = node::Builder::new("client").build();
            let arrived = node::spawn_on(client, async move {
                let mut s = TcpStream::connect("server:7").await.unwrap();
                net::partition(node::current(), server);
                s.write_all(b"ping").await.unwrap();
                let mut buf = [0; 4];
                s.read_exact(&mut buf).await.unwrap();
                (Instant::now(), s)
            })
            .unwrap();
            sleep(Duration::from_secs(3)).await;
            let healed = Instant::now();
            net::repair(client, server);
            let (at, mut s) = arrived.await.unwrap();
            assert!(at >= healed, "the echo crossed the partition");
            assert!(at - healed < Duration::from_secs(5), "{:?}", at - healed);

            // A partition longer than the stall timeout resets the stream that is sending.
            net::partition(client, server);
            let started = Instant::now();
            let timed_out = node::spawn_on(client, async move {
                s.write_all(b"lost?").await.unwrap();
                let mut buf = [0; 5];
                s.read_exact(&mut buf).await.unwrap_err()
            })
            .unwrap()
            .await
            .unwrap();
            assert_eq!(timed_out.kind(), ErrorKind::TimedOut, "{timed_out}");
            assert!(Instant::now() - started >= Duration::from_secs(30));
        })
        .unwrap();
}

#[test]
fn a_restarted_node_binds_its_ports_again_and_old_sockets_fail_by_name() {
    Builder::new()
        .build()
        .block_on(async {
            let kept: Rc<RefCell<Option<TcpListener>>> = Rc::new(RefCell::new(None));
            let k = Rc::clone(&kept);
            let bind_errors = Rc::new(RefCell::new(Vec::new()));
            let b = Rc::clone(&bind_errors);
            let n = node::Builder::new("n")
                .init(move || {
                    let (k, b) = (Rc::clone(&k), Rc::clone(&b));
                    async move {
                        match TcpListener::bind("0.0.0.0:80").await {
                            Ok(l) => {
                                if k.borrow().is_none() {
                                    // The first generation keeps its listener outside itself.
                                    *k.borrow_mut() = Some(l);
                                } else {
                                    let (mut s, _) = l.accept().await.unwrap();
                                    s.write_all(b"gen1").await.unwrap();
                                }
                            }
                            Err(e) => b.borrow_mut().push(e.to_string()),
                        }
                    }
                })
                .build();
            sleep(Duration::from_millis(10)).await;
            node::restart(n);
            sleep(Duration::from_millis(10)).await;
            assert!(
                bind_errors.borrow().is_empty(),
                "{:?}",
                bind_errors.borrow()
            );
            let mut s = TcpStream::connect("n:80").await.unwrap();
            let mut reply = String::new();
            s.read_to_string(&mut reply).await.unwrap();
            assert_eq!(reply, "gen1");
            let old = kept.borrow_mut().take().unwrap();
            let err = old.accept().await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::NotConnected);
            assert!(
                err.to_string()
                    .contains("generation 0 of node `n`, which crashed"),
                "{err}"
            );
        })
        .unwrap();
}

#[test]
fn ports_bind_once_and_only_on_the_nodes_own_addresses() {
    Builder::new()
        .build()
        .block_on(async {
            let n = node::Builder::new("n").build();
            let result = node::spawn_on(n, async {
                let a = TcpListener::bind("0.0.0.0:0").await.unwrap();
                let b = TcpListener::bind("10.0.0.1:0").await.unwrap();
                assert_eq!(
                    a.local_addr().unwrap().port() + 1,
                    b.local_addr().unwrap().port()
                );
                let taken = TcpListener::bind("0.0.0.0:80").await.unwrap();
                let again = TcpListener::bind("127.0.0.1:80").await.unwrap_err();
                assert_eq!(again.kind(), ErrorKind::AddrInUse);
                drop(taken);
                TcpListener::bind("0.0.0.0:80").await.unwrap();
                let foreign = TcpListener::bind("10.0.0.2:80").await.unwrap_err();
                assert_eq!(foreign.kind(), ErrorKind::AddrNotAvailable);
                assert!(
                    foreign.to_string().contains("whose address is 10.0.0.1"),
                    "{foreign}"
                );
            });
            result.unwrap().await.unwrap();
        })
        .unwrap();
}

/// The same seed gives the same bytes, latencies and outcome.
#[test]
fn streams_are_deterministic() {
    Check::new()
        .seeds(60)
        .check_determinism(true)
        .run(|| async {
            net::set_default_link(Link::new().latency(Latency::long_tail(
                Duration::from_millis(1),
                Duration::from_millis(20),
                Duration::from_secs(1),
            )));
            echo_server("server");
            let clients: Vec<_> = (0..3)
                .map(|i| {
                    let c = node::Builder::new(format!("c{i}")).build();
                    node::spawn_on(c, async move {
                        let mut s = TcpStream::connect("server:7").await.unwrap();
                        for round in 0..5u8 {
                            s.write_all(&[i, round]).await.unwrap();
                            let mut b = [0; 2];
                            s.read_exact(&mut b).await.unwrap();
                            assert_eq!(b, [i, round]);
                        }
                        Instant::now()
                    })
                    .unwrap()
                })
                .collect();
            for c in clients {
                c.await.unwrap();
            }
        });
}

#[test]
fn a_held_stream_waits_past_the_stall_timeout_and_delivers_at_the_release() {
    Builder::new()
        .seed(2)
        .build()
        .block_on(async {
            let server = echo_server("server");
            let client = node::Builder::new("client").build();
            net::hold(client, server);
            let echoed = node::spawn_on(client, async {
                let mut s = TcpStream::connect("server:7").await.unwrap();
                s.write_all(b"held").await.unwrap();
                let mut buf = [0; 4];
                s.read_exact(&mut buf).await.map(|()| (buf, Instant::now()))
            })
            .unwrap();
            // Twice the stall timeout: a hold delays, it does not break the connection.
            sleep(Duration::from_secs(60)).await;
            let released = Instant::now();
            net::release(client, server);
            let (buf, at) = echoed.await.unwrap().unwrap();
            assert_eq!(&buf, b"held");
            assert!(at >= released);
        })
        .unwrap();
}

#[test]
fn a_deadlock_report_names_the_network_waits() {
    let err = Builder::new()
        .build()
        .block_on(async {
            node::Builder::new("mute")
                .init(|| async {
                    let listener = TcpListener::bind("0.0.0.0:7").await.unwrap();
                    let (_kept, _) = listener.accept().await.unwrap();
                    // Holds the connection and never writes, and waits for a second one.
                    let _ = listener.accept().await;
                })
                .build();
            let mut s = TcpStream::connect("mute:7").await.unwrap();
            let mut buf = [0; 1];
            let _ = s.read(&mut buf).await;
        })
        .unwrap_err();
    let report = err.to_string();
    assert!(
        report.contains("waiting on bytes from 10.0.0.1:7 on TCP 192.0.2.1:49152"),
        "{report}"
    );
    assert!(
        report.contains("waiting on a connection on TCP 0.0.0.0:7"),
        "{report}"
    );
}
