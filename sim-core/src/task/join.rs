//! Join handles: awaiting, aborting and cancelling a spawned task.

use std::any::Any;
use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use crate::engine::Core;
use crate::executor::{JoinError, Ready};
use crate::record::{DoneInfo, Outcome, TaskId};

/// Whether a handle can still take its task's output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Claim {
    /// The output (or the task) is still in the runtime.
    Pending,
    /// The output was taken; the handle is spent.
    Taken,
}

/// An owned permission to await a spawned task's output.
///
/// Awaiting gives `Ok(output)`, or a [`JoinError`] if the task was cancelled or panicked.
/// Dropping the handle detaches the task: it keeps running and its output is dropped.
///
/// # Examples
///
/// ```
/// sim::Runtime::new(0).block_on(async {
///     let handle = sim::spawn(async { 6 * 7 });
///     assert_eq!(handle.await.unwrap(), 42);
/// }).unwrap();
/// ```
pub struct JoinHandle<T> {
    core: Rc<Core>,
    ready: Ready,
    claim: Claim,
    /// How the task finished, once this handle took its output.
    taken_outcome: Option<Outcome>,
    /// Made by `shield`: a cancellation of the awaiting side (`wait_for` expiring, or dropped)
    /// leaves the task running; only an explicit `abort` or `cancel` stops it.
    shielded: bool,
    _output: PhantomData<fn() -> T>,
}

impl<T> JoinHandle<T> {
    /// Spawns `future` into `core` and returns the handle to it.
    pub(crate) fn spawn_on<F>(
        core: &Rc<Core>,
        future: F,
        name: Option<Rc<str>>,
        spawned_at: &'static std::panic::Location<'static>,
    ) -> JoinHandle<T>
    where
        F: Future<Output = T> + 'static,
    {
        let ready = core.spawn(future, name, spawned_at);
        JoinHandle::new(Rc::clone(core), ready)
    }

    pub(crate) fn new(core: Rc<Core>, ready: Ready) -> JoinHandle<T> {
        JoinHandle {
            core,
            ready,
            claim: Claim::Pending,
            taken_outcome: None,
            shielded: false,
            _output: PhantomData,
        }
    }

    /// This handle, marked as `shield`'s (see [`shield`](crate::shield)).
    pub(crate) fn shielded(mut self) -> JoinHandle<T> {
        self.shielded = true;
        self
    }

    /// Whether the handle came from [`shield`](crate::shield).
    pub(crate) fn is_shielded(&self) -> bool {
        self.shielded
    }

    /// The task's id.
    ///
    /// ```
    /// # sim::Runtime::new(0).block_on(async {
    /// let h = sim::spawn(async {});
    /// assert_eq!(h.id().to_string(), "#1");
    /// # h.await.unwrap(); }).unwrap();
    /// ```
    pub fn id(&self) -> TaskId {
        self.ready.id
    }

    /// Asks for the task to be cancelled.
    ///
    /// The task's future is dropped (its destructors run) at a later scheduling point, never
    /// inside the caller's poll; awaiting the handle then gives a cancelled [`JoinError`]. A
    /// task that finishes before the abort takes effect keeps its output. Aborting a finished
    /// task does nothing.
    ///
    /// ```
    /// use sim::time::{sleep, Duration};
    ///
    /// sim::Runtime::new(0).block_on(async {
    ///     let h = sim::spawn(sleep(Duration::from_secs(10)));
    ///     h.abort();
    ///     assert!(h.await.unwrap_err().is_cancelled());
    /// }).unwrap();
    /// ```
    pub fn abort(&self) {
        self.core.abort(self.ready);
    }

    /// Whether the task has finished (returned, panicked or been cancelled).
    ///
    /// ```
    /// let mut rt = sim::Builder::new().strategy(sim::Strategy::Fifo).build();
    /// rt.block_on(async {
    ///     let h = sim::spawn(async {});
    ///     assert!(!h.is_finished());
    ///     sim::task::yield_now().await; // under Fifo, the task runs before main resumes
    ///     assert!(h.is_finished());
    /// }).unwrap();
    /// ```
    pub fn is_finished(&self) -> bool {
        self.claim == Claim::Taken || self.core.is_finished(self.ready)
    }

    /// The task's place in the run's completion order, once it has finished and while its
    /// output is still there to take.
    pub(crate) fn finish_order(&self) -> Option<u64> {
        match self.claim {
            Claim::Pending => self.core.finish_order(self.ready),
            Claim::Taken => None,
        }
    }

    /// Runs `callback` once the task has finished, as a scheduled step of its own (asyncio's
    /// `add_done_callback`). Callbacks of one task run in registration order; one registered
    /// after the task finished runs soon after. The callback learns the task's id and how it
    /// finished; the output itself stays with the handle.
    ///
    /// ```
    /// use std::cell::RefCell;
    /// use std::rc::Rc;
    /// use sim::Outcome;
    ///
    /// sim::Runtime::new(5).block_on(async {
    ///     let log = Rc::new(RefCell::new(Vec::new()));
    ///     let task = sim::spawn(async { 1 });
    ///     for name in ["first", "second"] {
    ///         let log = Rc::clone(&log);
    ///         task.on_done(move |done| log.borrow_mut().push((name, done.outcome)));
    ///     }
    ///     assert_eq!(task.await.unwrap(), 1);
    ///     sim::time::sleep(sim::time::Duration::from_millis(1)).await; // let the callbacks run
    ///     assert_eq!(*log.borrow(), [("first", Outcome::Returned), ("second", Outcome::Returned)]);
    /// }).unwrap();
    /// ```
    pub fn on_done(&self, callback: impl FnOnce(DoneInfo) + 'static) {
        let known = match self.claim {
            Claim::Taken => self.taken_outcome,
            Claim::Pending => None,
        };
        self.core.on_done(self.ready, known, Box::new(callback));
    }

    /// Another handle to the same task, for a task group; `None` if the task is gone.
    pub(crate) fn second_claim(&self) -> Option<JoinHandle<T>> {
        (self.claim == Claim::Pending && self.core.add_claim(self.ready))
            .then(|| JoinHandle::new(Rc::clone(&self.core), self.ready))
    }

    /// Turns the handle into one that aborts the task when dropped.
    ///
    /// ```
    /// use sim::time::{sleep, Duration};
    ///
    /// sim::Runtime::new(0).block_on(async {
    ///     let guard = sim::spawn(sleep(Duration::from_secs(5))).abort_on_drop();
    ///     drop(guard); // the task is cancelled; the run does not wait 5 s
    ///     sim::task::yield_now().await;
    ///     assert_eq!(sim::time::elapsed(), Duration::ZERO);
    /// }).unwrap();
    /// ```
    pub fn abort_on_drop(self) -> AbortOnDrop<T> {
        AbortOnDrop { handle: self }
    }

    /// Aborts the task and waits until it has really ended: asyncio's
    /// `task.cancel(); await task`.
    ///
    /// The abort is requested at once, when `cancel` is called. The returned future resolves
    /// after the task's future has been dropped and its destructors have run, to `Err` with a
    /// cancelled [`JoinError`]; or to `Ok(output)` if the task finished before the abort took
    /// effect; or to the panic, if it panicked first.
    ///
    /// ```
    /// use sim::time::{sleep, Duration};
    ///
    /// let mut rt = sim::Builder::new().strategy(sim::Strategy::Fifo).build();
    /// rt.block_on(async {
    ///     let h = sim::spawn(sleep(Duration::from_secs(1)));
    ///     assert!(h.cancel().await.unwrap_err().is_cancelled());
    ///
    ///     let done = sim::spawn(async { 5 });
    ///     sim::task::yield_now().await; // under Fifo, `done` runs to completion first
    ///     assert_eq!(done.cancel().await.unwrap(), 5);
    /// }).unwrap();
    /// ```
    pub fn cancel(self) -> Cancel<T> {
        self.abort();
        Cancel { handle: self }
    }
}

impl<T: 'static> Future for JoinHandle<T> {
    type Output = Result<T, JoinError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        assert!(
            self.claim == Claim::Pending,
            "JoinHandle polled after it returned the output"
        );
        let mut output: Option<Result<T, JoinError>> = None;
        match self
            .core
            .poll_join(self.ready, cx, &mut output as &mut dyn Any)
        {
            Poll::Pending => Poll::Pending,
            Poll::Ready(()) => {
                self.claim = Claim::Taken;
                self.taken_outcome = Some(match &output {
                    Some(Ok(_)) => Outcome::Returned,
                    Some(Err(e)) if e.is_panic() => Outcome::Panicked,
                    _ => Outcome::Cancelled,
                });
                // `None`: another handle of the same task (its task group's) took the output.
                Poll::Ready(output.unwrap_or_else(|| Err(JoinError::claimed(self.ready.id))))
            }
        }
    }
}

impl<T> Drop for JoinHandle<T> {
    fn drop(&mut self) {
        if self.claim == Claim::Pending {
            self.core.detach(self.ready);
        }
    }
}

impl<T> fmt::Debug for JoinHandle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinHandle")
            .field("id", &self.ready.id)
            .finish()
    }
}

/// A [`JoinHandle`] that aborts its task when dropped; made by [`JoinHandle::abort_on_drop`].
///
/// ```
/// # sim::Runtime::new(0).block_on(async {
/// let h = sim::spawn(async { 1 }).abort_on_drop();
/// assert_eq!(h.await.unwrap(), 1);
/// # }).unwrap();
/// ```
#[must_use = "dropping an AbortOnDrop cancels the task"]
pub struct AbortOnDrop<T> {
    handle: JoinHandle<T>,
}

impl<T> AbortOnDrop<T> {
    /// The task's id.
    ///
    /// ```
    /// # sim::Runtime::new(0).block_on(async {
    /// let h = sim::spawn(async {}).abort_on_drop();
    /// assert_eq!(h.id().as_u64(), 1);
    /// # }).unwrap();
    /// ```
    pub fn id(&self) -> TaskId {
        self.handle.id()
    }

    /// Aborts the task now; see [`JoinHandle::abort`].
    ///
    /// ```
    /// # sim::Runtime::new(0).block_on(async {
    /// let mut h = sim::spawn(std::future::pending::<()>()).abort_on_drop();
    /// h.abort();
    /// assert!((&mut h).await.unwrap_err().is_cancelled());
    /// # }).unwrap();
    /// ```
    pub fn abort(&self) {
        self.handle.abort();
    }

    /// Whether the task has finished.
    ///
    /// ```
    /// # sim::Runtime::new(0).block_on(async {
    /// let h = sim::spawn(async {}).abort_on_drop();
    /// assert!(!h.is_finished());
    /// # }).unwrap();
    /// ```
    pub fn is_finished(&self) -> bool {
        self.handle.is_finished()
    }
}

impl<T: 'static> Future for AbortOnDrop<T> {
    type Output = Result<T, JoinError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.handle).poll(cx)
    }
}

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        if self.handle.claim == Claim::Pending {
            self.handle.abort();
        }
    }
}

impl<T> fmt::Debug for AbortOnDrop<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AbortOnDrop")
            .field("id", &self.handle.id())
            .finish()
    }
}

/// The future returned by [`JoinHandle::cancel`].
#[must_use = "the abort is already requested; await this to wait until the task has ended"]
pub struct Cancel<T> {
    handle: JoinHandle<T>,
}

impl<T: 'static> Future for Cancel<T> {
    type Output = Result<T, JoinError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.handle).poll(cx)
    }
}

impl<T> fmt::Debug for Cancel<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Cancel")
            .field("id", &self.handle.id())
            .finish()
    }
}
