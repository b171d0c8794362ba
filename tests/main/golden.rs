//! Golden files for what users read: error messages of invalid scenarios (with carets and
//! suggestions) and the console, JUnit and Markdown reports. `GATECHECK_BLESS=1 cargo test
//! --test main golden::` rewrites the expected files after a deliberate change.

use std::path::{Path, PathBuf};

use gatecheck::profile::Profile;
use gatecheck::runner::record::*;

use crate::support::{repo_path, threshold};

pub(crate) fn golden_dir() -> PathBuf {
    repo_path("tests/golden")
}

pub(crate) fn check(expected_path: &Path, actual: &str) {
    if std::env::var_os("GATECHECK_BLESS").is_some() {
        std::fs::write(expected_path, actual).expect("bless");
        return;
    }
    let expected = std::fs::read_to_string(expected_path).unwrap_or_else(|_| {
        panic!(
            "{} is missing; run with GATECHECK_BLESS=1 to create it",
            expected_path.display()
        )
    });
    assert_eq!(
        actual,
        expected,
        "{} differs (GATECHECK_BLESS=1 to accept)",
        expected_path.display()
    );
}

#[test]
fn invalid_scenarios_report_every_error_with_a_caret() {
    let dir = golden_dir().join("invalid");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("golden dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    assert!(files.len() >= 5);
    for file in files {
        let text = std::fs::read_to_string(&file).expect("read");
        let shown = format!(
            "invalid/{}",
            file.file_name().and_then(|n| n.to_str()).unwrap_or("?")
        );
        let errors =
            match gatecheck::scenario::decode_scenario(&shown, &text, &Profile::reference()) {
                Ok(_) => panic!("{shown} should be invalid"),
                Err(errors) => errors,
            };
        check(&file.with_extension("err"), &format!("{errors}\n"));
    }
}

/// A fixed record: one pass, one failure with a request and response, one skip, one error.
pub(crate) fn fixture() -> RunRecord {
    let failing_step = StepRecord {
        name: "3 reset_password".into(),
        line: 7,
        request: Some(RequestRecord {
            method: "PUT".into(),
            url: "http://127.0.0.1:8080/v1/usg/acs/password/reset".into(),
            headers: vec![
                ("Content-Type".into(), "application/json".into()),
                ("X-Access-Token".into(), "T3-token".into()),
            ],
            body: r#"{"newPwd":"Nw7#Qz4!Rk2$","user":"+8613500420001"}"#.into(),
        }),
        response: Some(ResponseRecord {
            status: 200,
            headers: Vec::new(),
            body: String::new(),
            body_bytes: 0,
        }),
        outcome: Some(Outcome::Success { status: 200 }),
        transport: None,
        latency_ms: 1.5,
        outcomes: Vec::new(),
        failures: vec![FailureRecord {
            check: Check::Status,
            expected: "401 USG.290040401 (reset_token_invalid)".into(),
            actual: "200".into(),
            line: 8,
            column: 14,
        }],
        captcha: None,
    };
    let scenario =
        |name: &str, file: &str, verdict: Verdict, reason: Option<&str>, steps: Vec<StepRecord>| {
            ScenarioRecord {
                name: name.into(),
                file: file.into(),
                tags: vec!["token".into()],
                covers: Vec::new(),
                verdict,
                reason: reason.map(Into::into),
                setup: None,
                duration_ms: 12,
                steps,
            }
        };
    RunRecord {
        schema_version: SCHEMA_VERSION,
        run_id: "20261127T100000Z-abcd".into(),
        target: "http://127.0.0.1:8080 (embedded reference gateway)".into(),
        embedded_target: true,
        secrets_revealed: false,
        interrupted: false,
        not_run: 0,
        profile: "reference".into(),
        started_at: "2026-11-27T10:00:00Z".into(),
        duration_ms: 1234,
        scenarios: vec![
            scenario(
                "happy path, phone user",
                "scenarios/happy/phone_user.yaml",
                Verdict::Passed,
                None,
                Vec::new(),
            ),
            scenario(
                "T3 replayed",
                "scenarios/tokens/t3_replayed.yaml",
                Verdict::Failed,
                None,
                vec![failing_step],
            ),
            scenario(
                "a failed CAPTCHA check uses T1 up",
                "scenarios/captcha/failed_check_burns_t1.yaml",
                Verdict::Skipped,
                Some("the profile has `burns.t1_on_mismatch` off"),
                Vec::new(),
            ),
            scenario(
                "T1 expired <&>",
                "scenarios/tokens/t1_expired.yaml",
                Verdict::Error,
                Some("no code oracle: \"quoted\""),
                Vec::new(),
            ),
        ],
    }
}

#[test]
fn console_report() {
    check(
        &golden_dir().join("report/console.txt"),
        &gatecheck::report::console::render(&fixture()),
    );
}

#[test]
fn junit_report() {
    check(
        &golden_dir().join("report/junit.xml"),
        &gatecheck::report::junit::render(&fixture()),
    );
}

#[test]
fn markdown_report() {
    check(
        &golden_dir().join("report/summary.md"),
        &gatecheck::report::markdown::render(&fixture()),
    );
}

#[test]
fn the_json_record_round_trips() {
    let record = fixture();
    let text = serde_json::to_string(&record).expect("serialise");
    let back: RunRecord = serde_json::from_str(&text).expect("deserialise");
    assert_eq!(back, record);
}

/// A fixed load summary: synthetic latencies, one threshold passing and one failing.
fn load_fixture() -> gatecheck::load::summary::LoadSummary {
    load_fixture_with(false)
}

/// The fixed load summary; `interrupted`: the run was stopped (Ctrl-C) before its bound.
fn load_fixture_with(interrupted: bool) -> gatecheck::load::summary::LoadSummary {
    use gatecheck::load::metrics::Metrics;
    use gatecheck::scenario::load_spec::StepKey;
    use std::time::Duration;
    let mut metrics = Metrics::for_steps(vec![StepKey {
        name: "4 check_code".into(),
        call: "check_code".into(),
    }]);
    for i in 0..100u64 {
        let raw = Duration::from_micros(900 + i * 10);
        let corrected = raw + Duration::from_micros(if i >= 98 { 400_000 } else { 0 });
        metrics.flows_started += 1;
        metrics.record_step(
            0,
            corrected,
            raw,
            Some(if i == 0 { 400 } else { 200 }),
            (i == 0).then_some("code_mismatch"),
        );
        metrics.record_flow(
            corrected,
            raw,
            (i == 0).then_some("4 check_code: code_mismatch"),
            i >= 98,
        );
        // Two whole seconds of timeline, 50 flows each, aimed at 50/s, 2 then 5 in flight.
        if i == 49 || i == 99 {
            let gauges = gatecheck::load::tally::IntervalGauges {
                target_rate: Some(50.0),
                in_flight: Some(if i == 49 { 2 } else { 5 }),
                active_vus: None,
            };
            metrics.close_interval_at(if i == 49 { 0.0 } else { 1.0 }, gauges);
        }
    }
    let thresholds = ["p99(check_code) < 50ms", "error_rate < 5%"];
    load_summary(&metrics, &thresholds, interrupted)
}

/// The record of `metrics` over a 2 s open-model run with `thresholds`.
fn load_summary(
    metrics: &gatecheck::load::metrics::Metrics,
    thresholds: &[&str],
    interrupted: bool,
) -> gatecheck::load::summary::LoadSummary {
    use gatecheck::load::summary::{summarise, RunFacts};
    use gatecheck::scenario::load_spec::{LoadSpec, Model};
    use std::time::Duration;
    let spec = LoadSpec {
        model: Model::Open {
            rate: 50.0,
            stages: Vec::new(),
            max_in_flight: 100,
        },
        duration: Some(Duration::from_secs(if interrupted { 60 } else { 2 })),
        iterations: None,
        warmup: Duration::from_secs(1),
        thresholds: thresholds.iter().map(|t| threshold(t)).collect(),
    };
    let facts = RunFacts {
        run_id: "20261127T100000Z-load".into(),
        scenario: "load fixture",
        file: "scenarios/load/fixture.yaml",
        target: "http://127.0.0.1:8080".into(),
        relaxed: None,
        started_at: "2026-11-27T10:00:00Z".into(),
        interrupted,
        settings: None,
        shard: None,
        merged: None,
    };
    summarise(facts, &spec, metrics, 2.0)
}

#[test]
fn load_reports() {
    let summary = load_fixture();
    check(
        &golden_dir().join("report/load-summary.md"),
        &gatecheck::load::report::markdown(&summary),
    );
    check(
        &golden_dir().join("report/load-junit.xml"),
        &gatecheck::load::report::junit(&summary),
    );
    check(
        &golden_dir().join("report/load-console.txt"),
        &gatecheck::load::report::console(&summary),
    );
    // The page people open: self-contained (inline CSS and SVG), so the whole file is the check.
    check(
        &golden_dir().join("report/load-report.html"),
        &gatecheck::load::html::render(&summary),
    );
}

/// Text a hostile target could choose, in every field a load record renders: the load reports
/// show it as text (the files under `report/hostile-*` are what it looks like).
const HOSTILE: &str = "t` [a](http://e) # h\n<img src=x onerror=alert(1)><script>x</script></code> | \x1b[2J\x07\r\u{202e}\u{0}";

#[test]
fn load_reports_show_hostile_text_as_text() {
    let mut summary = load_fixture();
    summary.scenario = HOSTILE.into();
    summary.target = HOSTILE.into();
    summary.relaxed = Some(HOSTILE.into());
    summary.steps[0].name = HOSTILE.into();
    summary.flow.failures.insert(HOSTILE.into(), 1);
    let html = gatecheck::load::html::render(&summary);
    for element in ["<script", "<img", "<a ", "\x1b", "\u{202e}"] {
        assert!(!html.contains(element), "report.html: {element:?}");
    }
    let console = gatecheck::load::report::console(&summary);
    assert!(
        !console.chars().any(|c| c.is_control() && c != '\n'),
        "{console:?}"
    );
    check(&golden_dir().join("report/hostile-load-report.html"), &html);
    let markdown = golden_dir().join("report/hostile-load-summary.md");
    check(&markdown, &gatecheck::load::report::markdown(&summary));
    crate::hostile_target::assert_markdown_clean(&markdown);
}

/// Ctrl-C: the console and JUnit say INTERRUPTED, with what ran of what was planned; no
/// threshold reads PASS and JUnit is not green (an error case, the thresholds skipped).
#[test]
fn load_reports_of_an_interrupted_run() {
    let summary = load_fixture_with(true);
    let console = gatecheck::load::report::console(&summary);
    assert!(!console.contains("PASS"), "{console}");
    check(
        &golden_dir().join("report/load-interrupted-console.txt"),
        &console,
    );
    let junit = gatecheck::load::report::junit(&summary);
    assert!(junit.contains("<error "), "{junit}");
    check(
        &golden_dir().join("report/load-interrupted-junit.xml"),
        &junit,
    );
}

/// Two `reset_password` steps, the second expected to be refused (four flows found it
/// answered 200): two rows, in flow order, each with its own OK and KO counts and latency
/// (they were one `reset_password` row, after `login` alphabetically).
#[test]
fn load_reports_keep_two_steps_of_one_call_apart() {
    use gatecheck::load::metrics::Metrics;
    use gatecheck::scenario::load_spec::step_keys;
    use std::time::Duration;
    let text = "name: two resets\nsteps:\n  - reach: t3\n  - reset_password:\n  - name: login first\n    login:\n  - reset_password:\n    expect: {error: reset_token_invalid}\n";
    let scenario = gatecheck::scenario::decode_scenario("two.yaml", text, &Profile::reference())
        .expect("scenario");
    let mut metrics = Metrics::for_steps(step_keys(&scenario.steps));
    let ms = Duration::from_millis;
    for i in 0..10u64 {
        metrics.flows_started += 1;
        for step in 0..4 {
            metrics.record_step(step, ms(2 + step as u64), ms(2), Some(200), None);
        }
        metrics.record_step(4, ms(30 + i), ms(30 + i), Some(200), None);
        metrics.record_step(5, ms(1), ms(1), Some(200), None);
        let failed = (i < 4).then_some("status 200");
        metrics.record_step(6, ms(1), ms(1), Some(if i < 4 { 200 } else { 401 }), failed);
        metrics.record_flow(
            ms(50),
            ms(50),
            failed.map(|_| "4 reset_password: status 200"),
            false,
        );
    }
    let summary = load_summary(
        &metrics,
        &["p99(2 reset_password) < 50ms", "p99(flow, ko) < 1s"],
        false,
    );
    let names: Vec<&str> = summary.steps.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(
        names[4..],
        ["2 reset_password", "login first", "4 reset_password"]
    );
    check(
        &golden_dir().join("report/load-two-resets-console.txt"),
        &gatecheck::load::report::console(&summary),
    );
    check(
        &golden_dir().join("report/load-two-resets-junit.xml"),
        &gatecheck::load::report::junit(&summary),
    );
}

/// The run's report.html of the fixed record, with one extra section handed in (where the
/// coverage matrix goes); the page parses as XML.
#[test]
fn run_report_html() {
    let extra = "<section id=\"coverage\"><h2>Coverage</h2></section>".to_owned();
    let html = gatecheck::report::html::run::render(&fixture(), &[extra]);
    crate::run_html::assert_xhtml_parses("run-report.html", &html);
    let failing = html
        .find("<h2>Failing scenarios (2)</h2>")
        .expect("failing first");
    let areas = html.find("<h2>Scenarios by area</h2>").expect("areas");
    let coverage = html
        .find("<section id=\"coverage\">")
        .expect("the extra section");
    assert!(failing < areas && areas < coverage);
    check(&golden_dir().join("report/run-report.html"), &html);
}

/// A failing CAPTCHA step's picture (`report::html::captcha`) from fixed records: the solver's
/// answer 5 px left of the X sent, an X off the image with the background left out and
/// `x_from: piece`, and a fourth failing step past the page's three pictures, counted.
#[test]
fn captcha_pictures_html() {
    use gatecheck::report::html::captcha::{pictures, Budget};
    use gatecheck::runner::picture::*;
    let shown = |url: &str, format, width, height| Image {
        width,
        height,
        shown: Shown::Data {
            url: url.into(),
            format,
        },
    };
    let solved = CaptchaPicture {
        background: shown("data:image/png;base64,iVBORw0KGgoAAAA=", "PNG", 300, 150),
        piece: shown("data:image/png;base64,iVBORw0KGgoBBBB=", "PNG", 50, 50),
        point_y: 61,
        x_sent: 125,
        measured_from: MeasuredFrom::CutImage,
        answer: Some(OracleAnswer {
            oracle: AnswerOracle::Solve,
            x: 120,
        }),
        tolerance: 4,
    };
    let off = CaptchaPicture {
        background: Image {
            width: 320,
            height: 160,
            shown: Shown::Omitted("left out: image is neither a PNG nor a JPEG".into()),
        },
        piece: shown("data:image/png;base64,iVBORw0KGgoCCCC=", "PNG", 64, 64),
        x_sent: 2_147_483_647,
        measured_from: MeasuredFrom::Piece { offset: 4 },
        answer: Some(OracleAnswer {
            oracle: AnswerOracle::TestApi,
            x: 40,
        }),
        ..solved.clone()
    };
    let unasked = CaptchaPicture {
        x_sent: 1,
        answer: None,
        ..solved.clone()
    };
    let step = |name: &str, picture: &CaptchaPicture| StepRecord {
        failures: fixture().scenarios[1].steps[0].failures.clone(),
        captcha: Some(picture.clone()),
        ..StepRecord::new(name, 7)
    };
    let steps = vec![
        step("2 check_captcha <&>", &solved),
        StepRecord::new("3 send_code", 9),
        step("4 check_captcha", &off),
        step("6 check_captcha", &unasked),
        step("8 check_captcha", &solved),
    ];
    let body = pictures(&steps, &mut Budget::default());
    assert_eq!(body.matches("<figure class=\"captcha\"").count(), 3);
    let html = gatecheck::report::html::page::page("captcha pictures", &body);
    crate::run_html::assert_xhtml_parses("captcha-pictures.html", &html);
    check(&golden_dir().join("report/captcha-pictures.html"), &html);
}
