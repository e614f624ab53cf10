//! The clock and the timer driver: arming, re-pointing and disarming timers, and an explicit
//! clock advance. The timer queue itself is in `timer_queue`.

use std::task::Waker;
use std::time::Duration;

use super::timer_queue::TimerKey;
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

    pub(crate) fn arm_timer(&self, deadline: Instant, waker: &Waker) -> TimerKey {
        let waker = waker.clone();
        self.state
            .borrow_mut()
            .timers
            .insert(deadline.as_nanos(), waker)
    }

    /// Points an armed timer at `waker`; `false` if it is no longer armed.
    pub(crate) fn rearm_timer(&self, timer: TimerKey, waker: &Waker) -> bool {
        match self.state.borrow().timers.wakes(timer, waker) {
            None => return false,
            Some(true) => return true,
            Some(false) => {}
        }
        let waker = waker.clone();
        let old = self.state.borrow_mut().timers.replace_waker(timer, waker);
        drop(old);
        true
    }

    pub(crate) fn disarm_timer(&self, timer: TimerKey) {
        let waker = self.state.borrow_mut().timers.remove(timer);
        drop(waker);
    }
}
