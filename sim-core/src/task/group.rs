//! `TaskGroup`: structured concurrency with asyncio 3.11's semantics.

use std::cell::RefCell;
use std::fmt;
use std::future::{Future, poll_fn};
use std::panic::Location;
use std::pin::Pin;
use std::rc::{Rc, Weak};
use std::task::{Poll, Waker};

use super::JoinHandle;
use crate::executor::JoinError;
use crate::record::{Outcome, TaskId};
use crate::sync::{WaitTarget, Waiting};

/// A group of child tasks joined together; the first child that panics cancels the others.
///
/// - [`spawn`](TaskGroup::spawn) starts a child and returns its [`JoinHandle`], usable to
///   abort or cancel that child alone (a child cancelled through its own handle is not a
///   failure of the group).
/// - [`join`](TaskGroup::join) waits for every child. It returns the children's outputs in
///   spawn order, or, if any child panicked, a [`GroupError`] holding every child's panic. A
///   child whose output was taken through its own handle, or that was cancelled, contributes
///   no output.
/// - The first panic cancels every other child at once (at its next scheduling point), and a
///   child spawned after that is cancelled before it starts.
/// - Dropping the group (or a pending `join`) cancels every child still running.
///
/// # Examples
///
/// ```
/// use sim::task::TaskGroup;
/// use sim::time::{sleep, Duration};
///
/// sim::Runtime::new(2).block_on(async {
///     let group = TaskGroup::new();
///     for s in [1u64, 2, 3] {
///         group.spawn(async move { sleep(Duration::from_secs(s)).await; s });
///     }
///     assert_eq!(group.join().await.unwrap(), [1, 2, 3]);
///
///     let group = TaskGroup::new();
///     let slow = group.spawn(async { sleep(Duration::from_secs(10)).await; 0 });
///     group.spawn(async { sleep(Duration::from_secs(1)).await; panic!("boom") });
///     let err = group.join().await.unwrap_err();
///     assert_eq!(err.errors().len(), 1);
///     assert!(slow.is_finished()); // cancelled by the failure, not left running
///     assert_eq!(sim::time::elapsed(), Duration::from_secs(4)); // 3 s + 1 s, not 10 s
/// }).unwrap();
/// ```
pub struct TaskGroup<T> {
    shared: Rc<RefCell<Shared<T>>>,
}

struct Shared<T> {
    /// The group's own handles to its children (each child also has the caller's handle).
    children: Vec<JoinHandle<T>>,
    /// Children whose done callback has not run yet.
    running: usize,
    failed: bool,
    /// Set by [`TaskGroup::cancel_on_error`]: which outputs fail the group, as a panic does.
    fails: Option<fn(&T) -> bool>,
    joiner: Option<Waker>,
    /// Where the group was made, for deadlock reports.
    site: &'static Location<'static>,
}

/// What a task blocked in [`TaskGroup::join`] waits on: the group's running children.
struct GroupWait<T>(Weak<RefCell<Shared<T>>>);

impl<T> fmt::Display for GroupWait<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.upgrade() {
            Some(shared) => {
                let shared = shared.borrow();
                write!(
                    f,
                    "TaskGroup created at {} ({} of its children still running)",
                    shared.site, shared.running
                )
            }
            None => f.write_str("a TaskGroup"),
        }
    }
}

impl<T> WaitTarget for GroupWait<T> {
    fn holders(&self) -> Vec<TaskId> {
        let Some(shared) = self.0.upgrade() else {
            return Vec::new();
        };
        let shared = shared.borrow();
        shared
            .children
            .iter()
            .filter(|child| !child.is_finished())
            .map(|child| child.id())
            .collect()
    }
}

impl<T: 'static> Default for TaskGroup<T> {
    #[track_caller]
    fn default() -> TaskGroup<T> {
        TaskGroup::new()
    }
}

impl<T: 'static> TaskGroup<T> {
    /// An empty group.
    ///
    /// ```
    /// let group = sim::task::TaskGroup::<()>::new();
    /// # drop(group);
    /// ```
    #[track_caller]
    pub fn new() -> TaskGroup<T> {
        TaskGroup {
            shared: Rc::new(RefCell::new(Shared {
                children: Vec::new(),
                running: 0,
                failed: false,
                fails: None,
                joiner: None,
                site: Location::caller(),
            })),
        }
    }

    /// Starts a child task.
    ///
    /// # Panics
    ///
    /// Outside a running simulation.
    ///
    /// ```
    /// # sim::Runtime::new(0).block_on(async {
    /// let group = sim::task::TaskGroup::new();
    /// let child = group.spawn(std::future::pending::<u8>());
    /// child.abort(); // cancelled through its own handle: not a failure
    /// assert_eq!(group.join().await.unwrap(), Vec::<u8>::new());
    /// # }).unwrap();
    /// ```
    #[track_caller]
    pub fn spawn<F>(&self, future: F) -> JoinHandle<T>
    where
        F: Future<Output = T> + 'static,
    {
        let fails = self.shared.borrow().fails;
        let handle = match fails {
            None => crate::task::spawn(future),
            Some(fails) => {
                let weak = Rc::downgrade(&self.shared);
                crate::task::spawn(async move {
                    let output = future.await;
                    if fails(&output)
                        && let Some(shared) = weak.upgrade()
                    {
                        fail(&shared);
                    }
                    output
                })
            }
        };
        let ours = handle
            .second_claim()
            .expect("a task just spawned is in the table");
        let failed = {
            let mut shared = self.shared.borrow_mut();
            shared.children.push(ours);
            shared.running += 1;
            shared.failed
        };
        let weak = Rc::downgrade(&self.shared);
        handle.on_done(move |done| child_done(&weak, done.outcome));
        if failed {
            handle.abort();
        }
        handle
    }

    /// Waits for every child; see the [type docs](TaskGroup).
    ///
    /// # Errors
    ///
    /// A [`GroupError`] with every child panic, if any child panicked.
    ///
    /// ```
    /// # sim::Runtime::new(0).block_on(async {
    /// let group = sim::task::TaskGroup::new();
    /// group.spawn(async { 1 });
    /// group.spawn(async { 2 });
    /// assert_eq!(group.join().await.unwrap(), [1, 2]);
    /// # }).unwrap();
    /// ```
    pub async fn join(self) -> Result<Vec<T>, GroupError> {
        self.wait_all().await;
        let (outputs, errors) = self.collect().await;
        if errors.is_empty() {
            Ok(outputs)
        } else {
            Err(GroupError {
                errors,
                failures: Vec::new(),
            })
        }
    }

    /// Until every child has finished.
    async fn wait_all(&self) {
        let mut waiting: Option<Waiting> = None;
        poll_fn(|cx| {
            let mut shared = self.shared.borrow_mut();
            if shared.running > 0 {
                shared.joiner = Some(cx.waker().clone());
                drop(shared);
                if waiting.is_none() {
                    let target: Rc<dyn WaitTarget> =
                        Rc::new(GroupWait(Rc::downgrade(&self.shared)));
                    waiting = Some(Waiting::new(target));
                }
                return Poll::Pending;
            }
            Poll::Ready(())
        })
        .await;
        drop(waiting);
    }

    /// Once every child has finished: their outputs, and their panics, in spawn order.
    async fn collect(&self) -> (Vec<T>, Vec<JoinError>) {
        let children = std::mem::take(&mut self.shared.borrow_mut().children);
        let mut outputs = Vec::with_capacity(children.len());
        let mut errors = Vec::new();
        for mut child in children {
            // Every child has finished: its handle is ready at once.
            let result = poll_fn(|cx| Pin::new(&mut child).poll(cx)).await;
            match result {
                Ok(value) => outputs.push(value),
                Err(e) if e.is_panic() => errors.push(e),
                Err(_) => {} // cancelled, or its output was taken through its own handle
            }
        }
        (outputs, errors)
    }
}

impl<U: 'static, E: 'static> TaskGroup<Result<U, E>> {
    /// Makes a child that returns `Err` fail the group as a panic does, as an exception in
    /// an asyncio `TaskGroup` does: the first `Err` cancels every other child at once (and any
    /// child spawned after it). Collect the outcome with [`try_join`](TaskGroup::try_join).
    /// Without this, an `Err` is an output like any other.
    ///
    /// ```
    /// use sim::task::TaskGroup;
    /// use sim::time::{sleep, Duration};
    ///
    /// sim::Runtime::new(0).block_on(async {
    ///     let group = TaskGroup::new().cancel_on_error();
    ///     let slow = group.spawn(async { sleep(Duration::from_secs(10)).await; Ok(1) });
    ///     group.spawn(async { sleep(Duration::from_secs(1)).await; Err("no route") });
    ///     let err = group.try_join().await.unwrap_err();
    ///     assert_eq!(err.failures(), ["no route"]);
    ///     assert!(slow.is_finished()); // cancelled by the error, not left running
    ///     assert_eq!(sim::time::elapsed(), Duration::from_secs(1));
    /// }).unwrap();
    /// ```
    pub fn cancel_on_error(self) -> TaskGroup<Result<U, E>> {
        self.shared.borrow_mut().fails = Some(Result::is_err);
        self
    }

    /// Waits for every child: their values in spawn order if every child returned `Ok`;
    /// otherwise a [`GroupError`] with every `Err` ([`failures`](GroupError::failures)) and
    /// every panic ([`errors`](GroupError::errors)), in spawn order.
    ///
    /// # Errors
    ///
    /// As above: a child returned `Err` or panicked.
    ///
    /// ```
    /// # sim::Runtime::new(0).block_on(async {
    /// let group = sim::task::TaskGroup::new().cancel_on_error();
    /// group.spawn(async { Ok::<_, String>(1) });
    /// group.spawn(async { Ok(2) });
    /// assert_eq!(group.try_join().await.unwrap(), [1, 2]);
    /// # }).unwrap();
    /// ```
    pub async fn try_join(self) -> Result<Vec<U>, GroupError<E>> {
        self.wait_all().await;
        let (outputs, errors) = self.collect().await;
        let mut values = Vec::with_capacity(outputs.len());
        let mut failures = Vec::new();
        for output in outputs {
            match output {
                Ok(value) => values.push(value),
                Err(e) => failures.push(e),
            }
        }
        if errors.is_empty() && failures.is_empty() {
            Ok(values)
        } else {
            Err(GroupError { errors, failures })
        }
    }
}

/// A child returned an output the group counts as a failure (see `cancel_on_error`): on the
/// first, cancel the others (the child itself is finishing).
fn fail<T>(shared: &RefCell<Shared<T>>) {
    let mut st = shared.borrow_mut();
    if st.failed {
        return;
    }
    st.failed = true;
    let me = super::try_id();
    for child in st.children.iter().filter(|c| Some(c.id()) != me) {
        child.abort();
    }
}

/// A child finished: count it, and on the first panic cancel the others.
fn child_done<T>(shared: &Weak<RefCell<Shared<T>>>, outcome: Outcome) {
    let Some(shared) = shared.upgrade() else {
        return;
    };
    let joiner = {
        let mut st = shared.borrow_mut();
        st.running -= 1;
        if outcome == Outcome::Panicked && !st.failed {
            st.failed = true;
            for child in &st.children {
                child.abort();
            }
        }
        if st.running == 0 {
            st.joiner.take()
        } else {
            None
        }
    };
    if let Some(w) = joiner {
        w.wake();
    }
}

impl<T> Drop for TaskGroup<T> {
    fn drop(&mut self) {
        let children = std::mem::take(&mut self.shared.borrow_mut().children);
        for child in &children {
            child.abort();
        }
    }
}

impl<T> fmt::Debug for TaskGroup<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shared = self.shared.borrow();
        f.debug_struct("TaskGroup")
            .field("children", &shared.children.len())
            .field("running", &shared.running)
            .field("failed", &shared.failed)
            .finish()
    }
}

/// Children of a [`TaskGroup`] panicked; holds every one of their errors, in spawn order.
///
/// ```
/// # sim::Runtime::new(0).block_on(async {
/// let group = sim::task::TaskGroup::<()>::new();
/// group.spawn(async { panic!("first") });
/// let err = group.join().await.unwrap_err();
/// assert_eq!(err.errors()[0].panic_message(), Some("first"));
/// assert!(err.to_string().contains("1 child task(s) of the group panicked"));
/// # }).unwrap();
/// ```
#[derive(Debug)]
pub struct GroupError<E = std::convert::Infallible> {
    errors: Vec<JoinError>,
    /// The `Err`s of children of a group made with `cancel_on_error`.
    failures: Vec<E>,
}

impl<E> GroupError<E> {
    /// The `Err`s that children returned, in spawn order (for a group made with
    /// [`TaskGroup::cancel_on_error`]; always empty otherwise).
    ///
    /// ```
    /// # sim::Runtime::new(0).block_on(async {
    /// let group = sim::task::TaskGroup::new().cancel_on_error();
    /// group.spawn(async { Err::<(), _>(7) });
    /// assert_eq!(group.try_join().await.unwrap_err().failures(), [7]);
    /// # }).unwrap();
    /// ```
    pub fn failures(&self) -> &[E] {
        &self.failures
    }

    /// The `Err`s, by value.
    ///
    /// ```
    /// # sim::Runtime::new(0).block_on(async {
    /// let group = sim::task::TaskGroup::new().cancel_on_error();
    /// group.spawn(async { Err::<(), _>("x".to_string()) });
    /// assert_eq!(group.try_join().await.unwrap_err().into_failures(), ["x"]);
    /// # }).unwrap();
    /// ```
    pub fn into_failures(self) -> Vec<E> {
        self.failures
    }

    /// Every child's panic, in spawn order.
    ///
    /// ```
    /// # sim::Runtime::new(0).block_on(async {
    /// let group = sim::task::TaskGroup::<()>::new();
    /// group.spawn(async { panic!("x") });
    /// assert!(group.join().await.unwrap_err().errors()[0].is_panic());
    /// # }).unwrap();
    /// ```
    pub fn errors(&self) -> &[JoinError] {
        &self.errors
    }

    /// The errors, by value (to re-raise a panic with `resume_unwind`).
    ///
    /// ```
    /// # sim::Runtime::new(0).block_on(async {
    /// let group = sim::task::TaskGroup::<()>::new();
    /// group.spawn(async { panic!("x") });
    /// let errors = group.join().await.unwrap_err().into_errors();
    /// assert_eq!(errors.len(), 1);
    /// # }).unwrap();
    /// ```
    pub fn into_errors(self) -> Vec<JoinError> {
        self.errors
    }
}

impl<E: fmt::Debug> fmt::Display for GroupError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.errors.is_empty() || self.failures.is_empty() {
            write!(
                f,
                "{} child task(s) of the group panicked",
                self.errors.len()
            )?;
            for e in &self.errors {
                write!(f, "; {e}")?;
            }
        }
        if !self.failures.is_empty() {
            if !self.errors.is_empty() {
                f.write_str("; ")?;
            }
            write!(
                f,
                "{} child task(s) of the group returned Err",
                self.failures.len()
            )?;
            for e in &self.failures {
                write!(f, "; Err({e:?})")?;
            }
        }
        Ok(())
    }
}

impl<E: fmt::Debug> std::error::Error for GroupError<E> {}
