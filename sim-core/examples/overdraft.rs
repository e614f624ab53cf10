//! A real interleaving bug, found under seeds and replayed.
//!
//! A bank account allows a withdrawal only if the balance covers it. The check and the debit
//! are separated by an await (an audit log write), so two concurrent withdrawals can both pass
//! the check before either debits: the account goes negative. Most interleavings are fine; the
//! search runs seeds until one is not, prints the failure with its seed and schedule, then
//! replays both and shows the same failure at the same step.
//!
//! Run: `cargo run -p sim-core --example overdraft`. With `SIM_SEED` (and optionally
//! `SIM_SCHEDULE`) set, it runs that one configuration instead of searching: the printed
//! replay commands do exactly that.

use std::cell::Cell;
use std::process::ExitCode;
use std::rc::Rc;

use sim::time::{Duration, sleep};
use sim::{Builder, Runtime, SimError, Strategy};

struct Account {
    balance: Cell<i64>,
}

impl Account {
    /// Withdraws `amount` if the balance covers it. The bug: the check happens before an await,
    /// the debit after it, with nothing holding the account in between.
    async fn withdraw(&self, amount: i64) -> bool {
        if self.balance.get() < amount {
            return false;
        }
        audit_log(amount).await;
        self.balance.set(self.balance.get() - amount);
        true
    }
}

/// Writing the audit record takes a little (virtual) time, decided by the seed.
async fn audit_log(_amount: i64) {
    let micros = sim::rand::random::<u64>() % 3;
    sleep(Duration::from_micros(micros)).await;
    sim::task::yield_now().await;
}

/// The test: two customers and a fee collector draw on one account, which must stay >= 0.
async fn scenario() {
    let account = Rc::new(Account {
        balance: Cell::new(100),
    });
    let mut handles = Vec::new();
    for (name, amount) in [("alice", 70), ("bob", 60), ("fees", 5)] {
        let account = Rc::clone(&account);
        handles.push(sim::task::Builder::new().name(name).spawn(async move {
            sleep(Duration::from_micros(sim::rand::random::<u64>() % 400)).await;
            account.withdraw(amount).await
        }));
    }
    for h in handles {
        h.await.expect("withdrawal task failed");
    }
    let balance = account.balance.get();
    assert!(balance >= 0, "overdraft: balance is {balance}");
}

fn run(rt: &mut Runtime) -> Result<(), SimError> {
    rt.block_on(scenario())
}

fn main() -> ExitCode {
    // The report below says everything about a failure; keep the default hook's per-panic
    // message (and backtrace) out of the output.
    std::panic::set_hook(Box::new(|_| {}));
    if std::env::var_os("SIM_SEED").is_some() || std::env::var_os("SIM_SCHEDULE").is_some() {
        return replay_from_env();
    }
    let seeds = 10_000u64;
    println!("searching {seeds} seeds for an interleaving that overdraws the account...");
    let mut found = None;
    for seed in 0..seeds {
        let mut rt = Builder::new().seed(seed).build();
        if let Err(err) = run(&mut rt) {
            found = Some((seed, err, rt.schedule(), rt.steps()));
            break;
        }
    }
    let Some((seed, err, schedule, steps)) = found else {
        println!("no failure in {seeds} seeds");
        return ExitCode::FAILURE;
    };
    println!("\nFAILED under seed {seed:#x} after {steps} steps:\n  {err}");
    println!("schedule ({} decisions): {schedule}", schedule.len());
    println!("replay the seed:     SIM_SEED={seed:#x} cargo run -p sim-core --example overdraft");
    println!(
        "replay the schedule: SIM_SEED={seed:#x} SIM_SCHEDULE='{schedule}' cargo run -p sim-core \
         --example overdraft"
    );

    println!("\nreplaying seed {seed:#x}...");
    let mut again = Builder::new().seed(seed).build();
    let by_seed = run(&mut again).expect_err("the seed must reproduce the failure");
    println!("  {by_seed}");

    // The schedule fixes every scheduling decision; the seed still feeds `sim::rand`.
    println!("replaying the recorded schedule...");
    let mut replay = Builder::new()
        .seed(seed)
        .strategy(Strategy::Replay(schedule.clone()))
        .build();
    let by_schedule = run(&mut replay).expect_err("the schedule must reproduce the failure");
    println!("  {by_schedule}");

    let same = by_seed.at() == err.at() && by_schedule.at().step == err.at().step;
    println!("\nsame failure at the same step ({steps}) three times: {same}");
    if same {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// Runs the one configuration the `SIM_*` variables describe.
fn replay_from_env() -> ExitCode {
    let builder = match Builder::from_env() {
        Ok(builder) => builder,
        Err(err) => {
            eprintln!("error: {err}");
            return ExitCode::from(2);
        }
    };
    let mut rt = builder.build();
    match run(&mut rt) {
        Ok(()) => {
            println!("seed {:#x}: passed after {} steps", rt.seed(), rt.steps());
            ExitCode::SUCCESS
        }
        Err(err) => {
            println!("FAILED: {err}\nschedule: {}", rt.schedule());
            ExitCode::FAILURE
        }
    }
}
