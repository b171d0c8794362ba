//! Oracles without the test-support endpoints: the `solve` oracle reads the CAPTCHA answer from
//! the images and a fixed code stands in for the SMS, so the happy path completes against a
//! gateway that reveals nothing.

use gatecheck::profile::{CaptchaOracle, CodeOracle, Profile};
use gatecheck::runner::record::Verdict;
use gatecheck::runner::RunOptions;

use crate::support::{repo_path, run_path};

fn profile_without_test_support() -> Profile {
    crate::support::profile_without_test_support(&[
        r#"{user: "+8613600000000", password: "Init#Pass00", account: phone_user0}"#,
        r#"{user: "+8613600000001", password: "Init#Pass01", account: phone_user1}"#,
    ])
}

/// The gateway has no /test/v1 routes at all (they answer 404), so a pass means the CAPTCHA
/// was solved from the images and the code came from the fixed oracle.
#[tokio::test]
async fn the_happy_path_completes_with_the_test_support_endpoints_off() {
    let mut options = fixed_code_options(profile_without_test_support());
    options.session.code_oracle = Some(CodeOracle::Fixed("246810".into()));
    let record = happy_path_with(&options).await;
    assert_passed(&record);
}

#[tokio::test]
async fn a_wrong_solution_is_caught_by_the_gateway_not_hidden() {
    // With the fixed-code oracle giving the wrong code, the run fails where the code is used.
    let mut options = fixed_code_options(profile_without_test_support());
    options.session.code_oracle = Some(CodeOracle::Fixed("111111".into()));
    let record = happy_path_with(&options).await;
    let scenario = &record.scenarios[0];
    assert_eq!(scenario.verdict, Verdict::Failed);
    assert_eq!(
        scenario.steps.last().map(|s| s.name.as_str()),
        Some("4 check_code")
    );
}

fn assert_passed(record: &gatecheck::runner::record::RunRecord) {
    let report = gatecheck::report::console::render(record);
    assert_eq!(record.scenarios[0].verdict, Verdict::Passed, "{report}");
}

fn fixed_code_options(profile: Profile) -> RunOptions {
    let mut options = RunOptions::new(profile);
    options.session.embedded.test_support = false;
    options.session.embedded.fixed_code = Some("246810".into());
    options.session.embedded.captcha_pool = 4;
    options.session.captcha_oracle = Some(CaptchaOracle::Solve);
    options
}

async fn happy_path_with(options: &RunOptions) -> gatecheck::runner::record::RunRecord {
    run_path(&repo_path("scenarios/happy/phone_user.yaml"), options).await
}

#[tokio::test]
async fn the_command_oracle_reads_the_code_a_program_prints() {
    let mut options = fixed_code_options(profile_without_test_support());
    // The program is given the user; it prints the code (here: a shell that echoes it).
    options.session.code_oracle = Some(CodeOracle::Command(vec![
        "sh".into(),
        "-c".into(),
        "test -n \"$0\" && echo 246810".into(),
        "{{ user }}".into(),
    ]));
    let record = happy_path_with(&options).await;
    assert_passed(&record);
}

#[tokio::test]
async fn the_sink_oracle_reads_the_code_from_an_http_sink() {
    use axum::extract::RawQuery;
    let seen = std::sync::Arc::new(parking_lot::Mutex::new(Vec::<String>::new()));
    let recorder = std::sync::Arc::clone(&seen);
    let sink = axum::Router::new().route(
        "/latest",
        axum::routing::get(move |RawQuery(query): RawQuery| {
            let recorder = std::sync::Arc::clone(&recorder);
            async move {
                recorder.lock().push(query.unwrap_or_default());
                serde_json::json!({"message": {"code": "246810"}}).to_string()
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, sink).await });
    let mut options = fixed_code_options(profile_without_test_support());
    options.session.code_oracle = Some(CodeOracle::Sink {
        url: format!("http://{addr}/latest?to={{{{ user }}}}"),
        pointer: "/message/code".into(),
    });
    let record = happy_path_with(&options).await;
    assert_passed(&record);
    assert_eq!(
        seen.lock().as_slice(),
        ["to=%2B8613600000000"],
        "the sink was asked about the user, percent-encoded"
    );
}
