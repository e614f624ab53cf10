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
//!
//! Two queues make up an inbox, and the drain keeps their combined order:
//! - while a runtime's `block_on` runs, wakes from its own thread go to a thread-local queue
//!   ([`LocalWakes`]), with no lock and no atomic operation: the common case, a step's one wake;
//! - every other wake (another thread, or the runtime's thread while the runtime is not running)
//!   goes to the locked queue. A drain takes the locked queue first, then the local one. That is
//!   push order: while the local queue is active, only foreign wakes (which end the run anyway)
//!   reach the locked queue, and when it stops being active its wakes move to the locked queue.

use std::cell::RefCell;
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

/// The same-thread wakes of the runtime running on this thread.
struct Local {
    /// The address of the active inbox (0: none). An inbox cannot be freed while its runtime
    /// runs, so the address names it without ambiguity.
    inbox: usize,
    wakes: Vec<Ready>,
    /// The active inbox itself, to hand its wakes back if another inbox becomes active.
    owner: Option<Arc<Inbox>>,
}

thread_local! {
    static LOCAL: RefCell<Local> = const {
        RefCell::new(Local {
            inbox: 0,
            wakes: Vec::new(),
            owner: None,
        })
    };
}

/// While alive, wakes of one inbox made on this thread take the lock-free path. Dropping it
/// moves any wakes left over into the locked queue, so none is lost.
pub(crate) struct LocalWakes {
    previous: Option<Local>,
}

impl Drop for LocalWakes {
    fn drop(&mut self) {
        let previous = self.previous.take().expect("restored once");
        let mut mine = LOCAL.with(|l| std::mem::replace(&mut *l.borrow_mut(), previous));
        if let Some(inbox) = mine.owner.take()
            && !mine.wakes.is_empty()
        {
            inbox.lock().append(&mut mine.wakes);
            inbox.pending.store(true, Ordering::Release);
        }
        // Hand the (empty) buffer back when nothing else is active, so the next run on this
        // thread does not grow a new one.
        LOCAL.with(|l| {
            let mut l = l.borrow_mut();
            if l.inbox == 0 && l.wakes.capacity() < mine.wakes.capacity() {
                l.wakes = mine.wakes;
            }
        });
    }
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
    /// Whether `queue` may hold wakes (set and cleared under its lock), so a drain skips the
    /// lock when it is empty.
    pending: AtomicBool,
    foreign_seen: AtomicBool,
    foreign: Mutex<Option<ForeignWake>>,
}

impl Inbox {
    /// An inbox owned by the calling thread.
    pub(crate) fn new() -> Inbox {
        Inbox {
            owner: thread_token(),
            queue: Mutex::new(Vec::new()),
            pending: AtomicBool::new(false),
            foreign_seen: AtomicBool::new(false),
            foreign: Mutex::new(None),
        }
    }

    fn address(&self) -> usize {
        std::ptr::from_ref(self) as usize
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Ready>> {
        self.queue.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Makes this inbox the thread's active one until the returned guard drops.
    pub(crate) fn activate(self: &Arc<Self>) -> LocalWakes {
        let address = self.address();
        let previous = LOCAL.with(|l| {
            let mut l = l.borrow_mut();
            // Reuse the idle buffer's capacity; the guard gives it back.
            let wakes = if l.inbox == 0 {
                std::mem::take(&mut l.wakes)
            } else {
                Vec::new()
            };
            let mut previous = std::mem::replace(
                &mut *l,
                Local {
                    inbox: address,
                    wakes,
                    owner: Some(Arc::clone(self)),
                },
            );
            // The outer inbox's wakes so far go before any it receives while inactive.
            if let Some(outer) = &previous.owner
                && !previous.wakes.is_empty()
            {
                outer.lock().append(&mut previous.wakes);
                outer.pending.store(true, Ordering::Release);
            }
            previous
        });
        LocalWakes {
            previous: Some(previous),
        }
    }

    #[inline]
    fn push(&self, ready: Ready) {
        let address = self.address();
        let local = LOCAL
            .try_with(|l| {
                let mut l = l.borrow_mut();
                if l.inbox == address {
                    l.wakes.push(ready);
                    true
                } else {
                    false
                }
            })
            .unwrap_or(false);
        if !local {
            self.push_locked(ready);
        }
    }

    #[cold]
    fn push_locked(&self, ready: Ready) {
        if thread_token() != self.owner {
            self.record_foreign(ready.id);
        }
        let mut queue = self.lock();
        queue.push(ready);
        self.pending.store(true, Ordering::Release);
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
    #[inline]
    pub(crate) fn drain_into(&self, out: &mut Vec<Ready>) {
        debug_assert!(out.is_empty());
        if self.pending.load(Ordering::Acquire) {
            let mut queue = self.lock();
            out.append(&mut queue);
            self.pending.store(false, Ordering::Relaxed);
        }
        let address = self.address();
        LOCAL.with(|l| {
            let mut l = l.borrow_mut();
            if l.inbox == address && !l.wakes.is_empty() {
                if out.is_empty() {
                    std::mem::swap(out, &mut l.wakes);
                } else {
                    out.append(&mut l.wakes);
                }
            }
        });
    }

    /// The first wake from a foreign thread, if there was one.
    #[inline]
    pub(crate) fn foreign_wake(&self) -> Option<ForeignWake> {
        if !self.foreign_seen.load(Ordering::Acquire) {
            return None;
        }
        self.recorded_foreign()
    }

    #[cold]
    fn recorded_foreign(&self) -> Option<ForeignWake> {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn ready(n: u64) -> Ready {
        Ready {
            key: n as usize,
            id: TaskId(n),
        }
    }

    fn drain(inbox: &Inbox) -> Vec<u64> {
        let mut out = Vec::new();
        inbox.drain_into(&mut out);
        out.iter().map(|r| r.id.0).collect()
    }

    #[test]
    fn wakes_keep_their_order_across_both_queues() {
        let inbox = Arc::new(Inbox::new());
        inbox.push(ready(1)); // not active: the locked queue
        let active = inbox.activate();
        inbox.push(ready(2)); // active: the local queue
        inbox.push(ready(3));
        assert_eq!(drain(&inbox), [1, 2, 3]);
        inbox.push(ready(4));
        drop(active); // left-over local wakes move to the locked queue
        inbox.push(ready(5));
        assert_eq!(drain(&inbox), [4, 5]);
        assert!(drain(&inbox).is_empty());
    }

    #[test]
    fn a_nested_activation_restores_the_outer_one() {
        let (outer, inner) = (Arc::new(Inbox::new()), Arc::new(Inbox::new()));
        let outer_active = outer.activate();
        outer.push(ready(1));
        let inner_active = inner.activate();
        outer.push(ready(2)); // outer is not the active inbox now
        inner.push(ready(10));
        drop(inner_active);
        outer.push(ready(3));
        assert_eq!(drain(&inner), [10]);
        assert_eq!(drain(&outer), [1, 2, 3]);
        drop(outer_active);
        assert!(drain(&outer).is_empty());
    }

    #[test]
    fn a_wake_from_another_thread_is_delivered_and_recorded() {
        let inbox = Arc::new(Inbox::new());
        let _active = inbox.activate();
        inbox.push(ready(1));
        let remote = Arc::clone(&inbox);
        std::thread::spawn(move || remote.push(ready(2)))
            .join()
            .unwrap();
        assert_eq!(drain(&inbox), [2, 1], "the locked queue drains first");
        assert_eq!(inbox.foreign_wake().map(|f| f.task), Some(TaskId(2)));
    }
}
