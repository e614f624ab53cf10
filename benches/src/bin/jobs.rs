//! `SIM_JOBS` scaling: the same seeds run on one thread and on two.
//!
//! Two ways, interleaved round by round so a slow spell of the machine reaches all four:
//! - `Check` with `jobs(1)` and `jobs(2)`: what a user gets;
//! - a reference: the same seeds as bare runtimes (`Builder` + `block_on`, no checker), split
//!   over two plain threads that share nothing. What keeps this ratio under 2x (other tenants
//!   of the host, frequency, the memory system) is not `Check`'s doing.
//!
//! A shared machine's speed drifts over seconds, so each round's two job counts are compared
//! with each other, and the figure is the median of those per-round ratios.
//!
//! Run: `cargo run --release -p sim-bench --bin jobs`

use std::time::Instant;

use sim::check::Check;
use sim_bench::harness::median;

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

/// The seeds `check` runs, as bare runtimes, split evenly over `threads` plain threads.
fn bare(threads: usize) {
    let per_thread = SEEDS / threads as u64;
    std::thread::scope(|scope| {
        for t in 0..threads as u64 {
            scope.spawn(move || {
                for position in t * per_thread..(t + 1) * per_thread {
                    let seed = sim::check::seed_for("jobs", position);
                    let mut rt = sim::Builder::new().seed(seed).build();
                    rt.block_on(test()).expect("the test passes");
                }
            });
        }
    });
}

/// Median and best of a sample, in seconds.
fn summary(mut t: Vec<f64>) -> (f64, f64) {
    (median(&mut t), t[0])
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
    let mut paired = [0.0; 2];
    for (run, (name, _)) in runs.iter().enumerate() {
        // The two job counts of one round ran within seconds of each other: their ratio is
        // the steadiest figure on a machine whose speed drifts.
        let mut per_round: Vec<f64> = (0..ROUNDS)
            .map(|r| times[run][0][r] / times[run][1][r])
            .collect();
        paired[run] = median(&mut per_round);
        let (one, one_best) = summary(times[run][0].clone());
        let (two, two_best) = summary(times[run][1].clone());
        println!(
            "{name}: {SEEDS} seeds in {one:.3} s on one thread, {two:.3} s on two \
             (medians of {ROUNDS}; best {one_best:.3} s and {two_best:.3} s); \
             speedup per round {:.2}x to {:.2}x",
            per_round[0],
            per_round[ROUNDS - 1]
        );
    }
    println!(
        "speedup with 2 jobs: {:.2}x (median of the rounds' ratios); reference, bare runtimes \
         on two threads: {:.2}x",
        paired[0], paired[1]
    );
}
