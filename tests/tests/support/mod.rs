//! Helpers shared by the integration tests.
#![allow(dead_code, unreachable_pub)]

use std::cell::RefCell;
use std::future::Future;
use std::rc::Rc;
use std::time::Duration;

use sim::{Builder, Runtime, Strategy};

/// A log the tests append to from many tasks, to compare orders across runs.
#[derive(Clone, Default)]
pub struct Log(Rc<RefCell<Vec<String>>>);

impl Log {
    pub fn push(&self, entry: impl Into<String>) {
        self.0.borrow_mut().push(entry.into());
    }

    pub fn take(&self) -> Vec<String> {
        std::mem::take(&mut self.0.borrow_mut())
    }
}

/// Counts drops, to prove that a future was really dropped (and when).
#[derive(Clone, Default)]
pub struct DropCounter(Rc<RefCell<Vec<Duration>>>);

impl DropCounter {
    /// A guard that records the virtual time of its drop (or zero outside a run).
    pub fn guard(&self) -> DropGuard {
        DropGuard(self.clone())
    }

    pub fn count(&self) -> usize {
        self.0.borrow().len()
    }

    /// Virtual times at which guards were dropped.
    pub fn times(&self) -> Vec<Duration> {
        self.0.borrow().clone()
    }
}

pub struct DropGuard(DropCounter);

impl Drop for DropGuard {
    fn drop(&mut self) {
        let t = if sim::in_simulation() {
            sim::time::elapsed()
        } else {
            Duration::ZERO
        };
        self.0.0.borrow_mut().push(t);
    }
}

pub fn fifo() -> Runtime {
    Builder::new().strategy(Strategy::Fifo).build()
}

pub fn random(seed: u64) -> Runtime {
    Builder::new().seed(seed).strategy(Strategy::Random).build()
}

/// The message of a caught panic (a `&str` or a `String` payload).
pub fn panic_message(payload: Box<dyn std::any::Any + Send>) -> String {
    match payload.downcast::<String>() {
        Ok(s) => *s,
        Err(payload) => payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .expect("a string panic payload"),
    }
}

pub fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

/// Runs `test` under seeds `0..seeds`, with both strategies and chaos off and on; returns the
/// outputs, Random runs first (chaos off, then on), then Fifo runs.
pub fn on_every_schedule<T, F, Fut>(seeds: u64, test: F) -> Vec<T>
where
    F: Fn() -> Fut,
    Fut: Future<Output = T>,
{
    let mut outputs = Vec::new();
    for strategy in [Strategy::Random, Strategy::Fifo] {
        for chaos in [false, true] {
            for seed in 0..seeds {
                let mut rt = Builder::new()
                    .seed(seed)
                    .strategy(strategy.clone())
                    .chaos(chaos)
                    .build();
                match rt.block_on(test()) {
                    Ok(out) => outputs.push(out),
                    Err(e) => panic!(
                        "seed {seed}, strategy {}, chaos {chaos}: {e}",
                        strategy.name()
                    ),
                }
            }
        }
    }
    outputs
}

/// Yields until `cond` holds (bounded, so a broken program fails instead of spinning).
pub async fn yield_until(mut cond: impl FnMut() -> bool) {
    for _ in 0..10_000 {
        if cond() {
            return;
        }
        sim::task::yield_now().await;
    }
    panic!("condition never became true");
}

/// The output of an aborted task that finished first, or `None` if it was cancelled; any other
/// error (a panic, say, in a destructor run by the cancellation) fails the test.
pub fn finished_or_cancelled<T>(result: Result<T, sim::JoinError>) -> Option<T> {
    match result {
        Ok(v) => Some(v),
        Err(e) => {
            assert!(e.is_cancelled(), "not a cancellation: {e:?}");
            None
        }
    }
}

/// The value of a report line such as `  replay:   ...` (indented by two spaces): what
/// follows `key:`, trimmed.
pub fn report_line<'a>(report: &'a str, key: &str) -> &'a str {
    let prefix = format!("  {key}:");
    report
        .lines()
        .find_map(|l| l.strip_prefix(&prefix))
        .unwrap_or_else(|| panic!("no `{key}` line in:\n{report}"))
        .trim()
}

/// `command` split into words as a POSIX shell does for the commands the reports print:
/// spaces separate words, single quotes keep spaces (and `'\''` is a quote inside them).
pub fn shell_words(command: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut quoted = false;
    let mut chars = command.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                quoted = !quoted;
                in_word = true;
            }
            '\\' if !quoted => {
                if let Some(next) = chars.next() {
                    word.push(next);
                    in_word = true;
                }
            }
            c if c.is_whitespace() && !quoted => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            c => {
                word.push(c);
                in_word = true;
            }
        }
    }
    assert!(!quoted, "an unclosed quote in {command}");
    if in_word {
        words.push(word);
    }
    words
}

/// A printed replay command, `VAR=value ... cargo test <cargo args> -- <test args>`, split into
/// its variables, cargo's arguments and the test binary's arguments.
pub struct ReplayCommand {
    pub vars: Vec<(String, String)>,
    pub cargo: Vec<String>,
    pub test: Vec<String>,
}

pub fn parse_replay(command: &str) -> ReplayCommand {
    let words = shell_words(command);
    let at = words
        .iter()
        .position(|w| w == "cargo")
        .unwrap_or_else(|| panic!("no `cargo` in {command}"));
    let vars = words[..at]
        .iter()
        .map(|kv| {
            let (k, v) = kv.split_once('=').expect("VAR=value");
            (k.to_string(), v.to_string())
        })
        .collect();
    let rest = &words[at + 1..];
    let (cargo, test) = match rest.iter().position(|w| w == "--") {
        Some(dash) => (rest[..dash].to_vec(), rest[dash + 1..].to_vec()),
        None => (rest.to_vec(), Vec::new()),
    };
    ReplayCommand { vars, cargo, test }
}
