//! `SIM_JOBS` scaling: the same seeds run on one thread and on two.
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

fn main() {
    const SEEDS: u64 = 20_000;
    const ROUNDS: usize = 7;
    // Interleaved, like the peers harness: each round times one job count, then the other,
    // so a slow spell of the machine reaches both.
    let mut times: [Vec<f64>; 2] = [Vec::new(), Vec::new()];
    for round in 0..ROUNDS {
        for k in 0..2 {
            let jobs = (round + k) % 2 + 1;
            let started = Instant::now();
            Check::new().name("jobs").seeds(SEEDS).jobs(jobs).run(test);
            times[jobs - 1].push(started.elapsed().as_secs_f64());
        }
    }
    for t in &mut times {
        t.sort_by(f64::total_cmp);
    }
    for (i, t) in times.iter().enumerate() {
        println!(
            "SIM_JOBS={}: {SEEDS} seeds in {:.3} s (median of {ROUNDS}; best {:.3} s)",
            i + 1,
            t[ROUNDS / 2],
            t[0]
        );
    }
    println!(
        "speedup with 2 jobs: {:.2}x (medians), {:.2}x (best runs)",
        times[0][ROUNDS / 2] / times[1][ROUNDS / 2],
        times[0][0] / times[1][0]
    );
}
