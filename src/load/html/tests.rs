//! The page holds every chart kind, and rates over a partial last interval use its real span.

use std::time::Duration;

use super::*;
use crate::load::metrics::Metrics;
use crate::load::summary::{summarise_with, RunFacts};
use crate::scenario::load_spec::StepKey;

/// 2.5 s measured: two whole seconds of 10 flows and a half second of 5; two steps, one fast
/// (0.2 ms) and one slow (80 ms), so latency axes go log.
fn fixture(measured_s: f64) -> LoadSummary {
    let key = |name: &str| StepKey {
        name: name.into(),
        call: name.into(),
    };
    let mut metrics = Metrics::for_steps(vec![key("fast"), key("slow")]);
    for (second, flows) in [(0.0, 10), (1.0, 10), (2.0, 5)] {
        for i in 0..flows {
            let fast = Duration::from_micros(200 + i * 10);
            let slow = Duration::from_millis(80 + i);
            metrics.record_step(0, fast, fast, Some(200), None);
            metrics.record_step(1, slow, slow, Some(200), None);
            metrics.record_flow(fast + slow, fast + slow, None, false);
        }
        metrics.close_interval(second);
    }
    let facts = RunFacts {
        run_id: "t".into(),
        scenario: "s",
        file: "f",
        target: "x".into(),
        relaxed: None,
        started_at: "now".into(),
        interrupted: false,
        settings: None,
        shard: None,
        merged: None,
    };
    summarise_with(facts, "open".into(), 0.0, &[], &metrics, measured_s)
}

#[test]
fn the_page_holds_every_chart_kind() {
    let html = render(&fixture(2.5));
    for kind in ["throughput", "p99", "band", "spectrum", "histogram"] {
        assert!(
            html.contains(&format!("data-chart=\"{kind}\"><figcaption>")) && html.contains("<svg"),
            "no {kind} chart"
        );
    }
    // One band and one histogram per step and for the flow.
    assert_eq!(html.matches("data-chart=\"band\"").count(), 3);
    assert_eq!(html.matches("data-chart=\"histogram\"").count(), 3);
    assert!(html.contains("width:100%"), "fluid charts");
    assert!(html.contains("@media print"));
    assert!(html.contains(", log</text>"), "a log latency axis");
    assert!(html.contains("requests/s"));
    assert!(html.contains("<title>"), "hover values");
}

#[test]
fn a_partial_last_interval_is_a_rate_over_its_real_span() {
    let summary = fixture(2.5);
    let spanned = spans(&summary);
    let rates: Vec<(f64, f64)> = spanned
        .iter()
        .map(|(_, l, p)| (*l, rate(p.flows, *l)))
        .collect();
    assert_eq!(rates, [(1.0, 10.0), (1.0, 10.0), (0.5, 10.0)]);
    assert_eq!(spanned[2].2.requests, 10);
    // A last interval of a few ms (the flows in flight at the stop) folds into the one before.
    let summary = fixture(2.01);
    let folded: Vec<(f64, u64)> = spans(&summary)
        .iter()
        .map(|(_, l, p)| ((l * 100.0).round() / 100.0, p.flows))
        .collect();
    assert_eq!(folded, [(1.0, 10), (1.01, 15)]);
}

#[test]
fn histogram_buckets_are_log_spaced_and_hold_every_sample() {
    let summary = fixture(2.5);
    let bars = histogram_bars(&summary.steps[0].series.ok.corrected_histogram);
    assert_eq!(bars.iter().map(|b| b.2).sum::<u64>(), 25);
    for w in bars.windows(2) {
        assert!((w[0].1 - w[1].0).abs() < 1e-12, "contiguous");
        assert!(
            ((w[1].1 / w[1].0) - (w[0].1 / w[0].0)).abs() < 1e-9,
            "log-spaced"
        );
    }
}
