//! The benchmark harness and workloads: `sim` and its peers on the same futures, in one
//! process, interleaved (see `src/bin/peers.rs` and docs/performance.md).

pub mod floor;
pub mod harness;
pub mod plot;
pub mod workloads;

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

/// A single-slot rendezvous between two tasks: one `send` is taken by one `recv`.
///
/// Only the executor's wake and poll path is exercised, not a channel implementation, so the
/// ping-pong benchmark compares executors and nothing else.
#[derive(Debug, Default, Clone)]
pub struct Slot(Rc<RefCell<SlotState>>);

#[derive(Debug, Default)]
struct SlotState {
    value: Option<u64>,
    receiver: Option<Waker>,
}

impl Slot {
    /// Puts a value in the slot and wakes the receiver. The slot must be empty.
    pub fn send(&self, value: u64) {
        let mut state = self.0.borrow_mut();
        assert!(state.value.is_none(), "slot already full");
        state.value = Some(value);
        if let Some(w) = state.receiver.take() {
            drop(state);
            w.wake();
        }
    }

    /// Waits for a value.
    pub fn recv(&self) -> Recv<'_> {
        Recv(self)
    }
}

/// The future returned by [`Slot::recv`].
#[derive(Debug)]
pub struct Recv<'a>(&'a Slot);

impl Future for Recv<'_> {
    type Output = u64;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<u64> {
        let mut state = self.0.0.borrow_mut();
        match state.value.take() {
            Some(v) => Poll::Ready(v),
            None => {
                state.receiver = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}

/// A tiny deterministic generator for benchmark inputs (not the thing being measured).
#[derive(Debug, Clone)]
pub struct Lcg(pub u64);

impl Lcg {
    /// The next value.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 11
    }
}

/// Pending once after waking its own task, then ready: a yield that works on any executor
/// (futures' `LocalPool` has none of its own).
#[derive(Debug, Default)]
pub struct YieldNow(bool);

impl Future for YieldNow {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0 {
            return Poll::Ready(());
        }
        self.0 = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}
