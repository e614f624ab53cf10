//! Task wakers, and what happens when one is used from another thread.
//!
//! A task's waker holds its task's slot and id and a shared [`Inbox`]. Waking pushes the task
//! into the inbox; the run loop drains the inbox between steps, in push order, into the runnable
//! set. A wake never touches the task table itself, so waking is safe from anywhere, including
//! destructors that run while the runtime is busy.
//!
//! `std::task::Waker` must be `Send + Sync`, so a waker can reach another thread. A wake from
//! a thread other than the one that created the runtime is delivered (nothing is lost and
//! nothing undefined happens), but such a wake arrives at a moment no seed controls, so the run
//! can no longer be reproduced. The runtime therefore records the first foreign wake and ends
//! the run at its next scheduling point with
//! [`SimError::NonDeterminism`](crate::SimError::NonDeterminism), naming the task and the thread.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Wake, Waker};

use super::TaskId;
use super::runnable::Ready;

/// Identifies a thread cheaply (a `ThreadId` lookup costs more than a thread-local read).
fn thread_token() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    thread_local! {
        static TOKEN: u64 = NEXT.fetch_add(1, Ordering::Relaxed);
    }
    TOKEN.with(|t| *t)
}

/// A wake that came from a thread other than the runtime's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ForeignWake {
    pub(crate) task: TaskId,
    pub(crate) thread: String,
}

/// Wakes waiting to be moved into the runnable set.
#[derive(Debug)]
pub(crate) struct Inbox {
    owner: u64,
    queue: Mutex<Vec<Ready>>,
    foreign_seen: AtomicBool,
    foreign: Mutex<Option<ForeignWake>>,
}

impl Inbox {
    /// An inbox owned by the calling thread.
    pub(crate) fn new() -> Inbox {
        Inbox {
            owner: thread_token(),
            queue: Mutex::new(Vec::new()),
            foreign_seen: AtomicBool::new(false),
            foreign: Mutex::new(None),
        }
    }

    fn push(&self, ready: Ready) {
        if thread_token() != self.owner {
            self.record_foreign(ready.id);
        }
        self.queue
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(ready);
    }

    #[cold]
    fn record_foreign(&self, task: TaskId) {
        let mut slot = self.foreign.lock().unwrap_or_else(PoisonError::into_inner);
        if slot.is_none() {
            let current = std::thread::current();
            let thread = match current.name() {
                Some(name) => format!("`{name}` ({:?})", current.id()),
                None => format!("{:?}", current.id()),
            };
            *slot = Some(ForeignWake { task, thread });
        }
        self.foreign_seen.store(true, Ordering::Release);
    }

    /// Moves every pending wake into `out` (which must be empty), in the order they came.
    pub(crate) fn drain_into(&self, out: &mut Vec<Ready>) {
        debug_assert!(out.is_empty());
        std::mem::swap(
            &mut *self.queue.lock().unwrap_or_else(PoisonError::into_inner),
            out,
        );
    }

    /// The first wake from a foreign thread, if there was one.
    pub(crate) fn foreign_wake(&self) -> Option<ForeignWake> {
        if !self.foreign_seen.load(Ordering::Acquire) {
            return None;
        }
        self.foreign
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

/// The waker of one task.
#[derive(Debug)]
pub(crate) struct TaskWaker {
    ready: Ready,
    inbox: Arc<Inbox>,
}

impl TaskWaker {
    pub(crate) fn waker(ready: Ready, inbox: &Arc<Inbox>) -> Waker {
        Waker::from(Arc::new(TaskWaker {
            ready,
            inbox: Arc::clone(inbox),
        }))
    }
}

impl Wake for TaskWaker {
    fn wake(self: Arc<Self>) {
        self.inbox.push(self.ready);
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.inbox.push(self.ready);
    }
}
