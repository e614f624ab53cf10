//! Timelines of a run: which task ran at which step and virtual instant, as a Chrome trace (for
//! [Perfetto](https://ui.perfetto.dev) or `chrome://tracing`), an SVG picture, or an HTML page
//! holding the picture.
//!
//! Record a run's events with [`Builder::record_events`](crate::Builder::record_events), build a
//! [`Timeline`] from [`Runtime::events`](crate::Runtime::events), mark the step where the run
//! failed, and write the three files:
//!
//! ```
//! use sim::timeline::Timeline;
//!
//! let mut rt = sim::Builder::new().seed(1).record_events(true).build();
//! let err = rt
//!     .block_on(async {
//!         let child = sim::task::Builder::new().name("child").spawn(async {});
//!         child.await.unwrap();
//!         std::future::pending::<()>().await // never finishes: a deadlock
//!     })
//!     .unwrap_err();
//!
//! let timeline = Timeline::from_events(&rt.events()).failing_step(err.at().step);
//! let dir = std::env::temp_dir().join(format!("sim-timeline-doc-{}", std::process::id()));
//! timeline.write_to(&dir.join("deadlock")).unwrap(); // deadlock.json, .svg and .html
//! assert!(dir.join("deadlock.svg").exists());
//! # std::fs::remove_dir_all(&dir).unwrap();
//! ```
//!
//! # The layout
//!
//! A poll takes no virtual time, so a picture drawn against virtual time alone would stack every
//! poll of one instant on a single spot. The timeline therefore lays steps out on a line measured
//! in nanoseconds: **each step occupies 1 ns, starting at
//! `max(its virtual time, the end of the previous step)`**. So step `k` (from 0) of an instant at
//! virtual time `t` starts at `t + k ns`, and the polls of one instant sit side by side in step
//! order. When an instant holds more steps than there are nanoseconds before the next one, the
//! later steps are pushed right rather than overlapped, so step order is always kept; every
//! event still carries its exact virtual time.
//!
//! Events inside a step (a spawn, a task finishing) are placed on that step: a spawn at its
//! start, a completion at its end. Clock moves and timer firings between steps are placed at
//! their virtual time, or at the end of the previous step if that is later.
//!
//! - [`Timeline::chrome_trace_json`] uses this line as it is: an event's `ts` is its position in
//!   microseconds (virtual time in µs plus the step offsets, with three decimals), and a poll is
//!   a 1 ns (`"dur":0.001`) complete event.
//! - [`Timeline::svg`] draws the same line with every stretch in which no step runs shortened to
//!   a fixed gap, so that a run which sleeps an hour between two bursts still shows each poll as
//!   a bar; a tick under the lanes labels the virtual time at which each new instant begins.
//!
//! # Parts
//!
//! `timeline/mod.rs` holds the [`Timeline`] data, the layout ([`Timeline::from_events`]), the
//! failure mark and [`Timeline::write_to`]. Each rendering has its own file:
//!
//! - `chrome.rs`: [`Timeline::chrome_trace_json`];
//! - `svg.rs`: [`Timeline::svg`], drawn part by part against the picture's sizes and scale
//!   (`geometry.rs`), with the mark shapes and legend of `marks.rs`;
//! - `html.rs`: [`Timeline::html`], the page around the SVG;
//! - `text.rs`: lane labels, the summary line, label cutting, JSON and XML escaping;
//! - `tests.rs`: the unit tests.
//!
//! Invariants: lanes are kept in task-id order and steps in step order (lookups search them);
//! events are placed once, by [`Timeline::from_events`], and the writers only read the places,
//! so a timeline renders to the same bytes every time; every name from the program under test
//! is escaped for JSON or XML before it is written.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use crate::record::{Event, EventKind, Outcome};

/// Writes formatted text to a `String` (which cannot fail).
macro_rules! put {
    ($out:expr, $($arg:tt)*) => {
        $out.write_fmt(format_args!($($arg)*)).expect("writing to a String cannot fail")
    };
}

mod chrome;
mod geometry;
mod html;
mod marks;
mod svg;
#[cfg(test)]
mod tests;
mod text;

/// SVG width, in units of one step, of a stretch of virtual time in which no step runs.
const GAP_UNITS: f64 = 1.5;

/// Where an event sits in the layout (see the [module documentation](self)).
#[derive(Debug, Clone, Copy, PartialEq)]
struct Place {
    /// The event's step.
    step: u64,
    /// The event's virtual time.
    time: Duration,
    /// Position on the layout line, in nanoseconds.
    pos: u128,
    /// Position in the SVG, in units: one per step plus [`GAP_UNITS`] per idle stretch.
    unit: f64,
}

impl Place {
    /// The end of the 1 ns slot of the step at `self`.
    fn end(self) -> Place {
        Place {
            pos: self.pos + 1,
            unit: self.unit + 1.0,
            ..self
        }
    }
}

/// One task's lane.
#[derive(Debug, Clone)]
struct Lane {
    id: u64,
    name: Option<String>,
    parent: Option<u64>,
    spawned: Option<Place>,
    finished: Option<(Place, Outcome)>,
}

impl Lane {
    fn new(id: u64) -> Lane {
        Lane {
            id,
            name: None,
            parent: None,
            spawned: None,
            finished: None,
        }
    }
}

/// One step: a poll, or the drop of an aborted task's future.
#[derive(Debug, Clone, Copy)]
struct Slot {
    place: Place,
    task: u64,
    cancel: bool,
}

/// A run's events laid out as a timeline, one lane per task, ready to be written as a Chrome
/// trace, an SVG picture or an HTML page.
///
/// See the [module documentation](self) for how steps are placed.
///
/// # Examples
///
/// ```
/// use sim::timeline::Timeline;
///
/// let mut rt = sim::Builder::new().seed(3).record_events(true).build();
/// rt.block_on(async {
///     let a = sim::task::Builder::new().name("a").spawn(sim::task::yield_now());
///     let b = sim::task::Builder::new().name("b").spawn(sim::task::yield_now());
///     a.await.unwrap();
///     b.await.unwrap();
/// })
/// .unwrap();
///
/// let timeline = Timeline::from_events(&rt.events());
/// let svg = timeline.svg();
/// assert!(svg.contains("#1 a") && svg.contains("#2 b"));
/// assert!(timeline.chrome_trace_json().contains(r##""name":"#1 \"a\"""##));
/// ```
#[derive(Debug, Clone)]
pub struct Timeline {
    /// One lane per task, in id order.
    lanes: Vec<Lane>,
    /// Every step, in step order.
    slots: Vec<Slot>,
    /// Every event, in log order, with its place.
    marks: Vec<(Place, EventKind)>,
    /// The SVG unit and virtual time of each step that begins a new instant.
    ticks: Vec<(f64, Duration)>,
    /// The end of the layout: past every event.
    end: Place,
    failing_step: Option<u64>,
}

impl Timeline {
    /// Lays out a run's events (from [`Runtime::events`](crate::Runtime::events)), in the
    /// order the run recorded them.
    ///
    /// Any slice of a log works: a task first seen in a poll gets a lane without a name.
    ///
    /// ```
    /// let mut rt = sim::Builder::new().record_events(true).build();
    /// rt.block_on(async {}).unwrap();
    /// let timeline = sim::timeline::Timeline::from_events(&rt.events());
    /// assert!(timeline.svg().contains("#0 main"));
    ///
    /// let empty = sim::timeline::Timeline::from_events(&[]);
    /// assert!(empty.chrome_trace_json().starts_with("{\"traceEvents\":["));
    /// ```
    pub fn from_events(events: &[Event]) -> Timeline {
        let mut lanes: BTreeMap<u64, Lane> = BTreeMap::new();
        let mut slots: Vec<Slot> = Vec::new();
        let mut marks = Vec::with_capacity(events.len());
        let mut ticks = Vec::new();
        let mut cursor: u128 = 0; // the end of the latest step, in layout ns
        let mut unit = 0.0; // the same, in SVG units
        let mut current: Option<Place> = None; // the latest step
        let mut instant: Option<Duration> = None; // its virtual time
        let mut end_pos: u128 = 0;
        let mut end_time = Duration::ZERO;
        for event in events {
            let free = Place {
                step: event.step,
                time: event.time,
                pos: event.time.as_nanos().max(cursor),
                unit,
            };
            let in_step = current.filter(|p| p.step == event.step);
            let place = match &event.kind {
                EventKind::Polled { task } | EventKind::Cancelled { task } => {
                    if instant != Some(event.time) {
                        if !slots.is_empty() {
                            unit += GAP_UNITS;
                        }
                        ticks.push((unit, event.time));
                        instant = Some(event.time);
                    }
                    let place = Place { unit, ..free };
                    let task = task.as_u64();
                    lanes.entry(task).or_insert_with(|| Lane::new(task));
                    slots.push(Slot {
                        place,
                        task,
                        cancel: matches!(event.kind, EventKind::Cancelled { .. }),
                    });
                    cursor = place.pos + 1;
                    unit += 1.0;
                    current = Some(place);
                    place
                }
                EventKind::Spawned { task, parent, name } => {
                    let place = in_step.unwrap_or(free);
                    let id = task.as_u64();
                    let lane = lanes.entry(id).or_insert_with(|| Lane::new(id));
                    lane.name.clone_from(name);
                    lane.parent = parent.map(|p| p.as_u64());
                    lane.spawned = Some(place);
                    place
                }
                EventKind::Finished { task, outcome } => {
                    let place = in_step.map_or(free, Place::end);
                    let id = task.as_u64();
                    let lane = lanes.entry(id).or_insert_with(|| Lane::new(id));
                    lane.finished = Some((place, *outcome));
                    place
                }
                EventKind::ClockAdvanced { .. } | EventKind::TimersFired { .. } => free,
            };
            end_pos = end_pos.max(place.pos).max(cursor);
            end_time = end_time.max(event.time);
            marks.push((place, event.kind.clone()));
        }
        let end = Place {
            step: events.last().map_or(0, |e| e.step),
            time: end_time,
            pos: end_pos,
            unit,
        };
        Timeline {
            lanes: lanes.into_values().collect(),
            slots,
            marks,
            ticks,
            end,
            failing_step: None,
        }
    }

    /// Highlights the step where the run failed, such as
    /// [`SimError::at`](crate::SimError::at)`().step`.
    ///
    /// The mark goes at the end of that step (a failure found between steps, such as a
    /// deadlock, is reported with the number of the last step taken). A step past the log's
    /// last step is marked at the end of the last one.
    ///
    /// ```
    /// let mut rt = sim::Builder::new().record_events(true).build();
    /// let err = rt.block_on(std::future::pending::<()>()).unwrap_err();
    /// let timeline = sim::timeline::Timeline::from_events(&rt.events()).failing_step(err.at().step);
    /// assert!(timeline.svg().contains("failure at step 1"));
    /// assert!(timeline.chrome_trace_json().contains(r#""name":"failure""#));
    /// ```
    pub fn failing_step(mut self, step: u64) -> Timeline {
        self.failing_step = Some(step);
        self
    }

    /// The failure's place, the step it falls in, and the task polled at that step.
    fn failure(&self) -> Option<(Place, Option<Slot>)> {
        let step = self.failing_step?;
        let before = self.slots.partition_point(|s| s.place.step <= step);
        Some(match before.checked_sub(1).map(|i| self.slots[i]) {
            Some(slot) => (
                Place {
                    step,
                    ..slot.place.end()
                },
                (slot.place.step == step).then_some(slot),
            ),
            None => (
                Place {
                    step,
                    time: Duration::ZERO,
                    pos: 0,
                    unit: 0.0,
                },
                None,
            ),
        })
    }

    fn lane(&self, task: u64) -> Option<&Lane> {
        self.lanes
            .binary_search_by_key(&task, |l| l.id)
            .ok()
            .map(|i| &self.lanes[i])
    }

    /// Writes the three renderings next to each other: `<path>.json`
    /// ([Chrome trace](Timeline::chrome_trace_json)), `<path>.svg` ([picture](Timeline::svg))
    /// and `<path>.html` ([page](Timeline::html)).
    ///
    /// The suffix is appended to the whole file name, never substituted for an extension:
    /// `out/run.v2` gives `out/run.v2.json`, `out/run.v2.svg` and `out/run.v2.html`. Missing
    /// parent directories are created.
    ///
    /// ```
    /// let mut rt = sim::Builder::new().record_events(true).build();
    /// rt.block_on(async {}).unwrap();
    /// let dir = std::env::temp_dir().join(format!("sim-timeline-write-{}", std::process::id()));
    /// sim::timeline::Timeline::from_events(&rt.events()).write_to(&dir.join("run")).unwrap();
    /// for ext in ["json", "svg", "html"] {
    ///     assert!(dir.join(format!("run.{ext}")).metadata().unwrap().len() > 0);
    /// }
    /// # std::fs::remove_dir_all(&dir).unwrap();
    /// ```
    pub fn write_to(&self, path: &Path) -> std::io::Result<()> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)?;
        }
        let with = |ext: &str| {
            let mut name = path.as_os_str().to_owned();
            name.push(ext);
            std::path::PathBuf::from(name)
        };
        std::fs::write(with(".json"), self.chrome_trace_json())?;
        std::fs::write(with(".svg"), self.svg())?;
        std::fs::write(with(".html"), self.html())
    }
}
