//! Deadlock reports name what each blocked task waits on beyond sim's locks and channels: a
//! oneshot channel, another task's end (its join handle), a task group, and a third-party
//! primitive through `sim::sync::WaitTarget`.

use std::cell::RefCell;
use std::fmt;
use std::rc::Rc;

use sim::sync::{WaitTarget, Waiting, oneshot};
use sim::task::TaskGroup;
use sim::{JoinHandle, Runtime, SimError, TaskId};

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
