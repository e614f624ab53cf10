//! The SVG writer: [`Timeline::svg`], the run drawn as one lane per task on the layout line
//! with idle stretches shortened, and the `<svg>` element that the HTML page embeds.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::chrome::outcome_name;
use super::marks::{Mark, legend, mark};
use super::text::{cut, xml};
use super::{GAP_UNITS, Timeline};

/// Width of the plot area the SVG aims for, in pixels.
const TARGET_PLOT_WIDTH: f64 = 1150.0;
/// Height of the SVG above the first lane: title, summary, legend, failure label, step axis.
const HEADER: f64 = 112.0;

impl Timeline {
    /// A self-contained SVG picture of the run.
    ///
    /// One horizontal lane per task, labelled `#id name` on the left (labels longer than 28
    /// characters are cut; hovering shows the whole). The x axis is the [layout](super) with
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
    pub(super) fn svg_element(&self, out: &mut String) {
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
