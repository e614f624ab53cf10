//! The SVG's geometry: lane height, label width, scale and the positions of the lanes and axes,
//! worked out once from a timeline, and the mapping from layout units and lanes to pixels.

use std::collections::BTreeMap;

use super::text::cut;
use super::{GAP_UNITS, Timeline};

/// Width of the plot area the SVG aims for, in pixels.
const TARGET_PLOT_WIDTH: f64 = 1150.0;
/// Height of the SVG above the first lane: title, summary, legend, failure label, step axis.
const HEADER: f64 = 112.0;

/// The picture's geometry, in pixels, worked out once from the lanes and the layout's length;
/// every part of the SVG is drawn against it.
#[derive(Debug)]
pub(super) struct Geometry {
    /// Height of one lane.
    pub(super) lane_h: f64,
    /// Font size of the lane labels.
    pub(super) label_font: f64,
    /// The lane labels, [`cut`] to fit.
    pub(super) labels: Vec<String>,
    /// Where the lane labels end (they are right-aligned just left of it).
    pub(super) left: f64,
    /// The layout's length in units, at least 1.
    pub(super) units: f64,
    /// Pixels per unit.
    pub(super) ppu: f64,
    /// The x of unit 0, where the plot begins.
    pub(super) x0: f64,
    /// The x of the layout's end.
    pub(super) plot_right: f64,
    /// The width of the whole picture.
    pub(super) width: f64,
    /// The height of the whole picture.
    pub(super) height: f64,
    /// The top of the first lane.
    pub(super) lanes_top: f64,
    /// The bottom of the last lane.
    pub(super) lanes_bottom: f64,
    /// The y of the time axis.
    pub(super) axis_y: f64,
    /// Each task's lane index, by task id.
    pub(super) index: BTreeMap<u64, usize>,
    /// Half the size of a mark.
    pub(super) r: f64,
}

impl Geometry {
    /// The geometry of `timeline`'s picture.
    pub(super) fn new(timeline: &Timeline) -> Geometry {
        let n = timeline.lanes.len();
        let lane_h = (560.0 / n.max(1) as f64).clamp(12.0, 26.0);
        let label_font = (lane_h * 0.46).clamp(8.5, 11.5);
        let labels: Vec<String> = timeline
            .lanes
            .iter()
            .map(|l| cut(&l.plain_label()))
            .collect();
        let longest = labels.iter().map(|l| l.chars().count()).max().unwrap_or(0);
        let left = (18.0 + longest as f64 * label_font * 0.62).max(104.0);
        let units = timeline.end.unit.max(1.0);
        let ppu = (TARGET_PLOT_WIDTH / units).clamp(0.3, 28.0);
        let x0 = left + 10.0;
        let plot_right = x0 + units * ppu;
        let width = (plot_right + 56.0).max(860.0);
        let lanes_top = HEADER;
        let lanes_bottom = lanes_top + n as f64 * lane_h;
        let axis_y = lanes_bottom + 6.0;
        let height = axis_y + 42.0;
        let index: BTreeMap<u64, usize> = timeline
            .lanes
            .iter()
            .enumerate()
            .map(|(i, l)| (l.id, i))
            .collect();
        let r = (lane_h * 0.24).clamp(2.5, 5.5);
        Geometry {
            lane_h,
            label_font,
            labels,
            left,
            units,
            ppu,
            x0,
            plot_right,
            width,
            height,
            lanes_top,
            lanes_bottom,
            axis_y,
            index,
            r,
        }
    }

    /// The x of SVG unit `u`.
    pub(super) fn x(&self, u: f64) -> f64 {
        self.x0 + u * self.ppu
    }

    /// The y of lane `i`'s centre line.
    pub(super) fn center(&self, i: usize) -> f64 {
        self.lanes_top + (i as f64 + 0.5) * self.lane_h
    }

    /// The x of the tick for an instant whose first step is at unit `u`: the middle of the gap
    /// before it (or `u` itself for the first instant).
    pub(super) fn tick_x(&self, u: f64) -> f64 {
        if u > 0.0 {
            self.x(u - GAP_UNITS / 2.0)
        } else {
            self.x(u)
        }
    }
}
