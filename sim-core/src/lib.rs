//! `sim`: a deterministic simulation runtime for async Rust tests.
//!
//! One thread, one virtual clock, one seed. Every choice that can change how async code
//! behaves — which ready task runs next, in which order timers due at the same instant fire —
//! is drawn from the seed, so a run is a pure function of its seed: a failure found under seed
//! `0x2a` happens again, step for step, under seed `0x2a`. Time is virtual: `sleep(1h)`
//! completes at once when nothing else can run, and timestamps in assertions are exact.
//!
//! # A first run
//!
//! ```
//! use sim::time::{sleep, timeout, Duration, Instant};
//!
//! let mut rt = sim::Runtime::new(0x2a);
//! rt.block_on(async {
//!     // A task that takes 2 s, bounded by a 1 s timeout: cancelled at exactly t=1s.
//!     let slow = sim::spawn(async {
//!         sleep(Duration::from_secs(2)).await;
//!         "done"
//!     });
//!     let waited = timeout(Duration::from_secs(1), slow).await;
//!     assert!(waited.is_err());
//!     assert_eq!(Instant::now().since_start(), Duration::from_secs(1));
//! })
//! .unwrap();
//! ```
//!
//! # Finding an interleaving bug, and replaying it
//!
//! Run the same program under many seeds; a failing seed, or the recorded [`Schedule`],
//! reproduces the failure exactly:
//!
//! ```
//! use std::cell::Cell;
//! use std::rc::Rc;
//! use sim::{Builder, Strategy};
//!
//! // Two tasks increment a shared counter with a yield between read and write: a lost update.
//! async fn racy() -> u32 {
//!     let counter = Rc::new(Cell::new(0));
//!     let tasks: Vec<_> = (0..2)
//!         .map(|_| {
//!             let c = Rc::clone(&counter);
//!             sim::spawn(async move {
//!                 let read = c.get();
//!                 sim::task::yield_now().await;
//!                 c.set(read + 1);
//!             })
//!         })
//!         .collect();
//!     for t in tasks {
//!         t.await.unwrap();
//!     }
//!     counter.get()
//! }
//!
//! let failing = (0..100u64)
//!     .find(|&seed| Builder::new().seed(seed).build().block_on(racy()).unwrap() != 2)
//!     .expect("some seed interleaves the two tasks");
//!
//! // The seed replays the failure...
//! let mut rt = Builder::new().seed(failing).build();
//! assert_eq!(rt.block_on(racy()).unwrap(), 1);
//! // ...and so does the schedule it recorded. (A schedule fixes the scheduling decisions;
//! // values from `sim::rand` still come from the seed, and this program draws none.)
//! let mut replay = Builder::new().strategy(Strategy::Replay(rt.schedule())).build();
//! assert_eq!(replay.block_on(racy()).unwrap(), 1);
//! ```
//!
//! # Where to go next
//!
//! - [`guide`]: write a `#[sim::test]`, read a failure, replay it, split seeds across CI.
//! - [`check`]: the multi-seed checker behind the attribute, and every `SIM_*` variable.
//! - [`Runtime`], [`Builder`] and [`Strategy`]: running, configuring, replaying.
//! - [`task`]: spawning, join handles, abort and cancel.
//! - [`time`]: virtual sleeps, timeouts and intervals.
//! - [`sync`]: locks, semaphores, events, channels and queues that report deadlocks.
//! - [`rand`]: seeded randomness for the program under test.
//! - [`buggify`](mod@buggify): seeded fault injection at sites the program marks.
//! - [`node`]: simulated machines that crash, restart, pause and resume.
//! - [`net`]: TCP and UDP between nodes, with latency, loss, duplication and partitions.
//! - [`disk`]: a disk per node, whose writes survive a crash only once synced.
//! - [`trace`] and [`timeline`]: seeing a run, as `tracing` events or as a picture.
//! - [`SimError`]: what a failed run reports.

#![forbid(unsafe_code)]

pub mod buggify;
pub mod check;
mod combinators;
mod engine;
mod env;
mod error;
mod executor;
pub mod guide;
/// The examples of `docs/distributed.md`, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../docs/distributed.md")]
struct DistributedDoc;

pub mod disk;
pub mod net;
pub mod node;
pub mod rand;
mod record;
mod runtime;
mod sched;
mod spare;
pub mod sync;
pub mod task;
pub mod time;
pub mod timeline;
pub mod trace;

pub use combinators::{
    AsCompleted, Finished, Gather, GatherSettled, ReturnWhen, WaitFor, WaitTasks, as_completed,
    gather, gather_settled, shield, wait, wait_for, wait_timeout,
};
pub use env::EnvError;
pub use error::{
    BlockedOn, Deadlock, NonDeterminism, NonDeterminismKind, PanicReason, Panicked, ReplayMismatch,
    SimError, StepLimit, TimeLimit, WakerHeld,
};
pub use executor::JoinError;
pub use record::{
    DEFAULT_SLOW_POLL, DebugReport, DecisionKind, Event, EventKind, Outcome, ParseScheduleError,
    ReplayError, RunPoint, Schedule, SlowPoll, TaskId, TaskInfo,
};
pub use runtime::{
    Builder, DEFAULT_MAX_STEPS, DEFAULT_WATCHDOG, Handle, Runtime, UnobservedPanic, in_simulation,
    seed, steps_taken,
};
pub use sched::{ParseStrategyError, Strategy};
pub use task::{JoinHandle, spawn};

#[doc(hidden)]
pub mod __private {
    //! Items the exported macros expand to; not a public API.
    pub use crate::combinators::select::{Branch, BranchFuture, select_branches};
}

#[doc = include_str!("test_attr.md")]
pub use sim_macros::test;
