//! Text helpers shared by the writers: a lane's labels, the run's one-line summary, plurals,
//! cutting long labels, and escaping for JSON string literals and for XML (SVG and HTML).

use std::fmt::Write as _;

use super::{Lane, Timeline};

/// Longest lane label the SVG draws in full; longer ones are cut (the tooltip has all of it).
const MAX_LABEL_CHARS: usize = 28;

impl Lane {
    /// `#id "name"`, as failure reports write a task.
    pub(super) fn quoted_label(&self) -> String {
        match &self.name {
            Some(name) => format!("#{} \"{name}\"", self.id),
            None => format!("#{}", self.id),
        }
    }

    /// `#id name`, the SVG's lane label.
    pub(super) fn plain_label(&self) -> String {
        match &self.name {
            Some(name) => format!("#{} {name}", self.id),
            None => format!("#{}", self.id),
        }
    }
}

impl Timeline {
    /// A one-line summary: tasks, steps, virtual time span, failure.
    pub(super) fn summary(&self) -> String {
        let mut s = format!(
            "{} task{}, {} step{}",
            self.lanes.len(),
            plural(self.lanes.len()),
            self.slots.len(),
            plural(self.slots.len())
        );
        if let (Some(first), Some(last)) = (self.slots.first(), self.slots.last()) {
            put!(
                s,
                ", virtual time {:?} to {:?}",
                first.place.time,
                last.place.time
            );
        }
        if let Some((place, slot)) = self.failure() {
            put!(s, "; failure at step {} (t={:?}", place.step, place.time);
            if let Some(lane) = slot.and_then(|s| self.lane(s.task)) {
                put!(s, ", {}", lane.quoted_label());
            }
            s.push(')');
        }
        s
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// Cuts a label to [`MAX_LABEL_CHARS`], ending it with `…` when cut.
pub(super) fn cut(label: &str) -> String {
    if label.chars().count() <= MAX_LABEL_CHARS {
        label.to_owned()
    } else {
        let mut s: String = label.chars().take(MAX_LABEL_CHARS - 1).collect();
        s.push('\u{2026}');
        s
    }
}

/// `s` as a JSON string literal, quotes included.
pub(super) fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 || c == '\u{2028}' || c == '\u{2029}' => {
                put!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// `s` escaped for XML text and attribute values. Characters XML 1.0 does not allow at all
/// (control characters other than tab, newline and carriage return) become U+FFFD.
pub(super) fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{fffe}' || c == '\u{ffff}' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}
