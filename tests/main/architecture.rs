//! ARCHITECTURE.md stays true: every module of `src/` has a row in its module map, uses only
//! what its row's "may use" column allows and uses all of it; no file of `src/` or `tests/` is
//! over 500 lines, and a function of `src/` over 80 lines is one of the declarative tables the
//! map names.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::support::repo_path;

const MAX_FILE_LINES: usize = 500;
const MAX_FUNCTION_LINES: usize = 80;

/// The module map: each row's module path and what it may use.
fn module_map() -> BTreeMap<String, BTreeSet<String>> {
    let text = std::fs::read_to_string(repo_path("ARCHITECTURE.md")).expect("ARCHITECTURE.md");
    let mut rows = BTreeMap::new();
    for line in text.lines().filter(|l| l.starts_with("| `")) {
        let cells: Vec<&str> = line.split(" | ").collect();
        let module = cells[0]
            .trim_start_matches("| ")
            .trim_matches('`')
            .to_owned();
        let may_use = cells
            .last()
            .map(|c| backticked(c.trim_end_matches(" |")))
            .unwrap_or_default();
        rows.insert(module, may_use);
    }
    assert!(rows.len() > 10, "no module map found in ARCHITECTURE.md");
    rows
}

fn backticked(cell: &str) -> BTreeSet<String> {
    cell.split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_owned)
        .collect()
}

/// Every `.rs` file under `dir`.
fn sources(dir: &Path, files: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("src") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            sources(&path, files);
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
}

/// `src/gateway/flow/code.rs` → `gateway::flow::code`; `mod.rs` names its folder.
fn module_of(file: &Path, src: &Path) -> String {
    let relative = file
        .strip_prefix(src)
        .expect("under src")
        .with_extension("");
    let mut parts: Vec<String> = relative
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if parts.last().is_some_and(|p| p == "mod") {
        parts.pop();
    }
    parts.join("::")
}

/// The longest row that is `path` or one of its ancestors.
fn row_of<'a>(path: &str, rows: &'a BTreeMap<String, BTreeSet<String>>) -> Option<&'a String> {
    rows.keys()
        .filter(|row| path == row.as_str() || path.starts_with(&format!("{row}::")))
        .max_by_key(|row| row.len())
}

/// The code of a file without its comments and its `#[cfg(test)]` module (tests may reach
/// further to prove things agree).
fn code_of(text: &str) -> String {
    let code = match text.find("#[cfg(test)]\nmod tests {") {
        Some(at) => &text[..at],
        None => text,
    };
    code.lines()
        .map(|line| line.split("//").next().unwrap_or_default())
        .collect::<Vec<_>>()
        .join("\n")
}

/// The module paths a file names: `crate::a::b` as `a::b`, `super::x` resolved from `module`,
/// groups (`use super::{a, b::C}`) expanded.
fn paths_named(code: &str, module: &str) -> Vec<String> {
    let mut paths = Vec::new();
    for (at, _) in code.match_indices("crate::") {
        if !code[..at].ends_with(|c: char| c.is_ascii_alphanumeric() || c == '_') {
            expand("", &code[at + 7..], &mut paths);
        }
    }
    for (at, _) in code.match_indices("super::") {
        if code[..at].ends_with("super::") || code[..at].ends_with(|c: char| c.is_alphanumeric()) {
            continue;
        }
        let rest = &code[at..];
        let ups = rest.len() - rest.trim_start_matches("super::").len();
        let mut base: Vec<&str> = module.split("::").collect();
        base.truncate(base.len().saturating_sub(ups / "super::".len()));
        expand(
            &base.join("::"),
            rest.trim_start_matches("super::"),
            &mut paths,
        );
    }
    paths
}

/// The paths `text` names after `prefix::`: one path, or each of a `{..}` group.
fn expand(prefix: &str, text: &str, paths: &mut Vec<String>) {
    let raw: String = text
        .chars()
        .take_while(|&c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
        .collect();
    let head = raw.trim_end_matches(':');
    let path = match (prefix.is_empty(), head.is_empty()) {
        (true, _) => head.to_owned(),
        (false, true) => prefix.to_owned(),
        (false, false) => format!("{prefix}::{head}"),
    };
    let group = text[raw.len()..]
        .strip_prefix('{')
        .filter(|_| raw.is_empty() || raw.ends_with("::"));
    let Some(inner) = group else {
        paths.push(path);
        return;
    };
    // Split at the commas outside nested braces, up to the group's closing brace.
    let (mut depth, mut start) = (0usize, 0usize);
    for (i, c) in inner.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => return push_item(&path, &inner[start..i], paths),
            '}' => depth -= 1,
            ',' if depth == 0 => {
                push_item(&path, &inner[start..i], paths);
                start = i + 1;
            }
            _ => {}
        }
    }
}

fn push_item(prefix: &str, item: &str, paths: &mut Vec<String>) {
    let item = item.trim();
    match item {
        "" => {}
        "self" => paths.push(prefix.to_owned()),
        _ => expand(prefix, item, paths),
    }
}

#[test]
fn every_module_uses_only_what_the_map_allows_and_all_of_it() {
    let rows = module_map();
    let src = repo_path("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    let top: BTreeSet<&str> = rows
        .keys()
        .map(|r| r.split("::").next().unwrap_or(r))
        .collect();
    let mut problems = Vec::new();
    let mut used: BTreeMap<&String, BTreeSet<&String>> = BTreeMap::new();
    for file in &files {
        let module = module_of(file, &src);
        // The crate roots and a module's own test files are not modules of the map.
        if module == "lib" || module == "main" || module.ends_with("::tests") {
            continue;
        }
        let Some(own) = row_of(&module, &rows) else {
            problems.push(format!("{module}: no row in ARCHITECTURE.md's module map"));
            continue;
        };
        let text = std::fs::read_to_string(file).expect("source");
        for path in paths_named(&code_of(&text), &module) {
            if !top.contains(path.split("::").next().unwrap_or_default()) {
                continue; // `crate::` in a string, or an item of the crate root
            }
            let Some(target) = row_of(&path, &rows) else {
                problems.push(format!("{module}: uses `{path}`, which has no row"));
                continue;
            };
            // A row may use itself and its own sub-rows.
            if target == own || target.starts_with(&format!("{own}::")) {
                continue;
            }
            let allowed = rows[own]
                .iter()
                .filter(|a| *target == **a || target.starts_with(&format!("{a}::")))
                .max_by_key(|a| a.len());
            match allowed {
                Some(allowed) => {
                    used.entry(own).or_default().insert(allowed);
                }
                None => problems.push(format!(
                    "{module} ({}): uses `{path}`, not in its row's \"may use\"",
                    file.display()
                )),
            }
        }
    }
    for (row, may_use) in &rows {
        for listed in may_use.iter().filter(|l| rows.contains_key(*l)) {
            if !used.get(row).is_some_and(|u| u.contains(listed)) {
                problems.push(format!("{row}: may use `{listed}` but does not"));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "ARCHITECTURE.md's map is not what the code does:\n{}",
        problems.join("\n")
    );
}

/// Each function's name and its length in lines, from its `fn` line to the closing brace at
/// the same indentation (the code is rustfmt'd).
fn function_lengths(text: &str) -> Vec<(String, usize)> {
    let lines: Vec<&str> = text.lines().collect();
    let mut found = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let trimmed = line.trim_start();
        let signature = ["pub(crate) ", "pub(super) ", "pub ", "async ", "const "]
            .iter()
            .fold(trimmed, |rest, prefix| {
                rest.strip_prefix(prefix).unwrap_or(rest)
            });
        let Some(after) = signature.strip_prefix("fn ") else {
            continue;
        };
        if line.trim_end().ends_with(';') {
            continue;
        }
        if line.trim_end().ends_with('}') {
            found.push((fn_name(after), 1));
            continue;
        }
        let indent = &line[..line.len() - trimmed.len()];
        let close = format!("{indent}}}");
        // No closing brace found: the function runs to the end of the file.
        let end = lines[i..]
            .iter()
            .position(|l| l.trim_end() == close)
            .unwrap_or(lines.len() - i - 1);
        found.push((fn_name(after), end + 1));
    }
    found
}

fn fn_name(after_fn: &str) -> String {
    after_fn
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect()
}

#[test]
fn no_file_over_500_lines_and_no_function_over_80_but_the_tables_named() {
    let architecture =
        std::fs::read_to_string(repo_path("ARCHITECTURE.md")).expect("ARCHITECTURE.md");
    let mut files = Vec::new();
    sources(&repo_path("src"), &mut files);
    sources(&repo_path("tests"), &mut files);
    let src = repo_path("src");
    let mut problems = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).expect("source");
        let lines = text.lines().count();
        if lines > MAX_FILE_LINES {
            problems.push(format!("{}: {lines} lines", file.display()));
        }
        // Tests are sequences of calls and tables of probes, read top to bottom: files only.
        if !file.starts_with(&src) {
            continue;
        }
        for (name, length) in function_lengths(&text) {
            if length <= MAX_FUNCTION_LINES {
                continue;
            }
            let named = format!("{}::{name}", module_of(file, &src));
            if !architecture.contains(&format!("`{named}`")) {
                problems.push(format!(
                    "{}: `{name}` is {length} lines (name it in ARCHITECTURE.md if it is a table)",
                    file.display()
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_size_check_measures_functions() {
    let text = "fn short() {\n    a();\n}\n\nimpl X {\n    pub async fn long() {\n        b();\n        c();\n    }\n    fn one() {}\n}\n";
    assert_eq!(
        function_lengths(text),
        [
            ("short".to_owned(), 3),
            ("long".to_owned(), 4),
            ("one".to_owned(), 1)
        ]
    );
    let paths = paths_named(
        "use super::store::Store;\nuse crate::api::Operation;",
        "gateway::flow::code",
    );
    assert_eq!(paths, ["api::Operation", "gateway::flow::store::Store"]);
}

#[test]
fn only_cmd_out_writes_to_stdout() {
    // `print!` panics on a closed pipe (`gatecheck run | head -1`); `cmd::out` stops writing.
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    let writers: Vec<String> = files
        .iter()
        .filter(|f| !f.ends_with("cmd/out.rs") && !f.ends_with("tests.rs"))
        .filter(|f| {
            let code = code_of(&std::fs::read_to_string(f).expect("source"))
                .replace("eprintln!(", "")
                .replace("eprint!(", "");
            code.contains("println!(") || code.contains("print!(")
        })
        .map(|f| f.display().to_string())
        .collect();
    assert!(writers.is_empty(), "print! outside cmd::out: {writers:?}");
}
