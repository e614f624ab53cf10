//! The chaos gate: where a ready operation may yield once (see `Builder::chaos`).

use std::task::Context;

use crate::engine::context;

/// Put in each operation future; consulted once, on the path where the operation is ready at
/// its first poll.
#[derive(Debug, Default)]
pub(crate) struct ChaosGate {
    consulted: bool,
}

impl ChaosGate {
    /// `true` if the operation must yield now: the task has been woken and will poll again,
    /// when it must re-check whether the operation is still ready.
    pub(crate) fn hold(&mut self, cx: &mut Context<'_>) -> bool {
        if self.consulted {
            return false;
        }
        self.consulted = true;
        if context::try_core().is_some_and(|core| core.chaos_yield()) {
            cx.waker().wake_by_ref();
            return true;
        }
        false
    }
}
