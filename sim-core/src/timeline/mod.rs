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

use std::collections::BTreeMap;
use std::fmt::Write as _;
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
mod html;
mod text;

use chrome::outcome_name;
use text::{cut, xml};

/// SVG width, in units of one step, of a stretch of virtual time in which no step runs.
const GAP_UNITS: f64 = 1.5;
/// Width of the plot area the SVG aims for, in pixels.
const TARGET_PLOT_WIDTH: f64 = 1150.0;
/// Height of the SVG above the first lane: title, summary, legend, failure label, step axis.
const HEADER: f64 = 112.0;

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

    /// `#id "name"`, as failure reports write a task.
    fn quoted_label(&self) -> String {
        match &self.name {
            Some(name) => format!("#{} \"{name}\"", self.id),
            None => format!("#{}", self.id),
        }
    }

    /// `#id name`, the SVG's lane label.
    fn plain_label(&self) -> String {
        match &self.name {
            Some(name) => format!("#{} {name}", self.id),
            None => format!("#{}", self.id),
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

    /// A self-contained SVG picture of the run.
    ///
    /// One horizontal lane per task, labelled `#id name` on the left (labels longer than 28
    /// characters are cut; hovering shows the whole). The x axis is the [layout](self) with
    /// idle stretches shortened: ticks below the lanes give the virtual time at which each
    /// instant begins, labels above them the step numbers. Each poll is a blue bar; an aborted
    /// task's drop step an orange bar; a spawn a green triangle; a completion a green dot
    /// (returned), a red cross (panicked) or an orange square (cancelled); a legend explains
    /// the marks. The [failing step](Timeline::failing_step) gets a red vertical line and label.
    /// Axis labels are thinned so they never overlap, however many steps the run took.
    ///
    /// ```
    /// let mut rt = sim::Builder::new().record_events(true).build();
    /// rt.block_on(async { sim::spawn(async {}).await.unwrap() }).unwrap();
    /// let svg = sim::timeline::Timeline::from_events(&rt.events()).svg();
    /// assert!(svg.starts_with("<?xml"));
    /// assert!(svg.contains("<svg xmlns=\"http://www.w3.org/2000/svg\""));
    /// assert_eq!(svg.matches(r#"class="lane""#).count(), 2);
    /// ```
    pub fn svg(&self) -> String {
        let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        self.svg_element(&mut out);
        out
    }

    /// Writes the `<svg>` element.
    fn svg_element(&self, out: &mut String) {
        let n = self.lanes.len();
        let lane_h = (560.0 / n.max(1) as f64).clamp(12.0, 26.0);
        let label_font = (lane_h * 0.46).clamp(8.5, 11.5);
        let labels: Vec<String> = self.lanes.iter().map(|l| cut(&l.plain_label())).collect();
        let longest = labels.iter().map(|l| l.chars().count()).max().unwrap_or(0);
        let left = (18.0 + longest as f64 * label_font * 0.62).max(104.0);
        let units = self.end.unit.max(1.0);
        let ppu = (TARGET_PLOT_WIDTH / units).clamp(0.3, 28.0);
        let x0 = left + 10.0;
        let x = |u: f64| x0 + u * ppu;
        let plot_right = x(units);
        let width = (plot_right + 56.0).max(860.0);
        let lanes_top = HEADER;
        let lanes_bottom = lanes_top + n as f64 * lane_h;
        let axis_y = lanes_bottom + 6.0;
        let height = axis_y + 42.0;
        let center = |i: usize| lanes_top + (i as f64 + 0.5) * lane_h;
        let index: BTreeMap<u64, usize> = self
            .lanes
            .iter()
            .enumerate()
            .map(|(i, l)| (l.id, i))
            .collect();
        let r = (lane_h * 0.24).clamp(2.5, 5.5);
        let failure = self.failure();

        put!(
            out,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width:.0}\" height=\"{height:.0}\" \
             viewBox=\"0 0 {width:.0} {height:.0}\" font-family=\"DejaVu Sans Mono, Menlo, Consolas, monospace\" \
             font-size=\"11\">\n"
        );
        put!(
            out,
            "<title>sim timeline: {}</title>\n",
            xml(&self.summary())
        );
        put!(
            out,
            "<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n"
        );
        put!(
            out,
            "<text x=\"16\" y=\"24\" font-size=\"15\" font-weight=\"bold\" fill=\"#212529\">sim timeline</text>\n"
        );
        put!(
            out,
            "<text x=\"16\" y=\"44\" font-size=\"12\" fill=\"#495057\">{}</text>\n",
            xml(&self.summary())
        );
        legend(out, 16.0, 66.0);

        if n == 0 {
            put!(
                out,
                "<text x=\"16\" y=\"{:.1}\" fill=\"#868e96\">no events recorded</text>\n",
                lanes_top + 14.0
            );
            out.push_str("</svg>\n");
            return;
        }

        // Lane stripes.
        out.push_str("<g class=\"lanes\">\n");
        for (i, lane) in self.lanes.iter().enumerate() {
            let fill = if i % 2 == 0 { "#f1f3f5" } else { "#ffffff" };
            put!(
                out,
                "<rect class=\"lane\" data-task=\"{}\" x=\"8\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"{fill}\"/>\n",
                lane.id,
                lanes_top + i as f64 * lane_h,
                width - 16.0,
                lane_h
            );
        }
        out.push_str("</g>\n");

        // Grid lines where a new instant begins (thinned to one per 4 px).
        out.push_str(
            "<g class=\"grid\" stroke=\"#ced4da\" stroke-width=\"1\" stroke-dasharray=\"2 3\">\n",
        );
        let mut last_grid = f64::NEG_INFINITY;
        let tick_x = |u: f64| {
            if u > 0.0 {
                x(u - GAP_UNITS / 2.0)
            } else {
                x(u)
            }
        };
        for &(u, _) in &self.ticks {
            let gx = tick_x(u);
            if gx - last_grid >= 4.0 {
                put!(
                    out,
                    "<line x1=\"{gx:.1}\" y1=\"{lanes_top:.1}\" x2=\"{gx:.1}\" y2=\"{axis_y:.1}\"/>\n"
                );
                last_grid = gx;
            }
        }
        out.push_str("</g>\n");

        // Lifetimes, and spawn connectors from the parent's lane.
        out.push_str("<g class=\"lifetimes\" stroke=\"#adb5bd\" stroke-width=\"1.2\">\n");
        for (i, lane) in self.lanes.iter().enumerate() {
            let first_slot = self
                .slots
                .iter()
                .find(|s| s.task == lane.id)
                .map(|s| s.place.unit);
            let start = lane
                .spawned
                .map(|p| p.unit + 0.5)
                .or(first_slot)
                .unwrap_or(0.0);
            let stop = lane.finished.map_or(units, |(p, _)| p.unit);
            put!(
                out,
                "<line x1=\"{:.1}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\"/>\n",
                x(start),
                center(i),
                x(stop.max(start)),
                center(i)
            );
        }
        out.push_str("</g>\n");
        out.push_str(
            "<g class=\"spawns\" stroke=\"#a5b0bb\" stroke-width=\"0.8\" stroke-dasharray=\"2 2\">\n",
        );
        for (i, lane) in self.lanes.iter().enumerate() {
            if let (Some(place), Some(&p)) = (lane.spawned, lane.parent.and_then(|p| index.get(&p)))
            {
                let sx = x(place.unit + 0.5);
                put!(
                    out,
                    "<line x1=\"{sx:.1}\" y1=\"{:.1}\" x2=\"{sx:.1}\" y2=\"{:.1}\"/>\n",
                    center(p),
                    center(i)
                );
            }
        }
        out.push_str("</g>\n");

        // The failing step's band.
        if let Some((_, Some(slot))) = failure {
            put!(
                out,
                "<rect class=\"failure-band\" x=\"{:.1}\" y=\"{lanes_top:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"#e03131\" fill-opacity=\"0.14\"/>\n",
                x(slot.place.unit),
                ppu.max(1.0),
                lanes_bottom - lanes_top
            );
        }

        // Poll bars and drop-step bars.
        let bar_h = lane_h * 0.52;
        let bar_w = if ppu >= 3.0 {
            ppu * (0.8 - (ppu - 3.0) / 100.0)
        } else {
            ppu.max(0.6)
        };
        let bar_pad = (ppu - bar_w).max(0.0) / 2.0;
        for (cancel, class, fill) in [(false, "polls", "#3b7dd8"), (true, "drops", "#f59f00")] {
            put!(out, "<g class=\"{class}\" fill=\"{fill}\">\n");
            for slot in self.slots.iter().filter(|s| s.cancel == cancel) {
                let Some(&i) = index.get(&slot.task) else {
                    continue;
                };
                let what = if cancel {
                    "future dropped (aborted)"
                } else {
                    "poll"
                };
                put!(
                    out,
                    "<rect x=\"{:.2}\" y=\"{:.1}\" width=\"{bar_w:.2}\" height=\"{bar_h:.1}\"><title>step {} \u{b7} t={:?} \u{b7} {} \u{b7} {what}</title></rect>\n",
                    x(slot.place.unit) + bar_pad,
                    center(i) - bar_h / 2.0,
                    slot.place.step,
                    slot.place.time,
                    xml(&self.lanes[i].plain_label())
                );
            }
            out.push_str("</g>\n");
        }

        // Spawn and completion marks.
        out.push_str("<g class=\"marks\">\n");
        for (i, lane) in self.lanes.iter().enumerate() {
            let cy = center(i);
            let name = xml(&lane.plain_label());
            if let Some(place) = lane.spawned {
                let tip = format!(
                    "{name} spawned at step {} \u{b7} t={:?}",
                    place.step, place.time
                );
                mark(out, Mark::Spawned, x(place.unit + 0.5), cy, r, &tip);
            }
            if let Some((place, outcome)) = lane.finished {
                let tip = format!(
                    "{name} {} at step {} \u{b7} t={:?}",
                    outcome_name(outcome),
                    place.step,
                    place.time
                );
                mark(out, Mark::Finished(outcome), x(place.unit), cy, r, &tip);
            }
        }
        out.push_str("</g>\n");

        // Lane labels.
        out.push_str("<g class=\"labels\" text-anchor=\"end\">\n");
        let failing_task = failure.and_then(|(_, s)| s).map(|s| s.task);
        for (i, (lane, label)) in self.lanes.iter().zip(&labels).enumerate() {
            let style = if failing_task == Some(lane.id) {
                " fill=\"#c92a2a\" font-weight=\"bold\""
            } else {
                " fill=\"#212529\""
            };
            put!(
                out,
                "<text class=\"lane-label\" x=\"{:.1}\" y=\"{:.1}\" font-size=\"{label_font:.1}\"{style}>{}<title>{}</title></text>\n",
                left - 4.0,
                center(i) + label_font * 0.36,
                xml(label),
                xml(&lane.plain_label())
            );
        }
        out.push_str("</g>\n");

        // Step axis, above the lanes.
        let step_y = lanes_top - 6.0;
        put!(
            out,
            "<g class=\"step-axis\" font-size=\"10\" fill=\"#868e96\">\n<text x=\"{:.1}\" y=\"{step_y:.1}\" text-anchor=\"end\">step</text>\n",
            left - 4.0
        );
        let every = nice_step((48.0 / ppu).ceil() as u64);
        let mut last_end = f64::NEG_INFINITY;
        for slot in &self.slots {
            let step = slot.place.step;
            if step % every != 0 {
                continue;
            }
            let text = step.to_string();
            let w = text.len() as f64 * 6.0;
            let sx = x(slot.place.unit + 0.5);
            if sx - w / 2.0 < last_end + 8.0 {
                continue;
            }
            put!(
                out,
                "<text x=\"{sx:.1}\" y=\"{step_y:.1}\" text-anchor=\"middle\">{text}</text>\n"
            );
            last_end = sx + w / 2.0;
        }
        out.push_str("</g>\n");

        // Time axis, below the lanes.
        put!(
            out,
            "<g class=\"time-axis\" font-size=\"10\" fill=\"#495057\">\n<line x1=\"{x0:.1}\" y1=\"{axis_y:.1}\" x2=\"{plot_right:.1}\" y2=\"{axis_y:.1}\" stroke=\"#868e96\"/>\n<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">virtual time</text>\n",
            left - 4.0,
            axis_y + 15.0
        );
        let mut last_end = f64::NEG_INFINITY;
        for &(u, time) in &self.ticks {
            let text = format!("{time:?}");
            let w = text.chars().count() as f64 * 6.0;
            let tx = tick_x(u);
            if tx < last_end + 10.0 {
                continue;
            }
            put!(
                out,
                "<line x1=\"{tx:.1}\" y1=\"{axis_y:.1}\" x2=\"{tx:.1}\" y2=\"{:.1}\" stroke=\"#868e96\"/><text x=\"{tx:.1}\" y=\"{:.1}\">{}</text>\n",
                axis_y + 4.0,
                axis_y + 15.0,
                xml(&text)
            );
            last_end = tx + w;
        }
        out.push_str("</g>\n");

        // The failure line and its label.
        if let Some((place, slot)) = failure {
            let fx = x(place.unit);
            let mut text = format!(
                "\u{2717} failure at step {} \u{b7} t={:?}",
                place.step, place.time
            );
            if let Some(lane) = slot.and_then(|s| self.lane(s.task)) {
                put!(text, " \u{b7} {}", cut(&lane.plain_label()));
            }
            let w = text.chars().count() as f64 * 6.6;
            let (tx, anchor) = if fx + 6.0 + w > width - 8.0 {
                (fx - 6.0, "end")
            } else {
                (fx + 6.0, "start")
            };
            put!(
                out,
                "<g class=\"failure\">\n<line x1=\"{fx:.1}\" y1=\"{:.1}\" x2=\"{fx:.1}\" y2=\"{:.1}\" stroke=\"#e03131\" stroke-width=\"2\"/>\n<text x=\"{tx:.1}\" y=\"{:.1}\" text-anchor=\"{anchor}\" fill=\"#c92a2a\" font-weight=\"bold\">{}</text>\n</g>\n",
                lanes_top - 24.0,
                axis_y,
                lanes_top - 26.0,
                xml(&text)
            );
        }
        out.push_str("</svg>\n");
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

/// A mark's shape.
#[derive(Debug, Clone, Copy)]
enum Mark {
    Spawned,
    Finished(Outcome),
}

/// Draws a mark centred on `(x, y)` with half-size `r`, with a tooltip (already escaped).
fn mark(out: &mut String, kind: Mark, x: f64, y: f64, r: f64, tip: &str) {
    match kind {
        Mark::Spawned => put!(
            out,
            "<path class=\"m-spawned\" d=\"M{:.1},{:.1} L{:.1},{y:.1} L{:.1},{:.1} Z\" fill=\"#8ce99a\" stroke=\"#2b8a3e\" stroke-width=\"1\"><title>{tip}</title></path>\n",
            x - r * 0.7,
            y - r,
            x + r,
            x - r * 0.7,
            y + r
        ),
        Mark::Finished(Outcome::Returned) => put!(
            out,
            "<circle class=\"m-returned\" cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"{:.1}\" fill=\"#2b8a3e\" stroke=\"#ffffff\" stroke-width=\"0.8\"><title>{tip}</title></circle>\n",
            r * 0.9
        ),
        Mark::Finished(Outcome::Panicked) => put!(
            out,
            "<path class=\"m-panicked\" d=\"M{:.1},{:.1} L{:.1},{:.1} M{:.1},{:.1} L{:.1},{:.1}\" stroke=\"#e03131\" stroke-width=\"2.4\" fill=\"none\"><title>{tip}</title></path>\n",
            x - r,
            y - r,
            x + r,
            y + r,
            x - r,
            y + r,
            x + r,
            y - r
        ),
        Mark::Finished(Outcome::Cancelled) => put!(
            out,
            "<rect class=\"m-cancelled\" x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"#f59f00\" stroke=\"#a65b00\" stroke-width=\"0.8\"><title>{tip}</title></rect>\n",
            x - r * 0.8,
            y - r * 0.8,
            r * 1.6,
            r * 1.6
        ),
    }
}

/// Draws the legend in one row starting at `(x, y)`.
fn legend(out: &mut String, mut x: f64, y: f64) {
    out.push_str("<g class=\"legend\" font-size=\"11\" fill=\"#495057\">\n");
    let r = 4.5;
    let items: [(&str, Option<Mark>, Option<&str>); 7] = [
        ("poll", None, Some("#3b7dd8")),
        ("spawned", Some(Mark::Spawned), None),
        ("returned", Some(Mark::Finished(Outcome::Returned)), None),
        ("panicked", Some(Mark::Finished(Outcome::Panicked)), None),
        ("cancelled", Some(Mark::Finished(Outcome::Cancelled)), None),
        ("aborted task dropped", None, Some("#f59f00")),
        ("failing step", None, None),
    ];
    for (text, shape, bar) in items {
        match (shape, bar) {
            (Some(shape), _) => mark(out, shape, x + 5.0, y - 4.0, r, text),
            (None, Some(fill)) => put!(
                out,
                "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"10\" height=\"8\" fill=\"{fill}\"/>\n",
                x,
                y - 8.0
            ),
            (None, None) => put!(
                out,
                "<line x1=\"{0:.1}\" y1=\"{1:.1}\" x2=\"{0:.1}\" y2=\"{2:.1}\" stroke=\"#e03131\" stroke-width=\"2\"/>\n",
                x + 5.0,
                y - 11.0,
                y + 2.0
            ),
        }
        put!(
            out,
            "<text x=\"{:.1}\" y=\"{y:.1}\">{text}</text>\n",
            x + 15.0
        );
        x += 15.0 + text.len() as f64 * 6.6 + 18.0;
    }
    out.push_str("</g>\n");
}

/// The smallest of 1, 2, 5, 10, 20, 50, ... that is at least `min`.
fn nice_step(min: u64) -> u64 {
    let mut scale: u64 = 1;
    loop {
        for m in [1, 2, 5] {
            let step = scale.saturating_mul(m);
            if step >= min || step == u64::MAX {
                return step;
            }
        }
        scale = scale.saturating_mul(10);
    }
}

#[cfg(test)]
mod tests {
    use super::text::json_string;
    use super::*;
    use crate::time::sleep;
    use crate::{Builder, SimError, TaskId};

    /// A minimal JSON value and parser, strict enough to catch malformed output.
    #[derive(Debug, Clone, PartialEq)]
    enum Json {
        Null,
        Bool(bool),
        Num(f64),
        Str(String),
        Arr(Vec<Json>),
        Obj(Vec<(String, Json)>),
    }

    impl Json {
        fn get(&self, key: &str) -> Option<&Json> {
            match self {
                Json::Obj(fields) => fields.iter().find(|(k, _)| k == key).map(|(_, v)| v),
                _ => None,
            }
        }
        fn str(&self, key: &str) -> Option<&str> {
            match self.get(key)? {
                Json::Str(s) => Some(s),
                _ => None,
            }
        }
        fn num(&self, key: &str) -> Option<f64> {
            match self.get(key)? {
                Json::Num(n) => Some(*n),
                _ => None,
            }
        }
    }

    struct Parser<'a> {
        s: &'a [u8],
        i: usize,
    }

    fn parse(text: &str) -> Json {
        let mut p = Parser {
            s: text.as_bytes(),
            i: 0,
        };
        let value = p.value();
        p.ws();
        assert_eq!(p.i, p.s.len(), "trailing text after the JSON value");
        value
    }

    impl Parser<'_> {
        fn ws(&mut self) {
            while self.i < self.s.len() && matches!(self.s[self.i], b' ' | b'\n' | b'\r' | b'\t') {
                self.i += 1;
            }
        }
        fn peek(&self) -> u8 {
            *self.s.get(self.i).expect("unexpected end of JSON")
        }
        fn expect(&mut self, b: u8) {
            self.ws();
            assert_eq!(self.peek() as char, b as char, "at byte {}", self.i);
            self.i += 1;
        }
        fn literal(&mut self, word: &str, value: Json) -> Json {
            assert!(
                self.s[self.i..].starts_with(word.as_bytes()),
                "at byte {}",
                self.i
            );
            self.i += word.len();
            value
        }
        fn value(&mut self) -> Json {
            self.ws();
            match self.peek() {
                b'{' => {
                    self.i += 1;
                    let mut fields = Vec::new();
                    self.ws();
                    if self.peek() == b'}' {
                        self.i += 1;
                        return Json::Obj(fields);
                    }
                    loop {
                        self.ws();
                        let key = self.string();
                        self.expect(b':');
                        fields.push((key, self.value()));
                        self.ws();
                        match self.peek() {
                            b',' => self.i += 1,
                            b'}' => {
                                self.i += 1;
                                return Json::Obj(fields);
                            }
                            other => panic!("unexpected {:?} at byte {}", other as char, self.i),
                        }
                    }
                }
                b'[' => {
                    self.i += 1;
                    let mut items = Vec::new();
                    self.ws();
                    if self.peek() == b']' {
                        self.i += 1;
                        return Json::Arr(items);
                    }
                    loop {
                        items.push(self.value());
                        self.ws();
                        match self.peek() {
                            b',' => self.i += 1,
                            b']' => {
                                self.i += 1;
                                return Json::Arr(items);
                            }
                            other => panic!("unexpected {:?} at byte {}", other as char, self.i),
                        }
                    }
                }
                b'"' => Json::Str(self.string()),
                b't' => self.literal("true", Json::Bool(true)),
                b'f' => self.literal("false", Json::Bool(false)),
                b'n' => self.literal("null", Json::Null),
                _ => self.number(),
            }
        }
        fn hex4(&mut self) -> u32 {
            let digits = std::str::from_utf8(&self.s[self.i..self.i + 4]).unwrap();
            self.i += 4;
            u32::from_str_radix(digits, 16).expect("four hex digits")
        }
        fn string(&mut self) -> String {
            assert_eq!(self.peek(), b'"', "at byte {}", self.i);
            self.i += 1;
            let mut bytes = Vec::new();
            loop {
                let b = self.peek();
                self.i += 1;
                match b {
                    b'"' => return String::from_utf8(bytes).expect("UTF-8"),
                    b'\\' => {
                        let e = self.peek();
                        self.i += 1;
                        let c = match e {
                            b'"' => '"',
                            b'\\' => '\\',
                            b'/' => '/',
                            b'b' => '\u{8}',
                            b'f' => '\u{c}',
                            b'n' => '\n',
                            b'r' => '\r',
                            b't' => '\t',
                            b'u' => {
                                let mut code = self.hex4();
                                if (0xd800..0xdc00).contains(&code) {
                                    assert_eq!(&self.s[self.i..self.i + 2], b"\\u");
                                    self.i += 2;
                                    let low = self.hex4();
                                    code = 0x10000 + ((code - 0xd800) << 10) + (low - 0xdc00);
                                }
                                char::from_u32(code).expect("a char")
                            }
                            other => panic!("bad escape \\{}", other as char),
                        };
                        bytes.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
                    }
                    b if b < 0x20 => panic!("raw control character in a JSON string"),
                    b => bytes.push(b),
                }
            }
        }
        fn number(&mut self) -> Json {
            let start = self.i;
            let digits = |p: &mut Self| {
                let from = p.i;
                while p.i < p.s.len() && p.s[p.i].is_ascii_digit() {
                    p.i += 1;
                }
                assert!(p.i > from, "digits expected at byte {}", from);
            };
            if self.peek() == b'-' {
                self.i += 1;
            }
            if self.peek() == b'0' {
                self.i += 1;
            } else {
                digits(self);
            }
            if self.s.get(self.i) == Some(&b'.') {
                self.i += 1;
                digits(self);
            }
            if matches!(self.s.get(self.i), Some(b'e' | b'E')) {
                self.i += 1;
                if matches!(self.s.get(self.i), Some(b'+' | b'-')) {
                    self.i += 1;
                }
                digits(self);
            }
            let text = std::str::from_utf8(&self.s[start..self.i]).unwrap();
            Json::Num(text.parse().expect("a number"))
        }
    }

    /// Checks that tags nest properly (a cheap well-formedness check for the SVG and HTML).
    fn assert_tags_balanced(doc: &str) {
        let mut stack: Vec<&str> = Vec::new();
        let mut rest = doc;
        while let Some(open) = rest.find('<') {
            rest = &rest[open + 1..];
            let close = rest.find('>').expect("an unclosed tag");
            let tag = &rest[..close];
            rest = &rest[close + 1..];
            if tag.starts_with('?') || tag.starts_with('!') || tag.ends_with('/') {
                continue;
            }
            if let Some(name) = tag.strip_prefix('/') {
                assert_eq!(stack.pop(), Some(name), "mismatched </{name}>");
            } else {
                let name = tag.split_whitespace().next().unwrap();
                if name != "meta" {
                    stack.push(name);
                }
            }
        }
        assert!(stack.is_empty(), "unclosed: {stack:?}");
    }

    const ODD_NAME: &str = "say \"hi\" <b>";

    /// Main spawns a task with an awkward name and a sleeper it aborts, then waits forever.
    fn small_run() -> (Vec<Event>, SimError) {
        let mut rt = Builder::new().seed(7).record_events(true).build();
        let err = rt
            .block_on(async {
                let a = crate::task::Builder::new().name(ODD_NAME).spawn(async {
                    crate::task::yield_now().await;
                    1
                });
                let b = crate::task::Builder::new()
                    .name("sleeper")
                    .spawn(sleep(Duration::from_millis(5)));
                sleep(Duration::from_millis(1)).await;
                b.abort();
                assert!(b.await.is_err());
                assert_eq!(a.await.unwrap(), 1);
                std::future::pending::<()>().await
            })
            .unwrap_err();
        assert!(matches!(err, SimError::Deadlock(_)), "{err}");
        (rt.events(), err)
    }

    fn trace_events(json: &Json) -> &[Json] {
        match json.get("traceEvents") {
            Some(Json::Arr(items)) => items,
            other => panic!("traceEvents is not an array: {other:?}"),
        }
    }

    #[test]
    fn chrome_trace_has_the_expected_shape() {
        let (events, err) = small_run();
        let timeline = Timeline::from_events(&events).failing_step(err.at().step);
        let json = parse(&timeline.chrome_trace_json());
        assert_eq!(json.str("displayTimeUnit"), Some("ns"));
        let items = trace_events(&json);
        let named = |name: &str| items.iter().filter(|e| e.str("name") == Some(name)).count();

        // One lane per task, named `#id "name"`, in id order.
        let lanes: Vec<(f64, &str)> = items
            .iter()
            .filter(|e| e.str("name") == Some("thread_name"))
            .map(|e| {
                (
                    e.num("tid").unwrap(),
                    e.get("args").unwrap().str("name").unwrap(),
                )
            })
            .collect();
        assert_eq!(
            lanes,
            [
                (0.0, "#0 \"main\""),
                (1.0, "#1 \"say \"hi\" <b>\""),
                (2.0, "#2 \"sleeper\"")
            ]
        );
        assert_eq!(named("thread_sort_index"), 3);

        // Every log event appears once, with the right phase.
        let count = |f: fn(&EventKind) -> bool| events.iter().filter(|e| f(&e.kind)).count();
        let polls = count(|k| matches!(k, EventKind::Polled { .. }));
        assert_eq!(named("poll"), polls);
        assert_eq!(
            items.iter().filter(|e| e.str("ph") == Some("X")).count(),
            polls
        );
        assert_eq!(named("spawned"), 3);
        assert_eq!(named("cancel"), 1);
        assert_eq!(named("cancelled"), 1);
        assert_eq!(named("returned"), 1); // `a`; main never finishes
        assert_eq!(named("panicked"), 0);
        assert_eq!(
            named("clock advanced"),
            count(|k| matches!(k, EventKind::ClockAdvanced { .. }))
        );
        assert_eq!(
            named("timers fired"),
            count(|k| matches!(k, EventKind::TimersFired { .. }))
        );
        assert_eq!(named("failure"), 1);
        assert_eq!(items.len(), 1 + 2 * 3 + events.len() + 1);

        for e in items {
            let ph = e.str("ph").expect("every event has a phase");
            assert!(e.num("pid").is_some() && e.num("tid").is_some(), "{e:?}");
            if ph == "M" {
                continue;
            }
            let args = e.get("args").expect("args");
            assert!(
                args.num("step").is_some() && args.num("time_ns").is_some(),
                "{e:?}"
            );
            assert!(e.num("ts").is_some(), "{e:?}");
            match ph {
                "X" => assert_eq!(e.num("dur"), Some(0.001)),
                "i" => assert!(matches!(e.str("s"), Some("t" | "g"))),
                other => panic!("unexpected phase {other}"),
            }
            if e.str("cat") == Some("task") {
                assert_eq!(args.num("task"), e.num("tid"), "{e:?}");
            }
        }

        // Polls are in step order on the layout line, each at or after its virtual time.
        let polls: Vec<&Json> = items.iter().filter(|e| e.str("ph") == Some("X")).collect();
        for pair in polls.windows(2) {
            assert!(pair[0].num("ts").unwrap() < pair[1].num("ts").unwrap());
        }
        for p in &polls {
            let time_us = p.get("args").unwrap().num("time_ns").unwrap() / 1000.0;
            assert!(p.num("ts").unwrap() >= time_us);
        }

        // The failure carries the failing step.
        let failure = items
            .iter()
            .find(|e| e.str("name") == Some("failure"))
            .unwrap();
        assert_eq!(failure.str("s"), Some("g"));
        assert_eq!(
            failure.get("args").unwrap().num("step"),
            Some(err.at().step as f64)
        );
    }

    #[test]
    fn names_are_escaped() {
        let (events, _) = small_run();
        let timeline = Timeline::from_events(&events);
        let json = timeline.chrome_trace_json();
        assert!(json.contains(r##""#1 \"say \"hi\" <b>\"""##), "{json}");
        assert!(json.contains(r#""task_name":"say \"hi\" <b>""#));
        let svg = timeline.svg();
        assert!(svg.contains("#1 say &quot;hi&quot; &lt;b&gt;"));
        assert!(!svg.contains("<b>"));
        assert_tags_balanced(&svg);
        assert_tags_balanced(&timeline.html());

        assert_eq!(
            json_string("a\"b\\c\n\t\u{1}\u{1f}é"),
            r#""a\"b\\c\n\t\u0001\u001fé""#
        );
        assert_eq!(
            parse(&json_string("q\"\\\u{8}\u{c}\r\u{7}x")),
            Json::Str("q\"\\\u{8}\u{c}\r\u{7}x".into())
        );
        assert_eq!(
            xml("a&b<c>d\"e'f\u{1}"),
            "a&amp;b&lt;c&gt;d&quot;e&apos;f\u{fffd}"
        );
    }

    #[test]
    fn svg_has_one_lane_per_task_and_the_failure() {
        let (events, err) = small_run();
        let plain = Timeline::from_events(&events).svg();
        assert!(!plain.contains("class=\"failure\""));
        let svg = Timeline::from_events(&events)
            .failing_step(err.at().step)
            .svg();
        assert_eq!(svg.matches("class=\"lane\"").count(), 3);
        assert_eq!(svg.matches("class=\"lane-label\"").count(), 3);
        for label in ["#0 main", "#2 sleeper"] {
            assert!(svg.contains(&format!(">{label}<title>")), "{label}");
        }
        assert_eq!(svg.matches("class=\"failure\"").count(), 1);
        assert!(svg.contains(&format!("failure at step {}", err.at().step)));
        assert_eq!(svg.matches("class=\"m-cancelled\"").count(), 1 + 1); // the mark and the legend
        assert_eq!(svg.matches("class=\"m-spawned\"").count(), 3 + 1);
        assert_tags_balanced(&svg);
    }

    fn event(step: u64, nanos: u64, kind: EventKind) -> Event {
        Event {
            step,
            time: Duration::from_nanos(nanos),
            kind,
        }
    }

    #[test]
    fn steps_of_one_instant_sit_side_by_side() {
        let task = TaskId;
        let poll = |step, nanos, t| event(step, nanos, EventKind::Polled { task: task(t) });
        let events = [
            event(
                0,
                0,
                EventKind::Spawned {
                    task: task(0),
                    parent: None,
                    name: None,
                },
            ),
            poll(1, 0, 0),
            poll(2, 0, 0),
            poll(3, 0, 0),
            poll(4, 2, 0), // crowded: the instant at 0 ns used 3 ns, so this is pushed to 3
            poll(5, 5_000, 0), // after an idle stretch: at its virtual time
            event(
                5,
                5_000,
                EventKind::Finished {
                    task: task(0),
                    outcome: Outcome::Returned,
                },
            ),
        ];
        let timeline = Timeline::from_events(&events);
        let pos: Vec<u128> = timeline.slots.iter().map(|s| s.place.pos).collect();
        assert_eq!(pos, [0, 1, 2, 3, 5_000]);
        let json = timeline.chrome_trace_json();
        for ts in ["0.000", "0.001", "0.002", "0.003", "5.000"] {
            assert!(json.contains(&format!("\"ph\":\"X\",\"ts\":{ts},")), "{ts}");
        }
        assert!(json.contains(
            "\"name\":\"returned\",\"cat\":\"task\",\"ph\":\"i\",\"s\":\"t\",\"ts\":5.001,"
        ));
        // SVG units: three steps, a gap, one step, a gap, one step.
        let units: Vec<f64> = timeline.slots.iter().map(|s| s.place.unit).collect();
        assert_eq!(
            units,
            [0.0, 1.0, 2.0, 3.0 + GAP_UNITS, 4.0 + 2.0 * GAP_UNITS]
        );
        assert_eq!(timeline.ticks.len(), 3);
        // A failure past the last step is marked at its end.
        let failing = timeline.failing_step(9).failure().unwrap();
        assert_eq!((failing.0.pos, failing.1.is_none()), (5_001, true));
    }

    #[test]
    fn many_tasks_and_steps_stay_readable() {
        let mut rt = Builder::new().seed(11).record_events(true).build();
        rt.block_on(async {
            let handles: Vec<_> = (0..49)
                .map(|i| {
                    crate::task::Builder::new()
                        .name(format!("worker-{i}-with-a-rather-long-descriptive-name"))
                        .spawn(async move {
                            for round in 0..30u64 {
                                sleep(Duration::from_micros((i * 7 + round) % 5)).await;
                                crate::task::yield_now().await;
                            }
                        })
                })
                .collect();
            for h in handles {
                h.await.unwrap();
            }
        })
        .unwrap();
        let events = rt.events();
        assert!(events.len() > 2000, "{}", events.len());
        let timeline = Timeline::from_events(&events).failing_step(1000);
        let svg = timeline.svg();
        assert_eq!(svg.matches("class=\"lane\"").count(), 50);
        assert_tags_balanced(&svg);
        // Labels are cut, and axis labels thinned to fit the width.
        assert!(svg.contains("#12 worker-11-with-a-rather\u{2026}<title>")); // ids start at main, #0
        let width: f64 = svg
            .split("width=\"")
            .nth(1)
            .and_then(|s| s.split('"').next())
            .unwrap()
            .parse()
            .unwrap();
        assert!(width < 2000.0, "{width}");
        let time_labels = svg
            .split("class=\"time-axis\"")
            .nth(1)
            .unwrap()
            .split("</g>")
            .next()
            .unwrap();
        assert!(time_labels.matches("<text").count() < (width / 30.0) as usize);
        let json = parse(&timeline.chrome_trace_json());
        assert_eq!(trace_events(&json).len(), 1 + 2 * 50 + events.len() + 1);
    }

    #[test]
    fn write_to_appends_the_suffixes() {
        let (events, _) = small_run();
        let dir = std::env::temp_dir().join(format!("sim-timeline-test-{}", std::process::id()));
        Timeline::from_events(&events)
            .write_to(&dir.join("nested/run.v2"))
            .unwrap();
        for ext in ["json", "svg", "html"] {
            let file = dir.join(format!("nested/run.v2.{ext}"));
            assert!(file.metadata().unwrap().len() > 100, "{}", file.display());
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn an_empty_log_renders() {
        let timeline = Timeline::from_events(&[]).failing_step(3);
        let json = parse(&timeline.chrome_trace_json());
        assert_eq!(trace_events(&json).len(), 2); // the process name and the failure
        let svg = timeline.svg();
        assert!(svg.contains("no events recorded"));
        assert_tags_balanced(&svg);
    }
}
