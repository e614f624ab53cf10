//! Task identity.

use std::fmt;

/// Identifies a task within one run.
///
/// Ids are handed out in spawn order, starting at `#0` for the future given to
/// [`Runtime::block_on`](crate::Runtime::block_on), so the same seed gives the same ids. An id is
/// never reused within a runtime.
///
/// # Examples
///
/// ```
/// let mut rt = sim::Runtime::new(1);
/// rt.block_on(async {
///     assert_eq!(sim::task::id().to_string(), "#0");
///     let child = sim::spawn(async { sim::task::id() });
///     let id = child.id();
///     assert_eq!(child.await.unwrap(), id);
///     assert_eq!(id.as_u64(), 1);
/// })
/// .unwrap();
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TaskId(pub(crate) u64);

impl TaskId {
    /// The id as a number: the task's position in spawn order.
    ///
    /// ```
    /// # sim::Runtime::new(0).block_on(async {
    /// assert_eq!(sim::task::id().as_u64(), 0);
    /// # }).unwrap();
    /// ```
    pub fn as_u64(self) -> u64 {
        self.0
    }
}

impl fmt::Display for TaskId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}
