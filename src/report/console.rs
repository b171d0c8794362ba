//! The console report: a header, one line per scenario, then for each failure the request, the
//! response and the failed expectations pointing into the YAML, then the totals. `run` prints
//! the `header` when the run starts, each `line` as its scenario finishes and the `footer` at
//! the end; `render_with` is the same text at once, in the record's order. Pure: the same record
//! and `Palette` give the same text (colour is decided by the caller, `output::color`).

use std::fmt::Write;

use crate::output::color::{Palette, Tone};
use crate::output::escape::console_line as shown;
use crate::output::text::{count, count_s, millis};
use crate::runner::record::{RunRecord, ScenarioRecord, StepRecord, Verdict};
use crate::runner::RunStart;

/// The whole console report, uncoloured: what a run printed into a pipe, its scenarios in the
/// record's order.
pub fn render(record: &RunRecord) -> String {
    render_with(record, Palette::PLAIN)
}

/// The whole console report in `palette`: `header`, a `line` per scenario, `footer`.
pub fn render_with(record: &RunRecord, palette: Palette) -> String {
    let mut out = header_text(
        &record.run_id,
        record.scenarios.len() + record.not_run,
        &record.target,
        &record.profile,
        record.secrets_revealed,
    );
    let width = name_width(record.scenarios.iter().map(|s| s.name.as_str()));
    for scenario in &record.scenarios {
        out.push_str(&line(scenario, width, palette));
    }
    out.push_str(&footer(record, palette));
    out
}

/// The first lines, printed as the run starts: what runs (every selected scenario counted),
/// against what.
pub fn header(start: &RunStart) -> String {
    header_text(
        &start.run_id,
        start.selected.len(),
        &start.target,
        &start.profile,
        start.secrets_revealed,
    )
}

fn header_text(
    run_id: &str,
    selected: usize,
    target: &str,
    profile: &str,
    revealed: bool,
) -> String {
    let mut out = format!(
        "gatecheck run {}: {} against {}, profile {}\n\n",
        shown(run_id),
        count_s(selected, "scenario"),
        shown(target),
        shown(profile)
    );
    if revealed {
        let _ = writeln!(out, "{}\n", crate::redact::REVEALED);
    }
    out
}

/// The column the scenario names are padded to (at most 48 characters).
pub fn name_width<'a>(names: impl Iterator<Item = &'a str>) -> usize {
    names
        .map(|name| shown(name).chars().count())
        .max()
        .unwrap_or(0)
        .min(48)
}

/// One scenario's line, printed as it finishes: its verdict, name, file, and its steps and
/// time or the reason it did not run.
pub fn line(scenario: &ScenarioRecord, width: usize, palette: Palette) -> String {
    let (label, tone) = match scenario.verdict {
        Verdict::Passed => ("PASS", Tone::Good),
        Verdict::Failed => ("FAIL", Tone::Bad),
        Verdict::Skipped => ("SKIP", Tone::Notice),
        Verdict::Error => ("ERROR", Tone::Bad),
    };
    // Padded outside the colour codes, so coloured and plain lines align alike.
    let padding = " ".repeat(5 - label.len());
    let name = shown(&scenario.name);
    let mut out = format!(
        "{}{padding} {name:width$}  {}",
        palette.paint(tone, label),
        shown(&scenario.file)
    );
    match &scenario.reason {
        Some(reason) => {
            let _ = writeln!(out, "  ({})", shown(reason));
        }
        None => {
            let _ = writeln!(
                out,
                "  ({}, {})",
                count_s(scenario.steps.len(), "step"),
                millis(scenario.duration_ms)
            );
        }
    }
    out
}

/// What follows the lines, once the run is over: each failure in detail, the totals, and
/// for an interrupted run what did not finish.
pub fn footer(record: &RunRecord, palette: Palette) -> String {
    let mut out = String::new();
    for scenario in record
        .scenarios
        .iter()
        .filter(|s| s.verdict == Verdict::Failed)
    {
        details(&mut out, scenario, palette);
    }
    let figure = |n: usize, text: String, tone: Tone| match n {
        0 => text,
        _ => palette.paint(tone, &text),
    };
    let (passed, failed, skipped, errors) = (
        record.count(Verdict::Passed),
        record.count(Verdict::Failed),
        record.count(Verdict::Skipped),
        record.count(Verdict::Error),
    );
    let _ = writeln!(
        out,
        "\n{}: {}, {}, {}, {} in {}",
        count_s(record.scenarios.len(), "scenario"),
        figure(passed, format!("{passed} passed"), Tone::Good),
        figure(failed, format!("{failed} failed"), Tone::Bad),
        figure(skipped, format!("{skipped} skipped"), Tone::Notice),
        figure(errors, count(errors, "error", "errors"), Tone::Bad),
        millis(record.duration_ms)
    );
    if record.interrupted {
        let text = format!(
            "INTERRUPTED: {} of {} did not finish; the results cover the {} that did",
            record.not_run,
            count_s(record.scenarios.len() + record.not_run, "selected scenario"),
            record.scenarios.len(),
        );
        let _ = writeln!(out, "{}", palette.paint(Tone::Alarm, &text));
    }
    out
}

fn details(out: &mut String, scenario: &ScenarioRecord, palette: Palette) {
    let _ = writeln!(
        out,
        "\n--- {} {} ({})",
        palette.paint(Tone::Bad, "FAIL"),
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
