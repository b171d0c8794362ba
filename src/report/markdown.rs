//! A Markdown summary for CI job pages: totals, a table of scenarios, and the failures.

use std::fmt::Write;

use crate::output::escape::markdown_cell as cell;
use crate::runner::record::{RunRecord, Verdict};

pub fn render(record: &RunRecord) -> String {
    let mut out = String::new();
    if record.secrets_revealed {
        let _ = writeln!(out, "**{}**\n", crate::redact::REVEALED);
    }
    let verdict = if record.passed() { "passed" } else { "FAILED" };
    let _ = writeln!(out, "# gatecheck run {}: {verdict}\n", record.run_id);
    let _ = writeln!(
        out,
        "Target `{}`, profile `{}`, {:.2} s.\n",
        record.target,
        record.profile,
        record.duration_ms as f64 / 1000.0
    );
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
        let verdict = match s.verdict {
            Verdict::Passed => "pass".to_owned(),
            Verdict::Failed => "**FAIL**".to_owned(),
            Verdict::Skipped => format!("skip: {}", s.reason.as_deref().unwrap_or("")),
            Verdict::Error => format!("**error**: {}", s.reason.as_deref().unwrap_or("")),
        };
        let _ = writeln!(
            out,
            "| {} | `{}` | {} | {} | {} |",
            cell(&s.name),
            cell(&s.file),
            cell(&verdict),
            s.steps.len(),
            s.duration_ms
        );
    }
    let failed: Vec<_> = record
        .scenarios
        .iter()
        .filter(|s| s.verdict == Verdict::Failed)
        .collect();
    if !failed.is_empty() {
        out.push_str("\n## Failures\n");
        for s in failed {
            let _ = writeln!(out, "\n### {} (`{}`)\n", s.name, s.file);
            for step in &s.steps {
                for f in &step.failures {
                    let _ = writeln!(
                        out,
                        "- step `{}`, {} at line {}: expected {}, got {}",
                        cell(&step.name),
                        f.check,
                        f.line,
                        cell(&f.expected),
                        cell(&f.actual)
                    );
                }
            }
        }
    }
    out
}
