//! The waits each task registered, and how the end of a wait finds the wait it ends.

use std::collections::BTreeMap;
use std::collections::btree_map::Entry;
use std::rc::Rc;

use super::WaitTarget;
use crate::engine::Core;
use crate::record::TaskId;

/// One wait of a task.
pub(super) struct Wait {
    pub(super) target: Rc<dyn WaitTarget>,
    /// Registered by one of sim's primitives, whose end names only the task that stopped
    /// waiting ([`Core::clear_wait`]), not the target: such ends are matched to waits by
    /// elimination.
    pub(super) anonymous: bool,
}

/// Everything one task waits on: one wait or more (the branches of a `select!`), oldest first.
///
/// A wait registered through [`Waiting`](crate::sync::Waiting) ends naming its target, so the
/// right one is removed. One registered by a primitive of `sync` ends naming only its task:
/// when all the task's anonymous waits are on one target, any of them will do; when they are
/// on several, sim cannot tell which one ended and counts it in `unmatched` instead. Waits are
/// then over by elimination (as many ends as waits: all over), and a target with more waits
/// than can still be on keeps only those; the others are reported as uncertain, never dropped
/// and never reported as certain.
pub(crate) struct TaskWaits {
    /// Kept apart so that a task's one wait, the common case, costs no allocation.
    first: Wait,
    more: Vec<Wait>,
    /// Ends of anonymous waits not matched to one: that many of the anonymous waits are over.
    /// Invariant: fewer than the anonymous waits, and zero unless they are on two targets or
    /// more.
    unmatched: usize,
}

/// Which waits an end removes.
enum Removal {
    Nothing,
    One(usize),
    /// In increasing order.
    Several(Vec<usize>),
}

impl TaskWaits {
    fn new(first: Wait) -> TaskWaits {
        TaskWaits {
            first,
            more: Vec::new(),
            unmatched: 0,
        }
    }

    pub(super) fn len(&self) -> usize {
        1 + self.more.len()
    }

    fn iter(&self) -> impl Iterator<Item = &Wait> {
        std::iter::once(&self.first).chain(&self.more)
    }

    /// Removes the wait at `index`; there must be another one left.
    fn remove(&mut self, index: usize) -> Wait {
        debug_assert!(self.len() > 1, "the last wait goes with its entry");
        if index == 0 {
            let next = self.more.remove(0);
            std::mem::replace(&mut self.first, next)
        } else {
            self.more.remove(index - 1)
        }
    }

    /// Which wait registered through [`Waiting`](crate::sync::Waiting) on `target` ends.
    fn end_of(&self, target: &Rc<dyn WaitTarget>) -> Removal {
        match self
            .iter()
            .position(|w| !w.anonymous && Rc::ptr_eq(&w.target, target))
        {
            Some(index) => Removal::One(index),
            None => Removal::Nothing,
        }
    }

    /// One of the anonymous waits ended: which waits that ends (see the type's docs).
    fn end_anonymous(&mut self) -> Removal {
        let one_target = {
            let mut anonymous = self.iter().enumerate().filter(|(_, w)| w.anonymous);
            let Some((first, wait)) = anonymous.next() else {
                return Removal::Nothing;
            };
            anonymous
                .all(|(_, w)| Rc::ptr_eq(&w.target, &wait.target))
                .then_some(first)
        };
        if let Some(first) = one_target {
            return Removal::One(first);
        }
        self.unmatched += 1;
        self.settle()
    }

    /// After an unmatched end: the waits now known to be over.
    #[cold]
    fn settle(&mut self) -> Removal {
        let anonymous: Vec<usize> = (0..self.len()).filter(|&i| self.get(i).anonymous).collect();
        if self.unmatched >= anonymous.len() {
            self.unmatched = 0;
            return Removal::Several(anonymous);
        }
        // At most `live` of a target's waits can still be on: the rest are over.
        let live = anonymous.len() - self.unmatched;
        let mut over = Vec::new();
        for (k, &i) in anonymous.iter().enumerate() {
            let target = &self.get(i).target;
            let earlier = anonymous[..k]
                .iter()
                .any(|&j| Rc::ptr_eq(&self.get(j).target, target));
            if earlier {
                continue;
            }
            let same: Vec<usize> = anonymous[k..]
                .iter()
                .copied()
                .filter(|&j| Rc::ptr_eq(&self.get(j).target, target))
                .collect();
            if same.len() > live {
                over.extend_from_slice(&same[..same.len() - live]);
            }
        }
        self.unmatched -= over.len();
        over.sort_unstable();
        Removal::Several(over)
    }

    fn get(&self, index: usize) -> &Wait {
        match index {
            0 => &self.first,
            i => &self.more[i - 1],
        }
    }

    /// The distinct targets waited on, oldest first, each with whether it is uncertain (its
    /// waits may all be over).
    pub(super) fn report(&self) -> Vec<(Rc<dyn WaitTarget>, bool)> {
        let mut out: Vec<(Rc<dyn WaitTarget>, bool)> = Vec::with_capacity(self.len());
        for wait in self.iter() {
            if out.iter().any(|(t, _)| Rc::ptr_eq(t, &wait.target)) {
                continue;
            }
            let uncertain = wait.anonymous
                && self
                    .iter()
                    .filter(|w| w.anonymous && Rc::ptr_eq(&w.target, &wait.target))
                    .count()
                    <= self.unmatched;
            out.push((Rc::clone(&wait.target), uncertain));
        }
        out
    }
}

/// Applies `removal` to `task`'s waits; returns the removed waits, to be dropped once the
/// state is released (a target may be user code).
fn apply(
    mut entry: std::collections::btree_map::OccupiedEntry<'_, TaskId, TaskWaits>,
    removal: Removal,
) -> Vec<Wait> {
    match removal {
        Removal::Nothing => Vec::new(),
        Removal::One(_) if entry.get().len() == 1 => vec![entry.remove().first],
        Removal::One(index) => vec![entry.get_mut().remove(index)],
        Removal::Several(indices) if indices.len() == entry.get().len() => {
            let waits = entry.remove();
            std::iter::once(waits.first).chain(waits.more).collect()
        }
        Removal::Several(indices) => indices
            .into_iter()
            .rev()
            .map(|i| entry.get_mut().remove(i))
            .collect(),
    }
}

/// The waits of every task, keyed by task.
pub(super) type WaitMap = BTreeMap<TaskId, TaskWaits>;

pub(super) fn add_wait(waits: &mut WaitMap, task: TaskId, wait: Wait) {
    match waits.entry(task) {
        Entry::Vacant(entry) => {
            entry.insert(TaskWaits::new(wait));
        }
        Entry::Occupied(entry) => entry.into_mut().more.push(wait),
    }
}

pub(super) fn end_wait_on(
    waits: &mut WaitMap,
    task: TaskId,
    target: &Rc<dyn WaitTarget>,
) -> Vec<Wait> {
    let Entry::Occupied(entry) = waits.entry(task) else {
        return Vec::new();
    };
    let removal = entry.get().end_of(target);
    apply(entry, removal)
}

pub(super) fn end_anonymous_wait(waits: &mut WaitMap, task: TaskId) -> Vec<Wait> {
    let Entry::Occupied(mut entry) = waits.entry(task) else {
        return Vec::new();
    };
    let removal = entry.get_mut().end_anonymous();
    apply(entry, removal)
}

impl Core {
    /// `task` now waits on `target`, until [`Core::clear_wait`] names the task (the waits of
    /// `sync`'s primitives, through `Resource`).
    pub(crate) fn register_wait(&self, task: TaskId, target: Rc<dyn WaitTarget>) {
        let wait = Wait {
            target,
            anonymous: true,
        };
        add_wait(&mut self.state.borrow_mut().waits, task, wait);
    }

    /// `task` now also waits on `target`, until [`Core::clear_wait_on`] names it (a
    /// [`Waiting`](crate::sync::Waiting)).
    pub(crate) fn register_wait_on(&self, task: TaskId, target: Rc<dyn WaitTarget>) {
        let wait = Wait {
            target,
            anonymous: false,
        };
        add_wait(&mut self.state.borrow_mut().waits, task, wait);
    }

    /// `task` no longer waits on `target` (registered with [`Core::register_wait_on`]); its
    /// other waits stay.
    pub(crate) fn clear_wait_on(&self, task: TaskId, target: &Rc<dyn WaitTarget>) {
        let old = end_wait_on(&mut self.state.borrow_mut().waits, task, target);
        drop(old); // with the state released: a target may be user code
    }

    /// One of `task`'s waits registered with [`Core::register_wait`] is over; which one, the
    /// caller does not say.
    pub(crate) fn clear_wait(&self, task: TaskId) {
        let old = end_anonymous_wait(&mut self.state.borrow_mut().waits, task);
        drop(old); // with the state released: a target may be user code
    }
}
