//! A small SVG line chart for the scaling figures: panels two to a row, log-scaled size on
//! the x axis, nanoseconds per item on the y axis (from zero, so flat really looks flat).

use std::fmt::Write;

/// One line of a panel: a name and its points `(size, ns per item)`.
#[derive(Debug)]
pub struct Series {
    /// The legend's label.
    pub name: &'static str,
    /// Points, by increasing size.
    pub points: Vec<(usize, f64)>,
}

/// One chart.
#[derive(Debug)]
pub struct Panel {
    /// Title above the chart.
    pub title: String,
    /// Its lines.
    pub series: Vec<Series>,
}

const W: f64 = 400.0;
const H: f64 = 260.0;
const LEFT: f64 = 56.0;
const RIGHT: f64 = 12.0;
const TOP: f64 = 30.0;
const BOTTOM: f64 = 40.0;
const COLORS: [&str; 4] = ["#d62728", "#1f77b4", "#2ca02c", "#9467bd"];

/// A "nice" upper bound for an axis holding `max`.
fn nice_ceiling(max: f64) -> f64 {
    let magnitude = 10f64.powf(max.log10().floor());
    [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * magnitude)
        .find(|&c| c >= max)
        .unwrap_or(10.0 * magnitude)
}

/// Panels per row.
const PER_ROW: usize = 2;
/// A panel's height with its legend.
const ROW: f64 = H + 24.0;

/// Renders the panels, two to a row, as one SVG document.
pub fn svg(panels: &[Panel]) -> String {
    let width = W * panels.len().clamp(1, PER_ROW) as f64;
    let height = ROW * panels.len().div_ceil(PER_ROW).max(1) as f64;
    let mut out = String::new();
    let _ = writeln!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" font-size="11">"#,
    );
    let _ = writeln!(out, r#"<rect width="100%" height="100%" fill="white"/>"#);
    for (p, panel) in panels.iter().enumerate() {
        let _ = writeln!(
            out,
            r#"<g transform="translate({},{})">"#,
            (p % PER_ROW) as f64 * W,
            (p / PER_ROW) as f64 * ROW
        );
        let x0 = 0.0;
        let sizes = panel
            .series
            .iter()
            .flat_map(|s| s.points.iter().map(|p| p.0));
        let (min_n, max_n) = sizes.fold((usize::MAX, 1), |(lo, hi), n| (lo.min(n), hi.max(n)));
        let max_y = panel
            .series
            .iter()
            .flat_map(|s| s.points.iter().map(|p| p.1))
            .fold(1.0, f64::max);
        let top_y = nice_ceiling(max_y);
        let (lo, hi) = ((min_n as f64).log10(), (max_n as f64).log10().max(1.0));
        let px = |n: usize| x0 + LEFT + ((n as f64).log10() - lo) / (hi - lo) * (W - LEFT - RIGHT);
        let py = |ns: f64| TOP + (1.0 - ns / top_y) * (H - TOP - BOTTOM);
        let _ = writeln!(
            out,
            r#"<text x="{}" y="18" font-size="13" font-weight="bold">{}</text>"#,
            x0 + LEFT,
            panel.title
        );
        // Axes, grid and labels.
        for i in 0..=4 {
            let v = top_y * i as f64 / 4.0;
            let y = py(v);
            let _ = writeln!(
                out,
                r##"<line x1="{}" y1="{y:.1}" x2="{}" y2="{y:.1}" stroke="#ddd"/><text x="{}" y="{:.1}" text-anchor="end">{v:.0}</text>"##,
                x0 + LEFT,
                x0 + W - RIGHT,
                x0 + LEFT - 4.0,
                y + 4.0
            );
        }
        let mut n = 1usize;
        while n <= max_n {
            if n >= min_n {
                let x = px(n);
                let label = match n {
                    n if n >= 1_000_000 => format!("{}M", n / 1_000_000),
                    n if n >= 1_000 => format!("{}k", n / 1_000),
                    n => n.to_string(),
                };
                let _ = writeln!(
                    out,
                    r##"<line x1="{x:.1}" y1="{}" x2="{x:.1}" y2="{}" stroke="#ddd"/><text x="{x:.1}" y="{}" text-anchor="middle">{label}</text>"##,
                    TOP,
                    H - BOTTOM,
                    H - BOTTOM + 14.0
                );
            }
            n = n.saturating_mul(10);
        }
        let _ = writeln!(
            out,
            r#"<text x="{}" y="{}" text-anchor="middle">tasks (log scale)</text><text x="{}" y="{}" transform="rotate(-90 {} {})" text-anchor="middle">ns per item</text>"#,
            x0 + LEFT + (W - LEFT - RIGHT) / 2.0,
            H - 8.0,
            x0 + 12.0,
            TOP + (H - TOP - BOTTOM) / 2.0,
            x0 + 12.0,
            TOP + (H - TOP - BOTTOM) / 2.0
        );
        for (s, series) in panel.series.iter().enumerate() {
            let color = COLORS[s % COLORS.len()];
            let points: Vec<String> = series
                .points
                .iter()
                .map(|&(n, ns)| format!("{:.1},{:.1}", px(n), py(ns)))
                .collect();
            let _ = writeln!(
                out,
                r#"<polyline fill="none" stroke="{color}" stroke-width="2" points="{}"/>"#,
                points.join(" ")
            );
            for &(n, ns) in &series.points {
                let _ = writeln!(
                    out,
                    r#"<circle cx="{:.1}" cy="{:.1}" r="2.5" fill="{color}"/>"#,
                    px(n),
                    py(ns)
                );
            }
            let ly = H + 12.0;
            let lx = x0 + LEFT + s as f64 * 82.0;
            let _ = writeln!(
                out,
                r#"<rect x="{lx}" y="{}" width="10" height="10" fill="{color}"/><text x="{}" y="{ly}">{}</text>"#,
                ly - 9.0,
                lx + 14.0,
                series.name
            );
        }
        out.push_str("</g>\n");
    }
    out.push_str("</svg>\n");
    out
}
