//! The items of a bounded [`Queue`](super::Queue) or `mpsc` channel, where an item let in for
//! a blocked putter can be taken back out until that putter has collected its grant.
//!
//! When a getter makes room, the oldest blocked putter's item moves in at once, in the
//! getter's step: that is when the rest of the program sees it (a second get in the same step
//! takes it), and runs that never cancel a put depend on that order. The putter collects its
//! grant at its next poll. If its future is dropped before then, the put must have had no
//! effect, so its item is [withdrawn](Buffer::withdraw), found by the [`Ticket`] the putter
//! was granted. An item a getter took in the meantime cannot be withdrawn: that put has had
//! its effect, exactly once, and stands.

use std::collections::VecDeque;
use std::num::NonZeroU64;

/// Names an item let in on a blocked putter's behalf; unique within its buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Ticket(NonZeroU64);

struct Entry<T> {
    value: T,
    /// Set if the item was let in for a blocked putter (see [`Buffer::admit`]).
    ticket: Option<Ticket>,
}

/// A FIFO of items, each admitted one withdrawable by its ticket.
pub(crate) struct Buffer<T> {
    entries: VecDeque<Entry<T>>,
    /// Tickets issued so far.
    issued: u64,
}

impl<T> Default for Buffer<T> {
    fn default() -> Self {
        Buffer {
            entries: VecDeque::new(),
            issued: 0,
        }
    }
}

impl<T> Buffer<T> {
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// An item put by an operation that completes at once.
    pub(crate) fn push_back(&mut self, value: T) {
        self.entries.push_back(Entry {
            value,
            ticket: None,
        });
    }

    /// An item coming back to the front (a cancelled getter's).
    pub(crate) fn push_front(&mut self, value: T) {
        self.entries.push_front(Entry {
            value,
            ticket: None,
        });
    }

    pub(crate) fn pop_front(&mut self) -> Option<T> {
        self.entries.pop_front().map(|e| e.value)
    }

    /// Lets in a blocked putter's item, at the back; the ticket withdraws it.
    pub(crate) fn admit(&mut self, value: T) -> Ticket {
        self.issued += 1;
        let ticket = Ticket(NonZeroU64::new(self.issued).expect("counted from one"));
        self.entries.push_back(Entry {
            value,
            ticket: Some(ticket),
        });
        ticket
    }

    /// Takes the item admitted with `ticket` back out, wherever it now is; `None` if it has
    /// already been taken.
    pub(crate) fn withdraw(&mut self, ticket: Ticket) -> Option<T> {
        // Admitted at the back, and only later items can be behind it: search from there.
        let at = self
            .entries
            .iter()
            .rposition(|e| e.ticket == Some(ticket))?;
        self.entries.remove(at).map(|e| e.value)
    }
}

#[cfg(test)]
mod tests {
    use super::Buffer;

    fn contents(b: &mut Buffer<u32>) -> Vec<u32> {
        std::iter::from_fn(|| b.pop_front()).collect()
    }

    #[test]
    fn withdraw_removes_exactly_the_admitted_item() {
        let mut b = Buffer::default();
        b.push_back(1);
        let two = b.admit(2);
        let three = b.admit(3);
        b.push_back(4);
        b.push_front(0);
        assert_eq!(b.withdraw(two), Some(2));
        assert_eq!(b.withdraw(two), None, "withdrawn once");
        assert_eq!(b.len(), 4);
        assert_eq!(contents(&mut b), [0, 1, 3, 4]);
        assert_eq!(b.withdraw(three), None, "taken: too late");
    }

    #[test]
    fn a_taken_item_leaves_its_ticket_unmatched_even_if_values_repeat() {
        let mut b = Buffer::default();
        let first = b.admit(7);
        assert_eq!(b.pop_front(), Some(7));
        b.admit(7);
        b.push_front(7);
        assert_eq!(b.withdraw(first), None);
        assert_eq!(b.len(), 2);
        assert!(!b.is_empty());
    }
}
