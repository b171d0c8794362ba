//! The charts of what each second holds besides flows and latency (summary.json schema 5):
//! failed requests/s by kind, requests/s by status class, and flows in flight (open model) or
//! active virtual users (closed), each over the intervals' real spans. A record of schema 4 or
//! older has none of it, and its charts say so.

use std::collections::BTreeMap;

use super::chart::{self, Line, COLOURS};
use super::{rate, time_axis, TimelinePoint, NO_SECOND};
use crate::load::summary::LoadSummary;
use crate::load::tally::CLASSES;

type Spans = [(f64, f64, TimelinePoint)];

/// The schema that first recorded these fields.
const SINCE: u32 = 5;

/// Why a record older than `SINCE` draws no `what`.
fn too_old(summary: &LoadSummary, kind: &str, title: &str, what: &str) -> Option<String> {
    (summary.schema_version < SINCE).then(|| {
        let why = format!(
            "This record (schema {}) holds no {what} per second; run the load again to draw them.",
            summary.schema_version
        );
        chart::empty(kind, title, &why)
    })
}

/// A line per key of `counts` (in `keys`' order), each second's count as a rate over its span.
fn rate_lines<'a>(
    spans: &Spans,
    keys: impl Iterator<Item = &'a str>,
    counts: impl Fn(&TimelinePoint, &str) -> u64,
) -> Vec<Line> {
    keys.map(|key| {
        let points = spans
            .iter()
            .map(|(t, l, p)| (*t, *l, rate(counts(p, key), *l)));
        Line::solid(key, points.collect())
    })
    .collect()
}

/// Failed requests/s by failure kind: the kinds with the most failures, one line each (as
/// many as there are colours), the rest as one line.
pub fn failures(summary: &LoadSummary, spans: &Spans) -> String {
    let (kind, title) = ("errors", "Failed requests per second by kind");
    if let Some(old) = too_old(summary, kind, title, "failures by kind") {
        return old;
    }
    let mut totals: BTreeMap<&str, u64> = BTreeMap::new();
    for (_, _, point) in spans {
        for (name, n) in &point.failures {
            *totals.entry(name).or_default() += n;
        }
    }
    if totals.is_empty() {
        return chart::empty(kind, title, "No request failed in the measured window.");
    }
    let mut ranked: Vec<(&str, u64)> = totals.into_iter().collect();
    ranked.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let shown: Vec<&str> = ranked.iter().take(COLOURS.len() - 1).map(|k| k.0).collect();
    let mut lines = rate_lines(spans, shown.iter().copied(), |p, k| {
        p.failures.get(k).copied().unwrap_or(0)
    });
    if ranked.len() > shown.len() {
        let rest = format!("{} other kinds", ranked.len() - shown.len());
        let others = |p: &TimelinePoint| -> u64 {
            let named = p
                .failures
                .iter()
                .filter(|(k, _)| !shown.contains(&k.as_str()));
            named.map(|(_, n)| n).sum()
        };
        lines.extend(rate_lines(spans, std::iter::once(rest.as_str()), |p, _| {
            others(p)
        }));
    }
    chart::lines(
        kind,
        title,
        "per second",
        &lines,
        &time_axis(spans),
        false,
        NO_SECOND,
    )
}

/// Requests/s by status class (`transport`: no answer came).
pub fn status_classes(summary: &LoadSummary, spans: &Spans) -> String {
    let (kind, title) = ("statuses", "Requests per second by status class");
    if let Some(old) = too_old(summary, kind, title, "status classes") {
        return old;
    }
    let seen = |class: &&str| {
        spans
            .iter()
            .any(|(_, _, p)| p.status_classes.contains_key(*class))
    };
    let lines = rate_lines(spans, CLASSES.iter().copied().filter(seen), |p, class| {
        p.status_classes.get(class).copied().unwrap_or(0)
    });
    chart::lines(
        kind,
        title,
        "per second",
        &lines,
        &time_axis(spans),
        false,
        "No request ended in the measured window.",
    )
}

/// Flows in flight at each second's close, and the closed model's active virtual users.
pub fn in_flight(summary: &LoadSummary, spans: &Spans) -> String {
    let closed = spans.iter().any(|(_, _, p)| p.active_vus.is_some());
    let (kind, title, unit) = match closed {
        true => (
            "in-flight",
            "Active virtual users and flows in flight at each second's close",
            "VUs, flows",
        ),
        false => (
            "in-flight",
            "Flows in flight at each second's close",
            "flows",
        ),
    };
    if let Some(old) = too_old(summary, kind, title, "flows in flight") {
        return old;
    }
    let gauge = |name: &str, read: fn(&TimelinePoint) -> Option<u64>| {
        let points = spans
            .iter()
            .filter_map(|(t, l, p)| Some((*t, *l, read(p)? as f64)));
        Line::solid(name, points.collect())
    };
    let mut lines = Vec::new();
    if closed {
        lines.push(gauge("active VUs", |p| p.active_vus));
    }
    lines.push(gauge("in flight", |p| p.in_flight));
    chart::lines(
        kind,
        title,
        unit,
        &lines,
        &time_axis(spans),
        false,
        "No second of this record holds a reading of the flows in flight.",
    )
}
