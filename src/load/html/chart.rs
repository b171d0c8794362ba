//! The SVG charts of `report.html`: fluid (`width: 100%` with a viewBox, so a chart fills its
//! grid cell at any window width), axes from `axis` (nice ticks, log where the data spans
//! orders of magnitude), a legend under the plot, and hover values as SVG `<title>`s.

use std::fmt::Write;

use super::axis::{label, time_label, time_ticks, Scale};
use crate::output::escape::{html_attribute, html_text};

pub const COLOURS: &[&str] = &[
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
];
/// A dashed reference line's colour (the target rate), apart from the measured lines'.
const REFERENCE: &str = "#333";
const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 260.0;
const LEFT: f64 = 58.0;
// Room for half the last time tick's label ("10:00") drawn centred on the right edge.
const RIGHT: f64 = 22.0;
const TOP: f64 = 12.0;
const BOTTOM: f64 = 34.0;

/// One line: values over intervals `(start, length, value)`, drawn as a step (flat over each
/// interval's real span, so a partial last second is a short step, not a dip); where intervals
/// are missing the line breaks. `dashed`: a reference (the target rate), not a measurement.
pub struct Line {
    pub name: String,
    pub points: Vec<(f64, f64, f64)>,
    pub dashed: bool,
}

impl Line {
    pub fn solid(name: &str, points: Vec<(f64, f64, f64)>) -> Self {
        Self {
            name: name.to_owned(),
            points,
            dashed: false,
        }
    }
}

/// The runs of `points` whose intervals follow each other without a gap.
pub fn contiguous<T>(points: &[(f64, f64, T)]) -> Vec<&[(f64, f64, T)]> {
    let mut runs = Vec::new();
    let mut from = 0;
    for i in 1..=points.len() {
        let breaks = i == points.len() || {
            let (start, length, _) = &points[i - 1];
            (points[i].0 - (start + length)).abs() > 1e-6
        };
        if breaks {
            runs.push(&points[from..i]);
            from = i;
        }
    }
    runs
}

/// The x axis: time (seconds, evenly spaced ticks) or labelled positions.
pub enum XAxis {
    Time {
        end: f64,
    },
    Labels {
        end: f64,
        labels: Vec<(f64, String)>,
    },
}

impl XAxis {
    fn ticks(&self) -> Vec<(f64, String)> {
        match self {
            XAxis::Time { end } => time_ticks(*end, 8)
                .into_iter()
                .map(|t| (t, time_label(t)))
                .collect(),
            XAxis::Labels { labels, .. } => labels.clone(),
        }
    }

    fn span(&self) -> f64 {
        match self {
            XAxis::Time { end } => time_ticks(*end, 8).last().copied().unwrap_or(1.0),
            XAxis::Labels { end, .. } => *end,
        }
    }
}

fn plot_w() -> f64 {
    WIDTH - LEFT - RIGHT
}

fn plot_h() -> f64 {
    HEIGHT - TOP - BOTTOM
}

/// The figure around a chart, its caption and the legend (`names` with colours, a dashed
/// swatch for a dashed line; a legend for one line too, so a lone `5xx` says what it is).
fn figure(kind: &str, title: &str, svg: &str, names: &[(&str, bool)]) -> String {
    let mut legend = String::new();
    if !names.is_empty() {
        legend.push_str("<ul class=\"legend\">");
        for (i, (name, dashed)) in names.iter().enumerate() {
            let swatch = match dashed {
                true => format!("height:0;border-top:2px dashed {REFERENCE}"),
                false => format!("background:{}", COLOURS[i % COLOURS.len()]),
            };
            let _ = write!(
                legend,
                "<li><i style=\"{swatch}\"></i>{}</li>",
                html_text(name)
            );
        }
        legend.push_str("</ul>");
    }
    format!(
        "<figure class=\"chart\" data-chart=\"{}\"><figcaption>{}</figcaption>{svg}{legend}</figure>",
        html_attribute(kind),
        html_text(title)
    )
}

/// A figure saying why there is nothing to draw.
pub fn empty(kind: &str, title: &str, why: &str) -> String {
    let body = format!("<p class=\"empty\">{}</p>", html_text(why));
    figure(kind, title, &body, &[])
}

/// Axes, grid and tick labels for `y` and `x`; the SVG opened, not closed.
fn axes(y: &Scale, y_label: &str, x: &XAxis) -> String {
    let mut svg = format!(
        "<svg viewBox=\"0 0 {WIDTH} {HEIGHT}\" preserveAspectRatio=\"xMidYMid meet\" role=\"img\">"
    );
    for tick in &y.ticks {
        let py = TOP + plot_h() * (1.0 - y.at(*tick));
        let _ = write!(
            svg,
            "<line x1=\"{LEFT}\" x2=\"{:.1}\" y1=\"{py:.1}\" y2=\"{py:.1}\" class=\"grid\"/><text x=\"{:.1}\" y=\"{:.1}\" class=\"tick\" text-anchor=\"end\">{}</text>",
            WIDTH - RIGHT,
            LEFT - 5.0,
            py + 3.5,
            label(*tick)
        );
    }
    let span = x.span();
    for (at, text) in x.ticks() {
        let px = LEFT + plot_w() * (at / span);
        let _ = write!(
            svg,
            "<line x1=\"{px:.1}\" x2=\"{px:.1}\" y1=\"{TOP}\" y2=\"{:.1}\" class=\"grid\"/><text x=\"{px:.1}\" y=\"{:.1}\" class=\"tick\" text-anchor=\"middle\">{}</text>",
            TOP + plot_h(),
            HEIGHT - BOTTOM + 14.0,
            html_text(&text)
        );
    }
    let mid = TOP + plot_h() / 2.0;
    let scale = if y.log { ", log" } else { "" };
    let _ = write!(
        svg,
        "<text x=\"12\" y=\"{mid:.1}\" class=\"axis\" transform=\"rotate(-90 12 {mid:.1})\" text-anchor=\"middle\">{}{scale}</text>",
        html_text(y_label)
    );
    svg
}

fn px(x: &XAxis, v: f64) -> f64 {
    LEFT + plot_w() * (v / x.span()).clamp(0.0, 1.0)
}

fn py(y: &Scale, v: f64) -> f64 {
    TOP + plot_h() * (1.0 - y.at(v))
}

/// Lines over time (or positions), each a step per interval (a path of `H` and `V` moves, a
/// run of equal values one move, broken where intervals are missing); `log_ok`: a log axis is
/// allowed. Hover: one `<title>` column per interval with every line's value.
pub fn lines(
    kind: &str,
    title: &str,
    unit: &str,
    lines: &[Line],
    x: &XAxis,
    log_ok: bool,
    why_empty: &str,
) -> String {
    if lines.iter().all(|l| l.points.is_empty()) {
        return empty(kind, title, why_empty);
    }
    let y = Scale::for_values(
        lines.iter().flat_map(|l| l.points.iter().map(|p| p.2)),
        log_ok,
    );
    let mut svg = axes(&y, unit, x);
    for (i, line) in lines.iter().enumerate() {
        let (colour, dash) = match line.dashed {
            true => (REFERENCE, " stroke-dasharray=\"6 4\""),
            false => (COLOURS[i % COLOURS.len()], ""),
        };
        let _ = write!(
            svg,
            "<path fill=\"none\" stroke=\"{colour}\" stroke-width=\"1.6\"{dash} d=\"{}\"/>",
            step_path(&line.points, x, &y)
        );
    }
    hover_columns(&mut svg, lines, x, unit);
    svg.push_str("</svg>");
    let names: Vec<(&str, bool)> = lines.iter().map(|l| (l.name.as_str(), l.dashed)).collect();
    figure(kind, title, &svg, &names)
}

/// The path of a step line: each contiguous run from a move, flat over each interval, a
/// vertical move where the value changes (so a flat stretch is one move, however long).
fn step_path(points: &[(f64, f64, f64)], x: &XAxis, y: &Scale) -> String {
    let mut d = String::new();
    for run in contiguous(points) {
        let mut level: Option<(String, String)> = None;
        for (start, length, value) in run {
            let (v, end) = (
                format!("{:.1}", py(y, *value)),
                format!("{:.1}", px(x, start + length)),
            );
            match &level {
                None => {
                    let _ = write!(d, "M{:.1},{v}", px(x, *start));
                }
                Some((previous, reached)) if *previous != v => {
                    let _ = write!(d, "H{reached}V{v}");
                }
                Some(_) => {}
            }
            level = Some((v, end));
        }
        if let Some((_, reached)) = level {
            let _ = write!(d, "H{reached}");
        }
    }
    d
}

/// At most this many hover columns a chart: past it each column covers several intervals, so
/// a 10-minute run's page stays small.
const MAX_HOVERS: usize = 120;

/// Invisible columns, one per interval (or per group of intervals on a long run) of the first
/// line with points, titled with each line's value there (its range over a group): hover
/// values without a script.
fn hover_columns(svg: &mut String, lines: &[Line], x: &XAxis, unit: &str) {
    let Some(base) = lines.iter().find(|l| !l.points.is_empty()) else {
        return;
    };
    let group = base.points.len().div_ceil(MAX_HOVERS).max(1);
    for chunk in base.points.chunks(group) {
        let start = chunk[0].0;
        let end = chunk.last().map_or(start, |p| p.0 + p.1);
        let mut text = format!("{}–{}", time_label(start), time_label(end));
        for line in lines {
            let values: Vec<f64> = line
                .points
                .iter()
                .filter(|p| p.0 >= start && p.0 < end)
                .map(|p| p.2)
                .collect();
            let low = values.iter().copied().fold(f64::INFINITY, f64::min);
            let high = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            match values.len() {
                0 => continue,
                _ if low == high => {
                    let _ = write!(text, "\n{}: {} {unit}", line.name, label(round3(low)));
                }
                _ => {
                    let _ = write!(
                        text,
                        "\n{}: {}–{} {unit}",
                        line.name,
                        label(round3(low)),
                        label(round3(high))
                    );
                }
            }
        }
        let (a, b) = (px(x, start), px(x, end));
        let _ = write!(
            svg,
            "<rect x=\"{a:.1}\" y=\"{TOP}\" width=\"{:.1}\" height=\"{:.1}\" class=\"hover\"><title>{}</title></rect>",
            (b - a).max(0.5),
            plot_h(),
            html_text(&text)
        );
    }
}

fn round3(v: f64) -> f64 {
    if v.abs() >= 100.0 {
        v.round()
    } else {
        (v * 1000.0).round() / 1000.0
    }
}

/// A band per interval between `low` and `high` (p50 and p99) with a `mid` line (p90), over
/// time, on a log axis when the values span orders of magnitude.
pub fn band(
    kind: &str,
    title: &str,
    points: &[(f64, f64, [f64; 3])],
    x: &XAxis,
    colour: &str,
) -> String {
    if points.is_empty() {
        return empty(
            kind,
            title,
            "No request of this step succeeded in the measured window.",
        );
    }
    let y = Scale::for_values(points.iter().flat_map(|p| p.2), true);
    let mut svg = axes(&y, "ms", x);
    for run in contiguous(points) {
        let _ = write!(
            svg,
            "<polygon fill=\"{colour}\" fill-opacity=\"0.25\" stroke=\"none\" points=\"{}\"/>",
            band_outline(run, x, &y)
        );
    }
    let p90: Vec<(f64, f64, f64)> = points.iter().map(|(t, l, q)| (*t, *l, q[1])).collect();
    let _ = write!(
        svg,
        "<path fill=\"none\" stroke=\"{colour}\" stroke-width=\"1.6\" d=\"{}\"/>",
        step_path(&p90, x, &y)
    );
    let group = points.len().div_ceil(MAX_HOVERS).max(1);
    for chunk in points.chunks(group) {
        let (start, end) = (chunk[0].0, chunk.last().map_or(0.0, |p| p.0 + p.1));
        let top = |i: usize| chunk.iter().map(|p| p.2[i]).fold(0.0, f64::max);
        let (a, b) = (px(x, start), px(x, end));
        let _ = write!(
            svg,
            "<rect x=\"{a:.1}\" y=\"{TOP}\" width=\"{:.1}\" height=\"{:.1}\" class=\"hover\"><title>{}–{}: p50 {} ms, p90 {} ms, p99 {} ms{}</title></rect>",
            (b - a).max(0.5),
            plot_h(),
            html_text(&time_label(start)),
            html_text(&time_label(end)),
            label(round3(top(0))),
            label(round3(top(1))),
            label(round3(top(2))),
            if group > 1 { " (highest of the span)" } else { "" }
        );
    }
    svg.push_str("</svg>");
    figure(kind, title, &svg, &[])
}

/// The outline of a band over contiguous intervals: along p99 forwards, back along p50.
fn band_outline(run: &[(f64, f64, [f64; 3])], x: &XAxis, y: &Scale) -> String {
    let edge = |q: usize| -> Vec<String> {
        run.iter()
            .flat_map(|(start, length, v)| {
                let level = py(y, v[q]);
                [
                    format!("{:.1},{level:.1}", px(x, *start)),
                    format!("{:.1},{level:.1}", px(x, start + length)),
                ]
            })
            .collect()
    };
    let mut outline = edge(2);
    outline.extend(edge(0).into_iter().rev());
    outline.join(" ")
}

/// Bars `(low, high, count)` over a log latency axis: a latency histogram.
pub fn histogram(kind: &str, title: &str, bars: &[(f64, f64, u64)], colour: &str) -> String {
    let (Some(first), Some(last)) = (bars.first(), bars.last()) else {
        return empty(kind, title, "No sample in the measured window.");
    };
    let x_scale = Scale {
        log: true,
        ticks: super::axis::log_ticks(first.0, last.1),
    };
    let top = bars.iter().map(|b| b.2).max().unwrap_or(1) as f64;
    let y = Scale::for_values(std::iter::once(top), false);
    let labels: Vec<(f64, String)> = x_scale
        .ticks
        .iter()
        .map(|t| (x_scale.at(*t), label(*t)))
        .collect();
    let x = XAxis::Labels { end: 1.0, labels };
    let mut svg = axes(&y, "samples", &x);
    for (low, high, n) in bars {
        let (a, b) = (px(&x, x_scale.at(*low)), px(&x, x_scale.at(*high)));
        let top = py(&y, *n as f64);
        let _ = write!(
            svg,
            "<rect x=\"{a:.1}\" y=\"{top:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"{colour}\"><title>{}–{} ms: {n}</title></rect>",
            (b - a - 0.6).max(0.6),
            TOP + plot_h() - top,
            label(round3(*low)),
            label(round3(*high))
        );
    }
    let _ = write!(
        svg,
        "<text x=\"{:.1}\" y=\"{:.1}\" class=\"axis\" text-anchor=\"end\">ms, log</text></svg>",
        WIDTH - RIGHT,
        HEIGHT - 4.0
    );
    figure(kind, title, &svg, &[])
}
