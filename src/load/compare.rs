//! `gatecheck compare BASELINE CURRENT`: a regression gate between two load summaries. Per step
//! and for the whole flow, p50 and p99 (corrected) regress only when they grow by more than
//! both the relative and the absolute margin, so noise does not fail a build; throughput
//! regresses when it falls by more than its relative margin, the error rate when it rises by
//! more than its absolute margin (percentage points).

use std::fmt::Write;

use super::summary::LoadSummary;

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
}
