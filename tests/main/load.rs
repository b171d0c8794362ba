//! The load engine: pacer accuracy, coordinated-omission correction on a stall, the interval
//! log round trip, threshold verdicts and exit codes, re-rendering, and a partial report on
//! interruption. Loopback only, a few seconds each.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use gatecheck::load::engine::{self, LoadOptions};
use gatecheck::load::summary::{summarise, LoadSummary, RunFacts};
use gatecheck::profile::Profile;
use gatecheck::runner::SessionOptions;
use gatecheck::scenario::load_spec::{LoadSpec, Model};
use gatecheck::scenario::{decode_scenario, Scenario};

use crate::support::{assert_exit, config, gatecheck, read_summary, signal, temp_dir, write_file};

pub const ONE_CALL: &str = "name: one call\nsteps:\n  - send_captcha:\n";

pub fn scenario(text: &str) -> Scenario {
    decode_scenario("inline.yaml", text, &Profile::reference()).expect("scenario")
}

pub fn open_spec(rate: f64, max_in_flight: u32, duration: Duration) -> LoadSpec {
    LoadSpec {
        model: Model::Open {
            rate,
            stages: Vec::new(),
            max_in_flight,
        },
        duration: Some(duration),
        iterations: None,
        warmup: Duration::ZERO,
        thresholds: Vec::new(),
    }
}

pub fn options(spec: LoadSpec, faults: Vec<gatecheck::gateway::Fault>) -> LoadOptions {
    LoadOptions {
        spec,
        session: SessionOptions {
            embedded: config(faults),
            ..SessionOptions::new(Profile::reference())
        },
        late_after: Duration::from_millis(10),
        progress: false,
        users: gatecheck::runner::session::LoadSource::Auto,
        create_users: None,
        shard: gatecheck::load::shard::Shard::WHOLE,
        start: None,
        threads: 2,
    }
}

/// `options` on `threads` engine threads: the engine's results must not depend on them.
pub fn on_threads(
    threads: u32,
    spec: LoadSpec,
    faults: Vec<gatecheck::gateway::Fault>,
) -> LoadOptions {
    LoadOptions {
        threads,
        ..options(spec, faults)
    }
}

pub async fn run(scenario: &Scenario, options: &LoadOptions) -> LoadSummary {
    run_until(scenario, options, std::future::pending()).await
}

/// A run that `interrupted` may stop, as Ctrl-C does.
pub async fn run_until(
    scenario: &Scenario,
    options: &LoadOptions,
    interrupted: impl std::future::Future<Output = ()>,
) -> LoadSummary {
    let outcome = engine::run(scenario, options, Vec::new(), interrupted)
        .await
        .expect("load run");
    let facts = RunFacts {
        run_id: "test".into(),
        scenario: &scenario.name,
        file: &scenario.path,
        target: outcome.target.clone(),
        relaxed: outcome.relaxed.clone(),
        started_at: "now".into(),
        interrupted: outcome.interrupted,
        settings: None,
        shard: None,
        merged: None,
    };
    summarise(
        facts,
        &options.spec,
        &outcome.metrics,
        outcome.measured.as_secs_f64(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_open_model_starts_flows_at_the_requested_rate() {
    for threads in [1, 2] {
        let spec = open_spec(200.0, 1000, Duration::from_secs(2));
        let summary = run(&scenario(ONE_CALL), &on_threads(threads, spec, Vec::new())).await;
        let started = summary.flows.started as f64;
        assert!(
            (started - 400.0).abs() <= 20.0,
            "{threads} threads: started {started} flows, wanted 400 ± 5%"
        );
        assert_eq!(summary.flows.failed, 0, "{:?}", summary.flow.failures);
        assert!(
            summary.measured_s >= 1.9 && summary.measured_s < 3.0,
            "{}",
            summary.measured_s
        );
    }
}

/// The wrk2 check: the gateway stalls for 1 s in an open-model run; flows due meanwhile start
/// late. Corrected latency (from the intended start) shows the stall; raw latency hides it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stall_shows_in_corrected_latency_and_not_in_raw() {
    for threads in [1, 2] {
        let stall = "stall=1s:1s".parse().expect("fault");
        let spec = open_spec(100.0, 2, Duration::from_secs(3));
        let summary = run(&scenario(ONE_CALL), &on_threads(threads, spec, vec![stall])).await;
        let (corrected, raw) = (summary.flow.ok.corrected.p99, summary.flow.ok.raw.p99);
        assert!(
            corrected > 400.0,
            "{threads} threads: corrected p99 {corrected} ms should show the 1 s stall"
        );
        assert!(
            raw < 100.0,
            "{threads} threads: raw p99 {raw} ms should not (only the 2 flows in flight saw it)"
        );
        assert!(summary.flows.late > 50, "{} late flows", summary.flows.late);
    }
}

fn only_run_dir(reports: &std::path::Path) -> PathBuf {
    let runs: Vec<PathBuf> = std::fs::read_dir(reports)
        .expect("reports")
        .map(|e| e.expect("entry").path())
        .filter(|path| !path.ends_with("latest"))
        .collect();
    assert_eq!(runs.len(), 1, "{runs:?}");
    runs[0].clone()
}

#[test]
fn thresholds_decide_the_exit_code_and_the_junit_cases() {
    let dir = temp_dir("thresholds");
    let passing = write_file(&dir, "passing.yaml", &format!("{ONE_CALL}load:\n  vus: 2\n  duration: 1s\n  thresholds: [\"p99(send_captcha) < 5s\", \"error_rate < 1%\", \"throughput > 1\"]\n"));
    let failing = write_file(&dir, "failing.yaml", &format!("{ONE_CALL}load:\n  vus: 2\n  duration: 1s\n  thresholds: [\"p99(flow) < 1us\", \"error_rate < 1%\"]\n"));
    let reports = dir.join("reports");
    let status = gatecheck()
        .args(["load", "--quiet", "--reports"])
        .arg(&reports)
        .arg(&passing)
        .status()
        .expect("runs");
    assert_eq!(status.code(), Some(0));
    let _ = std::fs::remove_dir_all(&reports);
    let output = gatecheck()
        .args(["load", "--quiet", "--reports"])
        .arg(&reports)
        .arg(&failing)
        .output()
        .expect("runs");
    assert_exit(&output, 1);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("FAIL p99(flow) < 1us"), "{stdout}");
    assert!(stdout.contains("PASS error_rate < 1%"), "{stdout}");
    let run = only_run_dir(&reports);
    let junit = std::fs::read_to_string(run.join("junit.xml")).expect("junit");
    assert_eq!(junit.matches("<testcase").count(), 2);
    assert_eq!(junit.matches("<failure").count(), 1);

    // The interval log reads back with HdrHistogram's own parser and holds every flow.
    let summary = read_summary(&run.join("summary.json"));
    let log = std::fs::read(run.join("flow.hlog")).expect("hlog");
    let mut total = 0;
    for entry in hdrhistogram::serialization::interval_log::IntervalLogIterator::new(&log) {
        if let Ok(hdrhistogram::serialization::interval_log::LogEntry::Interval(interval)) = entry {
            let histogram: hdrhistogram::Histogram<u64> =
                gatecheck::load::metrics::decode(interval.encoded_histogram()).expect("histogram");
            total += histogram.len();
        }
    }
    assert_eq!(total, summary.flow.count);

    // `gatecheck report` renders the same reports from summary.json alone.
    let markdown = std::fs::read_to_string(run.join("summary.md")).expect("md");
    std::fs::remove_file(run.join("summary.md")).expect("remove");
    let status = gatecheck()
        .args(["report"])
        .arg(run.join("summary.json"))
        .output()
        .expect("runs");
    assert_exit(&status, 1);
    assert_eq!(
        std::fs::read_to_string(run.join("summary.md")).expect("md"),
        markdown
    );
    // ... and from the run's directory, as `reports/latest` names it.
    std::fs::remove_file(run.join("report.html")).expect("remove");
    let status = gatecheck()
        .args(["report"])
        .arg(&run)
        .output()
        .expect("runs");
    assert_exit(&status, 1);
    assert!(
        run.join("report.html").is_file(),
        "re-rendered from the directory"
    );

    let invalid = write_file(
        &dir,
        "invalid.yaml",
        &format!("{ONE_CALL}load:\n  duration: 1s\n  thresholds: [\"p99(chek_code) < 1s\"]\n"),
    );
    let output = gatecheck()
        .args(["load", "--quiet"])
        .arg(&invalid)
        .output()
        .expect("runs");
    assert_exit(&output, 2);
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("the scenario has no step `chek_code`")
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn an_interrupted_run_still_writes_its_reports() {
    let dir = temp_dir("interrupt");
    let file = write_file(
        &dir,
        "long.yaml",
        &format!("{ONE_CALL}load:\n  vus: 2\n  duration: 60s\n"),
    );
    let reports = dir.join("reports");
    let mut child = gatecheck()
        .args(["load", "--quiet", "--reports"])
        .arg(&reports)
        .arg(&file)
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("runs");
    std::thread::sleep(Duration::from_secs(2));
    signal(&child, libc::SIGINT);
    let stopped = Instant::now();
    let status = child.wait().expect("exits");
    assert!(
        stopped.elapsed() < Duration::from_secs(3),
        "took {:?} to stop",
        stopped.elapsed()
    );
    assert_eq!(status.code(), Some(130));
    let summary = read_summary(&only_run_dir(&reports).join("summary.json"));
    assert!(summary.interrupted);
    assert!(summary.flows.ok > 0);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flows_that_cannot_start_are_counted_late_and_dropped() {
    // 200 flows/s against a 20 ms step with one flow in flight: about 50/s can run. (A cap
    // of one is one engine thread's, whatever `--threads` says: `threads::parts`; two threads
    // are `each_thread_counts_its_own_dropped_flows`.)
    {
        let slow = "latency=send_captcha:20ms".parse().expect("fault");
        let spec = open_spec(200.0, 1, Duration::from_secs(2));
        let summary = run(&scenario(ONE_CALL), &options(spec, vec![slow])).await;
        assert!(
            summary.flows.dropped >= 200,
            "{} dropped of 400 due",
            summary.flows.dropped
        );
        assert!(summary.late_share > 90.0, "{}% late", summary.late_share);
        assert!(
            summary.flows.started + summary.flows.dropped >= 390,
            "{:?}",
            summary.flows
        );
    }
}

/// Two in flight on two threads, one each: the same flows are due, the same are dropped.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_thread_counts_its_own_dropped_flows() {
    let slow = "latency=send_captcha:20ms".parse().expect("fault");
    let spec = open_spec(200.0, 2, Duration::from_secs(2));
    let summary = run(&scenario(ONE_CALL), &on_threads(2, spec, vec![slow])).await;
    assert!(
        summary.flows.dropped >= 150,
        "{} dropped of 400 due, about 100/s could run",
        summary.flows.dropped
    );
    let due = summary.flows.started + summary.flows.dropped;
    assert!((390..=410).contains(&due), "{:?}", summary.flows);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_iteration_bound_runs_exactly_that_many_flows() {
    // Both models, more virtual users than flows left at the end: none may overshoot.
    for model in [
        Model::Closed {
            vus: 7,
            think_time: Duration::ZERO,
        },
        Model::Open {
            rate: 2000.0,
            stages: Vec::new(),
            max_in_flight: 50,
        },
    ] {
        for threads in [1, 2, 3] {
            let spec = LoadSpec {
                model: model.clone(),
                duration: None,
                iterations: Some(250),
                warmup: Duration::ZERO,
                thresholds: Vec::new(),
            };
            let summary = run(&scenario(ONE_CALL), &on_threads(threads, spec, Vec::new())).await;
            assert_eq!(
                (summary.flows.started, summary.flows.ok, summary.requests),
                (250, 250, 250),
                "{} on {threads} threads",
                summary.model
            );
            // Every flow is in exactly one second of the timeline, merged from the threads.
            let in_seconds: u64 = summary.timeline.iter().map(|p| p.flows).sum();
            assert_eq!(in_seconds, 250, "{threads} threads");
        }
    }
}

/// A gateway that puts a new value into every failure: a unique error code and message on each
/// refusal, a unique body on each test-support 404, and now and then a closed connection.
async fn unique_failures_gateway() -> String {
    use axum::http::{Method, StatusCode};
    use std::sync::atomic::{AtomicU64, Ordering};
    let counter = std::sync::Arc::new(AtomicU64::new(0));
    let app = axum::Router::new().fallback(move |method: Method, uri: axum::http::Uri| {
        let n = counter.fetch_add(1, Ordering::Relaxed);
        async move {
            let path = uri.path();
            let json = |status: StatusCode, body: String| {
                (status, [("content-type", "application/json")], body)
            };
            if method == Method::GET && path == "/" {
                json(StatusCode::OK, "{}".into())
            } else if path.starts_with("/test/") {
                json(
                    StatusCode::NOT_FOUND,
                    format!(r#"{{"error": "nothing for request {n} at {path}"}}"#),
                )
            } else if n.is_multiple_of(3) {
                // A CAPTCHA, so the next step asks the (failing) oracle for its answer.
                json(
                    StatusCode::OK,
                    format!(r#"{{"token": "t1-{n}", "pointY": 10, "expire": 60}}"#),
                )
            } else {
                let status = [400, 401, 429, 500, 503][n as usize % 5];
                json(
                    StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST),
                    format!(
                        r#"{{"error_code": "USG.{:09}", "error_msg": "refusal number {n}"}}"#,
                        n % 1_000_000_000
                    ),
                )
            }
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

/// Failure kinds are named without per-flow values and capped, so a target that makes every
/// failure unique cannot grow the reports (it once made a 3 s run write 8 MB of summary.md).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unique_failures_keep_a_bounded_number_of_kinds_and_small_reports() {
    use gatecheck::load::metrics::MAX_FAILURE_KINDS;
    use gatecheck::profile::{CaptchaOracle, CodeOracle};
    let scenario = scenario(
        "name: unique failures\nsteps:\n  - send_captcha:\n  - check_captcha:\n  - send_code:\n",
    );
    let mut options = options(
        LoadSpec {
            model: Model::Closed {
                vus: 8,
                think_time: Duration::ZERO,
            },
            duration: Some(Duration::from_millis(1500)),
            iterations: None,
            warmup: Duration::ZERO,
            thresholds: Vec::new(),
        },
        Vec::new(),
    );
    options.session.target = Some(unique_failures_gateway().await);
    options.session.profile = crate::support::profile_without_test_support(&[]);
    options.session.captcha_oracle = Some(CaptchaOracle::TestApi);
    options.session.code_oracle = Some(CodeOracle::TestApi);
    let summary = run(&scenario, &options).await;
    assert!(summary.flows.failed > 100, "{:?}", summary.flows);
    assert_eq!(summary.flows.ok, 0);
    let kinds: Vec<&String> = summary
        .steps
        .iter()
        .map(|s| &s.series)
        .chain(std::iter::once(&summary.flow))
        .flat_map(|series| series.failures.keys())
        .collect();
    for kind in &kinds {
        assert!(
            !kind.contains("USG.") && !kind.contains("number") && !kind.contains("request"),
            "a kind carries a value the target chose: {kind}"
        );
    }
    let steps = summary.steps.iter().map(|s| &s.series);
    for series in steps.chain(std::iter::once(&summary.flow)) {
        assert!(
            series.failures.len() <= MAX_FAILURE_KINDS + 1,
            "{:?}",
            series.failures
        );
    }
    // Refusals by status, and the oracle that could not answer.
    assert!(
        summary
            .flow
            .failures
            .contains_key("1 send_captcha: status 400"),
        "{:?}",
        summary.flow.failures
    );
    assert!(
        summary
            .flow
            .failures
            .contains_key("2 check_captcha: setup (captcha oracle)"),
        "{:?}",
        summary.flow.failures
    );
    let dir = temp_dir("unique-failures");
    gatecheck::load::report::render_into(&dir, &summary).expect("reports");
    for file in ["summary.md", "summary.json", "report.html", "junit.xml"] {
        let size = std::fs::metadata(dir.join(file)).expect(file).len();
        assert!(size < 100 * 1024, "{file} is {size} bytes");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
