//! The run loop's one question, "what next?": collect wakes, fire due timers (ties in a
//! seed-decided order), pick a runnable task, or move the clock; otherwise the run is stuck.
//!
//! Invariant: a step is one poll (or one cancellation) of one task; the limits on steps and on
//! virtual time are checked here, before the step is taken.

use std::time::Duration;

use crate::error::{NonDeterminism, NonDeterminismKind, SimError, StepLimit, TimeLimit};
use crate::executor::LocalWakes;
use crate::executor::Phase;
use crate::executor::Ready;
use crate::record::Instant;
use crate::record::{DecisionKind, EventKind};

use super::Core;
use super::state::State;

/// The next thing the run loop must do.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Step {
    /// Poll this task (which may be the `block_on` future).
    Poll(Ready),
    /// Drop this aborted task's future.
    Cancel(Ready),
}

impl Core {
    /// Decides what the run loop does next: fires due timers, moves the clock, and picks a
    /// runnable task, until there is a task to poll or cancel, or the run must stop.
    pub(crate) fn next_step(&self) -> Result<Step, SimError> {
        loop {
            let mut guard = self.collect_wakes(self.state.borrow_mut())?;
            let st = &mut *guard;
            if let Some(failure) = st.failure.take() {
                return Err(failure);
            }
            if st.groups.is_some()
                && let Some(step) = st.next_kill()
            {
                return Ok(step);
            }
            if let Some(max) = st.config.max_time
                && st.now.since_start() > max
            {
                let next_time = st.now.since_start();
                let mut at = st.at();
                at.time = max;
                return Err(SimError::TimeLimit(TimeLimit {
                    at,
                    max_time: max,
                    next_time,
                }));
            }
            if let Some(deadline) = st.timers.due(st.now.as_nanos()) {
                let mut due = std::mem::take(&mut st.due);
                st.timers.pop_due_at(deadline, &mut due);
                st.record(EventKind::TimersFired { count: due.len() });
                tracing::trace!(target: "sim", count = due.len(), "timers fired");
                // Tied timers fire in an order the strategy decides: each decision picks one of
                // the timers not yet ordered, which swaps places with the first of them (the
                // same order as `VecDeque::swap_remove_front` on the rest). In place, so the
                // usual single timer costs no allocation.
                for start in 0..due.len().saturating_sub(1) {
                    let options = due.len() - start;
                    let pick = match st.scheduler.pick(DecisionKind::Timer, options) {
                        Ok(pick) => st.decide(DecisionKind::Timer, pick, options),
                        Err(e) => {
                            let error = st.replay_error(e);
                            drop(guard); // the wakers below must drop with the state released
                            drop(due);
                            return Err(error);
                        }
                    };
                    due.swap(start, start + pick);
                }
                drop(guard);
                for wake in due.drain(..) {
                    wake.wake(&self.inbox);
                }
                self.state.borrow_mut().due = due;
                continue;
            }
            if !st.tasks.runnable().is_empty() {
                let index = match st.tasks.runnable().len() {
                    1 => 0,
                    options => match st
                        .scheduler
                        .pick_task(st.tasks.runnable(), st.last_polled.map(|r| r.id))
                    {
                        Ok(pick) => {
                            st.task_decisions += 1;
                            st.decide(DecisionKind::Task, pick, options)
                        }
                        Err(e) => return Err(st.replay_error(e)),
                    },
                };
                let chosen = st.tasks.runnable().get(index);
                if st.steps >= st.config.max_steps {
                    let next = st.tasks.info(chosen.key);
                    let max_steps = st.config.max_steps;
                    return Err(SimError::StepLimit(StepLimit {
                        at: st.at(),
                        max_steps,
                        next,
                    }));
                }
                st.steps += 1;
                if let Some(last) = st.last_polled
                    && last != chosen
                    && st
                        .tasks
                        .get(last.key, last.id)
                        .is_some_and(|e| e.phase == Phase::Queued)
                {
                    st.preemptions += 1;
                }
                st.last_polled = Some(chosen);
                let (ready, entry) = st.tasks.start(index);
                // The task is current while its future is polled or dropped, so its own code
                // and destructors see their task id.
                let step = if entry.abort_requested {
                    st.record(EventKind::Cancelled { task: ready.id });
                    Step::Cancel(ready)
                } else {
                    st.record(EventKind::Polled { task: ready.id });
                    Step::Poll(ready)
                };
                st.current = Some(ready.id);
                return Ok(step);
            }
            match st.timers.next_deadline() {
                Some(deadline) => {
                    let to = Duration::from_nanos(deadline);
                    if let Some(max) = st.config.max_time
                        && to > max
                    {
                        let at = st.at();
                        return Err(SimError::TimeLimit(TimeLimit {
                            at,
                            max_time: max,
                            next_time: to,
                        }));
                    }
                    st.now = Instant::from_nanos(deadline);
                    self.clock.set(st.now);
                    self.publish_time(deadline);
                    st.record(EventKind::ClockAdvanced { to });
                    tracing::trace!(target: "sim", to = ?to, "clock advanced to the next timer");
                }
                None => {
                    let stuck = st.stuck();
                    drop(guard);
                    return Err(stuck.into_error());
                }
            }
        }
    }

    /// Lets wakes from this thread skip the inbox's lock while the guard lives (`block_on`).
    pub(crate) fn local_wakes(&self) -> LocalWakes {
        self.inbox.activate()
    }

    /// Moves pending wakes from the inbox into the runnable set.
    /// Takes the state's borrow and gives it back (released meanwhile only to emit trace
    /// events, which may reach user code in a subscriber).
    pub(super) fn collect_wakes<'a>(
        &'a self,
        mut st: std::cell::RefMut<'a, State>,
    ) -> Result<std::cell::RefMut<'a, State>, SimError> {
        if tracing::enabled!(target: "sim", tracing::Level::TRACE) {
            st = self.collect_wakes_traced(st);
        } else {
            let state = &mut *st;
            let tasks = &mut state.tasks;
            match state.groups.as_deref_mut().filter(|g| g.any_held()) {
                None => self.inbox.drain_with(|ready| tasks.wake(ready)),
                Some(groups) => self.inbox.drain_with(|ready| {
                    if groups.holds(tasks.group(ready.key)) {
                        groups.park(ready);
                    } else {
                        tasks.wake(ready);
                    }
                }),
            }
        }
        if let Some(foreign) = self.inbox.foreign_wake() {
            let kind = NonDeterminismKind::ForeignWake {
                task: foreign.task,
                thread: foreign.thread,
            };
            return Err(SimError::NonDeterminism(NonDeterminism {
                at: st.at(),
                kind,
            }));
        }
        Ok(st)
    }

    /// [`collect_wakes`](Self::collect_wakes) when `sim`'s trace events are wanted: the same
    /// wakes in the same order, each traced with the state released.
    #[cold]
    pub(super) fn collect_wakes_traced<'a>(
        &'a self,
        mut st: std::cell::RefMut<'a, State>,
    ) -> std::cell::RefMut<'a, State> {
        let mut woken = Vec::new();
        self.inbox.drain_into(&mut woken);
        if !woken.is_empty() {
            drop(st);
            for ready in &woken {
                tracing::trace!(target: "sim", task = %ready.id, "woken");
            }
            st = self.state.borrow_mut();
        }
        let st_ref = &mut *st;
        for ready in woken {
            match st_ref.groups.as_deref_mut() {
                Some(groups) if groups.holds(st_ref.tasks.group(ready.key)) => groups.park(ready),
                _ => st_ref.tasks.wake(ready),
            }
        }
        st
    }
}
