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

use std::fmt;
use std::str::FromStr;

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
/// assert_eq!(schedule.decisions(), &[0, 0, 0, 2, 1]);
/// assert_eq!(schedule.to_string(), "v1:0*3,2,1");
/// assert!("v2:1".parse::<Schedule>().is_err());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Schedule {
    decisions: Vec<u32>,
}

const PREFIX: &str = "v1:";

impl Schedule {
    /// A schedule made of the given decisions.
    ///
    /// ```
    /// let s = sim::Schedule::from_decisions(vec![1, 0, 0]);
    /// assert_eq!(s.to_string(), "v1:1,0*2");
    /// ```
    pub fn from_decisions(decisions: Vec<u32>) -> Schedule {
        Schedule { decisions }
    }

    /// The decisions, in the order they were made.
    ///
    /// ```
    /// assert!(sim::Schedule::default().decisions().is_empty());
    /// ```
    pub fn decisions(&self) -> &[u32] {
        &self.decisions
    }

    /// How many decisions the schedule holds.
    ///
    /// ```
    /// assert_eq!("v1:0*4".parse::<sim::Schedule>().unwrap().len(), 4);
    /// ```
    pub fn len(&self) -> usize {
        self.decisions.len()
    }

    /// Whether the schedule holds no decision at all.
    ///
    /// ```
    /// assert!("v1:".parse::<sim::Schedule>().unwrap().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.decisions.is_empty()
    }

    /// An empty schedule with room for `capacity` decisions.
    pub(crate) fn with_capacity(capacity: usize) -> Schedule {
        Schedule {
            decisions: Vec::with_capacity(capacity),
        }
    }

    #[inline]
    pub(crate) fn push(&mut self, decision: u32) {
        self.decisions.push(decision);
    }
}

impl fmt::Display for Schedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(PREFIX)?;
        let mut rest = &self.decisions[..];
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
            return Ok(Schedule { decisions });
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
        Ok(Schedule { decisions })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
            assert_eq!(back.decisions(), &d[..], "{s}");
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
        assert_eq!(s.decisions(), &[2, 2]);
    }
}
