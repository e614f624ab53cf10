//! Check-then-act: two customers book the same seat, each checking that it is free and then
//! awaiting the audit-log lock to record the booking. The lock is almost always free, but a
//! ready `await` is still a scheduling point (chaos mode makes the runtime yield there), so both
//! can see the seat free and both book it. The fix takes the lock first and checks under it.

use std::cell::RefCell;
use std::rc::Rc;

use sim::sync::Mutex;

/// Books the seat for each customer; returns the audit log.
async fn book_all(check_under_lock: bool) -> Vec<&'static str> {
    let seat: Rc<RefCell<Option<&'static str>>> = Rc::new(RefCell::new(None));
    let audit = Rc::new(Mutex::new(Vec::new()));
    let customers: Vec<_> = ["alice", "bob"]
        .into_iter()
        .map(|name| {
            let (seat, audit) = (Rc::clone(&seat), Rc::clone(&audit));
            sim::spawn(async move {
                if check_under_lock {
                    let mut log = audit.lock().await;
                    if seat.borrow().is_none() {
                        *seat.borrow_mut() = Some(name);
                        log.push(name);
                    }
                } else if seat.borrow().is_none() {
                    let mut log = audit.lock().await; // ready, yet a scheduling point
                    *seat.borrow_mut() = Some(name);
                    log.push(name);
                }
            })
        })
        .collect();
    for c in customers {
        c.await.unwrap();
    }
    audit.lock().await.clone()
}

/// Checks the seat, then awaits the (free) lock, then books.
pub async fn buggy() {
    let log = book_all(false).await;
    assert_eq!(log.len(), 1, "seat double-booked: {log:?}");
}

/// Takes the lock, then checks and books under it.
pub async fn fixed() {
    let log = book_all(true).await;
    assert_eq!(log.len(), 1, "seat double-booked: {log:?}");
}
