//! The `gatecheck serve` binary: the ready line, the fault list, refusing bad flags, and a clean
//! stop on SIGTERM and Ctrl-C (SIGINT).

use std::process::{Child, ExitStatus};
use std::time::{Duration, Instant};

use gatecheck::gateway::fault::CATALOGUE;

use crate::support::{
    assert_exit, current_thread_runtime, gatecheck, signal, temp_dir, write_file, Served,
};

/// Starts `gatecheck serve` on an ephemeral loopback port.
fn serve(extra: &[&str]) -> Served {
    crate::support::serve(&[&["--captcha-pool", "2"], extra].concat())
}

fn wait_for_exit(child: &mut Child, limit: Duration) -> Option<ExitStatus> {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if let Ok(Some(status)) = child.try_wait() {
            return Some(status);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    None
}

/// Sends `signal` and gives the process 10 s to exit.
fn stop(served: &mut Served, signal_number: libc::c_int) -> Option<ExitStatus> {
    signal(&served.child, signal_number);
    wait_for_exit(&mut served.child, Duration::from_secs(10))
}

async fn answers(url: &str) -> u16 {
    let response = reqwest::Client::new()
        .post(format!("{url}/v1/usg/acs/auth/slideverifycode/send"))
        .header("Content-Type", "application/json")
        .body(r#"{"user": "+8613600000000", "clientType": 0, "checkType": 1}"#)
        .send()
        .await
        .expect("gateway answers");
    response.status().as_u16()
}

#[tokio::test]
async fn serve_prints_its_address_answers_and_stops_on_sigterm() {
    let mut served = serve(&[]);
    assert!(
        served.url.starts_with("http://127.0.0.1:"),
        "{}",
        served.url
    );
    assert_eq!(answers(&served.url).await, 200);
    let status = stop(&mut served, libc::SIGTERM).expect("stops within 10 s");
    assert!(status.success(), "{status}");
}

#[tokio::test]
async fn serve_stops_on_ctrl_c() {
    let mut served = serve(&["--fault", "reuse-t1"]);
    assert_eq!(answers(&served.url).await, 200);
    let status = stop(&mut served, libc::SIGINT).expect("stops within 10 s");
    assert!(status.success(), "{status}");
}

#[tokio::test]
async fn no_test_support_removes_the_oracle_routes() {
    let mut served = serve(&["--no-test-support"]);
    let status = reqwest::get(format!("{}/test/v1/outbox/latest?user=x", served.url))
        .await
        .expect("answer")
        .status();
    assert_eq!(status.as_u16(), 404);
    stop(&mut served, libc::SIGTERM);
}

#[test]
fn fault_list_names_every_switch_with_an_explanation() {
    let output = gatecheck()
        .args(["serve", "--fault", "list"])
        .output()
        .expect("runs");
    assert!(output.status.success());
    let text = String::from_utf8(output.stdout).expect("utf-8");
    assert_eq!(text.lines().count(), CATALOGUE.len());
    for (name, what) in CATALOGUE {
        assert!(
            text.lines()
                .any(|line| line.starts_with(name) && line.ends_with(what)),
            "{name}"
        );
    }
}

#[test]
fn unknown_faults_are_a_usage_error() {
    let output = gatecheck()
        .args(["serve", "--fault", "reuse-t9"])
        .output()
        .expect("runs");
    assert_exit(&output, 2);
    let text = String::from_utf8_lossy(&output.stderr);
    assert!(text.contains("unknown fault `reuse-t9`"), "{text}");
}

#[test]
fn a_malformed_users_file_names_its_line_and_column() {
    let dir = temp_dir("users");
    let path = write_file(
        &dir,
        "users.json",
        "[\n  {\"user\": \"a\", \"pasword\": \"x\"}\n]\n",
    );
    let output = gatecheck()
        .args(["serve", "--users"])
        .arg(&path)
        .output()
        .expect("runs");
    let _ = std::fs::remove_dir_all(&dir);
    assert_exit(&output, 2);
    let text = String::from_utf8_lossy(&output.stderr);
    assert!(text.contains("line 2, column"), "{text}");
    assert!(text.contains("pasword"), "{text}");
}

#[test]
fn a_users_file_adds_users() {
    let dir = temp_dir("users-ok");
    let path = write_file(
        &dir,
        "users.json",
        r#"[{"user": "filed@example.com", "password": "Filed#Pass1", "account": "filed1"}]"#,
    );
    let mut served = serve(&["--users", path.to_str().expect("utf-8 path")]);
    let _ = std::fs::remove_dir_all(&dir);
    let status = current_thread_runtime().block_on(async {
        use base64::Engine;
        let basic = base64::engine::general_purpose::STANDARD.encode("filed1:Filed#Pass1");
        reqwest::Client::new()
            .post(format!("{}/v1/usg/acs/auth/account", served.url))
            .header("Authorization", format!("Basic {basic}"))
            .body(r#"{"account": "filed1", "clientType": 72}"#)
            .send()
            .await
            .expect("answer")
            .status()
            .as_u16()
    });
    assert_eq!(status, 200);
    stop(&mut served, libc::SIGTERM);
}

/// Each error class is its documented exit code, with a message that says what to do.
#[test]
fn errors_are_their_class_exit_code() {
    let dir = temp_dir("exit-codes");
    let profile = write_file(&dir, "profile.yaml", "name: broken\ntest_support: maybe\n");
    let cases: [(&[&str], i32, &str); 5] = [
        // Faults bend the embedded gateway; with a target they would silently do nothing.
        (
            &[
                "load",
                "scenarios/load/reset_flow.yaml",
                "--target",
                "http://127.0.0.1:9",
                "--fault",
                "reuse-t1",
            ],
            2,
            "--fault applies to the embedded gateway only",
        ),
        (
            &["run", "--target", "127.0.0.1:9"],
            2,
            "needs http:// or https://",
        ),
        (
            &["run", "--target", "http://127.0.0.1:9"],
            3,
            "is unreachable",
        ),
        (
            &["run", "--oracle", "captcha=guess"],
            2,
            "unknown CAPTCHA oracle `guess`",
        ),
        (
            &["validate", "--profile", profile.to_str().expect("utf-8")],
            2,
            "error: ",
        ),
    ];
    for (args, code, says) in cases {
        let output = gatecheck().args(args).output().expect("runs");
        assert_exit(&output, code);
        let text = String::from_utf8_lossy(&output.stderr);
        assert!(text.contains(says), "{args:?}: {text}");
    }
    // A profile's errors come with their carets, as scenario errors do, not as one line.
    let output = gatecheck()
        .args(["validate", "--profile", profile.to_str().expect("utf-8")])
        .output()
        .expect("runs");
    let text = String::from_utf8_lossy(&output.stderr);
    assert!(
        text.starts_with("error: ") && text.contains(" | "),
        "{text}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn an_interrupted_run_says_so_in_every_report() {
    let dir = temp_dir("run-interrupted");
    // Every reset answer takes 30 s, so the scenarios that reach it are still running when
    // Ctrl-C comes; the others finish first.
    let mut child = gatecheck()
        .args([
            "run",
            "--fault",
            "latency=reset_password:30s",
            "--timeout",
            "60s",
        ])
        .arg(crate::support::repo_path("scenarios"))
        .arg("--reports")
        .arg(&dir)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("runs");
    std::thread::sleep(Duration::from_secs(3));
    signal(&child, libc::SIGINT);
    let status = wait_for_exit(&mut child, Duration::from_secs(20)).expect("stops");
    assert_eq!(status.code(), Some(130), "{status}");
    let run = std::fs::read_dir(&dir)
        .expect("reports")
        .flatten()
        .find(|e| e.path().is_dir())
        .expect("a run directory")
        .path();
    let read = |name: &str| std::fs::read_to_string(run.join(name)).expect(name);
    let results: serde_json::Value = serde_json::from_str(&read("results.json")).expect("json");
    assert_eq!(results["interrupted"], true);
    assert!(
        results["not_run"].as_u64().expect("not_run") > 0,
        "{results}"
    );
    assert!(read("summary.md").starts_with("# gatecheck run "));
    assert!(read("summary.md").contains(": INTERRUPTED\n"));
    assert!(read("junit.xml").contains("<property name=\"interrupted\""));
    let mut stdout = String::new();
    std::io::Read::read_to_string(&mut child.stdout.take().expect("stdout"), &mut stdout)
        .expect("stdout");
    assert!(stdout.contains("INTERRUPTED: "), "{stdout}");
}
