//! The record of a run's scheduling decisions, and its printable form.
//!
//! A *decision* is made whenever the runtime has more than one option: which runnable task to
//! poll next, or which of several timers due at the same instant fires next. A decision is
//! stored as the index of the option taken, in the order the runtime presents the options (see
//! `docs/architecture.md`). Steps with a single option are not recorded, so a schedule is as
//! short as the run's real nondeterminism.
//!
//! Printed form: `v1:` followed by comma-separated decisions; a run of `k` equal decisions `d`
//! is written `d*k`. Example: `v1:0*5,2,1,0*3`. The empty schedule is `v1:`.
//!
//! In memory a decision takes one byte while every decision of the run is below 256 (runs with
//! fewer than 256 tasks runnable at once, which is nearly all of them); the first larger one
//! widens the whole record to four bytes per decision. So a sequence of decisions has exactly
//! one representation (narrow unless some decision needs four bytes), and equality and hashing
//! can work on the stored bytes.

use std::cell::RefCell;
use std::fmt;
use std::str::FromStr;

use crate::spare;

/// The scheduling decisions of one run, printable and parseable for replay.
///
/// Get one from [`Runtime::schedule`](crate::Runtime::schedule), print it, and hand it back as
/// [`Strategy::Replay`](crate::Strategy::Replay) to reproduce the run exactly.
///
/// # Examples
///
/// ```
/// use sim::Schedule;
///
/// let schedule: Schedule = "v1:0*3,2,1".parse().unwrap();
/// assert_eq!(schedule.decisions(), [0, 0, 0, 2, 1]);
/// assert_eq!(schedule.to_string(), "v1:0*3,2,1");
/// assert!("v2:1".parse::<Schedule>().is_err());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Schedule {
    decisions: Decisions,
}

/// The stored decisions: a byte each until one needs more. `Wide` holds at least one decision
/// of 256 or more (the canonical form that derived equality and hashing rely on).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Decisions {
    Narrow(Vec<u8>),
    Wide(Vec<u32>),
}

impl Default for Decisions {
    fn default() -> Decisions {
        Decisions::Narrow(Vec::new())
    }
}

const PREFIX: &str = "v1:";

/// The largest decision buffer kept for the next run on the thread.
const RECYCLE_MAX: usize = 64 * 1024;

thread_local! {
    static SPARE: RefCell<Option<Vec<u8>>> = const { RefCell::new(None) };
}

impl Schedule {
    /// A schedule made of the given decisions.
    ///
    /// ```
    /// let s = sim::Schedule::from_decisions(vec![1, 0, 0]);
    /// assert_eq!(s.to_string(), "v1:1,0*2");
    /// ```
    pub fn from_decisions(decisions: Vec<u32>) -> Schedule {
        let narrow: Option<Vec<u8>> = decisions.iter().map(|&d| u8::try_from(d).ok()).collect();
        Schedule {
            decisions: match narrow {
                Some(bytes) => Decisions::Narrow(bytes),
                None => Decisions::Wide(decisions),
            },
        }
    }

    /// The decisions, in the order they were made (a copy; see [`Schedule::iter`]).
    ///
    /// ```
    /// assert!(sim::Schedule::default().decisions().is_empty());
    /// ```
    pub fn decisions(&self) -> Vec<u32> {
        self.iter().collect()
    }

    /// The decisions, in the order they were made.
    ///
    /// ```
    /// let s: sim::Schedule = "v1:1,0*2".parse().unwrap();
    /// assert_eq!(s.iter().sum::<u32>(), 1);
    /// ```
    pub fn iter(&self) -> impl ExactSizeIterator<Item = u32> + '_ {
        let (narrow, wide) = match &self.decisions {
            Decisions::Narrow(v) => (&v[..], &[][..]),
            Decisions::Wide(v) => (&[][..], &v[..]),
        };
        // One of the two is empty; chaining them keeps a single iterator type.
        ExactChain(narrow.iter().map(|&d| u32::from(d)), wide.iter().copied())
    }

    /// The decision at `index`, if the schedule has that many.
    ///
    /// ```
    /// let s: sim::Schedule = "v1:0*2,7".parse().unwrap();
    /// assert_eq!((s.get(2), s.get(3)), (Some(7), None));
    /// ```
    pub fn get(&self, index: usize) -> Option<u32> {
        match &self.decisions {
            Decisions::Narrow(v) => v.get(index).map(|&d| u32::from(d)),
            Decisions::Wide(v) => v.get(index).copied(),
        }
    }

    /// How many decisions the schedule holds.
    ///
    /// ```
    /// assert_eq!("v1:0*4".parse::<sim::Schedule>().unwrap().len(), 4);
    /// ```
    pub fn len(&self) -> usize {
        match &self.decisions {
            Decisions::Narrow(v) => v.len(),
            Decisions::Wide(v) => v.len(),
        }
    }

    /// Whether the schedule holds no decision at all.
    ///
    /// ```
    /// assert!("v1:".parse::<sim::Schedule>().unwrap().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// An empty schedule with room for `capacity` decisions.
    pub(crate) fn with_capacity(capacity: usize) -> Schedule {
        Schedule {
            decisions: Decisions::Narrow(Vec::with_capacity(capacity)),
        }
    }

    /// An empty schedule for a new run: the buffer of the last run's schedule recycled on
    /// this thread (see [`crate::spare`]), or a new one with room for `capacity` decisions.
    pub(crate) fn for_run(capacity: usize) -> Schedule {
        match spare::take(&SPARE) {
            Some(bytes) => Schedule {
                decisions: Decisions::Narrow(bytes),
            },
            None => Schedule::with_capacity(capacity),
        }
    }

    /// Hands this schedule's buffer, emptied, to the next run on this thread (a runtime's
    /// schedule is dropped with it; a check builds a runtime per seed).
    pub(crate) fn recycle(&mut self) {
        if let Decisions::Narrow(bytes) = &mut self.decisions
            && bytes.capacity() <= RECYCLE_MAX
        {
            let mut bytes = std::mem::take(bytes);
            bytes.clear();
            spare::keep(&SPARE, bytes);
        }
    }

    #[inline(always)]
    pub(crate) fn push(&mut self, decision: u32) {
        match &mut self.decisions {
            Decisions::Narrow(v) if decision < 256 => v.push(decision as u8),
            Decisions::Wide(v) => v.push(decision),
            Decisions::Narrow(_) => self.widen_and_push(decision),
        }
    }

    #[cold]
    #[inline(never)]
    fn widen_and_push(&mut self, decision: u32) {
        let mut wide: Vec<u32> = self.iter().collect();
        wide.push(decision);
        self.decisions = Decisions::Wide(wide);
    }
}

/// Two iterators one after the other, with an exact length (std's `Chain` has none).
struct ExactChain<A, B>(A, B);

impl<A: Iterator<Item = u32>, B: Iterator<Item = u32>> Iterator for ExactChain<A, B> {
    type Item = u32;

    fn next(&mut self) -> Option<u32> {
        self.0.next().or_else(|| self.1.next())
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let (a, b) = (self.0.size_hint().0, self.1.size_hint().0);
        (a + b, Some(a + b))
    }
}

impl<A: ExactSizeIterator<Item = u32>, B: ExactSizeIterator<Item = u32>> ExactSizeIterator
    for ExactChain<A, B>
{
}

impl fmt::Display for Schedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(PREFIX)?;
        let decisions = self.decisions();
        let mut rest = &decisions[..];
        let mut first = true;
        while let Some(&d) = rest.first() {
            let run = rest.iter().take_while(|&&x| x == d).count();
            if !first {
                f.write_str(",")?;
            }
            first = false;
            if run > 1 {
                write!(f, "{d}*{run}")?;
            } else {
                write!(f, "{d}")?;
            }
            rest = &rest[run..];
        }
        Ok(())
    }
}

/// Why a string is not a [`Schedule`].
///
/// ```
/// let err = "v1:3,x".parse::<sim::Schedule>().unwrap_err();
/// assert_eq!(err.to_string(), "malformed schedule at byte 5: expected a decision number, found `x`");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseScheduleError {
    offset: usize,
    problem: String,
}

impl ParseScheduleError {
    /// The byte offset in the input where the problem was found.
    ///
    /// ```
    /// let err = "v9:1".parse::<sim::Schedule>().unwrap_err();
    /// assert_eq!(err.offset(), 0);
    /// ```
    pub fn offset(&self) -> usize {
        self.offset
    }
}

impl fmt::Display for ParseScheduleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "malformed schedule at byte {}: {}",
            self.offset, self.problem
        )
    }
}

impl std::error::Error for ParseScheduleError {}

fn parse_number(token: &str, offset: usize, what: &str) -> Result<u32, ParseScheduleError> {
    if token.is_empty() || !token.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ParseScheduleError {
            offset,
            problem: format!("expected {what}, found `{token}`"),
        });
    }
    token.parse().map_err(|_| ParseScheduleError {
        offset,
        problem: format!("{what} `{token}` does not fit in 32 bits"),
    })
}

impl FromStr for Schedule {
    type Err = ParseScheduleError;

    fn from_str(s: &str) -> Result<Schedule, ParseScheduleError> {
        let trimmed = s.trim();
        let lead = s.len() - s.trim_start().len();
        let Some(body) = trimmed.strip_prefix(PREFIX) else {
            let found: String = trimmed.chars().take(8).collect();
            return Err(ParseScheduleError {
                offset: lead,
                problem: format!("expected the version prefix `{PREFIX}`, found `{found}`"),
            });
        };
        let mut decisions = Vec::new();
        let mut offset = lead + PREFIX.len();
        if body.is_empty() {
            return Ok(Schedule::from_decisions(decisions));
        }
        for token in body.split(',') {
            let (value, count) = match token.split_once('*') {
                Some((value, count)) => {
                    let d = parse_number(value, offset, "a decision number")?;
                    let n = parse_number(count, offset + value.len() + 1, "a repeat count")?;
                    if n == 0 {
                        return Err(ParseScheduleError {
                            offset: offset + value.len() + 1,
                            problem: "a repeat count must be at least 1".to_string(),
                        });
                    }
                    (d, n)
                }
                None => (parse_number(token, offset, "a decision number")?, 1),
            };
            decisions.extend(std::iter::repeat_n(value, count as usize));
            offset += token.len() + 1;
        }
        Ok(Schedule::from_decisions(decisions))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_large_decision_widens_the_record_without_changing_it() {
        let mut s = Schedule::with_capacity(4);
        for d in [0, 3, 255] {
            s.push(d);
        }
        assert!(matches!(s.decisions, Decisions::Narrow(_)));
        s.push(256);
        s.push(1);
        assert!(matches!(s.decisions, Decisions::Wide(_)));
        assert_eq!(s.decisions(), [0, 3, 255, 256, 1]);
        assert_eq!((s.len(), s.get(3), s.get(5)), (5, Some(256), None));
        assert_eq!(s.to_string(), "v1:0,3,255,256,1");
        assert_eq!(s.to_string().parse::<Schedule>().unwrap(), s);
    }

    #[test]
    fn each_sequence_has_one_representation() {
        use std::hash::{DefaultHasher, Hash, Hasher};
        let built = Schedule::from_decisions(vec![1, 2]);
        let mut pushed = Schedule::with_capacity(0);
        pushed.push(1);
        pushed.push(2);
        assert!(matches!(built.decisions, Decisions::Narrow(_)));
        assert_eq!(built, pushed);
        let hash = |s: &Schedule| {
            let mut h = DefaultHasher::new();
            s.hash(&mut h);
            h.finish()
        };
        assert_eq!(hash(&built), hash(&pushed));
        assert_ne!(built, Schedule::from_decisions(vec![1, 2, 0]));
        let wide = Schedule::from_decisions(vec![300, 1]);
        assert!(matches!(wide.decisions, Decisions::Wide(_)));
        assert_eq!(wide, "v1:300,1".parse().unwrap());
    }

    #[test]
    fn round_trips() {
        for d in [
            vec![],
            vec![0],
            vec![0, 0, 1, 1, 1, 7, 0],
            vec![u32::MAX, 3],
        ] {
            let s = Schedule::from_decisions(d.clone());
            let back: Schedule = s.to_string().parse().unwrap();
            assert_eq!(back.decisions(), d, "{s}");
        }
    }

    #[test]
    fn errors_name_the_problem() {
        let cases = [
            ("", 0, "version prefix"),
            ("1,2", 0, "version prefix"),
            ("v1:1,,2", 5, "found ``"),
            ("v1:1*0", 5, "at least 1"),
            ("v1:1*", 5, "repeat count"),
            ("v1:-1", 3, "decision number"),
            ("v1:99999999999", 3, "32 bits"),
            ("v1:1,2,", 7, "found ``"),
        ];
        for (input, offset, needle) in cases {
            let err = input.parse::<Schedule>().unwrap_err();
            assert_eq!(err.offset(), offset, "{input}: {err}");
            assert!(err.to_string().contains(needle), "{input}: {err}");
        }
    }

    #[test]
    fn surrounding_whitespace_is_allowed() {
        let s: Schedule = "  v1:2*2 \n".parse().unwrap();
        assert_eq!(s.decisions(), [2, 2]);
    }
}
