//! The timeline's unit tests: the Chrome trace's shape (read back with a small, strict JSON
//! parser), escaping, the SVG's lanes and failure mark, the layout of crowded instants, a large
//! run, an empty log and the file names `write_to` picks.

use super::text::{json_string, xml};
use super::*;
use crate::error::SimError;
use crate::record::TaskId;
use crate::runtime::Builder;
use crate::time::sleep;

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
    assert!(
        json.contains(
            "\"name\":\"returned\",\"cat\":\"task\",\"ph\":\"i\",\"s\":\"t\",\"ts\":5.001,"
        )
    );
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
