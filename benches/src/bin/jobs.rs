//! `SIM_JOBS` scaling: the same seeds run on one thread and on two.
//!
//! Two ways, interleaved round by round so a slow spell of the machine reaches all four:
//! - `Check` with `jobs(1)` and `jobs(2)`: what a user gets;
//! - the machine's ceiling: the same seeds as bare runtimes (`Builder` + `block_on`, no
//!   checker), split over two plain threads that share nothing. Whatever keeps this ratio
//!   under 2x (other tenants of the host, frequency, the memory system) is not in `Check`.
//!
//! Run: `cargo run --release -p sim-bench --bin jobs`

use std::time::Instant;

use sim::check::Check;

/// A small test with some work per seed: 20 tasks, each yielding 20 times.
async fn test() {
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            sim::spawn(async {
                for _ in 0..20 {
                    sim::task::yield_now().await;
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
}

const SEEDS: u64 = 20_000;
const ROUNDS: usize = 15;

/// `Check` over `SEEDS` seeds with `jobs` threads.
fn check(jobs: usize) {
    Check::new().name("jobs").seeds(SEEDS).jobs(jobs).run(test);
}

/// The same number of seeds as bare runtimes, split evenly over `threads` plain threads.
fn bare(threads: usize) {
    let per_thread = SEEDS / threads as u64;
    std::thread::scope(|scope| {
        for t in 0..threads as u64 {
            scope.spawn(move || {
                for seed in t * per_thread..(t + 1) * per_thread {
                    let mut rt = sim::Builder::new().seed(seed).build();
                    rt.block_on(test()).expect("the test passes");
                }
            });
        }
    });
}

/// Median and best of a sample, in seconds.
fn summary(mut t: Vec<f64>) -> (f64, f64) {
    t.sort_by(f64::total_cmp);
    (t[t.len() / 2], t[0])
}

fn main() {
    type Run = (&'static str, fn(usize));
    let runs: [Run; 2] = [("Check", check), ("bare runtimes", bare)];
    // times[run][jobs - 1]
    let mut times: [[Vec<f64>; 2]; 2] = Default::default();
    for round in 0..ROUNDS {
        for k in 0..4 {
            // Rotate the order each round: (run, jobs) pairs in a shifting sequence.
            let slot = (round + k) % 4;
            let (run, jobs) = (slot / 2, slot % 2 + 1);
            let started = Instant::now();
            (runs[run].1)(jobs);
            times[run][jobs - 1].push(started.elapsed().as_secs_f64());
        }
    }
    let mut ratios = [(0.0, 0.0); 2];
    for (run, (name, _)) in runs.iter().enumerate() {
        let (one, one_best) = summary(times[run][0].clone());
        let (two, two_best) = summary(times[run][1].clone());
        println!(
            "{name}: {SEEDS} seeds in {one:.3} s on one thread, {two:.3} s on two \
             (medians of {ROUNDS}; best {one_best:.3} s and {two_best:.3} s)"
        );
        ratios[run] = (one / two, one_best / two_best);
    }
    let ([check_median, check_best], [bare_median, bare_best]) =
        ([ratios[0].0, ratios[0].1], [ratios[1].0, ratios[1].1]);
    println!(
        "speedup with 2 jobs: {check_median:.2}x (medians), {check_best:.2}x (best runs); \
         the machine's ceiling (bare runtimes on two threads): {bare_median:.2}x (medians), \
         {bare_best:.2}x (best runs)"
    );
}
