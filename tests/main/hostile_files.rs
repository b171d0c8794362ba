//! Hostile scenario and profile files: nested deep in block and flow YAML, deep templates,
//! huge step counts, bytes that are not UTF-8 at random offsets, oversized files, and random
//! byte and token mutations of the real files in `scenarios/` and `profiles/`. Each gets a clean
//! decode or an error at a place in the file, never a panic; the deepest go through the binary
//! (`validate` and `run`), which exits 2, not 134. The ignored test at the end is the closing
//! note's figure: N mutated files through the binary, and how many aborted.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use gatecheck::input::{self, Kind, Problem};
use gatecheck::profile::Profile;
use gatecheck::scenario::decode_scenario;
use gatecheck::yaml::diagnostic::FileErrors;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::support::{assert_exit, gatecheck, repo_path, temp_dir, write_file, yaml_files};

const HEAD: &str = "name: hostile\nsteps:\n  - send_captcha:\n";

// Generators.

/// A block list nested `depth` deep (`- - - x`), two bytes a level.
fn deep_block_list(depth: usize) -> String {
    format!("{HEAD}vars:\n  x:\n    {}x\n", "- ".repeat(depth))
}

/// Block mappings nested `depth` deep, one more space of indentation a level.
fn deep_block_mapping(depth: usize) -> String {
    let keys: String = (0..depth)
        .map(|i| format!("{}k:\n", " ".repeat(i + 2)))
        .collect();
    format!("{HEAD}vars:\n{keys}{}v: 1\n", " ".repeat(depth + 2))
}

fn deep_flow(depth: usize, open: &str, close: &str) -> String {
    format!(
        "{HEAD}vars: {{x: {}1{}}}\n",
        open.repeat(depth),
        close.repeat(depth)
    )
}

/// A body expectation whose template nests calls `depth` deep.
fn deep_template(depth: usize) -> String {
    let calls = format!("{}1{}", "digits(".repeat(depth), ")".repeat(depth));
    format!("{HEAD}    expect: {{body: {{/token: {{equals: \"{{{{ {calls} }}}}\"}}}}}}\n")
}

fn many_steps(count: usize) -> String {
    format!(
        "name: long\nsteps:\n{}",
        "  - send_captcha:\n".repeat(count)
    )
}

fn real_scenarios() -> Vec<Vec<u8>> {
    let files = yaml_files(&repo_path("scenarios"));
    files
        .iter()
        .map(|f| std::fs::read(f).expect("read"))
        .collect()
}

fn real_profile() -> Vec<u8> {
    std::fs::read(repo_path("profiles/reference.yaml")).expect("profile")
}

/// Pieces that make YAML, templates and numbers go wrong.
const TOKENS: &[&str] = &[
    "[",
    "]",
    "{",
    "}",
    "{{",
    "}}",
    "- ",
    ": ",
    "? ",
    "\t",
    "&a ",
    "*a",
    "!!str ",
    "\"",
    "'",
    "|",
    ">",
    "#",
    "\n",
    "  ",
    "digits(",
    ")",
    "-1",
    "0",
    "1e309",
    "99999999999999999999",
    "\u{0}",
    "\u{feff}",
    "\u{202e}",
    "~",
    "null",
    ".nan",
    "-.inf",
    "0x10",
    "1_000",
];

/// One to three random edits of `bytes`: a byte replaced, a range deleted or doubled, a
/// hostile token inserted, two lines swapped.
fn mutate(bytes: &[u8], rng: &mut StdRng) -> Vec<u8> {
    let mut out = bytes.to_vec();
    for _ in 0..rng.random_range(1..=3) {
        let at = rng.random_range(0..=out.len());
        match rng.random_range(0..5) {
            0 if at < out.len() => out[at] = rng.random(),
            1 => {
                let end = (at + rng.random_range(1..40)).min(out.len());
                out.drain(at..end);
            }
            2 => {
                let end = (at + rng.random_range(1..200)).min(out.len());
                let copy = out[at..end].to_vec();
                out.splice(at..at, copy);
            }
            3 => {
                let token = TOKENS[rng.random_range(0..TOKENS.len())].as_bytes();
                out.splice(at..at, token.iter().copied());
            }
            _ => {
                let mut lines: Vec<Vec<u8>> =
                    out.split(|&b| b == b'\n').map(<[u8]>::to_vec).collect();
                let (a, b) = (
                    rng.random_range(0..lines.len()),
                    rng.random_range(0..lines.len()),
                );
                lines.swap(a, b);
                out = lines.join(&b'\n');
            }
        }
    }
    out
}

// What each must give.

/// Every error of the file is at a line and column inside it (or just past its end).
#[track_caller]
fn assert_placed(what: &str, text: &str, errors: &FileErrors) {
    let lines = text.lines().count() + 1;
    assert!(
        !errors.errors.is_empty(),
        "{what}: an error without a diagnostic"
    );
    for error in &errors.errors {
        assert!(
            (1..=lines).contains(&error.at.line) && error.at.column >= 1,
            "{what}: error `{}` at {} outside the file ({lines} lines)",
            error.message,
            error.at
        );
    }
    let shown = errors.to_string();
    let at = format!("--> {}:{}:", errors.path, errors.errors[0].at.line);
    assert!(shown.contains(&at), "{what}: no `{at}` in\n{shown}");
}

/// Decodes `bytes` as the command line would: text first (an invalid byte named where it is),
/// then the scenario or the profile. Panics (the test fails) on a panic inside gatecheck.
fn decode(what: &str, bytes: &[u8], as_profile: bool) -> bool {
    let text = match input::text(bytes.to_vec()) {
        Ok(text) => text,
        Err(Problem::NotUtf8 {
            byte,
            offset,
            line,
            column,
        }) => {
            assert!(
                std::str::from_utf8(&bytes[..offset]).is_ok(),
                "{what}: valid before {offset}"
            );
            assert_eq!(bytes[offset], byte, "{what}");
            let before = &bytes[..offset];
            assert_eq!(
                line,
                before.iter().filter(|&&b| b == b'\n').count() + 1,
                "{what}"
            );
            assert!(column >= 1, "{what}");
            return false;
        }
        Err(other) => panic!("{what}: {other:?}"),
    };
    let decoded = catch_unwind(AssertUnwindSafe(|| {
        if as_profile {
            Profile::parse("hostile.yaml", &text).map(|_| ())
        } else {
            decode_scenario("hostile.yaml", &text, &Profile::reference()).map(|_| ())
        }
    }));
    match decoded {
        Ok(Ok(())) => true,
        Ok(Err(errors)) => {
            assert_placed(what, &text, &errors);
            false
        }
        Err(_) => panic!("{what}: gatecheck panicked on\n{text}"),
    }
}

#[track_caller]
fn refused_at(text: &str, line: usize, message: &str) {
    let errors = decode_scenario("hostile.yaml", text, &Profile::reference())
        .map(|_| ())
        .expect_err("refused");
    assert_placed(message, text, &errors);
    assert_eq!(errors.errors[0].at.line, line, "{}", errors);
    assert!(errors.errors[0].message.contains(message), "{errors}");
}

// The tests.

#[test]
fn nesting_past_the_limits_is_refused_at_its_place() {
    // The scenario's mapping and `vars` are two levels: 62 more make the limit of 64, and
    // decode; one past it is refused, at the 65th level's first item or key.
    assert!(decode("list 62", deep_block_list(62).as_bytes(), false));
    refused_at(&deep_block_list(63), 6, "nested more than 64 deep");
    let mapping = deep_block_mapping(62);
    assert!(decode("mapping 62", mapping.as_bytes(), false));
    refused_at(&deep_block_mapping(63), 68, "nested more than 64 deep");
    for depth in [65, 1_000, 100_000] {
        refused_at(&deep_block_list(depth), 6, "nested more than 64 deep");
        refused_at(&deep_flow(depth, "[", "]"), 4, "nested more than 64 deep");
        refused_at(
            &deep_flow(depth, "{a: ", "}"),
            4,
            "nested more than 64 deep",
        );
    }
    assert!(decode("template 16", deep_template(16).as_bytes(), false));
    for depth in [17, 3_000, 100_000] {
        refused_at(&deep_template(depth), 4, "calls nested more than 16 deep");
    }
}

#[test]
fn step_counts_past_the_limit_are_refused() {
    assert!(decode("1000 steps", many_steps(1_000).as_bytes(), false));
    for count in [1_001, 50_000] {
        refused_at(&many_steps(count), 1_003, "more than 1000 steps");
    }
    // `reach` expands to several steps: counted after it.
    let reached = format!("name: reached\nsteps:\n{}", "  - reach: t3\n".repeat(400));
    // Four steps each: the 1,001st is the first of the 251st `reach`.
    refused_at(&reached, 253, "more than 1000 steps");
}

#[test]
fn bytes_that_are_not_utf8_are_named_where_they_are() {
    let mut rng = StdRng::seed_from_u64(13);
    let scenarios = real_scenarios();
    for round in 0..300 {
        let mut bytes = scenarios[round % scenarios.len()].clone();
        let at = rng.random_range(0..bytes.len());
        bytes[at] = [0xFF, 0xC3, 0x80, 0xED][round % 4];
        if let Err(Problem::NotUtf8 { offset, .. }) = input::text(bytes.clone()) {
            assert!(offset <= at, "round {round}: named {offset}, broke {at}");
        }
        decode(&format!("non-UTF-8 round {round}"), &bytes, round % 2 == 0);
    }
}

#[test]
fn oversized_files_are_refused_before_they_are_read() {
    let dir = temp_dir("hostile-size");
    let big = write_file(
        &dir,
        "big.yaml",
        &format!("{HEAD}#{}\n", "x".repeat(1 << 20)),
    );
    for kind in [Kind::Scenario, Kind::Profile] {
        let error = input::read(&big, kind).expect_err("too large");
        assert!(matches!(error.problem, Problem::TooLarge { .. }), "{error}");
        assert!(
            error.to_string().contains("limit of 1048576 bytes"),
            "{error}"
        );
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn mutated_real_files_decode_or_say_where_they_are_wrong() {
    let mut rng = StdRng::seed_from_u64(2026);
    let scenarios = real_scenarios();
    let profile = real_profile();
    let mut clean = 0;
    for round in 0..600 {
        let original = &scenarios[round % scenarios.len()];
        clean += usize::from(decode(
            &format!("scenario {round}"),
            &mutate(original, &mut rng),
            false,
        ));
    }
    for round in 0..200 {
        clean += usize::from(decode(
            &format!("profile {round}"),
            &mutate(&profile, &mut rng),
            true,
        ));
    }
    // The mutations are not all harmless: most files end up refused.
    assert!(clean < 600, "{clean} of 800 mutated files decoded");
}

/// The files that aborted gatecheck before these bounds, each with a file:line:col the error
/// must name.
fn deepest(dir: &Path) -> Vec<(PathBuf, String)> {
    let mut bad = HEAD.as_bytes().to_vec();
    bad.extend_from_slice(b"# caf\xC3\xA9 \xFF\n");
    std::fs::write(dir.join("not-utf8.yaml"), &bad).expect("write");
    let files = [
        ("block.yaml", deep_block_list(9_000), ":6:"),
        ("flow.yaml", deep_flow(100_000, "[", "]"), ":4:"),
        ("template-3000.yaml", deep_template(3_000), ":4:"),
        ("template-20000.yaml", deep_template(20_000), ":4:"),
        ("steps.yaml", many_steps(20_000), ":1003:"),
    ];
    let mut out: Vec<(PathBuf, String)> = files
        .iter()
        .map(|(name, text, at)| (write_file(dir, name, text), (*at).to_owned()))
        .collect();
    out.push((dir.join("not-utf8.yaml"), ":4:8:".to_owned()));
    out
}

#[test]
fn the_deepest_files_exit_2_from_validate_and_run_not_134() {
    let dir = temp_dir("hostile-deepest");
    for (file, at) in deepest(&dir) {
        for command in ["validate", "run"] {
            let mut line = gatecheck();
            line.arg(command).arg(&file);
            if command == "run" {
                line.arg("--reports").arg(dir.join("reports"));
            }
            let output = line.output().expect("runs");
            assert_exit(&output, 2);
            let stderr = String::from_utf8_lossy(&output.stderr);
            let place = format!("{}{at}", file.display());
            assert!(
                stderr.contains(&place),
                "{command}: no {place} in {}",
                &stderr[..stderr.len().min(2000)]
            );
        }
    }
    let profile = write_file(
        &dir,
        "profile.yaml",
        &deep_block_list(9_000).replace(HEAD, "name: p\n"),
    );
    let output = gatecheck()
        .args(["validate", "--profile"])
        .arg(&profile)
        .output()
        .expect("runs");
    assert_exit(&output, 2);
    std::fs::remove_dir_all(&dir).ok();
}

// The closing note's figure.

/// Whether a gatecheck process aborted: killed by a signal (a stack overflow is SIGABRT, 134),
/// an exit code of 128 or more, or a Rust panic's message.
fn aborted(output: &std::process::Output) -> bool {
    let code = output.status.code();
    code.is_none_or(|c| c >= 128) || String::from_utf8_lossy(&output.stderr).contains("panicked at")
}

/// How many of `files` abort `gatecheck <args> FILE...`: in batches, and file by file within a
/// batch that aborted.
fn aborts(args: &[&str], files: &[PathBuf], batch: usize) -> usize {
    let run = |files: &[PathBuf]| gatecheck().args(args).args(files).output().expect("runs");
    files
        .chunks(batch)
        .map(|chunk| match aborted(&run(chunk)) {
            false => 0,
            true => chunk
                .iter()
                .filter(|f| aborted(&run(std::slice::from_ref(f))))
                .count(),
        })
        .sum()
}

/// `cargo test --release --test main hostile_files::aborts -- --ignored --nocapture`: 10,000
/// mutated scenarios through `validate` (those that decode through `run` too) and 2,000 mutated
/// profiles through `validate --profile`; prints how many were tried and how many aborted.
#[test]
#[ignore = "a measurement: about 12,000 files through the binary"]
fn aborts_over_mutated_files_through_the_binary() {
    let dir = temp_dir("hostile-measure");
    let mut rng = StdRng::seed_from_u64(13);
    let scenarios = real_scenarios();
    let (mut files, mut valid) = (Vec::new(), Vec::new());
    for i in 0..10_000 {
        let bytes = mutate(&scenarios[i % scenarios.len()], &mut rng);
        let path = dir.join(format!("s{i:05}.yaml"));
        std::fs::write(&path, &bytes).expect("write");
        let decodes = input::text(bytes)
            .is_ok_and(|t| decode_scenario("s.yaml", &t, &Profile::reference()).is_ok());
        if decodes {
            valid.push(path.clone());
        }
        files.push(path);
    }
    let profile = real_profile();
    let profiles: Vec<PathBuf> = (0..2_000)
        .map(|i| {
            let path = dir.join(format!("p{i:04}.yaml"));
            std::fs::write(&path, mutate(&profile, &mut rng)).expect("write");
            path
        })
        .collect();
    let reports = dir.join("reports").display().to_string();
    let validated = aborts(&["validate"], &files, 100);
    let ran = aborts(
        &["run", "--skip-tags", "slow", "--reports", &reports],
        &valid,
        100,
    );
    let happy = repo_path("scenarios/happy/phone_user.yaml");
    let profiled = profiles
        .iter()
        .filter(|p| {
            let line = gatecheck()
                .arg("validate")
                .arg(&happy)
                .arg("--profile")
                .arg(p)
                .output();
            aborted(&line.expect("runs"))
        })
        .count();
    println!(
        "hostile_files: {} mutated scenarios through validate ({validated} aborted), the {} that \
         decode through run ({ran} aborted), {} mutated profiles through validate --profile \
         ({profiled} aborted)",
        files.len(),
        valid.len(),
        profiles.len()
    );
    std::fs::remove_dir_all(&dir).ok();
    assert_eq!(validated + ran + profiled, 0);
}
