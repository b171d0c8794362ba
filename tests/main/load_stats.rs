//! Load statistics that tell the truth: latency thresholds judge what succeeded (a run whose
//! every flow failed has no OK latency), steps keyed by the step in flow order (two steps of
//! one call kept apart, a repeated step counted each time), and a run stopped by its
//! interruption says so in every report.

use std::time::Duration;

use gatecheck::load::summary::{parse, LoadSummary, TimelinePoint, Verdict};
use gatecheck::profile::Profile;
use gatecheck::scenario::decode_scenario;
use gatecheck::scenario::load_spec::{LoadSpec, Model};

use crate::load::{on_threads, options, run, run_until, scenario, ONE_CALL};
use crate::support::threshold;

fn closed(vus: u32, duration: Option<Duration>, iterations: Option<u64>) -> LoadSpec {
    LoadSpec {
        model: Model::Closed {
            vus,
            think_time: Duration::ZERO,
        },
        duration,
        iterations,
        warmup: Duration::ZERO,
        thresholds: Vec::new(),
    }
}

/// Every request answered 500: every flow fails fast. `p99(flow)` judges OK flows: none, so
/// it fails with no data (it printed PASS when it judged failures too); `all` still can.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_latency_threshold_over_no_successful_flow_fails_with_no_data() {
    let mut spec = closed(2, None, Some(20));
    spec.thresholds = vec![
        threshold("p99(flow) < 10s"),
        threshold("p99(send_captcha) < 10s"),
        threshold("p99(flow, all) < 10s"),
    ];
    let fault = "fail-fraction=1".parse().expect("fault");
    let summary = run(&scenario(ONE_CALL), &options(spec, vec![fault])).await;
    assert_eq!((summary.flows.ok, summary.flows.failed), (0, 20));
    assert_eq!((summary.flow.ok.count, summary.flow.ko.count), (0, 20));
    let verdicts: Vec<(Option<f64>, bool)> = summary
        .thresholds
        .iter()
        .map(|t| (t.actual.map(|_| 0.0), t.passed))
        .collect();
    assert_eq!(verdicts, [(None, false), (None, false), (Some(0.0), true)]);
    assert_eq!(summary.verdict, Verdict::Failed);
    let console = gatecheck::load::report::console(&summary);
    assert!(
        console.contains("FAIL p99(flow) < 10s (actual no data)"),
        "{console}"
    );
}

const TWO_RESETS: &str = "name: two resets\nsteps:\n  - reach: t3\n  - reset_password:\n  - reset_password:\n    expect: {error: reset_token_invalid}\n";

/// Two `reset_password` steps, the second refused (T3 is used up): two rows in flow order, each
/// with its own statuses (they were one `reset_password` row, listed alphabetically).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_steps_of_one_call_are_two_rows_in_flow_order() {
    let summary = run(
        &scenario(TWO_RESETS),
        &options(closed(1, None, Some(10)), Vec::new()),
    )
    .await;
    assert_eq!(summary.flows.ok, 10, "{:?}", summary.flow.failures);
    let rows: Vec<(&str, &str, u64)> = summary
        .steps
        .iter()
        .map(|s| (s.name.as_str(), s.call.as_str(), s.series.ok.count))
        .collect();
    assert_eq!(
        rows,
        [
            ("reach t3: send_captcha", "send_captcha", 10),
            ("reach t3: check_captcha", "check_captcha", 10),
            ("reach t3: send_code", "send_code", 10),
            ("reach t3: check_code", "check_code", 10),
            ("2 reset_password", "reset_password", 10),
            ("3 reset_password", "reset_password", 10),
        ]
    );
    let statuses = |name: &str| summary.step(name).expect(name).series.statuses.clone();
    assert_eq!(
        statuses("2 reset_password").keys().collect::<Vec<_>>(),
        ["200"]
    );
    assert_eq!(
        statuses("3 reset_password").keys().collect::<Vec<_>>(),
        ["401"]
    );
}

/// `p99(reset_password)` is ambiguous when two steps make the call: an error at validate time
/// naming both; by a step's name, or a call only one step makes, it is fine.
#[test]
fn a_threshold_naming_a_call_two_steps_make_is_refused_with_the_choices() {
    let with = |threshold: &str| {
        let text = format!("{TWO_RESETS}load:\n  iterations: 1\n  thresholds: [\"{threshold}\"]\n");
        decode_scenario("two.yaml", &text, &Profile::reference()).map(|_| ())
    };
    let error = with("p99(reset_password) < 1s")
        .expect_err("ambiguous")
        .to_string();
    assert!(
        error.contains("`2 reset_password`, `3 reset_password`"),
        "{error}"
    );
    assert!(with("p99(3 reset_password, ko) < 1s").is_ok());
    assert!(with("p99(check_code) < 1s").is_ok());
    assert!(with("p99(reach t3: send_code) < 1s").is_ok());
}

/// Interrupted after a second of a 60 s run: every report says INTERRUPTED, no threshold is
/// shown holding, JUnit has an error case, and the record's verdict is not `passed`. (It
/// printed PASS for each threshold and `verdict: passed`.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupted_run_says_so_in_every_report() {
    let mut spec = closed(2, Some(Duration::from_secs(60)), None);
    spec.thresholds = vec![threshold("error_rate < 50%"), threshold("throughput > 0")];
    let stop = tokio::time::sleep(Duration::from_secs(1));
    let summary = run_until(&scenario(ONE_CALL), &options(spec, Vec::new()), stop).await;
    assert!(summary.interrupted && summary.flows.ok > 0);
    assert_eq!(summary.verdict, Verdict::Interrupted);
    assert!(!summary.passed);
    assert!(summary.thresholds.iter().all(|t| !t.judged && !t.passed));
    let console = gatecheck::load::report::console(&summary);
    let first = console.lines().nth(1).unwrap_or_default();
    assert!(
        first.starts_with("  INTERRUPTED after ") && first.contains(" s measured of 60 s planned"),
        "{console}"
    );
    assert!(console.contains("verdict: INTERRUPTED"), "{console}");
    assert!(
        !console.contains("PASS") && !console.contains("passed"),
        "{console}"
    );
    let junit = gatecheck::load::report::junit(&summary);
    assert!(
        junit.contains("errors=\"1\"") && junit.contains("<error "),
        "{junit}"
    );
    assert!(!junit.contains("<testcase classname=\"thresholds\" name=\"throughput &gt; 0\"/>"));
    let markdown = gatecheck::load::report::markdown(&summary);
    assert!(markdown.contains(": INTERRUPTED"), "{markdown}");
    let html = gatecheck::load::html::render(&summary);
    assert!(
        html.contains("INTERRUPTED") && !html.contains(">pass<"),
        "{html}"
    );
    let json = serde_json::to_string(&summary).expect("json");
    assert!(json.contains("\"verdict\":\"interrupted\""), "{json}");
    let back = parse(&json, "summary.json").expect("reads back");
    assert_eq!(back.verdict, Verdict::Interrupted);
}

/// A summary.json of schema version 2 (latencies with failures mixed in, steps by call) is
/// refused with what to do, by `report`, `compare` and `merge` alike (they read through `parse`).
#[test]
fn an_older_summary_is_refused_with_a_clear_message() {
    let error =
        parse(r#"{"schema_version": 2, "steps": {}}"#, "old/summary.json").expect_err("refused");
    assert!(
        error.contains("old/summary.json is a load summary of schema version 2")
            && error.contains("run the load again"),
        "{error}"
    );
}

/// Schema 4's timeline, recorded by a short open-model run: each second's requests are the
/// steps that ended in it (summing to the run's requests), with p50 <= p90 <= p99 per step;
/// the record reads back through `parse` unchanged, and a schema 3 record (no `requests`, no
/// `p50_ms`/`p90_ms`, nor schema 5's fields) still reads, with those empty.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_timeline_records_requests_and_quantiles_per_second() {
    let spec = crate::load::open_spec(40.0, 100, Duration::from_millis(2500));
    let summary = run(&scenario(TWO_RESETS), &options(spec, Vec::new())).await;
    assert!(summary.timeline.len() >= 2, "{:?}", summary.timeline);
    let requests: u64 = summary.timeline.iter().map(|p| p.requests).sum();
    assert_eq!(requests, summary.requests);
    let steps: u64 = summary.steps.iter().map(|s| s.series.count).sum();
    assert_eq!(requests, steps);
    let first = &summary.timeline[0];
    assert!(first.requests > 0);
    for (name, p90) in &first.p90_ms {
        assert!(
            first.p50_ms[name] <= *p90 && *p90 <= first.p99_ms[name],
            "{name}"
        );
    }
    assert!(first.p90_ms.contains_key("flow"), "{first:?}");
    let json = serde_json::to_string(&summary).expect("json");
    // Compared field by field: serde_json reads a float's last digit back differently.
    let back = parse(&json, "summary.json").expect("reads back");
    assert_eq!(back.schema_version, 5);
    let shape = |s: &LoadSummary| -> Vec<(u64, u64, Vec<String>)> {
        let keys = |p: &TimelinePoint| p.p90_ms.keys().cloned().collect();
        s.timeline
            .iter()
            .map(|p| (p.flows, p.requests, keys(p)))
            .collect()
    };
    assert_eq!(shape(&back), shape(&summary));

    let mut old: serde_json::Value = serde_json::from_str(&json).expect("json");
    old["schema_version"] = 3.into();
    for point in old["timeline"].as_array_mut().expect("timeline") {
        let schema_5 = ["target_rate", "in_flight", "failures", "status_classes"];
        for field in ["requests", "p50_ms", "p90_ms"].iter().chain(&schema_5) {
            point.as_object_mut().expect("point").remove(*field);
        }
    }
    let old = parse(&old.to_string(), "old/summary.json").expect("schema 3 reads");
    assert!(old
        .timeline
        .iter()
        .all(|p| p.p90_ms.is_empty() && p.requests == 0 && p.in_flight.is_none()));
    let html = gatecheck::load::html::render(&old);
    assert!(
        html.contains("holds no p50 or p90 per second"),
        "schema 3 says why"
    );
}

/// Schema 5's gauges: an open run at 50 flows/s has that target rate in every whole second
/// and its flows in flight at each close; under `--fault stall=1500ms:1s` with a 300 ms
/// request timeout, the requests held by the stall fail as `transport (timeout)`, in the
/// seconds the stall covers and no other, counted as requests of no answer too. A schema 4
/// record of it still reads and renders.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_timeline_records_target_rate_in_flight_and_failures_by_kind() {
    let stall = "stall=1500ms:1s".parse().expect("fault");
    let mut options = options(
        crate::load::open_spec(50.0, 1000, Duration::from_secs(4)),
        vec![stall],
    );
    options.session.client.timeout = Duration::from_millis(300);
    let summary = run(&scenario(ONE_CALL), &options).await;
    let whole: Vec<&TimelinePoint> = summary.timeline.iter().take(4).collect();
    assert_eq!(whole.len(), 4, "{:?}", summary.timeline);
    for point in &whole {
        let rate = point.target_rate.expect("target rate");
        assert!((rate - 50.0).abs() < 1e-6, "{point:?}");
        assert!(point.in_flight.is_some() && point.active_vus.is_none());
    }
    let timeouts: Vec<u64> = summary
        .timeline
        .iter()
        .map(|p| p.failures.get("transport (timeout)").copied().unwrap_or(0))
        .collect();
    let kinds: Vec<&String> = summary
        .timeline
        .iter()
        .flat_map(|p| p.failures.keys())
        .collect();
    assert!(
        kinds.iter().all(|k| *k == "transport (timeout)"),
        "{kinds:?}"
    );
    assert_eq!((timeouts[0], timeouts[3]), (0, 0), "{timeouts:?}");
    assert!(timeouts[1] + timeouts[2] >= 10, "{timeouts:?}");
    let step = &summary.steps[0].series;
    assert_eq!(
        timeouts.iter().sum::<u64>(),
        step.failures["transport (timeout)"]
    );
    let no_answer: u64 = summary
        .timeline
        .iter()
        .filter_map(|p| p.status_classes.get("transport"))
        .sum();
    assert_eq!(no_answer, step.statuses["transport"]);
    // The stall (from 1.5 s) holds flows: more in flight as second 1 closes, 2 s in, than at
    // second 0's close.
    assert!(whole[1].in_flight > whole[0].in_flight, "{whole:?}");

    let mut old: serde_json::Value = serde_json::to_value(&summary).expect("json");
    old["schema_version"] = 4.into();
    for point in old["timeline"].as_array_mut().expect("timeline") {
        for field in ["target_rate", "in_flight", "failures", "status_classes"] {
            point.as_object_mut().expect("point").remove(field);
        }
    }
    let old = parse(&old.to_string(), "old/summary.json").expect("schema 4 reads");
    let html = gatecheck::load::html::render(&old);
    assert!(html.contains("(schema 4) holds no failures by kind per second"));
    assert!(
        html.contains("data-chart=\"band\""),
        "its bands still drawn"
    );
}

/// A closed run records its active virtual users at each close.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_closed_run_records_its_active_virtual_users() {
    let spec = closed(3, Some(Duration::from_millis(2200)), None);
    let summary = run(&scenario(ONE_CALL), &options(spec, Vec::new())).await;
    let vus: Vec<Option<u64>> = summary
        .timeline
        .iter()
        .take(2)
        .map(|p| p.active_vus)
        .collect();
    assert_eq!(vus, [Some(3), Some(3)], "{:?}", summary.timeline);
    assert!(summary.timeline.iter().all(|p| p.target_rate.is_none()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_repeated_step_is_sent_and_counted_each_time() {
    // As `run` runs it: `repeat: N` times in a row, a template giving N, 0 leaving it out.
    let text = "name: repeated\nsteps:\n  - send_captcha:\n    repeat: 3\n  - send_captcha:\n    \
                name: never\n    repeat: \"{{ 2 - 2 }}\"\n  - send_captcha:\n    name: twice\n    \
                repeat: \"{{ 1 + 1 }}\"\n";
    for threads in [1, 2] {
        let spec = LoadSpec {
            model: Model::Closed {
                vus: 3,
                think_time: Duration::ZERO,
            },
            duration: None,
            iterations: Some(40),
            warmup: Duration::ZERO,
            thresholds: Vec::new(),
        };
        let summary = run(&scenario(text), &on_threads(threads, spec, Vec::new())).await;
        assert_eq!(
            (summary.flows.ok, summary.requests),
            (40, 200),
            "{threads} threads"
        );
        let counts: Vec<u64> = summary.steps.iter().map(|s| s.series.count).collect();
        assert_eq!(counts, [120, 0, 80], "{threads} threads");
    }
    // A count the template cannot give fails the flow there, by a setup name.
    let text = "name: bad count\nsteps:\n  - send_captcha:\n    repeat: \"{{ 1000 + 1 }}\"\n";
    let spec = LoadSpec {
        model: Model::Closed {
            vus: 1,
            think_time: Duration::ZERO,
        },
        duration: None,
        iterations: Some(5),
        warmup: Duration::ZERO,
        thresholds: Vec::new(),
    };
    let summary = run(&scenario(text), &on_threads(1, spec, Vec::new())).await;
    assert_eq!((summary.flows.failed, summary.requests), (5, 0));
    let failures: Vec<&String> = summary.flow.failures.keys().collect();
    assert_eq!(failures, ["1 send_captcha: setup (template)"]);
}
