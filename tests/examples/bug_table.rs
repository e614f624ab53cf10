//! How many runs each strategy needs to find each bug of the gallery, and how long it takes.
//!
//! For every bug of [`sim_tests::bugs::all`] and every strategy, runs a [`Check`] until the
//! first failure and prints a markdown table of `runs (wall time)`; then shows shrinking on a
//! few bugs. Run with:
//!
//! ```text
//! cargo run --release -p sim-tests --example bug_table
//! ```

use std::time::{Duration, Instant};

use sim::Strategy;
use sim::check::{Check, CheckError};
use sim_tests::bugs::{self, Bug};

/// Seeds a sampling strategy (Random, PCT) may use.
const LIMIT: u64 = 10_000;

/// Schedules an exhaustive search may run.
const MAX_SCHEDULES: u64 = 20_000;

/// Bugs whose trigger is a latency drawn from `sim::rand`: an exhaustive search runs under one
/// seed, so it explores interleavings of one set of latencies only.
const SEEDED_LATENCY: &[&str] = &[
    "double_spend",
    "half_done_by_timeout",
    "message_lost_in_select",
];

/// Independent seed lists for the table of means: list `k` is the check named `name/k` (list 0
/// is the check named `name`, as in the first table), since seeds derive from the name.
const SEQUENCES: u64 = 20;

/// Bugs shown shrinking.
const SHRINK_DEMO: &[&str] = &[
    "lost_update",
    "atomicity_violation_with_noise",
    "lock_order_deadlock",
];

fn strategies() -> Vec<(&'static str, Strategy)> {
    vec![
        ("Random", Strategy::Random),
        ("PCT d=1", Strategy::Pct { depth: 1 }),
        ("PCT d=2", Strategy::Pct { depth: 2 }),
        ("PCT d=3", Strategy::Pct { depth: 3 }),
        ("Exh. p<=1", Strategy::Exhaustive { max_preemptions: 1 }),
        ("Exh. p<=2", Strategy::Exhaustive { max_preemptions: 2 }),
    ]
}

/// Each cell's check is run this many times (the same runs each time: it is deterministic);
/// the cell shows the median wall time.
const REPEATS: usize = 5;

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

fn check(bug: &Bug, strategy: &Strategy) -> Check {
    Check::new()
        .name(bug.name)
        .seeds(LIMIT)
        .strategy(strategy.clone())
        .chaos(bug.chaos)
        .max_steps(bugs::MAX_STEPS)
}

/// One cell of the table.
fn measure(bug: &Bug, strategy: &Strategy) -> String {
    let exhaustive = matches!(strategy, Strategy::Exhaustive { .. });
    let check = check(bug, strategy)
        .shrink(false)
        .max_schedules(MAX_SCHEDULES);
    let mut times = Vec::with_capacity(REPEATS);
    let mut result = None;
    for _ in 0..REPEATS {
        let started = Instant::now();
        result = Some(check.clone().try_run(bug.buggy));
        times.push(started.elapsed());
    }
    times.sort();
    let took = human(times[REPEATS / 2]);
    match result.expect("REPEATS > 0") {
        // PCT's horizon probe (seed #0) failing is reported with `runs == 0`: it is one run.
        Err(CheckError::Failed(failure)) if failure.runs == 0 => format!("1* ({took})"),
        Err(CheckError::Failed(failure)) => format!("{} ({took})", failure.runs),
        Err(CheckError::Incomplete { schedules, .. }) => {
            format!("space > {schedules} ({took})")
        }
        Err(other) => format!("error: {other}"),
        Ok(summary) if exhaustive => {
            let mark = if SEEDED_LATENCY.contains(&bug.name) {
                " †"
            } else {
                ""
            };
            format!("not found ({} schedules, {took}){mark}", summary.seeds_run)
        }
        Ok(summary) => format!("not found in {} ({took})", summary.seeds_run),
    }
}

fn table(all: &[Bug]) {
    let strategies = strategies();
    print!("| bug |");
    for (name, _) in &strategies {
        print!(" {name} |");
    }
    println!();
    print!("|---|");
    for _ in &strategies {
        print!("---|");
    }
    println!();
    for bug in all {
        let chaos = if bug.chaos { " (chaos)" } else { "" };
        print!("| {}{chaos} |", bug.name);
        for (_, strategy) in &strategies {
            print!(" {} |", measure(bug, strategy));
        }
        println!();
    }
    println!();
    println!(
        "Cells: runs to the first failure (seeds for Random/PCT, schedules for exhaustive) and \
         wall time of the whole check (median of {REPEATS}). Random/PCT: at most {LIMIT} seeds. Exhaustive: at most \
         {MAX_SCHEDULES} schedules, all under the test's seed #0."
    );
    println!(
        "\\* PCT learns its horizon from seed #0 (run with the default horizon) before the \
         other seeds; that probe failed, and the failure reports `runs == 0`: counted as 1."
    );
    println!();
    println!(
        "† this bug's trigger is a latency drawn from `sim::rand`; an exhaustive search runs \
         every interleaving under one seed, so one set of latencies, and may miss it."
    );
}

/// One cell of the table of means: the mean runs to the first failure over `SEQUENCES`
/// independent seed lists, and how many of them found the bug.
fn mean(bug: &Bug, strategy: &Strategy) -> String {
    let mut found = Vec::new();
    for k in 0..SEQUENCES {
        let name = if k == 0 {
            bug.name.to_string()
        } else {
            format!("{}/{k}", bug.name)
        };
        match check(bug, strategy)
            .name(name)
            .shrink(false)
            .try_run(bug.buggy)
        {
            // The horizon probe, seed #0, is run 1 (see the first table's note).
            Err(CheckError::Failed(failure)) => found.push(failure.runs.max(1)),
            Err(other) => return format!("error: {other}"),
            Ok(_) => {}
        }
    }
    if found.is_empty() {
        return format!("0/{SEQUENCES} found");
    }
    let mean = found.iter().sum::<u64>() as f64 / found.len() as f64;
    if found.len() as u64 == SEQUENCES {
        format!("{mean:.1}")
    } else {
        format!("{mean:.1} ({}/{SEQUENCES} found)", found.len())
    }
}

fn means(all: &[Bug]) {
    let sampling: Vec<_> = strategies()
        .into_iter()
        .filter(|(_, s)| !matches!(s, Strategy::Exhaustive { .. }))
        .collect();
    println!("## Mean runs to the first failure over {SEQUENCES} seed lists");
    println!();
    print!("| bug |");
    for (name, _) in &sampling {
        print!(" {name} |");
    }
    println!();
    print!("|---|");
    for _ in &sampling {
        print!("---|");
    }
    println!();
    for bug in all {
        print!("| {} |", bug.name);
        for (_, strategy) in &sampling {
            print!(" {} |", mean(bug, strategy));
        }
        println!();
    }
    println!();
    println!(
        "Exhaustive search is left out: it is deterministic, its numbers are in the first table."
    );
}

fn shrink_demo(all: &[Bug]) {
    println!("## Shrinking (Random, shrink on)");
    println!();
    for name in SHRINK_DEMO {
        let Some(bug) = all.iter().find(|b| b.name == *name) else {
            continue;
        };
        let started = Instant::now();
        let result = check(bug, &Strategy::Random)
            .shrink(true)
            .try_run(bug.buggy);
        let took = human(started.elapsed());
        let Err(CheckError::Failed(failure)) = result else {
            println!("- {name}: no failure to shrink");
            continue;
        };
        println!(
            "- `{name}`: seed {:#x} (found after {} runs); original schedule {} decisions, {} \
             preemptions",
            failure.seed,
            failure.runs,
            failure.schedule.len(),
            failure.preemptions
        );
        match &failure.shrunk {
            Some(shrunk) => {
                println!(
                    "  - shrunk: {} -> {} preemptions, {} decisions, fails at step {}; {} \
                     candidate runs, {took} in all",
                    failure.preemptions,
                    shrunk.preemptions,
                    shrunk.schedule.len(),
                    shrunk.steps,
                    shrunk.attempts
                );
                println!("  - original schedule: `{}`", failure.schedule);
                println!("  - shrunk schedule:   `{}`", shrunk.schedule);
                println!("  - replay: `{}`", shrunk.replay);
            }
            None => {
                println!(
                    "  - shrunk: {0} -> {0} preemptions: shrinking found no smaller failing \
                     schedule ({took} in all)",
                    failure.preemptions
                );
                println!("  - schedule: `{}`", failure.schedule);
            }
        }
    }
}

fn main() {
    // The buggy programs panic on purpose, thousands of times: keep them off the terminal.
    std::panic::set_hook(Box::new(|_| {}));
    let all = bugs::all();
    println!("## Runs to the first failure, per strategy");
    println!();
    table(&all);
    println!();
    means(&all);
    println!();
    shrink_demo(&all);
}
