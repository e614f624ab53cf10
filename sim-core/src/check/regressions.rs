//! Failures kept for the next run: the replay token of every failure `Check::run` reports is
//! saved in a file of the test's package (`sim-regressions/<target>.txt`, beside `Cargo.toml`,
//! meant to be committed, as proptest's `proptest-regressions`), and every later run of the
//! test replays the tokens saved for it first, before its seed list. A saved failure that still
//! fails is reported as it was found; one whose schedule no longer fits the code runs on past
//! the point where it stops fitting (the report says where), so it still checks the old bug.
//!
//! Only `run` saves (a test that failed); `try_run` is for code that handles failures itself,
//! and `#[should_panic]` tests, which fail on purpose, do not save. `SIM_REGRESSIONS=0` or
//! [`Check::regressions(false)`](super::Check::regressions) turns both saving and replaying off.
//! A line that does not parse is skipped with a note on stderr, so an edited or newer file
//! never hides the test's own seeds.

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use super::Check;
use super::selector::Target;
use crate::env::ReplayToken;

/// The file that keeps one target's failures.
#[derive(Debug, Clone)]
pub(super) struct Regressions {
    path: PathBuf,
}

const HEADER: &str = "\
# Failures sim found in this target's tests, one replay token a line. Every run of a test
# replays the tokens saved for it before its seeds. Commit this file; delete a line to forget
# a failure. SIM_REGRESSIONS=0 turns saving and replaying off.
";

impl Regressions {
    /// The file of the check's target: in `folder` if given, else in the package's
    /// `sim-regressions/` (when cargo's environment says where the package is).
    pub(super) fn of(check: &Check, folder: Option<&Path>) -> Option<Regressions> {
        let selector = check.selector.as_ref()?;
        let name = match &selector.target {
            Target::Lib => "lib".to_string(),
            Target::Bin(n) => format!("bin-{n}"),
            Target::Test(n) => n.clone(),
            Target::Example(n) => format!("example-{n}"),
            Target::Bench(n) => format!("bench-{n}"),
            Target::Unknown => return None,
        };
        let dir = match folder {
            Some(folder) => folder.to_path_buf(),
            None => Path::new(&std::env::var_os("CARGO_MANIFEST_DIR")?).join("sim-regressions"),
        };
        Some(Regressions {
            path: dir.join(format!("{name}.txt")),
        })
    }

    /// Where the file is.
    pub(super) fn path(&self) -> &Path {
        &self.path
    }

    /// The tokens saved for `test`, in the order they were saved.
    pub(super) fn load(&self, test: &str) -> Vec<ReplayToken> {
        let Ok(text) = fs::read_to_string(&self.path) else {
            return Vec::new();
        };
        text.lines()
            .map(str::trim)
            .filter(|line| !line.is_empty() && !line.starts_with('#'))
            .filter_map(|line| match line.parse::<ReplayToken>() {
                Ok(token) => Some(token),
                Err(e) => {
                    eprintln!(
                        "sim: skipping a line of {} that is not a replay token ({e}): {line}",
                        self.path.display()
                    );
                    None
                }
            })
            .filter(|token| token.test == test)
            .collect()
    }

    /// Saves `token`, unless it is saved already.
    pub(super) fn save(&self, token: &ReplayToken) -> std::io::Result<()> {
        let line = token.to_string();
        let existing = fs::read_to_string(&self.path).unwrap_or_default();
        if existing.lines().any(|l| l.trim() == line) {
            return Ok(());
        }
        if let Some(dir) = self.path.parent() {
            fs::create_dir_all(dir)?;
        }
        let mut file = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)?;
        if existing.is_empty() {
            file.write_all(HEADER.as_bytes())?;
        }
        writeln!(file, "{line}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sched::Strategy;

    #[test]
    fn tokens_are_saved_once_and_loaded_by_test() {
        let dir = std::env::temp_dir().join(format!("sim-regressions-{}", std::process::id()));
        let file = Regressions {
            path: dir.join("sim-regressions").join("t.txt"),
        };
        let a = ReplayToken::new("a::one", 1, Strategy::Random);
        let b = ReplayToken::new("b::two", 2, Strategy::Fifo);
        file.save(&a).unwrap();
        file.save(&b).unwrap();
        file.save(&a).unwrap();
        let text = fs::read_to_string(file.path()).unwrap();
        assert!(text.starts_with("# Failures sim found"), "{text}");
        assert_eq!(
            text.lines().filter(|l| l.starts_with("v1 ")).count(),
            2,
            "{text}"
        );
        assert_eq!(file.load("a::one"), std::slice::from_ref(&a));
        assert_eq!(file.load("b::two"), [b]);
        assert!(file.load("c::three").is_empty());
        // A line that is not a token is skipped, not fatal.
        let mut f = fs::OpenOptions::new()
            .append(true)
            .open(file.path())
            .unwrap();
        writeln!(f, "v9 something newer").unwrap();
        assert_eq!(file.load("a::one"), [a]);
        fs::remove_dir_all(dir).unwrap();
    }
}
