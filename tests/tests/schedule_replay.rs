//! Schedules print, parse and replay; a schedule that no longer fits is an error.

mod support;

use sim::time::{Duration, sleep};
use sim::{Builder, DecisionKind, ReplayError, Schedule, SimError, Strategy};
use support::Log;

async fn program(log: Log, tasks: usize) {
    let handles: Vec<_> = (0..tasks)
        .map(|t| {
            let log = log.clone();
            sim::spawn(async move {
                for y in 0..3 {
                    log.push(format!("{t}.{y}@{:?}", sim::time::elapsed()));
                    if y == 1 {
                        sleep(Duration::from_millis(5)).await;
                    } else {
                        sim::task::yield_now().await;
                    }
                }
            })
        })
        .collect();
    for h in handles {
        h.await.unwrap();
    }
}

fn record(seed: u64) -> (Vec<String>, Schedule, u64) {
    let log = Log::default();
    let mut rt = Builder::new().seed(seed).build();
    rt.block_on(program(log.clone(), 4)).unwrap();
    (log.take(), rt.schedule(), rt.steps())
}

#[test]
fn a_printed_schedule_replays_the_run_exactly() {
    for seed in 0..30 {
        let (original, schedule, steps) = record(seed);
        let printed = schedule.to_string();
        let parsed: Schedule = printed.parse().unwrap();
        assert_eq!(parsed, schedule);
        let log = Log::default();
        let mut replay = Builder::new()
            .seed(999)
            .strategy(Strategy::Replay(parsed))
            .build();
        replay.block_on(program(log.clone(), 4)).unwrap();
        assert_eq!(log.take(), original, "seed {seed}, schedule {printed}");
        assert_eq!(replay.steps(), steps);
        assert_eq!(
            replay.schedule(),
            schedule,
            "replay records the same decisions"
        );
    }
}

#[test]
fn a_schedule_with_an_out_of_range_decision_is_an_error() {
    let (_, schedule, _) = record(3);
    let mut decisions = schedule.decisions();
    decisions[2] = 50;
    let bad = Schedule::from_decisions(decisions);
    let mut rt = Builder::new().strategy(Strategy::Replay(bad)).build();
    let err = rt.block_on(program(Log::default(), 4)).unwrap_err();
    let SimError::Replay(mismatch) = &err else {
        panic!("expected a replay error, got {err}")
    };
    match &mismatch.error {
        ReplayError::OutOfRange {
            index,
            chosen,
            options,
            ..
        } => {
            assert_eq!((*index, *chosen), (2, 50));
            assert!(*options < 50);
        }
        other => panic!("unexpected {other:?}"),
    }
    assert!(
        err.to_string()
            .contains("decision 2 of the schedule chooses option 50"),
        "{err}"
    );
}

#[test]
fn a_schedule_too_short_for_the_program_is_an_error() {
    let (_, schedule, _) = record(4);
    let short = Schedule::from_decisions(schedule.decisions()[..3].to_vec());
    let err = Builder::new()
        .strategy(Strategy::Replay(short))
        .build()
        .block_on(program(Log::default(), 4))
        .unwrap_err();
    let SimError::Replay(m) = err else {
        panic!("expected a replay error")
    };
    assert!(matches!(
        m.error,
        ReplayError::Exhausted {
            recorded: 3,
            kind: DecisionKind::Task,
            ..
        }
    ));
}

#[test]
fn a_schedule_longer_than_the_program_is_an_error() {
    let (_, schedule, _) = record(5);
    let mut decisions = schedule.decisions();
    let recorded = decisions.len() + 2;
    decisions.extend([0, 0]);
    let err = Builder::new()
        .strategy(Strategy::Replay(Schedule::from_decisions(decisions)))
        .build()
        .block_on(program(Log::default(), 4))
        .unwrap_err();
    let SimError::Replay(m) = err else {
        panic!("expected a replay error")
    };
    assert_eq!(
        m.error,
        ReplayError::Unused {
            recorded,
            unused: 2
        }
    );
}

#[test]
fn a_forced_run_records_no_decisions() {
    let mut rt = Builder::new().seed(1).build();
    rt.block_on(async {
        sleep(Duration::from_secs(1)).await;
        sim::spawn(async {}).await.unwrap();
    })
    .unwrap();
    assert_eq!(rt.schedule().to_string(), "v1:");
}

#[test]
fn schedule_and_strategy_come_from_the_environment_form() {
    let (original, schedule, _) = record(6);
    let text = schedule.to_string();
    let builder = Builder::from_vars([("SIM_SCHEDULE", text.as_str())]).unwrap();
    let log = Log::default();
    builder.build().block_on(program(log.clone(), 4)).unwrap();
    assert_eq!(log.take(), original);
    let err = Builder::from_vars([("SIM_SCHEDULE", "v1:1,x")]).unwrap_err();
    assert_eq!(err.var(), "SIM_SCHEDULE");
    assert!(
        err.to_string().contains("malformed schedule at byte 5"),
        "{err}"
    );
}
