//! The task table: every live task of a runtime, and the runnable set over them.
//!
//! A task's [`Phase`] moves `Queued -> Running -> (Idle -> Queued -> Running)* -> Done`:
//! - `Queued`: in the runnable set, exactly once.
//! - `Running`: being polled (or cancelled); its cell is out of the table meanwhile, so the
//!   future can spawn, wake and drop other tasks without the table being borrowed.
//! - `Idle`: pending and not runnable; a wake moves it to `Queued`.
//! - `Done`: the cell holds the output.
//!
//! An entry leaves the table when it is `Done` and no join handle can still take its output:
//! at completion if every handle was dropped (detached), otherwise when the last handle takes
//! the output or is dropped. A task usually has one handle; a task group keeps a second. So the
//! table holds live tasks and unclaimed outputs, never history.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::panic::Location;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;
use std::task::Waker;

use slab::Slab;

use super::cell::AnyTask;
use super::runnable::{Ready, RunnableSet};
use super::waker::{Inbox, TaskWaker};
use crate::record::TaskId;
use crate::record::{Outcome, TaskInfo};
use crate::spare;

/// Where a task is in its life; see the module docs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    Queued,
    Running,
    Idle,
    Done,
}

/// A task's hot state: what every step touches. Exactly one cache line, so picking a task in
/// random order costs one cache miss; the cold state (name, spawn site) lives in [`Cold`],
/// beside the table, and is read only by reports.
#[repr(align(64))]
pub(crate) struct TaskEntry {
    pub(crate) id: TaskId,
    pub(crate) phase: Phase,
    /// Join handles that can still take the output (a task group holds a second one); at
    /// zero the task is detached.
    pub(crate) claims: u8,
    pub(crate) abort_requested: bool,
    /// `None` while the task is being polled, and always for the `block_on` future, which
    /// lives on the caller's stack.
    pub(crate) cell: Option<Pin<Box<dyn AnyTask>>>,
    /// The task's own waker; `None` while the task is being polled (the poll holds it).
    pub(crate) waker: Option<Waker>,
    pub(crate) join_waker: Option<Waker>,
    /// When the task finished, as a position in the run's completion order (from 1; 0 while
    /// it runs). Wraps after 2^32 completions; it only orders handles still pending at once.
    pub(crate) finished: u32,
    /// How the task finished.
    pub(crate) outcome: Option<Outcome>,
}

/// A task's cold state, indexed like the table's slots. It stays in place after the entry is
/// removed, until a new task takes the slot, so a report can still name a task that just
/// left the table.
pub(crate) struct Cold {
    /// Shared, so the `block_on` future's name costs no allocation per run (see
    /// [`main_name`]).
    pub(crate) name: Option<Rc<str>>,
    pub(crate) spawned_at: &'static Location<'static>,
    /// The group the task belongs to (a node's generation; 0 for none), see
    /// `engine/groups.rs`.
    pub(crate) group: u32,
    /// The waker of the slot's latest task, which also names that task. The next task in
    /// the slot reuses it when nothing else holds it (see [`TaskWaker::renew`]), so spawning
    /// allocates once (the task's cell), not twice; the table keeps these across runs.
    waker: Arc<TaskWaker>,
}

impl Cold {
    /// The task this slot describes: the latest one to take it.
    fn id(&self) -> TaskId {
        self.waker.task().id
    }
}

/// Every live task, and which of them are runnable.
pub(crate) struct TaskTable {
    slab: Slab<TaskEntry>,
    cold: Vec<Cold>,
    runnable: RunnableSet,
    next_id: u64,
    /// How many slots this table has used (its highest key plus one): only their cold
    /// entries can hold a name of this run. `cold` may be longer, kept from an earlier table.
    slots_used: usize,
    completions: u64,
}

/// What the table needs to insert a task.
pub(crate) struct NewTask {
    pub(crate) name: Option<Rc<str>>,
    pub(crate) spawned_at: &'static Location<'static>,
    pub(crate) group: u32,
    pub(crate) cell: Option<Pin<Box<dyn AnyTask>>>,
}

/// The name of every `block_on` future: one shared string per thread, since a check starts a
/// run per seed.
pub(crate) fn main_name() -> Rc<str> {
    thread_local! {
        static MAIN: Rc<str> = Rc::from("main");
    }
    MAIN.with(Rc::clone)
}

/// The empty buffers of the last table dropped on this thread, for the next one (see
/// [`crate::spare`]): the table's cache-line-aligned slab is the dearest allocation of a
/// runtime's creation. Kept only up to [`TaskTable::RECYCLE_MAX`] slots, so a thread holds at
/// most a few hundred KiB.
struct Spare {
    slab: Slab<TaskEntry>,
    /// Kept with their wakers (names cleared): each waker is renewed for a task of the next
    /// table or, if something still holds it, replaced.
    cold: Vec<Cold>,
    runnable: RunnableSet,
}

thread_local! {
    static SPARE: RefCell<Option<Spare>> = const { RefCell::new(None) };
}

impl TaskTable {
    /// Room for this many tasks is made up front: most runs stay below it, and growing a
    /// table step by step costs a run more than one larger allocation.
    const INITIAL: usize = 32;

    /// The largest table whose buffers are kept for the next run on the thread.
    const RECYCLE_MAX: usize = 4096;

    pub(crate) fn new() -> TaskTable {
        let Spare {
            slab,
            cold,
            runnable,
        } = spare::take(&SPARE).unwrap_or_else(|| Spare {
            slab: Slab::with_capacity(Self::INITIAL),
            cold: Vec::with_capacity(Self::INITIAL),
            runnable: RunnableSet::with_capacity(Self::INITIAL),
        });
        debug_assert!(slab.is_empty() && runnable.is_empty());
        TaskTable {
            slab,
            cold,
            runnable,
            next_id: 0,
            slots_used: 0,
            completions: 0,
        }
    }

    /// Inserts a task, runnable at once.
    pub(crate) fn insert(&mut self, task: NewTask, inbox: &Arc<Inbox>) -> Ready {
        let id = TaskId(self.next_id);
        self.next_id += 1;
        let entry = self.slab.vacant_entry();
        let ready = Ready {
            key: entry.key(),
            id,
        };
        self.slots_used = self.slots_used.max(ready.key + 1);
        entry.insert(TaskEntry {
            id,
            phase: Phase::Queued,
            claims: 1,
            abort_requested: false,
            cell: task.cell,
            waker: Some(match self.cold.get_mut(ready.key) {
                Some(cold) => {
                    cold.name = task.name;
                    cold.spawned_at = task.spawned_at;
                    cold.group = task.group;
                    TaskWaker::renew(&mut cold.waker, ready, inbox)
                }
                None => {
                    debug_assert_eq!(self.cold.len(), ready.key, "slab keys are dense");
                    let waker = TaskWaker::new(ready, inbox);
                    self.cold.push(Cold {
                        name: task.name,
                        spawned_at: task.spawned_at,
                        group: task.group,
                        waker: Arc::clone(&waker),
                    });
                    Waker::from(waker)
                }
            }),
            join_waker: None,
            finished: 0,
            outcome: None,
        });
        self.runnable.push(ready);
        ready
    }

    /// The entry at `key`, if it still belongs to task `id`.
    pub(crate) fn get(&self, key: usize, id: TaskId) -> Option<&TaskEntry> {
        self.slab.get(key).filter(|e| e.id == id)
    }

    /// The entry at `key`, if it still belongs to task `id`.
    #[inline]
    pub(crate) fn get_mut(&mut self, key: usize, id: TaskId) -> Option<&mut TaskEntry> {
        self.slab.get_mut(key).filter(|e| e.id == id)
    }

    /// The entry of a task the run loop is handling; it must exist.
    #[inline]
    pub(crate) fn entry(&mut self, key: usize) -> &mut TaskEntry {
        &mut self.slab[key]
    }

    pub(crate) fn remove(&mut self, key: usize) -> TaskEntry {
        self.slab.remove(key)
    }

    /// Removes the entry in the lowest slot at or after `*cursor`, moving the cursor past it
    /// (and round to slot 0 at the end of the used slots); used to tear the runtime down in
    /// slot order. A cursor that only moves forward makes a teardown of `n` tasks O(n): a
    /// search from slot 0 each time skipped every slot already emptied, and a run that ended
    /// with a million live tasks took minutes to drop.
    pub(crate) fn remove_next(&mut self, cursor: &mut usize) -> Option<TaskEntry> {
        if self.slab.is_empty() {
            return None;
        }
        loop {
            if *cursor >= self.slots_used {
                *cursor = 0;
            }
            let key = *cursor;
            *cursor += 1;
            if self.slab.contains(key) {
                return Some(self.slab.remove(key));
            }
        }
    }

    /// Makes an idle task runnable. A task already runnable, running, finished or gone is left
    /// as it is (a task woken while running is re-queued by the wake that reaches the inbox).
    #[inline]
    pub(crate) fn wake(&mut self, ready: Ready) {
        if let Some(entry) = self.get_mut(ready.key, ready.id)
            && entry.phase == Phase::Idle
        {
            entry.phase = Phase::Queued;
            self.runnable.push(ready);
        }
    }

    /// The group of the task in slot `key` (see `engine/groups.rs`).
    #[inline]
    pub(crate) fn group(&self, key: usize) -> u32 {
        self.cold[key].group
    }

    /// The tasks of `group` that have not finished (running ones included), in slot order.
    pub(crate) fn members(&self, group: u32) -> Vec<Ready> {
        self.slab
            .iter()
            .filter(|(key, e)| e.phase != Phase::Done && self.cold[*key].group == group)
            .map(|(key, e)| Ready { key, id: e.id })
            .collect()
    }

    /// Takes every queued task of `group` out of the runnable set, all at once, and marks it
    /// idle; returns them in the runnable set's order.
    pub(crate) fn unqueue_group(&mut self, group: u32) -> Vec<Ready> {
        let mut taken = Vec::new();
        let cold = &self.cold;
        self.runnable.remove_where(|r| {
            let hit = cold[r.key].group == group;
            if hit {
                taken.push(r);
            }
            hit
        });
        for r in &taken {
            self.slab[r.key].phase = Phase::Idle;
        }
        taken
    }

    /// Takes a task out of the runnable set, if it is there (a task abandoned mid-run).
    pub(crate) fn unqueue(&mut self, ready: Ready) {
        if self
            .get(ready.key, ready.id)
            .is_some_and(|e| e.phase == Phase::Queued)
        {
            self.runnable.remove(ready);
        }
    }

    pub(crate) fn runnable(&self) -> &RunnableSet {
        &self.runnable
    }

    /// Takes the runnable task at `index` and marks it running.
    #[inline]
    pub(crate) fn start(&mut self, index: usize) -> (Ready, &mut TaskEntry) {
        let ready = self.runnable.take(index);
        let entry = &mut self.slab[ready.key];
        debug_assert_eq!(entry.phase, Phase::Queued);
        entry.phase = Phase::Running;
        (ready, entry)
    }

    /// Tasks that are neither runnable nor running nor done, in id order.
    pub(crate) fn blocked(&self) -> Vec<TaskInfo> {
        self.infos(|e| e.phase == Phase::Idle)
    }

    /// Tasks blocked on another task's join handle, found without any bookkeeping on the hot
    /// path: a handle keeps its waiter's waker, and an idle task's entry holds that same waker,
    /// so matching the two names the waiter. Pairs of (waiting task, slot of the awaited task).
    /// A waiter that wrapped its waker (a combinator's own waker) is not found.
    pub(crate) fn joins(&self) -> Vec<(TaskId, usize)> {
        let idle: BTreeMap<usize, TaskId> = self
            .slab
            .iter()
            .filter(|(_, e)| e.phase == Phase::Idle)
            .filter_map(|(_, e)| Some((e.waker.as_ref()?.data() as usize, e.id)))
            .collect();
        self.slab
            .iter()
            .filter(|(_, e)| e.phase != Phase::Done)
            .filter_map(|(key, e)| {
                let waiter = idle.get(&(e.join_waker.as_ref()?.data() as usize))?;
                Some((*waiter, key))
            })
            .collect()
    }

    /// For each idle task, how many clones of its waker exist besides the table's own (the
    /// slot's and the entry's): whatever holds them can still wake it. In slot order; a task
    /// whose entry does not hold the slot's waker (which does not happen) is left out.
    pub(crate) fn waker_holders(&self) -> Vec<(TaskId, usize)> {
        self.slab
            .iter()
            .filter(|(_, e)| e.phase == Phase::Idle)
            .filter_map(|(key, e)| {
                let slot = &self.cold[key].waker;
                let ours = e.waker.as_ref()?.data() == Arc::as_ptr(slot).cast::<()>();
                ours.then(|| (e.id, Arc::strong_count(slot) - 2))
            })
            .collect()
    }

    /// The tasks whose entry satisfies `filter`, as reports name them, in id order.
    pub(crate) fn infos(&self, filter: impl Fn(&TaskEntry) -> bool) -> Vec<TaskInfo> {
        let mut infos: Vec<TaskInfo> = self
            .slab
            .iter()
            .filter(|(_, e)| filter(e))
            .map(|(key, _)| self.info(key))
            .collect();
        infos.sort_by_key(|t| t.id);
        infos
    }

    /// How reports name the task in slot `key` (or the task that last left it).
    pub(crate) fn info(&self, key: usize) -> TaskInfo {
        let cold = &self.cold[key];
        TaskInfo {
            id: cold.id(),
            name: cold.name.as_deref().map(str::to_string),
            spawned_at: cold.spawned_at,
        }
    }

    /// The cold state of task `id`, if slot `key` still describes it.
    pub(crate) fn cold(&self, key: usize, id: TaskId) -> Option<&Cold> {
        self.cold.get(key).filter(|c| c.id() == id)
    }

    /// Marks the task at `key` done, stamping its place in the completion order.
    pub(crate) fn mark_done(&mut self, key: usize, outcome: Outcome) -> &mut TaskEntry {
        self.completions += 1;
        let entry = &mut self.slab[key];
        entry.phase = Phase::Done;
        entry.finished = (self.completions as u32).max(1);
        entry.outcome = Some(outcome);
        entry
    }

    pub(crate) fn len(&self) -> usize {
        self.slab.len()
    }
}

impl Drop for TaskTable {
    fn drop(&mut self) {
        if !self.slab.is_empty() || self.slab.capacity() > Self::RECYCLE_MAX {
            return; // the fields drop as usual
        }
        self.slab.clear(); // keys start from 0 again, as in a new slab
        // Only the slots this table used: a thread's spare may have grown far larger.
        for cold in &mut self.cold[..self.slots_used] {
            cold.name = None;
        }
        self.runnable.clear();
        let spare = Spare {
            slab: std::mem::take(&mut self.slab),
            cold: std::mem::take(&mut self.cold),
            runnable: std::mem::take(&mut self.runnable),
        };
        spare::keep(&SPARE, spare);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A live idle task costs its table entry, its cell and its waker; keep the entry small.
    #[test]
    fn entry_size() {
        let entry = std::mem::size_of::<TaskEntry>();
        assert_eq!(entry, 64, "a task table entry must stay one cache line");
        let cold = std::mem::size_of::<Cold>();
        assert_eq!(
            cold, 40,
            "a slot's cold state: name, spawn site, group and waker"
        );
    }

    fn task() -> NewTask {
        NewTask {
            name: None,
            spawned_at: Location::caller(),
            group: 0,
            cell: None,
        }
    }

    /// The most recently freed slot is the next one taken, and it keeps its waker when
    /// nothing else held it (what `tests/tests/waker_reuse.rs` relies on).
    #[test]
    fn a_freed_slot_is_taken_next_with_its_waker() {
        let inbox = Arc::new(Inbox::new());
        let mut table = TaskTable::new();
        let first = table.insert(task(), &inbox);
        let second = table.insert(task(), &inbox);
        let waker = Arc::as_ptr(&table.cold[second.key].waker);
        drop(table.remove(second.key));
        let third = table.insert(task(), &inbox);
        assert_eq!(third.key, second.key);
        assert_ne!(third.key, first.key);
        assert_eq!(Arc::as_ptr(&table.cold[third.key].waker), waker);
        assert_eq!(
            table.cold(third.key, third.id).map(Cold::id),
            Some(third.id)
        );
        assert!(
            table.cold(second.key, second.id).is_none(),
            "the slot names its new task"
        );
    }

    /// Teardown's walk: lowest slot first, each slot visited once per pass, and a task put
    /// behind the cursor is found when the walk comes round.
    #[test]
    fn remove_next_walks_the_slots_in_order_and_comes_round() {
        let inbox = Arc::new(Inbox::new());
        let mut table = TaskTable::new();
        let tasks: Vec<Ready> = (0..5).map(|_| table.insert(task(), &inbox)).collect();
        drop(table.remove(tasks[1].key));
        drop(table.remove(tasks[3].key));
        let mut cursor = 0;
        let first = table.remove_next(&mut cursor).map(|e| e.id);
        assert_eq!(first, Some(tasks[0].id));
        assert_eq!(cursor, 1);
        let late = table.insert(task(), &inbox);
        let mut order = Vec::new();
        while let Some(entry) = table.remove_next(&mut cursor) {
            order.push(entry.id);
        }
        assert_eq!(late.key, tasks[0].key, "the slot freed last is taken first");
        assert_eq!(order, [tasks[2].id, tasks[4].id, late.id]);
        assert_eq!(table.len(), 0);
    }
}
