//! Every `SIM_*` environment variable: listed once, in [`VARIABLES`], and read and validated
//! in this one place. This module only parses; what a setting does is up to its readers
//! (`Builder::from_env`, `Check::from_env`), which also start tracing when `SIM_TRACE` asks.
//!
//! The list is written once, in the `variables!` invocation below, which makes from it the
//! table of rows, the parsed [`EnvSettings`] and their parser, and the Markdown table the
//! public docs show (in `sim::check`, under "Environment"): none of them can drift from the
//! others. A variable that is set but malformed is an [`EnvError`] naming the variable, the
//! value and what was expected; nothing falls back to a default silently. An empty value
//! counts as set.

use std::ffi::OsString;
use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

mod token;

pub(crate) use token::ReplayToken;

use crate::record::Schedule;
use crate::sched::Strategy;

/// A `SIM_*` environment variable holds a value that does not parse.
///
/// ```
/// let err = sim::Builder::from_vars([("SIM_SEED", "forty-two")]).unwrap_err();
/// assert_eq!(err.var(), "SIM_SEED");
/// assert_eq!(
///     err.to_string(),
///     "SIM_SEED=\"forty-two\" is malformed: expected an unsigned 64-bit seed, decimal (`42`) \
///      or hexadecimal with `0x` (`0x2a`)"
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvError {
    var: &'static str,
    value: String,
    problem: String,
}

impl EnvError {
    /// The variable's name.
    ///
    /// ```
    /// let err = sim::Builder::from_vars([("SIM_SEED", "x")]).unwrap_err();
    /// assert_eq!(err.var(), "SIM_SEED");
    /// ```
    pub fn var(&self) -> &'static str {
        self.var
    }

    /// The value that did not parse.
    ///
    /// ```
    /// let err = sim::Builder::from_vars([("SIM_SEED", "x")]).unwrap_err();
    /// assert_eq!(err.value(), "x");
    /// ```
    pub fn value(&self) -> &str {
        &self.value
    }

    pub(crate) fn new(var: &'static str, value: &str, problem: impl Into<String>) -> EnvError {
        EnvError {
            var,
            value: value.to_string(),
            problem: problem.into(),
        }
    }
}

impl fmt::Display for EnvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}={:?} is malformed: {}",
            self.var, self.value, self.problem
        )
    }
}

impl std::error::Error for EnvError {}

/// One documented `SIM_*` variable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Variable {
    /// Its name, `SIM_...`.
    pub(crate) name: &'static str,
    /// What it does.
    pub(crate) meaning: &'static str,
    /// What its value looks like.
    pub(crate) format: &'static str,
    /// A well-formed value.
    pub(crate) example: &'static str,
    /// What holds when it is unset.
    pub(crate) default: &'static str,
    /// Who reads it: `Builder::from_env` and `Check::from_env`, or only the latter.
    pub(crate) read_by: ReadBy,
    /// Whether a failure's replay command sets it again.
    pub(crate) replay: Replay,
}

/// Who reads a variable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ReadBy {
    /// A setting of one run: `Builder::from_env` and `Check::from_env` both read it.
    Run,
    /// A setting of the multi-seed checker: only `Check::from_env` reads it.
    Check,
}

/// Whether a failure's replay token (`SIM_REPLAY`) carries what a variable sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Replay {
    /// The token carries the setting: it changes what a run does.
    Token,
    /// The token carries it as the failing run had it (its seed, its schedule, its
    /// injection point, its determinism re-run).
    FromRun,
    /// Not in the token: it changes what is shown or how many seeds run, not what a run does.
    No,
}

/// Declares the variables: each row gives the parsed field, its type, the variable's name,
/// its parser (`&str -> Result<T, String>`), and the columns of the documented table.
macro_rules! variables {
    ($(
        $field:ident: $ty:ty = $name:literal, $parse:expr, {
            meaning: $meaning:literal,
            format: $format:literal,
            example: $example:literal,
            default: $default:literal,
            read_by: $read_by:ident,
            replay: $replay:ident $(,)?
        }
    )*) => {
        /// Every variable, in the order they are read and documented. (The docs are made by
        /// `table!` from the same list; these rows are what the tests check the parser, the
        /// readers and the docs against.)
        #[cfg_attr(not(test), expect(dead_code, reason = "read by the unit tests"))]
        pub(crate) const VARIABLES: &[Variable] = &[$(Variable {
            name: $name,
            meaning: $meaning,
            format: $format,
            example: $example,
            default: $default,
            read_by: ReadBy::$read_by,
            replay: Replay::$replay,
        }),*];

        /// The Markdown table of [`VARIABLES`], for `#[doc = ...]`.
        macro_rules! table {
            () => {
                concat!(
                    "| variable | meaning | format | default | read by | in a replay token |\n",
                    "|---|---|---|---|---|---|\n",
                    $(
                        "| `", $name, "` | ", $meaning, " | ", $format, ", e.g. `", $example,
                        "` | ", $default, " | ", $crate::env::cell!($read_by), " | ",
                        $crate::env::cell!($replay), " |\n",
                    )*
                )
            };
        }
        pub(crate) use table;

        /// The parsed `SIM_*` variables; `None` where a variable is unset.
        #[derive(Debug, Clone, Default)]
        pub(crate) struct EnvSettings {
            $(
                #[doc = concat!("`", $name, "`: ", $meaning, ".")]
                pub(crate) $field: Option<$ty>,
            )*
        }

        impl EnvSettings {
            /// Reads the variables through `lookup`.
            pub(crate) fn read(
                lookup: impl Fn(&str) -> Option<OsString>,
            ) -> Result<EnvSettings, EnvError> {
                let field = |var: &'static str| {
                    let value = match lookup(var) {
                        None => Ok(None),
                        Some(value) => value.into_string().map(Some).map_err(|value| {
                            let value = value.to_string_lossy();
                            EnvError::new(var, &value, "the value is not valid UTF-8")
                        }),
                    };
                    Field { var, value }
                };
                $( let $field = field($name).parse($parse)?; )*
                Ok(EnvSettings { $( $field, )* })
            }
        }
    };
}

/// The text of a [`ReadBy`] or [`Replay`] cell in the documented table.
macro_rules! cell {
    (Run) => {
        "`Builder`, `Check`"
    };
    (Check) => {
        "`Check`"
    };
    (Token) => {
        "yes"
    };
    (FromRun) => {
        "as the failing run had it"
    };
    (No) => {
        "no"
    };
}
pub(crate) use cell;

variables! {
    replay: ReplayToken = "SIM_REPLAY", |v| v.parse(), {
        meaning: "replay exactly one failing run, as its report printed it: the token carries the test, the seed, the strategy and every setting that shaped the run, and overrides the other variables",
        format: "`v1 test=... seed=... strategy=...`, as a failure report prints it",
        example: "v1 test=bank::transfer seed=0x2a strategy=random",
        default: "none",
        read_by: Check,
        replay: FromRun,
    }
    seed: u64 = "SIM_SEED", parse_seed, {
        meaning: "run exactly this seed, nothing else",
        format: "decimal, or hexadecimal with `0x`",
        example: "0x2a",
        default: "the test's seed list (a `Builder`: seed 0)",
        read_by: Run,
        replay: FromRun,
    }
    strategy: Strategy = "SIM_STRATEGY", |v| v.parse().map_err(|e| format!("{e}")), {
        meaning: "the scheduling strategy (overrides the attribute's)",
        format: "`random`, `fifo`, `pct`, `pct:N`, `exhaustive`, `exhaustive:N`",
        example: "pct:3",
        default: "`random`",
        read_by: Run,
        replay: Token,
    }
    schedule: Schedule = "SIM_SCHEDULE", |v| v.parse().map_err(|e| format!("{e}")), {
        meaning: "replay this schedule (overrides `SIM_STRATEGY`; `Check` needs `SIM_SEED` too)",
        format: "as a failure report prints it",
        example: "v1:0*3,1",
        default: "none",
        read_by: Run,
        replay: Token,
    }
    seeds: u64 = "SIM_SEEDS", |v| parse_count(v, 1), {
        meaning: "how many seeds a test runs (overrides `seeds = N`)",
        format: "integer >= 1",
        example: "10000",
        default: "100",
        read_by: Check,
        replay: No,
    }
    seed_start: u64 = "SIM_SEED_START", |v| parse_count(v, 0), {
        meaning: "position of the first seed (to continue where another run stopped)",
        format: "integer",
        example: "10000",
        default: "0",
        read_by: Check,
        replay: No,
    }
    shard: (u64, u64) = "SIM_SHARD", parse_shard, {
        meaning: "run only shard `i` of `n`: positions `p` with `p % n == i - 1`",
        format: "`i/n` with `1 <= i <= n`",
        example: "1/4",
        default: "every seed",
        read_by: Check,
        replay: No,
    }
    jobs: usize = "SIM_JOBS", |v| parse_count(v, 1).map(|n| n as usize), {
        meaning: "run seeds on this many threads, one runtime each",
        format: "integer >= 1",
        example: "4",
        default: "1",
        read_by: Check,
        replay: No,
    }
    check_determinism: bool = "SIM_CHECK_DETERMINISM", parse_bool, {
        meaning: "run each seed twice and compare their events (hashed)",
        format: "`1`/`0`, `true`/`false`",
        example: "1",
        default: "off",
        read_by: Check,
        replay: FromRun,
    }
    verbose: bool = "SIM_VERBOSE", parse_bool, {
        meaning: "print a one-line summary when a test passes",
        format: "`1`/`0`, `true`/`false`",
        example: "1",
        default: "off",
        read_by: Check,
        replay: No,
    }
    shrink: bool = "SIM_SHRINK", parse_bool, {
        meaning: "shrink a failing schedule",
        format: "`1`/`0`, `true`/`false`",
        example: "0",
        default: "on",
        read_by: Check,
        replay: No,
    }
    buggify: bool = "SIM_BUGGIFY", parse_bool, {
        meaning: "let `buggify!` sites fire",
        format: "`1`/`0`, `true`/`false`",
        example: "1",
        default: "off",
        read_by: Run,
        replay: Token,
    }
    chaos: bool = "SIM_CHAOS", parse_bool, {
        meaning: "chaos mode: a ready `sim::sync` operation may yield first (see `Builder::chaos`)",
        format: "`1`/`0`, `true`/`false`",
        example: "1",
        default: "off",
        read_by: Run,
        replay: Token,
    }
    max_steps: u64 = "SIM_MAX_STEPS", |v| parse_count(v, 1), {
        meaning: "the step limit of each run",
        format: "integer >= 1",
        example: "100000",
        default: "10000000",
        read_by: Run,
        replay: Token,
    }
    max_time: Duration = "SIM_MAX_TIME", parse_duration, {
        meaning: "the virtual-time limit of each run",
        format: "a duration (`500ms`, `30s`, `1m 30s`)",
        example: "30s",
        default: "none",
        read_by: Run,
        replay: Token,
    }
    blocking_threads: usize = "SIM_BLOCKING_THREADS", |v| parse_count(v, 1).map(|n| n as usize), {
        meaning: "workers of the simulated pool behind `spawn_blocking`",
        format: "integer >= 1",
        example: "4",
        default: "1",
        read_by: Run,
        replay: Token,
    }
    unobserved_panic: PanicPolicy = "SIM_UNOBSERVED_PANIC", parse_panic_policy, {
        meaning: "what a panic no join handle observed does: fail the run, or nothing",
        format: "`fail` or `ignore`",
        example: "ignore",
        default: "`fail`",
        read_by: Run,
        replay: Token,
    }
    inject_cancellation: bool = "SIM_INJECT_CANCEL", parse_bool, {
        meaning: "after the seeds, cancel each `timeout` at each of its pending points in turn",
        format: "`1`/`0`, `true`/`false`",
        example: "1",
        default: "off",
        read_by: Check,
        replay: FromRun,
    }
    trace: Option<tracing::Level> = "SIM_TRACE", parse_trace, {
        meaning: "print the run's events with virtual timestamps (see `sim::trace`)",
        format: "`1` or `debug`, `trace`, `info`, `0`",
        example: "1",
        default: "off",
        read_by: Run,
        replay: No,
    }
    debug: bool = "SIM_DEBUG", parse_bool, {
        meaning: "debug mode: slow polls, leaked tasks, ignored panics (see `Builder::debug`)",
        format: "`1`/`0`, `true`/`false`",
        example: "1",
        default: "off",
        read_by: Run,
        replay: No,
    }
    slow_poll: Duration = "SIM_SLOW_POLL", parse_duration, {
        meaning: "debug mode, noting polls slower than this (wall clock); `SIM_DEBUG=0` wins",
        format: "a duration (`500ms`, `30s`, `1m 30s`)",
        example: "10ms",
        default: "100ms (in debug mode)",
        read_by: Run,
        replay: No,
    }
    regressions: RegressionsSetting = "SIM_REGRESSIONS", parse_regressions, {
        meaning: "where `Check::run` saves its failures' replay tokens, to replay them first in every later run: `0` turns saving and replaying off, a folder puts the files there",
        format: "`1`/`0`, `true`/`false`, or a folder",
        example: "0",
        default: "`sim-regressions/` beside the package's `Cargo.toml`",
        read_by: Check,
        replay: No,
    }
    watchdog: Option<Duration> = "SIM_WATCHDOG", parse_watchdog, {
        meaning: "end the test with a report when one step runs longer than this (wall clock; see `Builder::watchdog`)",
        format: "a duration, or `0`/`off` for no watchdog",
        example: "30s",
        default: "10s",
        read_by: Run,
        replay: No,
    }
    timeline: PathBuf = "SIM_TIMELINE", parse_folder, {
        meaning: "on failure, write the failing run's timeline (JSON, SVG, HTML) into this folder",
        format: "a path",
        example: "target/timeline",
        default: "none",
        read_by: Check,
        replay: No,
    }
}

/// `SIM_REGRESSIONS`: whether and where failures are kept for the next run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RegressionsSetting {
    /// Keep them in the package's `sim-regressions/` (the default).
    On,
    /// Neither save nor replay.
    Off,
    /// Keep them in this folder.
    Folder(PathBuf),
}

fn parse_regressions(value: &str) -> Result<RegressionsSetting, String> {
    match parse_bool(value) {
        Ok(true) => Ok(RegressionsSetting::On),
        Ok(false) => Ok(RegressionsSetting::Off),
        Err(_) if value.trim().is_empty() => {
            Err("expected `1`/`0`, `true`/`false`, or a folder to keep failures in".to_string())
        }
        Err(_) => Ok(RegressionsSetting::Folder(PathBuf::from(value))),
    }
}

/// `SIM_UNOBSERVED_PANIC`: what a run does with a panic no join handle observed. (The
/// runtime's own `UnobservedPanic` is above this module, which imports nothing above it.)
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PanicPolicy {
    /// `fail`: the run fails.
    Fail,
    /// `ignore`: the panic is lost.
    Ignore,
}

impl EnvSettings {
    /// Reads the process environment.
    pub(crate) fn from_process() -> Result<EnvSettings, EnvError> {
        EnvSettings::read(|name| std::env::var_os(name))
    }

    /// The level `SIM_TRACE` asks to trace at; `None` if unset or off.
    pub(crate) fn trace_level(&self) -> Option<tracing::Level> {
        self.trace.flatten()
    }
}

/// One variable as read: unset, set, or not readable.
struct Field {
    var: &'static str,
    value: Result<Option<String>, EnvError>,
}

impl Field {
    fn parse<T>(self, parser: impl Fn(&str) -> Result<T, String>) -> Result<Option<T>, EnvError> {
        match self.value? {
            None => Ok(None),
            Some(v) => parser(&v)
                .map(Some)
                .map_err(|problem| EnvError::new(self.var, &v, problem)),
        }
    }
}

/// Parses a seed: decimal, or hexadecimal with a `0x` prefix.
fn parse_seed(value: &str) -> Result<u64, String> {
    let v = value.trim();
    let parsed = match v.strip_prefix("0x").or_else(|| v.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(hex, 16),
        None => v.parse(),
    };
    parsed.map_err(|_| {
        "expected an unsigned 64-bit seed, decimal (`42`) or hexadecimal with `0x` (`0x2a`)"
            .to_string()
    })
}

fn parse_count(value: &str, min: u64) -> Result<u64, String> {
    match value.trim().parse::<u64>() {
        Ok(n) if n >= min => Ok(n),
        _ => Err(format!("expected a whole number of at least {min}")),
    }
}

fn parse_trace(value: &str) -> Result<Option<tracing::Level>, String> {
    match value.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "on" | "debug" => Ok(Some(tracing::Level::DEBUG)),
        "trace" => Ok(Some(tracing::Level::TRACE)),
        "info" => Ok(Some(tracing::Level::INFO)),
        "0" | "false" | "off" => Ok(None),
        _ => Err("expected 1 (debug), trace, info or 0".to_string()),
    }
}

fn parse_bool(value: &str) -> Result<bool, String> {
    match value.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" => Ok(false),
        _ => Err("expected 1, 0, true or false".to_string()),
    }
}

/// Parses `i/n` with `1 <= i <= n`.
fn parse_shard(value: &str) -> Result<(u64, u64), String> {
    let problem =
        || "expected `i/n` with 1 <= i <= n, e.g. `1/4` for the first of four shards".to_string();
    let (i, n) = value.trim().split_once('/').ok_or_else(problem)?;
    let (i, n) = (i.trim().parse::<u64>(), n.trim().parse::<u64>());
    match (i, n) {
        (Ok(i), Ok(n)) if 1 <= i && i <= n => Ok((i, n)),
        _ => Err(problem()),
    }
}

fn parse_duration(value: &str) -> Result<Duration, String> {
    humantime::parse_duration(value.trim())
        .map_err(|e| format!("expected a duration such as `500ms`, `30s` or `1m 30s` ({e})"))
}

/// A watchdog budget: a duration, or `0`/`off` (also any zero duration) for none.
fn parse_watchdog(value: &str) -> Result<Option<Duration>, String> {
    let v = value.trim();
    if v == "0" || v.eq_ignore_ascii_case("off") {
        return Ok(None);
    }
    humantime::parse_duration(v)
        .map(|d| Some(d).filter(|d| !d.is_zero()))
        .map_err(|e| format!("expected a duration such as `10s` or `500ms`, or `off` ({e})"))
}

fn parse_panic_policy(value: &str) -> Result<PanicPolicy, String> {
    match value.trim().to_ascii_lowercase().as_str() {
        "fail" => Ok(PanicPolicy::Fail),
        "ignore" => Ok(PanicPolicy::Ignore),
        _ => Err("expected `fail` or `ignore`".to_string()),
    }
}

fn parse_folder(value: &str) -> Result<PathBuf, String> {
    if value.trim().is_empty() {
        Err("expected a folder to write the timeline into".to_string())
    } else {
        Ok(PathBuf::from(value))
    }
}

#[cfg(test)]
mod tests;
