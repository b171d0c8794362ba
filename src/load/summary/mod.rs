//! `summary.json`: the one record of a load run that every load report is rendered from (and
//! that `gatecheck report` re-renders later). Histograms are kept in the HdrHistogram
//! compressed encoding, so later tools can add them exactly.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

mod timeline;

use super::metrics::{encode, Latency, Metrics, Series};
use super::shard::Shard;
use crate::output::text::count;
use crate::scenario::load_spec::{LoadSpec, Metric, Model, Threshold};
use timeline::timeline;
pub use timeline::TimelinePoint;

/// 2 added `settings`, `shard` and `merged`. 3 keys `steps` by step in flow order (a list),
/// splits each series' latency into `ok` and `ko`, and adds `verdict`, `planned` and each
/// threshold's `judged`; older records are refused (`parse`): their latencies mix failures in.
/// 4 adds to each timeline point `requests` and each series' `p50_ms` and `p90_ms`; a record
/// of 3 is still read (those fields empty: its report has no bands or requests/s to draw, and
/// says so), since nothing it holds is wrong, only less. 5 adds to each timeline point the
/// gauges at its close (`target_rate`, `in_flight`, `active_vus`) and its KO requests by kind
/// and requests by status class (`failures`, `status_classes`); 4 and 3 are still read, those
/// empty, and their reports say the charts are not in the record.
pub const SCHEMA_VERSION: u32 = 5;
/// The oldest schema version `parse` reads.
pub const OLDEST_READ: u32 = 3;

/// A `summary.json`'s text as a record; `shown` names it in errors. Records of another schema
/// version are refused with what to do.
pub fn parse(text: &str, shown: &str) -> Result<LoadSummary, String> {
    #[derive(Deserialize)]
    struct Version {
        schema_version: Option<u32>,
    }
    let version: Version =
        serde_json::from_str(text).map_err(|e| format!("{shown} is not a load summary: {e}"))?;
    match version.schema_version {
        Some(OLDEST_READ..=SCHEMA_VERSION) => serde_json::from_str(text)
            .map_err(|e| format!("{shown} is not a load summary: {e}")),
        Some(other) => Err(format!(
            "{shown} is a load summary of schema version {other}; this gatecheck reads versions {OLDEST_READ} to {SCHEMA_VERSION} (steps in flow order, OK and KO latency apart): run the load again with this gatecheck"
        )),
        None => Err(format!("{shown} is not a load summary: no `schema_version`")),
    }
}

/// What a load record concludes: every threshold held, one failed, or the run was stopped
/// before its bound, so its thresholds were not judged.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Passed,
    Failed,
    Interrupted,
}

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
    /// Engine threads the run had (`--threads`, fewer when there was less to share); none in a
    /// merged record.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threads: Option<u32>,
    pub warmup_s: f64,
    pub measured_s: f64,
    pub interrupted: bool,
    /// The bound the run was given (this shard's share of it for a shard).
    pub planned: Planned,
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
    /// In flow order, one per step of the scenario.
    pub steps: Vec<StepSummary>,
    pub timeline: Vec<TimelinePoint>,
    pub thresholds: Vec<ThresholdVerdict>,
    /// The verdict is `passed` (false when interrupted, though nothing failed).
    pub passed: bool,
    pub verdict: Verdict,
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

impl LoadSummary {
    /// The step keyed `name`.
    pub fn step(&self, name: &str) -> Option<&StepSummary> {
        self.steps.iter().find(|s| s.name == name)
    }
}

/// The measured time and flows a run was to make (`None`: no such bound).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct Planned {
    pub duration_s: Option<f64>,
    pub iterations: Option<u64>,
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

/// One step's figures and how it is keyed: its `name` (its `name:`, or `2 reset_password`),
/// its call, and its series' name in the interval logs (`log`.hlog).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct StepSummary {
    pub name: String,
    pub call: String,
    pub log: String,
    #[serde(flatten)]
    pub series: SeriesSummary,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SeriesSummary {
    /// OK and KO samples together.
    pub count: u64,
    /// What succeeded.
    pub ok: LatencySummary,
    /// What failed (an expectation, a transport error, a setup step).
    pub ko: LatencySummary,
    pub statuses: BTreeMap<String, u64>,
    pub failures: BTreeMap<String, u64>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct LatencySummary {
    pub count: u64,
    /// From the intended start (coordinated omission corrected), in ms.
    pub corrected: Percentiles,
    /// From the actual start, in ms.
    pub raw: Percentiles,
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
pub struct ThresholdVerdict {
    pub threshold: String,
    pub actual: Option<f64>,
    pub passed: bool,
    /// False when the run was interrupted: `passed` is then false, and says nothing.
    pub judged: bool,
    /// The unit of `actual` (`ms`, `%`, `flows/s`).
    #[serde(default)]
    pub unit: String,
}

impl ThresholdVerdict {
    /// `actual` with `decimals` and its unit, or `no data`.
    pub fn actual_shown(&self, decimals: usize) -> String {
        match self.actual {
            None => "no data".to_owned(),
            Some(a) if self.unit.is_empty() => format!("{a:.decimals$}"),
            Some(a) => format!("{a:.decimals$} {}", self.unit),
        }
    }
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

fn latency(latency: &Latency) -> LatencySummary {
    LatencySummary {
        count: latency.count(),
        corrected: percentiles(&latency.corrected),
        raw: percentiles(&latency.raw),
        corrected_histogram: encode(&latency.corrected),
        raw_histogram: encode(&latency.raw),
    }
}

fn series(series: &Series) -> SeriesSummary {
    SeriesSummary {
        count: series.count(),
        ok: latency(&series.ok),
        ko: latency(&series.ko),
        statuses: series.statuses.clone(),
        failures: series.failures.clone(),
    }
}

pub fn describe_model(spec: &LoadSpec) -> String {
    let flows = |n: u64| count(n as usize, "flow", "flows");
    let bound = match (spec.duration, spec.iterations) {
        (Some(d), Some(n)) => format!("{} or {}", humantime::format_duration(d), flows(n)),
        (Some(d), None) => humantime::format_duration(d).to_string(),
        (None, Some(n)) => flows(n),
        (None, None) => "unbounded".into(),
    };
    match &spec.model {
        Model::Closed { vus, think_time } => format!(
            "closed: {}, think time {}, {bound}",
            count(*vus as usize, "virtual user", "virtual users"),
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
    let mut summary = summarise_with(
        facts,
        model,
        spec.warmup.as_secs_f64(),
        thresholds,
        metrics,
        measured_s,
    );
    summary.planned = Planned {
        duration_s: spec.duration.map(|d| d.as_secs_f64()),
        iterations: spec.iterations,
    };
    summary
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
        threads: None,
        warmup_s,
        measured_s,
        interrupted: facts.interrupted,
        planned: Planned::default(),
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
            .map(|s| StepSummary {
                name: s.key.name.clone(),
                call: s.key.call.clone(),
                log: s.log.clone(),
                series: series(&s.series),
            })
            .collect(),
        timeline: timeline(metrics),
        thresholds: Vec::new(),
        passed: true,
        verdict: Verdict::Passed,
        settings: facts.settings,
        shard: facts.shard,
        merged: facts.merged,
        secrets_revealed: false,
    };
    summary.thresholds = thresholds
        .iter()
        .map(|threshold| judge(threshold, metrics, &summary))
        .collect();
    summary.verdict = verdict(summary.interrupted, &mut summary.thresholds);
    summary.passed = summary.verdict == Verdict::Passed;
    summary
}

/// Passed when every threshold held; interrupted, with no threshold judged, when the run was
/// stopped: figures of a run cut short say nothing of the run that was asked for.
fn verdict(interrupted: bool, thresholds: &mut [ThresholdVerdict]) -> Verdict {
    if interrupted {
        for threshold in thresholds {
            threshold.passed = false;
            threshold.judged = false;
        }
        Verdict::Interrupted
    } else if thresholds.iter().all(|t| t.passed) {
        Verdict::Passed
    } else {
        Verdict::Failed
    }
}

/// One threshold against the run's figures; a latency over no sample of those it judges (OK
/// ones unless it says `ko` or `all`) fails with no data.
fn judge(threshold: &Threshold, metrics: &Metrics, summary: &LoadSummary) -> ThresholdVerdict {
    let actual = match &threshold.metric {
        Metric::Percentile {
            of,
            percentile,
            raw,
            samples,
        } => metrics
            .series_of(of)
            .map(|s| s.latency(*samples))
            .filter(|l| l.count() > 0)
            .map(|l| {
                let histogram = if *raw { &l.raw } else { &l.corrected };
                histogram.value_at_quantile(percentile / 100.0) as f64 / 1000.0
            }),
        Metric::ErrorRate => Some(summary.error_rate),
        Metric::Throughput => Some(summary.throughput),
        Metric::LateShare => Some(summary.late_share),
    };
    let passed = actual.is_some_and(|a| threshold.op.holds(a, threshold.value));
    ThresholdVerdict {
        threshold: threshold.text.clone(),
        actual,
        passed,
        judged: true,
        unit: threshold.metric.unit().to_owned(),
    }
}
