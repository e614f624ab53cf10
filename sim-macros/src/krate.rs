//! Where `sim` is when the test's package depends on `sim-core` under another name
//! (`simulation = { package = "sim-core", .. }`): the attribute then expands to that name, so a
//! renamed dependency works without `crate = ".."`.
//!
//! The package's `Cargo.toml` is read as text (cargo sets `CARGO_MANIFEST_DIR` for the macro):
//! an inline table with `package = "sim-core"`, or a `[dependencies.<name>]`-style table with
//! that line. Anything else (no manifest, no such entry, an unusual layout) leaves the default,
//! `::sim`, and an explicit `crate = ".."` always wins.

use std::path::Path;

/// The name the package's manifest gives the `sim-core` dependency, if it renames it.
pub(crate) fn renamed_dependency() -> Option<String> {
    let dir = std::env::var_os("CARGO_MANIFEST_DIR")?;
    let manifest = std::fs::read_to_string(Path::new(&dir).join("Cargo.toml")).ok()?;
    renamed_in(&manifest)
}

/// The renamed `sim-core` dependency in the text of a manifest.
fn renamed_in(manifest: &str) -> Option<String> {
    let mut table: Option<String> = None;
    for raw in manifest.lines() {
        let line = raw.split('#').next().unwrap_or("").trim();
        if let Some(header) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            // `[dev-dependencies.simulation]` or `[target.'cfg(..)'.dependencies.simulation]`.
            table = header
                .rsplit_once("dependencies.")
                .map(|(_, name)| name.trim().trim_matches('"').to_string());
            continue;
        }
        let names_sim_core = |text: &str| {
            text.split("package").skip(1).any(|rest| {
                rest.trim_start()
                    .trim_start_matches('=')
                    .trim_start()
                    .starts_with("\"sim-core\"")
            })
        };
        if let Some(name) = &table {
            if names_sim_core(line) && line.starts_with("package") {
                return crate_name(name);
            }
            continue;
        }
        if let Some((key, value)) = line.split_once('=')
            && value.trim_start().starts_with('{')
            && names_sim_core(value)
        {
            return crate_name(key.trim().trim_matches('"'));
        }
    }
    None
}

/// The crate name of a dependency key (`sim-core`'s library is `sim` unless renamed).
fn crate_name(key: &str) -> Option<String> {
    let name = key.replace('-', "_");
    (name != "sim" && !name.is_empty()).then_some(name)
}

#[cfg(test)]
mod tests {
    use super::renamed_in;

    #[test]
    fn finds_a_renamed_dependency_and_nothing_else() {
        let inline =
            "[dev-dependencies]\nsimulation = { package = \"sim-core\", version = \"0.1\" }\n";
        assert_eq!(renamed_in(inline).as_deref(), Some("simulation"));
        let table = "[dev-dependencies.my-sim]\npackage = \"sim-core\"\nversion = \"0.1\"\n";
        assert_eq!(renamed_in(table).as_deref(), Some("my_sim"));
        let plain = "[dev-dependencies]\nsim-core = \"0.1\"\nserde = { version = \"1\" }\n";
        assert_eq!(renamed_in(plain), None);
        let named_sim =
            "[dependencies]\nsim = { package = \"sim-core\", path = \"../sim-core\" }\n";
        assert_eq!(renamed_in(named_sim), None);
        let other = "[dependencies]\nfoo = { package = \"sim-core-extras\" }\n";
        assert_eq!(renamed_in(other), None);
        let commented = "[dependencies]\n# x = { package = \"sim-core\" }\n";
        assert_eq!(renamed_in(commented), None);
    }
}
