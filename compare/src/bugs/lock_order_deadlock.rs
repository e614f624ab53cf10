//! Lock-order deadlock (sim: `tests/src/bugs/lock_order_deadlock.rs`): two transfers lock the
//! two accounts they touch, source first, with a yield between the two locks; A to B and B to A
//! can each hold one lock and wait for the other, which shuttle reports as a deadlock. The fix
//! locks accounts in one global order.

use std::rc::Rc;

use shuttle::future::{block_on, spawn_local, yield_now};
use shuttle::sync::Mutex;

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
    let mut a = first.balance.lock().unwrap();
    yield_now().await; // e.g. logging between the two acquisitions
    let mut b = second.balance.lock().unwrap();
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
    let t1 = spawn_local(transfer(Rc::clone(&a), Rc::clone(&b), 10, ordered));
    let t2 = spawn_local(transfer(Rc::clone(&b), Rc::clone(&a), 20, ordered));
    t1.await.unwrap();
    t2.await.unwrap();
    let total = *a.balance.lock().unwrap() + *b.balance.lock().unwrap();
    assert_eq!(total, 200, "money created or destroyed");
}

/// Each transfer locks its source account first.
pub(crate) fn buggy() {
    block_on(two_transfers(false));
}

/// Each transfer locks the lower-numbered account first.
pub(crate) fn fixed() {
    block_on(two_transfers(true));
}
