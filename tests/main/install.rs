//! The installed binary carries its suite: `gatecheck run` from a directory with no scenarios
//! in it runs the built-in suite and passes; `scenarios export` writes it out, refusing to
//! overwrite without `--force`, and the exported files give the same verdicts; `load` and
//! `validate` take a built-in name and say so; the compiled-in table equals `scenarios/`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Output;

use gatecheck::suite::builtin;

use crate::support::{assert_exit, gatecheck, repo_path, temp_dir};

/// `gatecheck ARGS` run in `cwd`.
fn gatecheck_in(cwd: &Path, args: &[&str]) -> Output {
    gatecheck()
        .current_dir(cwd)
        .args(args)
        .output()
        .expect("gatecheck runs")
}

/// Each scenario file's verdict in the one run under `reports`.
fn verdicts(reports: &Path) -> BTreeMap<String, String> {
    let runs: Vec<PathBuf> = std::fs::read_dir(reports)
        .expect("reports")
        .map(|e| e.expect("entry").path())
        // `latest` is a symlink to the run, not a second run.
        .filter(|p| !p.is_symlink() && p.join("results.json").is_file())
        .collect();
    assert_eq!(runs.len(), 1, "{runs:?}");
    let text = std::fs::read_to_string(runs[0].join("results.json")).expect("results.json");
    let results: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    let scenarios = results["scenarios"].as_array().expect("scenarios");
    scenarios
        .iter()
        .map(|s| {
            (
                s["file"].as_str().expect("file").to_owned(),
                s["verdict"].to_string(),
            )
        })
        .collect()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Every file under `dir`, relative to `root`, `/`-separated, hidden ones left out (as
/// build.rs does).
fn files_under(root: &Path, dir: &str, out: &mut BTreeMap<String, String>) {
    for entry in std::fs::read_dir(root.join(dir)).expect("dir") {
        let entry = entry.expect("entry");
        let name = entry.file_name().to_string_lossy().into_owned();
        let relative = format!("{dir}/{name}");
        if name.starts_with('.') {
            continue;
        } else if entry.path().is_dir() {
            files_under(root, &relative, out);
        } else {
            let text = std::fs::read_to_string(entry.path()).expect("text");
            out.insert(relative, text);
        }
    }
}

#[test]
fn the_compiled_in_table_equals_the_files_on_disk() {
    let mut on_disk = BTreeMap::new();
    files_under(&repo_path(""), "scenarios", &mut on_disk);
    let built_in: BTreeMap<String, String> = builtin::FILES
        .iter()
        .map(|(name, text)| (name.to_string(), text.to_string()))
        .collect();
    assert_eq!(
        built_in.keys().collect::<Vec<_>>(),
        on_disk.keys().collect::<Vec<_>>()
    );
    for (name, text) in &on_disk {
        assert!(
            built_in[name] == *text,
            "{name} differs from its built-in copy"
        );
    }
    assert!(built_in.contains_key("scenarios/README.md"));
}

#[test]
fn run_from_a_directory_without_scenarios_runs_the_built_in_suite_and_passes() {
    let dir = temp_dir("install-run");
    let cwd = dir.join("empty");
    std::fs::create_dir(&cwd).expect("cwd");
    let output = gatecheck_in(&cwd, &["run", "--reports", "../reports"]);
    assert_exit(&output, 0);
    let verdicts = verdicts(&dir.join("reports"));
    assert_eq!(verdicts.len(), builtin::scenarios().len());
    // The names a run in the repository shows.
    assert!(
        verdicts.contains_key("scenarios/happy/phone_user.yaml"),
        "{verdicts:?}"
    );
    assert!(stdout(&output).contains("scenarios/happy/phone_user.yaml"));
    // Nothing was read from, or written to, the empty directory.
    assert_eq!(std::fs::read_dir(&cwd).expect("cwd").count(), 0);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn the_exported_suite_runs_with_the_same_verdicts_as_the_built_in_one() {
    let dir = temp_dir("install-export");
    let out = dir.join("team");
    let export = gatecheck_in(&dir, &["scenarios", "export", "team"]);
    assert_exit(&export, 0);
    let said = stdout(&export);
    assert!(
        said.contains("wrote team/scenarios/happy/phone_user.yaml"),
        "{said}"
    );
    assert!(
        said.contains("wrote team/profiles/reference.yaml"),
        "{said}"
    );
    let profile = std::fs::read_to_string(out.join("profiles/reference.yaml")).expect("profile");
    assert_eq!(profile, gatecheck::profile::REFERENCE_YAML);
    // Run from inside the export, the files are named as the built-in ones are.
    let run = gatecheck_in(&out, &["run", "scenarios", "--reports", "../exported"]);
    assert_exit(&run, 0);
    assert!(
        !stderr(&run).contains("built-in"),
        "files on disk were used: {}",
        stderr(&run)
    );
    let built_in = gatecheck_in(&dir, &["run", "--reports", "built-in"]);
    assert_exit(&built_in, 0);
    let exported = verdicts(&dir.join("exported"));
    assert_eq!(exported, verdicts(&dir.join("built-in")));
    assert!(exported.values().any(|v| v == "\"skipped\""));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn export_refuses_to_overwrite_unless_forced() {
    let dir = temp_dir("install-force");
    let edited = dir.join("scenarios/happy/phone_user.yaml");
    std::fs::create_dir_all(edited.parent().expect("parent")).expect("dirs");
    std::fs::write(&edited, "# ours\n").expect("write");
    let refused = gatecheck_in(&dir, &["scenarios", "export", "."]);
    assert_exit(&refused, 2);
    let said = stderr(&refused);
    assert!(said.starts_with("gatecheck: 1 of the "), "{said}");
    assert!(said.contains("--force"), "{said}");
    assert_eq!(std::fs::read_to_string(&edited).expect("kept"), "# ours\n");
    assert!(
        !dir.join("profiles").exists(),
        "nothing is written on a refusal"
    );
    let forced = gatecheck_in(&dir, &["scenarios", "export", ".", "--force"]);
    assert_exit(&forced, 0);
    assert_eq!(
        std::fs::read_to_string(&edited).expect("rewritten"),
        builtin::text("scenarios/happy/phone_user.yaml").expect("built in")
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn validate_and_load_take_a_built_in_name_and_say_so() {
    let dir = temp_dir("install-names");
    let validate = gatecheck_in(&dir, &["validate"]);
    assert_exit(&validate, 0);
    let count = builtin::scenarios().len();
    assert_eq!(
        stdout(&validate),
        format!("{count} scenarios valid (the built-in suite)\n")
    );
    let named = gatecheck_in(&dir, &["validate", "scenarios/tokens"]);
    assert_exit(&named, 0);
    assert!(
        stderr(&named)
            .contains("note: scenarios/tokens is not on disk here: the built-in copy is used"),
        "{}",
        stderr(&named)
    );
    let load = gatecheck_in(
        &dir,
        &[
            "load",
            "scenarios/load/reset_flow.yaml",
            "--vus",
            "1",
            "--iterations",
            "3",
            "--warmup",
            "10ms",
            "--quiet",
            "--reports",
            "reports",
        ],
    );
    assert!(
        stderr(&load).contains("note: scenarios/load/reset_flow.yaml is not on disk here"),
        "{}",
        stderr(&load)
    );
    assert!(
        matches!(load.status.code(), Some(0 | 1)),
        "load ran: {}",
        stderr(&load)
    );
    let missing = gatecheck_in(&dir, &["validate", "scenarios/nosuch.yaml"]);
    assert_exit(&missing, 2);
    assert!(
        stderr(&missing).contains("nor a built-in scenario"),
        "{}",
        stderr(&missing)
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn list_names_every_built_in_scenario() {
    let output = gatecheck()
        .args(["scenarios", "list"])
        .output()
        .expect("runs");
    assert_exit(&output, 0);
    let said = stdout(&output);
    for name in builtin::scenarios() {
        assert!(said.contains(name), "{name} missing from:\n{said}");
    }
}

#[test]
fn a_run_without_path_says_when_the_scenarios_folder_beside_it_differs() {
    let dir = temp_dir("install-beside");
    assert_exit(&gatecheck_in(&dir, &["scenarios", "export", "."]), 0);
    // An unchanged export is what runs anyway: nothing to say.
    let same = gatecheck_in(&dir, &["validate"]);
    assert_exit(&same, 0);
    assert_eq!(stderr(&same), "");
    let edited = dir.join("scenarios/happy/phone_user.yaml");
    let text = std::fs::read_to_string(&edited).expect("exported");
    std::fs::write(&edited, text.replace("name: ", "name: our ")).expect("edit");
    let differs = gatecheck_in(&dir, &["validate"]);
    assert_exit(&differs, 0);
    assert!(
        stderr(&differs).contains("./scenarios differs from it"),
        "{}",
        stderr(&differs)
    );
    std::fs::remove_dir_all(&dir).ok();
}
