//! Oracles without the test-support endpoints: the `solve` oracle reads the CAPTCHA answer from
//! the images and a fixed code stands in for the SMS, so the happy path completes against a
//! gateway that reveals nothing.

use std::path::PathBuf;

use gatecheck::profile::{CaptchaOracle, CodeOracle, Profile};
use gatecheck::runner::record::Verdict;
use gatecheck::runner::{self, RunOptions};

fn profile_without_test_support() -> Profile {
    let text = gatecheck::profile::REFERENCE_YAML
        .replace("test_support: true", "test_support: false")
        .replace(
            "accounts: []",
            "accounts:\n  - {user: \"+8613600000000\", password: \"Init#Pass00\", account: phone_user0}\n  - {user: \"+8613600000001\", password: \"Init#Pass01\", account: phone_user1}",
        );
    Profile::parse("no-test-support.yaml", &text).expect("profile")
}

#[tokio::test]
async fn the_happy_path_completes_with_the_test_support_endpoints_off() {
    let profile = profile_without_test_support();
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scenarios/happy/phone_user.yaml");
    let scenarios = gatecheck::suite::load(&[path], &profile).expect("scenario");
    let mut options = RunOptions::new(profile);
    options.embedded.test_support = false;
    options.embedded.fixed_code = Some("246810".into());
    options.embedded.captcha_pool = 4;
    options.code_oracle = Some(CodeOracle::Fixed("246810".into()));
    let (record, _) = runner::run(scenarios, &options, std::future::pending())
        .await
        .expect("run");
    let report = gatecheck::report::console::render(&record);
    assert_eq!(record.scenarios[0].verdict, Verdict::Passed, "{report}");
    // Nothing was asked of /test/v1: it does not exist on this gateway.
    let requests: Vec<&str> = record.scenarios[0]
        .steps
        .iter()
        .filter_map(|s| s.request.as_ref())
        .map(|r| r.url.as_str())
        .collect();
    assert!(
        requests.iter().all(|url| !url.contains("/test/v1")),
        "{requests:?}"
    );
}

#[tokio::test]
async fn a_wrong_solution_is_caught_by_the_gateway_not_hidden() {
    // With the fixed-code oracle giving the wrong code, the run fails where the code is used.
    let profile = profile_without_test_support();
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scenarios/happy/phone_user.yaml");
    let scenarios = gatecheck::suite::load(&[path], &profile).expect("scenario");
    let mut options = RunOptions::new(profile);
    options.embedded.test_support = false;
    options.embedded.fixed_code = Some("246810".into());
    options.embedded.captcha_pool = 4;
    options.captcha_oracle = Some(CaptchaOracle::Solve);
    options.code_oracle = Some(CodeOracle::Fixed("111111".into()));
    let (record, _) = runner::run(scenarios, &options, std::future::pending())
        .await
        .expect("run");
    let scenario = &record.scenarios[0];
    assert_eq!(scenario.verdict, Verdict::Failed);
    assert_eq!(
        scenario.steps.last().map(|s| s.name.as_str()),
        Some("4 check_code")
    );
}
