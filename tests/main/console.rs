//! What `run` shows as it goes and how it ends: the streamed console (golden, in both colour
//! modes, in completion order), an interrupted run's console and junit.xml, a closed stdout,
//! the arguments checked before a run starts, and `reports/latest`.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Output, Stdio};

use gatecheck::output::color::Palette;
use gatecheck::report::{console, junit};
use gatecheck::runner::record::{RunRecord, ScenarioRecord};
use gatecheck::runner::{self, RunEvent, RunOptions, RunStart};

use crate::golden::{check, fixture, golden_dir};
use crate::support::{assert_exit, current_thread_runtime, gatecheck, repo_path, temp_dir};

/// What `run` prints for these records arriving in this order: the header, each line as it
/// arrives, then the footer (`cmd::run` prints exactly these pieces).
fn streamed(record: &RunRecord, order: &[&ScenarioRecord], palette: Palette) -> String {
    let start = RunStart {
        run_id: record.run_id.clone(),
        target: record.target.clone(),
        profile: record.profile.clone(),
        secrets_revealed: record.secrets_revealed,
        selected: record.scenarios.iter().map(|s| s.name.clone()).collect(),
    };
    let width = console::name_width(start.selected.iter().map(String::as_str));
    let mut out = console::header(&start);
    for scenario in order {
        out.push_str(&console::line(scenario, width, palette));
    }
    out + &console::footer(record, palette)
}

#[test]
fn the_console_streams_in_completion_order_in_both_colour_modes() {
    let record = fixture();
    // The last in the record's order finished first, the first last.
    let order: Vec<&ScenarioRecord> = record.scenarios.iter().rev().collect();
    let plain = streamed(&record, &order, Palette::PLAIN);
    check(&golden_dir().join("report/console-streamed.txt"), &plain);
    let coloured = streamed(&record, &order, Palette::COLOURED);
    check(&golden_dir().join("report/console-colour.txt"), &coloured);
    assert!(!plain.contains('\u{1b}'));
    assert!(coloured.contains("\u{1b}[32mPASS\u{1b}[0m"));
    assert!(coloured.contains("\u{1b}[31mFAIL\u{1b}[0m"));
    assert!(coloured.contains("\u{1b}[33mSKIP\u{1b}[0m"));
    // Without its colour codes the coloured console is the plain one.
    let codes = regex::Regex::new("\u{1b}\\[[0-9;]*m").expect("regex");
    assert_eq!(codes.replace_all(&coloured, ""), plain);
    // In the record's order it is what `render` gives at once.
    let in_order: Vec<&ScenarioRecord> = record.scenarios.iter().collect();
    assert_eq!(
        streamed(&record, &in_order, Palette::PLAIN),
        console::render(&record)
    );
}

fn interrupted() -> RunRecord {
    let mut record = fixture();
    record.interrupted = true;
    record.not_run = 3;
    record
}

#[test]
fn an_interrupted_run_says_so_on_the_console_and_is_not_green_in_junit() {
    let record = interrupted();
    let text = console::render(&record);
    check(&golden_dir().join("report/console-interrupted.txt"), &text);
    // The header counts what was selected, not what finished.
    assert!(
        text.starts_with("gatecheck run 20261127T100000Z-abcd: 7 scenarios"),
        "{text}"
    );
    assert!(text.contains("INTERRUPTED: 3 of 7 selected scenarios did not finish"));
    let coloured = console::render_with(&record, Palette::COLOURED);
    assert!(
        coloured.contains("\u{1b}[1m\u{1b}[31mINTERRUPTED")
            || coloured.contains("\u{1b}[31m\u{1b}[1mINTERRUPTED"),
        "{coloured}"
    );
    let xml = junit::render(&record);
    check(&golden_dir().join("report/junit-interrupted.xml"), &xml);
    assert!(
        xml.contains(r#"<testcase classname="gatecheck" name="run interrupted""#),
        "{xml}"
    );
    assert!(xml.contains(r#"<error message="INTERRUPTED: 3 selected scenarios did not finish"#));
    // One error of its own beside the scenario that could not run: red in CI.
    assert!(
        xml.contains(r#"tests="5" failures="1" errors="2""#),
        "{xml}"
    );
}

#[test]
fn the_runner_hands_over_records_as_they_finish() {
    let options = RunOptions::new(gatecheck::profile::Profile::reference());
    // It moves the clock, so it runs alone after the other, though it sorts first.
    let paths = [
        "scenarios/code/new_code_keeps_counter.yaml",
        "scenarios/happy/phone_user.yaml",
    ];
    let profile = &options.session.profile;
    let scenarios: Vec<_> = paths
        .iter()
        .flat_map(|p| crate::support::scenarios(&repo_path(p), profile))
        .collect();
    let mut events = Vec::new();
    let (record, completed) = current_thread_runtime()
        .block_on(runner::run_observed(
            scenarios,
            &options,
            std::future::pending(),
            |event| {
                events.push(match event {
                    RunEvent::Started(start) => format!("started {}", start.selected.len()),
                    RunEvent::Finished(scenario) => scenario.file.clone(),
                })
            },
        ))
        .expect("run");
    assert!(completed);
    assert_eq!(events.len(), 3, "{events:?}");
    assert_eq!(events[0], "started 2");
    assert!(events[1].ends_with(paths[1]), "{events:?}");
    assert!(events[2].ends_with(paths[0]), "{events:?}");
    let sorted: Vec<&str> = record.scenarios.iter().map(|s| s.file.as_str()).collect();
    assert!(
        sorted[0].ends_with(paths[0]) && sorted[1].ends_with(paths[1]),
        "the record stays sorted: {sorted:?}"
    );
}

fn run(args: &[&str]) -> (Output, PathBuf) {
    let reports = temp_dir("console-run");
    let output = gatecheck()
        .current_dir(repo_path(""))
        .arg("run")
        .args(args)
        .arg("--reports")
        .arg(&reports)
        .env_remove("NO_COLOR")
        .output()
        .expect("run runs");
    (output, reports)
}

/// Runs gatecheck with `args`, closes its stdout after the first line (as `head -1` does)
/// and checks it still ends with `code`, quietly, its reports written.
fn closed_after_first_line(args: &[&str], first_words: &str, code: i32) {
    let reports = temp_dir("console-pipe");
    let mut child = gatecheck()
        .current_dir(repo_path(""))
        .args(args)
        .arg("--reports")
        .arg(&reports)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut first = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut first)
        .expect("first line");
    // The reader is dropped here: the pipe is closed.
    assert!(first.starts_with(first_words), "{first}");
    let output = child.wait_with_output().expect("exits");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(code), "{stderr}");
    assert!(
        !stderr.contains("panicked") && !stderr.contains("Broken pipe"),
        "{stderr}"
    );
    assert!(
        reports.join("latest").is_dir(),
        "the reports are still written"
    );
}

#[test]
fn a_closed_stdout_ends_run_and_load_quietly_with_their_verdict() {
    closed_after_first_line(&["run", "scenarios/happy"], "gatecheck run ", 0);
    let failing = [
        "run",
        "scenarios/tokens/t3_replayed.yaml",
        "--fault",
        "reuse-t3",
    ];
    closed_after_first_line(&failing, "gatecheck run ", 1);
    let load = [
        "load",
        "scenarios/happy/phone_user.yaml",
        "--duration",
        "1s",
        "--quiet",
    ];
    closed_after_first_line(&load, "gatecheck load ", 0);
}

#[test]
fn colour_follows_the_flag_and_never_reaches_a_pipe_by_itself() {
    let (piped, _) = run(&["scenarios/happy"]);
    assert_exit(&piped, 0);
    assert!(!String::from_utf8_lossy(&piped.stdout).contains('\u{1b}'));
    let (always, _) = run(&["scenarios/happy", "--color", "always"]);
    assert!(String::from_utf8_lossy(&always.stdout).contains("\u{1b}[32mPASS"));
    let never = gatecheck()
        .current_dir(repo_path(""))
        .args(["run", "scenarios/happy", "--color", "sometimes"])
        .output()
        .expect("runs");
    assert_exit(&never, 2);
}

#[test]
fn arguments_are_checked_before_the_run_starts() {
    let (typo, reports) = run(&["scenarios/happy", "--tags", "tokn"]);
    assert_exit(&typo, 2);
    let stderr = String::from_utf8_lossy(&typo.stderr);
    assert!(
        stderr.starts_with("gatecheck: --tags: no scenario has the tag `tokn`"),
        "{stderr}"
    );
    assert!(stderr.contains("tags there are:"), "{stderr}");
    assert_eq!(
        std::fs::read_dir(&reports).map_or(0, |d| d.count()),
        0,
        "nothing ran"
    );
    let (jobs, _) = run(&["scenarios/happy", "--jobs", "0"]);
    assert_exit(&jobs, 2);
    let unwritable = gatecheck()
        .current_dir(repo_path(""))
        .args(["run", "scenarios/happy", "--reports", "/proc/nope"])
        .output()
        .expect("runs");
    assert_exit(&unwritable, 2);
    let stderr = String::from_utf8_lossy(&unwritable.stderr);
    assert!(
        stderr.starts_with("gatecheck: cannot write reports under /proc/nope"),
        "{stderr}"
    );
    assert!(
        unwritable.stdout.is_empty(),
        "it did not start: {:?}",
        unwritable.stdout
    );
    let (fault, _) = run(&["scenarios/happy", "--fault", "reuse-t4"]);
    assert_exit(&fault, 2);
    assert!(String::from_utf8_lossy(&fault.stderr).contains("did you mean `reuse-t3`?"));
}

#[test]
fn latest_points_at_the_newest_run_and_the_id_is_its_start() {
    let reports = temp_dir("console-latest");
    let compact = |t: &str| -> String { t.chars().filter(char::is_ascii_alphanumeric).collect() };
    let mut ids = Vec::new();
    for _ in 0..2 {
        // A run of more than a second: an id stamped at its end would be past its start.
        let output = gatecheck()
            .current_dir(repo_path(""))
            .args(["run", "scenarios/happy/phone_user.yaml"])
            .args(["--fault", "latency=send_captcha:1100ms", "--reports"])
            .arg(&reports)
            .output()
            .expect("runs");
        assert_exit(&output, 0);
        let latest = std::fs::read_link(reports.join("latest")).expect("latest is a link");
        let id = latest.to_string_lossy().into_owned();
        let text = std::fs::read_to_string(reports.join("latest/results.json")).expect("json");
        let results: serde_json::Value = serde_json::from_str(&text).expect("results.json");
        assert_eq!(results["run_id"], id.as_str());
        assert!(results["duration_ms"].as_u64().expect("duration") >= 1100);
        let started = compact(results["started_at"].as_str().expect("started_at"));
        let stamp = id.split('-').next().expect("stamp");
        assert!(
            stamp <= started.as_str(),
            "{id} is stamped after the start {started}"
        );
        ids.push(id);
    }
    assert_ne!(ids[0], ids[1]);
}
