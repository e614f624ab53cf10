//! Half done by a timeout: a transfer debits checking, awaits the remote ledger (1-8 ms), then
//! credits savings, under a 5 ms timeout. When the ledger is slow the timeout drops the transfer
//! after the debit and before the credit, and the money disappears. The fix makes the transfer
//! atomic with respect to cancellation: a drop guard puts the debit back unless the credit
//! happened, so a transfer either completes or leaves no trace.

use std::cell::Cell;

use sim::time::{Duration, sleep, timeout};

const START: i64 = 100;

#[derive(Debug)]
struct Bank {
    checking: Cell<i64>,
    savings: Cell<i64>,
}

async fn ledger_call() {
    sleep(Duration::from_millis(1 + sim::rand::random::<u64>() % 8)).await;
}

async fn transfer(bank: &Bank, amount: i64) {
    bank.checking.set(bank.checking.get() - amount);
    ledger_call().await;
    bank.savings.set(bank.savings.get() + amount);
}

/// Undoes a debit unless disarmed: runs when the transfer is dropped half done.
struct Rollback<'a> {
    bank: &'a Bank,
    amount: i64,
    armed: bool,
}

impl Drop for Rollback<'_> {
    fn drop(&mut self) {
        if self.armed {
            self.bank
                .checking
                .set(self.bank.checking.get() + self.amount);
        }
    }
}

async fn transfer_or_roll_back(bank: &Bank, amount: i64) {
    bank.checking.set(bank.checking.get() - amount);
    let mut rollback = Rollback {
        bank,
        amount,
        armed: true,
    };
    ledger_call().await;
    bank.savings.set(bank.savings.get() + amount);
    rollback.armed = false;
}

async fn run(atomic: bool) {
    let bank = Bank {
        checking: Cell::new(START),
        savings: Cell::new(0),
    };
    for _ in 0..3 {
        let limit = Duration::from_millis(5);
        let _ = if atomic {
            timeout(limit, transfer_or_roll_back(&bank, 10)).await
        } else {
            timeout(limit, transfer(&bank, 10)).await
        };
    }
    let total = bank.checking.get() + bank.savings.get();
    assert_eq!(total, START, "money disappeared: {bank:?}");
}

/// Debit, await, credit: a timeout can stop it halfway.
pub async fn buggy() {
    run(false).await;
}

/// The same, with a drop guard that undoes the debit if the credit never happens.
pub async fn fixed() {
    run(true).await;
}
