//! The nine asyncio scenarios of `docs/asyncio.md`, run under `sim` with virtual time.
//!
//! Each scenario runs in a fresh [`sim::Runtime`] (scenarios 2 and 8 use several) and prints
//! lines stamped with the virtual clock, `[t=1s] ...`, read from [`sim::time::elapsed`]. Every
//! stamp is also asserted, so the example fails if the behaviour drifts.
//!
//! 1. shield + wait_for: a shielded 2 s task outlives a 1 s timeout and still returns 2.
//! 2. sequential vs concurrent sleeps: 4 s in turn; 2 s as tasks, with `wait`, with `gather`.
//! 3. downloads: seeded latencies run as tasks take as long as the longest one.
//! 4. gather cancellation: cancelling one gather group while another runs; a child cancelled
//!    through its handle, as seen by `gather_settled`.
//! 5. as_completed: results in completion order.
//! 6. done callbacks: two `on_done` callbacks run in registration order after the task ends.
//! 7. run_in_executor: ten blocking 1 s jobs on a pool of 2 finish at t=5s.
//! 8. inside many processes: one entry point, ten inputs, ten runtimes on threads; errors
//!    are collected, not fatal to the batch.
//! 9. rate limit: at most 3 request starts per virtual second, with a semaphore.
//!
//! Run: `cargo run -p sim-core --example asyncio_scenarios`.

use std::cell::{Cell, RefCell};
use std::fmt::Display;
use std::future::Future;
use std::rc::Rc;

use futures::StreamExt;
use sim::rand::RngExt;
use sim::sync::{Event, Semaphore};
use sim::time::{Duration, Instant, elapsed, sleep, sleep_until, timeout};
use sim::{Builder, ReturnWhen, Runtime, SimError};

/// The seed of every scenario's runtime (scenario 8 uses one seed per input instead).
const SEED: u64 = 0x2a;

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

fn millis(ms: u64) -> Duration {
    Duration::from_millis(ms)
}

/// Prints `what` stamped with the virtual time, after asserting that the time is `expected`.
#[track_caller]
fn at(expected: Duration, what: impl Display) {
    let now = elapsed();
    assert_eq!(now, expected, "virtual time of \"{what}\"");
    println!("  [t={now:?}] {what}");
}

/// Runs `future` to completion in a fresh runtime seeded with [`SEED`].
fn run<T>(future: impl Future<Output = T>) -> T {
    run_on(Runtime::new(SEED), future)
}

/// Runs `future` to completion in `rt`.
fn run_on<T>(mut rt: Runtime, future: impl Future<Output = T>) -> T {
    rt.block_on(future)
        .unwrap_or_else(|err| panic!("the scenario's run failed: {err}"))
}

fn main() {
    let scenarios: [(&str, fn()); 9] = [
        ("1. shield + wait_for", shield_and_wait_for),
        (
            "2. sequential vs concurrent sleeps",
            sequential_vs_concurrent,
        ),
        ("3. downloads", downloads),
        ("4. gather cancellation", gather_cancellation),
        ("5. as_completed", as_completed),
        ("6. done callbacks", done_callbacks),
        ("7. run_in_executor", run_in_executor),
        ("8. inside many processes", many_processes),
        ("9. rate limit", rate_limit),
    ];
    for (title, scenario) in scenarios {
        println!("== {title} ==");
        scenario();
    }
    println!("all nine scenarios ran with the expected virtual timestamps");
}

/// asyncio: `await wait_for(shield(task), 1)` times out, but the task keeps running.
///
/// In `sim` the shielded handle is timed out by reference, `timeout(d, &mut handle)`: the
/// timeout drops only the borrow. (`sim::wait_for(d, handle)` would cancel the task: it owns
/// the handle and aborts it on expiry, shielded or not.)
fn shield_and_wait_for() {
    run(async {
        let mut task = sim::shield(async {
            at(secs(0), "start sleep 2");
            sleep(secs(2)).await;
            at(secs(2), "end sleep");
            2
        });
        let waited = timeout(secs(1), &mut task).await;
        assert!(waited.is_err());
        at(secs(1), "timeout");
        // A cancelled task would have finished; this one is still sleeping.
        let cancelled = task.is_finished();
        assert!(!cancelled);
        at(secs(1), format!("cancelled: {cancelled}"));
        let value = task.await.expect("the shielded task was not cancelled");
        assert_eq!(value, 2);
        at(secs(2), format!("return value {value}"));
    });
}

/// Two 2 s sleeps: 4 s awaited in turn, 2 s when they run concurrently.
fn sequential_vs_concurrent() {
    println!("  -- each variant in a runtime of its own, so each starts at t=0");
    run(async {
        sleep(secs(2)).await;
        sleep(secs(2)).await;
        at(secs(4), "two sleep(2s) awaited in turn: done");
    });
    run(async {
        let a = sim::spawn(sleep(secs(2)));
        let b = sim::spawn(sleep(secs(2)));
        a.await.unwrap();
        b.await.unwrap();
        at(secs(2), "two sleep(2s) as tasks: done");
    });
    run(async {
        let tasks = [sim::spawn(sleep(secs(2))), sim::spawn(sleep(secs(2)))];
        let (done, pending) = sim::wait(tasks, ReturnWhen::AllCompleted).await;
        assert_eq!((done.len(), pending.len()), (2, 0));
        at(
            secs(2),
            "sim::wait over two spawned sleeps: 2 done, 0 pending",
        );
    });
    run(async {
        // `sim::wait` takes JoinHandles; bare futures go to `sim::gather`, which spawns them.
        sim::gather([sleep(secs(2)), sleep(secs(2))]).await.unwrap();
        at(secs(2), "sim::gather over two bare sleep futures: done");
    });
}

/// Five downloads with seeded latencies, run as tasks: the total is the longest, not the sum.
fn downloads() {
    const N: usize = 5;
    run(async {
        let mut rng = sim::rand::rng();
        let latencies: Vec<Duration> = (0..N)
            .map(|_| millis(rng.random_range(100..1000)))
            .collect();
        println!("  latencies from the seed: {latencies:?}");
        let tasks: Vec<_> = latencies
            .iter()
            .enumerate()
            .map(|(i, &latency)| {
                sim::spawn(async move {
                    sleep(latency).await; // the simulated transfer
                    at(latency, format!("download {i} done"));
                    latency
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
        let longest = latencies.iter().max().copied().unwrap();
        let sum: Duration = latencies.iter().sum();
        assert!(longest < sum);
        at(
            longest,
            format!("all {N} done: total = the longest ({longest:?}), not the sum ({sum:?})"),
        );
    });
}

/// Logs, when dropped before `done` is set, that its future was cancelled.
///
/// Rust cancels a future by dropping it, so a destructor is where a cancelled task's (non-async)
/// cleanup runs.
struct CancelLog {
    name: String,
    done: bool,
    cancelled: Rc<Cell<u32>>,
}

impl Drop for CancelLog {
    fn drop(&mut self) {
        if !self.done {
            self.cancelled.set(self.cancelled.get() + 1);
            at(
                millis(1500),
                format!("{}: future dropped unfinished (cancelled)", self.name),
            );
        }
    }
}

/// Cancelling one gather group while another runs, then `gather_settled` with a child that
/// was cancelled through its own handle.
fn gather_cancellation() {
    println!("  -- two gather groups; group a is cancelled at t=1.5s");
    run(async {
        let cancelled = Rc::new(Cell::new(0));
        let children = |group: &'static str, cancelled: &Rc<Cell<u32>>| {
            [1, 2, 3].map(|s| {
                let mut log = CancelLog {
                    name: format!("{group}{s}"),
                    done: false,
                    cancelled: Rc::clone(cancelled),
                };
                async move {
                    sleep(secs(s)).await;
                    log.done = true;
                    at(secs(s), format!("{} finished", log.name));
                    s
                }
            })
        };
        // Group a is gathered inside a task, so it can be cancelled as a whole; group b's
        // children are spawned by `gather` right away and run while it waits to be awaited.
        let group_a = sim::spawn(sim::gather(children("a", &cancelled)));
        let group_b = sim::gather(children("b", &cancelled));
        sleep(millis(1500)).await;
        at(millis(1500), "cancel group a (a1 has already finished)");
        // Cancelling the task drops its `Gather`, which aborts the children still running.
        let err = group_a.cancel().await.unwrap_err();
        assert!(err.is_cancelled());
        at(
            millis(1500),
            format!("group a: {err:?}, is_cancelled() = {}", err.is_cancelled()),
        );
        let b = group_b.await.unwrap();
        assert_eq!(b, [1, 2, 3]);
        at(secs(3), format!("group b, not cancelled: {b:?}"));
        assert_eq!(cancelled.get(), 2, "a2 and a3 were cancelled");
    });

    // asyncio: `t2.cancel(); await gather(t1, t2, t3, return_exceptions=True)`.
    println!("  -- gather_settled over three tasks, one aborted through its handle (new runtime)");
    run(async {
        let children: Vec<_> = [1, 2, 3]
            .map(|s| {
                sim::spawn(async move {
                    sleep(secs(s)).await;
                    s
                })
            })
            .into();
        sleep(millis(500)).await;
        children[1].abort();
        at(millis(500), "abort child 2 through its JoinHandle");
        // A JoinHandle is a future, so `gather_settled` takes the handles; it awaits each one
        // in a task of its own, so each slot is that task's result, holding the child's.
        let slots = sim::gather_settled(children).await;
        let results: Vec<_> = slots
            .into_iter()
            .map(|slot| slot.expect("the task awaiting a child was not cancelled"))
            .collect();
        assert!(matches!(results[0], Ok(1)));
        assert!(results[1].as_ref().unwrap_err().is_cancelled());
        assert!(matches!(results[2], Ok(3)));
        for (i, result) in results.iter().enumerate() {
            let note = match result {
                Err(e) => format!(" (is_cancelled() = {})", e.is_cancelled()),
                Ok(_) => String::new(),
            };
            at(
                secs(3),
                format!("gather_settled child {}: {result:?}{note}", i + 1),
            );
        }
    });
}

/// `as_completed`: each result as its task finishes, not in input order.
fn as_completed() {
    run(async {
        let tasks = [3, 1, 2].map(|s| {
            sim::spawn(async move {
                sleep(secs(s)).await;
                s
            })
        });
        let mut results = sim::as_completed(tasks);
        let mut order = Vec::new();
        while let Some(result) = results.next().await {
            let s = result.unwrap();
            at(secs(s), format!("task that slept {s}s completed"));
            order.push(s);
        }
        assert_eq!(order, [1, 2, 3]);
    });
}

/// Two done callbacks on one task run, in registration order, after it has finished.
fn done_callbacks() {
    run(async {
        let finished = Rc::new(Cell::new(false));
        let ran = Rc::new(RefCell::new(Vec::new()));
        let both_ran = Rc::new(Event::new());
        let task = {
            let finished = Rc::clone(&finished);
            sim::spawn(async move {
                sleep(secs(1)).await;
                finished.set(true);
                at(secs(1), "task returns 42");
                42
            })
        };
        for name in ["first", "second"] {
            let (finished, ran, both_ran) =
                (Rc::clone(&finished), Rc::clone(&ran), Rc::clone(&both_ran));
            task.on_done(move |done| {
                assert!(finished.get(), "a callback ran before its task finished");
                at(
                    secs(1),
                    format!("callback {name}: task {} {:?}", done.id, done.outcome),
                );
                ran.borrow_mut().push(name);
                if ran.borrow().len() == 2 {
                    both_ran.set();
                }
            });
        }
        at(secs(0), "registered callbacks \"first\" and \"second\"");
        let value = task.await.unwrap();
        at(secs(1), format!("awaited the task: {value}"));
        both_ran.wait().await;
        assert_eq!(*ran.borrow(), ["first", "second"]);
        at(secs(1), "both callbacks ran, in registration order");
    });
}

/// Ten blocking 1 s jobs on a pool of two workers: two at a time, done at t=5s.
fn run_in_executor() {
    let rt = Builder::new().seed(SEED).blocking_threads(2).build();
    run_on(rt, async {
        let started = Rc::new(Cell::new(0u64));
        let jobs: Vec<_> = (0..10)
            .map(|i| {
                let started = Rc::clone(&started);
                sim::task::spawn_blocking(secs(1), move || {
                    // The k-th job to get a worker starts at floor(k / 2) seconds.
                    let k = started.get();
                    started.set(k + 1);
                    at(secs(k / 2), format!("job {i} starts"));
                    i
                })
            })
            .collect();
        for (i, job) in jobs.into_iter().enumerate() {
            assert_eq!(job.await.unwrap(), i);
        }
        at(secs(5), "all ten jobs done");
    });
}

/// The async entry point of scenario 8: takes `input` × 100 ms; input 3 fails with an error,
/// input 7 panics (a crash of its "process").
async fn process(input: u64) -> Result<u64, String> {
    sleep(millis(100 * input)).await;
    match input {
        3 => Err(format!("input {input} is malformed")),
        7 => panic!("input {input} crashed the worker"),
        _ => Ok(input * input),
    }
}

/// Ten inputs, each in its own runtime (seed = input) on its own thread; every outcome is
/// collected, so a failing input does not abort the batch.
fn many_processes() {
    // A crash is collected below; keep the default hook's report of it out of the output.
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let outcomes: Vec<(u64, Duration, Result<u64, String>)> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..10)
            .map(|input| {
                scope.spawn(move || {
                    let mut rt = Builder::new().seed(input).build();
                    let result = match rt.block_on(process(input)) {
                        Ok(result) => result,
                        Err(SimError::Panicked(p)) => Err(format!("crashed: {}", p.message)),
                        Err(other) => Err(other.to_string()),
                    };
                    (input, rt.elapsed(), result)
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|w| w.join().expect("a runtime's thread died"))
            .collect()
    });
    std::panic::set_hook(hook);

    let mut errors = Vec::new();
    for (input, took, result) in outcomes {
        assert_eq!(took, millis(100 * input));
        match result {
            Ok(value) => println!("  [t={took:?}] input {input}: ok {value}"),
            Err(error) => {
                println!("  [t={took:?}] input {input}: error: {error}");
                errors.push((input, error));
            }
        }
    }
    let failed: Vec<u64> = errors.iter().map(|(input, _)| *input).collect();
    assert_eq!(failed, [3, 7]);
    println!("  collected {} errors: {errors:?}", errors.len());
}

/// At most three request starts per virtual second: each start takes a semaphore permit that
/// a helper task hands back one second later.
fn rate_limit() {
    const LIMIT: usize = 3;
    const REQUESTS: usize = 10;
    run(async {
        let permits = Rc::new(Semaphore::new(LIMIT));
        let starts = Rc::new(RefCell::new(Vec::new()));
        let requests: Vec<_> = (0..REQUESTS)
            .map(|i| {
                let (permits, starts) = (Rc::clone(&permits), Rc::clone(&starts));
                sim::spawn(async move {
                    let permit = permits.acquire_owned().await;
                    let release_at = Instant::now() + secs(1);
                    drop(sim::spawn(async move {
                        sleep_until(release_at).await;
                        drop(permit);
                    }));
                    // The k-th request to start starts at floor(k / LIMIT) seconds.
                    let k = starts.borrow().len();
                    at(secs((k / LIMIT) as u64), format!("request {i} starts"));
                    starts.borrow_mut().push(elapsed());
                    sleep(millis(200)).await; // the request itself
                })
            })
            .collect();
        for request in requests {
            request.await.unwrap();
        }
        let starts = starts.take();
        assert_eq!(starts.len(), REQUESTS);
        for &t in &starts {
            let in_window = starts
                .iter()
                .filter(|&&s| t <= s && s < t + secs(1))
                .count();
            assert!(
                in_window <= LIMIT,
                "{in_window} starts in [{t:?}, {t:?} + 1s)"
            );
        }
        at(
            millis(3200),
            format!("all {REQUESTS} requests done; no 1 s window holds more than {LIMIT} starts"),
        );
    });
}
