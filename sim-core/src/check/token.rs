//! Replay tokens seen from the checker: the token a failure's report prints (everything that
//! shaped the failing run), and a check set up to make exactly the run a `SIM_REPLAY` token
//! describes.
//!
//! A token belongs to one test: a check whose test is another refuses it with an error naming
//! both, rather than running something else and passing. A check replaying a token runs that
//! one run (no seed list, no PCT probe, no shrinking), so the printed command fails the same
//! way at the same step, or passes if the bug is fixed.

use crate::engine::UnobservedPanic;
use crate::env::{PanicPolicy, ReplayToken};
use crate::record::Schedule;
use crate::runtime::DEFAULT_MAX_STEPS;
use crate::sched::{GuideStep, Strategy};

use super::{Check, CheckError};

/// What shaped one run of a check, besides its test.
pub(super) struct RunShape<'a> {
    pub(super) seed: u64,
    /// The strict schedule to replay, if the token should pin the decisions.
    pub(super) schedule: Option<&'a Schedule>,
    pub(super) horizon: Option<u64>,
    pub(super) inject: Option<u64>,
    pub(super) twice: bool,
}

impl Check {
    /// The test a token of this check names: the libtest path when the check runs in a test,
    /// else the check's name.
    pub(super) fn identity(&self) -> &str {
        self.selector
            .as_ref()
            .and_then(|s| s.test.as_deref())
            .unwrap_or(&self.name)
    }

    /// The token of one run of this check.
    pub(super) fn token(&self, shape: RunShape<'_>) -> ReplayToken {
        let config = self.runtime.config();
        let mut token = ReplayToken::new(self.identity(), shape.seed, self.strategy.clone());
        if let Strategy::Replay(schedule) = &self.strategy {
            // A check told to replay a schedule: the token pins it, under the default name.
            token.strategy = Strategy::Random;
            token.schedule = Some(schedule.clone());
        }
        if let Some(schedule) = shape.schedule.or(self.schedule.as_ref()) {
            token.schedule = Some(schedule.clone());
        }
        if matches!(self.strategy, Strategy::Pct { .. }) {
            token.horizon = shape.horizon;
        }
        token.inject = shape.inject;
        token.twice = shape.twice;
        token.chaos = config.chaos;
        token.buggify = config.buggify;
        token.max_steps = (config.max_steps != DEFAULT_MAX_STEPS).then_some(config.max_steps);
        token.max_time = config.max_time;
        token.blocking_threads = (config.blocking_threads != 1).then_some(config.blocking_threads);
        token.unobserved_panic = match config.unobserved_panic {
            UnobservedPanic::Ignore => Some(PanicPolicy::Ignore),
            _ => None,
        };
        token
    }

    /// This check set up to make exactly the run `token` describes, if the token is this
    /// check's.
    pub(super) fn replaying(mut self, token: &ReplayToken) -> Result<Check, CheckError> {
        if token.test != self.identity() {
            return Err(CheckError::Config(format!(
                "SIM_REPLAY holds a token of test `{}`, but this is `{}`: run the command the \
                 failure report printed, which selects only that test (or unset SIM_REPLAY)",
                token.test,
                self.identity()
            )));
        }
        self.seed = Some(token.seed);
        self.strategy = token.strategy.clone();
        self.schedule = None;
        self.replay_guide = token
            .schedule
            .as_ref()
            .map(|s| s.iter().map(GuideStep::Index).collect());
        self.check_determinism = token.twice;
        self.shrink = false;
        self.inject_cancellation = false;
        let config = self.runtime.config_mut();
        config.chaos = token.chaos;
        config.buggify = token.buggify;
        config.max_steps = token.max_steps.unwrap_or(DEFAULT_MAX_STEPS);
        config.max_time = token.max_time;
        config.blocking_threads = token.blocking_threads.unwrap_or(1);
        config.unobserved_panic = match token.unobserved_panic {
            Some(PanicPolicy::Ignore) => UnobservedPanic::Ignore,
            _ => UnobservedPanic::FailRun,
        };
        self.replay = Some(token.clone());
        Ok(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::Builder;
    use std::time::Duration;

    #[test]
    fn a_token_carries_the_run_settings_and_gives_them_back() {
        let check = Check::new()
            .name("t")
            .chaos(true)
            .buggify(true)
            .max_steps(500)
            .max_time(Duration::from_secs(3))
            .runtime(|b: Builder| {
                b.blocking_threads(3)
                    .unobserved_panic(UnobservedPanic::Ignore)
            });
        let token = check.token(RunShape {
            seed: 9,
            schedule: None,
            horizon: None,
            inject: Some(2),
            twice: false,
        });
        assert_eq!(
            token.to_string(),
            "v1 test=t seed=0x9 strategy=random inject=2 chaos buggify max_steps=500 \
             max_time=3000ms blocking_threads=3 unobserved_panic=ignore"
        );
        // Replayed by a check that set none of them, the run gets them all back.
        let replay = Check::new().name("t").replaying(&token).unwrap();
        assert_eq!(
            format!("{:?}", replay.runtime.config()),
            format!("{:?}", check.runtime.config())
        );
        assert_eq!(replay.seed, Some(9));
        // And a token says nothing of the settings that are at their defaults.
        let plain = Check::new().name("t").token(RunShape {
            seed: 1,
            schedule: None,
            horizon: None,
            inject: None,
            twice: false,
        });
        assert_eq!(plain.to_string(), "v1 test=t seed=0x1 strategy=random");
        let reset = check.clone().replaying(&plain).unwrap();
        assert_eq!(
            format!("{:?}", reset.runtime.config()),
            format!("{:?}", Check::new().runtime.config())
        );
    }

    #[test]
    fn a_token_of_another_test_is_refused_naming_both() {
        let token = ReplayToken::new("a::one", 1, Strategy::Fifo);
        let err = Check::new().name("b::two").replaying(&token).unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("a token of test `a::one`, but this is `b::two`"),
            "{text}"
        );
    }
}
