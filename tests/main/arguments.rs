//! Arguments checked at the edge: every numeric and duration flag of `load`, `run`, `fuzz`,
//! `discover` and `bench` refuses a value the run cannot use (exit 2, naming the flag and what
//! it allows) before anything starts; a scenario's `load:` section has the same bounds; and
//! `compare` refuses runs that are not alike unless `--allow-different`.

use std::path::{Path, PathBuf};
use std::process::Output;

use crate::support::{assert_exit, gatecheck, repo_path, temp_dir, write_file};

fn scenario() -> String {
    repo_path("scenarios/happy/phone_user.yaml")
        .display()
        .to_string()
}

fn run(args: &[&str]) -> Output {
    gatecheck().args(args).output().expect("gatecheck runs")
}

/// Each case: the command line, the flag the error must name, and words of what it allows.
fn refused() -> Vec<(Vec<String>, &'static str, &'static str)> {
    let s = scenario();
    let load = |extra: &[&str]| {
        let mut args = vec!["load".to_owned(), s.clone()];
        args.extend(extra.iter().map(|a| (*a).to_owned()));
        args
    };
    let command = |extra: &[&str]| extra.iter().map(|a| (*a).to_owned()).collect::<Vec<_>>();
    vec![
        (load(&["--duration", "0s"]), "--duration", "more than 0"),
        (load(&["--duration=-5s"]), "--duration", "more than 0"),
        (
            load(&["--duration", "100000h"]),
            "--duration",
            "at most 30 days",
        ),
        (
            load(&["--warmup", "100000h"]),
            "--warmup",
            "at most 30 days",
        ),
        (load(&["--warmup=-1s"]), "--warmup", "0 or more"),
        (load(&["--vus", "0"]), "--vus", "from 1 to 100000"),
        (load(&["--vus=-2"]), "--vus", "from 1 to 100000"),
        (load(&["--rate", "0"]), "--rate", "above 0"),
        (load(&["--rate=-10"]), "--rate", "above 0"),
        (load(&["--rate", "NaN"]), "--rate", "above 0"),
        (load(&["--rate", "inf"]), "--rate", "above 0"),
        (load(&["--iterations", "0"]), "--iterations", "from 1 up"),
        (
            load(&["--max-in-flight", "0"]),
            "--max-in-flight",
            "from 1 to 1000000",
        ),
        (load(&["--late-after", "0s"]), "--late-after", "more than 0"),
        (
            load(&["--metrics-addr", "localhost:9464"]),
            "--metrics-addr",
            "an IP address and port",
        ),
        (
            load(&["--metrics-addr", "9464"]),
            "--metrics-addr",
            "an IP address and port",
        ),
        (
            load(&["--metrics-addr", "127.0.0.1:0", "--metrics-linger", "2h"]),
            "--metrics-linger",
            "at most 1h",
        ),
        (
            load(&["--think-time", "1year"]),
            "--think-time",
            "at most 30 days",
        ),
        (load(&["--timeout", "0s"]), "--timeout", "more than 0"),
        (
            command(&["run", "--timeout", "0s"]),
            "--timeout",
            "more than 0",
        ),
        (
            command(&["run", "--timeout", "2h"]),
            "--timeout",
            "at most 1h",
        ),
        (
            command(&["fuzz", "--timeout", "0s"]),
            "--timeout",
            "more than 0",
        ),
        (command(&["fuzz", "--cases", "0"]), "--cases", "from 1 up"),
        (
            command(&["fuzz", "--max-ops", "0"]),
            "--max-ops",
            "from 1 to 200",
        ),
        (
            command(&["fuzz", "--max-ops", "4294967295"]),
            "--max-ops",
            "from 1 to 200",
        ),
        // A semaphore of that many permits panicked.
        (
            command(&["run", "--jobs", "9999999999999999999"]),
            "--jobs",
            "from 1 to 1024",
        ),
        (
            command(&["fuzz", "--time-limit", "0s"]),
            "--time-limit",
            "more than 0",
        ),
        (
            command(&["discover", "--timeout", "0s"]),
            "--timeout",
            "more than 0",
        ),
        (
            command(&["discover", "--time-limit", "0s"]),
            "--time-limit",
            "more than 0",
        ),
        (
            command(&["discover", "--max-requests", "0"]),
            "--max-requests",
            "from 1 up",
        ),
        (
            command(&["bench", "--duration", "0s"]),
            "--duration",
            "more than 0",
        ),
        (
            command(&["bench", "--connections", "0"]),
            "--connections",
            "from 1 up",
        ),
        (
            command(&["compare", "a.json", "b.json", "--latency-relative", "nan"]),
            "--latency-relative",
            "0 or more",
        ),
    ]
}

#[test]
fn each_flag_refuses_what_the_run_cannot_use() {
    let mut problems = Vec::new();
    for (args, flag, allowed) in refused() {
        let output = gatecheck().args(&args).output().expect("gatecheck runs");
        let stderr = String::from_utf8_lossy(&output.stderr);
        // Every error starts `gatecheck:`, clap's included (it says `error:` by itself).
        let names_it = stderr.starts_with("gatecheck: ")
            && stderr.contains(&format!("'{flag} <"))
            && stderr.contains(allowed);
        if output.status.code() != Some(2) || !names_it {
            problems.push(format!(
                "`gatecheck {}`: exit {:?}, stderr: {stderr}",
                args.join(" "),
                output.status.code()
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_help_says_what_each_bounded_flag_allows() {
    let output = run(&["load", "--help"]);
    assert_exit(&output, 0);
    let help = String::from_utf8_lossy(&output.stdout);
    for words in [
        "Measured time (after the warm-up) (more than 0 and at most 30 days",
        "Unmeasured time at the start (0 or more",
        "virtual users looping the flow (a whole number from 1 to 100000)",
        "flows started per second (a number of flows per second above 0",
        "Timeout of one request (a timeout is a failure kind) (more than 0 and at most 1h",
    ] {
        assert!(help.contains(words), "`{words}` not in:\n{help}");
    }
}

#[test]
fn zero_warm_up_and_think_time_still_run() {
    let reports = temp_dir("arguments-zero");
    let output = run(&[
        "load",
        &scenario(),
        "--vus",
        "1",
        "--iterations",
        "2",
        "--warmup",
        "0s",
        "--think-time",
        "0s",
        "--quiet",
        "--reports",
        &reports.display().to_string(),
    ]);
    assert_exit(&output, 0);
}

#[test]
fn a_load_section_that_cannot_run_is_invalid() {
    let dir = temp_dir("arguments-section");
    for (section, message) in [
        ("{duration: 0s}", "`load.duration` must be more than 0"),
        ("{iterations: 0}", "`load.iterations` must be 1 or more"),
        (
            "{vus: 0, duration: 5s}",
            "`load.vus` must be from 1 to 100000",
        ),
        (
            "{vus: 200000, duration: 5s}",
            "`load.vus` must be from 1 to 100000",
        ),
        // Past `Instant`'s range: the engine panicked at its start.
        (
            "{duration: 5s, warmup: 300000000000y}",
            "`load.warmup` must be at most 30 days",
        ),
        (
            "{duration: 31days}",
            "`load.duration` must be more than 0 and at most 30 days",
        ),
        (
            "{model: open, rate: 5, max_in_flight: 0, duration: 5s}",
            "`load.max_in_flight` must be from 1 to 1000000",
        ),
        (
            "{model: open, rate: -1, stages: [{duration: 5s, target: 10}], duration: 5s}",
            "`load.rate` must be from 0 to 1000000 flows/s",
        ),
        (
            "{model: open, stages: [{duration: 5s, target: -5}], duration: 5s}",
            "a stage's `target` must be from 0 to 1000000 flows/s",
        ),
        (
            "{model: open, stages: [{duration: 2s, target: 10}], warmup: 2s}",
            "`load` needs `duration`, `iterations` or `stages` longer than `warmup`",
        ),
    ] {
        let text = format!(
            "name: nothing\nusers: {{alice: phone}}\nsteps:\n  - reach: t3\nload: {section}\n"
        );
        let path = write_file(&dir, "nothing.yaml", &text);
        let output = run(&["validate", &path.display().to_string()]);
        assert_exit(&output, 2);
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(all.contains(message), "{section}: {all}");
    }
}

/// Stages alone bound a run, as in k6: it lasts them, warm-up included.
#[test]
fn stages_alone_say_how_long_the_run_lasts() {
    let dir = temp_dir("arguments-stages");
    let text = std::fs::read_to_string(scenario()).expect("scenario");
    let section = "load:\n  model: open\n  stages: [{duration: 1s, target: 20}, {duration: 1s, target: 20}]\n  warmup: 500ms\n";
    let path = write_file(&dir, "staged.yaml", &format!("{text}\n{section}"));
    let reports = dir.join("reports");
    let output = run(&[
        "load",
        &path.display().to_string(),
        "--quiet",
        "--reports",
        &reports.display().to_string(),
    ]);
    assert_exit(&output, 0);
    let made = runs(&reports)
        .into_iter()
        .find(|d| d.join("summary.json").is_file())
        .expect("a run directory");
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(made.join("summary.json")).unwrap())
            .expect("summary.json");
    let measured = summary["measured_s"].as_f64().expect("measured_s");
    assert!((measured - 1.5).abs() < 0.2, "measured {measured} s");
}

/// A short load run of `scenario` with `model` flags; its summary.json.
fn summary_of(reports: &Path, model: &[&str]) -> PathBuf {
    let mut args = vec!["load", "--quiet", "--iterations", "3"];
    let dir = reports.display().to_string();
    let s = scenario();
    args.extend([s.as_str(), "--reports", dir.as_str()]);
    args.extend(model);
    let before: Vec<PathBuf> = runs(reports);
    let output = run(&args);
    assert!(matches!(output.status.code(), Some(0 | 1)), "{output:?}");
    let made = runs(reports)
        .into_iter()
        .find(|dir| !before.contains(dir))
        .expect("a new run directory");
    made.join("summary.json")
}

fn runs(reports: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(reports)
        .map(|entries| entries.flatten().map(|e| e.path()).collect())
        .unwrap_or_default()
}

#[test]
fn compare_refuses_a_closed_run_against_an_open_one() {
    let reports = temp_dir("arguments-compare");
    let closed = summary_of(&reports, &["--vus", "1"]);
    let open = summary_of(&reports, &["--rate", "50"]);
    let same = summary_of(&reports, &["--vus", "1"]);
    let path = |p: &PathBuf| p.display().to_string();

    let refused = run(&["compare", &path(&closed), &path(&open)]);
    assert_exit(&refused, 2);
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.starts_with("gatecheck: "), "{stderr}");
    assert!(
        stderr.contains("\n  model: closed: 1 virtual")
            && stderr.contains("(baseline) vs open: 50 flows/s"),
        "{stderr}"
    );
    assert!(stderr.contains("--allow-different"), "{stderr}");

    let allowed = run(&["compare", &path(&closed), &path(&open), "--allow-different"]);
    assert!(matches!(allowed.status.code(), Some(0 | 1)), "{allowed:?}");
    let stdout = String::from_utf8_lossy(&allowed.stdout);
    assert!(
        stdout.starts_with("compared although the runs differ"),
        "{stdout}"
    );

    let alike = run(&["compare", &path(&closed), &path(&same)]);
    assert!(matches!(alike.status.code(), Some(0 | 1)), "{alike:?}");
    assert!(!String::from_utf8_lossy(&alike.stdout).contains("differ"));
}
