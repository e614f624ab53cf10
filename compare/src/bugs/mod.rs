//! The bugs of sim's gallery (`tests/src/bugs/`) that shuttle can express, written for shuttle
//! with the same logic: tasks, yields, locks and notifications, no time.

pub(crate) mod atomicity_violation_with_noise;
pub(crate) mod check_then_act;
pub(crate) mod double_spend;
pub(crate) mod lock_order_deadlock;
pub(crate) mod long_run;
pub(crate) mod lost_update;
pub(crate) mod lost_wakeup;
pub(crate) mod ordering_violation;

/// One bug, as a shuttle test body (a plain `fn` that runs its async program with
/// `shuttle::future::block_on`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Bug {
    /// The name of the bug in sim's gallery.
    pub(crate) name: &'static str,
    /// The program with the bug.
    pub(crate) buggy: fn(),
    /// The same program, fixed.
    pub(crate) fixed: fn(),
    /// Text of the failure this bug causes (a panic message, or shuttle's deadlock report), to
    /// tell it from any other failure.
    pub(crate) expect: &'static str,
    /// How the shuttle version differs from sim's, if it does.
    pub(crate) note: &'static str,
}

/// The expressible bugs, in the gallery's order.
pub(crate) fn all() -> Vec<Bug> {
    macro_rules! bug {
        ($module:ident, $expect:expr, $note:expr) => {
            Bug {
                name: stringify!($module),
                buggy: $module::buggy,
                fixed: $module::fixed,
                expect: $expect,
                note: $note,
            }
        };
    }
    vec![
        bug!(lost_update, "lost update", ""),
        bug!(
            check_then_act,
            "seat double-booked",
            "no chaos needed: shuttle's `Mutex::lock` is always a scheduling point"
        ),
        bug!(
            double_spend,
            "double spend",
            "time-free variant: the 2 ms fraud check is a yield, no random arrival times"
        ),
        bug!(lock_order_deadlock, "deadlock", ""),
        bug!(lost_wakeup, "deadlock", ""),
        bug!(ordering_violation, "before it was initialised", ""),
        bug!(atomicity_violation_with_noise, "auditor saw an item", ""),
        bug!(long_run, "buffer overflow", ""),
    ]
}

/// The gallery's bugs left out, and why.
pub(crate) const SKIPPED: &[(&str, &str)] = &[
    (
        "timeout_tears_two_step_commit",
        "a `timeout` that expires at the very instant the flusher's `sleep` does: needs virtual time",
    ),
    (
        "message_lost_in_select",
        "`select!` between a receive and a `sleep` timer, random arrival gaps: needs timers",
    ),
    (
        "permit_lost_on_cancel",
        "a release and an abort lined up at t=10 ms by `sleep`s: needs virtual time",
    ),
    (
        "half_done_by_timeout",
        "a 5 ms `timeout` around a 1-8 ms ledger call: needs timers",
    ),
];
