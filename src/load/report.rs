//! Load reports, rendered from `LoadSummary` only: the console summary, `summary.md` (for CI job
//! pages), `report.html` (see `html`), JUnit with one test case per threshold (and one in error
//! when the run was interrupted). Steps in flow order with OK and KO counts, latency of OK
//! samples. Written atomically. The interval logs are written during the run, by `interval_log`.

use std::fmt::Write;
use std::path::Path;

use super::summary::{LoadSummary, SeriesSummary, ThresholdVerdict, Verdict};
use crate::output::color::{Palette, Tone};
use crate::output::escape::{console_line, markdown_code, markdown_code_cell, markdown_text};
use crate::output::files::write_atomically;
use crate::output::xml::Element;

/// Whether the record is one shard's or merged from shards, in a sentence (none otherwise).
pub fn provenance(summary: &LoadSummary) -> Option<String> {
    if let Some(shard) = summary.shard {
        return Some(format!(
            "Shard {shard}: its thresholds are not judged alone; `gatecheck merge` judges them on the whole run"
        ));
    }
    let merged = summary.merged.as_ref()?;
    let list = |indexes: &[u32]| {
        indexes
            .iter()
            .map(u32::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut text = format!(
        "Merged from shards {} of {}",
        list(&merged.shards),
        merged.of
    );
    if !merged.missing.is_empty() {
        text.push_str(&format!(
            "; PARTIAL: shards {} are missing, so these figures and verdicts cover part of the load",
            list(&merged.missing)
        ));
    }
    Some(text)
}

/// A latency in ms, or `-` over no sample.
fn ms(value: f64, count: u64) -> String {
    match count {
        0 => "-".to_owned(),
        _ => format!("{value:.2}"),
    }
}

/// The record's verdict as reports print it.
pub fn verdict_word(summary: &LoadSummary) -> &'static str {
    match summary.verdict {
        Verdict::Passed => "passed",
        Verdict::Failed => "FAILED",
        Verdict::Interrupted => "INTERRUPTED",
    }
}

/// A threshold's verdict: PASS, FAIL, or not judged when the run was interrupted.
pub fn threshold_word(threshold: &ThresholdVerdict) -> &'static str {
    match (threshold.judged, threshold.passed) {
        (false, _) => "NOT JUDGED (interrupted)",
        (true, true) => "PASS",
        (true, false) => "FAIL",
    }
}

/// For an interrupted run, what ran of what was planned, in a sentence.
pub fn interruption(summary: &LoadSummary) -> Option<String> {
    if !summary.interrupted {
        return None;
    }
    let planned = &summary.planned;
    let of = match (planned.duration_s, planned.iterations) {
        (Some(d), Some(n)) => format!(" of {d} s or {n} flows planned"),
        (Some(d), None) => format!(" of {d} s planned"),
        (None, Some(n)) => format!(" ({} of {n} flows planned)", summary.flows.started),
        (None, None) => String::new(),
    };
    Some(format!(
        "INTERRUPTED after {:.1} s measured{of}: the figures cover what ran before the stop, and the thresholds were not judged",
        summary.measured_s
    ))
}

/// Every step in flow order, then the whole flow (named `flow`).
pub fn all_series(summary: &LoadSummary) -> impl Iterator<Item = (&str, &SeriesSummary)> {
    summary
        .steps
        .iter()
        .map(|s| (s.name.as_str(), &s.series))
        .chain(std::iter::once(("flow", &summary.flow)))
}

/// A table row; `name` is Markdown already (the flow row's is bold).
fn row(name: &str, call: &str, s: &SeriesSummary) -> String {
    let (ok, ko) = (&s.ok, &s.ko);
    format!(
        "| {name} | {call} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
        ok.count,
        ko.count,
        ms(ok.corrected.p50, ok.count),
        ms(ok.corrected.p99, ok.count),
        ms(ok.corrected.max, ok.count),
        ms(ok.raw.p50, ok.count),
        ms(ok.raw.p99, ok.count),
        ms(ko.corrected.p50, ko.count),
        ms(ko.corrected.p99, ko.count),
        s.failures
            .iter()
            .map(|(k, n)| format!("{n} {}", markdown_text(k)))
            .collect::<Vec<_>>()
            .join(", ")
    )
}

pub fn markdown(summary: &LoadSummary) -> String {
    let mut out = String::new();
    if summary.secrets_revealed {
        let _ = writeln!(out, "**{}**\n", crate::redact::REVEALED);
    }
    let _ = writeln!(
        out,
        "# gatecheck load {}: {}\n",
        markdown_text(&summary.run_id),
        verdict_word(summary)
    );
    let _ = writeln!(
        out,
        "Scenario {} ({}) against {}; {}.",
        markdown_code(&summary.scenario),
        markdown_code(&summary.file),
        markdown_code(&summary.target),
        markdown_text(&summary.model)
    );
    if let Some(relaxed) = &summary.relaxed {
        let _ = writeln!(out, "\nNote: {}.", markdown_text(relaxed));
    }
    if let Some(provenance) = provenance(summary) {
        let _ = writeln!(out, "\n{provenance}.");
    }
    if let Some(interruption) = interruption(summary) {
        let _ = writeln!(out, "\n**{}**.", markdown_text(&interruption));
    }
    let f = &summary.flows;
    let _ = writeln!(
        out,
        "\n{:.1} s measured after {:.1} s warm-up: {} flows started, {} ok, {} failed ({:.2}%), {} late ({:.2}%), {} dropped; {:.1} flows/s, {:.1} requests/s.\n",
        summary.measured_s, summary.warmup_s, f.started, f.ok, f.failed, summary.error_rate, f.late, summary.late_share, f.dropped, summary.throughput, summary.request_rate
    );
    out.push_str("| step | call | ok | ko | p50 ms | p99 ms | max ms | raw p50 | raw p99 | ko p50 | ko p99 | failures |\n|---|---|---|---|---|---|---|---|---|---|---|---|\n");
    for s in &summary.steps {
        let (name, call) = (markdown_text(&s.name), markdown_text(&s.call));
        let _ = writeln!(out, "{}", row(&name, &call, &s.series));
    }
    let _ = writeln!(out, "{}", row("**flow**", "", &summary.flow));
    out.push_str("\nLatency is of what succeeded (ok), corrected for coordinated omission (from each flow's intended start); raw is from the actual start; ko is of what failed.\n");
    if !summary.thresholds.is_empty() {
        out.push_str("\n| threshold | actual | verdict |\n|---|---|---|\n");
        for t in &summary.thresholds {
            let actual = t.actual_shown(2);
            let verdict = match threshold_word(t) {
                "FAIL" => "**FAIL**",
                "PASS" => "pass",
                _ => "not judged (interrupted)",
            };
            let _ = writeln!(
                out,
                "| {} | {actual} | {verdict} |",
                markdown_code_cell(&t.threshold)
            );
        }
    }
    out
}

/// The console's step table: OK and KO counts, latency of OK (and KO's p99), in flow order.
fn console_table(out: &mut String, summary: &LoadSummary) {
    let names: Vec<(String, &SeriesSummary)> = all_series(summary)
        .map(|(name, s)| (console_line(name), s))
        .collect();
    let width = names
        .iter()
        .map(|(n, _)| n.chars().count())
        .max()
        .unwrap_or(0)
        .clamp(16, 40);
    let _ = writeln!(
        out,
        "\n  {:<width$} {:>7} {:>6} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8}",
        "step", "ok", "ko", "p50 ms", "p99 ms", "max ms", "raw p50", "raw p99", "ko p99"
    );
    for (name, s) in &names {
        let (ok, ko) = (&s.ok, &s.ko);
        let _ = writeln!(
            out,
            "  {name:<width$} {:>7} {:>6} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8}",
            ok.count,
            ko.count,
            ms(ok.corrected.p50, ok.count),
            ms(ok.corrected.p99, ok.count),
            ms(ok.corrected.max, ok.count),
            ms(ok.raw.p50, ok.count),
            ms(ok.raw.p99, ok.count),
            ms(ko.corrected.p99, ko.count),
        );
    }
}

/// The console summary without colour.
pub fn console(summary: &LoadSummary) -> String {
    console_with(summary, Palette::PLAIN)
}

/// The console summary, its verdicts coloured by `palette` (PASS green, FAIL red, not judged
/// and INTERRUPTED bold red).
pub fn console_with(summary: &LoadSummary, palette: Palette) -> String {
    let mut out = String::new();
    let f = &summary.flows;
    let _ = writeln!(
        out,
        "gatecheck load {}: `{}` against {}",
        console_line(&summary.run_id),
        console_line(&summary.scenario),
        console_line(&summary.target)
    );
    if let Some(interruption) = interruption(summary) {
        let _ = writeln!(out, "  {interruption}");
    }
    if summary.secrets_revealed {
        let _ = writeln!(out, "  {}", crate::redact::REVEALED);
    }
    let _ = writeln!(out, "  {}", console_line(&summary.model));
    if let Some(relaxed) = &summary.relaxed {
        let _ = writeln!(out, "  note: {}", console_line(relaxed));
    }
    if let Some(provenance) = provenance(summary) {
        let _ = writeln!(out, "  {provenance}");
    }
    let _ = writeln!(
        out,
        "  {:.1} s measured: {} flows ({} ok, {} failed, {} late, {} dropped), {:.1} flows/s, {:.1} req/s, error rate {:.2}%",
        summary.measured_s, f.started, f.ok, f.failed, f.late, f.dropped, summary.throughput, summary.request_rate, summary.error_rate
    );
    console_table(&mut out, summary);
    let failures: Vec<String> = summary
        .flow
        .failures
        .iter()
        .map(|(k, n)| format!("{n} x {}", console_line(k)))
        .collect();
    if !failures.is_empty() {
        let _ = writeln!(out, "\n  failures: {}", failures.join(", "));
    }
    if !summary.thresholds.is_empty() {
        out.push('\n');
        for t in &summary.thresholds {
            let actual = t.actual_shown(2);
            let tone = match (t.judged, t.passed) {
                (false, _) => Tone::Alarm,
                (true, true) => Tone::Good,
                (true, false) => Tone::Bad,
            };
            let _ = writeln!(
                out,
                "  {} {} (actual {actual})",
                palette.paint(tone, threshold_word(t)),
                console_line(&t.threshold)
            );
        }
    }
    let tone = match summary.verdict {
        Verdict::Passed => Tone::Good,
        Verdict::Failed => Tone::Bad,
        Verdict::Interrupted => Tone::Alarm,
    };
    let _ = writeln!(
        out,
        "\n  verdict: {}",
        palette.paint(tone, verdict_word(summary))
    );
    out
}

/// Each series' OK and KO counts and OK latency, as a JUnit property.
fn series_property(name: &str, s: &SeriesSummary) -> Element {
    let (ok, ko) = (&s.ok, &s.ko);
    let with_unit = |value: f64, count: u64| match count {
        0 => "-".to_owned(),
        _ => format!("{value:.2} ms"),
    };
    let value = format!(
        "ok {}, ko {}; ok latency p50 {}, p99 {}, max {} (corrected); ko p99 {}",
        ok.count,
        ko.count,
        with_unit(ok.corrected.p50, ok.count),
        with_unit(ok.corrected.p99, ok.count),
        with_unit(ok.corrected.max, ok.count),
        with_unit(ko.corrected.p99, ko.count),
    );
    Element::new("property")
        .attr("name", format!("series {name}"))
        .attr("value", value)
}

fn threshold_case(t: &ThresholdVerdict) -> Element {
    let case = Element::new("testcase")
        .attr("classname", "thresholds")
        .attr("name", &t.threshold);
    let actual = t.actual_shown(3);
    match (t.judged, t.passed) {
        (false, _) => case.child(Element::new("skipped").attr(
            "message",
            format!("not judged: the run was interrupted (actual {actual})"),
        )),
        (true, true) => case,
        (true, false) => case.child(
            Element::new("failure")
                .attr("message", format!("{}: actual {actual}", t.threshold))
                .attr("type", "threshold"),
        ),
    }
}

/// JUnit: one test case per threshold, and for an interrupted run one more, in error (the
/// thresholds then skipped), so CI never shows a stopped run green.
pub fn junit(summary: &LoadSummary) -> String {
    let failures = summary
        .thresholds
        .iter()
        .filter(|t| t.judged && !t.passed)
        .count();
    let skipped = summary.thresholds.iter().filter(|t| !t.judged).count();
    let interruption = interruption(summary);
    let errors = usize::from(interruption.is_some());
    let tests = summary.thresholds.len() + errors;
    let interrupted_case = interruption.as_ref().map(|message| {
        Element::new("testcase")
            .attr("classname", "load")
            .attr("name", "interrupted")
            .child(
                Element::new("error")
                    .attr("message", message)
                    .attr("type", "interrupted"),
            )
    });
    let mut properties: Vec<Element> = all_series(summary)
        .map(|(name, s)| series_property(name, s))
        .collect();
    if summary.secrets_revealed {
        properties.push(
            Element::new("property")
                .attr("name", "secrets")
                .attr("value", crate::redact::REVEALED),
        );
    }
    if let Some(message) = &interruption {
        properties.push(
            Element::new("property")
                .attr("name", "interrupted")
                .attr("value", message),
        );
    }
    let suite = Element::new("testsuite")
        .attr("name", &summary.scenario)
        .attr("tests", tests)
        .attr("failures", failures)
        .attr("errors", errors)
        .attr("skipped", skipped)
        .attr("time", format!("{:.3}", summary.measured_s))
        .attr("timestamp", &summary.started_at)
        .child(Element::new("properties").children(properties))
        .children(interrupted_case)
        .children(summary.thresholds.iter().map(threshold_case));
    Element::new("testsuites")
        .attr("name", "gatecheck load")
        .attr("tests", tests)
        .attr("failures", failures)
        .attr("errors", errors)
        .attr("skipped", skipped)
        .child(suite)
        .document()
}

/// Renders every report of `summary` into `out` (also used by `gatecheck report`).
pub fn render_into(out: &Path, summary: &LoadSummary) -> std::io::Result<()> {
    let json = serde_json::to_vec_pretty(summary).map_err(std::io::Error::other)?;
    write_atomically(&out.join("summary.json"), &json)?;
    write_atomically(&out.join("summary.md"), markdown(summary).as_bytes())?;
    write_atomically(&out.join("junit.xml"), junit(summary).as_bytes())?;
    write_atomically(
        &out.join("report.html"),
        super::html::render(summary).as_bytes(),
    )?;
    Ok(())
}
