//! The waits each task registered, and how the end of a wait finds the wait it ends.
//!
//! A wait registered through [`Waiting`](crate::sync::Waiting) ends naming its target, so the
//! right one is removed. One registered by a primitive of `sync` (an *anonymous* wait) ends
//! naming only its task: when all the task's anonymous waits are on one target, any of them
//! will do; when they are on several, sim cannot tell which one ended and counts the end as
//! *unmatched* instead. Waits are then over by elimination (as many ends as waits: all over),
//! and a target with more waits than can still be on keeps only that many; the others are
//! reported as uncertain, never dropped and never reported as certain.
//!
//! Cost: a task blocked in one primitive, the common case, is one map entry no larger than
//! a pointer pair ([`TaskWaits::One`]), added and removed as before tasks could wait on
//! several things; only a second wait, or a [`Waiting`](crate::sync::Waiting), allocates.

use std::collections::BTreeMap;
use std::rc::Rc;

use super::WaitTarget;
use crate::engine::Core;
use crate::record::TaskId;

/// The waits of every task, keyed by task.
pub(super) type WaitMap = BTreeMap<TaskId, TaskWaits>;

/// Everything one task waits on: one wait or more (the branches of a `select!`).
pub(crate) enum TaskWaits {
    /// One anonymous wait.
    One(Rc<dyn WaitTarget>),
    /// Any other set of waits (never empty).
    Many(Box<Many>),
}

/// Several waits of one task, or one that ends by its target.
pub(crate) struct Many {
    /// Oldest first.
    waits: Vec<Wait>,
    /// Ends of anonymous waits not matched to one: that many of the anonymous waits are over.
    /// Invariant: fewer than the anonymous waits, and zero unless they are on two targets or
    /// more.
    unmatched: usize,
}

/// One wait of a task.
pub(super) struct Wait {
    target: Rc<dyn WaitTarget>,
    /// Registered by one of sim's primitives, whose end names only the task that stopped
    /// waiting ([`Core::clear_wait`]), not the target.
    anonymous: bool,
}

/// Waits that ended, to be dropped once the state is released (a target may be user code).
/// The common case, one wait, costs no allocation.
#[allow(dead_code, reason = "the targets are held only to be dropped later")]
pub(super) enum Ended {
    None,
    One(Rc<dyn WaitTarget>),
    Several(Vec<Wait>),
}

#[cfg(test)]
impl Ended {
    pub(super) fn len(&self) -> usize {
        match self {
            Ended::None => 0,
            Ended::One(_) => 1,
            Ended::Several(waits) => waits.len(),
        }
    }
}

impl TaskWaits {
    /// How many waits the task has (a target waited on twice counts twice).
    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        match self {
            TaskWaits::One(_) => 1,
            TaskWaits::Many(many) => many.waits.len(),
        }
    }

    /// The distinct targets waited on, oldest first, each with whether it is uncertain (all
    /// its waits may be over).
    pub(super) fn report(&self) -> Vec<(Rc<dyn WaitTarget>, bool)> {
        let many = match self {
            TaskWaits::One(target) => return vec![(Rc::clone(target), false)],
            TaskWaits::Many(many) => many,
        };
        let mut out: Vec<(Rc<dyn WaitTarget>, bool)> = Vec::with_capacity(many.waits.len());
        for wait in &many.waits {
            if out.iter().any(|(t, _)| Rc::ptr_eq(t, &wait.target)) {
                continue;
            }
            let uncertain = wait.anonymous && many.count(&wait.target) <= many.unmatched;
            out.push((Rc::clone(&wait.target), uncertain));
        }
        out
    }
}

impl Many {
    fn new(waits: Vec<Wait>) -> Box<Many> {
        Box::new(Many {
            waits,
            unmatched: 0,
        })
    }

    /// How many anonymous waits are on `target`.
    fn count(&self, target: &Rc<dyn WaitTarget>) -> usize {
        self.waits
            .iter()
            .filter(|w| w.anonymous && Rc::ptr_eq(&w.target, target))
            .count()
    }

    /// The wait registered through `Waiting` on `target` ended.
    fn end_of(&mut self, target: &Rc<dyn WaitTarget>) -> Ended {
        match self
            .waits
            .iter()
            .position(|w| !w.anonymous && Rc::ptr_eq(&w.target, target))
        {
            Some(index) => Ended::Several(vec![self.waits.remove(index)]),
            None => Ended::None,
        }
    }

    /// One of the anonymous waits ended: remove what that says is over.
    fn end_anonymous(&mut self) -> Ended {
        let mut anonymous = self.waits.iter().enumerate().filter(|(_, w)| w.anonymous);
        let Some((first, wait)) = anonymous.next() else {
            return Ended::None;
        };
        let target = &wait.target;
        if anonymous.all(|(_, w)| Rc::ptr_eq(&w.target, target)) {
            // Whichever ended, the rest are the same.
            return Ended::Several(vec![self.waits.remove(first)]);
        }
        self.unmatched += 1;
        self.settle()
    }

    /// After an unmatched end: remove the waits now known to be over.
    fn settle(&mut self) -> Ended {
        let anonymous = self.waits.iter().filter(|w| w.anonymous).count();
        if self.unmatched >= anonymous {
            self.unmatched = 0;
            let (over, kept) = std::mem::take(&mut self.waits)
                .into_iter()
                .partition(|w| w.anonymous);
            self.waits = kept;
            return Ended::Several(over);
        }
        // At most `live` of a target's waits can still be on: the oldest others are over.
        let live = anonymous - self.unmatched;
        let mut over = Vec::new();
        let mut i = 0;
        while i < self.waits.len() {
            let wait = &self.waits[i];
            if wait.anonymous && self.count(&wait.target) > live {
                over.push(self.waits.remove(i));
                self.unmatched -= 1;
            } else {
                i += 1;
            }
        }
        Ended::Several(over)
    }
}

#[inline]
pub(super) fn add_wait(
    waits: &mut WaitMap,
    task: TaskId,
    target: Rc<dyn WaitTarget>,
    anonymous: bool,
) {
    // One map operation in the common case, a task's first wait (an anonymous one): the map
    // is touched on every wait, so this costs what a wait cost when a task had only one.
    let new = if anonymous {
        TaskWaits::One(target)
    } else {
        TaskWaits::Many(Many::new(vec![Wait { target, anonymous }]))
    };
    if let Some(old) = waits.insert(task, new) {
        merge(waits, task, old);
    }
}

/// `task` had waits (`old`) when another was added in their place: keep them all.
#[cold]
fn merge(waits: &mut WaitMap, task: TaskId, old: TaskWaits) {
    let into_many = |waits: TaskWaits| match waits {
        TaskWaits::One(target) => Many::new(vec![Wait {
            target,
            anonymous: true,
        }]),
        TaskWaits::Many(many) => many,
    };
    let new = waits.remove(&task).map(into_many).expect("just inserted");
    let mut merged = into_many(old);
    merged.waits.extend(new.waits);
    waits.insert(task, TaskWaits::Many(merged));
}

pub(super) fn end_wait_on(waits: &mut WaitMap, task: TaskId, target: &Rc<dyn WaitTarget>) -> Ended {
    let Some(TaskWaits::Many(many)) = waits.get_mut(&task) else {
        return Ended::None; // an anonymous wait does not end by its target
    };
    let ended = many.end_of(target);
    if many.waits.is_empty() {
        waits.remove(&task);
    }
    ended
}

#[inline]
pub(super) fn end_anonymous_wait(waits: &mut WaitMap, task: TaskId) -> Ended {
    // As in `add_wait`: one map operation in the common case.
    match waits.remove(&task) {
        None => Ended::None,
        Some(TaskWaits::One(target)) => Ended::One(target),
        Some(TaskWaits::Many(many)) => end_one_of_many(waits, task, many),
    }
}

/// One of the anonymous waits of `task`, which has `many` (taken out of `waits`), ended.
#[cold]
fn end_one_of_many(waits: &mut WaitMap, task: TaskId, mut many: Box<Many>) -> Ended {
    let ended = many.end_anonymous();
    if !many.waits.is_empty() {
        waits.insert(task, TaskWaits::Many(many));
    }
    ended
}

impl Core {
    /// `task` now waits on `target`, until [`Core::clear_wait`] names the task: the waits of
    /// `sync`'s primitives (see the [module docs](self)).
    #[inline]
    pub(crate) fn register_wait(&self, task: TaskId, target: Rc<dyn WaitTarget>) {
        add_wait(&mut self.state.borrow_mut().waits, task, target, true);
    }

    /// `task` now also waits on `target`, until [`Core::clear_wait_on`] names it (a
    /// [`Waiting`](crate::sync::Waiting)).
    pub(crate) fn register_wait_on(&self, task: TaskId, target: Rc<dyn WaitTarget>) {
        add_wait(&mut self.state.borrow_mut().waits, task, target, false);
    }

    /// `task` no longer waits on `target` (registered with [`Core::register_wait_on`]); its
    /// other waits stay.
    pub(crate) fn clear_wait_on(&self, task: TaskId, target: &Rc<dyn WaitTarget>) {
        let old = end_wait_on(&mut self.state.borrow_mut().waits, task, target);
        drop(old); // with the state released: a target may be user code
    }

    /// One of `task`'s waits registered with [`Core::register_wait`] is over; which one, the
    /// caller does not say.
    #[inline]
    pub(crate) fn clear_wait(&self, task: TaskId) {
        let old = end_anonymous_wait(&mut self.state.borrow_mut().waits, task);
        drop(old); // with the state released: a target may be user code
    }
}
