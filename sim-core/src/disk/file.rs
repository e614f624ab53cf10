//! `File`: an open file of the calling task's node.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::time::Duration;

use super::store::{Disks, Inode, Op};
use super::{Owner, not_found, placement, stale};
use crate::engine::context;

/// How long a sync takes (buggify may make one much slower).
const SYNC_TIME: Duration = Duration::from_millis(1);

/// An open file on the disk of the node whose task opened it.
///
/// Writes change what reads see at once but are not durable until [`sync_all`](Self::sync_all)
/// returns: a crash of the node puts the file back to what was last synced. A handle from a
/// generation that crashed fails every call with `StaleNetworkFileHandle`.
///
/// ```
/// use sim::disk::{self, File};
///
/// sim::Runtime::new(0).block_on(async {
///     let n = sim::node::Builder::new("db").build();
///     sim::node::spawn_on(n, async {
///         let mut f = File::create("wal").await.unwrap();
///         f.write_all(b"synced ").await.unwrap();
///         f.sync_all().await.unwrap();
///         f.write_all(b"lost").await.unwrap();
///         assert_eq!(disk::read("wal").await.unwrap(), b"synced lost");
///     }).unwrap().await.unwrap();
///     sim::node::restart(n);
///     let after = sim::node::spawn_on(n, async { disk::read("wal").await.unwrap() });
///     assert_eq!(after.unwrap().await.unwrap(), b"synced ");
/// }).unwrap();
/// ```
pub struct File {
    disks: Rc<Disks>,
    owner: Owner,
    inode: u64,
    path: PathBuf,
    position: usize,
}

impl fmt::Debug for File {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("File")
            .field("path", &self.path)
            .field("position", &self.position)
            .finish_non_exhaustive()
    }
}

impl File {
    /// Creates `path` on the calling task's node, or truncates it if it exists (the
    /// truncation, like a write, is durable once synced), and opens it.
    ///
    /// # Errors
    ///
    /// None today; the `Result` is the shape of `std` and tokio.
    ///
    /// # Panics
    ///
    /// Outside a running simulation.
    pub async fn create(path: impl AsRef<Path>) -> io::Result<File> {
        let path = path.as_ref().to_path_buf();
        context::with_core("sim::disk::File::create", |core| {
            let owner = placement(core);
            let disks = Disks::of(core);
            let inode = {
                let mut store = disks.0.borrow_mut();
                let fresh = store.next_inode + 1;
                let disk = store.disk(owner.node);
                match disk.names.get(&path) {
                    Some(&inode) => {
                        disk.inodes
                            .get_mut(&inode)
                            .expect("a name refers to a file")
                            .change(Op::SetLen(0));
                        inode
                    }
                    None => {
                        disk.names.insert(path.clone(), fresh);
                        disk.inodes.insert(fresh, Inode::default());
                        store.next_inode = fresh;
                        fresh
                    }
                }
            };
            Ok(File {
                disks,
                owner,
                inode,
                path,
                position: 0,
            })
        })
    }

    /// Opens the existing file `path` of the calling task's node, at its start.
    ///
    /// # Errors
    ///
    /// `NotFound` if the node has no such file.
    ///
    /// # Panics
    ///
    /// Outside a running simulation.
    pub async fn open(path: impl AsRef<Path>) -> io::Result<File> {
        let path = path.as_ref().to_path_buf();
        context::with_core("sim::disk::File::open", |core| {
            let owner = placement(core);
            let disks = Disks::of(core);
            let inode = disks
                .0
                .borrow_mut()
                .disk(owner.node)
                .names
                .get(&path)
                .copied();
            let inode = inode.ok_or_else(|| not_found(&path, owner))?;
            Ok(File {
                disks,
                owner,
                inode,
                path,
                position: 0,
            })
        })
    }

    /// The path it was opened with.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Runs `f` on the file's contents, if its generation is still running.
    fn with_inode<R>(&self, f: impl FnOnce(&mut Inode) -> R) -> io::Result<R> {
        let alive = context::with_core("sim::disk::File", |core| {
            matches!(crate::node::host(core, self.owner.node),
                Some((_, status, generation)) if status != crate::node::NodeStatus::Down && generation == self.owner.generation)
        });
        let mut store = self.disks.0.borrow_mut();
        let inode = store
            .disks
            .get_mut(&self.owner.node)
            .and_then(|d| d.inodes.get_mut(&self.inode));
        match inode {
            Some(inode) if alive => Ok(f(inode)),
            _ => Err(stale(&self.path, self.owner)),
        }
    }

    /// Writes all of `buf` at the file's position, which moves past it. Not durable until
    /// synced.
    ///
    /// # Errors
    ///
    /// `StaleNetworkFileHandle` once the node that opened it has crashed.
    pub async fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        if crate::buggify::buggify_at(file!(), line!(), column!(), 0.05) {
            // A slow write: the page cache was full.
            crate::time::sleep(Duration::from_millis(20)).await;
        }
        let offset = self.position;
        self.with_inode(|inode| {
            inode.change(Op::Write {
                offset,
                bytes: buf.to_vec(),
            })
        })?;
        self.position += buf.len();
        Ok(())
    }

    /// Reads from the file's position to its end into `buf`; returns how many bytes.
    ///
    /// # Errors
    ///
    /// `StaleNetworkFileHandle` once the node that opened it has crashed.
    pub async fn read_to_end(&mut self, buf: &mut Vec<u8>) -> io::Result<usize> {
        let from = self.position;
        let n = self.with_inode(|inode| {
            let rest = inode.contents.get(from..).unwrap_or(&[]);
            buf.extend_from_slice(rest);
            rest.len()
        })?;
        self.position += n;
        Ok(n)
    }

    /// Moves the file's position to `position` (reads and writes go on from there).
    pub fn seek_to(&mut self, position: u64) {
        self.position = usize::try_from(position).expect("a position that fits in memory");
    }

    /// Sets the file's length, cutting or zero-filling. Not durable until synced.
    ///
    /// # Errors
    ///
    /// `StaleNetworkFileHandle` once the node that opened it has crashed.
    pub async fn set_len(&self, len: u64) -> io::Result<()> {
        let len = usize::try_from(len).expect("a length that fits in memory");
        self.with_inode(|inode| inode.change(Op::SetLen(len)))
    }

    /// Makes every change made to the file before this call durable; it takes a little
    /// virtual time (1 ms; more when buggify slows the disk), and a crash before it returns
    /// leaves those changes not durable.
    ///
    /// # Errors
    ///
    /// `StaleNetworkFileHandle` once the node that opened it has crashed.
    pub async fn sync_all(&self) -> io::Result<()> {
        let upto = self.with_inode(|inode| inode.ops_so_far())?;
        let mut took = SYNC_TIME;
        if crate::buggify::buggify_at(file!(), line!(), column!(), 0.1) {
            took = Duration::from_millis(200);
        }
        crate::time::sleep(took).await;
        self.with_inode(|inode| inode.sync(upto))
    }
}
