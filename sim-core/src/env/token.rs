//! The replay token (`SIM_REPLAY`): one versioned value that carries everything that shaped a
//! failing run, so the command a failure report prints reproduces it exactly, whatever the
//! other variables of the shell that runs it say.
//!
//! Text form: `v1` and then `key=value` words (flags without `=value`), separated by spaces, in
//! this order: `test=` (the test it belongs to), `seed=`, `strategy=`, and then only what
//! differs from a plain run: `horizon=` (PCT's), `schedule=` (a strict replay), `inject=` (the
//! pending point at which a `timeout` was made to expire), `twice` (the determinism re-run),
//! `chaos`, `buggify`, `max_steps=`, `max_time=`, `blocking_threads=`, `unobserved_panic=`.
//! A run setting the token does not name has its default: the token defines the run, not the
//! code or the rest of the environment. An unknown key, a key out of place or a malformed
//! value is an error naming it.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use super::{PanicPolicy, parse_duration, parse_seed};
use crate::record::Schedule;
use crate::sched::Strategy;

/// Everything that shaped one failing run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ReplayToken {
    /// The test the run belongs to, as `cargo test` names it (or the check's name).
    pub(crate) test: String,
    pub(crate) seed: u64,
    /// The strategy (for a strict replay, the one the failure was found with).
    pub(crate) strategy: Strategy,
    /// PCT's horizon, when the run had a learned one.
    pub(crate) horizon: Option<u64>,
    /// The recorded decisions to replay strictly.
    pub(crate) schedule: Option<Schedule>,
    /// Cancellation injection's pending point.
    pub(crate) inject: Option<u64>,
    /// Whether the failure needs the determinism check's second run.
    pub(crate) twice: bool,
    pub(crate) chaos: bool,
    pub(crate) buggify: bool,
    pub(crate) max_steps: Option<u64>,
    pub(crate) max_time: Option<Duration>,
    pub(crate) blocking_threads: Option<usize>,
    pub(crate) unobserved_panic: Option<PanicPolicy>,
}

/// The version this build writes and reads.
const VERSION: &str = "v1";

/// The keys, in the order they are written (and must be read).
const KEYS: [&str; 13] = [
    "test",
    "seed",
    "strategy",
    "horizon",
    "schedule",
    "inject",
    "twice",
    "chaos",
    "buggify",
    "max_steps",
    "max_time",
    "blocking_threads",
    "unobserved_panic",
];

impl ReplayToken {
    /// A token for `test` under `seed` and `strategy`, with every other setting at its default.
    pub(crate) fn new(test: impl Into<String>, seed: u64, strategy: Strategy) -> ReplayToken {
        ReplayToken {
            test: test.into(),
            seed,
            strategy,
            horizon: None,
            schedule: None,
            inject: None,
            twice: false,
            chaos: false,
            buggify: false,
            max_steps: None,
            max_time: None,
            blocking_threads: None,
            unobserved_panic: None,
        }
    }
}

impl fmt::Display for ReplayToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{VERSION} test={} seed={:#x} strategy={}",
            self.test, self.seed, self.strategy
        )?;
        if let Some(h) = self.horizon {
            write!(f, " horizon={h}")?;
        }
        if let Some(s) = &self.schedule {
            write!(f, " schedule={s}")?;
        }
        if let Some(p) = self.inject {
            write!(f, " inject={p}")?;
        }
        for (on, flag) in [
            (self.twice, "twice"),
            (self.chaos, "chaos"),
            (self.buggify, "buggify"),
        ] {
            if on {
                write!(f, " {flag}")?;
            }
        }
        if let Some(n) = self.max_steps {
            write!(f, " max_steps={n}")?;
        }
        if let Some(d) = self.max_time {
            write!(f, " max_time={}", duration_word(d))?;
        }
        if let Some(n) = self.blocking_threads {
            write!(f, " blocking_threads={n}")?;
        }
        if let Some(p) = self.unobserved_panic {
            let word = match p {
                PanicPolicy::Fail => "fail",
                PanicPolicy::Ignore => "ignore",
            };
            write!(f, " unobserved_panic={word}")?;
        }
        Ok(())
    }
}

/// A duration as one word humantime reads back exactly: whole milliseconds, else nanoseconds.
fn duration_word(d: Duration) -> String {
    let nanos = d.as_nanos();
    if nanos % 1_000_000 == 0 {
        format!("{}ms", nanos / 1_000_000)
    } else {
        format!("{nanos}ns")
    }
}

impl FromStr for ReplayToken {
    type Err = String;

    fn from_str(text: &str) -> Result<ReplayToken, String> {
        let mut words = text.split_whitespace();
        match words.next() {
            Some(VERSION) => {}
            Some(other) => {
                return Err(format!(
                    "a replay token starts with `{VERSION}`, not `{other}` (printed by another \
                     version of sim? run the failing test again to get a token for this one)"
                ));
            }
            None => return Err("an empty replay token".to_string()),
        }
        let mut token = ReplayToken::new(String::new(), 0, Strategy::Random);
        let (mut test, mut seed, mut strategy) = (false, false, false);
        let mut last = None;
        for word in words {
            let (key, value) = match word.split_once('=') {
                Some((key, value)) => (key, Some(value)),
                None => (word, None),
            };
            let Some(rank) = KEYS.iter().position(|k| *k == key) else {
                return Err(format!(
                    "unknown key `{key}` in the replay token; known keys: {}",
                    KEYS.join(", ")
                ));
            };
            if last.is_some_and(|l| rank <= l) {
                return Err(format!(
                    "`{key}` is out of place in the replay token: keys come once each, in the \
                     order {}",
                    KEYS.join(", ")
                ));
            }
            last = Some(rank);
            let needs_value = !matches!(key, "twice" | "chaos" | "buggify");
            let value = match (value, needs_value) {
                (Some(v), true) => v,
                (None, false) => "",
                (None, true) => return Err(format!("`{key}` needs a value: `{key}=...`")),
                (Some(_), false) => return Err(format!("`{key}` is a flag and takes no value")),
            };
            let bad = |e: String| format!("`{key}={value}`: {e}");
            match key {
                "test" => {
                    token.test = value.to_string();
                    test = true;
                }
                "seed" => {
                    token.seed = parse_seed(value).map_err(bad)?;
                    seed = true;
                }
                "strategy" => {
                    token.strategy = value.parse().map_err(|e| bad(format!("{e}")))?;
                    strategy = true;
                }
                "horizon" => token.horizon = Some(number(value).map_err(bad)?),
                "schedule" => {
                    token.schedule = Some(value.parse().map_err(|e| bad(format!("{e}")))?);
                }
                "inject" => token.inject = Some(number(value).map_err(bad)?),
                "twice" => token.twice = true,
                "chaos" => token.chaos = true,
                "buggify" => token.buggify = true,
                "max_steps" => token.max_steps = Some(number(value).map_err(bad)?),
                "max_time" => token.max_time = Some(parse_duration(value).map_err(bad)?),
                "blocking_threads" => {
                    token.blocking_threads = Some(number(value).map_err(bad)? as usize);
                }
                "unobserved_panic" => {
                    token.unobserved_panic = Some(match value {
                        "fail" => PanicPolicy::Fail,
                        "ignore" => PanicPolicy::Ignore,
                        _ => return Err(bad("expected `fail` or `ignore`".to_string())),
                    });
                }
                _ => unreachable!("every key of KEYS is handled"),
            }
        }
        for (present, key) in [(test, "test"), (seed, "seed"), (strategy, "strategy")] {
            if !present {
                return Err(format!("the replay token has no `{key}=`"));
            }
        }
        Ok(token)
    }
}

fn number(value: &str) -> Result<u64, String> {
    value
        .parse()
        .map_err(|_| "expected a non-negative integer".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_reads_back_as_it_was_written() {
        let mut full = ReplayToken::new("bank::transfer", 0x2a, Strategy::Pct { depth: 3 });
        full.horizon = Some(57);
        full.schedule = Some("v1:0*3,1".parse().unwrap());
        full.inject = Some(4);
        full.twice = true;
        full.chaos = true;
        full.buggify = true;
        full.max_steps = Some(1000);
        full.max_time = Some(Duration::from_millis(1500));
        full.blocking_threads = Some(2);
        full.unobserved_panic = Some(PanicPolicy::Ignore);
        let text = full.to_string();
        assert_eq!(
            text,
            "v1 test=bank::transfer seed=0x2a strategy=pct:3 horizon=57 schedule=v1:0*3,1 \
             inject=4 twice chaos buggify max_steps=1000 max_time=1500ms blocking_threads=2 \
             unobserved_panic=ignore"
        );
        assert_eq!(text.parse::<ReplayToken>().unwrap(), full);
        let plain = ReplayToken::new("t", 7, Strategy::Random);
        assert_eq!(plain.to_string(), "v1 test=t seed=0x7 strategy=random");
        assert_eq!(plain.to_string().parse::<ReplayToken>().unwrap(), plain);
        let mut odd = plain.clone();
        odd.max_time = Some(Duration::from_nanos(1_000_001));
        assert_eq!(odd.to_string().parse::<ReplayToken>().unwrap(), odd);
    }

    #[test]
    fn a_malformed_token_says_what_is_wrong() {
        let err = |text: &str| text.parse::<ReplayToken>().unwrap_err();
        assert!(err("").contains("empty"));
        assert!(err("v9 test=t seed=1 strategy=fifo").contains("starts with `v1`, not `v9`"));
        assert!(err("v1 test=t seed=1 strategy=fifo colour=red").contains("unknown key `colour`"));
        assert!(err("v1 seed=1 test=t strategy=fifo").contains("`test` is out of place"));
        assert!(err("v1 test=t strategy=fifo").contains("no `seed=`"));
        assert!(err("v1 test=t seed=x strategy=fifo").contains("`seed=x`"));
        assert!(err("v1 test=t seed=1 strategy=lifo").contains("unknown strategy `lifo`"));
        assert!(err("v1 test=t seed=1 strategy=fifo chaos=1").contains("a flag"));
        assert!(err("v1 test=t seed=1 strategy=fifo inject").contains("needs a value"));
    }
}
