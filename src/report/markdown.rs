//! A Markdown summary for CI job pages: totals, a table of scenarios, and the failures. Every
//! value from the record goes through `output::escape` (a target chooses much of it, and CI
//! appends this file to the job's page), cut to `bounds::VALUE_CHARS`; at most
//! `bounds::FAILURES_LISTED` failed expectations are listed, the rest counted. Then the coverage
//! matrix: its counts, the failing and not-checked rows, and every row behind a `<details>`.

use std::fmt::Write;

use crate::coverage::{Matrix, Row, Seen, State};
use crate::output::bounds::{and_more, clip, FAILURES_LISTED, VALUE_CHARS};
use crate::output::escape::{markdown_code, markdown_code_cell, markdown_text};
use crate::runner::record::{RunRecord, ScenarioRecord, Verdict};

/// A value for a table cell or a list item: cut, then escaped.
fn text(value: &str) -> String {
    markdown_text(&clip(value, VALUE_CHARS))
}

/// The summary, its coverage matrix made from the record alone (no scenario the tag filters
/// left out is known to it: `render_with` takes a matrix built with the suite).
pub fn render(record: &RunRecord) -> String {
    render_with(record, &Matrix::build(record, &[]))
}

pub fn render_with(record: &RunRecord, matrix: &Matrix) -> String {
    let mut out = String::new();
    if record.secrets_revealed {
        let _ = writeln!(out, "**{}**\n", crate::redact::REVEALED);
    }
    let verdict = match (record.passed(), record.interrupted) {
        (_, true) => "INTERRUPTED",
        (true, false) => "passed",
        (false, false) => "FAILED",
    };
    let _ = writeln!(
        out,
        "# gatecheck run {}: {verdict}\n",
        markdown_text(&record.run_id)
    );
    let _ = writeln!(
        out,
        "Target {}, profile {}, {:.2} s.\n",
        markdown_code(&clip(&record.target, VALUE_CHARS)),
        markdown_code(&clip(&record.profile, VALUE_CHARS)),
        record.duration_ms as f64 / 1000.0
    );
    if let Some(interruption) = record.interruption() {
        let _ = writeln!(out, "**{interruption}.**\n");
    }
    let _ = writeln!(
        out,
        "| passed | failed | skipped | errors |\n|---|---|---|---|\n| {} | {} | {} | {} |\n",
        record.count(Verdict::Passed),
        record.count(Verdict::Failed),
        record.count(Verdict::Skipped),
        record.count(Verdict::Error)
    );
    out.push_str("| scenario | file | verdict | steps | ms |\n|---|---|---|---|---|\n");
    for s in &record.scenarios {
        let reason = || text(s.reason.as_deref().unwrap_or(""));
        let verdict = match s.verdict {
            Verdict::Passed => "pass".to_owned(),
            Verdict::Failed => "**FAIL**".to_owned(),
            Verdict::Skipped => format!("skip: {}", reason()),
            Verdict::Error => format!("**error**: {}", reason()),
        };
        let _ = writeln!(
            out,
            "| {} | {} | {verdict} | {} | {} |",
            text(&s.name),
            markdown_code_cell(&clip(&s.file, VALUE_CHARS)),
            s.steps.len(),
            s.duration_ms
        );
    }
    failures(&mut out, record);
    coverage(&mut out, matrix);
    out
}

/// The coverage matrix, compact: counts, the rows that need a look, then all behind a
/// disclosure (GitHub renders a table inside `<details>` after a blank line).
fn coverage(out: &mut String, matrix: &Matrix) {
    if matrix.rows.iter().all(|r| r.chips.is_empty()) {
        out.push_str("\n## Coverage\n\nNo scenario of this run says what it checks (`covers:`).\n");
        return;
    }
    let c = &matrix.counts;
    let _ = writeln!(
        out,
        "\n## Coverage\n\n{} of {} catalogue entries and API rules checked in this run, {} failing; \
         {} not checked in this run, {} checked outside the scenarios, {} not covered.\n",
        c.checked, c.entries, c.failing, c.not_checked, c.elsewhere, c.uncovered
    );
    // Failing first, then not checked (`State` orders them so).
    let mut look: Vec<&Row> = matrix
        .rows
        .iter()
        .filter(|r| matches!(r.state, State::Failing | State::NotChecked))
        .collect();
    look.sort_by_key(|r| r.state);
    if !look.is_empty() {
        out.push_str("| id | what | state | scenarios |\n|---|---|---|---|\n");
        for row in look {
            // `what` is the docs' own Markdown, a table cell there already.
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} |",
                row.entry.id,
                row.entry.what,
                state_cell(row.state),
                chips(row)
            );
        }
        out.push('\n');
    }
    let _ = writeln!(
        out,
        "<details><summary>All {} entries and rules</summary>\n\n| id | state | scenarios |\n|---|---|---|",
        c.entries
    );
    for row in &matrix.rows {
        let _ = writeln!(
            out,
            "| {} | {} | {} |",
            row.entry.id,
            state_cell(row.state),
            chips(row)
        );
    }
    out.push_str("\n</details>\n");
}

fn state_cell(state: State) -> String {
    match state {
        State::Failing => "**failing**".to_owned(),
        other => other.label().to_owned(),
    }
}

/// `name (passed), other (skipped: why)`, each value cut and escaped.
fn chips(row: &Row) -> String {
    row.chips
        .iter()
        .map(|chip| {
            let seen = match &chip.seen {
                Seen::Ran(Verdict::Passed, _) => "passed".to_owned(),
                Seen::Ran(Verdict::Failed, _) => "**FAILED**".to_owned(),
                Seen::Ran(Verdict::Error, reason) => {
                    format!("**error**: {}", text(reason.as_deref().unwrap_or("")))
                }
                Seen::Ran(Verdict::Skipped, reason) => {
                    format!("skipped: {}", text(reason.as_deref().unwrap_or("")))
                }
                Seen::NotRun(why) => text(why),
            };
            format!("{} ({seen})", text(&chip.scenario))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The failed scenarios, each with its failed expectations, `FAILURES_LISTED` in all.
fn failures(out: &mut String, record: &RunRecord) {
    let failed: Vec<&ScenarioRecord> = record
        .scenarios
        .iter()
        .filter(|s| s.verdict == Verdict::Failed)
        .collect();
    if failed.is_empty() {
        return;
    }
    out.push_str("\n## Failures\n");
    let mut listed = 0;
    let mut left_out = 0;
    for s in failed {
        let all: Vec<_> = s
            .steps
            .iter()
            .flat_map(|step| step.failures.iter().map(move |f| (step, f)))
            .collect();
        let shown = all.len().min(FAILURES_LISTED - listed);
        left_out += all.len() - shown;
        if shown == 0 && listed == FAILURES_LISTED {
            continue;
        }
        listed += shown;
        let _ = writeln!(
            out,
            "\n### {} ({})\n",
            text(&s.name),
            markdown_code(&clip(&s.file, VALUE_CHARS))
        );
        for (step, f) in &all[..shown] {
            let _ = writeln!(
                out,
                "- step {}, {} at line {}: expected {}, got {}",
                markdown_code(&clip(&step.name, VALUE_CHARS)),
                text(&f.check.to_string()),
                f.line,
                text(&f.expected),
                text(&f.actual)
            );
        }
    }
    if let Some(more) = and_more(left_out, "failed expectations") {
        let _ = writeln!(out, "\n{}", markdown_text(&more));
    }
}
