//! The `SIM_*` variables as the checker applies them: each parsed setting replaces the one the
//! check was given in code.

use super::Check;
use crate::env::EnvSettings;

impl Check {
    pub(super) fn apply_env(mut self, env: &EnvSettings) -> Check {
        env.start_tracing();
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
        if let Some(shard) = env.shard {
            self.shard = Some(shard);
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
