//! Which command runs a test again: the package, the target and the test's exact path, derived
//! from where the check runs rather than typed by hand.
//!
//! - The path: libtest runs each test on a thread named after the test's full path (as `cargo
//!   test` prints it), with one thread or many; a check on such a thread takes the name from
//!   there, so a `Check` inside `proptest!` needs no `.name()`, and a hand-written name that
//!   is not the test's path cannot make the replay command select nothing.
//! - The package: `CARGO_PKG_NAME`, which cargo sets for the processes it runs (the attribute
//!   also passes the one it was compiled in).
//! - The target: from the file that called `Check::run` (`tests/x.rs` is `--test x`, `src/...`
//!   is `--lib`, `examples/x.rs` is an example run with `cargo run --example x`, ...), read
//!   relative to the package's folder.
//!
//! The command always adds `--include-ignored`, so it runs the one selected test whether it is
//! `#[ignore]`d or not.

use std::panic::Location;
use std::path::Path;

/// How to run one check again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Selector {
    /// `-p`, when known.
    pub(crate) package: Option<String>,
    pub(crate) target: Target,
    /// The test's path as libtest names it; `None` outside a libtest test (a program's `main`).
    pub(crate) test: Option<String>,
}

/// The cargo target a check's code belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Target {
    /// The package's library (unit tests in `src/`).
    Lib,
    /// A binary: `src/main.rs` or `src/bin/<name>`.
    Bin(String),
    /// An integration test: `tests/<name>.rs` or `tests/<name>/main.rs`.
    Test(String),
    /// An example: `examples/<name>.rs` or `examples/<name>/main.rs`.
    Example(String),
    /// A benchmark: `benches/<name>.rs`.
    Bench(String),
    /// Not found (cargo's environment missing, or an unusual layout): no target argument.
    Unknown,
}

impl Selector {
    /// The selector of the check running now, called from `caller`, in `package` if the caller
    /// knows it (the attribute does).
    pub(crate) fn here(caller: &'static Location<'static>, package: Option<&str>) -> Selector {
        let package = std::env::var("CARGO_PKG_NAME")
            .ok()
            .filter(|p| !p.is_empty())
            .or_else(|| package.map(str::to_string));
        let manifest = std::env::var_os("CARGO_MANIFEST_DIR");
        let target = match &manifest {
            Some(dir) => target_of(caller.file(), Path::new(dir), package.as_deref()),
            None => Target::Unknown,
        };
        Selector {
            package,
            target,
            test: libtest_path(),
        }
    }

    /// The command after the variables: `cargo test -p pkg --test t -- path --exact
    /// --include-ignored`, or `cargo run -p pkg --example x` for a program.
    pub(crate) fn command(&self) -> String {
        let mut command = String::from("cargo");
        let (verb, target) = match (&self.target, &self.test) {
            (Target::Example(name), None) => ("run", format!(" --example {name}")),
            (Target::Bin(name), None) => ("run", format!(" --bin {name}")),
            (Target::Lib, _) => ("test", " --lib".to_string()),
            (Target::Bin(name), Some(_)) => ("test", format!(" --bin {name}")),
            (Target::Test(name), _) => ("test", format!(" --test {name}")),
            (Target::Example(name), Some(_)) => ("test", format!(" --example {name}")),
            (Target::Bench(name), _) => ("test", format!(" --bench {name}")),
            (Target::Unknown, _) => ("test", String::new()),
        };
        command += " ";
        command += verb;
        if let Some(package) = &self.package {
            command += &format!(" -p {package}");
        }
        command += &target;
        if let Some(test) = &self.test {
            command += &format!(" -- {test} --exact --include-ignored");
        }
        command
    }
}

/// The full path of the libtest test running on this thread, if this is one.
fn libtest_path() -> Option<String> {
    let thread = std::thread::current();
    let name = thread.name()?;
    // libtest names a test's thread after the test; other threads are "main" or unnamed,
    // or named by the program (a path-like name with spaces is not a test's).
    (name != "main" && !name.is_empty() && !name.contains(char::is_whitespace))
        .then(|| name.to_string())
}

/// The target of the source file `file` (as `Location` gives it: relative to where rustc ran,
/// the workspace's root or the package's) in the package at `manifest_dir`.
fn target_of(file: &str, manifest_dir: &Path, package: Option<&str>) -> Target {
    let Some(relative) = package_relative(file, manifest_dir) else {
        return Target::Unknown;
    };
    let parts: Vec<&str> = relative.split('/').collect();
    let stem = |s: &str| s.trim_end_matches(".rs").to_string();
    match parts.as_slice() {
        ["tests", file] => Target::Test(stem(file)),
        ["tests", dir, "main.rs"] => Target::Test(dir.to_string()),
        ["examples", file] => Target::Example(stem(file)),
        ["examples", dir, "main.rs"] => Target::Example(dir.to_string()),
        ["benches", file] => Target::Bench(stem(file)),
        ["src", "main.rs"] => package.map_or(Target::Unknown, |p| Target::Bin(p.to_string())),
        ["src", "bin", file] => Target::Bin(stem(file)),
        ["src", "bin", dir, "main.rs"] => Target::Bin(dir.to_string()),
        ["src", ..] => Target::Lib,
        _ => Target::Unknown,
    }
}

/// `file` relative to the package folder `manifest_dir`, checked to exist there. `file` is
/// relative to the package itself, or to a folder above it (a workspace's root), in which case
/// it starts with the last components of `manifest_dir`.
fn package_relative(file: &str, manifest_dir: &Path) -> Option<String> {
    let file = file.replace('\\', "/");
    let path = Path::new(&file);
    if path.is_absolute() {
        let rest = path.strip_prefix(manifest_dir).ok()?;
        return Some(rest.to_string_lossy().replace('\\', "/"));
    }
    if manifest_dir.join(&file).is_file() {
        return Some(file);
    }
    let components: Vec<String> = manifest_dir
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    // The longest tail of the package's folder that the file's path starts with.
    (1..components.len()).rev().find_map(|k| {
        let tail = components[components.len() - k..].join("/") + "/";
        let rest = file.strip_prefix(&tail)?;
        manifest_dir.join(rest).is_file().then(|| rest.to_string())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_target_follows_cargos_layout() {
        // This crate's own files, as the compiler names them from the workspace's root.
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
        let pkg = Some("sim-core");
        assert_eq!(
            target_of("sim-core/src/check/mod.rs", dir, pkg),
            Target::Lib
        );
        assert_eq!(target_of("src/check/mod.rs", dir, pkg), Target::Lib);
        assert_eq!(
            target_of("sim-core/tests/layering.rs", dir, pkg),
            Target::Test("layering".into())
        );
        assert_eq!(
            target_of("sim-core/examples/overdraft.rs", dir, pkg),
            Target::Example("overdraft".into())
        );
        assert_eq!(target_of("elsewhere/x.rs", dir, pkg), Target::Unknown);
        let absolute = dir.join("tests/layering.rs");
        assert_eq!(
            target_of(&absolute.to_string_lossy(), dir, pkg),
            Target::Test("layering".into())
        );
    }

    #[test]
    fn a_test_is_selected_exactly_whether_ignored_or_not() {
        let selector = Selector {
            package: Some("app".into()),
            target: Target::Test("bank".into()),
            test: Some("transfer::overdraft".into()),
        };
        assert_eq!(
            selector.command(),
            "cargo test -p app --test bank -- transfer::overdraft --exact --include-ignored"
        );
        let program = Selector {
            package: Some("app".into()),
            target: Target::Example("demo".into()),
            test: None,
        };
        assert_eq!(program.command(), "cargo run -p app --example demo");
    }

    #[test]
    fn a_unit_test_runs_on_a_thread_named_after_its_path() {
        assert_eq!(
            libtest_path().as_deref(),
            Some("check::selector::tests::a_unit_test_runs_on_a_thread_named_after_its_path")
        );
    }
}
