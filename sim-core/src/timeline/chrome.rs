//! The Chrome trace-event writer: [`Timeline::chrome_trace_json`], the run as JSON for
//! [Perfetto](https://ui.perfetto.dev) or `chrome://tracing`, one lane per task, on the layout
//! line in microseconds.

use std::fmt::Write as _;

use super::text::json_string;
use super::{Place, Timeline};
use crate::record::{EventKind, Outcome};

impl Timeline {
    /// The run as a Chrome trace-event file (the JSON object form, `{"traceEvents":[...],
    /// "displayTimeUnit":"ns"}`), for [Perfetto](https://ui.perfetto.dev) or
    /// `chrome://tracing`.
    ///
    /// - One lane (`tid` = task id, `pid` 1) per task, named by a `thread_name` metadata event
    ///   `#id "name"` (`#id` for an unnamed task) and sorted by id (`thread_sort_index`).
    /// - Each poll is a complete event `"ph":"X"` named `poll`, 1 ns long, at `ts` = its place
    ///   on the [layout](super) in µs.
    /// - Instant events (`"ph":"i"`) on the task's lane: `spawned`, `cancel` (an aborted task's
    ///   future dropped), and the completions `returned`, `panicked`, `cancelled`.
    /// - Global instant events (`"s":"g"`): `clock advanced`, `timers fired` (with `count`), and
    ///   `failure` at the end of the [failing step](Timeline::failing_step).
    ///
    /// Every event's `args` carry `step`, `time_ns` (exact virtual time), `time` (the same,
    /// readable) and, for task events, `task` (the id) and `task_name` when it has one.
    ///
    /// ```
    /// let mut rt = sim::Builder::new().record_events(true).build();
    /// rt.block_on(async { sim::spawn(async {}).await.unwrap() }).unwrap();
    /// let json = sim::timeline::Timeline::from_events(&rt.events()).chrome_trace_json();
    /// assert!(json.starts_with(r#"{"traceEvents":["#));
    /// assert!(json.trim_end().ends_with(r#""displayTimeUnit":"ns"}"#));
    /// assert_eq!(json.matches(r#""ph":"X""#).count(), 3); // main twice, the child once
    /// ```
    pub fn chrome_trace_json(&self) -> String {
        let mut items: Vec<String> =
            Vec::with_capacity(2 * self.lanes.len() + self.marks.len() + 2);
        items.push(
            r#"{"name":"process_name","ph":"M","pid":1,"tid":0,"args":{"name":"sim run"}}"#.into(),
        );
        for lane in &self.lanes {
            items.push(format!(
                r#"{{"name":"thread_name","ph":"M","pid":1,"tid":{},"args":{{"name":{}}}}}"#,
                lane.id,
                json_string(&lane.quoted_label())
            ));
            items.push(format!(
                r#"{{"name":"thread_sort_index","ph":"M","pid":1,"tid":{0},"args":{{"sort_index":{0}}}}}"#,
                lane.id
            ));
        }
        for (place, kind) in &self.marks {
            let item = match kind {
                EventKind::Polled { task } => format!(
                    r#"{{"name":"poll","cat":"task","ph":"X","ts":{},"dur":0.001,"pid":1,"tid":{},"args":{}}}"#,
                    micros(place.pos),
                    task.as_u64(),
                    self.args(place, Some(task.as_u64()), "")
                ),
                EventKind::Spawned { task, parent, .. } => {
                    let parent = parent.map_or("null".into(), |p| p.as_u64().to_string());
                    self.instant(
                        "spawned",
                        place,
                        task.as_u64(),
                        &format!(",\"parent\":{parent}"),
                    )
                }
                EventKind::Cancelled { task } => self.instant("cancel", place, task.as_u64(), ""),
                EventKind::Finished { task, outcome } => {
                    self.instant(outcome_name(*outcome), place, task.as_u64(), "")
                }
                EventKind::ClockAdvanced { to } => format!(
                    r#"{{"name":"clock advanced","cat":"clock","ph":"i","s":"g","ts":{},"pid":1,"tid":0,"args":{}}}"#,
                    micros(place.pos),
                    self.args(
                        place,
                        None,
                        &format!(
                            ",\"to_ns\":{},\"to\":{}",
                            to.as_nanos(),
                            json_string(&format!("{to:?}"))
                        )
                    )
                ),
                EventKind::TimersFired { count } => format!(
                    r#"{{"name":"timers fired","cat":"clock","ph":"i","s":"g","ts":{},"pid":1,"tid":0,"args":{}}}"#,
                    micros(place.pos),
                    self.args(place, None, &format!(",\"count\":{count}"))
                ),
            };
            items.push(item);
        }
        if let Some((place, slot)) = self.failure() {
            let task = slot.map(|s| s.task);
            items.push(format!(
                r#"{{"name":"failure","cat":"failure","ph":"i","s":"g","ts":{},"pid":1,"tid":{},"args":{}}}"#,
                micros(place.pos),
                task.unwrap_or(0),
                self.args(&place, task, "")
            ));
        }
        let mut out = String::with_capacity(items.iter().map(|i| i.len() + 2).sum::<usize>() + 64);
        out.push_str("{\"traceEvents\":[\n");
        out.push_str(&items.join(",\n"));
        out.push_str("\n],\"displayTimeUnit\":\"ns\"}\n");
        out
    }

    /// An instant event on a task's lane.
    fn instant(&self, name: &str, place: &Place, task: u64, extra: &str) -> String {
        format!(
            r#"{{"name":"{name}","cat":"task","ph":"i","s":"t","ts":{},"pid":1,"tid":{task},"args":{}}}"#,
            micros(place.pos),
            self.args(place, Some(task), extra)
        )
    }

    /// An event's `args` object.
    fn args(&self, place: &Place, task: Option<u64>, extra: &str) -> String {
        let mut args = format!(
            "{{\"step\":{},\"time_ns\":{},\"time\":{}",
            place.step,
            place.time.as_nanos(),
            json_string(&format!("{:?}", place.time))
        );
        if let Some(task) = task {
            put!(args, ",\"task\":{task}");
            if let Some(name) = self.lane(task).and_then(|l| l.name.as_deref()) {
                put!(args, ",\"task_name\":{}", json_string(name));
            }
        }
        args.push_str(extra);
        args.push('}');
        args
    }
}

/// The trace name of a completion.
pub(super) fn outcome_name(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Returned => "returned",
        Outcome::Panicked => "panicked",
        Outcome::Cancelled => "cancelled",
    }
}

/// A layout position in nanoseconds as Chrome's `ts`: microseconds with three decimals.
fn micros(pos: u128) -> String {
    format!("{}.{:03}", pos / 1000, pos % 1000)
}
