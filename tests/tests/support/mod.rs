//! Helpers shared by the integration tests.
#![allow(dead_code, unreachable_pub)]

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use sim::{Builder, Runtime, Strategy};

/// A log the tests append to from many tasks, to compare orders across runs.
#[derive(Clone, Default)]
pub struct Log(Rc<RefCell<Vec<String>>>);

impl Log {
    pub fn push(&self, entry: impl Into<String>) {
        self.0.borrow_mut().push(entry.into());
    }

    pub fn take(&self) -> Vec<String> {
        std::mem::take(&mut self.0.borrow_mut())
    }

    pub fn snapshot(&self) -> Vec<String> {
        self.0.borrow().clone()
    }
}

/// Counts drops, to prove that a future was really dropped (and when).
#[derive(Clone, Default)]
pub struct DropCounter(Rc<RefCell<Vec<Duration>>>);

impl DropCounter {
    /// A guard that records the virtual time of its drop (or zero outside a run).
    pub fn guard(&self) -> DropGuard {
        DropGuard(self.clone())
    }

    pub fn count(&self) -> usize {
        self.0.borrow().len()
    }

    /// Virtual times at which guards were dropped.
    pub fn times(&self) -> Vec<Duration> {
        self.0.borrow().clone()
    }
}

pub struct DropGuard(DropCounter);

impl Drop for DropGuard {
    fn drop(&mut self) {
        let t = if sim::in_simulation() {
            sim::time::elapsed()
        } else {
            Duration::ZERO
        };
        self.0.0.borrow_mut().push(t);
    }
}

pub fn fifo() -> Runtime {
    Builder::new().strategy(Strategy::Fifo).build()
}

pub fn random(seed: u64) -> Runtime {
    Builder::new().seed(seed).strategy(Strategy::Random).build()
}

pub fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}
