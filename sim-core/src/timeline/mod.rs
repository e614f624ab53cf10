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

#[cfg(test)]
mod tests {
    use super::text::{json_string, xml};
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
