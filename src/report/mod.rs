//! Reports render a `RunRecord` and nothing else: console text, JUnit XML, JSON, a Markdown
//! summary and an HTML page (`html`). Files are written atomically (a report is whole or absent).

pub mod console;
pub mod coverage_html;
pub mod html;
pub mod junit;
pub mod markdown;

use std::path::{Path, PathBuf};

use crate::coverage::Matrix;
use crate::output::files::write_atomically;
use crate::runner::record::RunRecord;

/// Writes results.json, junit.xml, summary.md and report.html under `dir/<run-id>/`; returns
/// that directory.
/// The coverage matrix is made from the record alone (scenarios the tag filters left out are
/// not known to it: `write_all_with` takes one built with the loaded suite).
pub fn write_all(dir: &Path, record: &RunRecord) -> std::io::Result<PathBuf> {
    write_all_with(dir, record, &Matrix::build(record, &[]))
}

/// `write_all` with the coverage matrix of the whole loaded suite, in summary.md and at the
/// end of report.html.
pub fn write_all_with(dir: &Path, record: &RunRecord, matrix: &Matrix) -> std::io::Result<PathBuf> {
    let out = dir.join(&record.run_id);
    std::fs::create_dir_all(&out)?;
    // One line, not pretty-printed: indentation doubled it (588 KB against 304 KB for the
    // built-in suite's clean run, the headers' pairs most); `jq .` shows it indented.
    let json = serde_json::to_vec(record).map_err(std::io::Error::other)?;
    write_atomically(&out.join("results.json"), &json)?;
    write_atomically(&out.join("junit.xml"), junit::render(record).as_bytes())?;
    write_atomically(
        &out.join("summary.md"),
        markdown::render_with(record, matrix).as_bytes(),
    )?;
    let html = html::run::render(record, &[coverage_html::section(matrix)]);
    write_atomically(&out.join("report.html"), html.as_bytes())?;
    Ok(out)
}
