//! Task groups: the engine's side of simulated nodes. A group is a set of tasks that can be
//! killed, held or released together; `sim::node` makes one per generation of a node (a boot
//! and everything it spawns) and never names a task itself.
//!
//! Invariants:
//! - every task belongs to exactly one group, fixed at spawn: the group it was spawned into, or
//!   else the group of the task that spawned it (group 0, [`NO_GROUP`], for tasks outside any
//!   node). A group's status moves `Live <-> Held`, and `Live | Held -> Dead`, never back.
//! - killing a group queues each of its unfinished tasks for cancellation; the run loop drops
//!   them, in slot order, before it fires a timer or polls any other task, so no other task
//!   runs between a crash and the end of the crashed tasks. A task spawned into a dead group
//!   (by a destructor of a crashed task) is queued for cancellation at once.
//! - while a group is held, its tasks are not polled: queued ones leave the runnable set, and
//!   wakes that reach them are parked, in arrival order; releasing the group makes the parked
//!   tasks runnable in that order. Timers keep firing; their wakes are parked like any other.
//! - runs that make no group pay one `None` check per step and per spawn.

use std::collections::VecDeque;

use crate::executor::{Phase, Ready};
use crate::record::EventKind;

use super::Core;
use super::state::State;
use super::step::Step;

/// The group of tasks outside any node.
pub(crate) const NO_GROUP: u32 = 0;

/// Asks [`Core::insert`] to put a new task in its spawner's group.
pub(crate) const INHERIT: u32 = u32::MAX;

/// Where a group is in its life; see the module docs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Status {
    Live,
    Held,
    Dead,
}

/// Every group of a run (made at the first group asked for).
pub(super) struct Groups {
    /// Indexed by group; slot 0 is [`NO_GROUP`], always live.
    status: Vec<Status>,
    /// How many groups are held, so that wakes take the plain path while none is.
    held: usize,
    /// Wakes of held groups' tasks, in arrival order.
    parked: Vec<Ready>,
    /// Tasks of dead groups still to be dropped, in order.
    kills: VecDeque<Ready>,
}

impl Groups {
    fn new() -> Groups {
        Groups {
            status: vec![Status::Live],
            held: 0,
            parked: Vec::new(),
            kills: VecDeque::new(),
        }
    }

    fn status(&self, group: u32) -> Status {
        self.status[group as usize]
    }

    /// Whether a wake of a task in `group` must be parked.
    #[inline]
    pub(super) fn holds(&self, group: u32) -> bool {
        self.held > 0 && self.status[group as usize] == Status::Held
    }

    pub(super) fn any_held(&self) -> bool {
        self.held > 0
    }

    pub(super) fn park(&mut self, ready: Ready) {
        self.parked.push(ready);
    }
}

impl State {
    /// The group a task spawned now joins when it is not given one: the polled task's.
    fn spawner_group(&self, polling: Ready) -> u32 {
        if self.groups.is_none() || self.current != Some(polling.id) {
            return NO_GROUP;
        }
        self.tasks.group(polling.key)
    }

    /// Settles the group of a task being inserted (see [`INHERIT`]).
    pub(super) fn group_for(&self, asked: u32, polling: Ready) -> u32 {
        if asked == INHERIT {
            self.spawner_group(polling)
        } else {
            asked
        }
    }

    /// What a new task's group means for it: queued for cancellation if the group is dead,
    /// parked if it is held.
    pub(super) fn admit(&mut self, ready: Ready, group: u32) {
        let Some(groups) = self.groups.as_deref_mut() else {
            return;
        };
        match groups.status(group) {
            Status::Live => {}
            Status::Dead => groups.kills.push_back(ready),
            Status::Held => {
                self.tasks.unqueue(ready);
                self.tasks.entry(ready.key).phase = Phase::Idle;
                groups.parked.push(ready);
            }
        }
    }

    /// The next task of a dead group to drop, as a step (`None` when there is none).
    #[inline]
    pub(super) fn next_kill(&mut self) -> Option<Step> {
        let groups = self.groups.as_deref_mut()?;
        while let Some(ready) = groups.kills.pop_front() {
            let Some(entry) = self.tasks.get(ready.key, ready.id) else {
                continue;
            };
            match entry.phase {
                Phase::Done | Phase::Running => continue,
                // Woken again after the kill took it out of the runnable set.
                Phase::Queued => self.tasks.unqueue(ready),
                Phase::Idle => {}
            }
            self.tasks.entry(ready.key).phase = Phase::Running;
            self.steps += 1;
            self.record(EventKind::Cancelled { task: ready.id });
            self.current = Some(ready.id);
            return Some(Step::Cancel(ready));
        }
        None
    }
}

impl Core {
    /// Makes a new, live group.
    pub(crate) fn new_group(&self) -> u32 {
        let mut st = self.state.borrow_mut();
        let groups = st.groups.get_or_insert_with(|| Box::new(Groups::new()));
        groups.status.push(Status::Live);
        u32::try_from(groups.status.len() - 1).expect("fewer than 2^32 groups in a run")
    }

    /// The group of the task being polled ([`NO_GROUP`] outside a task).
    pub(crate) fn current_group(&self) -> u32 {
        let st = self.state.borrow();
        st.spawner_group(self.polling.get().1)
    }

    /// Kills `group`: its unfinished tasks are dropped before anything else runs (see the
    /// module docs). Killing a dead group does nothing.
    pub(crate) fn kill_group(&self, group: u32) {
        let mut guard = self.state.borrow_mut();
        let st = &mut *guard;
        let Some(groups) = st.groups.as_deref_mut() else {
            return;
        };
        match groups.status(group) {
            Status::Dead => return,
            Status::Held => groups.held -= 1,
            Status::Live => {}
        }
        groups.status[group as usize] = Status::Dead;
        let tasks = &st.tasks;
        groups.parked.retain(|r| tasks.group(r.key) != group);
        st.tasks.unqueue_group(group);
        let members = st.tasks.members(group);
        let groups = st.groups.as_deref_mut().expect("made above");
        groups.kills.extend(members);
    }

    /// Holds `group`: its tasks are not polled until [`release_group`](Self::release_group).
    /// Holding a held group does nothing; a dead group cannot be held.
    pub(crate) fn hold_group(&self, group: u32) {
        let mut guard = self.state.borrow_mut();
        let st = &mut *guard;
        let Some(groups) = st.groups.as_deref_mut() else {
            return;
        };
        if groups.status(group) != Status::Live {
            return;
        }
        groups.status[group as usize] = Status::Held;
        groups.held += 1;
        let queued = st.tasks.unqueue_group(group);
        st.groups
            .as_deref_mut()
            .expect("made above")
            .parked
            .extend(queued);
    }

    /// Releases a held `group`: the wakes parked meanwhile make its tasks runnable, in the
    /// order they arrived.
    pub(crate) fn release_group(&self, group: u32) {
        let mut guard = self.state.borrow_mut();
        let st = &mut *guard;
        let Some(groups) = st.groups.as_deref_mut() else {
            return;
        };
        if groups.status(group) != Status::Held {
            return;
        }
        groups.status[group as usize] = Status::Live;
        groups.held -= 1;
        let tasks = &mut st.tasks;
        groups.parked.retain(|&r| {
            if tasks.get(r.key, r.id).is_none() {
                return false; // gone since (aborted, say)
            }
            if tasks.group(r.key) != group {
                return true;
            }
            tasks.wake(r);
            false
        });
    }
}
