//! The bug gallery under shuttle: for each bug that shuttle can express, how many iterations its
//! random and PCT schedulers need to find it, and how long that takes. The sim side of the
//! comparison is `cargo run --release -p sim-tests --example bug_table`; both are in
//! `docs/finding-bugs.md`. Run with:
//!
//! ```text
//! cargo run --release -p sim-compare
//! ```
//!
//! The tables go to stdout. Shuttle prints a few lines of its own to stderr for each failure
//! it finds (with `eprintln!`, not through the panic hook).

mod bugs;
mod notify;

use std::cell::Cell;
use std::panic::{self, AssertUnwindSafe};
use std::rc::Rc;
use std::time::{Duration, Instant};

use shuttle::scheduler::{PctScheduler, RandomScheduler, Schedule, Scheduler, Task, TaskId};
use shuttle::{Config, FailurePersistence, Runner};

use bugs::Bug;

/// Iterations a search may run.
const LIMIT: usize = 10_000;

/// Each cell's search is run this many times (the same iterations each time: the scheduler is
/// seeded); the cell shows the median wall time.
const REPEATS: usize = 5;

/// Independent scheduler seeds for the table of means.
const SEQUENCES: u64 = 20;

/// Iterations each fixed program must pass under each scheduler.
const FIXED_ITERATIONS: usize = 1_000;

#[derive(Debug, Clone, Copy)]
enum Strategy {
    Random,
    Pct(usize),
}

const STRATEGIES: [(&str, Strategy); 4] = [
    ("Random", Strategy::Random),
    ("PCT d=1", Strategy::Pct(1)),
    ("PCT d=2", Strategy::Pct(2)),
    ("PCT d=3", Strategy::Pct(3)),
];

/// A scheduler that counts the executions it starts, so that a search that stops at its first
/// failure (a panic out of `Runner::run`) still says how many iterations it took.
#[derive(Debug)]
struct Counted<S> {
    inner: S,
    executions: Rc<Cell<usize>>,
}

impl<S: Scheduler> Scheduler for Counted<S> {
    fn new_execution(&mut self) -> Option<Schedule> {
        let schedule = self.inner.new_execution();
        if schedule.is_some() {
            self.executions.set(self.executions.get() + 1);
        }
        schedule
    }

    fn next_task(
        &mut self,
        runnable_tasks: &[&Task],
        current_task: Option<TaskId>,
        is_yielding: bool,
    ) -> Option<TaskId> {
        self.inner
            .next_task(runnable_tasks, current_task, is_yielding)
    }

    fn next_u64(&mut self) -> u64 {
        self.inner.next_u64()
    }
}

fn counted<S: Scheduler>(inner: S, executions: &Rc<Cell<usize>>) -> Counted<S> {
    Counted {
        inner,
        executions: Rc::clone(executions),
    }
}

fn config() -> Config {
    let mut config = Config::new();
    config.failure_persistence = FailurePersistence::None;
    config
}

/// How a search ended.
#[derive(Debug)]
enum Outcome {
    /// A failure at this iteration (counting it), with its message.
    Failed { iterations: usize, message: String },
    /// No failure in this many iterations.
    Passed { iterations: usize },
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "<non-string panic>".to_string()
    }
}

/// Runs `program` under `strategy` (seeded with `seed`) until its first failure, at most
/// `limit` iterations.
fn search(program: fn(), strategy: Strategy, seed: u64, limit: usize) -> Outcome {
    let executions = Rc::new(Cell::new(0));
    let run = AssertUnwindSafe(|| match strategy {
        Strategy::Random => Runner::new(
            counted(RandomScheduler::new_from_seed(seed, limit), &executions),
            config(),
        )
        .run(program),
        Strategy::Pct(depth) => Runner::new(
            counted(PctScheduler::new_from_seed(seed, depth, limit), &executions),
            config(),
        )
        .run(program),
    });
    match panic::catch_unwind(run) {
        Ok(iterations) => Outcome::Passed { iterations },
        Err(payload) => Outcome::Failed {
            iterations: executions.get(),
            message: panic_message(&*payload),
        },
    }
}

/// `0.41 ms`, `2.5 ms`, `12 ms`, `1.3 s`.
fn human(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1e3;
    if ms < 1.0 {
        format!("{ms:.2} ms")
    } else if ms < 10.0 {
        format!("{ms:.1} ms")
    } else if ms < 1000.0 {
        format!("{ms:.0} ms")
    } else {
        format!("{:.1} s", d.as_secs_f64())
    }
}

/// One cell of the first table: the search under seed 0, timed.
fn measure(bug: &Bug, strategy: Strategy) -> String {
    let mut times = Vec::with_capacity(REPEATS);
    let mut outcome = None;
    for _ in 0..REPEATS {
        let started = Instant::now();
        outcome = Some(search(bug.buggy, strategy, 0, LIMIT));
        times.push(started.elapsed());
    }
    times.sort();
    let took = human(times[REPEATS / 2]);
    match outcome.expect("REPEATS > 0") {
        Outcome::Failed {
            iterations,
            message,
        } if message.contains(bug.expect) => format!("{iterations} ({took})"),
        Outcome::Failed { message, .. } => {
            format!("other failure: {}", message.lines().next().unwrap_or(""))
        }
        Outcome::Passed { iterations } => format!("not found in {iterations} ({took})"),
    }
}

/// One cell of the second table: the mean iterations to the first failure over `SEQUENCES`
/// scheduler seeds, and how many of them found the bug.
fn mean(bug: &Bug, strategy: Strategy) -> String {
    let mut found = Vec::new();
    for seed in 0..SEQUENCES {
        match search(bug.buggy, strategy, seed, LIMIT) {
            Outcome::Failed {
                iterations,
                message,
            } if message.contains(bug.expect) => found.push(iterations),
            Outcome::Failed { message, .. } => {
                return format!("other failure: {}", message.lines().next().unwrap_or(""));
            }
            Outcome::Passed { .. } => {}
        }
    }
    if found.is_empty() {
        return format!("0/{SEQUENCES} found");
    }
    let mean = found.iter().sum::<usize>() as f64 / found.len() as f64;
    if found.len() as u64 == SEQUENCES {
        format!("{mean:.1}")
    } else {
        format!("{mean:.1} ({}/{SEQUENCES} found)", found.len())
    }
}

fn header() {
    print!("| bug |");
    for (name, _) in STRATEGIES {
        print!(" {name} |");
    }
    println!();
    print!("|---|");
    for _ in STRATEGIES {
        print!("---|");
    }
    println!();
}

fn main() {
    // Shuttle installs a panic hook of its own (it prints the failing schedule, then calls the
    // hook it found) at its first execution. Run one trivial execution first, so the silent hook
    // installed after it replaces shuttle's: the buggy programs panic thousands of times.
    Runner::new(RandomScheduler::new_from_seed(0, 1), config()).run(|| {});
    panic::set_hook(Box::new(|_| {}));

    let all = bugs::all();
    println!("## shuttle 0.9.10: iterations to the first failure");
    println!();
    header();
    for bug in &all {
        print!("| {} |", bug.name);
        for (_, strategy) in STRATEGIES {
            print!(" {} |", measure(bug, strategy));
        }
        println!();
    }
    println!();
    println!(
        "Cells: iterations to the first failure with the scheduler seeded with 0, and wall time \
         of the whole search (median of {REPEATS}); at most {LIMIT} iterations."
    );
    for bug in all.iter().filter(|b| !b.note.is_empty()) {
        println!("- `{}`: {}", bug.name, bug.note);
    }
    println!();
    println!("Not expressible in shuttle (no virtual time):");
    for (name, why) in bugs::SKIPPED {
        println!("- `{name}`: {why}");
    }

    println!();
    println!("## shuttle: mean iterations to the first failure over {SEQUENCES} scheduler seeds");
    println!();
    header();
    for bug in &all {
        print!("| {} |", bug.name);
        for (_, strategy) in STRATEGIES {
            print!(" {} |", mean(bug, strategy));
        }
        println!();
    }

    println!();
    println!("## Fixed versions ({FIXED_ITERATIONS} iterations per scheduler)");
    println!();
    for bug in &all {
        let failures: Vec<String> = STRATEGIES
            .iter()
            .filter_map(|&(name, strategy)| {
                match search(bug.fixed, strategy, 0, FIXED_ITERATIONS) {
                    Outcome::Passed { .. } => None,
                    Outcome::Failed {
                        iterations,
                        message,
                    } => Some(format!("{name} failed at {iterations}: {message}")),
                }
            })
            .collect();
        if failures.is_empty() {
            println!("- `{}`: passes under every scheduler", bug.name);
        } else {
            println!("- `{}`: {}", bug.name, failures.join("; "));
        }
    }
}
