//! The layering test: every `crate::` path in `sim-core/src` must point down the declared layer
//! order, so the module graph stays one-way (no import cycle can form).
//!
//! Each top-level module of the crate has a rank in [`LAYERS`]; a file in module `a` may name
//! `crate::b::…` only if `b` sits in a lower layer. Modules of one layer may not name each other
//! either, so two modules can never import each other through any chain. Paths through the crate
//! root (`crate::spawn`, `crate::Event`) are refused too: they hide which module an item comes
//! from, and the root re-exports everything. `lib.rs` itself is exempt (it is the table of
//! contents), and so is `$crate::` inside exported macros (their expansions live in user code).
//! Unit tests (`#[cfg(test)] mod … { … }`, and files named `tests.rs`) are exempt too: they
//! drive a module through the whole runtime and are not part of the built library.
//!
//! A new top-level module must be given a layer here, or the test fails naming it.

use std::fs;
use std::path::Path;

/// Layers from the bottom up. A module may use modules of lower layers only.
const LAYERS: &[&[&str]] = &[
    // Plain records and buffer recycling: import nothing above them.
    &["spare"],
    &["record"],
    &["error"],
    // Task storage, then the strategies that pick among stored tasks.
    &["executor"],
    &["sched"],
    // The pure parser of `SIM_*` variables (it knows strategies and schedules).
    &["env"],
    // The engine: the run's state and its operations.
    &["engine"],
    // The public API, from the most basic up.
    &["trace"],
    &["time"],
    &["sync"],
    &["task"],
    &["runtime"],
    &["rand", "buggify"],
    &["combinators"],
    // Machines of a distributed run, on the engine's task groups.
    &["node"],
    // What nodes share and keep: the network between them, the disk of each.
    &["net", "disk"],
    // Observers and drivers of whole runs.
    &["timeline"],
    &["check"],
    // Prose only.
    &["guide"],
];

fn rank(module: &str) -> Option<usize> {
    LAYERS.iter().position(|layer| layer.contains(&module))
}

/// Source code with comments, string literals and char literals blanked out, so only real
/// paths remain.
fn code_only(src: &str) -> String {
    let b = src.as_bytes();
    let mut out = String::with_capacity(src.len());
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c == b'/' && b.get(i + 1) == Some(&b'/') {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
        } else if c == b'/' && b.get(i + 1) == Some(&b'*') {
            let mut depth = 0;
            while i < b.len() {
                if b[i] == b'\n' {
                    out.push('\n');
                }
                if b[i] == b'/' && b.get(i + 1) == Some(&b'*') {
                    depth += 1;
                    i += 2;
                } else if b[i] == b'*' && b.get(i + 1) == Some(&b'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
        } else if c == b'r'
            && matches!(b.get(i + 1), Some(b'"') | Some(b'#'))
            && (i == 0 || !is_ident(b[i - 1]))
        {
            // A raw string: r"..." or r#"..."#.
            let mut j = i + 1;
            let mut hashes = 0;
            while b.get(j) == Some(&b'#') {
                hashes += 1;
                j += 1;
            }
            if b.get(j) != Some(&b'"') {
                out.push(c as char);
                i += 1;
                continue;
            }
            j += 1;
            loop {
                if j >= b.len() {
                    break;
                }
                if b[j] == b'"'
                    && b[j + 1..]
                        .iter()
                        .take(hashes)
                        .filter(|&&h| h == b'#')
                        .count()
                        == hashes
                {
                    j += 1 + hashes;
                    break;
                }
                j += 1;
            }
            out.push_str("\"\"");
            out.extend(src[i..j.min(src.len())].matches('\n').map(|_| '\n'));
            i = j;
        } else if c == b'"' {
            let start = i;
            i += 1;
            while i < b.len() && b[i] != b'"' {
                if b[i] == b'\\' {
                    i += 1;
                }
                i += 1;
            }
            i += 1;
            out.push_str("\"\"");
            out.extend(src[start..i.min(src.len())].matches('\n').map(|_| '\n'));
        } else if c == b'\'' {
            // A char literal ('x', '\n', '\'') or a lifetime ('a).
            if b.get(i + 1) == Some(&b'\\') {
                i += 2;
                while i < b.len() && b[i] != b'\'' {
                    i += 1;
                }
                i += 1;
            } else if b.get(i + 2) == Some(&b'\'') {
                i += 3;
            } else {
                out.push('\'');
                i += 1;
            }
        } else {
            out.push(c as char);
            i += 1;
        }
    }
    out
}

fn is_ident(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

/// `code` with every `#[cfg(test)] mod name { ... }` block removed.
fn without_test_modules(code: &str) -> String {
    let mut out = String::with_capacity(code.len());
    let mut rest = code;
    while let Some(at) = rest.find("#[cfg(test)]") {
        let after = &rest[at + "#[cfg(test)]".len()..];
        let trimmed = after.trim_start();
        let is_inline_mod = trimmed.starts_with("mod ")
            && trimmed
                .find(['{', ';'])
                .is_some_and(|k| trimmed.as_bytes()[k] == b'{');
        if !is_inline_mod {
            out.push_str(&rest[..at + "#[cfg(test)]".len()]);
            rest = after;
            continue;
        }
        out.push_str(&rest[..at]);
        let open =
            at + "#[cfg(test)]".len() + (after.len() - trimmed.len()) + trimmed.find('{').unwrap();
        let mut depth = 0;
        let mut end = rest.len();
        for (k, ch) in rest[open..].char_indices() {
            match ch {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        end = open + k + 1;
                        break;
                    }
                }
                _ => {}
            }
        }
        // Keep the line count, so later line numbers stay right.
        out.extend(std::iter::repeat_n(
            '\n',
            rest[at..end].matches('\n').count(),
        ));
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// The first path segment after each `crate::` in `code`, with the 1-based line it is on.
fn crate_paths(code: &str) -> Vec<(usize, String)> {
    let b = code.as_bytes();
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(pos) = code[from..].find("crate::") {
        let at = from + pos;
        from = at + "crate::".len();
        if at > 0 && (is_ident(b[at - 1]) || b[at - 1] == b'$') {
            continue;
        }
        let line = code[..at].matches('\n').count() + 1;
        let rest = &code[from..];
        if let Some(group) = rest.strip_prefix('{') {
            // crate::{a::X, b::{Y, Z}, c}: the first segment of each top-level entry.
            let mut depth = 0;
            let mut entry_start = true;
            for (k, ch) in group.char_indices() {
                match ch {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => entry_start = true,
                    c if entry_start && (c.is_ascii_alphabetic() || c == '_') => {
                        let name: String = group[k..]
                            .chars()
                            .take_while(|&c| c.is_ascii_alphanumeric() || c == '_')
                            .collect();
                        found.push((line, name));
                        entry_start = false;
                    }
                    _ => {}
                }
            }
        } else {
            let name: String = rest
                .chars()
                .take_while(|&c| c.is_ascii_alphanumeric() || c == '_')
                .collect();
            if !name.is_empty() {
                found.push((line, name));
            }
        }
    }
    found
}

/// The top-level module a source file belongs to (`None` for `lib.rs`).
fn module_of(relative: &str) -> Option<String> {
    if relative == "lib.rs" {
        return None;
    }
    let first = relative.split('/').next().unwrap();
    Some(first.trim_end_matches(".rs").to_string())
}

/// Every violation of the layer order in `files` (path relative to `src`, source).
fn violations(files: &[(String, String)]) -> Vec<String> {
    let mut problems = Vec::new();
    let modules: Vec<String> = files.iter().filter_map(|(p, _)| module_of(p)).collect();
    for module in &modules {
        if rank(module).is_none() {
            problems.push(format!(
                "module `{module}` has no layer: add it to LAYERS in tests/layering.rs"
            ));
        }
    }
    for (path, src) in files {
        let Some(from) = module_of(path) else {
            continue;
        };
        let Some(from_rank) = rank(&from) else {
            continue;
        };
        if path.ends_with("/tests.rs") {
            continue;
        }
        for (line, target) in crate_paths(&without_test_modules(&code_only(src))) {
            if target == from {
                continue;
            }
            match rank(&target) {
                Some(to_rank) if to_rank < from_rank => {}
                Some(to_rank) if to_rank == from_rank => problems.push(format!(
                    "{path}:{line}: `{from}` uses `crate::{target}`, a module of the same layer \
                     (modules of one layer may not use each other)"
                )),
                Some(_) => problems.push(format!(
                    "{path}:{line}: `{from}` uses `crate::{target}`, which sits in a higher layer"
                )),
                None if modules.contains(&target) => {}
                None => problems.push(format!(
                    "{path}:{line}: `crate::{target}` goes through the crate root; use the \
                     defining module's path"
                )),
            }
        }
    }
    problems
}

fn sources(dir: &Path, root: &Path, out: &mut Vec<(String, String)>) {
    let mut entries: Vec<_> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            sources(&path, root, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let relative = path
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            out.push((relative, fs::read_to_string(&path).unwrap()));
        }
    }
}

#[test]
fn every_import_points_down_the_layer_order() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&root, &root, &mut files);
    assert!(files.len() > 20, "found only {} source files", files.len());
    let problems = violations(&files);
    assert!(
        problems.is_empty(),
        "{} import(s) against the layer order (bottom up: {}):\n{}",
        problems.len(),
        LAYERS
            .iter()
            .map(|l| l.join("/"))
            .collect::<Vec<_>>()
            .join(" < "),
        problems.join("\n")
    );
}

#[test]
fn an_upward_import_is_caught() {
    let file = |path: &str, src: &str| (path.to_string(), src.to_string());
    let files = vec![
        file("lib.rs", "mod engine; mod sync; mod record;"),
        file("record/mod.rs", "pub struct TaskId;"),
        file("sync/mod.rs", "use crate::record::TaskId;"),
        // The engine reaching up into a primitive: the arrow this test exists to stop.
        file(
            "engine/mod.rs",
            "// crate::sync in a comment is fine\nuse crate::{record::TaskId, sync::Semaphore};\nfn f() { let s = \"crate::sync\"; }",
        ),
    ];
    let problems = violations(&files);
    assert_eq!(problems.len(), 1, "{problems:#?}");
    assert!(
        problems[0].starts_with("engine/mod.rs:2: `engine` uses `crate::sync`"),
        "{}",
        problems[0]
    );
}

#[test]
fn a_root_path_and_an_unplaced_module_are_caught() {
    let file = |path: &str, src: &str| (path.to_string(), src.to_string());
    let files = vec![
        file("task/mod.rs", "fn f() { crate::spawn(async {}); }"),
        file("unplaced/mod.rs", ""),
        file(
            "combinators/select.rs",
            "macro_rules! m { () => { $crate::task::spawn } }",
        ),
    ];
    let problems = violations(&files);
    assert_eq!(problems.len(), 2, "{problems:#?}");
    assert!(
        problems[0].contains("`unplaced` has no layer"),
        "{}",
        problems[0]
    );
    assert!(
        problems[1].contains("goes through the crate root"),
        "{}",
        problems[1]
    );
}
