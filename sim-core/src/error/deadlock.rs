//! The deadlock report: every blocked task, what it waits on and who holds that, what its waker
//! says when it names no wait, futurelocks, and the cycle of a lock-order deadlock.

use std::fmt;

use crate::record::{RunPoint, TaskId, TaskInfo};

/// Every task is blocked and no timer can wake any of them.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Deadlock {
    /// Where the run stopped.
    pub at: RunPoint,
    /// Every task that was still pending, in id order (`#0` is the `block_on` future).
    pub blocked: Vec<TaskInfo>,
    /// What the blocked tasks wait on, in task order: a task waiting on several things at
    /// once (the branches of a `select!`) has an entry for each, in the order it began waiting.
    pub waits: Vec<BlockedOn>,
    /// A cycle of tasks each waiting on something the next one holds (a lock-order
    /// deadlock), in order from its lowest task id; empty if there is none. A task waiting on
    /// something it holds itself is a futurelock (see [`Deadlock::futurelocks`]), not a cycle.
    pub cycle: Vec<TaskId>,
    /// See [`Deadlock::wakers`]; a boxed slice keeps `SimError` small.
    pub(crate) wakers: Box<[(TaskId, WakerHeld)]>,
}

impl Deadlock {
    /// For each blocked task that names no wait, who holds its waker, in task order.
    ///
    /// ```
    /// use sim::WakerHeld;
    ///
    /// let err = sim::Runtime::new(0)
    ///     .block_on(std::future::pending::<()>())
    ///     .unwrap_err();
    /// let sim::SimError::Deadlock(deadlock) = &err else { panic!("{err}") };
    /// let main = deadlock.blocked[0].id;
    /// assert_eq!(deadlock.wakers(), [(main, WakerHeld::Nowhere)]);
    /// ```
    pub fn wakers(&self) -> &[(TaskId, WakerHeld)] {
        &self.wakers
    }

    /// When [`cycle`](Deadlock::cycle) is empty: the first cycle that one of the
    /// [`probable_holders`](BlockedOn::probable_holders) closes, so only a probable one; the
    /// report prints it as such. Empty if there is none, or if `cycle` is not.
    ///
    /// ```
    /// let err = sim::Runtime::new(0)
    ///     .block_on(async {
    ///         let (tx, rx) = sim::sync::oneshot::channel::<u8>();
    ///         let waiter = sim::spawn(rx); // the sender stays with main...
    ///         let _ = waiter.await; // ...which waits for the waiter
    ///         drop(tx);
    ///     })
    ///     .unwrap_err();
    /// let sim::SimError::Deadlock(deadlock) = &err else { panic!("{err}") };
    /// assert!(deadlock.cycle.is_empty());
    /// let cycle: Vec<u64> = deadlock.probable_cycle().iter().map(|t| t.as_u64()).collect();
    /// assert_eq!(cycle, [0, 1]);
    /// assert!(err.to_string().contains("probable cycle"), "{err}");
    /// ```
    pub fn probable_cycle(&self) -> Vec<TaskId> {
        if self.cycle.is_empty() {
            find_cycle(&self.waits, true)
        } else {
            Vec::new()
        }
    }

    /// The waits whose task holds what it waits on: futurelocks (Oxide's RFD 609 names them).
    /// The task owns the guard or permit it waits for, most often in a future it keeps but no
    /// longer polls (one passed to `select!` as `&mut fut`), so it can never have it.
    ///
    /// ```
    /// use sim::sync::Mutex;
    /// use sim::time::{Duration, sleep};
    ///
    /// let err = sim::Runtime::new(0)
    ///     .block_on(async {
    ///         let lock = Mutex::new(());
    ///         let mut holds_the_lock = Box::pin(async {
    ///             let _guard = lock.lock().await;
    ///             std::future::pending::<()>().await
    ///         });
    ///         sim::select! {
    ///             () = &mut holds_the_lock => {},
    ///             () = sleep(Duration::from_millis(10)) => {},
    ///         }
    ///         let _guard = lock.lock().await; // held by `holds_the_lock`, never polled again
    ///     })
    ///     .unwrap_err();
    /// let sim::SimError::Deadlock(deadlock) = &err else { panic!("{err}") };
    /// let futurelocked: Vec<u64> = deadlock.futurelocks().map(|w| w.task.as_u64()).collect();
    /// assert_eq!(futurelocked, [0]);
    /// assert!(err.to_string().contains("futurelock: #0 \"main\" waits on Mutex"), "{err}");
    /// ```
    pub fn futurelocks(&self) -> impl Iterator<Item = &BlockedOn> {
        self.waits
            .iter()
            .filter(|w| !w.uncertain && w.holders.contains(&w.task))
    }
}

/// What a blocked task waits on.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct BlockedOn {
    /// The waiting task.
    pub task: TaskId,
    /// The primitive, as `Mutex created at src/bank.rs:12:20`.
    pub resource: String,
    /// The tasks holding it (for locks and semaphores), in id order.
    pub holders: Vec<TaskId>,
    /// Tasks that probably hold it, by sim's best guess where it cannot know (for a oneshot
    /// channel, the task that created it: see [`WaitTarget::probable_holders`]), in id
    /// order. Never the waiting task itself, nor a task in `holders`, nor one that is done.
    ///
    /// [`WaitTarget::probable_holders`]: crate::sync::WaitTarget::probable_holders
    pub probable_holders: Vec<TaskId>,
    /// Whether sim cannot tell if the task still waits on it: the task waited on several of
    /// sim's primitives at once and one of the waits ended without its primitive saying which.
    /// Such a wait is printed as "perhaps waiting on" and not followed to find a cycle.
    pub uncertain: bool,
}

/// Who holds the waker of a blocked task that names no wait (see [`Deadlock::wakers`]).
///
/// A task's waker is what wakes it: whatever the task waits on keeps a clone of it, and each of
/// sim's primitives that does also names the wait. So when a task names nothing it waits on,
/// counting who else holds its waker still tells something.
///
/// ```
/// use sim::{SimError, WakerHeld};
///
/// let err = sim::Runtime::new(0)
///     .block_on(std::future::poll_fn(|_| std::task::Poll::<()>::Pending))
///     .unwrap_err();
/// let SimError::Deadlock(deadlock) = &err else { panic!("{err}") };
/// assert_eq!(deadlock.wakers()[0].1, WakerHeld::Nowhere);
/// assert!(err.to_string().contains("nothing holds its waker"), "{err}");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum WakerHeld {
    /// Something holds the waker, but nothing of sim's says it waits there: most likely a
    /// timer or I/O of another runtime (a `tokio::time::sleep`), or a primitive of another
    /// crate that does not name itself with [`Waiting`](crate::sync::Waiting). A combinator of
    /// another crate that gives its futures a waker of its own (`FuturesUnordered`) holds the
    /// task's waker too, so the task lands here whatever its futures wait on; so does a task
    /// whose last receive on a [`sync::mpsc`](crate::sync::mpsc) channel was cancelled (the
    /// channel keeps that waker until the next receive).
    Outside,
    /// Nothing holds the waker, so nothing can wake the task: a future returned `Pending`
    /// without keeping its waker (or waking it).
    Nowhere,
}

impl fmt::Display for WakerHeld {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            WakerHeld::Outside => {
                "waiting on something that holds its waker but is not part of the simulation \
                 (a timer or I/O of another runtime?): use sim::time and sim::sync, or have it \
                 name itself with sim::sync::Waiting"
            }
            WakerHeld::Nowhere => {
                "nothing holds its waker: it can never be woken (a future returned Pending \
                 without keeping its waker)"
            }
        })
    }
}

impl fmt::Display for Deadlock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "deadlock at {}: no task can run and no timer is pending; {} blocked task(s):",
            self.at,
            self.blocked.len()
        )?;
        let name = |id: TaskId| match self.blocked.iter().find(|t| t.id == id) {
            Some(TaskInfo {
                name: Some(name), ..
            }) => format!("{id} \"{name}\""),
            _ => id.to_string(),
        };
        for task in &self.blocked {
            write!(f, "\n  - {task}")?;
            let mut uncertain = false;
            for wait in self.waits.iter().filter(|w| w.task == task.id) {
                let verb = if wait.uncertain {
                    "perhaps waiting on"
                } else {
                    "waiting on"
                };
                write!(f, "\n      {verb} {}", wait.resource)?;
                let names = |tasks: &[TaskId]| -> String {
                    let names: Vec<String> = tasks.iter().map(|&t| name(t)).collect();
                    names.join(", ")
                };
                if !wait.holders.is_empty() {
                    write!(f, ", held by {}", names(&wait.holders))?;
                }
                if !wait.probable_holders.is_empty() {
                    write!(f, ", probably held by {}", names(&wait.probable_holders))?;
                }
                uncertain |= wait.uncertain;
            }
            if let Some((_, held)) = self.wakers.iter().find(|(t, _)| *t == task.id) {
                write!(f, "\n      {held}")?;
            }
            if uncertain {
                write!(
                    f,
                    "\n      (one of these waits ended, and its primitive did not say which)"
                )?;
            }
        }
        let mut futurelocks = self.futurelocks().peekable();
        let any_futurelock = futurelocks.peek().is_some();
        for wait in futurelocks {
            let task = name(wait.task);
            write!(
                f,
                "\n  futurelock: {task} waits on {}, held by a future {task} itself owns but is \
                 not polling",
                wait.resource
            )?;
        }
        if any_futurelock {
            write!(
                f,
                "\n    (it holds what it waits for: in a future it keeps but no longer polls, say \
                 one passed to select! as `&mut fut`, or in a guard kept across this wait; drop \
                 that future or guard, or poll the future to completion, before waiting)"
            )?;
        }
        let probable_cycle;
        let (cycle, heading) = if self.cycle.is_empty() {
            probable_cycle = self.probable_cycle();
            (
                &probable_cycle,
                "probable cycle (it follows a guessed holder)",
            )
        } else {
            (&self.cycle, "cycle")
        };
        if !cycle.is_empty() {
            write!(f, "\n  {heading}: ")?;
            for (i, &task) in cycle.iter().enumerate() {
                // The wait that leads to the next task of the cycle.
                let next = cycle[(i + 1) % cycle.len()];
                let on = self
                    .waits
                    .iter()
                    .filter(|w| w.task == task && !w.uncertain)
                    .find(|w| w.holders.contains(&next))
                    .or_else(|| {
                        self.waits
                            .iter()
                            .filter(|w| w.task == task && !w.uncertain)
                            .find(|w| w.probable_holders.contains(&next))
                    })
                    .map(|w| w.resource.as_str());
                write!(f, "{} waits on {} -> ", name(task), on.unwrap_or("?"))?;
            }
            write!(f, "{}", name(cycle[0]))?;
        }
        Ok(())
    }
}

/// The first cycle of two tasks or more (from the lowest task id) in the graph "task waits on a
/// resource held by", following the waits sim is sure of and their holders (and, if
/// `probable`, their probable holders too).
pub(crate) fn find_cycle(waits: &[BlockedOn], probable: bool) -> Vec<TaskId> {
    let next = |task: TaskId| -> Vec<TaskId> {
        let mut holders: Vec<TaskId> = Vec::new();
        for w in waits.iter().filter(|w| w.task == task && !w.uncertain) {
            let guessed = if probable {
                &w.probable_holders[..]
            } else {
                &[]
            };
            for &holder in w.holders.iter().chain(guessed) {
                if !holders.contains(&holder) {
                    holders.push(holder);
                }
            }
        }
        holders
    };
    let mut starts: Vec<TaskId> = waits.iter().map(|w| w.task).collect();
    starts.dedup();
    for start in starts {
        // Depth-first, following holders; a path that comes back to `start` is a cycle.
        // Only tasks above `start` are entered, so each cycle is found from its lowest id.
        let mut path = vec![start];
        let mut stack = vec![next(start)];
        while let Some(options) = stack.last_mut() {
            match options.pop() {
                // A task holding what it waits on is a futurelock, reported apart.
                Some(task) if task == start && path.len() > 1 => return path,
                Some(task) if !path.contains(&task) && task > start => {
                    path.push(task);
                    stack.push(next(task));
                }
                Some(_) => {}
                None => {
                    stack.pop();
                    path.pop();
                }
            }
        }
    }
    Vec::new()
}
