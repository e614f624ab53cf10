//! The `SIM_*` variables as the checker applies them: each parsed setting replaces the one the
//! check was given in code.

use super::{Check, Shard};
use crate::env::EnvSettings;

impl Check {
    /// Applies `env`, and starts tracing if `SIM_TRACE` asks for it.
    pub(super) fn apply_env(mut self, env: &EnvSettings) -> Check {
        if let Some(level) = env.trace_level() {
            crate::trace::init(level);
        }
        if let Some(seed) = env.seed {
            self.seed = Some(seed);
        }
        if let Some(strategy) = &env.strategy {
            self.strategy = strategy.clone();
            self.strategy_from_env = true;
        }
        if let Some(schedule) = &env.schedule {
            self.schedule = Some(schedule.clone());
        }
        if let Some(seeds) = env.seeds {
            self.seeds = seeds;
        }
        if let Some(start) = env.seed_start {
            self.seed_start = start;
        }
        if let Some((index, count)) = env.shard {
            self.shard = Some(Shard::new(index, count));
        }
        if let Some(jobs) = env.jobs {
            self.jobs = jobs;
        }
        if let Some(on) = env.check_determinism {
            self.check_determinism = on;
        }
        if let Some(on) = env.verbose {
            self.verbose = on;
        }
        if let Some(on) = env.shrink {
            self.shrink = on;
        }
        if let Some(on) = env.buggify {
            self.buggify = on;
        }
        if let Some(on) = env.inject_cancellation {
            self.inject_cancellation = on;
        }
        if let Some(on) = env.debug {
            self.debug = on;
        }
        if let Some(dir) = &env.timeline {
            self.timeline = Some(dir.clone());
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::env::{ReadBy, VARIABLES};
    use crate::runtime::Builder;

    /// The table's "read by" column is what the code does: a `Builder` applies exactly the
    /// rows marked `Builder`, a `Check` applies every row. (`SIM_TRACE` is left out: what it
    /// sets is the process's subscriber, not a setting of either.)
    #[test]
    fn each_variable_is_applied_by_the_readers_the_table_names() {
        let (builder, check) = (
            format!("{:?}", Builder::new()),
            format!("{:?}", Check::new()),
        );
        for v in VARIABLES.iter().filter(|v| v.name != "SIM_TRACE") {
            let env = EnvSettings::read(|name| (name == v.name).then(|| v.example.into())).unwrap();
            let by_builder = format!("{:?}", Builder::new().apply_env(&env)) != builder;
            let by_check = format!("{:?}", Check::new().apply_env(&env)) != check;
            assert!(by_check, "Check::from_env ignores {}", v.name);
            assert_eq!(
                by_builder,
                v.read_by == ReadBy::Run,
                "Builder::from_env and the table disagree about {}",
                v.name
            );
        }
    }
}
