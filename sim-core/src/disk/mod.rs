//! A simulated disk for each node: files whose writes survive a crash only once synced.
//!
//! Every node (and the harness) has its own disk, which a task reaches through this module:
//! the disk of the node the task runs on. Contents change at once, and are durable once
//! [`File::sync_all`] returns; a crash of the node puts every file back to what was last
//! synced, so what survives a crash is exactly what was synced. File names are durable at
//! once (create, [`rename`], [`remove_file`]), as a journaling file system keeps its metadata:
//! the classic bug of renaming a new file over an old one without syncing it first leaves, after
//! a crash, an empty file where the old one was.
//!
//! With buggify on ([`Builder::buggify`](crate::Builder::buggify)) the disk misbehaves within
//! what real disks do: a crash may keep part of what was not synced (a prefix of the writes,
//! the last one torn), a write may be slow, and a sync much slower.
//!
//! ```
//! use sim::disk;
//!
//! sim::Runtime::new(0).block_on(async {
//!     let n = sim::node::Builder::new("n").build();
//!     sim::node::spawn_on(n, async {
//!         disk::write("config.tmp", b"v2").await.unwrap();
//!         disk::rename("config.tmp", "config").await.unwrap(); // not synced first!
//!     }).unwrap().await.unwrap();
//!     sim::node::restart(n);
//!     let after = sim::node::spawn_on(n, async { disk::read("config").await.unwrap() });
//!     assert_eq!(after.unwrap().await.unwrap(), b""); // the name survived, the bytes did not
//! }).unwrap();
//! ```

mod file;
mod store;

use std::io;
use std::path::Path;

pub use self::file::File;

use self::store::Disks;
use crate::engine::{Core, context};
use crate::node::NodeId;

/// The generation of a node a handle belongs to.
#[derive(Debug, Clone, Copy)]
struct Owner {
    node: NodeId,
    generation: u64,
}

fn placement(core: &Core) -> Owner {
    let (node, generation) = crate::node::placement(core);
    Owner { node, generation }
}

fn not_found(path: &Path, owner: Owner) -> io::Error {
    io::Error::new(
        io::ErrorKind::NotFound,
        format!(
            "sim::disk: node `{}` has no file `{}`",
            owner.node,
            path.display()
        ),
    )
}

fn stale(path: &Path, owner: Owner) -> io::Error {
    io::Error::new(
        io::ErrorKind::StaleNetworkFileHandle,
        format!(
            "sim::disk: `{}` was opened by generation {} of node `{}`, which crashed",
            path.display(),
            owner.generation,
            owner.node
        ),
    )
}

/// The whole contents of `path` on the calling task's node.
///
/// # Errors
///
/// `NotFound` if the node has no such file.
///
/// # Panics
///
/// Outside a running simulation.
///
/// ```
/// sim::Runtime::new(0).block_on(async {
///     sim::disk::write("a", b"hello").await.unwrap();
///     assert_eq!(sim::disk::read("a").await.unwrap(), b"hello");
///     assert!(sim::disk::read("b").await.is_err());
/// }).unwrap();
/// ```
pub async fn read(path: impl AsRef<Path>) -> io::Result<Vec<u8>> {
    let mut file = File::open(path).await?;
    let mut buf = Vec::new();
    file.read_to_end(&mut buf).await?;
    Ok(buf)
}

/// Creates (or truncates) `path` on the calling task's node and writes `contents`, without
/// syncing: a crash before a sync loses the contents.
///
/// # Errors
///
/// None today; the `Result` is the shape of `std` and tokio.
///
/// # Panics
///
/// Outside a running simulation.
///
/// ```
/// sim::Runtime::new(0).block_on(async {
///     sim::disk::write("a", b"one").await.unwrap();
///     sim::disk::write("a", b"two").await.unwrap();
///     assert_eq!(sim::disk::read("a").await.unwrap(), b"two");
/// }).unwrap();
/// ```
pub async fn write(path: impl AsRef<Path>, contents: impl AsRef<[u8]>) -> io::Result<()> {
    let mut file = File::create(path).await?;
    file.write_all(contents.as_ref()).await
}

/// Renames `from` to `to` on the calling task's node, replacing `to` if it exists. Durable at
/// once; the file's contents are as durable as they were.
///
/// # Errors
///
/// `NotFound` if the node has no file `from`.
///
/// # Panics
///
/// Outside a running simulation.
///
/// ```
/// sim::Runtime::new(0).block_on(async {
///     sim::disk::write("new", b"x").await.unwrap();
///     sim::disk::rename("new", "old").await.unwrap();
///     assert!(!sim::disk::try_exists("new").await.unwrap());
///     assert_eq!(sim::disk::read("old").await.unwrap(), b"x");
/// }).unwrap();
/// ```
pub async fn rename(from: impl AsRef<Path>, to: impl AsRef<Path>) -> io::Result<()> {
    let (from, to) = (from.as_ref(), to.as_ref());
    context::with_core("sim::disk::rename", |core| {
        let owner = placement(core);
        let disks = Disks::of(core);
        let mut store = disks.0.borrow_mut();
        let disk = store.disk(owner.node);
        let inode = disk
            .names
            .remove(from)
            .ok_or_else(|| not_found(from, owner))?;
        if let Some(old) = disk.names.insert(to.to_path_buf(), inode)
            && old != inode
        {
            disk.inodes.remove(&old);
        }
        Ok(())
    })
}

/// Removes `path` from the calling task's node. Durable at once.
///
/// # Errors
///
/// `NotFound` if the node has no such file.
///
/// # Panics
///
/// Outside a running simulation.
///
/// ```
/// sim::Runtime::new(0).block_on(async {
///     sim::disk::write("a", b"x").await.unwrap();
///     sim::disk::remove_file("a").await.unwrap();
///     assert!(sim::disk::remove_file("a").await.is_err());
/// }).unwrap();
/// ```
pub async fn remove_file(path: impl AsRef<Path>) -> io::Result<()> {
    let path = path.as_ref();
    context::with_core("sim::disk::remove_file", |core| {
        let owner = placement(core);
        let disks = Disks::of(core);
        let mut store = disks.0.borrow_mut();
        let disk = store.disk(owner.node);
        let inode = disk
            .names
            .remove(path)
            .ok_or_else(|| not_found(path, owner))?;
        disk.inodes.remove(&inode);
        Ok(())
    })
}

/// Whether the calling task's node has a file `path`.
///
/// # Errors
///
/// None today; the `Result` is the shape of `std` and tokio.
///
/// # Panics
///
/// Outside a running simulation.
///
/// ```
/// sim::Runtime::new(0).block_on(async {
///     assert!(!sim::disk::try_exists("a").await.unwrap());
///     sim::disk::write("a", b"").await.unwrap();
///     assert!(sim::disk::try_exists("a").await.unwrap());
/// }).unwrap();
/// ```
pub async fn try_exists(path: impl AsRef<Path>) -> io::Result<bool> {
    let path = path.as_ref();
    Ok(context::with_core("sim::disk::try_exists", |core| {
        let owner = placement(core);
        Disks::of(core)
            .0
            .borrow_mut()
            .disk(owner.node)
            .names
            .contains_key(path)
    }))
}
