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
    let mut times = Vec::new();
    for jobs in [1, 2] {
        let mut best = f64::MAX;
        for _ in 0..3 {
            let started = Instant::now();
            Check::new().name("jobs").seeds(SEEDS).jobs(jobs).run(test);
            best = best.min(started.elapsed().as_secs_f64());
        }
        println!("SIM_JOBS={jobs}: {SEEDS} seeds in {best:.3} s (best of 3)");
        times.push(best);
    }
    println!("speedup with 2 jobs: {:.2}x", times[0] / times[1]);
}
