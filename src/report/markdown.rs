//! A Markdown summary for CI job pages: totals, a table of scenarios, and the failures. Every
//! value from the record goes through `output::escape` (a target chooses much of it, and CI
//! appends this file to the job's page), cut to `bounds::VALUE_CHARS`; at most
//! `bounds::FAILURES_LISTED` failed expectations are listed, the rest counted.

use std::fmt::Write;

use crate::output::bounds::{and_more, clip, FAILURES_LISTED, VALUE_CHARS};
use crate::output::escape::{markdown_code, markdown_code_cell, markdown_text};
use crate::runner::record::{RunRecord, ScenarioRecord, Verdict};

/// A value for a table cell or a list item: cut, then escaped.
fn text(value: &str) -> String {
    markdown_text(&clip(value, VALUE_CHARS))
}

pub fn render(record: &RunRecord) -> String {
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
    out
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
