//! The interleaved timing harness: every peer of a workload takes one sample in turn, round
//! after round, so slow drifts of a shared, noisy machine (frequency, neighbours, cache state)
//! reach all peers alike instead of whichever ran last.
//!
//! A sample runs a peer's workload `reps` times back to back; `reps` is calibrated per peer
//! so a sample lasts at least [`Settings::sample`]. The figure kept is the median of the
//! per-item times over the rounds.

use std::hint::black_box;
use std::time::{Duration, Instant};

/// One contender of a workload: a name and a closure that runs the workload once and
/// returns how many items (tasks, messages, timers, runs) it did.
pub struct Peer {
    /// The column this peer's figure goes in.
    pub name: &'static str,
    run: Run,
}

/// How a peer's repetition is timed.
enum Run {
    /// The whole closure call.
    Whole(Box<dyn FnMut() -> u64>),
    /// The closure times its own measured part (setup such as parking a million idle tasks
    /// stays out of the figure) and returns it with its items.
    SelfTimed(Box<dyn FnMut() -> (u64, Duration)>),
}

impl std::fmt::Debug for Peer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Peer").field("name", &self.name).finish()
    }
}

impl Peer {
    /// A peer whose one repetition is `run`.
    pub fn new(name: &'static str, run: impl FnMut() -> u64 + 'static) -> Peer {
        Peer {
            name,
            run: Run::Whole(Box::new(run)),
        }
    }

    /// A peer whose repetition `run` times its own measured part and returns its items and
    /// that duration.
    pub fn self_timed(name: &'static str, run: impl FnMut() -> (u64, Duration) + 'static) -> Peer {
        Peer {
            name,
            run: Run::SelfTimed(Box::new(run)),
        }
    }

    /// Runs the workload once, untimed (for profilers); returns its items.
    pub fn run_once(&mut self) -> u64 {
        self.timed().0
    }

    /// Runs the workload once: its items and the time its measured part took.
    fn timed(&mut self) -> (u64, Duration) {
        self.sample(1)
    }

    /// Runs the workload `reps` times back to back: the items and the time measured. A whole
    /// peer's sample is timed once around all its repetitions, so the clock is not read
    /// between them (two reads cost as much as a fifth of a runtime's creation).
    fn sample(&mut self, reps: u64) -> (u64, Duration) {
        let mut items = 0;
        match &mut self.run {
            Run::Whole(run) => {
                let started = Instant::now();
                for _ in 0..reps {
                    items += black_box(run());
                }
                (items, started.elapsed())
            }
            Run::SelfTimed(run) => {
                let mut spent = Duration::ZERO;
                for _ in 0..reps {
                    let (n, took) = black_box(run());
                    items += n;
                    spent += took;
                }
                (items, spent)
            }
        }
    }
}

/// How long and how often to sample.
#[derive(Debug, Clone, Copy)]
pub struct Settings {
    /// Rounds: samples per peer.
    pub rounds: usize,
    /// The least duration of one sample.
    pub sample: Duration,
}

/// A peer's result: nanoseconds per item.
#[derive(Debug, Clone)]
pub struct Figure {
    /// The peer's name.
    pub name: &'static str,
    /// Median over the rounds.
    pub median_ns: f64,
}

/// Runs `peers` interleaved and returns their figures, in the order given.
pub fn measure(mut peers: Vec<Peer>, settings: Settings) -> Vec<Figure> {
    // Calibrate: warm up each peer and find how many repetitions fill a sample.
    let reps: Vec<u64> = peers
        .iter_mut()
        .map(|p| {
            p.timed(); // warm-up: the first run pays for cold caches and allocations
            let once = p.timed().1.max(Duration::from_nanos(1));
            settings
                .sample
                .as_nanos()
                .div_ceil(once.as_nanos())
                .clamp(1, 1 << 20) as u64
        })
        .collect();
    let mut samples: Vec<Vec<f64>> = vec![Vec::with_capacity(settings.rounds); peers.len()];
    for round in 0..settings.rounds {
        // Rotate who goes first, so no peer always follows the same neighbour.
        for k in 0..peers.len() {
            let i = (round + k) % peers.len();
            let (items, spent) = peers[i].sample(reps[i]);
            samples[i].push(spent.as_nanos() as f64 / items.max(1) as f64);
        }
    }
    peers
        .iter()
        .zip(samples)
        .map(|(p, mut s)| Figure {
            name: p.name,
            median_ns: median(&mut s),
        })
        .collect()
}

/// Formats nanoseconds for a table: `412 ns`, `8.31 µs`, `1.20 ms`.
pub fn fmt_ns(ns: f64) -> String {
    if ns >= 1_000_000.0 {
        format!("{:.2} ms", ns / 1_000_000.0)
    } else if ns >= 10_000.0 {
        format!("{:.1} µs", ns / 1_000.0)
    } else if ns >= 1_000.0 {
        format!("{:.2} µs", ns / 1_000.0)
    } else {
        format!("{ns:.0} ns")
    }
}

/// The median of `samples` (the upper one of an even count), sorting them in place.
///
/// ```
/// assert_eq!(sim_bench::harness::median(&mut [3.0, 1.0, 2.0]), 2.0);
/// ```
pub fn median(samples: &mut [f64]) -> f64 {
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}
