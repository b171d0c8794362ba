//! `gatecheck merge` on shard records made here: what it refuses (shards of another scenario or
//! settings, a duplicate index, a missing shard) and what it adds (counts, histograms exactly,
//! interval logs second by second), and `--allow-partial`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use gatecheck::load::interval_log::IntervalLogs;
use gatecheck::load::merge;
use gatecheck::load::metrics::{decode, new_histogram, Metrics};
use gatecheck::load::shard::Shard;
use gatecheck::load::summary::{summarise, RunFacts, RunSettings};
use gatecheck::load::tally::IntervalGauges;
use gatecheck::scenario::load_spec::{LoadSpec, Model};

use crate::support::{
    assert_exit, gatecheck_merge, interval_histograms, read_summary, temp_dir, threshold, unique,
};

fn settings() -> RunSettings {
    RunSettings {
        scenario_sha256: "ab".repeat(32),
        model: "open: 100 flows/s, at most 1000 in flight, 2s".into(),
        warmup_s: 0.0,
        late_after_ms: 10.0,
        thresholds: vec!["p99(flow) < 20ms".into(), "throughput >= 60".into()],
        start_at: Some("2026-11-27T14:00:00.000Z".into()),
    }
}

fn spec(settings: &RunSettings) -> LoadSpec {
    LoadSpec {
        model: Model::Closed {
            vus: 1,
            think_time: Duration::ZERO,
        },
        duration: Some(Duration::from_secs(2)),
        iterations: None,
        warmup: Duration::ZERO,
        thresholds: settings.thresholds.iter().map(|t| threshold(t)).collect(),
    }
}

/// Writes shard `index`/`count` of a 2-second run under `root`: flows whose latencies are
/// `latencies_ms`, half in each second, and returns its directory.
fn shard_run(
    root: &Path,
    index: u32,
    count: u32,
    settings: RunSettings,
    latencies_ms: &[u64],
) -> PathBuf {
    shard_run_failing(root, (index, count), settings, latencies_ms, &[])
}

/// As `shard_run`, with failed flows (their one step answered 500) of `failed_ms` too.
fn shard_run_failing(
    root: &Path,
    (index, count): (u32, u32),
    settings: RunSettings,
    latencies_ms: &[u64],
    failed_ms: &[u64],
) -> PathBuf {
    let dir = root.join(format!("shard-{index}-{}", unique()));
    std::fs::create_dir_all(&dir).expect("dir");
    let mut metrics = Metrics::for_steps(vec![gatecheck::scenario::load_spec::StepKey {
        name: "check_code".into(),
        call: "check_code".into(),
    }]);
    let mut logs = IntervalLogs::new(&dir, "test");
    let (first, second) = latencies_ms.split_at(latencies_ms.len() / 2);
    let (failed_first, failed_second) = failed_ms.split_at(failed_ms.len() / 2);
    let seconds = [(first, failed_first), (second, failed_second)];
    for (second_index, (ok, ko)) in seconds.into_iter().enumerate() {
        let flows = ok
            .iter()
            .map(|ms| (ms, None))
            .chain(ko.iter().map(|ms| (ms, Some("status 500"))));
        for (&ms, failure) in flows {
            let latency = Duration::from_millis(ms);
            metrics.flows_started += 1;
            let status = if failure.is_some() { 500 } else { 200 };
            metrics.record_step(0, latency, latency, Some(status), failure);
            let failure = failure.map(|_| "check_code: status 500");
            metrics.record_flow(latency, latency, failure, false);
        }
        // Each shard aims at 50 flows/s with its index + 1 flows in flight at every close.
        let gauges = IntervalGauges {
            target_rate: Some(50.0),
            in_flight: Some(u64::from(index) + 1),
            active_vus: None,
        };
        let closed = metrics.close_interval_at(second_index as f64, gauges);
        logs.append(&closed).expect("log");
    }
    logs.finish().expect("logs");
    let spec = spec(&settings);
    let facts = RunFacts {
        run_id: format!("shard{index}"),
        scenario: "merge test",
        file: "merge.yaml",
        target: "http://127.0.0.1:1".into(),
        relaxed: None,
        started_at: "2026-11-27T14:00:00Z".into(),
        interrupted: false,
        settings: Some(settings),
        shard: Some(Shard { index, count }),
        merged: None,
    };
    let summary = summarise(facts, &spec, &metrics, 2.0);
    gatecheck::load::report::render_into(&dir, &summary).expect("reports");
    dir
}

fn refusal(dirs: &[PathBuf], allow_partial: bool) -> String {
    let runs = merge::find(dirs).expect("records found");
    merge::check(&runs, allow_partial).expect_err("refused")
}

#[test]
fn shards_of_another_scenario_are_refused() {
    let root = temp_dir("merge-scenario");
    shard_run(&root, 0, 2, settings(), &[5, 6]);
    let other = RunSettings {
        scenario_sha256: "cd".repeat(32),
        ..settings()
    };
    shard_run(&root, 1, 2, other, &[5, 6]);
    let message = refusal(&[root], false);
    assert!(message.contains("the scenario differs"), "{message}");
}

#[test]
fn shards_of_other_settings_are_refused() {
    let root = temp_dir("merge-settings");
    shard_run(&root, 0, 2, settings(), &[5]);
    let other = RunSettings {
        thresholds: vec!["p99(flow) < 99ms".into()],
        ..settings()
    };
    shard_run(&root, 1, 2, other, &[5]);
    let message = refusal(&[root], false);
    assert!(message.contains("the thresholds differ"), "{message}");
}

#[test]
fn a_duplicate_index_is_refused() {
    let root = temp_dir("merge-duplicate");
    shard_run(&root, 0, 2, settings(), &[5]);
    shard_run(&root, 0, 2, settings(), &[5]);
    let message = refusal(std::slice::from_ref(&root), false);
    assert!(message.contains("shard 0/2 appears twice"), "{message}");
    // The command says so and exits 2, writing nothing.
    let out = root.join("merged");
    let refused = gatecheck_merge(&root, &out);
    assert_exit(&refused, 2);
    assert!(String::from_utf8_lossy(&refused.stderr).contains("appears twice"));
    assert!(!out.exists());
}

#[test]
fn a_missing_shard_is_refused_unless_partial_is_allowed() {
    let root = temp_dir("merge-missing");
    for index in [0, 2] {
        shard_run(&root, index, 4, settings(), &[5, 7]);
    }
    let message = refusal(std::slice::from_ref(&root), false);
    assert!(message.contains("shards 1/4, 3/4 are missing"), "{message}");
    assert!(message.contains("--allow-partial"), "{message}");

    let runs = merge::find(std::slice::from_ref(&root)).expect("found");
    let (count, missing) = merge::check(&runs, true).expect("partial allowed");
    assert_eq!((count, missing.clone()), (4, vec![1, 3]));
    let merged = merge::merge(&runs, count, missing, "partial".into()).expect("merged");
    let record = merged.summary.merged.as_ref().expect("merged record");
    assert_eq!(
        (record.shards.clone(), record.missing.clone()),
        (vec![0, 2], vec![1, 3])
    );
    assert!(gatecheck::load::report::console(&merged.summary).contains("PARTIAL"));
}

#[test]
fn a_whole_run_is_not_a_shard() {
    let root = temp_dir("merge-whole");
    let dir = shard_run(&root, 0, 2, settings(), &[5]);
    let path = dir.join("summary.json");
    let mut summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("read")).expect("json");
    summary.as_object_mut().expect("object").remove("shard");
    std::fs::write(&path, summary.to_string()).expect("write");
    shard_run(&root, 1, 2, settings(), &[5]);
    let message = refusal(&[root], false);
    assert!(message.contains("is not a shard"), "{message}");
}

/// Two shards whose own p99s (10 ms and 50 ms) are far from the p99 of all their flows
/// together: the merged record has the latter, and the thresholds are judged on it.
#[test]
fn merging_adds_histograms_exactly_and_judges_thresholds_once() {
    let root = temp_dir("merge-exact");
    let fast: Vec<u64> = (1..=100).map(|i| if i <= 98 { 2 } else { 10 }).collect();
    let slow: Vec<u64> = (1..=60).map(|i| if i <= 30 { 3 } else { 50 }).collect();
    shard_run(&root, 0, 2, settings(), &fast);
    shard_run(&root, 1, 2, settings(), &slow);
    let out = root.join("merged");
    let status = gatecheck_merge(&root, &out);
    // p99(flow) < 20ms fails on the whole (30 of 160 flows took 50 ms): exit 1.
    assert_exit(&status, 1);
    let summary = read_summary(&out.join("summary.json"));

    let mut every_sample = new_histogram();
    for ms in fast.iter().chain(&slow) {
        every_sample.record(ms * 1000).expect("record");
    }
    let merged = decode(&summary.flow.ok.corrected_histogram).expect("histogram");
    assert_eq!(summary.flow.count, 160);
    assert_eq!(summary.flows.started, 160);
    assert_eq!(
        summary.step("check_code").expect("step").series.statuses["200"],
        160
    );
    for q in [0.5, 0.9, 0.99, 0.999, 1.0] {
        assert_eq!(
            merged.value_at_quantile(q),
            every_sample.value_at_quantile(q),
            "q {q}"
        );
    }
    assert_eq!(
        summary.flow.ok.corrected.p99,
        every_sample.value_at_quantile(0.99) as f64 / 1000.0
    );
    // Throughput is judged on the whole: 160 flows over 2 s pass `>= 60`, each shard alone would not.
    let throughput = &summary.thresholds[1];
    assert!(
        throughput.passed && throughput.actual == Some(80.0),
        "{throughput:?}"
    );
    assert!(!summary.thresholds[0].passed);

    // The interval logs are added second by second: the merged log's counts per second.
    let log = std::fs::read_to_string(out.join("flow.hlog")).expect("merged log");
    let counts: Vec<u64> = interval_histograms(&log).iter().map(|h| h.len()).collect();
    assert_eq!(counts, [50 + 30, 50 + 30]);
    let timeline: Vec<u64> = summary.timeline.iter().map(|p| p.flows).collect();
    assert_eq!(timeline, [80, 80]);
    // Schema 4's per-second fields merge exactly: requests add up, and each second's p90 is
    // the p90 of both shards' samples of that second (not an average of the shards' p90s).
    let requests: Vec<u64> = summary.timeline.iter().map(|p| p.requests).collect();
    assert_eq!(requests, [80, 80]);
    for (second, point) in summary.timeline.iter().enumerate() {
        let half = |v: &[u64]| -> Vec<u64> {
            let (a, b) = v.split_at(v.len() / 2);
            if second == 0 {
                a.to_vec()
            } else {
                b.to_vec()
            }
        };
        let mut both = new_histogram();
        for ms in half(&fast).iter().chain(&half(&slow)) {
            both.record(ms * 1000).expect("record");
        }
        let p90 = both.value_at_quantile(0.9) as f64 / 1000.0;
        assert!(
            (point.p90_ms["flow"] - p90).abs() < 1e-3,
            "second {second}: {point:?}"
        );
        assert!(
            (point.p50_ms["check_code"] - both.value_at_quantile(0.5) as f64 / 1000.0).abs() < 1e-3
        );
    }
}

/// Failed flows merge apart from the rest, exactly: the merged KO histogram is every shard's
/// KO samples, the KO lines of the interval logs (tagged `Tag=KO`) add up second by second,
/// and `p99(flow) < 20ms` is judged on the OK flows only (every KO flow took 900 ms); each
/// second's target rate, flows in flight, failures by kind and status classes are the sums of
/// the shards' (schema 5).
#[test]
fn failed_flows_merge_apart_and_exactly() {
    let root = temp_dir("merge-ko");
    let ok: Vec<u64> = vec![2; 80];
    shard_run_failing(&root, (0, 2), settings(), &ok, &[900, 900, 700, 900]);
    shard_run_failing(&root, (1, 2), settings(), &ok, &[800, 900]);
    let out = root.join("merged");
    assert_exit(&gatecheck_merge(&root, &out), 0);
    let summary = read_summary(&out.join("summary.json"));
    assert_eq!((summary.flow.ok.count, summary.flow.ko.count), (160, 6));
    let step = &summary.step("check_code").expect("step").series;
    assert_eq!((step.ok.count, step.ko.count), (160, 6));
    assert_eq!(step.statuses["500"], 6);
    let ko = decode(&summary.flow.ko.corrected_histogram).expect("ko histogram");
    let mut every_failure = new_histogram();
    for ms in [900, 900, 700, 900, 800, 900] {
        every_failure.record(ms * 1000).expect("record");
    }
    for q in [0.0, 0.5, 1.0] {
        assert_eq!(ko.value_at_quantile(q), every_failure.value_at_quantile(q));
    }
    assert!(summary.thresholds[0].passed, "{:?}", summary.thresholds);
    let log = std::fs::read_to_string(out.join("flow.hlog")).expect("merged log");
    let failed: Vec<&str> = log.lines().filter(|l| l.starts_with("Tag=KO,")).collect();
    let counts: Vec<u64> = interval_histograms(&failed.join("\n"))
        .iter()
        .map(|h| h.len())
        .collect();
    assert_eq!(counts, [2 + 1, 2 + 1]);
    let timeline: Vec<(u64, u64)> = summary
        .timeline
        .iter()
        .map(|p| (p.flows, p.failed))
        .collect();
    assert_eq!(timeline, [(83, 3), (83, 3)]);
    // Schema 5's fields add up second by second: the shards' target rates and flows in flight,
    // the failures by kind and the requests by status class.
    for point in &summary.timeline {
        assert_eq!(point.target_rate, Some(100.0), "{point:?}");
        assert_eq!(point.in_flight, Some(1 + 2));
        assert_eq!(point.failures.get("status 500"), Some(&3));
        let classes: Vec<(&str, u64)> = point
            .status_classes
            .iter()
            .map(|(c, n)| (c.as_str(), *n))
            .collect();
        assert_eq!(classes, [("2xx", 80), ("5xx", 3)]);
    }
}
