//! `gatecheck compare BASELINE CURRENT`: a regression gate between two load summaries. Per step
//! and for the whole flow, p50 and p99 (corrected) regress only when they grow by more than
//! both the relative and the absolute margin, so noise does not fail a build; throughput
//! regresses when it falls by more than its relative margin, the error rate when it rises by
//! more than its absolute margin (percentage points). Only like runs compare: `differences`
//! lists what makes two runs unlike (another scenario, load model, warm-up or thresholds, or a
//! part of a run against a whole one), which `gatecheck compare` refuses unless told otherwise.

use std::fmt::Write;

use super::summary::{LoadSummary, RunSettings};
use crate::output::escape::console_line;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Margins {
    /// Latency may grow by this fraction (0.10 = 10%) ...
    pub latency_relative: f64,
    /// ... and this many ms before it counts as a regression (both must be exceeded).
    pub latency_absolute_ms: f64,
    /// Throughput may fall by this fraction.
    pub throughput_relative: f64,
    /// The error rate may rise by this many percentage points.
    pub error_rate_points: f64,
}

impl Default for Margins {
    fn default() -> Self {
        Self {
            latency_relative: 0.10,
            latency_absolute_ms: 1.0,
            throughput_relative: 0.10,
            error_rate_points: 0.5,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub metric: String,
    pub baseline: f64,
    pub current: f64,
    pub regressed: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    pub rows: Vec<Row>,
}

impl Comparison {
    pub fn regressed(&self) -> bool {
        self.rows.iter().any(|r| r.regressed)
    }
}

pub fn compare(baseline: &LoadSummary, current: &LoadSummary, margins: &Margins) -> Comparison {
    let mut rows = Vec::new();
    let latency = |metric: String, base: f64, now: f64| Row {
        metric,
        baseline: base,
        current: now,
        regressed: now > base * (1.0 + margins.latency_relative)
            && now - base > margins.latency_absolute_ms,
    };
    let mut series: Vec<(
        &str,
        &super::summary::SeriesSummary,
        Option<&super::summary::SeriesSummary>,
    )> = baseline
        .steps
        .iter()
        .map(|s| {
            let now = current.step(&s.name).map(|now| &now.series);
            (s.name.as_str(), &s.series, now)
        })
        .collect();
    series.push(("flow", &baseline.flow, Some(&current.flow)));
    for (name, base, now) in series {
        match now {
            Some(now) => {
                rows.push(latency(
                    format!("{name} p50 ms"),
                    base.ok.corrected.p50,
                    now.ok.corrected.p50,
                ));
                rows.push(latency(
                    format!("{name} p99 ms"),
                    base.ok.corrected.p99,
                    now.ok.corrected.p99,
                ));
            }
            None => rows.push(Row {
                metric: format!("{name} (missing in current)"),
                baseline: base.count as f64,
                current: 0.0,
                regressed: true,
            }),
        }
    }
    rows.push(Row {
        metric: "throughput flows/s".into(),
        baseline: baseline.throughput,
        current: current.throughput,
        regressed: current.throughput < baseline.throughput * (1.0 - margins.throughput_relative),
    });
    rows.push(Row {
        metric: "error rate %".into(),
        baseline: baseline.error_rate,
        current: current.error_rate,
        regressed: current.error_rate - baseline.error_rate > margins.error_rate_points,
    });
    Comparison { rows }
}

pub fn render(comparison: &Comparison, margins: &Margins) -> String {
    let mut out = format!(
        "margins: latency +{:.0}% and +{} ms, throughput -{:.0}%, error rate +{} points\n\n",
        margins.latency_relative * 100.0,
        margins.latency_absolute_ms,
        margins.throughput_relative * 100.0,
        margins.error_rate_points
    );
    let _ = writeln!(
        out,
        "{:<28} {:>12} {:>12} {:>9}  verdict",
        "metric", "baseline", "current", "change"
    );
    for row in &comparison.rows {
        let change = if row.baseline.abs() > f64::EPSILON {
            format!(
                "{:+.1}%",
                100.0 * (row.current - row.baseline) / row.baseline
            )
        } else {
            "-".into()
        };
        let _ = writeln!(
            out,
            "{:<28} {:>12.3} {:>12.3} {:>9}  {}",
            row.metric,
            row.baseline,
            row.current,
            change,
            if row.regressed { "REGRESSED" } else { "ok" }
        );
    }
    let _ = writeln!(
        out,
        "\n{}",
        if comparison.regressed() {
            "regression"
        } else {
            "no regression"
        }
    );
    out
}

/// One way two runs are unlike, with its value in each.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Difference {
    pub what: &'static str,
    pub baseline: String,
    pub current: String,
}

/// What makes the runs' figures unlike: the scenario file (its SHA-256), the load model as the
/// whole run's description has it (kind, size and bound: VUs or rate, think time, in-flight
/// cap, duration or iterations; a p99 over 5 minutes is not one over 30 seconds), the warm-up,
/// the thresholds, and which part of a run each record is (a shard's throughput is its share;
/// a merge of every shard is the whole run). The target's address is not compared: the
/// embedded gateway's port is new each run. A record without settings (written before
/// summary schema 2) cannot be checked, which is a difference too.
pub fn differences(baseline: &LoadSummary, current: &LoadSummary) -> Vec<Difference> {
    let mut found = Vec::new();
    let mut differ = |what, baseline: String, current: String| {
        if baseline != current {
            found.push(Difference {
                what,
                baseline,
                current,
            });
        }
    };
    differ("part", part(baseline), part(current));
    // A run stopped early measured less than it planned: no baseline for a whole one.
    let ran = |s: &LoadSummary| match s.interrupted {
        true => "interrupted".to_owned(),
        false => "ran to its end".to_owned(),
    };
    differ("completion", ran(baseline), ran(current));
    let (Some(base), Some(now)) = (&baseline.settings, &current.settings) else {
        let recorded = |s: &LoadSummary| match s.settings {
            Some(_) => "recorded".to_owned(),
            None => "none (a record of an older gatecheck: run it again)".to_owned(),
        };
        differ("run settings", recorded(baseline), recorded(current));
        return found;
    };
    let scenario = |s: &LoadSummary, settings: &RunSettings| {
        format!("`{}` sha256 {:.12}", s.scenario, settings.scenario_sha256)
    };
    if base.scenario_sha256 != now.scenario_sha256 {
        differ("scenario", scenario(baseline, base), scenario(current, now));
    }
    differ("model", base.model.clone(), now.model.clone());
    let warmup = |s: &RunSettings| {
        humantime::format_duration(std::time::Duration::from_secs_f64(s.warmup_s.max(0.0)))
            .to_string()
    };
    differ("warm-up", warmup(base), warmup(now));
    differ("thresholds", thresholds(base), thresholds(now));
    found
}

/// Which part of a run a record is.
fn part(summary: &LoadSummary) -> String {
    match (&summary.shard, &summary.merged) {
        (Some(shard), _) => format!("shard {shard} of a run"),
        (None, Some(merged)) if !merged.missing.is_empty() => format!(
            "{} of {} shards merged (missing {:?})",
            merged.shards.len(),
            merged.of,
            merged.missing
        ),
        _ => "the whole run".to_owned(),
    }
}

/// The thresholds as written, in a stable order (their order does not change a verdict).
fn thresholds(settings: &RunSettings) -> String {
    let mut all: Vec<&str> = settings.thresholds.iter().map(String::as_str).collect();
    all.sort_unstable();
    match all.is_empty() {
        true => "none".to_owned(),
        false => all.join("; "),
    }
}

/// The differences, one a line, escaped for the console (the values come from the records).
pub fn render_differences(differences: &[Difference]) -> String {
    differences
        .iter()
        .map(|d| {
            format!(
                "  {}: {} (baseline) vs {} (current)\n",
                d.what,
                console_line(&d.baseline),
                console_line(&d.current)
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::metrics::Metrics;
    use crate::load::summary::{summarise, RunFacts};
    use crate::scenario::load_spec::{LoadSpec, Model};
    use std::time::Duration;

    /// A summary of `flows` flows of `step_ms` each, `failed` of them failed, over 10 s.
    fn synthetic(step_ms: u64, flows: u64, failed: u64) -> LoadSummary {
        let mut metrics = Metrics::for_steps(vec![crate::scenario::load_spec::StepKey {
            name: "check_code".into(),
            call: "check_code".into(),
        }]);
        for i in 0..flows {
            let latency = Duration::from_millis(step_ms);
            metrics.record_step(0, latency, latency, Some(200), None);
            metrics.record_flow(
                latency,
                latency,
                (i < failed).then_some("check_code: code_mismatch"),
                false,
            );
        }
        let spec = LoadSpec {
            model: Model::Closed {
                vus: 1,
                think_time: Duration::ZERO,
            },
            duration: Some(Duration::from_secs(10)),
            iterations: None,
            warmup: Duration::ZERO,
            thresholds: Vec::new(),
        };
        let facts = RunFacts {
            run_id: "x".into(),
            scenario: "s",
            file: "s.yaml",
            target: "t".into(),
            relaxed: None,
            started_at: "now".into(),
            interrupted: false,
            settings: None,
            shard: None,
            merged: None,
        };
        summarise(facts, &spec, &metrics, 10.0)
    }

    #[test]
    fn noise_within_either_margin_passes() {
        let margins = Margins::default();
        // +20% but only +0.4 ms: under the absolute margin.
        assert!(!compare(&synthetic(2, 1000, 0), &synthetic(2, 1000, 0), &margins).regressed());
        let small = compare(
            &synthetic(2, 1000, 0),
            &synthetic(3, 1000, 0),
            &Margins {
                latency_absolute_ms: 1.5,
                ..margins
            },
        );
        assert!(!small.regressed(), "{}", render(&small, &margins));
        // +2 ms but only +5%: under the relative margin.
        let relative = compare(&synthetic(40, 1000, 0), &synthetic(42, 1000, 0), &margins);
        assert!(!relative.regressed(), "{}", render(&relative, &margins));
    }

    #[test]
    fn latency_throughput_and_errors_regress() {
        let margins = Margins::default();
        let slower = compare(&synthetic(10, 1000, 0), &synthetic(20, 1000, 0), &margins);
        assert!(slower
            .rows
            .iter()
            .any(|r| r.metric == "check_code p99 ms" && r.regressed));
        let fewer = compare(&synthetic(10, 1000, 0), &synthetic(10, 800, 0), &margins);
        assert!(fewer
            .rows
            .iter()
            .any(|r| r.metric == "throughput flows/s" && r.regressed));
        let failing = compare(&synthetic(10, 1000, 0), &synthetic(10, 1000, 10), &margins);
        assert!(failing
            .rows
            .iter()
            .any(|r| r.metric == "error rate %" && r.regressed));
        assert!(render(&failing, &margins).ends_with("regression\n"));
    }

    fn settings(model: &str, thresholds: &[&str]) -> RunSettings {
        RunSettings {
            scenario_sha256: "ab".repeat(32),
            model: model.into(),
            warmup_s: 5.0,
            late_after_ms: 10.0,
            thresholds: thresholds.iter().map(|t| (*t).to_owned()).collect(),
            start_at: None,
        }
    }

    fn run_of(settings: RunSettings) -> LoadSummary {
        LoadSummary {
            settings: Some(settings),
            ..synthetic(10, 100, 0)
        }
    }

    const CLOSED: &str = "closed: 16 virtual users, think time 0s, 30s";

    #[test]
    fn like_runs_have_no_differences() {
        let base = run_of(settings(CLOSED, &["error_rate < 1%", "p99(flow) < 50ms"]));
        // The thresholds' order changes no verdict.
        let now = run_of(settings(CLOSED, &["p99(flow) < 50ms", "error_rate < 1%"]));
        assert_eq!(differences(&base, &now), Vec::new());
    }

    #[test]
    fn an_interrupted_run_is_unlike_a_whole_one() {
        let base = run_of(settings(CLOSED, &["error_rate < 1%"]));
        let mut stopped = base.clone();
        stopped.interrupted = true;
        let found = differences(&base, &stopped);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(
            (found[0].what, found[0].current.as_str()),
            ("completion", "interrupted")
        );
    }

    #[test]
    fn another_scenario_model_warm_up_or_thresholds_are_each_named() {
        let base = run_of(settings(CLOSED, &["error_rate < 1%"]));
        let now = run_of(RunSettings {
            scenario_sha256: "cd".repeat(32),
            warmup_s: 0.0,
            ..settings("open: 500 flows/s, at most 10000 in flight, 30s", &[])
        });
        let found = differences(&base, &now);
        let what: Vec<&str> = found.iter().map(|d| d.what).collect();
        assert_eq!(what, ["scenario", "model", "warm-up", "thresholds"]);
        let text = render_differences(&found);
        assert_eq!(text.lines().count(), 4, "{text}");
        assert!(text.contains("  model: closed: 16 virtual users, think time 0s, 30s (baseline) vs open: 500 flows/s, at most 10000 in flight, 30s (current)\n"), "{text}");
        assert!(
            text.contains(
                "scenario: `s` sha256 abababababab (baseline) vs `s` sha256 cdcdcdcdcdcd (current)"
            ),
            "{text}"
        );
        assert!(
            text.contains("warm-up: 5s (baseline) vs 0s (current)"),
            "{text}"
        );
        assert!(
            text.contains("thresholds: error_rate < 1% (baseline) vs none (current)"),
            "{text}"
        );
    }

    #[test]
    fn a_size_or_a_bound_is_a_difference_too() {
        let base = run_of(settings(CLOSED, &[]));
        let bigger = run_of(settings(
            "closed: 32 virtual users, think time 0s, 30s",
            &[],
        ));
        let longer = run_of(settings("closed: 16 virtual users, think time 0s, 5m", &[]));
        assert_eq!(differences(&base, &bigger)[0].what, "model");
        assert_eq!(differences(&base, &longer)[0].what, "model");
    }

    #[test]
    fn records_without_settings_and_shards_are_unlike_a_whole_run() {
        let old = synthetic(10, 100, 0);
        let base = run_of(settings(CLOSED, &[]));
        let found = differences(&old, &base);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].what, "run settings");
        assert!(found[0].baseline.starts_with("none"), "{found:?}");
        let shard = LoadSummary {
            shard: Some(crate::load::shard::Shard::parse("1/4").expect("shard")),
            ..base.clone()
        };
        let found = differences(&shard, &base);
        assert_eq!(found[0].what, "part", "{found:?}");
        assert_eq!(found[0].baseline, "shard 1/4 of a run");
        let hostile = run_of(settings("closed\u{1b}[2J", &[]));
        let text = render_differences(&differences(&base, &hostile));
        assert!(!text.contains('\u{1b}'), "{text}");
    }
}
