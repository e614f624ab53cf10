//! Lock-order deadlock: two transfers lock the two accounts they touch, source first. One goes
//! A to B, the other B to A; with a yield between the two locks, each can hold its first lock
//! while waiting for the other's, and neither ever proceeds (the run ends in
//! `SimError::Deadlock`). The fix locks accounts in one global order (by account number).

use std::rc::Rc;

use sim::sync::Mutex;
use sim::task::yield_now;

struct Account {
    number: u32,
    balance: Mutex<i64>,
}

async fn transfer(from: Rc<Account>, to: Rc<Account>, amount: i64, ordered: bool) {
    let (first, second) = if ordered && to.number < from.number {
        (&to, &from)
    } else {
        (&from, &to)
    };
    let mut a = first.balance.lock().await;
    yield_now().await; // e.g. logging between the two acquisitions
    let mut b = second.balance.lock().await;
    let (src, dst) = if Rc::ptr_eq(first, &from) {
        (&mut *a, &mut *b)
    } else {
        (&mut *b, &mut *a)
    };
    *src -= amount;
    *dst += amount;
}

async fn two_transfers(ordered: bool) {
    let a = Rc::new(Account {
        number: 1,
        balance: Mutex::new(100),
    });
    let b = Rc::new(Account {
        number: 2,
        balance: Mutex::new(100),
    });
    let t1 = sim::spawn(transfer(Rc::clone(&a), Rc::clone(&b), 10, ordered));
    let t2 = sim::spawn(transfer(Rc::clone(&b), Rc::clone(&a), 20, ordered));
    t1.await.unwrap();
    t2.await.unwrap();
    let total = *a.balance.lock().await + *b.balance.lock().await;
    assert_eq!(total, 200, "money created or destroyed");
}

/// Each transfer locks its source account first.
pub async fn buggy() {
    two_transfers(false).await;
}

/// Each transfer locks the lower-numbered account first.
pub async fn fixed() {
    two_transfers(true).await;
}
