//! What the test modules share: the reqwest harness against an embedded gateway (`harness`),
//! and helpers for files, the `gatecheck` binary, profiles and runs, the transport, and load
//! records. Every module that wrote one of these again now takes it from here.

mod harness;
pub mod profiles;
pub mod report_files;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};

use gatecheck::gateway::{self, Clock, GatewayConfig, SpawnedGateway};
use gatecheck::load::summary::LoadSummary;
use gatecheck::profile::Profile;
use gatecheck::runner::record::{RunRecord, Verdict};
use gatecheck::runner::target::Prepared;
use gatecheck::runner::{self, RunOptions};
use gatecheck::scenario::diagnostic::Location;
use gatecheck::scenario::load_spec::Threshold;
use gatecheck::scenario::threshold::parse_threshold;
use gatecheck::scenario::Scenario;

pub use harness::{config, percent_encode, start, start_clean, Answer, Harness, NEW_PASSWORD};

// Files.

/// A path in the crate (`scenarios/…`, `deploy/…`, `tests/golden/…`).
pub fn repo_path(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(relative)
}

/// A number no other caller in this process gets.
/// Every `.yaml` file under `dir`, sorted.
pub fn yaml_files(dir: &Path) -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).expect("dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "yaml") {
                out.push(path);
            }
        }
    }
    let mut files = Vec::new();
    walk(dir, &mut files);
    files.sort();
    files
}

pub fn unique() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// A new empty directory under the system's temporary directory, named after `name`, this
/// process and a number of its own: every test of the binary shares the process id.
pub fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "gatecheck-{name}-{}-{}",
        std::process::id(),
        unique()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// Writes `text` to `dir/name` (a scenario, a users file, a CA file) and returns the path.
pub fn write_file(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
    path
}

// The gatecheck binary.

pub fn gatecheck() -> Command {
    Command::new(env!("CARGO_BIN_EXE_gatecheck"))
}

/// `gatecheck merge <dir> --out <out>`, run to its end.
pub fn gatecheck_merge(dir: &Path, out: &Path) -> Output {
    gatecheck()
        .arg("merge")
        .arg(dir)
        .arg("--out")
        .arg(out)
        .output()
        .expect("merge runs")
}

/// Asserts that a command that ran to its end exited with `code`, showing its output if not.
#[track_caller]
pub fn assert_exit(output: &Output, code: i32) {
    assert_eq!(
        output.status.code(),
        Some(code),
        "stdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// A `gatecheck serve` process, killed however the test ends.
pub struct Served {
    pub child: Child,
    /// From the ready line: `http://127.0.0.1:PORT`.
    pub url: String,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `gatecheck serve --addr 127.0.0.1:0 <args>` and waits for its ready line.
pub fn serve(args: &[&str]) -> Served {
    let mut child = gatecheck()
        .args(["serve", "--addr", "127.0.0.1:0"])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("gatecheck serve starts");
    let stdout = child.stdout.take().expect("stdout");
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("ready line");
    let url = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("ready line: {line:?}"))
        .to_owned();
    Served { child, url }
}

/// Sends `signal` to a child process.
pub fn signal(child: &Child, signal: libc::c_int) {
    // SAFETY: sending a signal to our own child process.
    unsafe {
        libc::kill(child.id() as libc::pid_t, signal);
    }
}

// The embedded gateway, profiles, scenarios and runs.

/// A single-threaded tokio runtime, for a plain `#[test]` that has something to await.
pub fn current_thread_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

pub async fn spawn_gateway(config: GatewayConfig) -> SpawnedGateway {
    gateway::spawn(config, Clock::system())
        .await
        .expect("gateway starts")
}

/// The reference profile with the test-support endpoints off and these accounts (YAML flow
/// mappings such as `{user: "+8613600000000", password: "Init#Pass00"}`) for the scenarios.
pub fn profile_without_test_support(accounts: &[&str]) -> Profile {
    let reference = gatecheck::profile::REFERENCE_YAML;
    assert!(reference.contains("test_support: true") && reference.contains("accounts: []"));
    let accounts = match accounts {
        [] => "accounts: []".to_owned(),
        listed => listed
            .iter()
            .map(|a| format!("\n  - {a}"))
            .fold("accounts:".to_owned(), |all, a| all + &a),
    };
    let text = reference
        .replace("test_support: true", "test_support: false")
        .replace("accounts: []", &accounts);
    Profile::parse("no-test-support.yaml", &text).expect("profile")
}

/// The scenarios of a file or folder (under `scenarios/`, say), every error shown if any.
pub fn scenarios(path: &Path, profile: &Profile) -> Vec<Scenario> {
    gatecheck::suite::load(&[path.to_owned()], profile).unwrap_or_else(|errors| {
        panic!(
            "{} is invalid: {}",
            path.display(),
            errors
                .iter()
                .map(|e| e.to_string())
                .collect::<Vec<_>>()
                .join("\n")
        )
    })
}

/// Runs `scenarios` with `options`, never interrupted; true when every scenario ran.
pub async fn run(scenarios: Vec<Scenario>, options: &RunOptions) -> (RunRecord, bool) {
    runner::run(scenarios, options, std::future::pending())
        .await
        .expect("run")
}

/// The scenarios of `path`, loaded with the options' profile and run.
pub async fn run_path(path: &Path, options: &RunOptions) -> RunRecord {
    run(scenarios(path, &options.session.profile), options)
        .await
        .0
}

/// The files of the scenarios in `record` that did not pass.
pub fn failed_files(record: &RunRecord) -> Vec<&str> {
    record
        .scenarios
        .iter()
        .filter(|s| s.verdict != Verdict::Passed && !skipped_by_profile(s))
        .map(|s| s.file.as_str())
        .collect()
}

/// Skipped because the profile makes other choices than the scenario is about: the runner
/// skips a scenario for its `requires:` only.
pub fn skipped_by_profile(scenario: &gatecheck::runner::record::ScenarioRecord) -> bool {
    scenario.verdict == Verdict::Skipped
}

// The transport.

/// A GET of `path` with no headers.
pub fn get(path: &str) -> Prepared {
    Prepared {
        method: hyper::Method::GET,
        path: path.into(),
        headers: Vec::new(),
        body: None,
    }
}

// Load records.

/// A `summary.json` of `gatecheck load` or `gatecheck merge`.
pub fn read_summary(path: &Path) -> LoadSummary {
    let text =
        std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The histograms of an interval log (`flow.hlog` and the like), one per interval.
pub fn interval_histograms(log: &str) -> Vec<hdrhistogram::Histogram<u64>> {
    log.lines()
        .filter(|l| !l.starts_with('#') && !l.starts_with('"'))
        .map(|l| {
            gatecheck::load::metrics::decode(l.rsplit(',').next().expect("histogram"))
                .expect("decode")
        })
        .collect()
}

/// A load threshold from its text, as a scenario's `thresholds:` gives it.
pub fn threshold(text: &str) -> Threshold {
    let (metric, op, value) = parse_threshold(text).expect("threshold");
    Threshold {
        text: text.into(),
        at: Location::new(1, 1),
        metric,
        op,
        value,
    }
}
