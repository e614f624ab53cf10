//! The waits of one task: how ends are matched to waits.

use std::fmt;
use std::rc::Rc;

use super::WaitTarget;
use super::waits::*;
use crate::record::TaskId;

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
    add_wait(waits, T, target, true);
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
        end_anonymous_wait(&mut waits, T).len() == 0,
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
    add_wait(&mut waits, T, Rc::clone(&named), false);
    anonymous(&mut waits, &a);
    anonymous(&mut waits, &b);
    end_anonymous_wait(&mut waits, T);
    assert_eq!(report(&waits), ["named", "a?", "b?"]);
    assert!(
        end_wait_on(&mut waits, T, &a).len() == 0,
        "a is not a named wait"
    );
    assert_eq!(end_wait_on(&mut waits, T, &named).len(), 1);
    assert_eq!(report(&waits), ["a?", "b?"]);
    end_anonymous_wait(&mut waits, T);
    assert!(waits.is_empty());
}
