//! The `gatecheck serve` binary: the ready line, the fault list, refusing bad flags, and a clean
//! stop on SIGTERM and Ctrl-C (SIGINT).

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use gatecheck::gateway::fault::CATALOGUE;

fn gatecheck() -> Command {
    Command::new(env!("CARGO_BIN_EXE_gatecheck"))
}

/// Starts `gatecheck serve` on an ephemeral loopback port and returns it with its address.
fn serve(extra: &[&str]) -> (Child, String) {
    let mut child = gatecheck()
        .args(["serve", "--addr", "127.0.0.1:0", "--captcha-pool", "2"])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("gatecheck starts");
    let stdout = child.stdout.take().expect("stdout");
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("ready line");
    let addr = line
        .trim()
        .strip_prefix("listening on http://")
        .unwrap_or_else(|| panic!("ready line: {line:?}"))
        .to_owned();
    (child, addr)
}

fn wait_for_exit(child: &mut Child, limit: Duration) -> Option<std::process::ExitStatus> {
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

fn signal(child: &Child, signal: libc::c_int) {
    // SAFETY: sending a signal to our own child process.
    unsafe {
        libc::kill(child.id() as libc::pid_t, signal);
    }
}

async fn answers(addr: &str) -> u16 {
    let response = reqwest::Client::new()
        .post(format!(
            "http://{addr}/v1/usg/acs/auth/slideverifycode/send"
        ))
        .header("Content-Type", "application/json")
        .body(r#"{"user": "+8613600000000", "clientType": 0, "checkType": 1}"#)
        .send()
        .await
        .expect("gateway answers");
    response.status().as_u16()
}

#[tokio::test]
async fn serve_prints_its_address_answers_and_stops_on_sigterm() {
    let (mut child, addr) = serve(&[]);
    assert!(addr.starts_with("127.0.0.1:"));
    assert_eq!(answers(&addr).await, 200);
    signal(&child, libc::SIGTERM);
    let status = wait_for_exit(&mut child, Duration::from_secs(10)).expect("stops within 10 s");
    assert!(status.success(), "{status}");
}

#[tokio::test]
async fn serve_stops_on_ctrl_c() {
    let (mut child, addr) = serve(&["--fault", "reuse-t1"]);
    assert_eq!(answers(&addr).await, 200);
    signal(&child, libc::SIGINT);
    let status = wait_for_exit(&mut child, Duration::from_secs(10)).expect("stops within 10 s");
    assert!(status.success(), "{status}");
}

#[tokio::test]
async fn no_test_support_removes_the_oracle_routes() {
    let (mut child, addr) = serve(&["--no-test-support"]);
    let status = reqwest::get(format!("http://{addr}/test/v1/outbox/latest?user=x"))
        .await
        .expect("answer")
        .status();
    assert_eq!(status.as_u16(), 404);
    signal(&child, libc::SIGTERM);
    wait_for_exit(&mut child, Duration::from_secs(10));
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
    assert_eq!(output.status.code(), Some(2));
    let text = String::from_utf8_lossy(&output.stderr);
    assert!(text.contains("unknown fault `reuse-t9`"), "{text}");
}

#[test]
fn a_malformed_users_file_names_its_line_and_column() {
    let path = std::env::temp_dir().join(format!("gatecheck-users-{}.json", std::process::id()));
    std::fs::write(&path, "[\n  {\"user\": \"a\", \"pasword\": \"x\"}\n]\n").expect("write");
    let output = gatecheck()
        .args(["serve", "--users"])
        .arg(&path)
        .output()
        .expect("runs");
    let _ = std::fs::remove_file(&path);
    assert_eq!(output.status.code(), Some(2));
    let text = String::from_utf8_lossy(&output.stderr);
    assert!(text.contains("line 2, column"), "{text}");
    assert!(text.contains("pasword"), "{text}");
}

#[test]
fn a_users_file_adds_users() {
    let path = std::env::temp_dir().join(format!("gatecheck-users-ok-{}.json", std::process::id()));
    std::fs::write(
        &path,
        r#"[{"user": "filed@example.com", "password": "Filed#Pass1", "account": "filed1"}]"#,
    )
    .expect("write");
    let (mut child, addr) = serve(&["--users", path.to_str().expect("utf-8 path")]);
    let _ = std::fs::remove_file(&path);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("rt");
    let status = runtime.block_on(async {
        use base64::Engine;
        let basic = base64::engine::general_purpose::STANDARD.encode("filed1:Filed#Pass1");
        reqwest::Client::new()
            .post(format!("http://{addr}/v1/usg/acs/auth/account"))
            .header("Authorization", format!("Basic {basic}"))
            .body(r#"{"account": "filed1", "clientType": 72}"#)
            .send()
            .await
            .expect("answer")
            .status()
            .as_u16()
    });
    assert_eq!(status, 200);
    signal(&child, libc::SIGTERM);
    wait_for_exit(&mut child, Duration::from_secs(10));
}
