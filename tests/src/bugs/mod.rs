//! A gallery of classic concurrency bugs, each written as a small async program in a BUGGY
//! and a FIXED form.
//!
//! Every program panics (an `assert!`) when its bug manifests, or, for the bugs that leave a
//! task waiting forever, makes the run end in [`SimError::Deadlock`](sim::SimError). Either
//! way the run returns `Err` from `block_on`, so "bug found" is simply "the run failed".
//! [`all`] lists the bugs in a fixed order with the number of seeds each needs; [`run`] and
//! [`first_failing_seed`] run a program the same way the gallery's test does, so a program
//! that prints a table of results gets the same answers.

use std::future::Future;
use std::pin::Pin;

use sim::{Builder, SimError, Strategy};

pub mod atomicity_violation_with_noise;
pub mod check_then_act;
pub mod double_spend;
pub mod half_done_by_timeout;
pub mod lock_order_deadlock;
pub mod long_run;
pub mod lost_update;
pub mod lost_wakeup;
pub mod message_lost_in_select;
pub mod ordering_violation;
pub mod permit_lost_on_cancel;
pub mod timeout_tears_two_step_commit;

/// A program of the gallery: makes a fresh future for one run.
pub type Program = fn() -> Pin<Box<dyn Future<Output = ()>>>;

/// One bug of the gallery.
#[derive(Debug, Clone, Copy)]
pub struct Bug {
    /// The bug's name, in snake_case (also its module's name).
    pub name: &'static str,
    /// The program with the bug: some seed of the budget makes the run fail.
    pub buggy: fn() -> Pin<Box<dyn Future<Output = ()>>>,
    /// The same program, fixed: every seed of the budget passes.
    pub fixed: fn() -> Pin<Box<dyn Future<Output = ()>>>,
    /// How many seeds (0, 1, ..) a search may use to find the bug.
    pub seed_budget: u64,
    /// Whether runs need [`Builder::chaos`]: the bug hides behind an `await` that is ready.
    pub chaos: bool,
}

/// Every bug of the gallery, in order.
pub fn all() -> Vec<Bug> {
    macro_rules! bug {
        ($module:ident, $budget:expr, $chaos:expr) => {
            Bug {
                name: stringify!($module),
                buggy: || Box::pin($module::buggy()),
                fixed: || Box::pin($module::fixed()),
                seed_budget: $budget,
                chaos: $chaos,
            }
        };
    }
    vec![
        bug!(lost_update, 200, false),
        bug!(check_then_act, 300, true),
        bug!(double_spend, 200, false),
        bug!(lock_order_deadlock, 200, false),
        bug!(lost_wakeup, 300, false),
        bug!(ordering_violation, 200, false),
        bug!(atomicity_violation_with_noise, 500, false),
        bug!(long_run, 300, false),
        bug!(timeout_tears_two_step_commit, 200, false),
        bug!(message_lost_in_select, 300, false),
        bug!(permit_lost_on_cancel, 300, false),
        bug!(half_done_by_timeout, 200, false),
    ]
}

/// The step limit of a gallery run: far above what any program needs, low enough that a
/// livelock fails fast instead of spinning for the runtime's default ten million steps.
pub const MAX_STEPS: u64 = 100_000;

/// Runs `program` once under `seed` and `strategy`; `Err` means the bug manifested (a panic,
/// a deadlock, or any other failed run).
///
/// # Errors
///
/// The run's [`SimError`].
pub fn run(program: Program, seed: u64, strategy: &Strategy, chaos: bool) -> Result<(), SimError> {
    Builder::new()
        .seed(seed)
        .strategy(strategy.clone())
        .chaos(chaos)
        .max_steps(MAX_STEPS)
        .build()
        .block_on(program())
}

/// The first seed in `0..seeds` whose run of `program` fails, if any.
pub fn first_failing_seed(
    program: Program,
    strategy: &Strategy,
    chaos: bool,
    seeds: u64,
) -> Option<u64> {
    (0..seeds).find(|&seed| run(program, seed, strategy, chaos).is_err())
}
