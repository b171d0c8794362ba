//! `report.html`: a self-contained page (inline SVG, no scripts, no CDN) rendered from
//! `LoadSummary` alone: the steps in flow order (OK and KO counts, mean, min, stddev and
//! percentiles of OK, raw next to corrected), then a grid of full-width charts: flows/s and
//! requests/s over time with the open model's target rate dashed, p99 per step, failed
//! requests/s by kind, requests/s by status class, flows in flight or active virtual users
//! (`timeline`), latency bands (p50 to p99, the p90 line) per step over time, the percentile
//! spectrum, a latency histogram per step (log-spaced buckets), and the failures by kind.
//! Rates are computed over each interval's real span, so the last partial second (which holds
//! what ended in the grace period too) is drawn as what it was, not as a dip; a second missing
//! from the record, or with no sample of a latency line, is a gap. A print layout keeps charts
//! whole on a page.

mod axis;
mod chart;
mod tables;
mod timeline;

use std::fmt::Write;

use super::metrics::decode;
use super::report::all_series;
use super::summary::{LoadSummary, TimelinePoint, Verdict};
use crate::output::escape::html_text as escape;
use chart::{Line, XAxis, COLOURS};

const STYLE: &str = "body{font:14px/1.4 system-ui,sans-serif;margin:20px 28px;color:#222}h1{font-size:20px}h2{font-size:16px;margin:22px 0 6px}table{border-collapse:collapse;margin:10px 0}td,th{border:1px solid #ccc;padding:3px 7px;text-align:right;font-variant-numeric:tabular-nums}th{background:#f3f3f3}th:first-child,td:first-child{text-align:left}td.sub{color:#666}.pass{color:#2a7a2a}.fail{color:#c02020;font-weight:bold}.grid2,.grid3{display:grid;grid-template-columns:repeat(auto-fill,minmax(560px,1fr));gap:14px 24px}figure{margin:0;break-inside:avoid;page-break-inside:avoid}figure svg{width:100%;height:auto;display:block}figcaption{font-weight:600;margin-bottom:2px}.grid{stroke:#e6e6e6}.tick{font-size:11px;fill:#555}.axis{font-size:11px;fill:#333}.hover{fill:transparent}.hover:hover{fill:rgba(0,0,0,.06)}ul.legend{list-style:none;margin:2px 0 0;padding:0;font-size:12px}ul.legend li{display:inline-block;margin-right:14px}ul.legend i{display:inline-block;width:10px;height:10px;margin-right:4px;vertical-align:baseline}.empty{color:#666;font-style:italic}.note{color:#555}@media print{body{margin:0;font-size:11px;color:#000;background:#fff}.grid2,.grid3{display:block}figure{margin:0 0 10px}th{background:none}.hover{display:none}}";

/// Below this, a last interval is folded into the one before it: a few ms after the stop
/// holding the flows still in flight would otherwise read as a spike or a dip.
const SHORTEST_LAST_S: f64 = 0.25;

/// Each timeline point with its real span: one second, and for the last one up to the
/// measured window's end (folded into the one before when shorter than `SHORTEST_LAST_S`).
fn spans(summary: &LoadSummary) -> Vec<(f64, f64, TimelinePoint)> {
    let mut out: Vec<(f64, f64, TimelinePoint)> = Vec::new();
    let end = summary.measured_s;
    for point in &summary.timeline {
        let length = (end - point.t).clamp(0.0, 1.0);
        match out.last_mut() {
            // Only onto the second just before it: across a gap the span would bridge it.
            Some(last)
                if length < SHORTEST_LAST_S
                    && point.t + 1.0 > end
                    && (last.0 + last.1 - point.t).abs() < 1e-6 =>
            {
                fold(&mut last.2, last.1, point, length);
                last.1 += length;
            }
            _ if length <= 0.0 => {}
            _ => out.push((point.t, length, point.clone())),
        }
    }
    out
}

/// A short last point of `length` s folded into the one before it (`into`, `into_length` s):
/// counts add, the target rate is the mean over both, the other gauges are the later close's.
fn fold(into: &mut TimelinePoint, into_length: f64, point: &TimelinePoint, length: f64) {
    into.flows += point.flows;
    into.failed += point.failed;
    into.requests += point.requests;
    let whole = (into_length + length).max(1e-9);
    into.target_rate = match (into.target_rate, point.target_rate) {
        (Some(a), Some(b)) => Some((a * into_length + b * length) / whole),
        (a, b) => a.or(b),
    };
    into.in_flight = point.in_flight.or(into.in_flight);
    into.active_vus = point.active_vus.or(into.active_vus);
    for (kind, n) in &point.failures {
        *into.failures.entry(kind.clone()).or_default() += n;
    }
    for (class, n) in &point.status_classes {
        *into.status_classes.entry(class.clone()).or_default() += n;
    }
}

/// The rate of `count` over an interval of `length` seconds.
pub fn rate(count: u64, length: f64) -> f64 {
    count as f64 / length.max(1e-9)
}

fn time_axis(spans: &[(f64, f64, TimelinePoint)]) -> XAxis {
    let end = spans.last().map_or(1.0, |(t, l, _)| t + l);
    XAxis::Time { end }
}

const NO_SECOND: &str = "The measured window held no interval to plot.";

/// Flows/s, requests/s and failed flows/s, and the open model's target rate dashed.
fn throughput(summary: &LoadSummary, spans: &[(f64, f64, TimelinePoint)]) -> String {
    let line = |name: &str, f: &dyn Fn(&TimelinePoint) -> u64| {
        let points = spans.iter().map(|(t, l, p)| (*t, *l, rate(f(p), *l)));
        Line::solid(name, points.collect())
    };
    let mut lines = vec![line("flows/s", &|p| p.flows)];
    if summary.timeline.iter().any(|p| p.requests > 0) {
        lines.push(line("requests/s", &|p| p.requests));
    }
    lines.push(line("failed flows/s", &|p| p.failed));
    let target: Vec<(f64, f64, f64)> = spans
        .iter()
        .filter_map(|(t, l, p)| Some((*t, *l, p.target_rate?)))
        .collect();
    if !target.is_empty() {
        lines.push(Line {
            dashed: true,
            ..Line::solid("target flows/s", target)
        });
    }
    chart::lines(
        "throughput",
        "Throughput over time (over each interval's real span; the open model's target dashed)",
        "per second",
        &lines,
        &time_axis(spans),
        false,
        NO_SECOND,
    )
}

/// p99 of OK per series over time, on a log axis when the steps span orders of magnitude.
fn p99_over_time(summary: &LoadSummary, spans: &[(f64, f64, TimelinePoint)]) -> String {
    let lines: Vec<Line> = all_series(summary)
        .map(|(name, _)| {
            let points = spans
                .iter()
                .filter_map(|(t, l, p)| p.p99_ms.get(name).map(|v| (*t, *l, *v)));
            Line::solid(name, points.collect())
        })
        .collect();
    chart::lines(
        "p99",
        "p99 of what succeeded over time (corrected), per step",
        "ms",
        &lines,
        &time_axis(spans),
        true,
        NO_SECOND,
    )
}

/// A band from p50 to p99 with the p90 line, per step over time (small multiples).
fn bands(summary: &LoadSummary, spans: &[(f64, f64, TimelinePoint)]) -> String {
    if !summary.timeline.iter().any(|p| !p.p90_ms.is_empty()) {
        return chart::empty(
            "bands",
            "Latency bands over time",
            "This record (schema 3) holds no p50 or p90 per second; run the load again to draw them.",
        );
    }
    let axis = time_axis(spans);
    let mut out = String::from("<div class=\"grid3\">");
    for (i, (name, _)) in all_series(summary).enumerate() {
        let points: Vec<(f64, f64, [f64; 3])> = spans
            .iter()
            .filter_map(|(t, l, p)| {
                let q = |m: &std::collections::BTreeMap<String, f64>| m.get(name).copied();
                Some((*t, *l, [q(&p.p50_ms)?, q(&p.p90_ms)?, q(&p.p99_ms)?]))
            })
            .collect();
        let title = format!("{name}: p50–p99 band, p90 line (ms, corrected)");
        out.push_str(&chart::band(
            "band",
            &title,
            &points,
            &axis,
            COLOURS[i % COLOURS.len()],
        ));
    }
    out.push_str("</div>");
    out
}

/// Percentiles on a "nines" scale: x = -log10(1 - q), so 90, 99, 99.9 are evenly spaced.
fn spectrum(summary: &LoadSummary) -> String {
    let quantiles = [0.0, 0.5, 0.75, 0.9, 0.95, 0.99, 0.995, 0.999, 0.9999];
    let nines = |q: f64| -(1.0f64 - q).max(1e-5).log10();
    let mut lines = Vec::new();
    for (name, series) in all_series(summary) {
        let Ok(histogram) = decode(&series.ok.corrected_histogram) else {
            continue;
        };
        let points = match histogram.is_empty() {
            true => Vec::new(),
            false => quantiles
                .windows(2)
                .map(|w| {
                    let v = histogram.value_at_quantile(w[1]) as f64 / 1000.0;
                    (nines(w[0]), nines(w[1]) - nines(w[0]), v)
                })
                .collect(),
        };
        lines.push(Line::solid(name, points));
    }
    let labels = [0.0, 0.9, 0.99, 0.999, 0.9999]
        .iter()
        .map(|q| {
            (
                nines(*q),
                format!("p{}", (q * 100.0 * 100.0).round() / 100.0),
            )
        })
        .collect();
    chart::lines(
        "spectrum",
        "Latency of what succeeded, by percentile (corrected for coordinated omission)",
        "ms",
        &lines,
        &XAxis::Labels {
            end: nines(0.9999),
            labels,
        },
        true,
        "No request succeeded in the measured window.",
    )
}

/// Buckets at 1-2-5 per decade... refined to ten per decade (log-spaced), counts of OK samples
/// (corrected), from the HDR histogram; only the span that holds samples.
fn histogram_bars(encoded: &str) -> Vec<(f64, f64, u64)> {
    let Ok(histogram) = decode(encoded) else {
        return Vec::new();
    };
    if histogram.is_empty() {
        return Vec::new();
    }
    const PER_DECADE: f64 = 10.0;
    let edge = |i: i32| 10f64.powf(f64::from(i) / PER_DECADE);
    let low = ((histogram.min().max(1) as f64).log10() * PER_DECADE).floor() as i32;
    let high = ((histogram.max().max(1) as f64).log10() * PER_DECADE).floor() as i32 + 1;
    (low..high)
        .map(|i| {
            let (a, b) = (edge(i), edge(i + 1));
            let n = histogram.count_between(
                a.ceil() as u64,
                (b.ceil() as u64).saturating_sub(1).max(a.ceil() as u64),
            );
            (a / 1000.0, b / 1000.0, n)
        })
        .collect()
}

fn histograms(summary: &LoadSummary) -> String {
    let mut out = String::from("<div class=\"grid3\">");
    for (i, (name, series)) in all_series(summary).enumerate() {
        let title = format!("{name}: latency histogram of OK (corrected, log-spaced buckets)");
        let bars = histogram_bars(&series.ok.corrected_histogram);
        out.push_str(&chart::histogram(
            "histogram",
            &title,
            &bars,
            COLOURS[i % COLOURS.len()],
        ));
    }
    out.push_str("</div>");
    out
}

pub fn render(summary: &LoadSummary) -> String {
    let mut out = String::from("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\">");
    let _ = write!(
        out,
        "<title>gatecheck load {}</title><style>{STYLE}</style></head><body>",
        escape(&summary.run_id)
    );
    header(&mut out, summary);
    out.push_str(&tables::thresholds(summary));
    out.push_str("<h2>Steps in flow order</h2>");
    out.push_str(&tables::steps(summary));
    let spans = spans(summary);
    out.push_str("<h2>Over time</h2><div class=\"grid2\">");
    // The load applied beside the flows in flight, failures beside status classes.
    out.push_str(&throughput(summary, &spans));
    out.push_str(&timeline::in_flight(summary, &spans));
    out.push_str(&timeline::failures(summary, &spans));
    out.push_str(&timeline::status_classes(summary, &spans));
    out.push_str(&p99_over_time(summary, &spans));
    out.push_str("</div>");
    out.push_str(&bands(summary, &spans));
    out.push_str("<h2>Latency distribution</h2><div class=\"grid2\">");
    out.push_str(&spectrum(summary));
    out.push_str("</div>");
    out.push_str(&histograms(summary));
    out.push_str(&tables::failures(summary));
    out.push_str("</body></html>\n");
    out
}

fn header(out: &mut String, summary: &LoadSummary) {
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
        let _ = write!(out, "<p class=\"note\">Note: {}.</p>", escape(relaxed));
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
}

#[cfg(test)]
mod tests;
