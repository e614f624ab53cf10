//! Links: how long a message takes between two hosts, and how often a datagram is lost or
//! copied on the way.

use std::time::Duration;

use crate::sched::SimRng;

/// How long a message spends on a link, drawn from the run's seed for each message.
///
/// ```
/// use sim::net::Latency;
/// use std::time::Duration;
///
/// let lan = Latency::uniform(Duration::from_micros(200), Duration::from_millis(1));
/// let wan = Latency::long_tail(Duration::from_millis(20), Duration::from_millis(5), Duration::from_secs(2));
/// let fixed = Latency::fixed(Duration::from_millis(3));
/// # let _ = (lan, wan, fixed);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Latency(Shape);

#[derive(Debug, Clone, Copy, PartialEq)]
enum Shape {
    Fixed(Duration),
    Uniform(Duration, Duration),
    /// `min` plus an exponential with mean `mean`, capped at `max`.
    LongTail {
        min: Duration,
        mean: Duration,
        max: Duration,
    },
}

impl Latency {
    /// Every message takes `d`.
    pub fn fixed(d: Duration) -> Latency {
        Latency(Shape::Fixed(d))
    }

    /// Uniform between `min` and `max` (inclusive).
    ///
    /// # Panics
    ///
    /// If `min > max`.
    pub fn uniform(min: Duration, max: Duration) -> Latency {
        assert!(
            min <= max,
            "sim::net::Latency::uniform: min {min:?} is above max {max:?}"
        );
        Latency(Shape::Uniform(min, max))
    }

    /// Mostly near `min`, sometimes far beyond it: `min` plus an exponentially distributed
    /// delay with mean `mean`, never above `max` (a network with rare long stalls).
    ///
    /// # Panics
    ///
    /// If `min > max`.
    pub fn long_tail(min: Duration, mean: Duration, max: Duration) -> Latency {
        assert!(
            min <= max,
            "sim::net::Latency::long_tail: min {min:?} is above max {max:?}"
        );
        Latency(Shape::LongTail { min, mean, max })
    }

    /// The smallest latency this can give.
    pub fn min(&self) -> Duration {
        match self.0 {
            Shape::Fixed(d) => d,
            Shape::Uniform(min, _) | Shape::LongTail { min, .. } => min,
        }
    }

    pub(super) fn sample(&self, rng: &mut SimRng) -> Duration {
        match self.0 {
            Shape::Fixed(d) => d,
            Shape::Uniform(min, max) => {
                let span = (max - min).as_nanos() as u64;
                if span == 0 {
                    return min;
                }
                let x = ((u128::from(rng.next_u64()) * u128::from(span + 1)) >> 64) as u64;
                min + Duration::from_nanos(x)
            }
            Shape::LongTail { min, mean, max } => {
                let u = 1.0 - rng.unit(); // in (0, 1]
                let extra = -u.ln() * mean.as_secs_f64();
                (min + Duration::from_secs_f64(extra.min((max - min).as_secs_f64()))).min(max)
            }
        }
    }
}

/// What a link between two hosts does to messages: its latency, and for datagrams the chance
/// of loss and of duplication. Streams are reliable and ordered whatever the link; only their
/// latency comes from it.
///
/// Loss and duplication are *decisions* of the run: recorded in its schedule, replayed with
/// it, and pulled back to "delivered once" by shrinking, so a shrunk failure keeps only the
/// faults it needs.
///
/// ```
/// use sim::net::{Latency, Link};
/// use std::time::Duration;
///
/// let flaky = Link::new()
///     .latency(Latency::uniform(Duration::from_millis(1), Duration::from_millis(50)))
///     .loss(0.05)
///     .duplicate(0.01);
/// assert_eq!(flaky.loss_rate(), 0.05);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Link {
    latency: Latency,
    loss: f64,
    duplicate: f64,
}

impl Default for Link {
    fn default() -> Link {
        Link::new()
    }
}

impl Link {
    /// The default link: latency uniform in 1–5 ms, no loss, no duplication.
    pub fn new() -> Link {
        Link {
            latency: Latency::uniform(Duration::from_millis(1), Duration::from_millis(5)),
            loss: 0.0,
            duplicate: 0.0,
        }
    }

    /// The latency of each message.
    pub fn latency(mut self, latency: Latency) -> Link {
        self.latency = latency;
        self
    }

    /// The chance that a datagram is lost.
    ///
    /// # Panics
    ///
    /// If `p` is not in `0.0..=1.0`.
    pub fn loss(mut self, p: f64) -> Link {
        assert!(
            (0.0..=1.0).contains(&p),
            "sim::net::Link::loss: {p} is not a probability"
        );
        self.loss = p;
        self
    }

    /// The chance that a datagram arrives twice (the copy with its own latency).
    ///
    /// # Panics
    ///
    /// If `p` is not in `0.0..=1.0`.
    pub fn duplicate(mut self, p: f64) -> Link {
        assert!(
            (0.0..=1.0).contains(&p),
            "sim::net::Link::duplicate: {p} is not a probability"
        );
        self.duplicate = p;
        self
    }

    /// The chance of loss.
    pub fn loss_rate(&self) -> f64 {
        self.loss
    }

    /// The chance of duplication.
    pub fn duplicate_rate(&self) -> f64 {
        self.duplicate
    }

    /// The latency distribution.
    pub fn latency_of(&self) -> Latency {
        self.latency
    }
}
