//! Spawning with options.

use std::future::Future;
use std::panic::Location;

use super::JoinHandle;
use crate::engine::context;

/// Spawns a task with a name, which every report, trace and deadlock listing shows.
///
/// # Examples
///
/// ```
/// sim::Runtime::new(0).block_on(async {
///     let handle = sim::task::Builder::new().name("worker").spawn(async { 1 });
///     assert_eq!(handle.await.unwrap(), 1);
/// }).unwrap();
///
/// let err = sim::Runtime::new(0).block_on(async {
///     let stuck = sim::task::Builder::new().name("stuck").spawn(std::future::pending::<()>());
///     stuck.await.unwrap();
/// }).unwrap_err();
/// assert!(err.to_string().contains("#1 \"stuck\""), "{err}");
/// ```
#[derive(Debug, Default, Clone)]
pub struct Builder {
    name: Option<Box<str>>,
}

impl Builder {
    /// A builder for an unnamed task.
    ///
    /// ```
    /// let b = sim::task::Builder::new();
    /// # drop(b);
    /// ```
    pub fn new() -> Builder {
        Builder::default()
    }

    /// Names the task.
    ///
    /// ```
    /// let b = sim::task::Builder::new().name("ticker");
    /// # drop(b);
    /// ```
    pub fn name(mut self, name: impl Into<String>) -> Builder {
        self.name = Some(name.into().into_boxed_str());
        self
    }

    /// Spawns `future`; see [`spawn`](crate::spawn).
    ///
    /// # Panics
    ///
    /// Outside a running simulation.
    ///
    /// ```
    /// sim::Runtime::new(0).block_on(async {
    ///     let h = sim::task::Builder::new().name("a").spawn(async { "done" });
    ///     assert_eq!(h.await.unwrap(), "done");
    /// }).unwrap();
    /// ```
    #[track_caller]
    #[must_use = "dropping the JoinHandle detaches the task (it keeps running); await it, or call `abort`"]
    pub fn spawn<F>(self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        let at = Location::caller();
        context::with_core("sim::task::Builder::spawn", |core| {
            JoinHandle::spawn_on(core, future, self.name.map(std::rc::Rc::from), at)
        })
    }
}
