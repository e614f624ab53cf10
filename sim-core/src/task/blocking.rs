//! `spawn_blocking`: blocking work on a simulated thread pool, costing virtual time.

use std::rc::Rc;
use std::time::Duration;

use super::JoinHandle;
use crate::engine::context;
use crate::sync::Semaphore;

/// The run's simulated pool (an extension slot of the run): a semaphore with one permit per
/// worker, made on the first `spawn_blocking`.
struct BlockingPool(Rc<Semaphore>);

/// Runs blocking work `f` on the runtime's simulated pool: asyncio's `run_in_executor` /
/// `to_thread`.
///
/// The pool has [`Builder::blocking_threads`](crate::Builder::blocking_threads) workers
/// (default 1). A job waits for a free worker (FIFO), then `f` runs — on the simulation
/// thread, at the virtual instant the job starts — and the job completes, freeing the worker
/// and resolving the handle with `f`'s result, `cost` of virtual time later. So at most `n`
/// jobs overlap, and ten 1 s jobs on two workers finish at t=5s.
///
/// # Panics
///
/// Outside a running simulation.
///
/// # Examples
///
/// ```
/// use sim::time::Duration;
///
/// sim::Runtime::new(0).block_on(async {
///     let hash = sim::task::spawn_blocking(Duration::from_millis(300), || 6 * 7);
///     assert_eq!(hash.await.unwrap(), 42);
///     assert_eq!(sim::time::elapsed(), Duration::from_millis(300));
/// }).unwrap();
/// ```
#[track_caller]
pub fn spawn_blocking<F, R>(cost: Duration, f: F) -> JoinHandle<R>
where
    F: FnOnce() -> R + 'static,
    R: 'static,
{
    let pool = context::with_core("sim::task::spawn_blocking", |core| {
        let pool = core.local(|core| {
            let threads = core.with_config(|config| config.blocking_threads);
            BlockingPool(Rc::new(Semaphore::new(threads)))
        });
        Rc::clone(&pool.0)
    });
    super::Builder::new().name("blocking").spawn(async move {
        let _worker = pool.acquire_owned().await;
        let output = f();
        crate::time::sleep(cost).await;
        output
    })
}
