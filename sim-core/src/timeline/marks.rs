//! The SVG's marks: the shapes drawn for a spawn (a triangle) and a completion (a dot, a cross
//! or a square), and the legend that explains them and the bars.

use std::fmt::Write as _;

use crate::record::Outcome;

/// A mark's shape.
#[derive(Debug, Clone, Copy)]
pub(super) enum Mark {
    Spawned,
    Finished(Outcome),
}

/// Draws a mark centred on `(x, y)` with half-size `r`, with a tooltip (already escaped).
pub(super) fn mark(out: &mut String, kind: Mark, x: f64, y: f64, r: f64, tip: &str) {
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
pub(super) fn legend(out: &mut String, mut x: f64, y: f64) {
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
