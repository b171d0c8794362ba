//! JUnit XML: one test case per scenario, a `<failure>` with every failed expectation, `<error>`
//! for scenarios that could not run, `<skipped>` with the reason; an interrupted run adds a test
//! case `run interrupted` with an `<error>` (not green in CI) and an `interrupted` property. Read by CI systems. Values are
//! cut to `bounds::VALUE_CHARS`, and the failures' bodies list `bounds::FAILURES_LISTED` failed
//! expectations in all, so a target with a new value in every answer cannot grow the file.

use std::fmt::Write;

use crate::output::bounds::{and_more, clip, FAILURES_LISTED, VALUE_CHARS};
use crate::output::xml::Element;
use crate::runner::record::{RunRecord, ScenarioRecord, Verdict};

pub fn render(record: &RunRecord) -> String {
    let seconds = |ms: u64| format!("{:.3}", ms as f64 / 1000.0);
    // An interrupted run is one more test case, in error: CI tools show a run red only for a
    // `<failure>` or an `<error>`, and a run that stopped early has not passed.
    let interrupted = usize::from(record.interrupted);
    let (tests, failures, errors, skipped) = (
        record.scenarios.len() + interrupted,
        record.count(Verdict::Failed),
        record.count(Verdict::Error) + interrupted,
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
        )
        .children(record.interruption().map(|i| property("interrupted", &i)));
    let mut budget = FAILURES_LISTED;
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
                match verdict_element(scenario, &mut budget) {
                    Some(verdict) => case.child(verdict),
                    None => case,
                }
            }))
            .children(record.interruption().map(interrupted_case));
    counts(Element::new("testsuites").attr("name", "gatecheck"))
        .child(suite)
        .document()
}

/// The test case of an interrupted run: an `<error>` saying how many scenarios did not run.
fn interrupted_case(interruption: String) -> Element {
    Element::new("testcase")
        .attr("classname", "gatecheck")
        .attr("name", "run interrupted")
        .attr("time", "0.000")
        .child(
            Element::new("error")
                .attr("message", interruption)
                .attr("type", "interrupted"),
        )
}

fn property(name: &str, value: &str) -> Element {
    Element::new("property")
        .attr("name", name)
        .attr("value", value)
}

/// `<skipped>`, `<error>` or `<failure>` with its failed expectations (as many as `budget`
/// has left); nothing for a pass.
fn verdict_element(scenario: &ScenarioRecord, budget: &mut usize) -> Option<Element> {
    let reason = clip(scenario.reason.as_deref().unwrap_or(""), VALUE_CHARS);
    match scenario.verdict {
        Verdict::Passed => None,
        Verdict::Skipped => Some(Element::new("skipped").attr("message", reason)),
        Verdict::Error => Some(
            Element::new("error")
                .attr("message", reason)
                .attr("type", "setup"),
        ),
        Verdict::Failed => Some(failure_element(scenario, budget)),
    }
}

fn failure_element(scenario: &ScenarioRecord, budget: &mut usize) -> Element {
    let failed: Vec<_> = scenario
        .steps
        .iter()
        .flat_map(|s| s.failures.iter().map(move |f| (s, f)))
        .collect();
    let value = |text: &str| clip(text, VALUE_CHARS);
    let message = failed
        .first()
        .map(|(_, f)| {
            format!(
                "{}: expected {}, got {}",
                f.check,
                value(&f.expected),
                value(&f.actual)
            )
        })
        .unwrap_or_default();
    let shown = failed.len().min(*budget);
    *budget -= shown;
    let mut body = String::new();
    for (step, failure) in &failed[..shown] {
        let _ = writeln!(
            body,
            "step `{}` - {} at {}:{}:{}\n  expected: {}\n  actual:   {}",
            value(&step.name),
            failure.check,
            value(&scenario.file),
            failure.line,
            failure.column,
            value(&failure.expected),
            value(&failure.actual)
        );
    }
    if let Some(more) = and_more(
        failed.len() - shown,
        "failed expectations (see results.json)",
    ) {
        let _ = writeln!(body, "{more}");
    }
    Element::new("failure")
        .attr("message", message)
        .attr("type", "expectation")
        .text(body)
}

/// `scenarios/tokens/t3_replayed.yaml` → `scenarios.tokens.t3_replayed`.
fn classname(file: &str) -> String {
    file.trim_end_matches(".yaml")
        .trim_end_matches(".yml")
        .replace(['/', '\\'], ".")
}
