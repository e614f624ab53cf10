//! The run's mutable state and the bookkeeping every step shares: where the run is, the event
//! log and its hashes, recording a decision, and building the failures a step can end with.
//!
//! Invariant: `State` lives in the core's one `RefCell`; every method here runs with that
//! borrow held and so never calls user code (no waker is woken or dropped, no future polled).

use super::callbacks::Callbacks;
use super::deadlock::TaskWaits;
#[cfg(doc)]
use super::deadlock::WaitTarget;
use super::groups::Groups;
use super::timer_queue::{TimerQueue, TimerWake};
use crate::error::{PanicReason, Panicked, ReplayMismatch, SimError};
use crate::executor::Ready;
use crate::executor::TaskTable;
use crate::record::Instant;
use crate::record::{
    DebugReport, DecisionKind, DecisionPoint, Event, EventKind, ReplayError, RunPoint, Schedule,
    TaskId,
};
use crate::sched::Scheduler;
use crate::sched::SimRng;
use std::collections::BTreeMap;

use super::config::{Config, Injection, UnobservedPanic};

pub(crate) struct State {
    pub(super) config: Config,
    pub(super) tasks: TaskTable,
    pub(super) timers: TimerQueue,
    pub(super) now: Instant,
    pub(super) steps: u64,
    pub(super) scheduler: Box<dyn Scheduler>,
    pub(super) schedule: Schedule,
    /// Decisions about which task runs (the schedule also holds timer and chaos decisions).
    pub(super) task_decisions: u64,
    /// Decisions that switched away from the task that ran last while it could still run.
    pub(super) preemptions: u64,
    /// The task polled at the previous step.
    pub(super) last_polled: Option<Ready>,
    /// Every decision with its options, when exploring exhaustively.
    pub(super) trace: Option<Vec<DecisionPoint>>,
    pub(super) injection: Injection,
    /// What each blocked task waits on, for those that said (see [`WaitTarget`]): one wait or
    /// more per task.
    pub(super) waits: BTreeMap<TaskId, TaskWaits>,
    /// What debug mode noticed.
    pub(super) debug: DebugReport,
    pub(super) user_rng: SimRng,
    pub(super) current: Option<TaskId>,
    /// A failure found outside the run loop (a dropped handle holding a panic), reported at
    /// the next scheduling point.
    pub(super) failure: Option<SimError>,
    pub(super) events: Vec<Event>,
    /// One hash per event, in order, when `hash_events` is on.
    pub(super) event_hashes: Vec<u64>,
    pub(super) callbacks: Callbacks,
    /// Scratch buffer for the wakers of timers firing together, kept to avoid allocating.
    pub(super) due: Vec<TimerWake>,
    /// Task groups (nodes), once the run makes one.
    pub(super) groups: Option<Box<Groups>>,
}

impl State {
    pub(super) fn at(&self) -> RunPoint {
        RunPoint {
            seed: self.config.seed,
            step: self.steps,
            time: self.now.since_start(),
        }
    }

    /// Whether events are logged or hashed (so an event must be built at all).
    #[inline(always)]
    pub(super) fn recording(&self) -> bool {
        self.config.record_events || self.config.hash_events
    }

    #[inline(always)]
    pub(super) fn record(&mut self, kind: EventKind) {
        if self.recording() {
            self.keep(kind);
        }
    }

    pub(super) fn keep(&mut self, kind: EventKind) {
        let event = Event {
            step: self.steps,
            time: self.now.since_start(),
            kind,
        };
        if self.config.hash_events {
            let mut hasher = std::hash::DefaultHasher::new();
            std::hash::Hash::hash(&event, &mut hasher);
            self.event_hashes.push(std::hash::Hasher::finish(&hasher));
        }
        if self.config.record_events {
            self.events.push(event);
        }
    }

    /// Records a decision. With tracing on (for exhaustive exploration), also its kind, its
    /// number of options, and which option would have kept the last task running.
    #[inline]
    pub(super) fn decide(&mut self, kind: DecisionKind, decision: usize, options: usize) -> usize {
        self.schedule.push(decision as u32);
        if self.trace.is_some() {
            self.trace_decision(kind, decision, options);
        }
        decision
    }

    /// Exhaustive exploration's full record of one decision.
    #[cold]
    pub(super) fn trace_decision(&mut self, kind: DecisionKind, decision: usize, options: usize) {
        if let Some(trace) = &mut self.trace {
            let runnable = self.tasks.runnable();
            let (stay, task) = match kind {
                DecisionKind::Task => (
                    self.last_polled
                        .and_then(|last| runnable.position(last.id))
                        .map(|i| i as u32),
                    Some(runnable.get(decision).id),
                ),
                _ => (None, None),
            };
            trace.push(DecisionPoint {
                kind,
                chosen: decision as u32,
                options: options as u32,
                stay,
                task,
            });
        }
    }

    pub(super) fn replay_error(&self, error: ReplayError) -> SimError {
        SimError::Replay(ReplayMismatch {
            at: self.at(),
            error,
        })
    }

    pub(super) fn panicked(&self, key: usize, message: String, reason: PanicReason) -> SimError {
        SimError::Panicked(Panicked {
            at: self.at(),
            task: self.tasks.info(key),
            message,
            reason,
        })
    }

    /// A panic nobody can observe any more (of the task that was in slot `key`): fails the
    /// run, or is noted for debug mode.
    pub(super) fn unobserved(&mut self, key: usize, message: String, reason: PanicReason) {
        match self.config.unobserved_panic {
            UnobservedPanic::FailRun => {
                if self.failure.is_none() {
                    self.failure = Some(self.panicked(key, message, reason));
                }
            }
            UnobservedPanic::Ignore => {
                if self.config.debug.is_some() {
                    let task = self.tasks.info(key);
                    self.debug.ignored_panics.push((task, message));
                }
            }
        }
    }
}
