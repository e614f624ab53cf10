//! The disks of one run: for each node, its files (names and contents) and what of each
//! file's contents is durable. Kept in the run's extension slots, so the engine names none of
//! it.
//!
//! Invariants:
//! - a file's contents are its durable bytes with its pending operations (writes and length
//!   changes since the last sync) applied in order; reads see the contents.
//! - a sync makes durable exactly the operations pending when it was called.
//! - names (create, rename, remove) are durable at once, as a journaling file system keeps its
//!   metadata; contents are not. So a file renamed into place before its contents were
//!   synced is, after a crash, there with the contents last synced (empty if never).
//! - a crash puts every file of the node back to its durable bytes (with buggify on, a prefix
//!   of its pending operations may survive, the last one torn), and forgets files no name
//!   refers to.
//! - the store is never borrowed while user code runs.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::rc::Rc;

use crate::engine::Core;
use crate::node::NodeId;
use crate::sched::{SimRng, Stream};

/// A change to a file's contents not yet synced.
#[derive(Debug, Clone)]
pub(super) enum Op {
    Write { offset: usize, bytes: Vec<u8> },
    SetLen(usize),
}

impl Op {
    fn apply(&self, to: &mut Vec<u8>) {
        match self {
            Op::Write { offset, bytes } => {
                let end = offset + bytes.len();
                if to.len() < end {
                    to.resize(end, 0);
                }
                to[*offset..end].copy_from_slice(bytes);
            }
            Op::SetLen(len) => to.resize(*len, 0),
        }
    }
}

/// One file's contents.
#[derive(Debug, Default)]
pub(super) struct Inode {
    pub(super) durable: Vec<u8>,
    pub(super) contents: Vec<u8>,
    pub(super) pending: Vec<Op>,
    /// Pending operations made durable by syncs so far: a sync in progress commits the
    /// operations pending when it began, counted from here.
    pub(super) synced_ops: u64,
}

impl Inode {
    pub(super) fn change(&mut self, op: Op) {
        op.apply(&mut self.contents);
        self.pending.push(op);
    }

    /// How many operations have ever been made pending (the end of the current pending list).
    pub(super) fn ops_so_far(&self) -> u64 {
        self.synced_ops + self.pending.len() as u64
    }

    /// Makes durable the operations up to `upto` (counted as [`ops_so_far`](Self::ops_so_far)).
    pub(super) fn sync(&mut self, upto: u64) {
        let n = upto
            .saturating_sub(self.synced_ops)
            .min(self.pending.len() as u64) as usize;
        for op in self.pending.drain(..n) {
            op.apply(&mut self.durable);
        }
        self.synced_ops += n as u64;
    }

    /// A crash: back to the durable bytes, keeping `kept` pending operations (the last cut to
    /// `torn` bytes if it is a write).
    fn crash(&mut self, kept: usize, torn: Option<usize>) {
        let pending = std::mem::take(&mut self.pending);
        for (i, op) in pending.into_iter().take(kept).enumerate() {
            match (op, torn) {
                (Op::Write { offset, mut bytes }, Some(cut)) if i + 1 == kept => {
                    bytes.truncate(cut);
                    Op::Write { offset, bytes }.apply(&mut self.durable);
                }
                (op, _) => op.apply(&mut self.durable),
            }
        }
        self.contents = self.durable.clone();
        self.synced_ops = 0;
    }
}

/// One node's disk.
#[derive(Debug, Default)]
pub(super) struct Disk {
    pub(super) names: BTreeMap<PathBuf, u64>,
    pub(super) inodes: BTreeMap<u64, Inode>,
}

/// Every disk of the run.
pub(super) struct Store {
    pub(super) disks: BTreeMap<NodeId, Disk>,
    pub(super) next_inode: u64,
    rng: SimRng,
}

/// The store as a run's extension slot.
pub(super) struct Disks(pub(super) RefCell<Store>);

impl Disks {
    /// This run's disks, made (and told of crashes) on first use.
    pub(super) fn of(core: &Core) -> Rc<Disks> {
        let mut made = false;
        let disks = core.local(|core| {
            made = true;
            Disks(RefCell::new(Store {
                disks: BTreeMap::new(),
                next_inode: 0,
                rng: SimRng::new(core.seed(), Stream::Disk),
            }))
        });
        if made {
            let weak = Rc::downgrade(&disks);
            crate::node::on_crash(
                core,
                Rc::new(move |_core: &Rc<Core>, node| {
                    if let Some(disks) = weak.upgrade() {
                        disks.0.borrow_mut().crash(node);
                    }
                }),
            );
        }
        disks
    }
}

impl Store {
    pub(super) fn disk(&mut self, node: NodeId) -> &mut Disk {
        self.disks.entry(node).or_default()
    }

    /// Node `node` crashed: its files lose what was not synced.
    fn crash(&mut self, node: NodeId) {
        let Some(disk) = self.disks.get_mut(&node) else {
            return;
        };
        let named: std::collections::BTreeSet<u64> = disk.names.values().copied().collect();
        disk.inodes.retain(|id, _| named.contains(id));
        for (id, inode) in disk.inodes.iter_mut() {
            let (mut kept, mut torn) = (0, None);
            if !inode.pending.is_empty()
                && crate::buggify::buggify_at(file!(), line!(), column!(), 0.25)
            {
                // Some of what was on its way to the platter got there.
                kept = self.rng.below(inode.pending.len() as u32 + 1) as usize;
                if let Some(Op::Write { bytes, .. }) =
                    kept.checked_sub(1).map(|i| &inode.pending[i])
                {
                    torn = Some(self.rng.below(bytes.len() as u32 + 1) as usize);
                }
                tracing::debug!(target: "sim::disk", %node, inode = id, kept, "torn write at a crash");
            }
            inode.crash(kept, torn);
        }
    }
}
