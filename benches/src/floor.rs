//! The floor: about the least a seeded, random-order executor can spend, for comparison only.
//!
//! A few dozen lines on `async-task`, which keeps a task's future, output and waker state in
//! one allocation: a thread-local vector of runnable tasks, a uniformly random pick from a
//! seeded generator, one byte recorded per pick. Nothing else: no timers, no step limit, no
//! abort or cancellation semantics, no deadlock report, no events, no detection of wakes from
//! other threads (such a wake lands on that thread's queue). Nobody should run tests on it;
//! it shows how much of `sim`'s cost per step is scheduling itself and how much is the rest.

use std::cell::RefCell;
use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use async_task::{Runnable, Task};

use crate::Lcg;

thread_local! {
    static RUNNABLE: RefCell<Vec<Runnable>> = const { RefCell::new(Vec::new()) };
}

fn schedule(runnable: Runnable) {
    RUNNABLE.with(|q| q.borrow_mut().push(runnable));
}

/// Drops the tasks left runnable, with the queue released: dropping one may schedule another
/// (its future held that task's handle), which pushes onto the queue.
fn drop_left_over() {
    loop {
        let left = RUNNABLE.with(|q| std::mem::take(&mut *q.borrow_mut()));
        if left.is_empty() {
            break;
        }
        drop(left);
    }
}

/// Spawns a task on the thread's floor executor.
pub fn spawn<F>(future: F) -> Task<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
{
    let (runnable, task) = async_task::spawn_local(future, schedule);
    runnable.schedule();
    task
}

/// Runs `future` as a task among the others, picking a runnable task at random each step,
/// until it finishes.
///
/// # Panics
///
/// If no task can run and `future` has not finished (a deadlock).
pub fn block_on<F>(seed: u64, future: F) -> F::Output
where
    F: Future + 'static,
    F::Output: 'static,
{
    drop_left_over(); // from an earlier run that panicked, so they cannot shift the picks
    let main = spawn(future);
    let mut rng = Lcg(seed);
    let mut decisions: Vec<u8> = Vec::with_capacity(256);
    while !main.is_finished() {
        let next = RUNNABLE.with(|q| {
            let mut q = q.borrow_mut();
            let n = q.len();
            if n == 0 {
                return None;
            }
            let pick = (((rng.next_u64() >> 21) * n as u64) >> 32) as usize;
            decisions.push(pick as u8);
            Some(q.swap_remove(pick))
        });
        match next {
            Some(runnable) => {
                runnable.run();
            }
            None => panic!("deadlock: no task can run"),
        }
    }
    std::hint::black_box(&decisions);
    drop_left_over();
    let mut main = pin!(main);
    match main.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(output) => output,
        Poll::Pending => unreachable!("the main task finished"),
    }
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::rc::Rc;

    use super::*;

    /// Runs four tasks of three yields each under `seed`, returning the order of their steps.
    fn order(seed: u64) -> Vec<(usize, usize)> {
        let log = Rc::new(RefCell::new(Vec::new()));
        let sum = block_on(seed, {
            let log = Rc::clone(&log);
            async move {
                let tasks: Vec<_> = (0..4)
                    .map(|t| {
                        let log = Rc::clone(&log);
                        spawn(async move {
                            for y in 0..3 {
                                log.borrow_mut().push((t, y));
                                sim::task::yield_now().await;
                            }
                            t
                        })
                    })
                    .collect();
                let mut sum = 0;
                for task in tasks {
                    sum += task.await;
                }
                sum
            }
        });
        assert_eq!(sum, 6, "every task's output reaches the main task");
        Rc::try_unwrap(log).unwrap().into_inner()
    }

    #[test]
    fn every_step_runs_and_a_seed_fixes_the_order() {
        let first = order(7);
        assert_eq!(first.len(), 12);
        assert_eq!(order(7), first, "the same seed gives the same order");
        let orders: std::collections::HashSet<_> = (0..20).map(order).collect();
        assert!(
            orders.len() > 5,
            "seeds pick different orders: {}",
            orders.len()
        );
    }

    #[test]
    #[should_panic(expected = "deadlock")]
    fn a_task_that_cannot_run_is_a_deadlock() {
        block_on(1, std::future::pending::<()>());
    }
}
