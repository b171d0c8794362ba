//! The console report: one line per scenario, then for each failure the request, the response
//! and the failed expectations pointing into the YAML, then the totals.

use std::fmt::Write;

use crate::output::escape::console_line as shown;
use crate::runner::record::{RunRecord, ScenarioRecord, StepRecord, Verdict};

pub fn render(record: &RunRecord) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "gatecheck run {}: {} scenario(s) against {}, profile {}\n",
        shown(&record.run_id),
        record.scenarios.len(),
        shown(&record.target),
        shown(&record.profile)
    );
    if record.secrets_revealed {
        let _ = writeln!(out, "{}\n", crate::redact::REVEALED);
    }
    if let Some(interruption) = record.interruption() {
        let _ = writeln!(out, "{interruption}\n");
    }
    let width = record
        .scenarios
        .iter()
        .map(|s| shown(&s.name).chars().count())
        .max()
        .unwrap_or(0)
        .min(48);
    for scenario in &record.scenarios {
        let label = match scenario.verdict {
            Verdict::Passed => "PASS ",
            Verdict::Failed => "FAIL ",
            Verdict::Skipped => "SKIP ",
            Verdict::Error => "ERROR",
        };
        let name = shown(&scenario.name);
        let _ = write!(out, "{label} {name:width$}  {}", shown(&scenario.file));
        match &scenario.reason {
            Some(reason) => {
                let _ = writeln!(out, "  ({})", shown(reason));
            }
            None => {
                let _ = writeln!(
                    out,
                    "  ({} steps, {} ms)",
                    scenario.steps.len(),
                    scenario.duration_ms
                );
            }
        }
    }
    for scenario in record
        .scenarios
        .iter()
        .filter(|s| s.verdict == Verdict::Failed)
    {
        details(&mut out, scenario);
    }
    let _ = writeln!(
        out,
        "\n{} scenario(s): {} passed, {} failed, {} skipped, {} errors in {:.2} s",
        record.scenarios.len(),
        record.count(Verdict::Passed),
        record.count(Verdict::Failed),
        record.count(Verdict::Skipped),
        record.count(Verdict::Error),
        record.duration_ms as f64 / 1000.0
    );
    if record.interrupted {
        let _ = writeln!(out, "interrupted: {} not run", record.not_run);
    }
    out
}

fn details(out: &mut String, scenario: &ScenarioRecord) {
    let _ = writeln!(
        out,
        "\n--- FAIL {} ({})",
        shown(&scenario.name),
        shown(&scenario.file)
    );
    for step in scenario.steps.iter().filter(|s| !s.failures.is_empty()) {
        step_details(out, scenario, step);
    }
}

fn step_details(out: &mut String, scenario: &ScenarioRecord, step: &StepRecord) {
    let _ = writeln!(out, "  step `{}` (line {}):", shown(&step.name), step.line);
    if let Some(request) = &step.request {
        let _ = writeln!(
            out,
            "    > {} {}",
            shown(&request.method),
            shown(&request.url)
        );
        for (name, value) in &request.headers {
            let _ = writeln!(out, "    > {}: {}", shown(name), shown(value));
        }
        if !request.body.is_empty() {
            let _ = writeln!(out, "    > {}", shown(&request.body));
        }
    }
    if let Some(response) = &step.response {
        let _ = writeln!(out, "    < {}", response.status);
        if !response.body.is_empty() {
            let _ = writeln!(out, "    < {}", shown(&response.body));
        }
    }
    if let Some(error) = step.transport_error() {
        let _ = writeln!(out, "    ! {}", shown(error));
    }
    if !step.outcomes.is_empty() {
        let _ = writeln!(out, "    outcomes: {}", shown(&step.outcome_counts()));
    }
    for failure in &step.failures {
        let _ = writeln!(
            out,
            "    x {} at {}:{}:{}",
            shown(&failure.check.to_string()),
            shown(&scenario.file),
            failure.line,
            failure.column
        );
        let _ = writeln!(out, "        expected: {}", shown(&failure.expected));
        let _ = writeln!(out, "        actual:   {}", shown(&failure.actual));
    }
}
