//! Seeing a run as it happens: `tracing` events with virtual timestamps.
//!
//! The runtime emits [`tracing`] events under the target `sim`: `spawn` (with the task's id,
//! name and parent), `abort requested`, `finished` (with the outcome), `panicked` (with the
//! message) and `clock advanced` at DEBUG; `poll`, `woken`, `timers fired` and the clock's jumps
//! to the next timer at TRACE. When a subscriber enables the `sim` target at DEBUG, every poll
//! of a task runs inside a `task` span carrying its id and name, so the program's own `tracing`
//! events inside a task appear inside that span (otherwise no span is made, to keep the step
//! cheap).
//!
//! [`VirtualTime`] is a `tracing-subscriber` timer that stamps each line with the current
//! run's virtual time; [`init`] installs a ready-made subscriber that uses it, as
//! `SIM_TRACE=1` does for `Builder::from_env` and `Check::from_env`. Tracing reads the run;
//! it never changes a decision, so a traced run follows the same schedule as an untraced one.

use std::fmt;

use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::time::FormatTime;

use crate::engine::context;

/// A `tracing-subscriber` timer printing the current run's virtual time (`t=1.5s`), or
/// `t=-` outside a run.
///
/// # Examples
///
/// ```
/// use sim::trace::VirtualTime;
///
/// let subscriber = tracing_subscriber::fmt()
///     .with_timer(VirtualTime)
///     .with_ansi(false)
///     .with_max_level(tracing::Level::DEBUG)
///     .finish();
/// tracing::subscriber::with_default(subscriber, || {
///     sim::Runtime::new(1).block_on(async {
///         sim::time::sleep(sim::time::Duration::from_secs(2)).await;
///         tracing::info!("woke up"); // printed as `t=2s  INFO task{id=#0 name="main"}: ... woke up`
///     }).unwrap();
/// });
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct VirtualTime;

impl FormatTime for VirtualTime {
    fn format_time(&self, w: &mut Writer<'_>) -> fmt::Result {
        match context::try_core() {
            Some(core) => write!(w, "t={:?}", core.now().since_start()),
            None => write!(w, "t=-"),
        }
    }
}

/// Installs a global subscriber that prints events at `level` and above to stderr with
/// virtual timestamps (`SIM_TRACE=1` uses DEBUG, `SIM_TRACE=trace` TRACE). Does nothing if a
/// global subscriber is already set.
///
/// ```
/// sim::trace::init(tracing::Level::DEBUG);
/// sim::Runtime::new(0).block_on(async { sim::spawn(async {}).await.unwrap() }).unwrap();
/// ```
pub fn init(level: tracing::Level) {
    let _ = tracing_subscriber::fmt()
        .with_timer(VirtualTime)
        .with_max_level(level)
        .with_writer(std::io::stderr)
        .try_init();
}
