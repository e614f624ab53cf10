//! The clock and the timer driver: arming, re-pointing and disarming timers, and an explicit
//! clock advance. The timer queue itself is in `timer_queue`.

use std::task::Waker;
use std::time::Duration;

use super::timer_queue::{TimerKey, TimerWake};
use crate::record::Instant;

use super::Core;

impl Core {
    /// Moves the clock forward by `d` (a task's explicit `advance`).
    pub(crate) fn advance(&self, d: Duration) {
        let mut st = self.state.borrow_mut();
        st.now = st.now.saturating_add(d);
        self.clock.set(st.now);
        self.publish_time(st.now.as_nanos());
        drop(st);
        tracing::debug!(target: "sim", to = ?self.clock.get().since_start(), "clock advanced");
    }

    /// Whom a timer armed with `waker` wakes: the task being polled, if `waker` is its own
    /// (no clone made), or a clone of `waker`.
    fn timer_wake(&self, waker: &Waker) -> TimerWake {
        let (data, ready) = self.polling.get();
        if std::ptr::addr_eq(waker.data(), data) {
            TimerWake::Task(ready)
        } else {
            TimerWake::Waker(waker.clone())
        }
    }

    pub(crate) fn arm_timer(&self, deadline: Instant, waker: &Waker) -> TimerKey {
        let wake = self.timer_wake(waker);
        self.state
            .borrow_mut()
            .timers
            .insert(deadline.as_nanos(), wake)
    }

    /// Points an armed timer at `waker`; `false` if it is no longer armed.
    pub(crate) fn rearm_timer(&self, timer: TimerKey, waker: &Waker) -> bool {
        let wake = self.timer_wake(waker);
        match self.state.borrow().timers.wakes(timer, &wake) {
            None => return false,
            Some(true) => return true,
            Some(false) => {}
        }
        let old = self.state.borrow_mut().timers.replace_wake(timer, wake);
        drop(old);
        true
    }

    pub(crate) fn disarm_timer(&self, timer: TimerKey) {
        let wake = self.state.borrow_mut().timers.remove(timer);
        drop(wake);
    }
}
