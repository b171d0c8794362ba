//! JUnit XML: one test case per scenario, a `<failure>` with every failed expectation, `<error>`
//! for scenarios that could not run, `<skipped>` with the reason. Read by CI systems.

use std::fmt::Write;

use crate::runner::record::{RunRecord, Verdict};

pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // XML 1.0 cannot carry most control characters, even escaped.
            c if (c as u32) < 0x20 && !matches!(c, '\n' | '\r' | '\t') => {
                out.push_str(&format!("\\u{{{:x}}}", c as u32))
            }
            c => out.push(c),
        }
    }
    out
}

pub fn render(record: &RunRecord) -> String {
    let seconds = |ms: u64| format!("{:.3}", ms as f64 / 1000.0);
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let (tests, failures, errors, skipped) = (
        record.scenarios.len(),
        record.count(Verdict::Failed),
        record.count(Verdict::Error),
        record.count(Verdict::Skipped),
    );
    let _ = writeln!(
        out,
        "<testsuites name=\"gatecheck\" tests=\"{tests}\" failures=\"{failures}\" errors=\"{errors}\" skipped=\"{skipped}\" time=\"{}\">",
        seconds(record.duration_ms)
    );
    let _ = writeln!(
        out,
        "  <testsuite name=\"gatecheck run {}\" tests=\"{tests}\" failures=\"{failures}\" errors=\"{errors}\" skipped=\"{skipped}\" time=\"{}\" timestamp=\"{}\">",
        escape(&record.run_id),
        seconds(record.duration_ms),
        escape(&record.started_at)
    );
    let _ = writeln!(out, "    <properties><property name=\"target\" value=\"{}\"/><property name=\"profile\" value=\"{}\"/></properties>", escape(&record.target), escape(&record.profile));
    for scenario in &record.scenarios {
        let _ = write!(
            out,
            "    <testcase classname=\"{}\" name=\"{}\" file=\"{}\" time=\"{}\"",
            escape(&classname(&scenario.file)),
            escape(&scenario.name),
            escape(&scenario.file),
            seconds(scenario.duration_ms)
        );
        match scenario.verdict {
            Verdict::Passed => out.push_str("/>\n"),
            Verdict::Skipped => {
                let _ = writeln!(
                    out,
                    ">\n      <skipped message=\"{}\"/>\n    </testcase>",
                    escape(scenario.reason.as_deref().unwrap_or(""))
                );
            }
            Verdict::Error => {
                let reason = scenario.reason.as_deref().unwrap_or("");
                let _ = writeln!(
                    out,
                    ">\n      <error message=\"{}\" type=\"setup\"/>\n    </testcase>",
                    escape(reason)
                );
            }
            Verdict::Failed => {
                let failed: Vec<_> = scenario
                    .steps
                    .iter()
                    .flat_map(|s| s.failures.iter().map(move |f| (s, f)))
                    .collect();
                let message = failed
                    .first()
                    .map(|(_, f)| format!("{}: expected {}, got {}", f.check, f.expected, f.actual))
                    .unwrap_or_default();
                let mut body = String::new();
                for (step, failure) in &failed {
                    let _ = writeln!(
                        body,
                        "step `{}` - {} at {}:{}:{}\n  expected: {}\n  actual:   {}",
                        step.name,
                        failure.check,
                        scenario.file,
                        failure.line,
                        failure.column,
                        failure.expected,
                        failure.actual
                    );
                }
                let _ = writeln!(
                    out,
                    ">\n      <failure message=\"{}\" type=\"expectation\">{}</failure>\n    </testcase>",
                    escape(&message),
                    escape(&body)
                );
            }
        }
    }
    out.push_str("  </testsuite>\n</testsuites>\n");
    out
}

/// `scenarios/tokens/t3_replayed.yaml` → `scenarios.tokens.t3_replayed`.
fn classname(file: &str) -> String {
    file.trim_end_matches(".yaml")
        .trim_end_matches(".yml")
        .replace(['/', '\\'], ".")
}
