//! Choices made on behalf of program code rather than the run loop: chaos yields, `select!`
//! branch order, draws from the user stream, and cancellation injection points.

use std::panic::Location;

use crate::record::DecisionKind;

use super::Core;

impl Core {
    /// A `timeout`'s inner future just returned `Pending`: whether injection cancels it here.
    pub(crate) fn injection_point(&self, site: &'static Location<'static>) -> bool {
        let mut st = self.state.borrow_mut();
        let Some(target) = st.config.inject_at else {
            return false;
        };
        st.injection.seen += 1;
        if st.injection.seen == target {
            st.injection.fired = Some(site);
            return true;
        }
        false
    }

    /// The next raw value of the run's user stream.
    pub(crate) fn next_user_u64(&self) -> u64 {
        self.state.borrow_mut().user_rng.next_u64()
    }

    /// Chaos mode: whether a ready operation should yield once anyway. The answer is a
    /// recorded decision, so replay reproduces it.
    pub(crate) fn chaos_yield(&self) -> bool {
        if !self.state.borrow().config.chaos {
            return false;
        }
        self.choose(DecisionKind::Chaos, 2) == 1
    }

    /// A recorded choice among `options` made on behalf of program code (chaos, select!).
    /// A replay mismatch ends the run at its next scheduling point; meanwhile 0 is returned.
    pub(crate) fn choose(&self, kind: DecisionKind, options: usize) -> usize {
        if options < 2 {
            return 0;
        }
        let mut st = self.state.borrow_mut();
        match st.scheduler.pick(kind, options) {
            Ok(pick) => st.decide(kind, pick, options),
            Err(e) => {
                if st.failure.is_none() {
                    st.failure = Some(st.replay_error(e));
                }
                0
            }
        }
    }

    /// A recorded choice among `options` whose option 0 is the usual outcome and the others
    /// together have probability `rare` under a strategy that draws at random (network faults:
    /// shrinking pulls them back to 0). No decision is made when `rare` is 0.
    pub(crate) fn choose_rare(&self, kind: DecisionKind, options: usize, rare: f64) -> usize {
        if options < 2 || rare <= 0.0 {
            return 0;
        }
        let mut st = self.state.borrow_mut();
        match st.scheduler.pick_rare(kind, options, rare.min(1.0)) {
            Ok(pick) => st.decide(kind, pick, options),
            Err(e) => {
                if st.failure.is_none() {
                    st.failure = Some(st.replay_error(e));
                }
                0
            }
        }
    }
}
