//! Compiles the built-in suite into the binary: every file under `scenarios/` becomes an entry
//! of `$OUT_DIR/builtin_suite.rs`, a table of `(name, include_str!(...))` that `src/suite/
//! builtin.rs` includes, so `gatecheck run` works from any directory. No dependency: a walk of
//! one directory and one generated file. `rerun-if-changed` on the directory makes cargo rerun
//! this script when a file under it is added, removed or edited (cargo scans a directory's
//! whole tree), and only then.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn main() {
    let root = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    println!("cargo:rerun-if-changed=scenarios");
    println!("cargo:rerun-if-changed=build.rs");
    let mut files = Vec::new();
    walk(&root, Path::new("scenarios"), &mut files);
    files.sort();
    let mut table = String::from("&[\n");
    for name in &files {
        let full = root.join(name);
        let _ = writeln!(
            table,
            "    ({:?}, include_str!({:?})),",
            name,
            full.display().to_string()
        );
    }
    table.push(']');
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets it"));
    std::fs::write(out.join("builtin_suite.rs"), table).expect("write the built-in suite table");
}

/// Every file under `dir` (relative to `root`), named with `/` whatever the platform.
fn walk(root: &Path, dir: &Path, files: &mut Vec<String>) {
    let entries = std::fs::read_dir(root.join(dir))
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()));
    for entry in entries {
        let entry = entry.expect("a directory entry");
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') {
            continue;
        }
        let relative = dir.join(&name);
        if entry.file_type().expect("a file type").is_dir() {
            walk(root, &relative, files);
        } else {
            let parts: Vec<_> = relative.iter().map(|p| p.to_string_lossy()).collect();
            files.push(parts.join("/"));
        }
    }
}
