//! `summary.json`: the one record of a load run that every load report is rendered from (and
//! that `gatecheck report` re-renders later). Histograms are kept in the HdrHistogram
//! compressed encoding, so later tools can add them exactly.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::metrics::{encode, Metrics, Series};
use super::shard::Shard;
use crate::scenario::load_spec::{LoadSpec, Metric, Model, Threshold};

/// 2 added `settings`, `shard` and `merged`; records of version 1 still read.
pub const SCHEMA_VERSION: u32 = 2;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct LoadSummary {
    pub schema_version: u32,
    pub run_id: String,
    pub scenario: String,
    pub file: String,
    pub target: String,
    /// What the embedded gateway relaxed for the run, if it was used.
    pub relaxed: Option<String>,
    pub started_at: String,
    pub model: String,
    pub warmup_s: f64,
    pub measured_s: f64,
    pub interrupted: bool,
    pub flows: FlowCounts,
    pub requests: u64,
    /// Completed flows per second of measured time.
    pub throughput: f64,
    pub request_rate: f64,
    /// Failed flows in percent of completed flows.
    pub error_rate: f64,
    /// Late flows in percent of started flows.
    pub late_share: f64,
    pub flow: SeriesSummary,
    pub steps: BTreeMap<String, SeriesSummary>,
    pub timeline: Vec<TimelinePoint>,
    pub thresholds: Vec<ThresholdVerdict>,
    pub passed: bool,
    /// What the shards of one run share, checked by `gatecheck merge`.
    #[serde(default)]
    pub settings: Option<RunSettings>,
    /// This record is one shard of a run: its thresholds are judged on the merged record only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<Shard>,
    /// This record was merged from shards.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merged: Option<Merged>,
    /// Run with `--reveal-secrets` (a load record holds no secrets, but says it was asked).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub secrets_revealed: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct RunSettings {
    /// SHA-256 of the scenario file's bytes.
    pub scenario_sha256: String,
    /// The whole run's load model (a shard's `model` is its share).
    pub model: String,
    pub warmup_s: f64,
    pub late_after_ms: f64,
    /// The scenario's thresholds, as written.
    pub thresholds: Vec<String>,
    /// The start the shards agreed on (RFC 3339), if any.
    pub start_at: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Merged {
    /// Shard count of the run.
    pub of: u32,
    /// Indexes merged, and those missing (only with `--allow-partial`).
    pub shards: Vec<u32>,
    pub missing: Vec<u32>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct FlowCounts {
    pub started: u64,
    pub ok: u64,
    pub failed: u64,
    pub late: u64,
    pub dropped: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SeriesSummary {
    pub count: u64,
    /// From the intended start (coordinated omission corrected), in ms.
    pub corrected: Percentiles,
    /// From the actual start, in ms.
    pub raw: Percentiles,
    pub statuses: BTreeMap<String, u64>,
    pub failures: BTreeMap<String, u64>,
    /// HdrHistogram V2-deflate, base64, microseconds.
    pub corrected_histogram: String,
    pub raw_histogram: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Percentiles {
    pub p50: f64,
    pub p90: f64,
    pub p99: f64,
    pub p999: f64,
    pub max: f64,
    pub mean: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct TimelinePoint {
    /// Seconds into the measured window.
    pub t: f64,
    pub flows: u64,
    /// Corrected p99 per step and for `flow`, ms.
    pub p99_ms: BTreeMap<String, f64>,
    pub max_ms: BTreeMap<String, f64>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ThresholdVerdict {
    pub threshold: String,
    pub actual: Option<f64>,
    pub passed: bool,
}

fn percentiles(histogram: &hdrhistogram::Histogram<u64>) -> Percentiles {
    let ms = |us: u64| us as f64 / 1000.0;
    Percentiles {
        p50: ms(histogram.value_at_quantile(0.5)),
        p90: ms(histogram.value_at_quantile(0.9)),
        p99: ms(histogram.value_at_quantile(0.99)),
        p999: ms(histogram.value_at_quantile(0.999)),
        max: ms(histogram.max()),
        mean: histogram.mean() / 1000.0,
    }
}

fn series(series: &Series) -> SeriesSummary {
    SeriesSummary {
        count: series.corrected.len(),
        corrected: percentiles(&series.corrected),
        raw: percentiles(&series.raw),
        statuses: series.statuses.clone(),
        failures: series.failures.clone(),
        corrected_histogram: encode(&series.corrected),
        raw_histogram: encode(&series.raw),
    }
}

pub fn describe_model(spec: &LoadSpec) -> String {
    let bound = match (spec.duration, spec.iterations) {
        (Some(d), Some(n)) => format!("{} or {n} flows", humantime::format_duration(d)),
        (Some(d), None) => humantime::format_duration(d).to_string(),
        (None, Some(n)) => format!("{n} flows"),
        (None, None) => "unbounded".into(),
    };
    match &spec.model {
        Model::Closed { vus, think_time } => format!(
            "closed: {vus} virtual users, think time {}, {bound}",
            humantime::format_duration(*think_time)
        ),
        Model::Open {
            rate,
            stages,
            max_in_flight,
        } if stages.is_empty() => {
            format!("open: {rate} flows/s, at most {max_in_flight} in flight, {bound}")
        }
        Model::Open {
            rate,
            stages,
            max_in_flight,
        } => {
            let ramps: Vec<String> = stages
                .iter()
                .map(|(d, t)| format!("{t}/s over {}", humantime::format_duration(*d)))
                .collect();
            format!(
                "open: from {rate} flows/s, {}, at most {max_in_flight} in flight, {bound}",
                ramps.join(" then ")
            )
        }
    }
}

pub struct RunFacts<'a> {
    pub run_id: String,
    pub scenario: &'a str,
    pub file: &'a str,
    pub target: String,
    pub relaxed: Option<String>,
    pub started_at: String,
    pub interrupted: bool,
    pub settings: Option<RunSettings>,
    pub shard: Option<Shard>,
    pub merged: Option<Merged>,
}

/// The record of a run of `spec` (a shard's own share of it when `facts.shard` is set: then the
/// model names the whole run too, and the thresholds wait for `gatecheck merge`).
pub fn summarise(
    facts: RunFacts<'_>,
    spec: &LoadSpec,
    metrics: &Metrics,
    measured_s: f64,
) -> LoadSummary {
    let (model, thresholds) = match facts.shard {
        // A shard's part, and the whole run it is part of (from its settings).
        Some(shard) => {
            let whole = facts
                .settings
                .as_ref()
                .map_or_else(|| describe_model(spec), |s| s.model.clone());
            let share = shard.describe_share(spec);
            (
                format!("shard {shard}, {share} of the run ({whole})"),
                &[][..],
            )
        }
        None => (describe_model(spec), &spec.thresholds[..]),
    };
    summarise_with(
        facts,
        model,
        spec.warmup.as_secs_f64(),
        thresholds,
        metrics,
        measured_s,
    )
}

/// The record of a run described by `model`, with `thresholds` judged on `metrics`.
pub fn summarise_with(
    facts: RunFacts<'_>,
    model: String,
    warmup_s: f64,
    thresholds: &[Threshold],
    metrics: &Metrics,
    measured_s: f64,
) -> LoadSummary {
    let completed = metrics.flows_ok + metrics.flows_failed;
    let seconds = measured_s.max(1e-9);
    let mut summary = LoadSummary {
        schema_version: SCHEMA_VERSION,
        run_id: facts.run_id,
        scenario: facts.scenario.to_owned(),
        file: facts.file.to_owned(),
        target: facts.target,
        relaxed: facts.relaxed,
        started_at: facts.started_at,
        model,
        warmup_s,
        measured_s,
        interrupted: facts.interrupted,
        flows: FlowCounts {
            started: metrics.flows_started,
            ok: metrics.flows_ok,
            failed: metrics.flows_failed,
            late: metrics.flows_late,
            dropped: metrics.flows_dropped,
        },
        requests: metrics.requests,
        throughput: completed as f64 / seconds,
        request_rate: metrics.requests as f64 / seconds,
        error_rate: if completed == 0 {
            0.0
        } else {
            100.0 * metrics.flows_failed as f64 / completed as f64
        },
        late_share: if metrics.flows_started == 0 {
            0.0
        } else {
            100.0 * metrics.flows_late as f64 / metrics.flows_started as f64
        },
        flow: series(&metrics.flow),
        steps: metrics
            .steps
            .iter()
            .map(|(name, s)| (name.clone(), series(s)))
            .collect(),
        timeline: timeline(metrics),
        thresholds: Vec::new(),
        passed: true,
        settings: facts.settings,
        shard: facts.shard,
        merged: facts.merged,
        secrets_revealed: false,
    };
    summary.thresholds = thresholds
        .iter()
        .map(|threshold| judge(threshold, metrics, &summary))
        .collect();
    summary.passed = summary.thresholds.iter().all(|t| t.passed);
    summary
}

/// A point a second: completed flows and each series' p99 and max.
fn timeline(metrics: &Metrics) -> Vec<TimelinePoint> {
    metrics
        .intervals
        .iter()
        .map(|interval| {
            let series: Vec<(&str, &super::metrics::IntervalSeries)> =
                metrics.interval_series(interval).collect();
            TimelinePoint {
                t: interval.start,
                flows: series
                    .iter()
                    .find(|(n, _)| *n == "flow")
                    .map_or(0, |(_, s)| u64::from(s.count)),
                p99_ms: series
                    .iter()
                    .map(|(n, s)| ((*n).to_owned(), f64::from(s.p99_ms)))
                    .collect(),
                max_ms: series
                    .iter()
                    .map(|(n, s)| ((*n).to_owned(), f64::from(s.max_ms)))
                    .collect(),
            }
        })
        .collect()
}

/// One threshold against the run's figures; a latency without data fails.
fn judge(threshold: &Threshold, metrics: &Metrics, summary: &LoadSummary) -> ThresholdVerdict {
    let actual = match &threshold.metric {
        Metric::Percentile {
            of,
            percentile,
            raw,
        } => {
            let s = if of == "flow" {
                Some(&metrics.flow)
            } else {
                metrics.steps.get(of)
            };
            s.filter(|s| !s.corrected.is_empty()).map(|s| {
                let histogram = if *raw { &s.raw } else { &s.corrected };
                histogram.value_at_quantile(percentile / 100.0) as f64 / 1000.0
            })
        }
        Metric::ErrorRate => Some(summary.error_rate),
        Metric::Throughput => Some(summary.throughput),
        Metric::LateShare => Some(summary.late_share),
    };
    let passed = actual.is_some_and(|a| threshold.op.holds(a, threshold.value));
    ThresholdVerdict {
        threshold: threshold.text.clone(),
        actual,
        passed,
    }
}
