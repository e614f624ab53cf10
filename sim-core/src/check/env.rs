//! The `SIM_*` variables as the checker applies them: each parsed setting replaces the one the
//! check was given in code. The per-run settings go to the check's `Builder` through
//! `Builder::apply_run_env`, the code `Builder::from_env` uses too; the seed and the strategy
//! stay the check's. `SIM_REPLAY` is kept whole: when the check runs, its token replaces
//! everything it names (see `check/token.rs`).

use super::{Check, Shard};
use crate::env::{EnvError, EnvSettings};

impl Check {
    /// Applies the `SIM_*` variables (see the [table](super#environment)) now, so settings made
    /// after this call win over them. A check that was not given them this way reads them
    /// itself when it runs (and then they win over every setting in code). A malformed
    /// variable is reported when the check runs; use [`Check::try_from_env`] to see it at once.
    ///
    /// ```
    /// let summary = sim::check::Check::new().seeds(2).from_env().run(|| async {});
    /// # let _ = summary;
    /// ```
    pub fn from_env(self) -> Check {
        match EnvSettings::from_process() {
            Ok(env) => self.apply_env(&env),
            Err(e) => Check {
                env_error: Some(e),
                ..self
            },
        }
    }

    /// Applies the `SIM_*` variables, or says which one is malformed.
    ///
    /// # Errors
    ///
    /// An [`EnvError`] naming the malformed variable and its value.
    ///
    /// ```
    /// let check = sim::check::Check::new().try_from_env().expect("well-formed SIM_* variables");
    /// # drop(check);
    /// ```
    pub fn try_from_env(self) -> Result<Check, EnvError> {
        Ok(self.apply_env(&EnvSettings::from_process()?))
    }

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
        if let Some(on) = env.inject_cancellation {
            self.inject_cancellation = on;
        }
        if let Some(dir) = &env.timeline {
            self.timeline = Some(dir.clone());
        }
        self.runtime = self.runtime.apply_run_env(env);
        if let Some(setting) = &env.regressions {
            self.regressions = setting.clone();
        }
        if let Some(token) = &env.replay {
            self.replay = Some(token.clone());
        }
        self.env_read = true;
        self
    }
}

#[cfg(test)]
mod tests {
    use std::panic::Location;
    use std::time::Duration;

    use super::super::runner::SeedRunner;
    use super::super::token::RunShape;
    use super::*;
    use crate::check::DEFAULT_SEEDS;
    use crate::env::ReadBy;
    use crate::env::{Replay, VARIABLES};
    use crate::record::DEFAULT_SLOW_POLL;
    use crate::runtime::{Builder, DEFAULT_MAX_STEPS};

    fn only(name: &str, value: &str) -> EnvSettings {
        EnvSettings::read(|n| (n == name).then(|| value.into())).unwrap()
    }

    fn default_of(name: &str) -> &'static str {
        VARIABLES.iter().find(|v| v.name == name).unwrap().default
    }

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
            let env = only(v.name, v.example);
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

    /// A replay token carries what the variables the table marks "yes" set, and nothing of
    /// those it marks "no" (those marked "as the failing run had it" reach the token from the
    /// run: its seed, its schedule, its injection point, its determinism re-run).
    #[test]
    fn replay_tokens_carry_the_variables_that_change_a_run() {
        let shape = || RunShape {
            seed: 1,
            schedule: None,
            horizon: None,
            inject: None,
            twice: false,
        };
        let plain = Check::new().name("t").token(shape()).to_string();
        for v in VARIABLES {
            let check = Check::new().name("t").apply_env(&only(v.name, v.example));
            let token = check.token(shape()).to_string();
            match v.replay {
                Replay::Token => assert_ne!(token, plain, "{} is not in the token", v.name),
                Replay::No | Replay::FromRun => {
                    assert_eq!(token, plain, "{} changed the token", v.name)
                }
            }
        }
        let check = Check::new()
            .name("t")
            .apply_env(&only("SIM_MAX_TIME", "1m 30s"));
        let runner = SeedRunner {
            check: &check,
            test: &(),
            caller: Location::caller(),
            horizon: None,
        };
        assert_eq!(
            runner.replay_command(shape()),
            "SIM_REPLAY='v1 test=t seed=0x1 strategy=random max_time=90000ms' cargo test"
        );
    }

    /// The defaults the table states are the code's.
    #[test]
    fn the_documented_defaults_are_the_code_defaults() {
        let check = Check::new();
        assert_eq!(default_of("SIM_SEEDS"), DEFAULT_SEEDS.to_string());
        assert_eq!(default_of("SIM_JOBS"), check.jobs.to_string());
        assert_eq!(default_of("SIM_SEED_START"), check.seed_start.to_string());
        assert_eq!(default_of("SIM_MAX_STEPS"), DEFAULT_MAX_STEPS.to_string());
        assert_eq!(
            default_of("SIM_SHRINK"),
            if check.shrink { "on" } else { "off" }
        );
        assert!(default_of("SIM_SLOW_POLL").starts_with(&format!("{DEFAULT_SLOW_POLL:?} ")));
        assert_eq!(default_of("SIM_STRATEGY"), format!("`{}`", check.strategy));
        // A variable set to its documented default leaves the runtime as it was.
        for (name, value) in [
            ("SIM_MAX_STEPS", DEFAULT_MAX_STEPS.to_string()),
            (
                "SIM_BLOCKING_THREADS",
                default_of("SIM_BLOCKING_THREADS").to_string(),
            ),
            (
                "SIM_UNOBSERVED_PANIC",
                default_of("SIM_UNOBSERVED_PANIC").replace('`', ""),
            ),
            ("SIM_CHAOS", "0".to_string()),
            ("SIM_BUGGIFY", "0".to_string()),
            ("SIM_DEBUG", "0".to_string()),
        ] {
            let set = Builder::new().apply_env(&only(name, &value));
            assert_eq!(
                format!("{set:?}"),
                format!("{:?}", Builder::new()),
                "{name}"
            );
        }
    }

    #[test]
    fn debug_off_wins_over_a_slow_poll_threshold() {
        let env = EnvSettings::read(|n| match n {
            "SIM_SLOW_POLL" => Some("10ms".into()),
            "SIM_DEBUG" => Some("0".into()),
            _ => None,
        })
        .unwrap();
        let b = Builder::new().apply_env(&env);
        assert_eq!(format!("{b:?}"), format!("{:?}", Builder::new()));
        let b = Builder::new().apply_env(&only("SIM_SLOW_POLL", "10ms"));
        assert_eq!(
            format!("{b:?}"),
            format!(
                "{:?}",
                Builder::new().slow_poll_threshold(Duration::from_millis(10))
            )
        );
    }
}
