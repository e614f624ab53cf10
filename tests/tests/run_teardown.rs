//! Tasks still pending when a run ends are dropped with the runtime; nothing leaks.

mod support;

use std::rc::Rc;

use sim::time::sleep;
use support::{DropCounter, random, secs};

#[test]
fn pending_tasks_are_dropped_with_the_runtime() {
    let drops = DropCounter::default();
    let mut rt = random(8);
    rt.block_on({
        let drops = drops.clone();
        async move {
            for _ in 0..10 {
                let guard = drops.guard();
                drop(sim::spawn(async move {
                    let _guard = guard;
                    sleep(secs(1000)).await;
                }));
            }
            sim::task::yield_now().await;
        }
    })
    .unwrap();
    assert_eq!(drops.count(), 0, "the tasks outlive block_on");
    assert_eq!(rt.live_tasks(), 10);
    drop(rt);
    assert_eq!(
        drops.count(),
        10,
        "every pending task was dropped with the runtime"
    );
}

#[test]
fn nothing_leaks_through_reference_cycles() {
    // Each task holds a handle to the next and a sleep: both point back into the runtime.
    let marker = Rc::new(());
    let mut rt = random(2);
    rt.block_on({
        let marker = Rc::clone(&marker);
        async move {
            let mut previous: Option<sim::JoinHandle<()>> = None;
            for _ in 0..5 {
                let m = Rc::clone(&marker);
                let prev = previous.take();
                previous = Some(sim::spawn(async move {
                    let _m = m;
                    sleep(secs(10)).await;
                    if let Some(p) = prev {
                        p.await.unwrap();
                    }
                }));
            }
        }
    })
    .unwrap();
    assert_eq!(Rc::strong_count(&marker), 6);
    drop(rt);
    assert_eq!(
        Rc::strong_count(&marker),
        1,
        "every task's captures were freed"
    );
}

#[test]
fn destructors_that_spawn_during_teardown_are_handled() {
    struct SpawnOnDrop(DropCounter);
    impl Drop for SpawnOnDrop {
        fn drop(&mut self) {
            let guard = self.0.guard();
            drop(sim::spawn(async move {
                let _guard = guard;
                std::future::pending::<()>().await
            }));
        }
    }
    let drops = DropCounter::default();
    let mut rt = random(1);
    rt.block_on({
        let drops = drops.clone();
        async move {
            let s = SpawnOnDrop(drops);
            drop(sim::spawn(async move {
                let _s = s;
                std::future::pending::<()>().await
            }));
        }
    })
    .unwrap();
    drop(rt);
    assert_eq!(
        drops.count(),
        1,
        "the task spawned during teardown was dropped too"
    );
}

#[test]
fn finished_tasks_leave_the_table() {
    let mut rt = random(3);
    rt.block_on(async {
        for i in 0..1000 {
            let h = sim::spawn(async move { i });
            assert_eq!(h.await.unwrap(), i);
        }
        for _ in 0..1000 {
            drop(sim::spawn(async {}));
        }
        sleep(secs(1)).await;
    })
    .unwrap();
    assert_eq!(rt.live_tasks(), 0);
}
