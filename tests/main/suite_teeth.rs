//! Teeth: the built-in suite passes on the clean reference gateway, and under each fault switch
//! at least one scenario fails. Prints the fault -> catching scenarios table.

use gatecheck::gateway::fault::{Fault, CATALOGUE};
use gatecheck::profile::Profile;
use gatecheck::runner::record::{RunRecord, Verdict};
use gatecheck::runner::RunOptions;

use crate::support::{config, repo_path, run, scenarios};

async fn run_with(faults: Vec<Fault>) -> RunRecord {
    let mut options = RunOptions::new(Profile::reference());
    options.session.embedded = config(faults);
    // Every scenario starts at once, so a stall at the start is met by the latency ceilings.
    options.jobs = 64;
    let suite = scenarios(&repo_path("scenarios"), &options.session.profile);
    let (record, completed) = run(suite, &options).await;
    assert!(completed);
    record
}

/// One concrete switch per catalogue entry (arguments filled in).
pub fn every_fault() -> Vec<Fault> {
    CATALOGUE
        .iter()
        .map(|(syntax, _)| match *syntax {
            "latency=STEP:DURATION" => "latency=check_code:1500ms",
            "fail-fraction=P" => "fail-fraction=0.5",
            "stall=AFTER:DURATION" => "stall=0s:2s",
            plain => plain,
        })
        .map(|text| text.parse().expect("catalogue entry parses"))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_suite_passes_clean_and_catches_every_fault() {
    let clean = run_with(Vec::new()).await;
    let broken: Vec<String> = clean
        .scenarios
        .iter()
        .filter(|s| s.verdict != Verdict::Passed && !crate::support::skipped_by_profile(s))
        .map(|s| format!("{} ({:?}: {:?})", s.file, s.verdict, s.reason))
        .collect();
    assert!(
        broken.is_empty(),
        "the clean gateway fails: {broken:#?}\n{}",
        gatecheck::report::console::render(&clean)
    );
    assert!(
        clean.scenarios.len() >= 40,
        "the suite has {} scenarios",
        clean.scenarios.len()
    );

    let mut table = String::from("\nfault -> scenarios that catch it\n");
    let mut uncaught = Vec::new();
    for fault in every_fault() {
        let record = run_with(vec![fault.clone()]).await;
        let catching: Vec<&str> = record
            .scenarios
            .iter()
            .filter(|s| matches!(s.verdict, Verdict::Failed | Verdict::Error))
            .map(|s| s.file.rsplit("scenarios/").next().unwrap_or(&s.file))
            .collect();
        table.push_str(&format!(
            "{fault:?}: {} -> {}\n",
            catching.len(),
            catching.join(", ")
        ));
        if catching.is_empty() {
            uncaught.push(format!("{fault:?}"));
        }
    }
    println!("{table}");
    assert!(
        uncaught.is_empty(),
        "faults no scenario catches: {uncaught:?}{table}"
    );
}

/// `strict_errors` has teeth both ways: a gateway that adds a field to its error bodies and
/// drops `X-Request-Id` passes a profile that allows it and fails one that does not.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_error_shape_is_judged_as_the_profile_says() {
    let lenient_gateway = gatecheck::gateway::GatewayConfig {
        strict_errors: false,
        ..config(Vec::new())
    };
    let judged = async |strict: bool| {
        let mut profile = Profile::reference();
        profile.strict_errors = strict;
        let mut options = RunOptions::new(profile);
        options.session.embedded = lenient_gateway.clone();
        let suite = scenarios(&repo_path("scenarios/errors"), &options.session.profile);
        run(suite, &options).await.0
    };
    let allowed = judged(false).await;
    assert_eq!(
        allowed.count(Verdict::Failed),
        0,
        "{}",
        gatecheck::report::console::render(&allowed)
    );
    assert!(allowed
        .scenarios
        .iter()
        .any(|s| s.file.ends_with("shape_lenient.yaml") && s.verdict == Verdict::Passed));
    let strict = judged(true).await;
    let failed = crate::support::failed_files(&strict);
    assert!(
        failed
            .iter()
            .any(|f| f.ends_with("shape_and_request_id.yaml")),
        "{failed:?}"
    );
}
