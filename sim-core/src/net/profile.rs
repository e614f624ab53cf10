//! Fault profiles: faults drawn at random for a run, so that each seed tests a different mix
//! (swarm testing). A profile names the fault kinds that may occur; at
//! [`set_fault_profile`] the seed picks which of them are on for this run, with what rates,
//! and a fault task then injects the timed faults (partitions, holds, crashes) until the
//! profile's window ends, after which the network is whole again and the run is quiet.
//!
//! Each timed fault is a recorded decision (taken or not, at each opportunity), so a shrunk
//! failure keeps only the timed faults it needs, as it keeps only the lost datagrams it needs.

use std::fmt;
use std::panic::Location;
use std::rc::Rc;
use std::time::Duration;

use super::fabric::Net;
use super::link::{Latency, Link};
use crate::engine::{Core, NO_GROUP, context};
use crate::node::{self, NodeId, NodeStatus};
use crate::record::DecisionKind;
use crate::task::JoinHandle;

/// Which faults a run may draw, and for how long it injects the timed ones.
///
/// ```
/// use sim::net::{self, FaultProfile};
/// use std::time::Duration;
///
/// sim::Runtime::new(4).block_on(async {
///     let _a = sim::node::Builder::new("a").build();
///     let _b = sim::node::Builder::new("b").build();
///     let drawn = net::set_fault_profile(FaultProfile::swarm().window(Duration::from_secs(5)));
///     println!("this seed runs with {drawn}");
///     net::quiet().await; // the window is over and the network whole
///     assert!(!net::is_partitioned(_a, _b));
/// }).unwrap();
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FaultProfile {
    loss: bool,
    duplicate: bool,
    long_tail: bool,
    partitions: bool,
    holds: bool,
    crashes: bool,
    window: Duration,
}

impl FaultProfile {
    /// No fault: the default of every run.
    pub fn none() -> FaultProfile {
        FaultProfile {
            loss: false,
            duplicate: false,
            long_tail: false,
            partitions: false,
            holds: false,
            crashes: false,
            window: Duration::from_secs(10),
        }
    }

    /// Every kind but crashes may be drawn: datagram loss (0.1–10 %), duplication
    /// (0.1–3 %), long-tailed latency, partitions (one-way or both ways, up to 5 s) and holds
    /// (up to 1 s). Each seed turns each kind on with probability one half.
    pub fn swarm() -> FaultProfile {
        FaultProfile {
            loss: true,
            duplicate: true,
            long_tail: true,
            partitions: true,
            holds: true,
            crashes: false,
            window: Duration::from_secs(10),
        }
    }

    /// Whether node crashes may be drawn too: a node crashed at random and restarted up to
    /// 2 s later (its `init` runs again). Off in [`swarm`](Self::swarm): a program must be
    /// written to restart for this to make sense.
    pub fn crashes(mut self, on: bool) -> FaultProfile {
        self.crashes = on;
        self
    }

    /// How long timed faults are injected, from the moment the profile is set (10 s by
    /// default). After it, every partition is repaired, every hold released and every node
    /// the profile crashed restarted.
    pub fn window(mut self, window: Duration) -> FaultProfile {
        self.window = window;
        self
    }
}

/// What a seed drew from a [`FaultProfile`]: the fault kinds on for this run.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct DrawnFaults {
    /// The chance a datagram is lost (0 when loss is off).
    pub loss: f64,
    /// The chance a datagram is copied.
    pub duplicate: f64,
    /// Whether latencies are long-tailed (1 ms plus an exponential of mean 20 ms, at most 1 s).
    pub long_tail: bool,
    /// Whether partitions are injected.
    pub partitions: bool,
    /// Whether holds are injected.
    pub holds: bool,
    /// Whether crashes are injected.
    pub crashes: bool,
}

impl fmt::Display for DrawnFaults {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut kinds = Vec::new();
        if self.loss > 0.0 {
            kinds.push(format!("loss {:.2}%", self.loss * 100.0));
        }
        if self.duplicate > 0.0 {
            kinds.push(format!("duplication {:.2}%", self.duplicate * 100.0));
        }
        for (on, name) in [
            (self.long_tail, "long-tailed latency"),
            (self.partitions, "partitions"),
            (self.holds, "holds"),
            (self.crashes, "crashes"),
        ] {
            if on {
                kinds.push(name.to_string());
            }
        }
        if kinds.is_empty() {
            f.write_str("no faults")
        } else {
            f.write_str(&kinds.join(", "))
        }
    }
}

/// Draws this run's faults from `profile`: the datagram faults and latency go into the
/// default link, and a fault task injects the timed ones until the window ends. Call it
/// once, at the start of the test, after building the nodes (the timed faults pick among the
/// nodes that exist when each is injected). Returns what was drawn.
///
/// # Panics
///
/// Outside a running simulation, or if a profile was already set in this run.
///
/// ```
/// use sim::net::{self, FaultProfile};
///
/// sim::Runtime::new(0).block_on(async {
///     assert_eq!(net::set_fault_profile(FaultProfile::none()).to_string(), "no faults");
/// }).unwrap();
/// ```
#[track_caller]
pub fn set_fault_profile(profile: FaultProfile) -> DrawnFaults {
    let at = Location::caller();
    context::with_core("sim::net::set_fault_profile", |core| {
        let net = Net::of(core);
        let drawn = {
            let mut f = net.0.borrow_mut();
            assert!(
                !f.profile_set,
                "sim::net::set_fault_profile: a fault profile is already set in this run"
            );
            f.profile_set = true;
            let mut coin = |on: bool| on && f.rng.below(2) == 0;
            let (loss, duplicate) = (coin(profile.loss), coin(profile.duplicate));
            let (long_tail, partitions) = (coin(profile.long_tail), coin(profile.partitions));
            let (holds, crashes) = (coin(profile.holds), coin(profile.crashes));
            let mut rate = |on: bool, low: f64, high: f64| {
                if on {
                    low * (high / low).powf(f.rng.unit())
                } else {
                    0.0
                }
            };
            let (loss, duplicate) = (rate(loss, 0.001, 0.1), rate(duplicate, 0.001, 0.03));
            let mut link = Link::new().loss(loss).duplicate(duplicate);
            if long_tail {
                link = link.latency(Latency::long_tail(
                    Duration::from_millis(1),
                    Duration::from_millis(20),
                    Duration::from_secs(1),
                ));
            }
            f.default_link = link;
            DrawnFaults {
                loss,
                duplicate,
                long_tail,
                partitions,
                holds,
                crashes,
            }
        };
        tracing::debug!(target: "sim::net", faults = %drawn, "fault profile drawn");
        let timed = drawn.partitions || drawn.holds || drawn.crashes;
        if timed {
            net.0.borrow_mut().faults_running = true;
            let until = core.now().saturating_add(profile.window);
            let task = inject(Rc::clone(&net), drawn.clone(), until);
            let name: Rc<str> = Rc::from("sim::net faults");
            let ready = core.spawn_in(NO_GROUP, task, Some(name), at);
            drop(JoinHandle::<()>::new(Rc::clone(core), ready));
        }
        drawn
    })
}

/// A timed fault, as the fault task injects it.
#[derive(Debug, Clone, Copy)]
enum Timed {
    Partition { a: NodeId, b: NodeId, oneway: bool },
    Hold { a: NodeId, b: NodeId },
    Crash { node: NodeId },
}

/// The fault task: at each opportunity (every 100 ms to 2 s), a recorded decision whether to
/// inject a fault; each fault lasts its drawn time and is undone before the next.
async fn inject(net: Rc<Net>, drawn: DrawnFaults, until: crate::record::Instant) {
    let core = context::with_core("sim::net faults", Rc::clone);
    let mut kinds = Vec::new();
    for (on, kind) in [(drawn.partitions, 0), (drawn.holds, 1), (drawn.crashes, 2)] {
        if on {
            kinds.push(kind);
        }
    }
    loop {
        let gap = draw_ms(&net, 100, 2_000);
        if core.now().saturating_add(gap) >= until {
            break;
        }
        crate::time::sleep(gap).await;
        if core.choose_rare(DecisionKind::Net, 2, 0.5) == 0 {
            continue;
        }
        let nodes: Vec<NodeId> = node::all()
            .into_iter()
            .filter(|&n| node::status(n) != NodeStatus::Down)
            .collect();
        let kind = kinds[pick(&net, kinds.len())];
        let Some(fault) = choose(&net, kind, &nodes) else {
            continue;
        };
        let lasts = match fault {
            Timed::Hold { .. } => draw_ms(&net, 10, 1_000),
            Timed::Partition { .. } => draw_ms(&net, 100, 5_000),
            Timed::Crash { .. } => draw_ms(&net, 0, 2_000),
        };
        let lasts = lasts.min(until.saturating_duration_since(core.now()));
        apply(&core, &net, fault, lasts, true);
        crate::time::sleep(lasts).await;
        apply(&core, &net, fault, lasts, false);
    }
    let mut f = net.0.borrow_mut();
    f.faults_running = false;
    let waiters: Vec<_> = f.quiet_waiters.drain(..).collect();
    drop(f);
    waiters.into_iter().for_each(std::task::Waker::wake);
}

fn draw_ms(net: &Net, low: u64, high: u64) -> Duration {
    let span = (high - low) as u32 + 1;
    Duration::from_millis(low + u64::from(net.0.borrow_mut().rng.below(span)))
}

fn pick(net: &Net, n: usize) -> usize {
    net.0.borrow_mut().rng.below(n as u32) as usize
}

fn choose(net: &Net, kind: u8, nodes: &[NodeId]) -> Option<Timed> {
    if nodes.is_empty() || (kind != 2 && nodes.len() < 2) {
        return None;
    }
    let i = pick(net, nodes.len());
    let a = nodes[i];
    // Another node: an index among the others, skipping `a`'s.
    let j = if nodes.len() > 1 {
        let j = pick(net, nodes.len() - 1);
        if j >= i { j + 1 } else { j }
    } else {
        i
    };
    let b = nodes[j];
    Some(match kind {
        0 => Timed::Partition {
            a,
            b,
            oneway: pick(net, 4) == 0,
        },
        1 => Timed::Hold { a, b },
        _ => Timed::Crash { node: a },
    })
}

/// Starts (`begin`) or ends a timed fault, and logs it.
fn apply(core: &Core, net: &Net, fault: Timed, lasts: Duration, begin: bool) {
    let at = core.now().since_start();
    let line = match (fault, begin) {
        (Timed::Partition { a, b, oneway }, true) => {
            if oneway {
                super::partition_oneway(a, b);
            } else {
                super::partition(a, b);
            }
            let arrow = if oneway { "->" } else { "<->" };
            Some(format!("{at:?}: partition {a} {arrow} {b} for {lasts:?}"))
        }
        (Timed::Partition { a, b, .. }, false) => {
            super::repair(a, b);
            None
        }
        (Timed::Hold { a, b }, true) => {
            super::hold(a, b);
            Some(format!("{at:?}: hold {a} <-> {b} for {lasts:?}"))
        }
        (Timed::Hold { a, b }, false) => {
            super::release(a, b);
            None
        }
        (Timed::Crash { node: n }, true) => {
            node::crash(n);
            Some(format!("{at:?}: crash {n}, restarted after {lasts:?}"))
        }
        (Timed::Crash { node: n }, false) => {
            if node::status(n) == NodeStatus::Down {
                node::restart(n);
            }
            None
        }
    };
    if let Some(line) = line {
        tracing::debug!(target: "sim::net", fault = %line, "fault");
        net.0.borrow_mut().fault_log.push(line);
    }
}
