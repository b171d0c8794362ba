//! `gatecheck fuzz` against the reference gateway: the model agrees with the clean gateway on
//! random sequences; every fault switch the model can see is found within a bounded number of
//! cases, and the shrunk repro scenario fails on that faulty gateway and passes on the clean
//! one; the same seed gives the same repro. Loopback only.

use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use gatecheck::fuzz::{self, report::Progress, FuzzOptions, FuzzOutcome};
use gatecheck::gateway::fault::{Fault, CATALOGUE};
use gatecheck::gateway::{FaultSet, GatewayConfig};
use gatecheck::profile::Profile;
use gatecheck::runner::record::Verdict;
use gatecheck::runner::{RunOptions, Session, Users};

use crate::support::{assert_exit, gatecheck, run, scenarios, temp_dir, unique, write_file};

/// Switches the model cannot see, and why.
const UNSEEN: &[(&str, &str)] = &[
    ("ignore-accept-language", "cases never vary Accept-Language"),
    ("latency=STEP:DURATION", "cases expect no latency"),
    (
        "stall=AFTER:DURATION",
        "a one-off stall in time, not in state",
    ),
];

fn run_options(faults: Vec<Fault>) -> RunOptions {
    let mut options = RunOptions::new(Profile::reference());
    options.session.embedded = GatewayConfig {
        faults: FaultSet::new(faults),
        captcha_pool: 2,
        ..GatewayConfig::default()
    };
    options
}

fn fuzz_against(faults: Vec<Fault>, cases: u32, seed: u64) -> FuzzOutcome {
    fuzz_with(faults, cases, seed, false)
}

fn fuzz_with(faults: Vec<Fault>, cases: u32, seed: u64, keep_going: bool) -> FuzzOutcome {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let run = run_options(faults);
    let options = FuzzOptions {
        cases,
        seed,
        time_limit: None,
        max_ops: 12,
        max_shrink_iters: 1000,
        keep_going,
    };
    let session = runtime
        .block_on(Session::start(&run.session, Users::Fresh))
        .expect("session");
    fuzz::fuzz(
        &runtime,
        &session,
        &options,
        Arc::new(AtomicBool::new(false)),
        &Progress::start(false, cases),
    )
}

/// The verdict of a repro scenario on the embedded gateway with `faults`.
fn run_repro(yaml: &str, faults: Vec<Fault>) -> Verdict {
    let dir = temp_dir("fuzz");
    let path = write_file(&dir, &format!("repro-{}.yaml", unique()), yaml);
    let options = run_options(faults);
    let scenarios = scenarios(&path, &options.session.profile);
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let (record, _) = runtime.block_on(run(scenarios, &options));
    let _ = std::fs::remove_dir_all(&dir);
    record.scenarios[0].verdict
}

#[test]
fn the_model_agrees_with_the_clean_gateway_on_random_sequences() {
    let outcome = fuzz_against(Vec::new(), 400, 11);
    assert!(outcome.findings.is_empty(), "{}", outcome.findings[0].repro);
    assert_eq!(outcome.cases_run, 400);
    // The cases got far into the flow and into its failure paths.
    for kind in [
        "reset_password success",
        "check_code code_mismatch",
        "check_captcha captcha_mismatch",
        "send_code send_too_frequent",
        "reset_password reset_token_invalid",
        "malformed request invalid_request",
        "login login_failed",
    ] {
        assert!(
            outcome.coverage.keys().any(|k| k.to_string() == kind),
            "never exercised: {kind} ({:?})",
            outcome.coverage.keys()
        );
    }
}

/// The long run: `cargo test --release --test main fuzz:: -- --ignored` (about 13 s in release).
#[test]
#[ignore]
fn ten_thousand_cases_against_the_clean_gateway_find_nothing() {
    let outcome = fuzz_against(Vec::new(), 10_000, 12);
    assert!(outcome.findings.is_empty(), "{}", outcome.findings[0].repro);
    assert_eq!(outcome.cases_run, 10_000);
}

#[test]
fn every_fault_switch_the_model_sees_is_found_and_its_repro_shows_it() {
    let mut checked = Vec::new();
    for (name, _) in CATALOGUE {
        if UNSEEN.iter().any(|(unseen, _)| unseen == name) {
            continue;
        }
        // Every request answered 500: a fraction the repro meets every time.
        let switch = match *name {
            "fail-fraction=P" => "fail-fraction=1",
            other => other,
        };
        let fault: Fault = switch.parse().unwrap_or_else(|e| panic!("{switch}: {e}"));
        let outcome = fuzz_against(vec![fault.clone()], 2000, 7);
        let finding = outcome
            .findings
            .first()
            .unwrap_or_else(|| panic!("{switch}: no finding in {} cases", outcome.cases_run));
        assert!(
            outcome.cases_run <= 2000,
            "{switch}: found after {} cases",
            outcome.cases_run
        );
        assert_ne!(
            run_repro(&finding.repro, vec![fault]),
            Verdict::Passed,
            "{switch}: the repro passes on the faulty gateway\n{}",
            finding.repro
        );
        assert_eq!(
            run_repro(&finding.repro, Vec::new()),
            Verdict::Passed,
            "{switch}: the repro fails on the clean gateway\n{}",
            finding.repro
        );
        checked.push(switch);
    }
    assert_eq!(checked.len(), CATALOGUE.len() - UNSEEN.len());
}

#[test]
fn the_same_seed_gives_the_same_repro() {
    let fault = || vec!["reuse-t2".parse::<Fault>().expect("fault")];
    let first = fuzz_against(fault(), 2000, 21);
    let second = fuzz_against(fault(), 2000, 21);
    let repro = |outcome: &FuzzOutcome| outcome.findings.first().map(|f| f.repro.clone());
    assert!(repro(&first).is_some());
    assert_eq!(repro(&first), repro(&second));
    assert_eq!(first.cases_run, second.cases_run);
}

#[test]
fn the_command_exits_by_its_findings_and_its_repro_runs_with_gatecheck_run() {
    let reports = temp_dir("fuzz-cli");
    let fuzz = |extra: &[&str]| {
        gatecheck()
            .args([
                "fuzz",
                "--cases",
                "300",
                "--seed",
                "3",
                "--quiet",
                "--reports",
            ])
            .arg(&reports)
            .args(extra)
            .output()
            .expect("fuzz runs")
    };
    let clean = fuzz(&[]);
    assert_exit(&clean, 0);

    let faulty = fuzz(&["--fault", "reuse-t1"]);
    assert_exit(&faulty, 1);
    let stdout = String::from_utf8_lossy(&faulty.stdout);
    assert!(stdout.contains("FINDING"), "{stdout}");
    let repro = std::fs::read_dir(&reports)
        .expect("reports")
        .filter_map(|run| std::fs::read_dir(run.ok()?.path().join("repro")).ok())
        .flatten()
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .next()
        .expect("a repro scenario");
    let run_dir = repro.parent().and_then(|p| p.parent()).expect("run dir");
    let record: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(run_dir.join("fuzz.json")).expect("fuzz.json"),
    )
    .expect("json");
    assert_eq!(record["findings"].as_array().map(Vec::len), Some(1));
    assert_eq!(record["seed"], 3);
    let junit = std::fs::read_to_string(run_dir.join("junit.xml")).expect("junit");
    assert!(junit.contains("<failure type="), "{junit}");

    let replay = |extra: &[&str]| {
        gatecheck()
            .arg("run")
            .arg(&repro)
            .arg("--reports")
            .arg(reports.join("replays"))
            .args(extra)
            .output()
            .expect("run")
            .status
            .code()
    };
    assert_eq!(
        replay(&[]),
        Some(0),
        "the repro passes on the clean gateway"
    );
    assert_eq!(
        replay(&["--fault", "reuse-t1"]),
        Some(1),
        "and fails on the faulty one"
    );
    let _ = std::fs::remove_dir_all(&reports);
}

#[test]
fn keep_going_finds_each_bug_once() {
    let faults = || {
        ["captcha-any-x", "leak-code"]
            .map(|f| f.parse::<Fault>().expect("fault"))
            .to_vec()
    };
    let one = fuzz_with(faults(), 1000, 7, false);
    assert_eq!(one.findings.len(), 1);
    let all = fuzz_with(faults(), 1000, 7, true);
    let mut kinds: Vec<&str> = all.findings.iter().map(|f| f.kind.name()).collect();
    kinds.sort_unstable();
    assert_eq!(
        kinds,
        ["malformed_answer", "security"],
        "{:?}",
        all.findings
    );
    // The first finding is the one a plain run makes; later cases failing like it are counted.
    assert_eq!(all.findings[0].repro, one.findings[0].repro);
    assert!(all.repeated > 0);
    assert_eq!(all.cases_run, 1000);
    for finding in &all.findings {
        assert_eq!(run_repro(&finding.repro, Vec::new()), Verdict::Passed);
        assert_ne!(run_repro(&finding.repro, faults()), Verdict::Passed);
    }
}
