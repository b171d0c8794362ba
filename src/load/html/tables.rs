//! The tables of `report.html`: thresholds, the steps in flow order (count, OK/KO, mean, min,
//! stddev and percentiles of OK, corrected with raw beside it), and the failures by kind.

use std::fmt::Write;

use super::super::metrics::decode;
use super::super::report::all_series;
use super::super::summary::{LoadSummary, Percentiles};
use crate::output::escape::html_text as escape;

pub fn thresholds(summary: &LoadSummary) -> String {
    let mut out = String::new();
    if summary.thresholds.is_empty() {
        return out;
    }
    out.push_str("<table><tr><th>threshold</th><th>actual</th><th>verdict</th></tr>");
    for t in &summary.thresholds {
        let actual = t.actual_shown(2);
        let verdict = match (t.judged, t.passed) {
            (false, _) => "<span class=\"fail\">not judged (interrupted)</span>",
            (true, true) => "<span class=\"pass\">pass</span>",
            (true, false) => "<span class=\"fail\">FAIL</span>",
        };
        let _ = write!(
            out,
            "<tr><td><code>{}</code></td><td>{actual}</td><td>{verdict}</td></tr>",
            escape(&t.threshold)
        );
    }
    out.push_str("</table>");
    out
}

/// A latency cell, `-` over no sample.
fn cell(value: f64, count: u64) -> String {
    match count {
        0 => "<td>-</td>".to_owned(),
        _ => format!("<td>{value:.2}</td>"),
    }
}

/// Min and stddev (ms) of an encoded histogram, if it decodes and holds samples.
fn min_stddev(encoded: &str) -> Option<(f64, f64)> {
    let h = decode(encoded).ok().filter(|h| !h.is_empty())?;
    Some((h.min() as f64 / 1000.0, h.stdev() / 1000.0))
}

fn latency_cells(p: &Percentiles, min_sd: Option<(f64, f64)>, n: u64) -> String {
    let (min, sd) = min_sd.unwrap_or_default();
    [p.mean, min, sd, p.p50, p.p90, p.p99, p.p999, p.max]
        .iter()
        .map(|v| cell(*v, n))
        .collect()
}

/// Each step in flow order, then the flow: two rows, corrected (from the intended start) and
/// raw (from the actual start), each with count, OK, KO, mean, min, stddev and percentiles of
/// OK samples, and KO's p99 on the first.
pub fn steps(summary: &LoadSummary) -> String {
    let mut out = String::from("<table><tr><th>step</th><th>call</th><th>latency</th><th>count</th><th>ok</th><th>ko</th><th>mean ms</th><th>min</th><th>stddev</th><th>p50</th><th>p90</th><th>p99</th><th>p99.9</th><th>max</th><th>ko p99</th></tr>");
    let calls = summary
        .steps
        .iter()
        .map(|s| s.call.as_str())
        .chain(std::iter::once(""));
    for ((name, s), call) in all_series(summary).zip(calls) {
        let (ok, ko) = (&s.ok, &s.ko);
        let n = ok.count;
        let _ = write!(
            out,
            "<tr><td rowspan=\"2\">{}</td><td rowspan=\"2\">{}</td><td>corrected</td><td rowspan=\"2\">{}</td><td rowspan=\"2\">{n}</td><td rowspan=\"2\">{}</td>{}{}</tr>",
            escape(name),
            escape(call),
            s.count,
            ko.count,
            latency_cells(&ok.corrected, min_stddev(&ok.corrected_histogram), n),
            cell(ko.corrected.p99, ko.count)
        );
        let _ = write!(
            out,
            "<tr class=\"raw\"><td class=\"sub\">raw</td>{}<td>-</td></tr>",
            latency_cells(&ok.raw, min_stddev(&ok.raw_histogram), n)
        );
    }
    out.push_str("</table><p class=\"note\">Latency of what succeeded (ok), corrected for coordinated omission (from each flow's intended start); raw is from the actual start.</p>");
    out
}

pub fn failures(summary: &LoadSummary) -> String {
    let mut out = String::from("<h2>Failures by kind</h2>");
    if summary.flow.failures.is_empty() {
        out.push_str("<p>None.</p>");
        return out;
    }
    out.push_str("<table><tr><th>kind</th><th>flows</th></tr>");
    for (kind, count) in &summary.flow.failures {
        let _ = write!(out, "<tr><td>{}</td><td>{count}</td></tr>", escape(kind));
    }
    out.push_str("</table>");
    out
}
