//! Where a load run's users come from, against `gatecheck serve --profile P` in another
//! process: a vendor's generated-user numbering (and the reference numbering failing on it),
//! users created through test support before the measured window (and not counted in it),
//! accounts files in CSV and YAML taken in turn with the password each flow left, and the
//! refusals: a malformed accounts file with its place, no source at all before the run.
//! Each run is bounded by iterations (a second or two on loopback).

use std::path::{Path, PathBuf};
use std::process::Output;

use gatecheck::load::summary::LoadSummary;
use gatecheck::profile::REFERENCE_YAML;

use crate::support::{
    assert_exit, gatecheck, read_summary, repo_path, serve, temp_dir, write_file,
};

const REFERENCE_USERS: &str = r#"generated: {prefix: "+86139", digits: 8, first: 0, count: 50000000, password: "Load#Pass2026", kind: phone, account: "load{n}"}"#;
const VENDOR_USERS: &str = r#"generated: {prefix: "qa.", suffix: "@vendor.test", digits: 6, first: 1000, count: 100000, password: "Vendor#Pw2026", kind: email, account: "qa{n}x"}"#;

/// The reference profile with its `users.generated` line replaced (or left out for "") and
/// these other replacements, written to `dir/name`.
fn profile(dir: &Path, name: &str, users: &str, replacements: &[(&str, &str)]) -> PathBuf {
    assert!(REFERENCE_YAML.contains(REFERENCE_USERS));
    let mut text = match users {
        "" => REFERENCE_YAML.replace(&format!("users:\n  {REFERENCE_USERS}\n"), ""),
        users => REFERENCE_YAML.replace(REFERENCE_USERS, users),
    };
    for (from, to) in replacements {
        assert!(text.contains(from), "{from}");
        text = text.replace(from, to);
    }
    write_file(dir, name, &text)
}

/// The whole reset flow for one user of `kind`, with a login first that needs the user's
/// current password (a reused user's is the one its last flow set).
fn flow(dir: &Path, kind: &str) -> PathBuf {
    let text = format!("name: tracked {kind}\nusers: {{user: {kind}}}\nsteps:\n  - login:\n  - send_captcha:\n  - check_captcha:\n  - send_code:\n  - check_code:\n  - reset_password:\n  - login:\n");
    write_file(dir, &format!("{kind}.yaml"), &text)
}

/// `gatecheck load SCENARIO --target URL ARGS`, its output and its summary if it wrote one.
fn load(dir: &Path, scenario: &Path, url: &str, args: &[&str]) -> (Output, Option<LoadSummary>) {
    let reports = dir.join(format!("reports-{}", crate::support::unique()));
    let output = gatecheck()
        .arg("load")
        .arg(scenario)
        .args(["--target", url, "--quiet", "--warmup", "0s", "--reports"])
        .arg(&reports)
        .args(args)
        .output()
        .expect("load runs");
    let summary = std::fs::read_dir(&reports)
        .ok()
        .and_then(|mut runs| runs.next())
        .map(|run| run.expect("run dir").path().join("summary.json"))
        .filter(|file| file.exists())
        .map(|file| read_summary(&file));
    (output, summary)
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn a_vendor_numbering_is_served_and_taken_and_the_reference_one_fails_on_it() {
    let dir = temp_dir("load-users-vendor");
    // A resend interval of 60 s: no user may serve two flows, each must be a new one.
    let vendor = profile(&dir, "vendor.yaml", VENDOR_USERS, &[]);
    let server = serve(&["--profile", vendor.to_str().expect("path")]);
    let email = flow(&dir, "email");
    let args = [
        "--profile",
        vendor.to_str().expect("path"),
        "--generated-users",
    ];
    let (output, summary) = load(
        &dir,
        &email,
        &server.url,
        &[&args[..], &["--vus", "3", "--iterations", "150"]].concat(),
    );
    assert_exit(&output, 0);
    let summary = summary.expect("summary");
    assert_eq!(
        (summary.flows.ok, summary.flows.failed),
        (150, 0),
        "{}",
        stderr(&output)
    );
    assert!(
        stderr(&output).contains("qa.001000@vendor.test"),
        "{}",
        stderr(&output)
    );

    // Today's numbering (`+86139`...) is not this gateway's: every flow fails.
    let phone = repo_path("scenarios/load/reset_flow.yaml");
    let (output, summary) = load(
        &dir,
        &phone,
        &server.url,
        &["--generated-users", "--vus", "2", "--iterations", "20"],
    );
    let summary = summary.expect("summary");
    assert_eq!(
        (summary.flows.ok, summary.flows.failed),
        (0, 20),
        "{}",
        stderr(&output)
    );
}

#[test]
fn users_created_before_the_window_are_not_measured_and_never_reused_too_soon() {
    let dir = temp_dir("load-users-created");
    // Test support and no generated users: the run must create its own.
    let created = profile(&dir, "created.yaml", "", &[]);
    let server = serve(&["--profile", created.to_str().expect("path")]);
    let scenario = repo_path("scenarios/load/reset_flow.yaml");
    let path = created.to_str().expect("path");
    let (output, summary) = load(
        &dir,
        &scenario,
        &server.url,
        &["--profile", path, "--vus", "3", "--iterations", "90"],
    );
    // Not the exit code: the scenario's latency thresholds (p99 < 200 ms) fail on a busy
    // machine; the flows' counts below are what this test is about.
    let summary = summary.expect("summary");
    let log = stderr(&output);
    // 90 iterations and one more per virtual user.
    assert!(
        log.contains("created 93 test users through /test/v1/users in"),
        "{log}"
    );
    assert_eq!(
        (
            summary.flows.started,
            summary.flows.ok,
            summary.flows.failed
        ),
        (90, 90, 0),
        "{log}"
    );
    // Six requests a flow: the 93 creations are not among the measured requests.
    assert_eq!(summary.requests, 90 * 6, "{log}");

    // Too few users for a 60 s resend interval: the ten are not reused within it (that would
    // fail as send_too_frequent); the flows that find none fail as a setup failure.
    let (output, summary) = load(
        &dir,
        &scenario,
        &server.url,
        &[
            "--profile",
            path,
            "--vus",
            "2",
            "--iterations",
            "30",
            "--create-users",
            "10",
        ],
    );
    let summary = summary.expect("summary");
    assert_eq!(
        (summary.flows.ok, summary.flows.failed),
        (10, 20),
        "{}",
        stderr(&output)
    );
    let send_code = summary.steps.iter().find(|s| s.call == "send_code");
    assert_eq!(
        send_code.expect("a send_code step").series.count,
        10,
        "no flow reached send_code with a reused user"
    );
}

/// A scenario whose steps read no user (a bare request with a literal body) takes none: no
/// user is created before the run, and every flow runs, where one user per flow was created.
#[test]
fn a_scenario_that_reads_no_user_creates_none() {
    let dir = temp_dir("load-users-none");
    let created = profile(&dir, "created.yaml", "", &[]);
    let server = serve(&["--profile", created.to_str().expect("path")]);
    let path = created.to_str().expect("path");
    let bench = repo_path("bench/one_request.yaml");
    let (output, summary) = load(
        &dir,
        &bench,
        &server.url,
        &["--profile", path, "--vus", "4", "--iterations", "200"],
    );
    let log = stderr(&output);
    assert!(
        log.contains("users: none: the scenario reads no test user"),
        "{log}"
    );
    let summary = summary.expect("summary");
    assert_eq!((summary.flows.ok, summary.requests), (200, 200), "{log}");
    // The same request reading `{{user}}` takes a user per flow again.
    let text = std::fs::read_to_string(&bench).expect("bench scenario");
    let reads = text.replace("+8613600000000", "{{user}}");
    assert_ne!(reads, text);
    let reads = write_file(&dir, "reads-user.yaml", &reads);
    let (output, _) = load(
        &dir,
        &reads,
        &server.url,
        &["--profile", path, "--vus", "4", "--iterations", "200"],
    );
    let log = stderr(&output);
    assert!(log.contains("created 204 test users"), "{log}");
}

#[test]
fn accounts_files_in_csv_and_yaml_are_taken_in_turn_with_their_passwords_tracked() {
    let dir = temp_dir("load-users-accounts");
    // No resend interval, so four accounts serve 40 flows, each after the one before.
    let quick = profile(
        &dir,
        "quick.yaml",
        "",
        &[("resend_interval: 60s", "resend_interval: 0s")],
    );
    let users: Vec<String> = (0..4)
        .map(|i| format!("{{\"user\": \"+86133000000{i:02}\", \"password\": \"Vendor#Start{i}\", \"account\": \"vendor_{i}\"}}"))
        .collect();
    let users_file = write_file(&dir, "users.json", &format!("[{}]", users.join(",")));
    let quick = quick.to_str().expect("path");
    let csv: String = (0..4)
        .map(|i| format!("+86133000000{i:02},Vendor#Start{i},phone,vendor_{i}\n"))
        .collect();
    let csv = write_file(
        &dir,
        "accounts.csv",
        &format!("user,password,kind,account\n{csv}"),
    );
    let yaml: String = (0..4).map(|i| format!("- {{user: \"+86133000000{i:02}\", password: \"Vendor#Start{i}\", account: vendor_{i}}}\n")).collect();
    let yaml = write_file(&dir, "accounts.yaml", &yaml);
    let phone = flow(&dir, "phone");
    for file in [&csv, &yaml] {
        // A gateway of its own for each file: a run leaves the accounts with new passwords.
        let server = serve(&[
            "--profile",
            quick,
            "--users",
            users_file.to_str().expect("path"),
        ]);
        let file = file.to_str().expect("path");
        let (output, summary) = load(
            &dir,
            &phone,
            &server.url,
            &[
                "--profile",
                quick,
                "--accounts",
                file,
                "--vus",
                "2",
                "--iterations",
                "40",
            ],
        );
        assert_exit(&output, 0);
        let summary = summary.expect("summary");
        assert_eq!(
            (summary.flows.ok, summary.flows.failed),
            (40, 0),
            "{file}: {}",
            stderr(&output)
        );
        assert!(
            stderr(&output).contains("4 accounts of the accounts file"),
            "{}",
            stderr(&output)
        );
    }
    // Accounts the gateway does not know fail every flow.
    let server = serve(&[
        "--profile",
        quick,
        "--users",
        users_file.to_str().expect("path"),
    ]);
    let unknown = write_file(
        &dir,
        "unknown.csv",
        "user,password\n+8613399999999,Vendor#Start0\n",
    );
    let unknown = unknown.to_str().expect("path");
    let (_, summary) = load(
        &dir,
        &phone,
        &server.url,
        &[
            "--profile",
            quick,
            "--accounts",
            unknown,
            "--vus",
            "1",
            "--iterations",
            "5",
        ],
    );
    assert_eq!(summary.expect("summary").flows.failed, 5);
}

#[test]
fn no_source_and_malformed_accounts_are_refused_before_the_run() {
    let dir = temp_dir("load-users-refused");
    let scenario = repo_path("scenarios/load/reset_flow.yaml");
    let bad = write_file(
        &dir,
        "bad.csv",
        "user,password\n+8613600000000,Init#Pass00\nacct_user4,Init#Pass05,account\n",
    );
    // No target needed: the file is read before the session starts.
    let (output, summary) = load(
        &dir,
        &scenario,
        "http://127.0.0.1:9",
        &["--accounts", bad.to_str().expect("path")],
    );
    assert_exit(&output, 2);
    assert!(summary.is_none());
    let log = stderr(&output);
    assert!(
        log.contains("bad.csv:3:24") && log.contains("3 fields, expected 2 as the header says"),
        "{log}"
    );

    let bare = profile(
        &dir,
        "bare.yaml",
        "",
        &[("test_support: true", "test_support: false")],
    );
    let server = serve(&["--profile", bare.to_str().expect("path")]);
    let (output, summary) = load(
        &dir,
        &scenario,
        &server.url,
        &[
            "--profile",
            bare.to_str().expect("path"),
            "--vus",
            "1",
            "--iterations",
            "5",
        ],
    );
    assert_exit(&output, 2);
    assert!(summary.is_none(), "no flow ran");
    assert!(
        stderr(&output).contains("no test users for this target"),
        "{}",
        stderr(&output)
    );
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 64, ..Default::default() })]

    /// Any numbering a profile may state is read back as written, and the reference gateway set
    /// to that profile serves exactly its users: the first and the last, not one before or after.
    #[test]
    fn the_gateway_serves_any_numbering_the_profile_states(choices in crate::support::profiles::choices()) {
        use gatecheck::gateway::users::Directory;
        let text = crate::support::profiles::profile_yaml(&choices);
        let profile = gatecheck::profile::Profile::parse("generated.yaml", &text)
            .unwrap_or_else(|e| panic!("{text}\n{e}"));
        let drawn = &choices.users;
        let stated = profile.generated.clone().expect("users.generated");
        proptest::prop_assert_eq!((&stated.prefix, &stated.suffix, stated.digits, stated.first, stated.count), (&drawn.prefix, &drawn.suffix, drawn.digits, drawn.first, drawn.count));
        let config = gatecheck::runner::embedded::config_for(&profile, gatecheck::gateway::GatewayConfig::default());
        let pattern = config.generated.clone();
        let directory = Directory::new([], pattern.clone(), 10);
        let last = drawn.first + drawn.count - 1;
        proptest::prop_assert!(directory.verify(&pattern.identity(drawn.first), "Gen#Pass2026").is_some());
        proptest::prop_assert!(directory.exists(&pattern.identity(last)));
        if drawn.account {
            let account = pattern.account(last).expect("an account template");
            proptest::prop_assert!(directory.exists(&account), "{}", account);
        }
        if last + 1 < 10u64.pow(drawn.digits) {
            proptest::prop_assert!(!directory.exists(&pattern.identity(last + 1)));
        }
        if drawn.first > 0 {
            proptest::prop_assert!(!directory.exists(&pattern.identity(drawn.first - 1)));
        }
    }
}
