//! Deadlock reports name what each blocked task waits on beyond sim's locks and channels: a
//! oneshot channel (and the task that probably holds its sender), another task's end (its join
//! handle), a task group, every branch of a `select!`, a third-party primitive through
//! `sim::sync::WaitTarget`; what a task's waker says when it names no wait; and a futurelock.

use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::panic::Location;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use sim::sync::{Mutex, Semaphore, WaitTarget, Waiting, mpsc, oneshot};
use sim::task::TaskGroup;
use sim::time::{Duration, sleep};
use sim::{Builder, JoinHandle, Runtime, SimError, Strategy, TaskId, WakerHeld};

fn deadlock(err: SimError) -> sim::Deadlock {
    match err {
        SimError::Deadlock(d) => d,
        other => panic!("expected a deadlock, got: {other}"),
    }
}

#[test]
fn a_task_blocked_on_a_oneshot_names_the_channel_and_its_awaiter_names_the_task() {
    let err = Runtime::new(1)
        .block_on(async {
            let (tx, rx) = oneshot::channel::<u8>();
            let follower = sim::task::Builder::new().name("follower").spawn(rx);
            let result = follower.await;
            drop(tx); // kept alive past the await: the follower can never finish
            result
        })
        .unwrap_err();
    let text = err.to_string();
    let d = deadlock(err);
    assert_eq!(d.waits.len(), 2, "{text}");
    let main = d.waits.iter().find(|w| w.task.as_u64() == 0).expect(&text);
    assert!(
        main.resource.starts_with(
            "the end of task #1 \"follower\" (spawned at tests/tests/deadlock_waits.rs:"
        ),
        "{text}"
    );
    assert_eq!(main.holders, [d.waits[1].task], "{text}");
    let follower = d.waits.iter().find(|w| w.task.as_u64() == 1).expect(&text);
    assert!(
        follower
            .resource
            .starts_with("oneshot channel created at tests/tests/deadlock_waits.rs:"),
        "{text}"
    );
    assert!(follower.holders.is_empty(), "{text}");
    assert!(d.cycle.is_empty(), "{text}");
}

#[test]
fn two_tasks_awaiting_each_other_are_reported_as_a_cycle() {
    type Slot = Rc<RefCell<Option<JoinHandle<()>>>>;
    let err = Runtime::new(2)
        .block_on(async {
            let for_a: Slot = Rc::default();
            let for_b: Slot = Rc::default();
            let (a_slot, b_slot) = (Rc::clone(&for_a), Rc::clone(&for_b));
            let a = sim::task::Builder::new().name("a").spawn(async move {
                sim::task::yield_now().await;
                let b = a_slot.borrow_mut().take().unwrap();
                b.await.unwrap();
            });
            let b = sim::task::Builder::new().name("b").spawn(async move {
                sim::task::yield_now().await;
                let a = b_slot.borrow_mut().take().unwrap();
                a.await.unwrap();
            });
            *for_b.borrow_mut() = Some(a);
            *for_a.borrow_mut() = Some(b);
            // Wait forever on something the report names, so main is not part of the cycle.
            let _waiting = Waiting::new(Rc::new(Named("the end of the test")));
            std::future::pending::<()>().await
        })
        .unwrap_err();
    let text = err.to_string();
    let d = deadlock(err);
    let ids: Vec<u64> = d.cycle.iter().map(|t| t.as_u64()).collect();
    assert_eq!(ids, [1, 2], "{text}");
    assert!(
        text.contains("cycle: #1 \"a\" waits on the end of task #2 \"b\""),
        "{text}"
    );
    assert!(text.contains("waiting on the end of the test"), "{text}");
}

#[test]
fn a_task_blocked_in_a_group_join_names_the_group_and_its_running_children() {
    let err = Runtime::new(3)
        .block_on(async {
            let group = TaskGroup::new();
            let (_tx, rx) = oneshot::channel::<()>();
            group.spawn(async move {
                let _ = rx.await;
            });
            group.spawn(async {});
            group.join().await.map(|_| ())
        })
        .unwrap_err();
    let text = err.to_string();
    let d = deadlock(err);
    let main = d.waits.iter().find(|w| w.task.as_u64() == 0).expect(&text);
    assert!(
        main.resource
            .starts_with("TaskGroup created at tests/tests/deadlock_waits.rs:"),
        "{text}"
    );
    assert!(
        main.resource.ends_with("(1 of its children still running)"),
        "{text}"
    );
    let holders: Vec<u64> = main.holders.iter().map(|t| t.as_u64()).collect();
    assert_eq!(holders, [1], "{text}");
}

/// A third-party primitive: a named barrier held by whoever took it.
struct Named(&'static str);

impl fmt::Display for Named {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl WaitTarget for Named {}

struct Held {
    holder: TaskId,
}

impl fmt::Display for Held {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a third-party lock")
    }
}

impl WaitTarget for Held {
    fn holders(&self) -> Vec<TaskId> {
        vec![self.holder]
    }
}

#[test]
fn a_third_party_wait_target_is_named_with_its_holders() {
    let err = Runtime::new(4)
        .block_on(async {
            let holder = sim::spawn(std::future::pending::<()>());
            let _waiting = Waiting::new(Rc::new(Held {
                holder: holder.id(),
            }));
            std::future::pending::<()>().await
        })
        .unwrap_err();
    let text = err.to_string();
    let d = deadlock(err);
    assert_eq!(d.waits.len(), 1, "{text}");
    assert_eq!(d.waits[0].task.as_u64(), 0, "{text}");
    assert_eq!(d.waits[0].resource, "a third-party lock", "{text}");
    assert_eq!(
        d.waits[0]
            .holders
            .iter()
            .map(|t| t.as_u64())
            .collect::<Vec<_>>(),
        [1]
    );
}

#[test]
fn a_dropped_waiting_leaves_no_trace_in_the_report() {
    let err = Runtime::new(5)
        .block_on(async {
            drop(Waiting::new(Rc::new(Named("gone"))));
            std::future::pending::<()>().await
        })
        .unwrap_err();
    let text = err.to_string();
    assert!(deadlock(err).waits.is_empty(), "{text}");
    assert!(!text.contains("gone"), "{text}");
}

/// Where something was created, as reports print it (`file:line:column`).
type Site = &'static Location<'static>;

/// Runs `future` as the main task of a run (seed 7, FIFO, so every choice is the first);
/// returns the failure and where the main task was "spawned" (this call).
#[track_caller]
fn run_fifo<F: Future>(future: F) -> (SimError, Site) {
    let site = Location::caller();
    let mut rt = Builder::new().seed(7).strategy(Strategy::Fifo).build();
    match rt.block_on(future) {
        Ok(_) => panic!("the run was expected to deadlock"),
        Err(err) => (err, site),
    }
}

/// Spawns a named task; returns its handle and its spawn site.
#[track_caller]
fn spawn_named<F>(name: &str, future: F) -> (JoinHandle<F::Output>, Site)
where
    F: Future + 'static,
    F::Output: 'static,
{
    let site = Location::caller();
    (sim::task::Builder::new().name(name).spawn(future), site)
}

/// A mutex and its creation site.
#[track_caller]
fn mutex<T>(value: T) -> (Mutex<T>, Site) {
    (Mutex::new(value), Location::caller())
}

/// A bounded mpsc channel (of capacity 1) and its creation site.
#[track_caller]
fn mpsc_channel<T>() -> (mpsc::Sender<T>, mpsc::Receiver<T>, Site) {
    let (tx, rx) = mpsc::channel(1);
    (tx, rx, Location::caller())
}

/// A oneshot channel and its creation site.
#[track_caller]
fn oneshot_channel<T>() -> (oneshot::Sender<T>, oneshot::Receiver<T>, Site) {
    let (tx, rx) = oneshot::channel();
    (tx, rx, Location::caller())
}

/// The report's lines after its first (which gives the step, time and seed); checks that one
/// ends with the number of blocked tasks.
fn lines_after_header(err: &SimError, blocked: usize) -> Vec<String> {
    let text = err.to_string();
    let mut lines = text.lines();
    let header = lines.next().unwrap();
    assert!(header.starts_with("deadlock at step "), "{text}");
    assert!(
        header.ends_with(&format!(
            ": no task can run and no timer is pending; {blocked} blocked task(s):"
        )),
        "{text}"
    );
    lines.map(str::to_string).collect()
}

#[test]
fn a_task_blocked_in_select_names_the_wait_of_every_pending_branch() {
    let sites: Rc<RefCell<Vec<Site>>> = Rc::default();
    let (err, main) = {
        let sites = Rc::clone(&sites);
        run_fifo(async move {
            let (lock, lock_site) = mutex(());
            let lock = Rc::new(lock);
            let held = Rc::clone(&lock);
            let (holder, holder_site) = spawn_named("holder", async move {
                let _guard = held.lock().await;
                let _waiting = Waiting::new(Rc::new(Named("the end of the test")));
                std::future::pending::<()>().await
            });
            let (mut other, other_site) = spawn_named("other", async {
                let _waiting = Waiting::new(Rc::new(Named("the end of the test")));
                std::future::pending::<()>().await
            });
            let (tx, mut rx, channel_site) = mpsc_channel::<u8>();
            sites
                .borrow_mut()
                .extend([lock_site, holder_site, other_site, channel_site]);
            sim::task::yield_now().await; // the holder takes the lock
            sim::select! {
                _guard = lock.lock() => {},
                _ = rx.recv() => {},
                _ = &mut other => {},
            }
            drop((tx, holder));
        })
    };
    let [lock, holder, other, channel] = sites.borrow()[..] else {
        panic!("four sites")
    };
    assert_eq!(
        lines_after_header(&err, 3),
        [
            format!("  - #0 \"main\" (spawned at {main})"),
            format!("      waiting on Mutex created at {lock}, held by #1 \"holder\""),
            format!("      waiting on mpsc channel (recv: empty) created at {channel}"),
            format!(
                "      waiting on the end of task #2 \"other\" (spawned at {other}), held by #2 \"other\""
            ),
            format!("  - #1 \"holder\" (spawned at {holder})"),
            "      waiting on the end of the test".to_string(),
            format!("  - #2 \"other\" (spawned at {other})"),
            "      waiting on the end of the test".to_string(),
        ]
    );
    let d = deadlock(err);
    assert_eq!(d.waits.iter().filter(|w| w.task.as_u64() == 0).count(), 3);
}

#[test]
fn waits_a_primitive_ended_without_saying_which_are_reported_as_uncertain() {
    // `join!` waits on two mutexes at once; when one is granted, its primitive says only that
    // the task stopped waiting on *something*: both waits are then reported as uncertain, not
    // dropped, and not listed as certain.
    let sites: Rc<RefCell<Vec<Site>>> = Rc::default();
    let (err, _) = {
        let sites = Rc::clone(&sites);
        run_fifo(async move {
            let (first, first_site) = mutex(());
            let (second, second_site) = mutex(());
            let (first, second) = (Rc::new(first), Rc::new(second));
            sites.borrow_mut().extend([first_site, second_site]);
            let f = Rc::clone(&first);
            let (h1, _) = spawn_named("h1", async move {
                let _guard = f.lock().await;
                let _waiting = Waiting::new(Rc::new(Named("the end of the test")));
                std::future::pending::<()>().await
            });
            let s = Rc::clone(&second);
            let (h2, _) = spawn_named("h2", async move {
                let _guard = s.lock().await;
                sim::task::yield_now().await;
                sim::task::yield_now().await;
            });
            let (t, _) = spawn_named("t", async move {
                let _both = futures::join!(first.lock(), second.lock());
            });
            t.await.unwrap();
            drop((h1, h2));
        })
    };
    let [first, second] = sites.borrow()[..] else {
        panic!("two sites")
    };
    let lines = lines_after_header(&err, 3);
    let t = lines
        .iter()
        .position(|l| l.starts_with("  - #3 \"t\""))
        .expect("t is blocked");
    assert_eq!(
        lines[t + 1..],
        [
            format!("      perhaps waiting on Mutex created at {first}, held by #1 \"h1\""),
            format!("      perhaps waiting on Mutex created at {second}, held by #3 \"t\""),
            "      (one of these waits ended, and its primitive did not say which)".to_string(),
        ]
    );
    let d = deadlock(err);
    let t_waits: Vec<bool> = d
        .waits
        .iter()
        .filter(|w| w.task.as_u64() == 3)
        .map(|w| w.uncertain)
        .collect();
    assert_eq!(t_waits, [true, true]);
    assert!(
        d.futurelocks().next().is_none(),
        "an uncertain wait is not a futurelock"
    );
}

/// Another runtime's timer, as far as sim can tell: it keeps the waker of whoever polls it,
/// somewhere sim does not know about, and never fires.
struct ForeignTimer(Rc<RefCell<Vec<Waker>>>);

impl Future for ForeignTimer {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.0.borrow_mut().push(cx.waker().clone());
        Poll::Pending
    }
}

#[test]
fn a_task_with_no_named_wait_is_described_by_who_holds_its_waker() {
    let other_runtime: Rc<RefCell<Vec<Waker>>> = Rc::default();
    let sites: Rc<RefCell<Vec<Site>>> = Rc::default();
    let (err, main) = {
        let (timers, sites) = (Rc::clone(&other_runtime), Rc::clone(&sites));
        run_fifo(async move {
            let (foreign, foreign_site) = spawn_named("foreign", ForeignTimer(timers));
            // Returns Pending without keeping its waker: nothing can ever wake it.
            let (lost, lost_site) =
                spawn_named("lost", std::future::poll_fn(|_| Poll::<()>::Pending));
            sites.borrow_mut().extend([foreign_site, lost_site]);
            foreign.await.unwrap();
            lost.await.unwrap();
        })
    };
    let [foreign, lost] = sites.borrow()[..] else {
        panic!("two sites")
    };
    assert_eq!(
        lines_after_header(&err, 3),
        [
            format!("  - #0 \"main\" (spawned at {main})"),
            format!(
                "      waiting on the end of task #1 \"foreign\" (spawned at {foreign}), held by #1 \"foreign\""
            ),
            format!("  - #1 \"foreign\" (spawned at {foreign})"),
            "      waiting on something that holds its waker but is not part of the simulation (a timer or I/O of another runtime?): use sim::time and sim::sync, or have it name itself with sim::sync::Waiting".to_string(),
            format!("  - #2 \"lost\" (spawned at {lost})"),
            "      nothing holds its waker: it can never be woken (a future returned Pending without keeping its waker)".to_string(),
        ]
    );
    let d = deadlock(err);
    let wakers: Vec<(u64, WakerHeld)> = d.wakers().iter().map(|&(t, w)| (t.as_u64(), w)).collect();
    assert_eq!(wakers, [(1, WakerHeld::Outside), (2, WakerHeld::Nowhere)]);
    assert_eq!(other_runtime.borrow().len(), 1);
}

#[test]
fn a_task_waiting_on_a_lock_held_by_a_future_it_no_longer_polls_is_a_futurelock() {
    let lock_site: Rc<RefCell<Option<Site>>> = Rc::default();
    let (err, main) = {
        let lock_site = Rc::clone(&lock_site);
        run_fifo(async move {
            let (lock, site) = mutex(());
            *lock_site.borrow_mut() = Some(site);
            let mut holds_the_lock = Box::pin(async {
                let _guard = lock.lock().await;
                std::future::pending::<()>().await
            });
            sim::select! {
                () = &mut holds_the_lock => {},
                () = sleep(Duration::from_millis(10)) => {},
            }
            // `holds_the_lock` is kept but no longer polled: it never lets the lock go.
            let _guard = lock.lock().await;
        })
    };
    let lock = lock_site.borrow().unwrap();
    assert_eq!(
        lines_after_header(&err, 1),
        [
            format!("  - #0 \"main\" (spawned at {main})"),
            format!("      waiting on Mutex created at {lock}, held by #0 \"main\""),
            format!(
                "  futurelock: #0 \"main\" waits on Mutex created at {lock}, held by a future #0 \"main\" itself owns but is not polling"
            ),
            "    (it holds what it waits for: in a future it keeps but no longer polls, say one passed to select! as `&mut fut`, or in a guard kept across this wait; drop that future or guard, or poll the future to completion, before waiting)".to_string(),
        ]
    );
    let d = deadlock(err);
    let futurelocks: Vec<u64> = d.futurelocks().map(|w| w.task.as_u64()).collect();
    assert_eq!(futurelocks, [0]);
    assert!(d.cycle.is_empty(), "a futurelock is not a cycle of tasks");
}

#[test]
fn a_permit_kept_in_a_future_no_longer_polled_is_a_futurelock_too() {
    let (err, _) = run_fifo(async {
        let semaphore = Semaphore::new(1);
        let mut holds_a_permit = Box::pin(async {
            let _permit = semaphore.acquire().await;
            std::future::pending::<()>().await
        });
        sim::select! {
            () = &mut holds_a_permit => {},
            () = sleep(Duration::from_millis(10)) => {},
        }
        let _permit = semaphore.acquire().await;
    });
    let text = err.to_string();
    assert!(
        text.contains(
            "  futurelock: #0 \"main\" waits on Semaphore created at tests/tests/deadlock_waits.rs:"
        ),
        "{text}"
    );
    assert!(
        text.contains(", held by a future #0 \"main\" itself owns but is not polling\n"),
        "{text}"
    );
}

/// A single-flight cache: the first caller of a key (the leader) loads it, and meanwhile
/// leaves the receiving end of a oneshot channel for the next caller (a follower), to whom it
/// sends the value once loaded.
#[derive(Default)]
struct SingleFlight {
    loading: RefCell<HashMap<&'static str, oneshot::Receiver<u32>>>,
    loaded: RefCell<HashMap<&'static str, u32>>,
    /// Where the flights' channels are created, for the test's expectations.
    channel_site: RefCell<Option<Site>>,
}

impl SingleFlight {
    async fn get(&self, key: &'static str, db: &Mutex<u32>) -> u32 {
        if let Some(&value) = self.loaded.borrow().get(key) {
            return value;
        }
        let flight = self.loading.borrow_mut().remove(key);
        if let Some(flight) = flight {
            return flight.await.expect("the leader sends the value");
        }
        let (tx, rx, site) = oneshot_channel();
        *self.channel_site.borrow_mut() = Some(site);
        self.loading.borrow_mut().insert(key, rx);
        sim::task::yield_now().await; // the load is under way...
        let value = *db.lock().await; // ...and needs the database
        self.loaded.borrow_mut().insert(key, value);
        let _ = tx.send(value);
        value
    }
}

#[test]
fn a_single_flight_follower_names_the_oneshot_and_the_leader_that_holds_its_sender() {
    let sites: Rc<RefCell<Vec<Site>>> = Rc::default();
    let cache = Rc::new(SingleFlight::default());
    let (err, main) = {
        let (sites, cache) = (Rc::clone(&sites), Rc::clone(&cache));
        run_fifo(async move {
            let (db, db_site) = mutex(42);
            let db = Rc::new(db);
            let (c, d) = (Rc::clone(&cache), Rc::clone(&db));
            let (leader, leader_site) = spawn_named("leader", async move {
                c.get("k", &d).await;
            });
            let (c, d) = (Rc::clone(&cache), Rc::clone(&db));
            let (follower, follower_site) = spawn_named("follower", async move {
                // Holds the database while it asks the cache: the leader's load needs it.
                let _db = d.lock().await;
                c.get("k", &d).await;
            });
            sites
                .borrow_mut()
                .extend([db_site, leader_site, follower_site]);
            leader.await.unwrap();
            follower.await.unwrap();
        })
    };
    let [db, leader, follower] = sites.borrow()[..] else {
        panic!("three sites")
    };
    let channel = cache.channel_site.borrow().unwrap();
    assert_eq!(
        lines_after_header(&err, 3),
        [
            format!("  - #0 \"main\" (spawned at {main})"),
            format!(
                "      waiting on the end of task #1 \"leader\" (spawned at {leader}), held by #1 \"leader\""
            ),
            format!("  - #1 \"leader\" (spawned at {leader})"),
            format!("      waiting on Mutex created at {db}, held by #2 \"follower\""),
            format!("  - #2 \"follower\" (spawned at {follower})"),
            format!(
                "      waiting on oneshot channel created at {channel}, probably held by #1 \"leader\""
            ),
            format!(
                "  probable cycle (it follows a guessed holder): #1 \"leader\" waits on Mutex created at {db} -> #2 \"follower\" waits on oneshot channel created at {channel} -> #1 \"leader\""
            ),
        ]
    );
    let d = deadlock(err);
    let ids = |tasks: &[TaskId]| tasks.iter().map(|t| t.as_u64()).collect::<Vec<_>>();
    assert!(d.cycle.is_empty(), "no cycle is certain");
    assert_eq!(ids(&d.probable_cycle()), [1, 2]);
    let wait = d.waits.iter().find(|w| w.task.as_u64() == 2).unwrap();
    assert!(wait.holders.is_empty(), "a guess is not a holder");
    assert_eq!(ids(&wait.probable_holders), [1]);
}

#[test]
fn a_oneshot_whose_sender_its_own_waiter_created_names_no_holder() {
    // A request with a reply channel: the client makes the channel and hands the sender to a
    // server, which sim cannot see; it must not guess that the client holds it.
    let (err, _) = run_fifo(async {
        let (requests, mut inbox) = mpsc::unbounded_channel::<oneshot::Sender<u32>>();
        let server = sim::spawn(async move {
            let _reply = inbox.recv().await.unwrap();
            let _waiting = Waiting::new(Rc::new(Named("the end of the test")));
            std::future::pending::<()>().await
        });
        let (reply, rx) = oneshot::channel();
        assert!(requests.try_send(reply).is_ok());
        let answer = rx.await;
        drop((server, requests));
        answer
    });
    let text = err.to_string();
    assert!(!text.contains("probably"), "{text}");
    let d = deadlock(err);
    let main_wait = d.waits.iter().find(|w| w.task.as_u64() == 0).unwrap();
    assert!(
        main_wait
            .resource
            .starts_with("oneshot channel created at tests/tests/deadlock_waits.rs:"),
        "{text}"
    );
    assert!(main_wait.holders.is_empty(), "{text}");
    assert!(main_wait.probable_holders.is_empty(), "{text}");
}

#[test]
fn a_oneshot_whose_creator_has_finished_names_no_probable_holder() {
    // The creator hands the receiver to one task and the sender to another, then ends: sim
    // guesses nothing (the creator holds nothing any more) rather than a wrong holder.
    let (err, _) = run_fifo(async {
        let creator = sim::spawn(async {
            let (tx, rx) = oneshot::channel::<u8>();
            let waiter = sim::spawn(async move { rx.await.ok() });
            let keeper = sim::spawn(async move {
                let _tx = tx;
                let _waiting = Waiting::new(Rc::new(Named("the end of the test")));
                std::future::pending::<()>().await
            });
            (waiter, keeper)
        });
        let (waiter, _keeper) = creator.await.unwrap();
        waiter.await.unwrap()
    });
    let text = err.to_string();
    let d = deadlock(err);
    let waiter = d
        .waits
        .iter()
        .find(|w| w.resource.starts_with("oneshot channel"))
        .expect(&text);
    assert!(waiter.probable_holders.is_empty(), "{text}");
    assert!(!text.contains("probably"), "{text}");
}
