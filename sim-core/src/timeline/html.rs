//! The HTML page: [`Timeline::html`], a minimal self-contained page that holds the SVG
//! picture, titled with the run's summary.

use std::fmt::Write as _;

use super::Timeline;
use super::text::xml;

impl Timeline {
    /// A minimal self-contained HTML page holding [the SVG](Timeline::svg), titled with a
    /// summary of the run.
    ///
    /// ```
    /// let mut rt = sim::Builder::new().record_events(true).build();
    /// rt.block_on(async {}).unwrap();
    /// let html = sim::timeline::Timeline::from_events(&rt.events()).html();
    /// assert!(html.starts_with("<!DOCTYPE html>"));
    /// assert!(html.contains("<title>sim timeline: 1 task, 1 step"));
    /// assert!(html.contains("<svg"));
    /// ```
    pub fn html(&self) -> String {
        let mut out = String::new();
        put!(
            out,
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>sim timeline: {}</title>\n\
             <style>body{{margin:12px;background:#fff;color:#212529;font-family:system-ui,sans-serif}}\
             .timeline{{overflow-x:auto}}svg{{display:block}}p{{font-size:12px;color:#868e96}}</style>\n\
             </head>\n<body>\n<div class=\"timeline\">\n",
            xml(&self.summary())
        );
        self.svg_element(&mut out);
        out.push_str(
            "</div>\n<p>Hover a bar or mark for its step and virtual time. \
             Open the matching <code>.json</code> file in Perfetto (ui.perfetto.dev) or chrome://tracing to zoom.</p>\n\
             </body>\n</html>\n",
        );
        out
    }
}
