//! JUnit XML: one test case per scenario, a `<failure>` with every failed expectation, `<error>`
//! for scenarios that could not run, `<skipped>` with the reason. Read by CI systems.

use std::fmt::Write;

use crate::output::xml::Element;
use crate::runner::record::{RunRecord, ScenarioRecord, Verdict};

pub fn render(record: &RunRecord) -> String {
    let seconds = |ms: u64| format!("{:.3}", ms as f64 / 1000.0);
    let (tests, failures, errors, skipped) = (
        record.scenarios.len(),
        record.count(Verdict::Failed),
        record.count(Verdict::Error),
        record.count(Verdict::Skipped),
    );
    let counts = |element: Element| {
        element
            .attr("tests", tests)
            .attr("failures", failures)
            .attr("errors", errors)
            .attr("skipped", skipped)
            .attr("time", seconds(record.duration_ms))
    };
    let properties = Element::new("properties")
        .inline()
        .child(property("target", &record.target))
        .child(property("profile", &record.profile))
        .children(
            record
                .secrets_revealed
                .then(|| property("secrets", crate::redact::REVEALED)),
        );
    let suite =
        counts(Element::new("testsuite").attr("name", format!("gatecheck run {}", record.run_id)))
            .attr("timestamp", &record.started_at)
            .child(properties)
            .children(record.scenarios.iter().map(|scenario| {
                let case = Element::new("testcase")
                    .attr("classname", classname(&scenario.file))
                    .attr("name", &scenario.name)
                    .attr("file", &scenario.file)
                    .attr("time", seconds(scenario.duration_ms));
                match verdict_element(scenario) {
                    Some(verdict) => case.child(verdict),
                    None => case,
                }
            }));
    counts(Element::new("testsuites").attr("name", "gatecheck"))
        .child(suite)
        .document()
}

fn property(name: &str, value: &str) -> Element {
    Element::new("property")
        .attr("name", name)
        .attr("value", value)
}

/// `<skipped>`, `<error>` or `<failure>` with every failed expectation; nothing for a pass.
fn verdict_element(scenario: &ScenarioRecord) -> Option<Element> {
    let reason = scenario.reason.as_deref().unwrap_or("");
    match scenario.verdict {
        Verdict::Passed => None,
        Verdict::Skipped => Some(Element::new("skipped").attr("message", reason)),
        Verdict::Error => Some(
            Element::new("error")
                .attr("message", reason)
                .attr("type", "setup"),
        ),
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
            Some(
                Element::new("failure")
                    .attr("message", message)
                    .attr("type", "expectation")
                    .text(body),
            )
        }
    }
}

/// `scenarios/tokens/t3_replayed.yaml` → `scenarios.tokens.t3_replayed`.
fn classname(file: &str) -> String {
    file.trim_end_matches(".yaml")
        .trim_end_matches(".yml")
        .replace(['/', '\\'], ".")
}
