//! Double spend: a withdrawal checks the balance, awaits a fraud check (simulated I/O of 2 ms),
//! then debits. Two withdrawals that arrive close together both pass the check against the
//! same balance and overdraw the account. The fix reserves the money (debits) before awaiting
//! and refunds it if the fraud check rejects the withdrawal.

use std::cell::Cell;
use std::rc::Rc;

use sim::time::{Duration, sleep};

const BALANCE: i64 = 100;
const AMOUNT: i64 = 80;

/// The fraud check: 2 ms of I/O, approves everything in this simulation.
async fn fraud_check() -> bool {
    sleep(Duration::from_millis(2)).await;
    true
}

async fn two_withdrawals(reserve_first: bool) -> i64 {
    let balance = Rc::new(Cell::new(BALANCE));
    let withdrawals: Vec<_> = (0..2)
        .map(|_| {
            let balance = Rc::clone(&balance);
            sim::spawn(async move {
                // Requests arrive at random times within 4 ms.
                sleep(Duration::from_millis(sim::rand::random::<u64>() % 4)).await;
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
pub async fn buggy() {
    let balance = two_withdrawals(false).await;
    assert!(balance >= 0, "double spend: balance {balance}");
}

/// Check and debit together, then await (refunding on rejection).
pub async fn fixed() {
    let balance = two_withdrawals(true).await;
    assert!(balance >= 0, "double spend: balance {balance}");
}
