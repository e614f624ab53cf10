//! What a failure leaves on disk: with `SIM_TIMELINE` (or
//! [`Check::timeline`](super::Check::timeline)), the failing run replayed with its events
//! recorded, and its timeline written as Chrome trace JSON, SVG and HTML.

use super::Check;
use super::quiet;
use super::report::Failure;
use super::runner::{SeedRunner, TestFn};
use crate::sched::Strategy;

impl<T: TestFn> SeedRunner<'_, T> {
    /// Replays the failing run with its events recorded and writes its timeline into the
    /// check's folder; the report then names the files.
    pub(super) fn write_timeline(&self, failure: &mut Failure) {
        let check = self.check;
        let Some(base) = &check.timeline else { return };
        let probe = self.probe(failure.position, None);
        let mut rt = self
            .builder(failure.seed, probe)
            .strategy(Strategy::Replay(failure.schedule.clone()))
            .record_events(true)
            .build();
        let replay = || rt.block_on_at(self.test.start(), self.caller).map(|_| ());
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| quiet::quietly(replay)));
        let path = base.join(format!("{}-{:#x}", file_name(&check.name), failure.seed));
        let timeline =
            crate::timeline::Timeline::from_events(&rt.events()).failing_step(failure.at.step);
        match timeline.write_to(&path) {
            Ok(()) => failure.timeline = Some(path),
            Err(e) => eprintln!(
                "sim: could not write the timeline to {}: {e}",
                path.display()
            ),
        }
    }
}

/// The test's name as a file name: every character but letters, digits and `_` becomes `-`.
fn file_name(test: &str) -> String {
    test.chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect()
}

impl Check {
    /// On failure, write the failing run's timeline (Chrome trace JSON, SVG and HTML; see
    /// [`timeline`](crate::timeline)) into `dir`, named after the test and the seed.
    ///
    /// ```
    /// let dir = std::env::temp_dir().join(format!("sim-doc-timeline-{}", std::process::id()));
    /// let err = sim::check::Check::new().name("doc").seeds(1).timeline(&dir).try_run(|| async {
    ///     assert_eq!(1 + 1, 3, "boom");
    /// });
    /// let report = err.unwrap_err().to_string();
    /// assert!(report.contains("timeline:"), "{report}");
    /// # std::fs::remove_dir_all(&dir).unwrap();
    /// ```
    pub fn timeline(mut self, dir: impl Into<std::path::PathBuf>) -> Check {
        self.timeline = Some(dir.into());
        self
    }
}
