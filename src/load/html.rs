//! `report.html`: a self-contained page (inline SVG, no scripts, no CDN) rendered from
//! `LoadSummary`: the steps in flow order (OK and KO counts, latency of OK), the percentile
//! spectrum of OK samples per step, throughput and p99 over time, and the failures by kind.

use std::fmt::Write;

use super::metrics::decode;
use super::report::all_series;
use super::summary::{LoadSummary, Verdict};
use crate::output::escape::html_text as escape;

const COLOURS: &[&str] = &[
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
];
const WIDTH: f64 = 760.0;
const HEIGHT: f64 = 300.0;
const LEFT: f64 = 84.0;
const BOTTOM: f64 = 40.0;

struct Line {
    name: String,
    points: Vec<(f64, f64)>,
}

/// A line chart; `x_labels` places labels at x positions. With nothing to plot, a sentence
/// saying so (`empty`) instead of empty axes.
fn chart(
    title: &str,
    y_label: &str,
    lines: &[Line],
    x_labels: &[(f64, String)],
    x_max: f64,
    empty: &str,
) -> String {
    if lines.iter().all(|line| line.points.is_empty()) {
        return format!(
            "<figure><figcaption>{}</figcaption><p class=\"empty\">{}</p></figure>",
            escape(title),
            escape(empty)
        );
    }
    let y_max = lines
        .iter()
        .flat_map(|l| l.points.iter().map(|p| p.1))
        .fold(0.0f64, f64::max);
    // All zero: a unit scale, not five ticks that all read 0.00.
    let y_max = if y_max > 0.0 { y_max * 1.1 } else { 1.0 };
    let plot_w = WIDTH - LEFT - 160.0;
    let plot_h = HEIGHT - BOTTOM - 30.0;
    let x = |v: f64| LEFT + plot_w * (v / x_max.max(1e-9));
    let y = |v: f64| 30.0 + plot_h * (1.0 - v / y_max);
    let mut svg = format!("<figure><figcaption>{}</figcaption><svg viewBox=\"0 0 {WIDTH} {HEIGHT}\" width=\"{WIDTH}\" height=\"{HEIGHT}\" role=\"img\">", escape(title));
    for i in 0..=4 {
        let value = y_max * i as f64 / 4.0;
        let digits = if y_max >= 100.0 { 0 } else { 2 };
        let _ = write!(svg, "<line x1=\"{LEFT}\" x2=\"{}\" y1=\"{py:.1}\" y2=\"{py:.1}\" class=\"grid\"/><text x=\"{}\" y=\"{:.1}\" class=\"tick\" text-anchor=\"end\">{value:.digits$}</text>", LEFT + plot_w, LEFT - 6.0, y(value) + 4.0, py = y(value));
    }
    for (at, label) in x_labels {
        let _ = write!(
            svg,
            "<text x=\"{:.1}\" y=\"{}\" class=\"tick\" text-anchor=\"middle\">{}</text>",
            x(*at),
            HEIGHT - BOTTOM + 16.0,
            escape(label)
        );
    }
    let _ = write!(svg, "<text x=\"14\" y=\"{:.1}\" class=\"axis\" transform=\"rotate(-90 14 {:.1})\" text-anchor=\"middle\">{}</text>", 30.0 + plot_h / 2.0, 30.0 + plot_h / 2.0, escape(y_label));
    for (i, line) in lines.iter().enumerate() {
        let colour = COLOURS[i % COLOURS.len()];
        let points: Vec<String> = line
            .points
            .iter()
            .map(|(px, py)| format!("{:.1},{:.1}", x(*px), y(*py)))
            .collect();
        let _ = write!(
            svg,
            "<polyline fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\" points=\"{}\"/>",
            points.join(" ")
        );
        let ly = 40.0 + 18.0 * i as f64;
        let _ = write!(svg, "<rect x=\"{}\" y=\"{:.1}\" width=\"12\" height=\"12\" fill=\"{colour}\"/><text x=\"{}\" y=\"{:.1}\" class=\"legend\">{}</text>", LEFT + plot_w + 14.0, ly - 10.0, LEFT + plot_w + 32.0, ly, escape(&line.name));
    }
    svg.push_str("</svg></figure>");
    svg
}

/// Percentiles on a "nines" scale: x = -log10(1 - q), so 90, 99, 99.9 are evenly spaced.
fn spectrum(summary: &LoadSummary) -> String {
    let quantiles = [0.0, 0.5, 0.75, 0.9, 0.95, 0.99, 0.995, 0.999, 0.9999];
    let nines = |q: f64| -(1.0f64 - q).max(1e-5).log10();
    let mut lines = Vec::new();
    for (name, series) in all_series(summary) {
        if let Ok(histogram) = decode(&series.ok.corrected_histogram) {
            if histogram.is_empty() {
                continue;
            }
            let points = quantiles
                .iter()
                .map(|q| (nines(*q), histogram.value_at_quantile(*q) as f64 / 1000.0))
                .collect();
            lines.push(Line {
                name: name.to_owned(),
                points,
            });
        }
    }
    let labels: Vec<(f64, String)> = [0.0, 0.9, 0.99, 0.999, 0.9999]
        .iter()
        .map(|q| {
            (
                nines(*q),
                format!("p{}", (q * 100.0 * 100.0).round() / 100.0),
            )
        })
        .collect();
    chart(
        "Latency of what succeeded, by percentile (corrected for coordinated omission)",
        "ms",
        &lines,
        &labels,
        nines(0.9999),
        "No request succeeded in the measured window.",
    )
}

fn over_time(summary: &LoadSummary) -> (String, String) {
    // The last interval is partial (flows finishing after the stop): leave it out of rates.
    let whole: Vec<&super::summary::TimelinePoint> = summary
        .timeline
        .iter()
        .filter(|p| p.t + 1.0 <= summary.measured_s + 0.05)
        .collect();
    let end = whole.last().map_or(1.0, |p| p.t + 1.0);
    // Short runs need a decimal, or the five labels read 0, 0, 0, 1, 1.
    let digits = if end < 8.0 { 1 } else { 0 };
    let labels: Vec<(f64, String)> = (0..=4)
        .map(|i| end * i as f64 / 4.0)
        .map(|t| (t, format!("{t:.digits$} s")))
        .collect();
    let empty = "The measured window held no whole second to plot.";
    let throughput = vec![Line {
        name: "flows/s".into(),
        points: whole.iter().map(|p| (p.t + 0.5, p.flows as f64)).collect(),
    }];
    let p99: Vec<Line> = all_series(summary)
        .map(|(name, _)| Line {
            name: name.to_owned(),
            points: whole
                .iter()
                .filter_map(|p| p.p99_ms.get(name).map(|v| (p.t + 0.5, *v)))
                .collect(),
        })
        .filter(|line| !line.points.is_empty())
        .collect();
    (
        chart(
            "Throughput over time",
            "flows/s",
            &throughput,
            &labels,
            end,
            empty,
        ),
        chart(
            "p99 of what succeeded over time (corrected)",
            "ms",
            &p99,
            &labels,
            end,
            empty,
        ),
    )
}

pub fn render(summary: &LoadSummary) -> String {
    let mut out = String::from("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">");
    let _ = write!(
        out,
        "<title>gatecheck load {}</title>",
        escape(&summary.run_id)
    );
    out.push_str("<style>body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222;max-width:1000px}h1{font-size:20px}table{border-collapse:collapse;margin:12px 0}td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}th:first-child,td:first-child{text-align:left}.pass{color:#2a7a2a}.fail{color:#c02020;font-weight:bold}figure{margin:16px 0}figcaption{font-weight:600;margin-bottom:4px}.grid{stroke:#e4e4e4}.tick{font-size:11px;fill:#555}.axis{font-size:12px;fill:#333}.legend{font-size:12px;fill:#222}.empty{color:#666;font-style:italic}</style></head><body>");
    let verdict = match summary.verdict {
        Verdict::Passed => "<span class=\"pass\">passed</span>",
        Verdict::Failed => "<span class=\"fail\">FAILED</span>",
        Verdict::Interrupted => "<span class=\"fail\">INTERRUPTED</span>",
    };
    if summary.secrets_revealed {
        let _ = write!(out, "<p class=\"fail\">{}</p>", crate::redact::REVEALED);
    }
    let _ = write!(
        out,
        "<h1>gatecheck load {}: {verdict}</h1>",
        escape(&summary.run_id)
    );
    let _ = write!(
        out,
        "<p>Scenario <b>{}</b> (<code>{}</code>) against <code>{}</code>; {}.</p>",
        escape(&summary.scenario),
        escape(&summary.file),
        escape(&summary.target),
        escape(&summary.model)
    );
    if let Some(provenance) = super::report::provenance(summary) {
        let _ = write!(out, "<p>{}.</p>", escape(&provenance));
    }
    if let Some(relaxed) = &summary.relaxed {
        let _ = write!(out, "<p>Note: {}.</p>", escape(relaxed));
    }
    if let Some(interruption) = super::report::interruption(summary) {
        let _ = write!(out, "<p class=\"fail\">{}.</p>", escape(&interruption));
    }
    let f = &summary.flows;
    let _ = write!(
        out,
        "<p>{:.1} s measured after {:.1} s warm-up: {} flows started, {} ok, {} failed ({:.2}%), {} late ({:.2}%), {} dropped; {:.1} flows/s, {:.1} requests/s.</p>",
        summary.measured_s, summary.warmup_s, f.started, f.ok, f.failed, summary.error_rate, f.late, summary.late_share, f.dropped, summary.throughput, summary.request_rate
    );
    out.push_str(&thresholds_table(summary));
    out.push_str(&steps_table(summary));
    out.push_str(&spectrum(summary));
    let (throughput, p99) = over_time(summary);
    out.push_str(&throughput);
    out.push_str(&p99);
    out.push_str("<h2>Failures by kind</h2>");
    if summary.flow.failures.is_empty() {
        out.push_str("<p>None.</p>");
    } else {
        out.push_str("<table><tr><th>kind</th><th>flows</th></tr>");
        for (kind, count) in &summary.flow.failures {
            let _ = write!(out, "<tr><td>{}</td><td>{count}</td></tr>", escape(kind));
        }
        out.push_str("</table>");
    }
    out.push_str("</body></html>\n");
    out
}

fn thresholds_table(summary: &LoadSummary) -> String {
    let mut out = String::new();
    if !summary.thresholds.is_empty() {
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
    }
    out
}

/// A latency cell, `-` over no sample.
fn cell(value: f64, count: u64) -> String {
    match count {
        0 => "<td>-</td>".to_owned(),
        _ => format!("<td>{value:.2}</td>"),
    }
}

/// Each step in flow order: its call, OK and KO counts, the corrected percentiles of OK
/// samples and raw p50/p99 beside them, and KO's p99.
fn steps_table(summary: &LoadSummary) -> String {
    let mut out = String::new();
    out.push_str("<table><tr><th>step</th><th>call</th><th>ok</th><th>ko</th><th>p50 ms</th><th>p90</th><th>p99</th><th>p99.9</th><th>max</th><th>raw p50</th><th>raw p99</th><th>ko p99</th></tr>");
    let calls = summary
        .steps
        .iter()
        .map(|s| s.call.as_str())
        .chain(std::iter::once(""));
    for ((name, s), call) in all_series(summary).zip(calls) {
        let (ok, ko) = (&s.ok, &s.ko);
        let c = &ok.corrected;
        let n = ok.count;
        let _ = write!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{n}</td><td>{}</td>{}{}{}{}{}{}{}{}</tr>",
            escape(name),
            escape(call),
            ko.count,
            cell(c.p50, n),
            cell(c.p90, n),
            cell(c.p99, n),
            cell(c.p999, n),
            cell(c.max, n),
            cell(ok.raw.p50, n),
            cell(ok.raw.p99, n),
            cell(ko.corrected.p99, ko.count)
        );
    }
    out.push_str("</table>");
    out
}
