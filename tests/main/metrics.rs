//! `gatecheck load --metrics-addr`: `/metrics` scraped during a run and in its linger, read with
//! a Prometheus text-format parser of its own (`prometheus-parse`), in both formats the server
//! speaks (OpenMetrics when asked, Prometheus text else): counters never go down between
//! scrapes, and the last scrape's totals are summary.json's.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use gatecheck::load::summary::LoadSummary;
use prometheus_parse::{Scrape, Value};

use crate::support::{assert_exit, gatecheck, read_summary, temp_dir};

/// One scrape: every sample by name and sorted labels.
type Samples = BTreeMap<(String, String), f64>;

fn get(addr: &str, openmetrics: bool) -> String {
    let mut stream = std::net::TcpStream::connect(addr).expect("connect to the metrics");
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    let accept = match openmetrics {
        true => "application/openmetrics-text; version=1.0.0",
        false => "text/plain",
    };
    let request = format!(
        "GET /metrics HTTP/1.1\r\nHost: {addr}\r\nAccept: {accept}\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).expect("send");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).expect("read");
    let (head, body) = answer.split_once("\r\n\r\n").expect("a head");
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    let wanted = if openmetrics {
        "openmetrics-text"
    } else {
        "version=0.0.4"
    };
    assert!(head.contains(wanted), "{head}");
    if openmetrics {
        assert!(body.ends_with("# EOF\n"), "OpenMetrics ends with # EOF");
    }
    body.to_owned()
}

fn scrape(addr: &str, openmetrics: bool) -> Samples {
    let body = get(addr, openmetrics);
    let parsed = Scrape::parse(body.lines().map(|l| Ok(l.to_owned()))).expect("parses");
    let mut samples = Samples::new();
    for sample in parsed.samples {
        let mut labels: Vec<String> = sample
            .labels
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        labels.sort();
        let labels = labels.join(",");
        match sample.value {
            Value::Counter(v) | Value::Gauge(v) | Value::Untyped(v) => {
                samples.insert((sample.metric, labels), v);
            }
            Value::Histogram(buckets) => {
                for b in buckets {
                    let key = (
                        format!("{}_bucket", sample.metric),
                        format!("{labels},le={}", b.less_than),
                    );
                    samples.insert(key, b.count);
                }
            }
            Value::Summary(_) => panic!("no summaries are served"),
        }
    }
    samples
}

/// The value of `name` with exactly `labels`, a count.
fn value(samples: &Samples, name: &str, labels: &[(&str, &str)]) -> u64 {
    value_f64(samples, name, labels).round() as u64
}

/// The value of `name` with exactly `labels` (`k=v` sorted, comma-joined).
fn value_f64(samples: &Samples, name: &str, labels: &[(&str, &str)]) -> f64 {
    let mut wanted: Vec<String> = labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
    wanted.sort();
    let key = (name.to_owned(), wanted.join(","));
    samples
        .get(&key)
        .copied()
        .unwrap_or_else(|| panic!("no {key:?}"))
}

/// A load run with `--metrics-addr 127.0.0.1:0`; its metrics address from stderr.
fn start(reports: &Path, extra: &[&str]) -> (Child, String) {
    let mut child = gatecheck()
        .args([
            "load",
            "scenarios/load/reset_flow.yaml",
            "--quiet",
            "--warmup",
            "1s",
        ])
        .args([
            "--metrics-addr",
            "127.0.0.1:0",
            "--metrics-linger",
            "4s",
            "--reports",
        ])
        .arg(reports)
        .args(extra)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("runs");
    let mut lines = BufReader::new(child.stderr.take().expect("stderr")).lines();
    let addr = loop {
        let line = lines.next().expect("a metrics line").expect("stderr line");
        if let Some(url) = line.strip_prefix("metrics: http://") {
            break url.trim_end_matches("/metrics").to_owned();
        }
    };
    std::thread::spawn(move || lines.for_each(drop));
    (child, addr)
}

fn summary_when_written(reports: &Path) -> (PathBuf, LoadSummary) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let found = std::fs::read_dir(reports).ok().and_then(|dirs| {
            dirs.filter_map(|d| d.ok().map(|d| d.path().join("summary.json")))
                .find(|p| p.exists() && !p.parent().is_some_and(|d| d.ends_with("latest")))
        });
        if let Some(path) = found {
            std::thread::sleep(Duration::from_millis(200));
            return (path.clone(), read_summary(&path));
        }
        assert!(Instant::now() < deadline, "no summary.json");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Counters, counts and buckets never go down from one scrape to the next.
fn assert_monotonic(before: &Samples, after: &Samples) {
    for ((name, labels), old) in before {
        if name.ends_with("_total") || name.ends_with("_count") || name.ends_with("_bucket") {
            let new = after.get(&(name.clone(), labels.clone())).expect("kept");
            assert!(new >= old, "{name}{{{labels}}} went from {old} to {new}");
        }
    }
}

/// The final scrape's totals are summary.json's.
fn assert_totals(last: &Samples, summary: &LoadSummary) {
    let flows = &summary.flows;
    assert_eq!(
        value(last, "gatecheck_flows_started_total", &[]),
        flows.started
    );
    assert_eq!(
        value(
            last,
            "gatecheck_flows_completed_total",
            &[("outcome", "ok")]
        ),
        flows.ok
    );
    assert_eq!(
        value(
            last,
            "gatecheck_flows_completed_total",
            &[("outcome", "ko")]
        ),
        flows.failed
    );
    assert_eq!(
        value(last, "gatecheck_flows_dropped_total", &[]),
        flows.dropped
    );
    assert_eq!(value(last, "gatecheck_flows_late_total", &[]), flows.late);
    assert_eq!(
        value(last, "gatecheck_requests_total", &[]),
        summary.requests
    );
    assert_eq!(value(last, "gatecheck_phase", &[("phase", "ended")]), 1);
    for step in &summary.steps {
        let s = step.name.as_str();
        let ok = [("step", s), ("outcome", "ok"), ("kind", "ok")];
        assert_eq!(
            value(last, "gatecheck_step_outcomes_total", &ok),
            step.series.ok.count,
            "{s}"
        );
        for (kind, n) in &step.series.failures {
            let ko = [("step", s), ("outcome", "ko"), ("kind", kind.as_str())];
            assert_eq!(
                value(last, "gatecheck_step_outcomes_total", &ko),
                *n,
                "{s} {kind}"
            );
        }
        for (outcome, count) in [("ok", step.series.ok.count), ("ko", step.series.ko.count)] {
            for timing in ["corrected", "raw"] {
                let labels = [("step", s), ("outcome", outcome), ("timing", timing)];
                let name = "gatecheck_step_latency_seconds_count";
                assert_eq!(value(last, name, &labels), count, "{s} {outcome} {timing}");
            }
        }
    }
    let ko_kinds: u64 = last
        .iter()
        .filter(|((name, labels), _)| {
            name == "gatecheck_step_outcomes_total" && labels.contains("outcome=ko")
        })
        .map(|(_, v)| *v as u64)
        .sum();
    let failures: u64 = summary
        .steps
        .iter()
        .map(|s| s.series.failures.values().sum::<u64>())
        .sum();
    assert_eq!(
        ko_kinds, failures,
        "KO counters by kind are the summary's failures"
    );
}

/// Scrapes during the run (twice, both formats) and once in the linger; the figures printed.
fn scraped_run(name: &str, extra: &[&str]) -> (Vec<Samples>, LoadSummary) {
    let dir = temp_dir(name);
    let reports = dir.join("reports");
    let (child, addr) = start(&reports, extra);
    // The first scrape once the measured window has begun, the second a second later.
    let deadline = Instant::now() + Duration::from_secs(20);
    let first = loop {
        let samples = scrape(&addr, true);
        if value(&samples, "gatecheck_phase", &[("phase", "measuring")]) == 1 {
            break samples;
        }
        assert!(Instant::now() < deadline, "never measuring");
        std::thread::sleep(Duration::from_millis(100));
    };
    std::thread::sleep(Duration::from_secs(1));
    let mut scrapes = vec![first, scrape(&addr, false)];
    let (_, summary) = summary_when_written(&reports);
    scrapes.push(scrape(&addr, true));
    let plain = scrape(&addr, false);
    let output = child.wait_with_output().expect("exits");
    assert!(output.status.code().is_some(), "exited");
    for pair in scrapes.windows(2) {
        assert_monotonic(&pair[0], &pair[1]);
    }
    let last = scrapes.last().expect("scraped");
    println!(
        "{name}: {} scrapes of {} samples; started {} ok {} ko {} dropped {} late {} requests {}",
        scrapes.len() + 1,
        last.len(),
        value(last, "gatecheck_flows_started_total", &[]),
        value(
            last,
            "gatecheck_flows_completed_total",
            &[("outcome", "ok")]
        ),
        value(
            last,
            "gatecheck_flows_completed_total",
            &[("outcome", "ko")]
        ),
        value(last, "gatecheck_flows_dropped_total", &[]),
        value(last, "gatecheck_flows_late_total", &[]),
        value(last, "gatecheck_requests_total", &[]),
    );
    assert_totals(last, &summary);
    assert_totals(&plain, &summary);
    let _ = std::fs::remove_dir_all(&dir);
    (scrapes, summary)
}

#[test]
fn scrapes_during_a_run_end_at_the_summary_totals() {
    let (scrapes, summary) = scraped_run("metrics-clean", &["--rate", "20", "--duration", "3s"]);
    assert!(summary.flows.ok > 20, "{:?}", summary.flows);
    let during = &scrapes[0];
    assert_eq!(
        value(during, "gatecheck_phase", &[("phase", "measuring")]),
        1
    );
    let rate = value_f64(during, "gatecheck_target_rate", &[]);
    assert!((rate - 20.0).abs() < 0.01, "target rate {rate}");
    assert!(value(during, "gatecheck_flows_started_total", &[]) > 0);
    assert!(value(during, "gatecheck_flows_started_total", &[]) < summary.flows.started);
}

#[test]
fn a_failing_run_counts_its_failures_by_kind() {
    let extra = [
        "--rate",
        "20",
        "--duration",
        "3s",
        "--fault",
        "fail-fraction=0.3",
    ];
    let (_, summary) = scraped_run("metrics-faults", &extra);
    assert!(summary.flows.failed > 0, "{:?}", summary.flows);
}

#[test]
fn the_metrics_address_is_refused_before_the_run_when_taken() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = taken.local_addr().expect("addr").to_string();
    let output = gatecheck()
        .args([
            "load",
            "scenarios/load/reset_flow.yaml",
            "--quiet",
            "--duration",
            "1s",
        ])
        .args(["--metrics-addr", &addr])
        .output()
        .expect("runs");
    assert_exit(&output, 1);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("cannot serve the metrics"), "{stderr}");
}

/// Every sample name the sink exposes, open and closed model gauges both shown.
fn exposed_names() -> std::collections::BTreeSet<String> {
    use gatecheck::load::prometheus::{PrometheusSink, RunInfo};
    use gatecheck::load::sink::{Gauges, Sink};
    let key = gatecheck::scenario::load_spec::StepKey {
        name: "1 send_captcha".into(),
        call: "send_captcha".into(),
    };
    let run = RunInfo {
        scenario: "s".into(),
        model: "open",
        run_id: "r".into(),
        shard: "0/1".into(),
    };
    let mut sink = PrometheusSink::new(&[key], &run);
    sink.live(std::sync::Arc::new(|| Gauges {
        target_rate: Some(1.0),
        active_vus: Some(1),
        ..Gauges::default()
    }));
    let mut text = String::new();
    prometheus_client::encoding::text::encode(&mut text, &sink.registry()).expect("encode");
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split(['{', ' ']).next().map(str::to_owned))
        .collect()
}

#[test]
fn every_dashboard_query_names_a_metric_the_sink_exposes() {
    let path = crate::support::repo_path("deploy/grafana/gatecheck-load.json");
    let text = std::fs::read_to_string(&path).expect("dashboard");
    let dashboard: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
    let exposed = exposed_names();
    let names = regex::Regex::new(r"gatecheck_[a-z_]+").expect("regex");
    let panels = dashboard["panels"].as_array().expect("panels");
    let mut queries = 0;
    for panel in panels {
        for target in panel["targets"].as_array().expect("targets") {
            let expr = target["expr"].as_str().expect("expr");
            queries += 1;
            for name in names.find_iter(expr) {
                assert!(
                    exposed.contains(name.as_str()),
                    "{} names {}, not exposed: {exposed:?}",
                    panel["title"],
                    name.as_str()
                );
            }
            assert!(names.is_match(expr), "{expr}");
        }
    }
    let all = text.to_string();
    for wanted in [
        "histogram_quantile(0.99",
        "gatecheck_target_rate",
        "by (shard)",
        "kind",
    ] {
        assert!(all.contains(wanted), "the dashboard shows {wanted}");
    }
    println!(
        "dashboard: {} panels, {queries} queries, every metric exposed",
        panels.len()
    );
}
