//! Double spend (sim: `tests/src/bugs/double_spend.rs`), without time: a withdrawal checks the
//! balance, awaits a fraud check, then debits; two withdrawals both pass the check against the
//! same balance. The fix debits before awaiting and refunds on rejection.
//!
//! Shuttle has no virtual clock, so two things of the sim program cannot be written: the
//! requests' random arrival times (0-3 ms) and the fraud check's 2 ms of I/O. Here the fraud
//! check is a `yield_now` (a scheduling point standing for the I/O) and both requests arrive
//! at once; the scheduler alone decides whether the second check lands before the first debit.
//! This is a different, time-free program with the same check-await-act logic.

use std::cell::Cell;
use std::rc::Rc;

use shuttle::future::{block_on, spawn_local, yield_now};

const BALANCE: i64 = 100;
const AMOUNT: i64 = 80;

/// The fraud check: I/O (here a scheduling point), approves everything.
async fn fraud_check() -> bool {
    yield_now().await;
    true
}

async fn two_withdrawals(reserve_first: bool) -> i64 {
    let balance = Rc::new(Cell::new(BALANCE));
    let withdrawals: Vec<_> = (0..2)
        .map(|_| {
            let balance = Rc::clone(&balance);
            spawn_local(async move {
                if reserve_first {
                    if balance.get() >= AMOUNT {
                        balance.set(balance.get() - AMOUNT);
                        if !fraud_check().await {
                            balance.set(balance.get() + AMOUNT);
                        }
                    }
                } else if balance.get() >= AMOUNT && fraud_check().await {
                    balance.set(balance.get() - AMOUNT);
                }
            })
        })
        .collect();
    for w in withdrawals {
        w.await.unwrap();
    }
    balance.get()
}

/// Check, await, debit.
pub(crate) fn buggy() {
    block_on(async {
        let balance = two_withdrawals(false).await;
        assert!(balance >= 0, "double spend: balance {balance}");
    });
}

/// Check and debit together, then await (refunding on rejection).
pub(crate) fn fixed() {
    block_on(async {
        let balance = two_withdrawals(true).await;
        assert!(balance >= 0, "double spend: balance {balance}");
    });
}
