//! The timeline of `summary.json`: a point a second of the measured window, from the
//! intervals the metrics closed (and `merge` rebuilt from the shards' interval logs, so a
//! merged timeline is exact).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::super::metrics::{IntervalSeries, Metrics, FLOW};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct TimelinePoint {
    /// Seconds into the measured window.
    pub t: f64,
    /// Flows that ended in that second, OK and KO ...
    pub flows: u64,
    /// ... and of them KO.
    pub failed: u64,
    /// Requests (steps, OK and KO) that ended in that second (schema 4).
    #[serde(default)]
    pub requests: u64,
    /// Corrected p50, p90 (schema 4), p99 and max of OK samples per step (by name) and for
    /// `flow`, ms.
    #[serde(default)]
    pub p50_ms: BTreeMap<String, f64>,
    #[serde(default)]
    pub p90_ms: BTreeMap<String, f64>,
    pub p99_ms: BTreeMap<String, f64>,
    pub max_ms: BTreeMap<String, f64>,
}

/// A point a second: completed flows (and failed ones) and each series' p99 and max of OK
/// samples, steps by name.
pub(super) fn timeline(metrics: &Metrics) -> Vec<TimelinePoint> {
    let name_of = |log: &str| match log {
        FLOW => Some(FLOW.to_owned()),
        log => metrics
            .steps
            .iter()
            .find(|s| s.log == log)
            .map(|s| s.key.name.clone()),
    };
    metrics
        .intervals
        .iter()
        .map(|interval| {
            let series: Vec<(String, &IntervalSeries)> = metrics
                .interval_series(interval)
                .filter_map(|(log, s)| Some((name_of(log)?, s)))
                .collect();
            let flow = series.iter().find(|(n, _)| n == FLOW).map(|(_, s)| *s);
            let ok = series.iter().filter(|(_, s)| s.count > 0);
            let quantile = |q: fn(&IntervalSeries) -> f32| {
                ok.clone()
                    .map(|(n, s)| (n.clone(), f64::from(q(s))))
                    .collect()
            };
            TimelinePoint {
                t: interval.start,
                flows: flow.map_or(0, |s| u64::from(s.count) + u64::from(s.ko)),
                failed: flow.map_or(0, |s| u64::from(s.ko)),
                requests: series
                    .iter()
                    .filter(|(n, _)| n != FLOW)
                    .map(|(_, s)| u64::from(s.count) + u64::from(s.ko))
                    .sum(),
                p50_ms: quantile(|s| s.p50_ms),
                p90_ms: quantile(|s| s.p90_ms),
                p99_ms: ok
                    .clone()
                    .map(|(n, s)| (n.clone(), f64::from(s.p99_ms)))
                    .collect(),
                max_ms: ok.map(|(n, s)| (n.clone(), f64::from(s.max_ms))).collect(),
            }
        })
        .collect()
}
