//! The page holds every chart kind, rates over a partial last interval use its real span,
//! the timeline's gauges and failures are drawn (gaps where seconds are missing), an older
//! record says what it lacks, and a 10-minute run's page stays under 1 MB.

use std::time::Duration;

use super::*;
use crate::load::metrics::Metrics;
use crate::load::summary::{summarise_with, RunFacts};
use crate::load::tally::IntervalGauges;
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
    summary_of(&metrics, measured_s)
}

fn summary_of(metrics: &Metrics, measured_s: f64) -> LoadSummary {
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
    summarise_with(facts, "open".into(), 0.0, &[], metrics, measured_s)
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

/// `seconds` seconds of an open run at 20 flows/s aimed at 25 of one step each: from second 1
/// on, `failing` of each second's flows fail as `status 503`, and in the last one 5 time out;
/// 3 flows in flight at each close. Seconds in `missing` are left out of the record.
fn faulty(seconds: u32, failing: u64, missing: &[u32], measured_s: f64) -> LoadSummary {
    let key = StepKey {
        name: "send".into(),
        call: "send_captcha".into(),
    };
    let mut metrics = Metrics::for_steps(vec![key]);
    let ms = Duration::from_millis;
    for second in 0..seconds {
        for i in 0..20 {
            let failure = match (second, i) {
                (0, _) => None,
                (s, i) if s + 1 == seconds && i < 5 => Some("transport (timeout)"),
                (_, i) if i < failing => Some("status 503"),
                _ => None,
            };
            let status = failure.map_or(Some(200), |f| (f == "status 503").then_some(503));
            metrics.record_step(0, ms(5 + i), ms(5), status, failure);
            metrics.record_flow(ms(5 + i), ms(5), failure, false);
        }
        let gauges = IntervalGauges {
            target_rate: Some(25.0),
            in_flight: Some(3),
            active_vus: None,
        };
        metrics.close_interval_at(f64::from(second), gauges);
    }
    let mut summary = summary_of(&metrics, measured_s);
    summary
        .timeline
        .retain(|p| !missing.contains(&(p.t as u32)));
    summary
}

#[test]
fn failures_by_kind_fall_in_their_seconds_and_the_target_is_dashed() {
    let summary = faulty(4, 4, &[], 3.5);
    let kinds: Vec<Vec<(&str, u64)>> = summary
        .timeline
        .iter()
        .map(|p| p.failures.iter().map(|(k, n)| (k.as_str(), *n)).collect())
        .collect();
    assert_eq!(
        kinds,
        [
            vec![],
            vec![("status 503", 4)],
            vec![("status 503", 4)],
            vec![("transport (timeout)", 5)]
        ]
    );
    assert_eq!(summary.timeline[3].status_classes["transport"], 5);
    assert_eq!(summary.timeline[1].status_classes["5xx"], 4);
    let html = render(&summary);
    for kind in ["errors", "statuses", "in-flight"] {
        let figure = html
            .split(&format!("data-chart=\"{kind}\""))
            .nth(1)
            .unwrap_or_else(|| panic!("no {kind} chart"));
        let figure = &figure[..figure.find("</figure>").expect("figure ends")];
        assert!(figure.contains("<path "), "{kind} draws: {figure}");
    }
    assert!(html.contains("stroke-dasharray"), "the target rate dashed");
    assert!(
        html.contains("target flows/s: 25 per second"),
        "hover value"
    );
    // The last half second's 5 timeouts are 10/s over its real span, not 5/s.
    assert!(
        html.contains("transport (timeout): 10 per second"),
        "{html}"
    );
    assert!(html.contains("in flight: 3 flows"));
}

#[test]
fn a_missing_second_is_a_gap_not_a_diagonal() {
    let summary = faulty(5, 2, &[2], 5.0);
    let spanned = spans(&summary);
    let points: Vec<(f64, f64, f64)> = spanned
        .iter()
        .map(|(t, l, p)| (*t, *l, p.flows as f64))
        .collect();
    assert_eq!(chart::contiguous(&points).len(), 2);
    let html = render(&summary);
    let throughput = html
        .split("data-chart=\"throughput\"")
        .nth(1)
        .expect("throughput");
    let flows = throughput.split("<path ").nth(1).expect("flows/s line");
    let d = &flows[flows.find("d=\"").expect("d") + 3..];
    let d = &d[..d.find('"').expect("path ends")];
    assert_eq!(d.matches('M').count(), 2, "two runs: {d}");
    // Both runs of each band too.
    let band = html.split("data-chart=\"band\"").nth(1).expect("band");
    let band = &band[..band.find("</figure>").expect("band ends")];
    assert_eq!(band.matches("<polygon ").count(), 2, "{band}");
}

#[test]
fn a_short_last_second_after_a_gap_is_not_folded_across_it() {
    // Seconds 0, 1 and 2 recorded, 3 missing, then 4 lasting 0.1 s.
    let summary = faulty(5, 2, &[3], 4.1);
    let spanned = spans(&summary);
    let at: Vec<(f64, f64)> = spanned.iter().map(|(t, l, _)| (*t, *l)).collect();
    assert_eq!(at.len(), 4, "{at:?}");
    assert_eq!(at[2], (2.0, 1.0), "second 2 keeps its own span: {at:?}");
    assert_eq!(at[3].0, 4.0);
    assert!((at[3].1 - 0.1).abs() < 1e-9, "{at:?}");
}

#[test]
fn an_older_record_says_what_it_lacks() {
    let mut summary = faulty(3, 2, &[], 3.0);
    summary.schema_version = 4;
    for point in &mut summary.timeline {
        point.target_rate = None;
        point.in_flight = None;
        point.failures.clear();
        point.status_classes.clear();
    }
    let html = render(&summary);
    for what in ["failures by kind", "status classes", "flows in flight"] {
        assert!(
            html.contains(&format!("(schema 4) holds no {what} per second")),
            "{what}"
        );
    }
    assert!(!html.contains("stroke-dasharray"));
}

/// A 10-minute run of 6 steps with failures of 3 kinds, gauges and quantiles every second:
/// the page is under 1 MB (its size printed).
#[test]
fn a_ten_minute_page_stays_under_a_megabyte() {
    let keys = (0..6).map(|i| StepKey {
        name: format!("{i} step"),
        call: "check_code".into(),
    });
    let mut metrics = Metrics::for_steps(keys.collect());
    for second in 0..600u32 {
        for i in 0..40u64 {
            let failure = ["status 503", "code_mismatch", "transport (timeout)"]
                .get(((i + u64::from(second)) % 13) as usize)
                .copied();
            for step in 0..6 {
                let latency = Duration::from_micros(300 + 997 * i * (step as u64 + 1));
                metrics.record_step(step, latency, latency, Some(200), failure);
            }
            metrics.record_flow(
                Duration::from_millis(i),
                Duration::from_millis(i),
                failure,
                false,
            );
        }
        let gauges = IntervalGauges {
            target_rate: Some(f64::from(second) / 6.0),
            in_flight: Some(u64::from(second % 17)),
            active_vus: None,
        };
        metrics.close_interval_at(f64::from(second), gauges);
    }
    let html = render(&summary_of(&metrics, 600.0));
    println!("a 10-minute report.html: {} bytes", html.len());
    assert!(html.len() < 1_000_000, "{} bytes", html.len());
}
