//! Task wakers, and what happens when one is used from another thread.
//!
//! A task's waker holds its task's slot and id and a shared [`Inbox`]. Waking pushes the task
//! into the inbox; the run loop drains the inbox between steps, in push order, into the runnable
//! set. A wake never touches the task table itself, so waking is safe from anywhere, including
//! destructors that run while the runtime is busy.
//!
//! A waker's allocation outlives its task: the task table keeps it with the task's slot, and
//! the next task to take the slot (in this run or a later one on the thread) reuses it if
//! nothing else holds it, so spawning allocates once. One still held elsewhere is left alone
//! and keeps naming its old task, whose wakes the table ignores.
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
//!   reach the locked queue, and when the local queue fills up or stops being active its wakes
//!   move, in order, to the locked queue.

use std::cell::Cell;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Wake, Waker};

use super::runnable::Ready;
use crate::record::TaskId;

/// Identifies a thread cheaply (a `ThreadId` lookup costs more than a thread-local read).
fn thread_token() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    thread_local! {
        static TOKEN: u64 = NEXT.fetch_add(1, Ordering::Relaxed);
    }
    TOKEN.with(|t| *t)
}

/// How many same-thread wakes the local queue holds between two drains. One more moves them,
/// in order, to the locked queue first (rare: a step usually wakes a task or two).
const LOCAL_CAPACITY: usize = 64;

const NO_TASK: Ready = Ready {
    key: 0,
    id: TaskId(0),
};

/// The same-thread wakes of the runtime running on this thread. Plain cells, no destructor:
/// reaching it is a thread-local load, with no lazy registration and no borrow flag.
struct Local {
    /// The address of the active inbox (0: none). An inbox cannot be freed while its runtime
    /// runs, so the address names it without ambiguity.
    inbox: Cell<usize>,
    len: Cell<usize>,
    wakes: [Cell<Ready>; LOCAL_CAPACITY],
}

thread_local! {
    static LOCAL: Local = const {
        Local {
            inbox: Cell::new(0),
            len: Cell::new(0),
            wakes: [const { Cell::new(NO_TASK) }; LOCAL_CAPACITY],
        }
    };
}

impl Local {
    /// Moves the queued wakes, in order, to the end of `inbox`'s locked queue.
    fn spill(&self, inbox: &Inbox) {
        let n = self.len.replace(0);
        if n > 0 {
            let mut queue = inbox.lock();
            queue.extend(self.wakes[..n].iter().map(Cell::get));
            inbox.pending.store(true, Ordering::Release);
        }
    }
}

/// While alive, wakes of one inbox made on this thread take the lock-free path. Dropping it
/// moves any wakes left over into the locked queue, so none is lost. Only one inbox per thread
/// is active at a time (runs do not nest); a second activation leaves the first in place and
/// its inbox keeps to the locked queue, which is just as correct.
pub(crate) struct LocalWakes {
    inbox: Option<Arc<Inbox>>,
}

impl Drop for LocalWakes {
    fn drop(&mut self) {
        if let Some(inbox) = self.inbox.take() {
            let _ = LOCAL.try_with(|l| {
                l.spill(&inbox);
                l.inbox.set(0);
            });
        }
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
        let activated = LOCAL
            .try_with(|l| {
                let free = l.inbox.get() == 0;
                if free {
                    l.inbox.set(address);
                    l.len.set(0);
                }
                free
            })
            .unwrap_or(false);
        LocalWakes {
            inbox: activated.then(|| Arc::clone(self)),
        }
    }

    /// Queues a wake of task `ready` (what its waker does).
    #[inline]
    pub(crate) fn push(&self, ready: Ready) {
        let address = self.address();
        let local = LOCAL
            .try_with(|l| {
                if l.inbox.get() != address {
                    return false;
                }
                if l.len.get() == LOCAL_CAPACITY {
                    l.spill(self);
                }
                let n = l.len.get();
                l.wakes[n].set(ready);
                l.len.set(n + 1);
                true
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
        self.drain_with(|ready| out.push(ready));
    }

    /// Hands every pending wake to `f`, in the order they came (the same order as
    /// [`drain_into`](Self::drain_into), with no buffer between).
    ///
    /// `f` must not wake a task of this inbox: it runs while the locked queue is held and while
    /// the local queue is being read.
    #[inline]
    pub(crate) fn drain_with(&self, mut f: impl FnMut(Ready)) {
        if self.pending.load(Ordering::Acquire) {
            self.drain_locked(&mut f);
        }
        let address = self.address();
        let _ = LOCAL.try_with(|l| {
            if l.inbox.get() == address {
                let n = l.len.replace(0);
                for wake in &l.wakes[..n] {
                    f(wake.get());
                }
                debug_assert_eq!(l.len.get(), 0, "a drain's callback woke a task");
            }
        });
    }

    /// Hands the locked queue's wakes to `f`, under the lock.
    #[cold]
    fn drain_locked(&self, f: &mut impl FnMut(Ready)) {
        let mut queue = self.lock();
        queue.drain(..).for_each(f);
        self.pending.store(false, Ordering::Relaxed);
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
    /// A new waker for the task `ready` of `inbox`'s runtime.
    pub(crate) fn new(ready: Ready, inbox: &Arc<Inbox>) -> Arc<TaskWaker> {
        Arc::new(TaskWaker {
            ready,
            inbox: Arc::clone(inbox),
        })
    }

    /// The task this waker wakes.
    pub(crate) fn task(&self) -> Ready {
        self.ready
    }

    /// The waker for the task `ready`, reusing `slot` (the waker of a task that has left the
    /// table) when nothing else holds it: no clone of it can then wake anything, so pointing
    /// it at another task cannot misdirect a wake. Otherwise `slot` gets a new waker and the
    /// old one keeps naming its old task, whose wakes the table ignores.
    pub(crate) fn renew(slot: &mut Arc<TaskWaker>, ready: Ready, inbox: &Arc<Inbox>) -> Waker {
        match Arc::get_mut(slot) {
            Some(waker) => {
                waker.ready = ready;
                if !Arc::ptr_eq(&waker.inbox, inbox) {
                    waker.inbox = Arc::clone(inbox);
                }
            }
            None => *slot = TaskWaker::new(ready, inbox),
        }
        Waker::from(Arc::clone(slot))
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

    fn drain(inbox: &Inbox) -> Vec<u64> {
        let mut out = Vec::new();
        inbox.drain_into(&mut out);
        out.iter().map(|r| r.id.0).collect()
    }

    #[test]
    fn wakes_keep_their_order_across_both_queues() {
        let inbox = Arc::new(Inbox::new());
        inbox.push(Ready::nth(1)); // not active: the locked queue
        let active = inbox.activate();
        inbox.push(Ready::nth(2)); // active: the local queue
        inbox.push(Ready::nth(3));
        assert_eq!(drain(&inbox), [1, 2, 3]);
        inbox.push(Ready::nth(4));
        drop(active); // left-over local wakes move to the locked queue
        inbox.push(Ready::nth(5));
        assert_eq!(drain(&inbox), [4, 5]);
        assert!(drain(&inbox).is_empty());
    }

    #[test]
    fn more_wakes_than_the_local_queue_holds_keep_their_order() {
        let inbox = Arc::new(Inbox::new());
        let _active = inbox.activate();
        let n = LOCAL_CAPACITY as u64 * 2 + 5;
        for i in 0..n {
            inbox.push(Ready::nth(i));
        }
        assert_eq!(drain(&inbox), (0..n).collect::<Vec<_>>());
    }

    #[test]
    fn a_second_activation_leaves_the_first_in_place() {
        let (outer, inner) = (Arc::new(Inbox::new()), Arc::new(Inbox::new()));
        let outer_active = outer.activate();
        outer.push(Ready::nth(1));
        let inner_active = inner.activate();
        outer.push(Ready::nth(2)); // outer stays the active inbox
        inner.push(Ready::nth(10));
        drop(inner_active);
        outer.push(Ready::nth(3));
        assert_eq!(drain(&inner), [10]);
        assert_eq!(drain(&outer), [1, 2, 3]);
        drop(outer_active);
        assert!(drain(&outer).is_empty());
    }

    #[test]
    fn a_waker_nothing_holds_is_renewed_in_place_for_the_next_task() {
        let inbox = Arc::new(Inbox::new());
        let mut slot = TaskWaker::new(Ready::nth(1), &inbox);
        let first = Arc::as_ptr(&slot);
        let waker = TaskWaker::renew(&mut slot, Ready::nth(2), &inbox);
        assert_eq!(Arc::as_ptr(&slot), first, "the allocation is reused");
        waker.wake_by_ref();
        assert_eq!(drain(&inbox), [2], "the renewed waker names the new task");
        drop(waker);

        // Another run's inbox: the waker follows the new runtime.
        let next = Arc::new(Inbox::new());
        TaskWaker::renew(&mut slot, Ready::nth(3), &next).wake();
        assert_eq!(Arc::as_ptr(&slot), first);
        assert!(drain(&inbox).is_empty());
        assert_eq!(drain(&next), [3]);
    }

    #[test]
    fn a_waker_still_held_is_not_renewed() {
        let inbox = Arc::new(Inbox::new());
        let mut slot = TaskWaker::new(Ready::nth(1), &inbox);
        let kept = Waker::from(Arc::clone(&slot)); // e.g. left in a channel's waiter list
        let renewed = TaskWaker::renew(&mut slot, Ready::nth(2), &inbox);
        assert!(
            !renewed.will_wake(&kept),
            "a held waker keeps its own allocation"
        );
        kept.wake();
        renewed.wake();
        assert_eq!(drain(&inbox), [1, 2], "each wakes the task it was made for");
    }

    #[test]
    fn a_wake_from_another_thread_is_delivered_and_recorded() {
        let inbox = Arc::new(Inbox::new());
        let _active = inbox.activate();
        inbox.push(Ready::nth(1));
        let remote = Arc::clone(&inbox);
        std::thread::spawn(move || remote.push(Ready::nth(2)))
            .join()
            .unwrap();
        assert_eq!(drain(&inbox), [2, 1], "the locked queue drains first");
        assert_eq!(inbox.foreign_wake().map(|f| f.task), Some(TaskId(2)));
    }
}
