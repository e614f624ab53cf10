//! The FIFO waiter list every primitive in `sim::sync` is built on.
//!
//! A waiter is *waiting* (with the data it waits with: a permit count, an item to put) until
//! the primitive *grants* it a value (a permit, an item, a notification). The grant is made by
//! whoever frees the resource, in FIFO order, and the waiter's future collects it at its next
//! poll. That gap is where cancellation bites: a waiter dropped after its grant but before
//! collecting it must give the value back, so [`WaitList::cancel`] returns whatever the waiter
//! held and the primitive passes it on. No grant is ever lost or duplicated, and a cancelled
//! waiter leaves no entry behind.
//!
//! Where the grant already had an effect visible to others — a putter's item let into a
//! queue or channel — the grant carries what is needed to undo it: a
//! [`Ticket`](super::buffer::Ticket) that withdraws the item again.
//!
//! Wakers are returned to the caller rather than woken here, so they run after the
//! primitive's `RefCell` is released.

use std::collections::VecDeque;
use std::task::Waker;

use slab::Slab;

use super::resource::Resource;
use crate::record::TaskId;
use std::rc::Rc;

/// A waiter's place in the list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct WaiterKey(usize);

enum Slot<D, T> {
    Waiting {
        data: D,
        waker: Option<Waker>,
        task: Option<TaskId>,
    },
    Granted(T),
}

/// What a cancelled waiter held.
pub(crate) enum Cancelled<D, T> {
    /// It was still waiting, with this data.
    Waiting(D),
    /// It had been granted this value, which must be passed on.
    Granted(T),
}

/// Waiters in arrival order.
pub(crate) struct WaitList<D, T> {
    slots: Slab<Slot<D, T>>,
    /// Keys of the waiters still waiting, oldest first.
    queue: VecDeque<usize>,
    /// What the waiters wait on, for deadlock reports.
    resource: Rc<Resource>,
}

impl<D, T> WaitList<D, T> {
    /// An empty list of waiters on `resource`.
    pub(crate) fn new(resource: Rc<Resource>) -> Self {
        WaitList {
            slots: Slab::new(),
            queue: VecDeque::new(),
            resource,
        }
    }

    /// Adds the running task as a waiter at the back.
    pub(crate) fn push(&mut self, data: D, waker: &Waker) -> WaiterKey {
        let task = Resource::wait(&self.resource);
        let key = self.slots.insert(Slot::Waiting {
            data,
            waker: Some(waker.clone()),
            task,
        });
        self.queue.push_back(key);
        WaiterKey(key)
    }

    /// The data of the oldest waiter still waiting.
    pub(crate) fn front(&self) -> Option<&D> {
        let key = *self.queue.front()?;
        match &self.slots[key] {
            Slot::Waiting { data, .. } => Some(data),
            Slot::Granted(_) => unreachable!("granted waiters leave the queue"),
        }
    }

    /// Whether no waiter is waiting.
    pub(crate) fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }

    /// How many waiters are waiting.
    pub(crate) fn len(&self) -> usize {
        self.queue.len()
    }

    /// Grants `value` to the oldest waiter; returns its data and the waker to wake.
    pub(crate) fn grant_front(&mut self, value: T) -> Option<(D, Option<Waker>)> {
        let key = self.queue.pop_front()?;
        match std::mem::replace(&mut self.slots[key], Slot::Granted(value)) {
            Slot::Waiting { data, waker, task } => {
                Resource::stop_waiting(task);
                Some((data, waker))
            }
            Slot::Granted(_) => unreachable!("granted waiters leave the queue"),
        }
    }

    /// Grants `value` to the oldest waiter if there is one (returning the waker to wake), or
    /// gives `value` back.
    pub(crate) fn offer(&mut self, value: T) -> Result<Option<Waker>, T> {
        if self.queue.is_empty() {
            return Err(value);
        }
        Ok(self
            .grant_front(value)
            .map(|(_, waker)| waker)
            .expect("a waiter waits"))
    }

    /// Grants the oldest waiter the value `grant` makes from its data; returns the waker.
    pub(crate) fn grant_front_with(&mut self, grant: impl FnOnce(D) -> T) -> Option<Option<Waker>> {
        let key = self.queue.pop_front()?;
        let Slot::Waiting { data, waker, task } = self.slots.remove(key) else {
            unreachable!("granted waiters leave the queue");
        };
        Resource::stop_waiting(task);
        let value = grant(data);
        let reinserted = self.slots.insert(Slot::Granted(value));
        debug_assert_eq!(reinserted, key, "a slab reuses the slot just freed");
        Some(waker)
    }

    /// Collects the waiter's grant, or records `waker` to be woken when it comes.
    pub(crate) fn poll(&mut self, key: WaiterKey, waker: &Waker) -> Option<T> {
        match &mut self.slots[key.0] {
            Slot::Granted(_) => match self.slots.remove(key.0) {
                Slot::Granted(value) => Some(value),
                Slot::Waiting { .. } => unreachable!(),
            },
            Slot::Waiting { waker: slot, .. } => {
                if !slot.as_ref().is_some_and(|w| w.will_wake(waker)) {
                    *slot = Some(waker.clone());
                }
                None
            }
        }
    }

    /// Removes a waiter whose future was dropped, returning what it held.
    pub(crate) fn cancel(&mut self, key: WaiterKey) -> Cancelled<D, T> {
        match self.slots.remove(key.0) {
            Slot::Waiting { data, task, .. } => {
                Resource::stop_waiting(task);
                if let Some(at) = self.queue.iter().position(|&k| k == key.0) {
                    self.queue.remove(at);
                }
                Cancelled::Waiting(data)
            }
            Slot::Granted(value) => Cancelled::Granted(value),
        }
    }
}

/// Wakers collected under a borrow, woken after it ends.
#[derive(Default)]
pub(crate) struct WakeList(Vec<Waker>);

impl WakeList {
    pub(crate) fn push(&mut self, waker: Option<Waker>) {
        self.0.extend(waker);
    }

    pub(crate) fn wake_all(self) {
        for waker in self.0 {
            waker.wake();
        }
    }
}
