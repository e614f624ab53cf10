//! Atomicity violation among noise (sim: `tests/src/bugs/atomicity_violation_with_noise.rs`): a
//! stock-keeper moves an item from `in_stock` to `reserved` in two steps with an `await`
//! between them, an auditor checks `in_stock + reserved == TOTAL` once, and six unrelated tasks
//! yield around them. The fix makes the move one synchronous step.

use std::cell::Cell;
use std::rc::Rc;

use shuttle::future::{block_on, spawn_local, yield_now};

const TOTAL: u32 = 10;
const MOVES: u32 = 1;
const NOISE_TASKS: usize = 6;
const NOISE_STEPS: usize = 12;
const WORK_STEPS: usize = 8;
const AUDIT_DELAY: usize = 14;

#[derive(Debug)]
struct Inventory {
    in_stock: Cell<u32>,
    reserved: Cell<u32>,
}

async fn run(atomic_move: bool) {
    let inv = Rc::new(Inventory {
        in_stock: Cell::new(TOTAL),
        reserved: Cell::new(0),
    });
    let noise: Vec<_> = (0..NOISE_TASKS)
        .map(|_| {
            spawn_local(async {
                for _ in 0..NOISE_STEPS {
                    yield_now().await;
                }
            })
        })
        .collect();
    let keeper = {
        let inv = Rc::clone(&inv);
        spawn_local(async move {
            for _ in 0..MOVES {
                for _ in 0..WORK_STEPS {
                    yield_now().await; // other work before the next order
                }
                if atomic_move {
                    inv.in_stock.set(inv.in_stock.get() - 1);
                    inv.reserved.set(inv.reserved.get() + 1);
                    yield_now().await; // the audit record, after the move
                } else {
                    inv.in_stock.set(inv.in_stock.get() - 1);
                    yield_now().await; // the audit record, in the middle of the move
                    inv.reserved.set(inv.reserved.get() + 1);
                }
            }
        })
    };
    let auditor = {
        let inv = Rc::clone(&inv);
        spawn_local(async move {
            for _ in 0..AUDIT_DELAY {
                yield_now().await;
            }
            let seen = inv.in_stock.get() + inv.reserved.get();
            assert_eq!(seen, TOTAL, "auditor saw an item in neither place: {inv:?}");
        })
    };
    for n in noise {
        n.await.unwrap();
    }
    keeper.await.unwrap();
    auditor.await.unwrap();
}

/// Two-step move with an `await` in the middle.
pub(crate) fn buggy() {
    block_on(run(false));
}

/// One-step move; the `await` comes after.
pub(crate) fn fixed() {
    block_on(run(true));
}
