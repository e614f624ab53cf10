//! Liveness: after the faults of a run stop, does the system recover? [`quiet`] waits for the
//! end of the fault window; [`eventually`] checks that a condition comes to hold within a
//! virtual deadline, and reports the faults that came before when it does not.

use std::future::poll_fn;
use std::task::Poll;
use std::time::Duration;

use super::fabric::Net;
use crate::engine::context;

/// Waits until the fault profile's timed faults are over (at once if none are running): every
/// partition repaired, every hold released, every crashed node restarted.
///
/// # Panics
///
/// Outside a running simulation.
///
/// ```
/// sim::Runtime::new(0).block_on(async {
///     sim::net::quiet().await; // no profile set: already quiet
/// }).unwrap();
/// ```
pub async fn quiet() {
    let net = context::with_core("sim::net::quiet", |core| Net::of(core));
    poll_fn(|cx| {
        let mut f = net.0.borrow_mut();
        if !f.faults_running {
            return Poll::Ready(());
        }
        f.quiet_waiters.push(cx.waker().clone());
        Poll::Pending
    })
    .await;
}

/// The timed faults injected so far in this run, one line each (`"1.2s: partition a <-> b for
/// 800ms"`).
///
/// # Panics
///
/// Outside a running simulation.
///
/// ```
/// sim::Runtime::new(0).block_on(async {
///     assert!(sim::net::fault_log().is_empty());
/// }).unwrap();
/// ```
pub fn fault_log() -> Vec<String> {
    context::with_core("sim::net::fault_log", |core| {
        Net::of(core).0.borrow().fault_log.clone()
    })
}

/// Waits until `condition` holds, checking it every 10 ms of virtual time, for at most
/// `within`.
///
/// # Panics
///
/// If `condition` does not hold within `within`, with `what` and the timed faults of the run
/// in the message (a failure of the test, with its seed and replay). Outside a running
/// simulation.
///
/// ```
/// use std::cell::Cell;
/// use std::rc::Rc;
/// use sim::time::{sleep, Duration};
///
/// sim::Runtime::new(0).block_on(async {
///     let done = Rc::new(Cell::new(false));
///     let d = Rc::clone(&done);
///     sim::spawn(async move { sleep(Duration::from_secs(2)).await; d.set(true) });
///     sim::net::eventually("the job finished", Duration::from_secs(5), || done.get()).await;
/// }).unwrap();
/// ```
pub async fn eventually(what: &str, within: Duration, mut condition: impl FnMut() -> bool) {
    let started = crate::time::Instant::now();
    loop {
        if condition() {
            return;
        }
        if crate::time::Instant::now() - started >= within {
            let faults = fault_log();
            let faults = if faults.is_empty() {
                "no timed faults".to_string()
            } else {
                format!("after the faults: {}", faults.join("; "))
            };
            panic!("sim::net::eventually: {what} did not hold within {within:?} ({faults})");
        }
        crate::time::sleep(Duration::from_millis(10)).await;
    }
}
