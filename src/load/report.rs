//! Load reports, rendered from `LoadSummary` only: the console summary, `summary.md` (for CI job
//! pages), `report.html` (see `html`), JUnit with one test case per threshold. Written
//! atomically. The interval logs are written during the run, by `interval_log`.

use std::fmt::Write;
use std::path::Path;

use super::summary::{LoadSummary, SeriesSummary};
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

/// A table row; `name` is Markdown already (the flow row's is bold).
fn row(name: &str, s: &SeriesSummary) -> String {
    format!(
        "| {name} | {} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} | {} |",
        s.count,
        s.corrected.p50,
        s.corrected.p99,
        s.corrected.max,
        s.raw.p50,
        s.raw.p99,
        s.raw.max,
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
    let verdict = if summary.passed { "passed" } else { "FAILED" };
    let _ = writeln!(
        out,
        "# gatecheck load {}: {verdict}\n",
        markdown_text(&summary.run_id)
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
    if summary.interrupted {
        out.push_str("\n**Interrupted**: these figures cover what ran before the stop.\n");
    }
    let f = &summary.flows;
    let _ = writeln!(
        out,
        "\n{:.1} s measured after {:.1} s warm-up: {} flows started, {} ok, {} failed ({:.2}%), {} late ({:.2}%), {} dropped; {:.1} flows/s, {:.1} requests/s.\n",
        summary.measured_s, summary.warmup_s, f.started, f.ok, f.failed, summary.error_rate, f.late, summary.late_share, f.dropped, summary.throughput, summary.request_rate
    );
    out.push_str("| step | count | p50 ms | p99 ms | max ms | raw p50 | raw p99 | raw max | failures |\n|---|---|---|---|---|---|---|---|---|\n");
    for (name, s) in &summary.steps {
        let _ = writeln!(out, "{}", row(&markdown_text(name), s));
    }
    let _ = writeln!(out, "{}", row("**flow**", &summary.flow));
    out.push_str("\nLatency is corrected for coordinated omission (from each flow's intended start); raw is from the actual start.\n");
    if !summary.thresholds.is_empty() {
        out.push_str("\n| threshold | actual | verdict |\n|---|---|---|\n");
        for t in &summary.thresholds {
            let actual = t.actual.map_or("no data".to_owned(), |a| format!("{a:.2}"));
            let _ = writeln!(
                out,
                "| {} | {actual} | {} |",
                markdown_code_cell(&t.threshold),
                if t.passed { "pass" } else { "**FAIL**" }
            );
        }
    }
    out
}

pub fn console(summary: &LoadSummary) -> String {
    let mut out = String::new();
    let f = &summary.flows;
    let _ = writeln!(
        out,
        "gatecheck load {}: `{}` against {}",
        console_line(&summary.run_id),
        console_line(&summary.scenario),
        console_line(&summary.target)
    );
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
    let _ = writeln!(
        out,
        "\n  {:<16} {:>8} {:>9} {:>9} {:>9} {:>9} {:>9}",
        "step", "count", "p50 ms", "p99 ms", "max ms", "raw p50", "raw p99"
    );
    let mut line = |name: &str, s: &SeriesSummary| {
        let _ = writeln!(
            out,
            "  {:<16} {:>8} {:>9.2} {:>9.2} {:>9.2} {:>9.2} {:>9.2}",
            console_line(name),
            s.count,
            s.corrected.p50,
            s.corrected.p99,
            s.corrected.max,
            s.raw.p50,
            s.raw.p99
        );
    };
    for (name, s) in &summary.steps {
        line(name, s);
    }
    line("flow", &summary.flow);
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
            let actual = t.actual.map_or("no data".to_owned(), |a| format!("{a:.2}"));
            let _ = writeln!(
                out,
                "  {} {} (actual {actual})",
                if t.passed { "PASS" } else { "FAIL" },
                console_line(&t.threshold)
            );
        }
    }
    let _ = writeln!(
        out,
        "\n  verdict: {}",
        if summary.passed { "passed" } else { "FAILED" }
    );
    out
}

pub fn junit(summary: &LoadSummary) -> String {
    let failures = summary.thresholds.iter().filter(|t| !t.passed).count();
    let tests = summary.thresholds.len();
    let cases = summary.thresholds.iter().map(|t| {
        let case = Element::new("testcase")
            .attr("classname", "thresholds")
            .attr("name", &t.threshold);
        if t.passed {
            return case;
        }
        let actual = t.actual.map_or("no data".to_owned(), |a| format!("{a:.3}"));
        case.child(
            Element::new("failure")
                .attr("message", format!("{}: actual {actual}", t.threshold))
                .attr("type", "threshold"),
        )
    });
    let suite = Element::new("testsuite")
        .attr("name", &summary.scenario)
        .attr("tests", tests)
        .attr("failures", failures)
        .attr("time", format!("{:.3}", summary.measured_s))
        .attr("timestamp", &summary.started_at)
        .children(summary.secrets_revealed.then(|| {
            Element::new("properties").child(
                Element::new("property")
                    .attr("name", "secrets")
                    .attr("value", crate::redact::REVEALED),
            )
        }))
        .children(cases);
    Element::new("testsuites")
        .attr("name", "gatecheck load")
        .attr("tests", tests)
        .attr("failures", failures)
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
