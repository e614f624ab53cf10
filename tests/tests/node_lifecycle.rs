//! Nodes: which tasks belong to a node, and what crash, restart, pause and resume do to them.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use sim::check::Check;
use sim::node::{self, NodeError, NodeId, NodeStatus};
use sim::time::{Duration, sleep};
use sim::{Builder, Strategy};

/// Counts its drops.
struct Guard(Rc<Cell<u32>>);

impl Drop for Guard {
    fn drop(&mut self) {
        self.0.set(self.0.get() + 1);
    }
}

/// A task that holds a guard and never ends.
async fn hold(guard: Guard) {
    let _guard = guard;
    std::future::pending::<()>().await;
}

#[test]
fn tasks_spawned_by_a_nodes_tasks_belong_to_the_node() {
    Check::new().seeds(50).run(|| async {
        let seen = Rc::new(RefCell::new(Vec::new()));
        let s = Rc::clone(&seen);
        let n = node::Builder::new("n")
            .init(move || {
                let s = Rc::clone(&s);
                async move {
                    s.borrow_mut().push(node::current());
                    let s2 = Rc::clone(&s);
                    sim::spawn(async move {
                        s2.borrow_mut().push(node::current());
                        let s3 = Rc::clone(&s2);
                        sim::spawn(async move { s3.borrow_mut().push(node::current()) })
                            .await
                            .unwrap();
                    })
                    .await
                    .unwrap();
                }
            })
            .build();
        let outside = sim::spawn(async { node::current() }).await.unwrap();
        sleep(Duration::from_secs(1)).await;
        assert_eq!(outside, NodeId::HARNESS);
        assert_eq!(node::current(), NodeId::HARNESS);
        assert_eq!(*seen.borrow(), vec![n, n, n]);
    });
}

#[test]
fn a_crash_drops_every_task_of_the_node_before_any_other_task_runs() {
    Check::new().seeds(200).run(|| async {
        let drops = Rc::new(Cell::new(0));
        let made = Rc::new(Cell::new(0));
        let (d, m) = (Rc::clone(&drops), Rc::clone(&made));
        let n = node::Builder::new("n")
            .init(move || {
                let (d, m) = (Rc::clone(&d), Rc::clone(&m));
                async move {
                    for _ in 0..3 {
                        let guard = Guard(Rc::clone(&d));
                        m.set(m.get() + 1);
                        drop(sim::spawn(hold(guard)));
                    }
                    m.set(m.get() + 1);
                    hold(Guard(d)).await;
                }
            })
            .build();
        let crashed = Rc::new(Cell::new(false));
        // Other tasks, runnable at the moment of the crash, see it complete when they next run.
        let watchers: Vec<_> = (0..3)
            .map(|_| {
                let (drops, crashed) = (Rc::clone(&drops), Rc::clone(&crashed));
                sim::spawn(async move {
                    loop {
                        let before = drops.get();
                        sim::task::yield_now().await;
                        let after = drops.get();
                        assert!(
                            after == before || after == 4,
                            "saw {after} of 4 drops: the crash was seen half done"
                        );
                        if crashed.get() {
                            assert_eq!(after, 4, "the crash had ended");
                            break;
                        }
                    }
                })
            })
            .collect();
        // All four guards exist before the crash, so it has four to drop.
        while made.get() < 4 {
            sim::task::yield_now().await;
        }
        node::crash(n);
        crashed.set(true);
        assert_eq!(node::status(n), NodeStatus::Down);
        // The drops run when this poll ends, before anything else.
        sim::task::yield_now().await;
        assert_eq!(drops.get(), 4);
        for w in watchers {
            w.await.unwrap();
        }
    });
}

#[test]
fn a_crash_cancels_the_nodes_tasks_and_their_timers() {
    let mut rt = Builder::new().seed(3).build();
    rt.block_on(async {
        let n = node::Builder::new("n").build();
        let sleeper = node::spawn_on(n, async {
            sleep(Duration::from_secs(3600)).await;
            "woke"
        })
        .unwrap();
        sleep(Duration::from_secs(1)).await;
        node::crash(n);
        let err = sleeper.await.unwrap_err();
        assert!(err.is_cancelled(), "{err:?}");
        // Nothing keeps the clock going to the crashed task's hour-long timer.
        assert_eq!(sim::time::elapsed(), Duration::from_secs(1));
    })
    .unwrap();
}

#[test]
fn a_node_that_crashes_itself_ends_its_poll_and_runs_no_further() {
    Check::new().seeds(50).run(|| async {
        let after = Rc::new(Cell::new(false));
        let a = Rc::clone(&after);
        let n = node::Builder::new("n")
            .init(move || {
                let a = Rc::clone(&a);
                async move {
                    sim::task::yield_now().await;
                    node::crash(node::current());
                    sim::task::yield_now().await;
                    a.set(true);
                }
            })
            .build();
        sleep(Duration::from_secs(1)).await;
        assert_eq!(node::status(n), NodeStatus::Down);
        assert!(!after.get(), "a crashed node's task ran on");
    });
}

#[test]
fn a_task_spawned_by_a_crashed_tasks_destructor_is_dropped_too() {
    struct SpawnOnDrop(Rc<Cell<bool>>);
    impl Drop for SpawnOnDrop {
        fn drop(&mut self) {
            let ran = Rc::clone(&self.0);
            drop(sim::spawn(async move { ran.set(true) }));
        }
    }
    Check::new().seeds(50).run(|| async {
        let ran = Rc::new(Cell::new(false));
        let r = Rc::clone(&ran);
        let n = node::Builder::new("n")
            .init(move || {
                let guard = SpawnOnDrop(Rc::clone(&r));
                async move {
                    let _guard = guard;
                    std::future::pending::<()>().await;
                }
            })
            .build();
        sim::task::yield_now().await;
        node::crash(n);
        sleep(Duration::from_secs(1)).await;
        assert!(
            !ran.get(),
            "a task of the crashed generation ran after the crash"
        );
    });
}

#[test]
fn a_restart_runs_init_again_after_the_old_generation_is_gone() {
    Check::new().seeds(100).run(|| async {
        let drops = Rc::new(Cell::new(0));
        let boots = Rc::new(RefCell::new(Vec::new()));
        let (d, b) = (Rc::clone(&drops), Rc::clone(&boots));
        let n = node::Builder::new("n")
            .init(move || {
                let (d, b) = (Rc::clone(&d), Rc::clone(&b));
                async move {
                    // What the old generation left undropped when this one started.
                    let generation = node::generation(node::current());
                    b.borrow_mut().push((generation, d.get()));
                    drop(sim::spawn(hold(Guard(Rc::clone(&d)))));
                    hold(Guard(d)).await;
                }
            })
            .build();
        sleep(Duration::from_secs(1)).await;
        node::restart(n);
        sleep(Duration::from_secs(1)).await;
        node::restart(n);
        sleep(Duration::from_secs(1)).await;
        assert_eq!(node::generation(n), 2);
        assert_eq!(*boots.borrow(), vec![(0, 0), (1, 2), (2, 4)]);
    });
}

#[test]
fn a_restart_boots_a_node_that_is_down() {
    Builder::new()
        .build()
        .block_on(async {
            let boots = Rc::new(Cell::new(0));
            let b = Rc::clone(&boots);
            let n = node::Builder::new("n")
                .init(move || {
                    b.set(b.get() + 1);
                    async {}
                })
                .build();
            node::crash(n);
            node::crash(n); // a crash of a node that is down does nothing
            node::restart(n);
            assert_eq!(node::status(n), NodeStatus::Running);
            assert_eq!((boots.get(), node::generation(n)), (2, 1));
        })
        .unwrap();
}

#[test]
fn a_paused_node_runs_nothing_and_resumes_its_wakes_in_order() {
    for seed in 0..50 {
        let order = Rc::new(RefCell::new(Vec::new()));
        let o = Rc::clone(&order);
        Builder::new()
            .seed(seed)
            .strategy(Strategy::Fifo)
            .build()
            .block_on(async move {
                let n = node::Builder::new("n").build();
                let (tx, rx): (Vec<_>, Vec<_>) =
                    (0..4).map(|_| sim::sync::oneshot::channel::<()>()).unzip();
                for (i, rx) in rx.into_iter().enumerate() {
                    let o = Rc::clone(&o);
                    node::spawn_on(n, async move {
                        rx.await.unwrap();
                        o.borrow_mut().push(i);
                    })
                    .unwrap();
                }
                sim::task::yield_now().await; // the node's tasks wait on their channels
                node::pause(n);
                // Woken in the order 2, 0, 3, 1 while the node is paused.
                let mut tx: Vec<_> = tx.into_iter().map(Some).collect();
                for i in [2, 0, 3, 1] {
                    tx[i].take().unwrap().send(()).unwrap();
                }
                sleep(Duration::from_secs(5)).await;
                assert!(o.borrow().is_empty(), "a paused node ran {:?}", o.borrow());
                node::resume(n);
                sleep(Duration::from_secs(1)).await;
            })
            .unwrap();
        assert_eq!(*order.borrow(), vec![2, 0, 3, 1], "seed {seed}");
    }
}

#[test]
fn a_paused_node_can_crash_and_a_down_node_cannot_pause() {
    Builder::new()
        .build()
        .block_on(async {
            let drops = Rc::new(Cell::new(0));
            let n = node::Builder::new("n").build();
            node::spawn_on(n, hold(Guard(Rc::clone(&drops)))).unwrap();
            node::pause(n);
            node::pause(n); // pausing a paused node does nothing
            node::crash(n);
            sim::task::yield_now().await;
            assert_eq!(drops.get(), 1);
            let pause = std::panic::catch_unwind(|| node::pause(n));
            let message = pause.unwrap_err();
            let message = message.downcast_ref::<String>().unwrap();
            assert_eq!(
                message,
                "sim::node::pause: node `n` is down (crashed, and not restarted since)"
            );
        })
        .unwrap();
}

#[test]
fn bad_names_addresses_and_ids_are_named_errors() {
    Builder::new()
        .build()
        .block_on(async {
            let a = node::Builder::new("a").ip([10, 0, 0, 2]).build();
            // The automatic address skips one taken by hand.
            let b = node::Builder::new("b").build();
            assert_eq!(node::ip(b).to_string(), "10.0.0.1");
            let c = node::Builder::new("c").build();
            assert_eq!(node::ip(c).to_string(), "10.0.0.3");
            assert_eq!(
                node::Builder::new("").try_build(),
                Err(NodeError::EmptyName)
            );
            assert_eq!(
                node::Builder::new("z")
                    .ip(node::ip(a))
                    .try_build()
                    .unwrap_err()
                    .to_string(),
                "address 10.0.0.2 is already node `a`'s"
            );
            assert!(matches!(
                node::spawn_on(NodeId::HARNESS, async {}),
                Err(NodeError::Harness)
            ));
            let crash = std::panic::catch_unwind(|| node::crash(NodeId::HARNESS));
            let message = crash.unwrap_err();
            assert!(
                message
                    .downcast_ref::<String>()
                    .unwrap()
                    .contains("NodeId::HARNESS"),
                "{message:?}"
            );
        })
        .unwrap();
    // An id from one run means nothing in another.
    let id = Builder::new()
        .build()
        .block_on(async { node::Builder::new("only").build() })
        .unwrap();
    Builder::new()
        .build()
        .block_on(async move {
            assert_eq!(id.to_string(), "node#0");
            assert!(matches!(
                node::spawn_on(id, async {}),
                Err(NodeError::Unknown { node: 0 })
            ));
        })
        .unwrap();
}

/// The same seed gives the same crashes, restarts and outcome; the checker's determinism
/// check runs each seed twice and compares every event.
#[test]
fn crashes_and_restarts_are_deterministic() {
    let summary = Check::new()
        .seeds(100)
        .check_determinism(true)
        .run(|| async {
            let log = Rc::new(RefCell::new(Vec::new()));
            let nodes: Vec<NodeId> = (0..3)
                .map(|i| {
                    let log = Rc::clone(&log);
                    node::Builder::new(format!("n{i}"))
                        .init(move || {
                            let log = Rc::clone(&log);
                            async move {
                                for step in 0.. {
                                    log.borrow_mut().push((node::current(), step));
                                    sleep(Duration::from_millis(sim::rand::random::<u64>() % 50))
                                        .await;
                                }
                            }
                        })
                        .build()
                })
                .collect();
            for _ in 0..10 {
                sleep(Duration::from_millis(30)).await;
                let victim = nodes[sim::rand::random::<u64>() as usize % nodes.len()];
                match sim::rand::random::<u8>() % 3 {
                    0 => node::crash(victim),
                    1 => node::restart(victim),
                    _ => {
                        if node::status(victim) == NodeStatus::Down {
                            node::restart(victim);
                        }
                    }
                }
            }
            assert!(!log.borrow().is_empty());
        });
    assert_eq!(summary.seeds_run, 100);
    assert!(summary.distinct_schedules > 50, "{summary:?}");
}
