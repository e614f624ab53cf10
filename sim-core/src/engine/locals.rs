//! Per-run extension slots: state that a subsystem above the engine (the blocking pool,
//! buggify, and next nodes and the network) keeps for one run, keyed by its own type, so the
//! engine never names the subsystem.
//!
//! Invariants:
//! - a slot is made on first use, by the subsystem's own constructor, and lives until the run
//!   is torn down; there is at most one value per type.
//! - the slots are borrowed only to find or insert a value, never while a subsystem's code runs,
//!   so a constructor may itself use the engine (even another slot).
//! - teardown drops the slots in the order they were made, after the tasks, with the run
//!   still current (a slot's destructor may wake or spawn).

use std::any::{Any, TypeId};
use std::cell::RefCell;
use std::rc::Rc;

use super::Core;

/// The slots of one run.
#[derive(Default)]
pub(crate) struct Locals {
    slots: RefCell<Vec<(TypeId, Rc<dyn Any>)>>,
}

impl Locals {
    fn find<T: 'static>(&self) -> Option<Rc<T>> {
        let id = TypeId::of::<T>();
        let slots = self.slots.borrow();
        let (_, value) = slots.iter().find(|(t, _)| *t == id)?;
        Some(
            Rc::clone(value)
                .downcast::<T>()
                .expect("a slot holds its key's type"),
        )
    }

    /// Takes every slot out, in the order they were made (`None` when there is none, the
    /// usual case: most runs use no subsystem that keeps state).
    pub(super) fn take_all(&self) -> Option<Vec<(TypeId, Rc<dyn Any>)>> {
        let mut slots = self.slots.borrow_mut();
        (!slots.is_empty()).then(|| std::mem::take(&mut *slots))
    }
}

impl Core {
    /// This run's value of type `T`, made by `init` on first use.
    pub(crate) fn local<T: 'static>(&self, init: impl FnOnce(&Core) -> T) -> Rc<T> {
        if let Some(value) = self.locals.find::<T>() {
            return value;
        }
        let value = Rc::new(init(self));
        // `init` may have made the same slot through a nested call: the first one made wins.
        if let Some(existing) = self.locals.find::<T>() {
            return existing;
        }
        let any: Rc<dyn Any> = Rc::clone(&value) as Rc<dyn Any>;
        self.locals
            .slots
            .borrow_mut()
            .push((TypeId::of::<T>(), any));
        value
    }
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use crate::engine::context;
    use crate::runtime::Runtime;

    struct Counter(Cell<u32>);

    #[test]
    fn a_slot_is_made_once_per_run_and_fresh_in_the_next() {
        for _ in 0..2 {
            Runtime::new(1)
                .block_on(async {
                    context::with_core("test", |core| {
                        let made = Cell::new(0);
                        for _ in 0..3 {
                            let c = core.local(|_| {
                                made.set(made.get() + 1);
                                Counter(Cell::new(0))
                            });
                            c.0.set(c.0.get() + 1);
                        }
                        assert_eq!(made.get(), 1);
                        assert_eq!(core.local(|_| Counter(Cell::new(99))).0.get(), 3);
                    })
                })
                .unwrap();
        }
    }
}
