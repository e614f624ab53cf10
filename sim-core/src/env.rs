//! Every `SIM_*` environment variable, read and validated in this one place.
//!
//! | variable | meaning | format | read by |
//! |---|---|---|---|
//! | `SIM_SEED` | run exactly this seed | decimal, or hexadecimal with `0x` (`42`, `0x2a`) | `Builder`, `Check` |
//! | `SIM_STRATEGY` | the scheduling strategy | `random`, `fifo`, `pct`, `pct:N`, `exhaustive`, `exhaustive:N` | `Builder`, `Check` |
//! | `SIM_SCHEDULE` | replay this schedule | as printed, e.g. `v1:0*3,1` | `Builder`, `Check` |
//! | `SIM_BUGGIFY` | let `buggify!` sites fire | `1`/`0`, `true`/`false` | `Builder`, `Check` |
//! | `SIM_TRACE` | print the run's events with virtual timestamps (`sim::trace`) | `1`/`debug`, `trace`, `info`, `0` | `Builder`, `Check` |
//! | `SIM_TIMELINE` | write a failing run's timeline into this folder | a path | `Check` |
//! | `SIM_DEBUG` | debug mode: slow polls, leaked tasks, ignored panics | `1`/`0`, `true`/`false` | `Builder`, `Check` |
//! | `SIM_INJECT_CANCEL` | cancellation injection at every `timeout` pending point | `1`/`0`, `true`/`false` | `Check` |
//! | `SIM_SEEDS` | how many seeds a test runs | integer >= 1 | `Check` |
//! | `SIM_SEED_START` | index of the first seed | integer | `Check` |
//! | `SIM_SHARD` | run only shard `i` of `n` of the seeds | `i/n`, `1 <= i <= n` | `Check` |
//! | `SIM_JOBS` | seeds run on this many threads | integer >= 1 | `Check` |
//! | `SIM_CHECK_DETERMINISM` | run each seed twice, compare their events (hashed) | `1`/`0`, `true`/`false` | `Check` |
//! | `SIM_VERBOSE` | print a summary line when a test passes | `1`/`0`, `true`/`false` | `Check` |
//! | `SIM_SHRINK` | shrink a failing schedule (default on) | `1`/`0`, `true`/`false` | `Check` |
//!
//! A variable that is set but malformed is an [`EnvError`] naming the variable, the value and
//! what was expected; nothing falls back to a default silently. An empty value counts as set.

use std::ffi::OsString;
use std::fmt;

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

/// Which shard of the seeds to run: `index` of `count`, from 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    index: u64,
    count: u64,
}

impl Shard {
    /// Shard `index` of `count`, numbered from 1 (as `SIM_SHARD=1/3` .. `3/3`).
    ///
    /// # Panics
    ///
    /// Unless `1 <= index <= count`.
    ///
    /// ```
    /// let s = sim::check::Shard::new(2, 3);
    /// assert!(s.owns(1) && !s.owns(0) && s.owns(4));
    /// ```
    #[track_caller]
    pub fn new(index: u64, count: u64) -> Shard {
        assert!(
            1 <= index && index <= count,
            "a shard is i/n with 1 <= i <= n, not {index}/{count}"
        );
        Shard { index, count }
    }

    /// Whether seed number `position` (counting from 0 within a test) belongs to this shard.
    ///
    /// ```
    /// let all: Vec<u64> = (0..9).filter(|&p| sim::check::Shard::new(1, 3).owns(p)).collect();
    /// assert_eq!(all, [0, 3, 6]);
    /// ```
    pub fn owns(&self, position: u64) -> bool {
        position % self.count == self.index - 1
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// The parsed `SIM_*` variables; `None` where a variable is unset.
#[derive(Debug, Clone, Default)]
pub(crate) struct EnvSettings {
    pub(crate) seed: Option<u64>,
    pub(crate) strategy: Option<Strategy>,
    pub(crate) schedule: Option<Schedule>,
    pub(crate) seeds: Option<u64>,
    pub(crate) seed_start: Option<u64>,
    pub(crate) shard: Option<Shard>,
    pub(crate) jobs: Option<usize>,
    pub(crate) check_determinism: Option<bool>,
    pub(crate) verbose: Option<bool>,
    pub(crate) shrink: Option<bool>,
    pub(crate) buggify: Option<bool>,
    pub(crate) inject_cancellation: Option<bool>,
    /// `Some(None)`: tracing explicitly off.
    pub(crate) trace: Option<Option<tracing::Level>>,
    pub(crate) debug: Option<bool>,
    pub(crate) timeline: Option<std::path::PathBuf>,
}

impl EnvSettings {
    /// Reads the process environment.
    pub(crate) fn from_process() -> Result<EnvSettings, EnvError> {
        EnvSettings::read(|name| std::env::var_os(name))
    }

    /// Reads the variables through `lookup`.
    pub(crate) fn read(lookup: impl Fn(&str) -> Option<OsString>) -> Result<EnvSettings, EnvError> {
        let get = |var: &'static str| -> Result<Option<String>, EnvError> {
            match lookup(var) {
                None => Ok(None),
                Some(raw) => raw.into_string().map(Some).map_err(|raw| {
                    EnvError::new(var, &raw.to_string_lossy(), "the value is not valid UTF-8")
                }),
            }
        };
        let field = |var: &'static str| Field {
            var,
            value: get(var),
        };
        Ok(EnvSettings {
            seed: field("SIM_SEED").parse(parse_seed)?,
            strategy: field("SIM_STRATEGY").parse(|v| v.parse().map_err(|e| format!("{e}")))?,
            schedule: field("SIM_SCHEDULE").parse(|v| v.parse().map_err(|e| format!("{e}")))?,
            seeds: field("SIM_SEEDS").parse(|v| parse_count(v, 1))?,
            seed_start: field("SIM_SEED_START").parse(|v| parse_count(v, 0))?,
            shard: field("SIM_SHARD").parse(parse_shard)?,
            jobs: field("SIM_JOBS").parse(|v| parse_count(v, 1).map(|n| n as usize))?,
            check_determinism: field("SIM_CHECK_DETERMINISM").parse(parse_bool)?,
            verbose: field("SIM_VERBOSE").parse(parse_bool)?,
            shrink: field("SIM_SHRINK").parse(parse_bool)?,
            buggify: field("SIM_BUGGIFY").parse(parse_bool)?,
            inject_cancellation: field("SIM_INJECT_CANCEL").parse(parse_bool)?,
            trace: field("SIM_TRACE").parse(parse_trace)?,
            debug: field("SIM_DEBUG").parse(parse_bool)?,
            timeline: field("SIM_TIMELINE").parse(|v| {
                if v.trim().is_empty() {
                    Err("expected a folder to write the timeline into".to_string())
                } else {
                    Ok(std::path::PathBuf::from(v))
                }
            })?,
        })
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
pub(crate) fn parse_seed(value: &str) -> Result<u64, String> {
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

impl EnvSettings {
    /// Installs the trace subscriber if `SIM_TRACE` asks for one.
    pub(crate) fn start_tracing(&self) {
        if let Some(Some(level)) = self.trace {
            crate::trace::init(level);
        }
    }
}

fn parse_bool(value: &str) -> Result<bool, String> {
    match value.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" => Ok(false),
        _ => Err("expected 1, 0, true or false".to_string()),
    }
}

fn parse_shard(value: &str) -> Result<Shard, String> {
    let problem =
        || "expected `i/n` with 1 <= i <= n, e.g. `1/4` for the first of four shards".to_string();
    let (i, n) = value.trim().split_once('/').ok_or_else(problem)?;
    let (i, n) = (i.trim().parse::<u64>(), n.trim().parse::<u64>());
    match (i, n) {
        (Ok(i), Ok(n)) if 1 <= i && i <= n => Ok(Shard { index: i, count: n }),
        _ => Err(problem()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(vars: &[(&str, &str)]) -> Result<EnvSettings, EnvError> {
        EnvSettings::read(|name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v).into())
        })
    }

    #[test]
    fn every_variable_parses() {
        let s = read(&[
            ("SIM_SEED", "0x2a"),
            ("SIM_STRATEGY", "pct:2"),
            ("SIM_SCHEDULE", "v1:1"),
            ("SIM_SEEDS", "500"),
            ("SIM_SEED_START", "0"),
            ("SIM_SHARD", "2/4"),
            ("SIM_JOBS", "2"),
            ("SIM_CHECK_DETERMINISM", "true"),
            ("SIM_VERBOSE", "0"),
        ])
        .unwrap();
        assert_eq!(s.seed, Some(42));
        assert_eq!(s.strategy, Some(Strategy::Pct { depth: 2 }));
        assert_eq!(s.schedule.unwrap().decisions(), [1]);
        assert_eq!(
            (s.seeds, s.seed_start, s.jobs),
            (Some(500), Some(0), Some(2))
        );
        assert_eq!(s.shard, Some(Shard { index: 2, count: 4 }));
        assert_eq!((s.check_determinism, s.verbose), (Some(true), Some(false)));
    }

    #[test]
    fn malformed_values_are_errors_naming_the_variable() {
        for (var, value, needle) in [
            ("SIM_SEEDS", "0", "at least 1"),
            ("SIM_SEEDS", "many", "whole number"),
            ("SIM_SEED_START", "-3", "whole number"),
            ("SIM_SHARD", "0/3", "1 <= i <= n"),
            ("SIM_SHARD", "4/3", "1 <= i <= n"),
            ("SIM_SHARD", "3", "`i/n`"),
            ("SIM_JOBS", "0", "at least 1"),
            ("SIM_CHECK_DETERMINISM", "maybe", "1, 0, true or false"),
            ("SIM_VERBOSE", "", "1, 0, true or false"),
        ] {
            let err = read(&[(var, value)]).unwrap_err();
            assert_eq!((err.var(), err.value()), (var, value));
            let text = err.to_string();
            assert!(
                text.starts_with(&format!("{var}={value:?} is malformed: ")),
                "{text}"
            );
            assert!(text.contains(needle), "{text}");
        }
    }

    #[test]
    fn shards_partition_the_seeds() {
        let shards: Vec<Shard> = (1..=3).map(|i| Shard::new(i, 3)).collect();
        for position in 0..100 {
            assert_eq!(shards.iter().filter(|s| s.owns(position)).count(), 1);
        }
    }
}
