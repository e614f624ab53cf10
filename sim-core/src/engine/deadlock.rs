//! Deadlock analysis: what each blocked task waits on, who holds it, and the first cycle in the
//! "waits on a resource held by" graph.

use std::collections::BTreeMap;
use std::collections::btree_map::Entry;
use std::fmt;
use std::rc::Rc;

use crate::error::{BlockedOn, Deadlock, SimError, WakerHeld, find_cycle};
use crate::record::{RunPoint, TaskId, TaskInfo};

use super::Core;
use super::state::State;

/// Something a task can wait on, as a deadlock report names it: a lock, a channel, a join
/// handle, a socket — sim's primitives implement it, and so can a third-party one.
///
/// A primitive registers the waiting task with [`Waiting`](crate::sync::Waiting) while the task
/// is blocked on it; when the run deadlocks, the report prints, for each blocked task, the
/// target's `Display` and the tasks it names as [`holders`](WaitTarget::holders), and looks for
/// a cycle of "waits on something held by". Both are called after the run has stopped, with the
/// runtime released, so they may read anything (but there is nothing left to schedule).
///
/// # Examples
///
/// ```
/// use std::fmt;
/// use std::rc::Rc;
/// use sim::sync::{WaitTarget, Waiting};
///
/// /// A gate that never opens.
/// struct Gate;
///
/// impl fmt::Display for Gate {
///     fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
///         f.write_str("the gate of the example")
///     }
/// }
///
/// impl WaitTarget for Gate {}
///
/// let err = sim::Runtime::new(0)
///     .block_on(async {
///         let _waiting = Waiting::new(Rc::new(Gate));
///         std::future::pending::<()>().await
///     })
///     .unwrap_err();
/// assert!(err.to_string().contains("waiting on the gate of the example"), "{err}");
/// ```
pub trait WaitTarget: fmt::Display {
    /// The tasks holding the target (a lock's owner, a semaphore's permit holders); none by
    /// default.
    fn holders(&self) -> Vec<TaskId> {
        Vec::new()
    }

    /// Tasks that probably hold the target, when sim cannot know who does: a guess, which the
    /// report prints as one ("probably held by") and follows only to find a
    /// [`probable_cycle`](crate::Deadlock::probable_cycle). The waiting task itself, tasks
    /// already among the [`holders`](WaitTarget::holders) and tasks no longer running are left
    /// out. None by default; a oneshot channel's receiver names the task that created the
    /// channel (see [`sync::oneshot`](crate::sync::oneshot)).
    ///
    /// ```
    /// use std::fmt;
    /// use std::rc::Rc;
    /// use sim::sync::{WaitTarget, Waiting};
    /// use sim::TaskId;
    ///
    /// /// A promise, which the task that made it will probably keep.
    /// struct Promise(TaskId);
    ///
    /// impl fmt::Display for Promise {
    ///     fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    ///         f.write_str("a promise")
    ///     }
    /// }
    ///
    /// impl WaitTarget for Promise {
    ///     fn probable_holders(&self) -> Vec<TaskId> {
    ///         vec![self.0]
    ///     }
    /// }
    ///
    /// let err = sim::Runtime::new(0)
    ///     .block_on(async {
    ///         let maker = sim::spawn(std::future::pending::<()>());
    ///         let _waiting = Waiting::new(Rc::new(Promise(maker.id())));
    ///         std::future::pending::<()>().await
    ///     })
    ///     .unwrap_err();
    /// assert!(err.to_string().contains("waiting on a promise, probably held by #1"), "{err}");
    /// ```
    fn probable_holders(&self) -> Vec<TaskId> {
        Vec::new()
    }
}

/// A deadlock found under the state's borrow, to be described once it is released (so a
/// target's `Display` and `holders`, which may be user code, run outside it).
pub(crate) struct Stuck {
    at: RunPoint,
    blocked: Vec<TaskInfo>,
    /// Each blocked task's waits, in task order and, for one task, in the order it began
    /// them; with whether sim cannot tell if the wait is still on (see [`TaskWaits`]).
    waits: Vec<(TaskId, Rc<dyn WaitTarget>, bool)>,
    /// Who holds the waker of each blocked task that names no wait.
    wakers: Vec<(TaskId, WakerHeld)>,
}

impl Stuck {
    pub(crate) fn into_error(self) -> SimError {
        let running = |task: &TaskId| self.blocked.iter().any(|t| t.id == *task);
        let waits: Vec<BlockedOn> = self
            .waits
            .iter()
            .map(|(task, target, uncertain)| {
                let holders = target.holders();
                let mut probable_holders: Vec<TaskId> = target
                    .probable_holders()
                    .into_iter()
                    .filter(|t| t != task && !holders.contains(t) && running(t))
                    .collect();
                probable_holders.sort_unstable();
                probable_holders.dedup();
                BlockedOn {
                    task: *task,
                    resource: target.to_string(),
                    holders,
                    probable_holders,
                    uncertain: *uncertain,
                }
            })
            .collect();
        let cycle = find_cycle(&waits, false);
        SimError::Deadlock(Deadlock {
            at: self.at,
            blocked: self.blocked,
            waits,
            cycle,
            wakers: self.wakers.into_boxed_slice(),
        })
    }
}

/// The end of a task, which its join handle's owner waits for; the task itself is its holder,
/// so a task and the one it awaits that wait on each other form a reported cycle.
struct TaskEnd(TaskInfo);

impl fmt::Display for TaskEnd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the end of task {}", self.0)
    }
}

impl WaitTarget for TaskEnd {
    fn holders(&self) -> Vec<TaskId> {
        vec![self.0.id]
    }
}

/// One wait of a task.
struct Wait {
    target: Rc<dyn WaitTarget>,
    /// Registered by one of sim's primitives, whose end names only the task that stopped
    /// waiting ([`Core::clear_wait`]), not the target: such ends are matched to waits by
    /// elimination.
    anonymous: bool,
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

    fn len(&self) -> usize {
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
    fn report(&self) -> Vec<(Rc<dyn WaitTarget>, bool)> {
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
type WaitMap = BTreeMap<TaskId, TaskWaits>;

fn add_wait(waits: &mut WaitMap, task: TaskId, wait: Wait) {
    match waits.entry(task) {
        Entry::Vacant(entry) => {
            entry.insert(TaskWaits::new(wait));
        }
        Entry::Occupied(entry) => entry.into_mut().more.push(wait),
    }
}

fn end_wait_on(waits: &mut WaitMap, task: TaskId, target: &Rc<dyn WaitTarget>) -> Vec<Wait> {
    let Entry::Occupied(entry) = waits.entry(task) else {
        return Vec::new();
    };
    let removal = entry.get().end_of(target);
    apply(entry, removal)
}

fn end_anonymous_wait(waits: &mut WaitMap, task: TaskId) -> Vec<Wait> {
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

impl State {
    /// Every blocked task, and what those that registered a wait, or await a join handle,
    /// wait on.
    pub(super) fn stuck(&self) -> Stuck {
        let blocked: Vec<TaskInfo> = self.tasks.blocked();
        let mut joins: BTreeMap<TaskId, Vec<Rc<dyn WaitTarget>>> = BTreeMap::new();
        for (waiter, key) in self.tasks.joins() {
            let target: Rc<dyn WaitTarget> = Rc::new(TaskEnd(self.tasks.info(key)));
            joins.entry(waiter).or_default().push(target);
        }
        let mut waits = Vec::new();
        let mut unnamed = Vec::new();
        for task in &blocked {
            let before = waits.len();
            if let Some(registered) = self.waits.get(&task.id) {
                for (target, uncertain) in registered.report() {
                    waits.push((task.id, target, uncertain));
                }
            }
            for target in joins.remove(&task.id).unwrap_or_default() {
                waits.push((task.id, target, false));
            }
            if waits.len() == before {
                unnamed.push(task.id);
            }
        }
        // A task that names no wait: what its waker says. Every one of sim's primitives that
        // keeps a waiter's waker also names the wait (and a join handle is found above), so
        // a waker held anyway is held by something sim does not know.
        let holders: BTreeMap<TaskId, usize> = if unnamed.is_empty() {
            BTreeMap::new()
        } else {
            self.tasks.waker_holders().into_iter().collect()
        };
        let wakers = unnamed
            .into_iter()
            .filter_map(|task| {
                let held = match holders.get(&task)? {
                    0 => WakerHeld::Nowhere,
                    _ => WakerHeld::Outside,
                };
                Some((task, held))
            })
            .collect();
        Stuck {
            at: self.at(),
            blocked,
            waits,
            wakers,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Target(&'static str);

    impl fmt::Display for Target {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str(self.0)
        }
    }

    impl WaitTarget for Target {}

    const T: TaskId = TaskId(3);

    fn target(name: &'static str) -> Rc<dyn WaitTarget> {
        Rc::new(Target(name))
    }

    fn anonymous(waits: &mut WaitMap, target: &Rc<dyn WaitTarget>) {
        let target = Rc::clone(target);
        add_wait(
            waits,
            T,
            Wait {
                target,
                anonymous: true,
            },
        );
    }

    /// The report for `T`: each target's name, with `?` when uncertain.
    fn report(waits: &WaitMap) -> Vec<String> {
        waits.get(&T).map_or_else(Vec::new, |w| {
            w.report()
                .into_iter()
                .map(|(t, uncertain)| format!("{t}{}", if uncertain { "?" } else { "" }))
                .collect()
        })
    }

    fn len(waits: &WaitMap) -> usize {
        waits.get(&T).map_or(0, TaskWaits::len)
    }

    #[test]
    fn the_end_of_a_tasks_only_wait_removes_its_entry() {
        let mut waits = WaitMap::new();
        anonymous(&mut waits, &target("a"));
        assert_eq!(report(&waits), ["a"]);
        assert_eq!(end_anonymous_wait(&mut waits, T).len(), 1);
        assert!(waits.is_empty());
        assert!(
            end_anonymous_wait(&mut waits, T).is_empty(),
            "an end without a wait"
        );
    }

    #[test]
    fn waits_on_one_target_end_one_at_a_time() {
        let mut waits = WaitMap::new();
        let a = target("a");
        anonymous(&mut waits, &a);
        anonymous(&mut waits, &a);
        assert_eq!(report(&waits), ["a"], "one line per target");
        end_anonymous_wait(&mut waits, T);
        assert_eq!(report(&waits), ["a"]);
        end_anonymous_wait(&mut waits, T);
        assert!(waits.is_empty());
    }

    #[test]
    fn an_end_among_several_targets_makes_them_uncertain_until_all_are_over() {
        let mut waits = WaitMap::new();
        let (a, b) = (target("a"), target("b"));
        anonymous(&mut waits, &a);
        anonymous(&mut waits, &b);
        assert_eq!(report(&waits), ["a", "b"]);
        end_anonymous_wait(&mut waits, T);
        assert_eq!(report(&waits), ["a?", "b?"]);
        // A new wait on b: b is on for sure (two waits, at most one over), a may be over.
        anonymous(&mut waits, &b);
        assert_eq!(report(&waits), ["a?", "b"]);
        // Two ends for three waits: b cannot have two waits left, so one is dropped.
        end_anonymous_wait(&mut waits, T);
        assert_eq!(len(&waits), 2);
        assert_eq!(report(&waits), ["a?", "b?"]);
        end_anonymous_wait(&mut waits, T);
        assert!(waits.is_empty(), "as many ends as waits: all over");
    }

    #[test]
    fn a_long_wait_beside_repeated_short_ones_keeps_the_entry_small() {
        let mut waits = WaitMap::new();
        let (long, short) = (target("long"), target("short"));
        anonymous(&mut waits, &long);
        for _ in 0..100 {
            anonymous(&mut waits, &short);
            end_anonymous_wait(&mut waits, T);
        }
        assert_eq!(len(&waits), 2);
        assert_eq!(report(&waits), ["long?", "short?"]);
    }

    #[test]
    fn named_waits_end_by_target_and_are_never_uncertain() {
        let mut waits = WaitMap::new();
        let (a, b, named) = (target("a"), target("b"), target("named"));
        add_wait(
            &mut waits,
            T,
            Wait {
                target: Rc::clone(&named),
                anonymous: false,
            },
        );
        anonymous(&mut waits, &a);
        anonymous(&mut waits, &b);
        end_anonymous_wait(&mut waits, T);
        assert_eq!(report(&waits), ["named", "a?", "b?"]);
        assert!(
            end_wait_on(&mut waits, T, &a).is_empty(),
            "a is not a named wait"
        );
        assert_eq!(end_wait_on(&mut waits, T, &named).len(), 1);
        assert_eq!(report(&waits), ["a?", "b?"]);
        end_anonymous_wait(&mut waits, T);
        assert!(waits.is_empty());
    }
}
