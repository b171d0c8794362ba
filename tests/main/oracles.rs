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

/// The reference profile's `captcha.image` line, to swap for another style.
const DEFAULT_IMAGE: &str = "image: {format: png, width: 300, height: 150, piece_width: 50, piece_height: 50, shape: puzzle, margin: 0, x_from: image, decoys: 0, noise: 0}";

/// JPEG backgrounds with noise and three darker decoys, a 56 px jigsaw piece with a 4 px
/// margin, `pointX` measured from the opaque piece.
const HARD_STYLE: &str = "image: {format: jpeg, width: 320, height: 160, piece_width: 56, piece_height: 56, shape: puzzle, margin: 4, x_from: piece, decoys: 3, noise: 12}";

/// The profile without test support, its CAPTCHAs in `image`'s style.
fn styled(image: &str) -> Profile {
    let reference = gatecheck::profile::REFERENCE_YAML;
    assert!(reference.contains(DEFAULT_IMAGE));
    let parsed = Profile::parse("styled.yaml", &reference.replace(DEFAULT_IMAGE, image))
        .expect("styled profile");
    let mut profile = profile_without_test_support();
    profile.captcha_image = parsed.captcha_image;
    profile
}

/// Options whose embedded gateway draws `gateway`'s style while the solver is told `profile`.
fn styled_options(gateway: &Profile, profile: Profile) -> RunOptions {
    let mut options = fixed_code_options(profile);
    options.session.code_oracle = Some(CodeOracle::Fixed("246810".into()));
    options.session.embedded =
        gatecheck::runner::embedded::config_for(gateway, options.session.embedded);
    options
}

#[tokio::test]
async fn the_happy_path_completes_by_solving_jpeg_captchas_with_decoys_noise_and_margins() {
    let profile = styled(HARD_STYLE);
    let options = styled_options(&profile, profile.clone());
    assert_eq!(
        options.session.embedded.captcha_style.decoys, 3,
        "the gateway draws the profile's style"
    );
    assert_passed(&happy_path_with(&options).await);
}

/// Teeth for `x_from`: a solver told the wrong convention answers the cutImage's edge, 12 px
/// (the margin and the jigsaw's notch) left of where this gateway measures, and is refused.
#[tokio::test]
async fn a_solver_measuring_x_elsewhere_than_the_gateway_is_refused() {
    let gateway = styled(HARD_STYLE);
    let told = styled(&HARD_STYLE.replace("x_from: piece", "x_from: image"));
    let record = happy_path_with(&styled_options(&gateway, told)).await;
    let scenario = &record.scenarios[0];
    assert_eq!(scenario.verdict, Verdict::Failed);
    assert!(
        scenario
            .steps
            .last()
            .is_some_and(|s| s.name.ends_with("check_captcha")),
        "{:?}",
        scenario.steps.iter().map(|s| &s.name).collect::<Vec<_>>()
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
