//! Unit tests of the parser and of its one table.

use std::cell::RefCell;
use std::collections::BTreeSet;

use super::*;

fn read(vars: &[(&str, &str)]) -> Result<EnvSettings, EnvError> {
    EnvSettings::read(|name| {
        vars.iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| (*v).into())
    })
}

fn names() -> BTreeSet<&'static str> {
    VARIABLES.iter().map(|v| v.name).collect()
}

#[test]
fn every_variable_parses() {
    let s = read(&[
        ("SIM_SEED", "0x2a"),
        ("SIM_STRATEGY", "pct:2"),
        ("SIM_SCHEDULE", "v1:1"),
        ("SIM_SEEDS", "500"),
        ("SIM_SEED_START", "0"),
        ("SIM_SHARD", "2/4"),
        ("SIM_JOBS", "2"),
        ("SIM_CHECK_DETERMINISM", "true"),
        ("SIM_VERBOSE", "0"),
        ("SIM_TRACE", "trace"),
    ])
    .unwrap();
    assert_eq!(s.seed, Some(42));
    assert_eq!(s.strategy, Some(Strategy::Pct { depth: 2 }));
    assert_eq!(s.schedule.as_ref().unwrap().decisions(), [1]);
    assert_eq!(
        (s.seeds, s.seed_start, s.jobs),
        (Some(500), Some(0), Some(2))
    );
    assert_eq!(s.shard, Some((2, 4)));
    assert_eq!((s.check_determinism, s.verbose), (Some(true), Some(false)));
    assert_eq!(s.trace_level(), Some(tracing::Level::TRACE));
    assert_eq!(read(&[("SIM_TRACE", "0")]).unwrap().trace_level(), None);

    let s = read(&[
        ("SIM_MAX_TIME", "1m 30s"),
        ("SIM_SLOW_POLL", " 250ms "),
        ("SIM_BLOCKING_THREADS", "3"),
        ("SIM_UNOBSERVED_PANIC", "Ignore"),
        ("SIM_CHAOS", "yes"),
        ("SIM_MAX_STEPS", "500"),
        ("SIM_WATCHDOG", "1m"),
    ])
    .unwrap();
    assert_eq!(s.watchdog, Some(Some(Duration::from_secs(60))));
    assert_eq!(s.max_time, Some(Duration::from_secs(90)));
    assert_eq!(s.slow_poll, Some(Duration::from_millis(250)));
    assert_eq!(s.blocking_threads, Some(3));
    assert_eq!(s.unobserved_panic, Some(PanicPolicy::Ignore));
    assert_eq!((s.chaos, s.max_steps), (Some(true), Some(500)));
}

#[test]
fn the_watchdog_is_a_duration_or_off() {
    for (value, budget) in [
        ("300ms", Some(Duration::from_millis(300))),
        (" 30s ", Some(Duration::from_secs(30))),
        ("0", None),
        ("off", None),
        ("OFF", None),
        ("0s", None),
    ] {
        let s = read(&[("SIM_WATCHDOG", value)]).unwrap();
        assert_eq!(s.watchdog, Some(budget), "{value:?}");
    }
}

#[test]
fn malformed_values_are_errors_naming_the_variable() {
    for (var, value, needle) in [
        ("SIM_SEEDS", "0", "at least 1"),
        ("SIM_SEEDS", "many", "whole number"),
        ("SIM_SEED_START", "-3", "whole number"),
        ("SIM_SHARD", "0/3", "1 <= i <= n"),
        ("SIM_SHARD", "4/3", "1 <= i <= n"),
        ("SIM_SHARD", "3", "`i/n`"),
        ("SIM_JOBS", "0", "at least 1"),
        ("SIM_CHECK_DETERMINISM", "maybe", "1, 0, true or false"),
        ("SIM_VERBOSE", "", "1, 0, true or false"),
        ("SIM_TRACE", "loud", "expected 1 (debug), trace, info or 0"),
        ("SIM_TIMELINE", " ", "a folder"),
        ("SIM_MAX_STEPS", "0", "at least 1"),
        ("SIM_BLOCKING_THREADS", "two", "whole number"),
        ("SIM_MAX_TIME", "soon", "a duration such as `500ms`"),
        ("SIM_SLOW_POLL", "100", "a duration such as `500ms`"),
        ("SIM_UNOBSERVED_PANIC", "panic", "`fail` or `ignore`"),
        ("SIM_CHAOS", "sometimes", "1, 0, true or false"),
        ("SIM_WATCHDOG", "forever", "a duration such as `10s`"),
        ("SIM_WATCHDOG", "", "or `off`"),
    ] {
        let err = read(&[(var, value)]).unwrap_err();
        assert_eq!((err.var(), err.value()), (var, value));
        let text = err.to_string();
        assert!(
            text.starts_with(&format!("{var}={value:?} is malformed: ")),
            "{text}"
        );
        assert!(text.contains(needle), "{text}");
    }
}

#[test]
fn the_parser_reads_exactly_the_listed_variables() {
    let asked = RefCell::new(Vec::new());
    EnvSettings::read(|name| {
        asked.borrow_mut().push(name.to_string());
        None
    })
    .unwrap();
    let asked = asked.into_inner();
    let listed: Vec<&str> = VARIABLES.iter().map(|v| v.name).collect();
    assert_eq!(asked, listed, "read in the table's order, each once");
    assert_eq!(names().len(), VARIABLES.len(), "no variable listed twice");
}

#[test]
fn every_example_is_well_formed_and_sets_its_variable() {
    let unset = format!("{:?}", read(&[]).unwrap());
    for v in VARIABLES {
        let set = read(&[(v.name, v.example)])
            .unwrap_or_else(|e| panic!("the example of {} does not parse: {e}", v.name));
        assert_ne!(format!("{set:?}"), unset, "{} was not read", v.name);
    }
}

#[test]
fn the_documented_table_has_one_row_per_variable() {
    let table: &str = table!();
    let mut rows = table.lines();
    assert_eq!(
        rows.next(),
        Some("| variable | meaning | format | default | read by | in a replay token |")
    );
    assert_eq!(rows.next(), Some("|---|---|---|---|---|---|"));
    let rows: Vec<&str> = rows.collect();
    assert_eq!(rows.len(), VARIABLES.len());
    for (row, v) in rows.iter().zip(VARIABLES) {
        assert!(row.starts_with(&format!("| `{}` | ", v.name)), "{row}");
        assert!(row.contains(v.meaning) && row.contains(v.default), "{row}");
        assert!(row.contains(&format!("e.g. `{}`", v.example)), "{row}");
        // Seven bars: a `|` inside a cell would break the table.
        assert_eq!(row.matches('|').count(), 7, "{row}");
    }
}

/// The public docs show the table (in `sim::check`), and no doc or guide names a variable
/// that is not in it.
#[test]
fn the_docs_show_the_table_and_name_only_listed_variables() {
    let check_docs = include_str!("../check/mod.rs");
    assert!(check_docs.contains("#![doc = crate::env::table!()]"));
    let docs = [
        ("check/mod.rs", check_docs),
        ("runtime/builder.rs", include_str!("../runtime/builder.rs")),
        ("trace.rs", include_str!("../trace.rs")),
        ("buggify.rs", include_str!("../buggify.rs")),
        ("test_attr.md", include_str!("../test_attr.md")),
        ("README.md", include_str!("../../../README.md")),
        ("docs/guide.md", include_str!("../../../docs/guide.md")),
        (
            "docs/reproducing-failures.md",
            include_str!("../../../docs/reproducing-failures.md"),
        ),
        (
            "docs/finding-bugs.md",
            include_str!("../../../docs/finding-bugs.md"),
        ),
        (
            "docs/architecture.md",
            include_str!("../../../docs/architecture.md"),
        ),
    ];
    let listed = names();
    for (file, text) in docs {
        for (at, _) in text.match_indices("SIM_") {
            let name: String = text[at..]
                .chars()
                .take_while(|c| c.is_ascii_uppercase() || *c == '_')
                .collect();
            if name.len() > "SIM_".len() {
                assert!(
                    listed.contains(name.as_str()),
                    "{file} names {name}, which is not in env.rs's table"
                );
            }
        }
    }
}
