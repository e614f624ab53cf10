//! `oneshot`, `mpsc` and `Queue`: delivery, ordering, back-pressure in virtual time, closing,
//! and that a sender or getter cancelled at the moment of the hand-off neither loses nor
//! duplicates a value.

mod support;

use std::cell::{Cell, RefCell};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::rc::Rc;

use sim::sync::{Queue, QueueFull, mpsc, oneshot};
use sim::task::yield_now;
use sim::time::{Duration, elapsed, sleep, timeout};
use support::{finished_or_cancelled, on_every_schedule, panic_message, secs, yield_until};

const SEEDS: u64 = 200;

fn millis(ms: u64) -> Duration {
    Duration::from_millis(ms)
}

/// A value that records its id when dropped, to prove each one ends exactly once.
struct Token {
    id: u32,
    drops: Rc<RefCell<Vec<u32>>>,
}

impl Drop for Token {
    fn drop(&mut self) {
        self.drops.borrow_mut().push(self.id);
    }
}

fn tokens() -> (Rc<RefCell<Vec<u32>>>, impl Fn(u32) -> Token) {
    let drops = Rc::new(RefCell::new(Vec::new()));
    let make = {
        let drops = drops.clone();
        move |id| Token {
            id,
            drops: drops.clone(),
        }
    };
    (drops, make)
}

fn sorted(v: &RefCell<Vec<u32>>) -> Vec<u32> {
    let mut v = v.borrow().clone();
    v.sort_unstable();
    v
}

// ---------------------------------------------------------------------------------------------
// oneshot
// ---------------------------------------------------------------------------------------------

#[test]
fn oneshot_value_delivered_at_send_time() {
    on_every_schedule(SEEDS, || async {
        let (tx, mut rx) = oneshot::channel();
        assert_eq!(rx.try_recv(), Err(oneshot::TryRecvError::Empty));
        let sender = sim::spawn(async move {
            sleep(secs(1)).await;
            tx.send(String::from("seven")).unwrap();
        });
        assert_eq!(rx.await.unwrap(), "seven");
        assert_eq!(elapsed(), secs(1));
        sender.await.unwrap();
    });
}

#[test]
fn oneshot_sender_drop_gives_recv_error() {
    on_every_schedule(SEEDS, || async {
        let (tx, rx) = oneshot::channel::<u32>();
        let sender = sim::spawn(async move {
            sleep(secs(2)).await;
            drop(tx);
        });
        assert_eq!(rx.await, Err(oneshot::RecvError));
        assert_eq!(elapsed(), secs(2));
        sender.await.unwrap();

        let (tx, mut rx) = oneshot::channel::<u32>();
        drop(tx);
        assert_eq!(rx.try_recv(), Err(oneshot::TryRecvError::Closed));
    });
}

#[test]
fn oneshot_send_after_receiver_drop_returns_value() {
    on_every_schedule(SEEDS, || async {
        let (tx, rx) = oneshot::channel();
        let receiver = sim::spawn(async move {
            sleep(secs(1)).await;
            drop(rx);
        });
        assert!(!tx.is_closed());
        receiver.await.unwrap();
        assert!(tx.is_closed());
        assert_eq!(tx.send(vec![1, 2, 3]), Err(vec![1, 2, 3]));
    });
}

#[test]
fn oneshot_value_sent_but_never_received_is_dropped_once() {
    let (drops, token) = tokens();
    let (tx, rx) = oneshot::channel();
    tx.send(token(1)).map_err(|_| ()).unwrap();
    assert!(drops.borrow().is_empty());
    drop(rx);
    assert_eq!(*drops.borrow(), [1]);
}

// ---------------------------------------------------------------------------------------------
// mpsc
// ---------------------------------------------------------------------------------------------

#[test]
fn mpsc_bounded_send_waits_for_room() {
    on_every_schedule(SEEDS, || async {
        let (tx, mut rx) = mpsc::channel(2);
        let sent = Rc::new(RefCell::new(Vec::new()));
        let producer = {
            let sent = sent.clone();
            sim::spawn(async move {
                for v in 0..5u32 {
                    tx.send(v).await.unwrap();
                    sent.borrow_mut().push((v, elapsed()));
                }
            })
        };
        let mut received = Vec::new();
        for _ in 0..5 {
            sleep(secs(1)).await;
            assert!(rx.len() <= 2, "the channel holds more than its capacity");
            received.push((rx.recv().await.unwrap(), elapsed()));
        }
        producer.await.unwrap();
        assert_eq!(rx.recv().await, None);
        // Two fit at once; each later send completes when a receive makes room.
        let expected_sent: Vec<_> = [(0, 0), (1, 0), (2, 1), (3, 2), (4, 3)]
            .map(|(v, t)| (v, secs(t)))
            .into();
        assert_eq!(*sent.borrow(), expected_sent);
        let expected_received: Vec<_> = (0..5).map(|v| (v, secs(u64::from(v) + 1))).collect();
        assert_eq!(received, expected_received);
    });
}

#[test]
fn mpsc_fifo_order_of_values_from_each_sender() {
    on_every_schedule(SEEDS / 2, || async {
        for capacity in [None, Some(1), Some(3)] {
            let (tx, mut rx) = match capacity {
                Some(c) => mpsc::channel(c),
                None => mpsc::unbounded_channel(),
            };
            let producers: Vec<_> = (0..3u32)
                .map(|p| {
                    let tx = tx.clone();
                    sim::spawn(async move {
                        for i in 0..10u32 {
                            if sim::rand::random::<bool>() {
                                yield_now().await;
                            }
                            tx.send((p, i)).await.unwrap();
                        }
                    })
                })
                .collect();
            drop(tx);
            let mut got = Vec::new();
            while let Some(v) = rx.recv().await {
                got.push(v);
            }
            for p in producers {
                p.await.unwrap();
            }
            assert_eq!(got.len(), 30);
            for p in 0..3 {
                let from_p: Vec<_> = got.iter().filter(|v| v.0 == p).map(|v| v.1).collect();
                assert_eq!(
                    from_p,
                    (0..10).collect::<Vec<_>>(),
                    "sender {p}, {capacity:?}"
                );
            }
        }
    });
}

#[test]
fn mpsc_recv_returns_none_after_all_senders_dropped_and_drained() {
    on_every_schedule(SEEDS, || async {
        let (tx, mut rx) = mpsc::channel(4);
        let tx2 = tx.clone();
        let a = sim::spawn(async move {
            tx.send(1).await.unwrap();
            tx.send(2).await.unwrap();
            sleep(secs(1)).await;
            drop(tx);
        });
        let b = sim::spawn(async move {
            sleep(secs(2)).await;
            tx2.send(3).await.unwrap();
            drop(tx2);
        });
        sleep(secs(3)).await; // every sender is gone; three values are still queued
        assert_eq!(rx.len(), 3);
        let mut got = Vec::new();
        while let Some(v) = rx.recv().await {
            got.push(v);
        }
        got.sort_unstable();
        assert_eq!(got, [1, 2, 3]);
        assert_eq!(elapsed(), secs(3));
        assert_eq!(rx.recv().await, None);
        assert_eq!(rx.try_recv(), Err(mpsc::TryRecvError::Disconnected));
        a.await.unwrap();
        b.await.unwrap();
    });
}

#[test]
fn mpsc_recv_waits_then_returns_none_when_last_sender_drops() {
    on_every_schedule(SEEDS, || async {
        let (tx, mut rx) = mpsc::unbounded_channel::<u32>();
        let tx2 = tx.clone();
        let dropper = sim::spawn(async move {
            sleep(secs(1)).await;
            drop(tx);
            sleep(secs(1)).await;
            drop(tx2);
        });
        assert_eq!(rx.recv().await, None);
        assert_eq!(
            elapsed(),
            secs(2),
            "None came before the last sender was dropped"
        );
        dropper.await.unwrap();
    });
}

#[test]
fn mpsc_send_after_receiver_drop_gives_back_value() {
    on_every_schedule(SEEDS, || async {
        let (tx, rx) = mpsc::channel::<String>(1);
        drop(rx);
        assert!(tx.is_closed());
        let err = tx.send(String::from("a")).await.unwrap_err();
        assert_eq!(err.0, "a");
        match tx.try_send(String::from("b")) {
            Err(mpsc::TrySendError::Closed(v)) => assert_eq!(v, "b"),
            other => panic!("expected Closed, got {other:?}"),
        }
    });
}

#[test]
fn mpsc_blocked_send_gets_value_back_when_receiver_drops() {
    on_every_schedule(SEEDS, || async {
        let (drops, token) = tokens();
        let (tx, rx) = mpsc::channel(1);
        tx.try_send(token(0)).map_err(|_| ()).unwrap();
        let t1 = token(1);
        let sender = sim::spawn(async move {
            let back = tx.send(t1).await.unwrap_err().0;
            (back.id, elapsed())
        });
        sleep(secs(1)).await;
        drop(rx); // drops the queued value 0, hands value 1 back to the blocked sender
        assert_eq!(*drops.borrow(), [0]);
        assert_eq!(sender.await.unwrap(), (1, secs(1)));
        assert_eq!(sorted(&drops), [0, 1]);
    });
}

#[test]
fn mpsc_try_send_full() {
    on_every_schedule(SEEDS, || async {
        let (tx, mut rx) = mpsc::channel(1);
        tx.try_send(1).unwrap();
        assert!(matches!(tx.try_send(2), Err(mpsc::TrySendError::Full(2))));
        assert_eq!(rx.len(), 1);
        // A blocked sender is waiting for room: try_send must not jump ahead of it.
        let sender = {
            let tx = tx.clone();
            sim::spawn(async move { tx.send(3).await.unwrap() })
        };
        sleep(secs(1)).await;
        assert!(matches!(tx.try_send(4), Err(mpsc::TrySendError::Full(4))));
        assert_eq!(rx.recv().await, Some(1));
        // Receiving admitted the blocked sender's value, so the channel is full again.
        assert!(matches!(tx.try_send(5), Err(mpsc::TrySendError::Full(5))));
        assert_eq!(rx.recv().await, Some(3));
        tx.try_send(6).unwrap();
        assert_eq!(rx.recv().await, Some(6));
        sender.await.unwrap();
    });
}

#[test]
fn mpsc_send_timeout_at_handoff_instant_each_value_received_exactly_once() {
    let outcomes = on_every_schedule(SEEDS, || async {
        let (drops, token) = tokens();
        let (tx, mut rx) = mpsc::channel(1);
        tx.try_send(token(0)).map_err(|_| ()).unwrap();
        let senders: Vec<_> = (1..=3u32)
            .map(|i| {
                let (tx, t) = (tx.clone(), token(i));
                sim::spawn(async move {
                    // Sender i queues at i*100 ms; every timeout expires at t=1s exactly.
                    let at = u64::from(i) * 100;
                    sleep(millis(at)).await;
                    matches!(timeout(millis(1000 - at), tx.send(t)).await, Ok(Ok(())))
                })
            })
            .collect();
        drop(tx);
        let receiver = sim::spawn(async move {
            sleep(secs(1)).await; // room appears at t=1s, when the timeouts expire
            let mut got = Vec::new();
            while let Some(t) = rx.recv().await {
                got.push(t.id);
            }
            got
        });
        let got = receiver.await.unwrap();
        let mut sent = vec![0];
        for (i, s) in (1..).zip(senders) {
            if s.await.unwrap() {
                sent.push(i);
            }
        }
        // Exactly the values whose send completed, once each, in queue order.
        assert_eq!(got, sent);
        assert_eq!(
            sorted(&drops),
            [0, 1, 2, 3],
            "a value was lost or duplicated"
        );
        got.len()
    });
    let random = &outcomes[..2 * SEEDS as usize];
    assert!(
        random.contains(&1) && random.contains(&4),
        "the tie was not explored"
    );
}

#[test]
fn mpsc_sender_aborted_at_handoff_instant_value_received_at_most_once() {
    let outcomes = on_every_schedule(SEEDS, || async {
        let (drops, token) = tokens();
        let (tx, mut rx) = mpsc::channel(1);
        tx.try_send(token(0)).map_err(|_| ()).unwrap();
        let senders: Vec<_> = (1..=3u32)
            .map(|i| {
                let (tx, t) = (tx.clone(), token(i));
                sim::spawn(async move {
                    sleep(millis(u64::from(i) * 100)).await;
                    tx.send(t).await.is_ok()
                })
            })
            .collect();
        drop(tx);
        let receiver = sim::spawn(async move {
            sleep(secs(1)).await;
            let mut got = Vec::new();
            while let Some(t) = rx.recv().await {
                got.push(t.id);
            }
            got
        });
        let aborter = sim::spawn(async move {
            sleep(secs(1)).await;
            for s in &senders {
                s.abort();
            }
            let mut results = Vec::new();
            for s in senders {
                results.push(finished_or_cancelled(s.await));
            }
            results
        });
        let results = aborter.await.unwrap();
        let got = receiver.await.unwrap();
        assert_eq!(got.first(), Some(&0));
        assert!(
            got.windows(2).all(|w| w[0] < w[1]),
            "out of order or twice: {got:?}"
        );
        for (i, r) in (1..).zip(&results) {
            if *r == Some(true) {
                assert!(got.contains(&i), "value {i} was sent but never received");
            }
        }
        assert_eq!(
            sorted(&drops),
            [0, 1, 2, 3],
            "a value was lost or duplicated"
        );
        // Whether some sender was cancelled after its value had been moved into the channel.
        (1..)
            .zip(&results)
            .any(|(i, r)| r.is_none() && got.contains(&i))
    });
    assert!(
        outcomes[..2 * SEEDS as usize].contains(&true),
        "no seed cancelled a sender between the hand-off and its collection"
    );
}

// ---------------------------------------------------------------------------------------------
// Queue
// ---------------------------------------------------------------------------------------------

#[test]
fn queue_maxsize_blocks_put() {
    on_every_schedule(SEEDS, || async {
        let q = Rc::new(Queue::new(2));
        let put = Rc::new(RefCell::new(Vec::new()));
        let producer = {
            let (q, put) = (q.clone(), put.clone());
            sim::spawn(async move {
                for v in 0..5u32 {
                    q.put(v).await;
                    put.borrow_mut().push((v, elapsed()));
                }
            })
        };
        let mut got = Vec::new();
        for _ in 0..5 {
            sleep(secs(1)).await;
            assert!(q.len() <= 2, "the queue holds more than maxsize");
            got.push((q.get().await, elapsed()));
        }
        producer.await.unwrap();
        let expected_put: Vec<_> = [(0, 0), (1, 0), (2, 1), (3, 2), (4, 3)]
            .map(|(v, t)| (v, secs(t)))
            .into();
        assert_eq!(*put.borrow(), expected_put);
        let expected_got: Vec<_> = (0..5).map(|v| (v, secs(u64::from(v) + 1))).collect();
        assert_eq!(got, expected_got);
        assert!(q.is_empty());
    });
}

#[test]
fn queue_try_put_full_returns_item() {
    let q = Queue::new(1);
    q.try_put('a').unwrap();
    assert!(q.is_full());
    assert_eq!(q.try_put('b'), Err(QueueFull('b')));
    assert_eq!(q.try_get(), Some('a'));
    q.try_put('c').unwrap();
    assert_eq!(q.len(), 1);
}

#[test]
fn queue_get_waits_for_put_in_arrival_order() {
    on_every_schedule(SEEDS, || async {
        let q = Rc::new(Queue::new(0));
        let arrivals = Rc::new(RefCell::new(Vec::new()));
        let getters: Vec<_> = (0..3usize)
            .map(|i| {
                let (q, arrivals) = (q.clone(), arrivals.clone());
                sim::spawn(async move {
                    yield_now().await;
                    arrivals.borrow_mut().push(i);
                    let item = q.get().await; // empty: registers in this step
                    (item, elapsed())
                })
            })
            .collect();
        yield_until(|| arrivals.borrow().len() == 3).await;
        for item in 0..3u32 {
            sleep(secs(1)).await;
            q.put(item).await;
        }
        let mut by_getter = Vec::new();
        for g in getters {
            by_getter.push(g.await.unwrap());
        }
        for (k, &i) in arrivals.borrow().iter().enumerate() {
            let k = k as u32;
            assert_eq!(by_getter[i], (k, secs(u64::from(k) + 1)), "getter {i}");
        }
    });
}

#[test]
fn queue_join_waits_until_task_done_for_every_item() {
    on_every_schedule(SEEDS, || async {
        let q = Rc::new(Queue::new(0));
        q.join().await; // nothing put: at once
        assert_eq!(elapsed(), secs(0));
        let workers: Vec<_> = (0..2)
            .map(|_| {
                let q = q.clone();
                sim::spawn(async move {
                    loop {
                        let job: u64 = q.get().await;
                        sleep(secs(job)).await;
                        q.task_done();
                    }
                })
            })
            .collect();
        let joiners: Vec<_> = (0..2)
            .map(|_| {
                let q = q.clone();
                sim::spawn(async move {
                    sleep(millis(1)).await; // after the jobs are put
                    q.join().await;
                    elapsed()
                })
            })
            .collect();
        for job in [3, 1, 2, 2] {
            q.put(job).await;
        }
        // Two workers: 3 | 1, 2 | 2 starting at t=3s: the last job is done at t=5s.
        q.join().await;
        assert_eq!(elapsed(), secs(5));
        for j in joiners {
            assert_eq!(j.await.unwrap(), secs(5));
        }
        for w in workers {
            w.abort();
        }
    });
}

#[test]
fn queue_join_blocks_while_an_item_taken_is_not_done() {
    on_every_schedule(SEEDS, || async {
        let q = Queue::new(0);
        q.put(1).await;
        q.put(2).await;
        assert_eq!(q.get().await, 1);
        assert_eq!(q.get().await, 2);
        q.task_done();
        assert!(timeout(secs(1), q.join()).await.is_err());
        q.task_done();
        q.join().await;
        assert_eq!(elapsed(), secs(1));
    });
}

#[test]
#[should_panic(expected = "Queue::task_done called more times than items were put")]
fn queue_task_done_without_put_panics() {
    Queue::<u8>::new(0).task_done();
}

#[test]
fn queue_task_done_more_than_puts_panics() {
    let q = Queue::new(0);
    q.try_put(1).unwrap();
    q.try_put(2).unwrap();
    assert_eq!(q.try_get(), Some(1));
    assert_eq!(q.try_get(), Some(2));
    q.task_done();
    q.task_done();
    let err = catch_unwind(AssertUnwindSafe(|| q.task_done())).unwrap_err();
    assert_eq!(
        panic_message(err),
        "Queue::task_done called more times than items were put"
    );
    // The queue is still usable after the panic.
    q.try_put(3).unwrap();
    assert_eq!(q.try_get(), Some(3));
    q.task_done();
}

#[test]
fn queue_get_timeout_at_handoff_instant_each_item_gotten_exactly_once() {
    let outcomes = on_every_schedule(SEEDS, || async {
        let q = Rc::new(Queue::new(0));
        let getters: Vec<_> = (1..=3u64)
            .map(|i| {
                let q = q.clone();
                sim::spawn(async move {
                    // Getter i queues at i*100 ms; every timeout expires at t=1s exactly.
                    sleep(millis(i * 100)).await;
                    timeout(millis(1000 - i * 100), q.get()).await.ok()
                })
            })
            .collect();
        let producer = {
            let q = q.clone();
            sim::spawn(async move {
                sleep(secs(1)).await;
                for item in 0..4u32 {
                    q.try_put(item).unwrap();
                }
            })
        };
        producer.await.unwrap();
        let mut got = Vec::new();
        for g in getters {
            if let Some(item) = g.await.unwrap() {
                got.push(item);
            }
        }
        let served = got.len() as u32;
        // The getters still waiting at the put took the first items, in their arrival order.
        assert_eq!(got, (0..served).collect::<Vec<_>>());
        while let Some(item) = q.try_get() {
            got.push(item);
        }
        assert_eq!(got, [0, 1, 2, 3], "an item was lost or duplicated");
        for _ in 0..4 {
            q.task_done();
        }
        q.join().await;
        served
    });
    let random = &outcomes[..2 * SEEDS as usize];
    assert!(
        random.contains(&0) && random.contains(&3),
        "the tie was not explored"
    );
}

#[test]
fn queue_getter_aborted_at_handoff_instant_item_not_lost_or_duplicated() {
    let outcomes = on_every_schedule(SEEDS, || async {
        let (drops, token) = tokens();
        let q = Rc::new(Queue::new(0));
        let log = Rc::new(RefCell::new(Vec::<&'static str>::new()));
        let getters: Vec<_> = (1..=3u64)
            .map(|i| {
                let q = q.clone();
                sim::spawn(async move {
                    sleep(millis(i * 100)).await;
                    let t: Token = q.get().await;
                    let id = t.id;
                    std::mem::forget(t); // kept out of the drop log: it was gotten
                    id
                })
            })
            .collect();
        let producer = {
            let (q, log) = (q.clone(), log.clone());
            sim::spawn(async move {
                sleep(secs(1)).await;
                for id in 0..4 {
                    q.try_put(token(id)).map_err(|_| ()).unwrap();
                }
                log.borrow_mut().push("put");
            })
        };
        let aborter = {
            let log = log.clone();
            sim::spawn(async move {
                sleep(secs(1)).await;
                for g in &getters {
                    g.abort();
                }
                log.borrow_mut().push("aborted");
                let mut results = Vec::new();
                for g in getters {
                    results.push(finished_or_cancelled(g.await));
                }
                results
            })
        };
        producer.await.unwrap();
        let results = aborter.await.unwrap();
        let mut got: Vec<u32> = results.iter().flatten().copied().collect();
        assert!(
            drops.borrow().is_empty(),
            "an item was dropped by a cancelled getter"
        );
        let mut left = Vec::new();
        while let Some(t) = q.try_get() {
            left.push(t.id);
        }
        got.extend(&left);
        got.sort_unstable();
        assert_eq!(got, [0, 1, 2, 3], "an item was lost or duplicated");
        for _ in 0..4 {
            q.task_done();
        }
        q.join().await;
        assert_eq!(elapsed(), secs(1));
        // Items handed to getters that were then cancelled before collecting them.
        *log.borrow() == ["put", "aborted"] && results.contains(&None)
    });
    assert!(
        outcomes[..2 * SEEDS as usize].contains(&true),
        "no seed cancelled a getter between the hand-off and its collection"
    );
}

#[test]
fn queue_put_cancelled_at_handoff_instant_counts_item_once() {
    let outcomes = on_every_schedule(SEEDS, || async {
        let (drops, token) = tokens();
        let q = Rc::new(Queue::new(1));
        q.put(token(0)).await;
        let put_ok = Rc::new(Cell::new(false));
        let putter = {
            let (q, t, put_ok) = (q.clone(), token(1), put_ok.clone());
            sim::spawn(async move {
                // Full: waits for room, and gives up at t=1s.
                put_ok.set(timeout(secs(1), q.put(t)).await.is_ok());
            })
        };
        let aborter_target = {
            let (q, t) = (q.clone(), token(2));
            sim::spawn(async move {
                sleep(millis(500)).await; // queued behind the first putter
                q.put(t).await;
            })
        };
        let aborter = sim::spawn(async move {
            sleep(secs(1)).await;
            aborter_target.abort();
            finished_or_cancelled(aborter_target.await).is_some()
        });
        sleep(secs(1)).await;
        let first = q.get().await; // room appears at t=1s
        putter.await.unwrap();
        let second_ok = aborter.await.unwrap();
        let mut alive = vec![first];
        while let Some(t) = q.try_get() {
            alive.push(t);
        }
        let got: Vec<u32> = alive.iter().map(|t| t.id).collect();
        // Item 0 first; then whichever puts got into the queue, in their order.
        assert_eq!(got[0], 0);
        assert!(got.windows(2).all(|w| w[0] < w[1]), "{got:?}");
        if put_ok.get() {
            assert!(got.contains(&1), "a completed put lost its item");
        }
        if second_ok {
            assert!(got.contains(&2), "a completed put lost its item");
        }
        let gotten = got.len();
        // Every item is either gotten (still alive here) or was dropped by its cancelled put.
        let mut all: Vec<u32> = drops.borrow().clone();
        all.extend(&got);
        all.sort_unstable();
        assert_eq!(all, [0, 1, 2], "an item was lost or duplicated");
        drop(alive);
        // `unfinished` counts exactly the items that entered the queue.
        for _ in 0..gotten {
            q.task_done();
        }
        q.join().await;
        let err = catch_unwind(AssertUnwindSafe(|| q.task_done())).unwrap_err();
        assert_eq!(
            panic_message(err),
            "Queue::task_done called more times than items were put"
        );
        gotten
    });
    let random = &outcomes[..2 * SEEDS as usize];
    assert!(
        random.contains(&1) && random.contains(&2),
        "the tie was not explored"
    );
}
