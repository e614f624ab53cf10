//! Check-then-act (sim: `tests/src/bugs/check_then_act.rs`): two customers book the same seat,
//! each checking that it is free and then taking the audit-log lock to record the booking.
//!
//! In sim the lock is async and almost always free, so the `await` completes at once and the
//! bug needs chaos mode to make that ready `await` a scheduling point. Shuttle's
//! `Mutex::lock` is a scheduling point every time, free or not, so the same program shows the
//! bug with no extra mode. Shuttle has no async mutex; its blocking `Mutex` is used from the
//! task directly (a shuttle task is a coroutine, so blocking switches to another task).

use std::cell::RefCell;
use std::rc::Rc;

use shuttle::future::{block_on, spawn_local};
use shuttle::sync::Mutex;

/// Books the seat for each customer; returns the audit log.
async fn book_all(check_under_lock: bool) -> Vec<&'static str> {
    let seat: Rc<RefCell<Option<&'static str>>> = Rc::new(RefCell::new(None));
    let audit = Rc::new(Mutex::new(Vec::new()));
    let customers: Vec<_> = ["alice", "bob"]
        .into_iter()
        .map(|name| {
            let (seat, audit) = (Rc::clone(&seat), Rc::clone(&audit));
            spawn_local(async move {
                if check_under_lock {
                    let mut log = audit.lock().unwrap();
                    if seat.borrow().is_none() {
                        *seat.borrow_mut() = Some(name);
                        log.push(name);
                    }
                } else if seat.borrow().is_none() {
                    let mut log = audit.lock().unwrap(); // a scheduling point, free or not
                    *seat.borrow_mut() = Some(name);
                    log.push(name);
                }
            })
        })
        .collect();
    for c in customers {
        c.await.unwrap();
    }
    audit.lock().unwrap().clone()
}

/// Checks the seat, then takes the (free) lock, then books.
pub(crate) fn buggy() {
    block_on(async {
        let log = book_all(false).await;
        assert_eq!(log.len(), 1, "seat double-booked: {log:?}");
    });
}

/// Takes the lock, then checks and books under it.
pub(crate) fn fixed() {
    block_on(async {
        let log = book_all(true).await;
        assert_eq!(log.len(), 1, "seat double-booked: {log:?}");
    });
}
