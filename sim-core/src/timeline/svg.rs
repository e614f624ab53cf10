//! The SVG writer: [`Timeline::svg`], the run drawn as one lane per task on the layout line
//! with idle stretches shortened, and the `<svg>` element that the HTML page embeds.

use std::fmt::Write as _;

use super::chrome::outcome_name;
use super::geometry::Geometry;
use super::marks::{Mark, legend, mark};
use super::text::{cut, xml};
use super::{Place, Slot, Timeline};

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
        let g = Geometry::new(self);
        self.draw_header(out, &g);
        if self.lanes.is_empty() {
            put!(
                out,
                "<text x=\"16\" y=\"{:.1}\" fill=\"#868e96\">no events recorded</text>\n",
                g.lanes_top + 14.0
            );
            out.push_str("</svg>\n");
            return;
        }
        let failure = self.failure();
        let failing = failure.and_then(|(_, slot)| slot); // the step the failure falls in
        self.draw_lanes(out, &g);
        self.draw_lifetimes(out, &g);
        self.draw_steps(out, &g, failing);
        self.draw_marks(out, &g);
        self.draw_labels(out, &g, failing.map(|s| s.task));
        self.draw_axes(out, &g);
        if let Some(failure) = failure {
            self.draw_failure(out, &g, failure);
        }
        out.push_str("</svg>\n");
    }

    /// The `<svg>` start tag, the title and background, the heading with the run's summary,
    /// and the legend: everything above the step axis.
    fn draw_header(&self, out: &mut String, g: &Geometry) {
        let &Geometry { width, height, .. } = g;
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
    }

    /// The lane stripes, and the grid lines where a new instant begins.
    fn draw_lanes(&self, out: &mut String, g: &Geometry) {
        let &Geometry {
            lane_h,
            width,
            lanes_top,
            axis_y,
            ..
        } = g;
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
        for &(u, _) in &self.ticks {
            let gx = g.tick_x(u);
            if gx - last_grid >= 4.0 {
                put!(
                    out,
                    "<line x1=\"{gx:.1}\" y1=\"{lanes_top:.1}\" x2=\"{gx:.1}\" y2=\"{axis_y:.1}\"/>\n"
                );
                last_grid = gx;
            }
        }
        out.push_str("</g>\n");
    }

    /// Each task's lifetime line, and the spawn connectors from the parent's lane.
    fn draw_lifetimes(&self, out: &mut String, g: &Geometry) {
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
            let stop = lane.finished.map_or(g.units, |(p, _)| p.unit);
            put!(
                out,
                "<line x1=\"{:.1}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\"/>\n",
                g.x(start),
                g.center(i),
                g.x(stop.max(start)),
                g.center(i)
            );
        }
        out.push_str("</g>\n");
        out.push_str(
            "<g class=\"spawns\" stroke=\"#a5b0bb\" stroke-width=\"0.8\" stroke-dasharray=\"2 2\">\n",
        );
        for (i, lane) in self.lanes.iter().enumerate() {
            if let (Some(place), Some(&p)) =
                (lane.spawned, lane.parent.and_then(|p| g.index.get(&p)))
            {
                let sx = g.x(place.unit + 0.5);
                put!(
                    out,
                    "<line x1=\"{sx:.1}\" y1=\"{:.1}\" x2=\"{sx:.1}\" y2=\"{:.1}\"/>\n",
                    g.center(p),
                    g.center(i)
                );
            }
        }
        out.push_str("</g>\n");
    }

    /// The failing step's band (`failing`: the step polled there, if any), then a bar for each
    /// step: polls in blue, drops of an aborted task's future in orange.
    fn draw_steps(&self, out: &mut String, g: &Geometry, failing: Option<Slot>) {
        let &Geometry {
            lane_h,
            ppu,
            lanes_top,
            lanes_bottom,
            ..
        } = g;
        // The failing step's band.
        if let Some(slot) = failing {
            put!(
                out,
                "<rect class=\"failure-band\" x=\"{:.1}\" y=\"{lanes_top:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"#e03131\" fill-opacity=\"0.14\"/>\n",
                g.x(slot.place.unit),
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
                let Some(&i) = g.index.get(&slot.task) else {
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
                    g.x(slot.place.unit) + bar_pad,
                    g.center(i) - bar_h / 2.0,
                    slot.place.step,
                    slot.place.time,
                    xml(&self.lanes[i].plain_label())
                );
            }
            out.push_str("</g>\n");
        }
    }

    /// The spawn and completion marks, with tooltips.
    fn draw_marks(&self, out: &mut String, g: &Geometry) {
        out.push_str("<g class=\"marks\">\n");
        for (i, lane) in self.lanes.iter().enumerate() {
            let cy = g.center(i);
            let name = xml(&lane.plain_label());
            if let Some(place) = lane.spawned {
                let tip = format!(
                    "{name} spawned at step {} \u{b7} t={:?}",
                    place.step, place.time
                );
                mark(out, Mark::Spawned, g.x(place.unit + 0.5), cy, g.r, &tip);
            }
            if let Some((place, outcome)) = lane.finished {
                let tip = format!(
                    "{name} {} at step {} \u{b7} t={:?}",
                    outcome_name(outcome),
                    place.step,
                    place.time
                );
                mark(out, Mark::Finished(outcome), g.x(place.unit), cy, g.r, &tip);
            }
        }
        out.push_str("</g>\n");
    }

    /// The lane labels, with the whole label as a tooltip; the task polled at the failing step
    /// (`failing_task`) in bold red.
    fn draw_labels(&self, out: &mut String, g: &Geometry, failing_task: Option<u64>) {
        let &Geometry {
            label_font, left, ..
        } = g;
        out.push_str("<g class=\"labels\" text-anchor=\"end\">\n");
        for (i, (lane, label)) in self.lanes.iter().zip(&g.labels).enumerate() {
            let style = if failing_task == Some(lane.id) {
                " fill=\"#c92a2a\" font-weight=\"bold\""
            } else {
                " fill=\"#212529\""
            };
            put!(
                out,
                "<text class=\"lane-label\" x=\"{:.1}\" y=\"{:.1}\" font-size=\"{label_font:.1}\"{style}>{}<title>{}</title></text>\n",
                left - 4.0,
                g.center(i) + label_font * 0.36,
                xml(label),
                xml(&lane.plain_label())
            );
        }
        out.push_str("</g>\n");
    }

    /// The step axis above the lanes and the time axis below them, their labels thinned so
    /// they never overlap.
    fn draw_axes(&self, out: &mut String, g: &Geometry) {
        let &Geometry {
            left,
            ppu,
            x0,
            plot_right,
            lanes_top,
            axis_y,
            ..
        } = g;
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
            let sx = g.x(slot.place.unit + 0.5);
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
            let tx = g.tick_x(u);
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
    }

    /// The failure's red line and its label (`failure` as [`Timeline::failure`] gives it).
    fn draw_failure(&self, out: &mut String, g: &Geometry, (place, slot): (Place, Option<Slot>)) {
        let &Geometry {
            width,
            lanes_top,
            axis_y,
            ..
        } = g;
        let fx = g.x(place.unit);
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
