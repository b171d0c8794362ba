//! The timeline of `summary.json`: a point a second of the measured window, from the
//! intervals the metrics closed (and `merge` rebuilt from the shards' interval logs, so a
//! merged timeline is exact).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::super::metrics::{IntervalSeries, Metrics, FLOW};
use super::super::tally::{IntervalGauges, IntervalTally, CLASSES};

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
    /// Open model: the flows/s the schedule aimed at over that second (schema 5; a shard's
    /// share, summed by `merge`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_rate: Option<f64>,
    /// Flows in flight as that second closed (schema 5).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub in_flight: Option<u64>,
    /// Closed model: virtual users still looping as that second closed (schema 5).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active_vus: Option<u64>,
    /// KO requests that ended in that second, by the failure kind the steps count (schema 5).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub failures: BTreeMap<String, u64>,
    /// Requests that ended in that second by status class (`2xx`, `5xx`, `transport`: no
    /// answer), schema 5.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub status_classes: BTreeMap<String, u64>,
}

impl TimelinePoint {
    /// The gauges of the second, as `merge` adds them.
    pub fn gauges(&self) -> IntervalGauges {
        IntervalGauges {
            target_rate: self.target_rate,
            in_flight: self.in_flight,
            active_vus: self.active_vus,
        }
    }
}

/// A point a second: completed flows (and failed ones), requests, each series' quantiles and
/// max of OK samples (steps by name), the gauges at the second's close and its counts by
/// failure kind and status class.
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
                ..counts(metrics, &interval.tally)
            }
        })
        .collect()
}

/// The point's fields from an interval's tally (the rest empty).
fn counts(metrics: &Metrics, tally: &IntervalTally) -> TimelinePoint {
    let failures = tally
        .failures
        .iter()
        .map(|(kind, n)| (metrics.tally.kind(*kind).to_owned(), u64::from(*n)));
    let classes = CLASSES.iter().zip(tally.classes);
    TimelinePoint {
        t: 0.0,
        flows: 0,
        failed: 0,
        requests: 0,
        p50_ms: BTreeMap::new(),
        p90_ms: BTreeMap::new(),
        p99_ms: BTreeMap::new(),
        max_ms: BTreeMap::new(),
        target_rate: tally.gauges.target_rate,
        in_flight: tally.gauges.in_flight,
        active_vus: tally.gauges.active_vus,
        failures: failures.collect(),
        status_classes: classes
            .filter(|(_, n)| *n > 0)
            .map(|(c, n)| ((*c).to_owned(), u64::from(n)))
            .collect(),
    }
}
