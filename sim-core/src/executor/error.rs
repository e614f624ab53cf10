//! How awaiting a task can fail: [`JoinError`] (cancelled, panicked, or output already taken).
//! It lives with task storage because a finished task's cell holds it.

use std::any::Any;
use std::fmt;

use crate::record::TaskId;

/// Why a task did not produce its output: it was cancelled, or it panicked.
///
/// # Examples
///
/// ```
/// sim::Runtime::new(0).block_on(async {
///     let err = sim::spawn(async { panic!("boom") }).await.unwrap_err();
///     assert!(err.is_panic());
///     assert_eq!(err.panic_message(), Some("boom"));
///     assert_eq!(err.to_string(), "task #1 panicked: boom");
/// }).unwrap();
/// ```
pub struct JoinError {
    id: TaskId,
    repr: Repr,
}

enum Repr {
    Cancelled,
    /// Another handle of the task (its task group's) took the output first.
    Claimed,
    /// Boxed, so a task's output slot stays small: it is reserved in every task's cell.
    Panic(Box<PanicInfo>),
}

struct PanicInfo {
    payload: Box<dyn Any + Send>,
    message: String,
}

impl JoinError {
    pub(crate) fn cancelled(id: TaskId) -> JoinError {
        JoinError {
            id,
            repr: Repr::Cancelled,
        }
    }

    pub(crate) fn claimed(id: TaskId) -> JoinError {
        JoinError {
            id,
            repr: Repr::Claimed,
        }
    }

    pub(crate) fn panicked(id: TaskId, payload: Box<dyn Any + Send>, message: String) -> JoinError {
        JoinError {
            id,
            repr: Repr::Panic(Box::new(PanicInfo { payload, message })),
        }
    }

    /// The id of the task that failed.
    ///
    /// ```
    /// # sim::Runtime::new(0).block_on(async {
    /// let h = sim::spawn(std::future::pending::<()>());
    /// let id = h.id();
    /// assert_eq!(h.cancel().await.unwrap_err().id(), id);
    /// # }).unwrap();
    /// ```
    pub fn id(&self) -> TaskId {
        self.id
    }

    /// Whether the task was cancelled (asyncio's `CancelledError`).
    ///
    /// ```
    /// # sim::Runtime::new(0).block_on(async {
    /// let h = sim::spawn(std::future::pending::<()>());
    /// assert!(h.cancel().await.unwrap_err().is_cancelled());
    /// # }).unwrap();
    /// ```
    pub fn is_cancelled(&self) -> bool {
        matches!(self.repr, Repr::Cancelled)
    }

    /// Whether the task panicked.
    ///
    /// ```
    /// # sim::Runtime::new(0).block_on(async {
    /// assert!(sim::spawn(async { panic!() }).await.unwrap_err().is_panic());
    /// # }).unwrap();
    /// ```
    pub fn is_panic(&self) -> bool {
        matches!(self.repr, Repr::Panic(_))
    }

    /// The panic message, when the task panicked with a string.
    ///
    /// ```
    /// # sim::Runtime::new(0).block_on(async {
    /// let err = sim::spawn(async { panic!("at {}", 3) }).await.unwrap_err();
    /// assert_eq!(err.panic_message(), Some("at 3"));
    /// # }).unwrap();
    /// ```
    pub fn panic_message(&self) -> Option<&str> {
        match &self.repr {
            Repr::Panic(info) => Some(&info.message),
            Repr::Cancelled | Repr::Claimed => None,
        }
    }

    /// The panic payload, to re-raise with `std::panic::resume_unwind`.
    ///
    /// # Panics
    ///
    /// If the task was cancelled rather than panicking; see [`JoinError::try_into_panic`].
    ///
    /// ```
    /// # sim::Runtime::new(0).block_on(async {
    /// let err = sim::spawn(async { std::panic::panic_any(7u8) }).await.unwrap_err();
    /// assert_eq!(*err.into_panic().downcast::<u8>().unwrap(), 7);
    /// # }).unwrap();
    /// ```
    #[track_caller]
    pub fn into_panic(self) -> Box<dyn Any + Send> {
        self.try_into_panic()
            .expect("`JoinError::into_panic` called on a cancelled task's error")
    }

    /// The panic payload, or the error itself if the task was cancelled.
    ///
    /// ```
    /// # sim::Runtime::new(0).block_on(async {
    /// let h = sim::spawn(std::future::pending::<()>());
    /// assert!(h.cancel().await.unwrap_err().try_into_panic().is_err());
    /// # }).unwrap();
    /// ```
    pub fn try_into_panic(self) -> Result<Box<dyn Any + Send>, JoinError> {
        match self.repr {
            Repr::Panic(info) => Ok(info.payload),
            Repr::Cancelled | Repr::Claimed => Err(self),
        }
    }
}

impl fmt::Display for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.repr {
            Repr::Cancelled => write!(f, "task {} was cancelled", self.id),
            Repr::Claimed => {
                write!(
                    f,
                    "task {}'s output was already taken by its task group",
                    self.id
                )
            }
            Repr::Panic(info) => write!(f, "task {} panicked: {}", self.id, info.message),
        }
    }
}

impl fmt::Debug for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.repr {
            Repr::Cancelled => write!(f, "JoinError::Cancelled({})", self.id),
            Repr::Claimed => write!(f, "JoinError::Claimed({})", self.id),
            Repr::Panic(info) => write!(f, "JoinError::Panic({}, {:?})", self.id, info.message),
        }
    }
}

impl std::error::Error for JoinError {}
