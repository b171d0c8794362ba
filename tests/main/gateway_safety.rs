//! The gateway is safe to run and does not leak: `serve` keeps test support on loopback (or
//! says loudly that it does not), the test-support token guards every test-support endpoint,
//! a long load run's per-user state stays bounded, and no kept-alive connection is dropped
//! silently (`connections`).

#[path = "gateway_safety/connections.rs"]
mod connections;

use std::process::Stdio;

use gatecheck::gateway::{FailureKind, GatewayConfig};
use serde_json::json;

use crate::support::{self as harness, assert_exit, gatecheck};

/// `serve` on an address other machines can reach, with test support: refused with exit 2
/// before anything is bound. The port is held on 127.0.0.1 by the test, so a serve that tried
/// to bind 0.0.0.0 on it first would fail with "cannot listen" (exit 1) instead.
#[test]
fn serve_refuses_test_support_off_loopback_before_binding() {
    let held = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = held.local_addr().expect("addr").port();
    for addr in [format!("0.0.0.0:{port}"), format!("[::]:{port}")] {
        let output = gatecheck()
            .args(["serve", "--addr", &addr])
            .output()
            .expect("serve runs");
        assert_exit(&output, 2);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("--allow-remote-test-support"), "{stderr}");
        assert!(stderr.contains("refusing"), "{stderr}");
        assert!(!String::from_utf8_lossy(&output.stdout).contains("listening"));
    }
    // A name is resolved and judged: localhost is loopback.
    let mut served = gatecheck()
        .args(["serve", "--addr", "localhost:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("serve starts");
    let mut line = String::new();
    let stdout = served.stdout.take().expect("stdout");
    std::io::BufRead::read_line(&mut std::io::BufReader::new(stdout), &mut line).expect("line");
    let _ = served.kill();
    let _ = served.wait();
    assert!(
        line.starts_with("listening on http://127.0.0.1:")
            || line.starts_with("listening on http://[::1]:"),
        "{line}"
    );
    let output = gatecheck()
        .args(["serve", "--addr", "no-such-host.invalid:80"])
        .output()
        .expect("serve runs");
    assert_exit(&output, 2);
}

/// In a private network namespace (`unshare -rn`, where it works) whose loopback interface
/// also holds 192.0.2.1, an address only this namespace has: refused with test support,
/// served without it, and served with a warning banner when allowed.
#[test]
fn an_empty_or_short_test_support_token_is_refused() {
    // An unset CI secret expands to an empty variable: it must not become the guard's value.
    for token in ["", "short"] {
        let output = gatecheck()
            .args(["serve", "--addr", "127.0.0.1:0"])
            .env("GATECHECK_TEST_SUPPORT_TOKEN", token)
            .output()
            .expect("serve runs");
        assert_exit(&output, 2);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("at least 12"), "{stderr}");
    }
}

#[test]
fn in_a_private_network_namespace_a_public_address_needs_the_flag() {
    let ready = std::process::Command::new("unshare")
        .args(["-rn", "true"])
        .status();
    if !ready.is_ok_and(|s| s.success()) {
        eprintln!("unshare -rn is not available here: the namespace test is skipped");
        return;
    }
    let bin = env!("CARGO_BIN_EXE_gatecheck");
    // The first line on stdout (the ready line, or nothing when refused), then stderr.
    let run = |flags: &str| {
        let script = format!("ip link set lo up && ip addr add 192.0.2.1/32 dev lo && exec {bin} serve --addr 192.0.2.1:0 {flags}");
        let mut child = std::process::Command::new("unshare")
            .args(["-rn", "sh", "-c", &script])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("unshare runs");
        let mut line = String::new();
        let stdout = child.stdout.take().expect("stdout");
        let _ = std::io::BufRead::read_line(&mut std::io::BufReader::new(stdout), &mut line);
        let _ = child.kill();
        let output = child.wait_with_output().expect("ends");
        (
            line,
            String::from_utf8_lossy(&output.stderr).into_owned(),
            output.status.code(),
        )
    };
    let (out, err, code) = run("");
    assert_eq!((out.as_str(), code), ("", Some(2)), "{err}");
    assert!(
        err.contains("192.0.2.1:0") && err.contains("--allow-remote-test-support"),
        "{err}"
    );
    let (out, err, _) = run("--no-test-support");
    assert!(
        out.starts_with("listening on http://192.0.2.1:"),
        "{out} {err}"
    );
    assert!(!err.contains("WARNING"), "{err}");
    let (out, err, _) = run("--allow-remote-test-support");
    assert!(
        out.starts_with("listening on http://192.0.2.1:"),
        "{out} {err}"
    );
    assert!(
        err.contains("WARNING: test-support endpoints served on 192.0.2.1:"),
        "{err}"
    );
}

fn guarded() -> GatewayConfig {
    GatewayConfig {
        test_support_token: Some("s3cret-token".into()),
        ..harness::config(Vec::new())
    }
}

#[tokio::test]
async fn every_test_support_endpoint_needs_the_token() {
    let gateway = harness::start(guarded()).await;
    let calls: [(reqwest::Method, &str, Option<serde_json::Value>); 4] = [
        (reqwest::Method::GET, "/test/v1/captcha/abc", None),
        (reqwest::Method::GET, "/test/v1/outbox/latest?user=x", None),
        (
            reqwest::Method::POST,
            "/test/v1/clock/advance",
            Some(json!({"seconds": 0})),
        ),
        (
            reqwest::Method::POST,
            "/test/v1/users",
            Some(json!({"user": "+8613511112222", "password": "Made#Pass1"})),
        ),
    ];
    for (method, path, body) in calls {
        let body = body.map(|b| b.to_string().into_bytes());
        let json = ("Content-Type", "application/json");
        for token in [None, Some("wrong"), Some("s3cret-toke"), Some("")] {
            let mut headers = vec![json];
            headers.extend(token.map(|t| ("X-Test-Support-Token", t)));
            let answer = gateway
                .request(method.clone(), path, &headers, body.clone())
                .await;
            answer.assert_kind(FailureKind::TestSupportUnauthorized);
            let keys: Vec<&String> = answer
                .json
                .as_object()
                .expect("error body")
                .keys()
                .collect();
            assert_eq!(keys, ["error_code", "error_msg"], "{path}");
        }
        let headers = [json, ("X-Test-Support-Token", "s3cret-token")];
        let answer = gateway.request(method, path, &headers, body).await;
        assert!(
            !answer.is(FailureKind::TestSupportUnauthorized),
            "{path}: {}",
            answer.text
        );
        assert!(
            [200, 201, 404].contains(&answer.status),
            "{path}: {}",
            answer.text
        );
    }
    // The six calls never ask for it.
    assert!(gateway.send_captcha("+8613600000000").await.ok());
}

#[tokio::test]
async fn created_users_stop_at_the_cap_with_a_clear_answer() {
    let gateway = harness::start(GatewayConfig {
        max_test_users: 3,
        ..harness::config(Vec::new())
    })
    .await;
    let create = |n: u32| {
        let spec = json!({"user": format!("+86135000{n:05}"), "password": "Made#Pass1"});
        gateway.request(
            reqwest::Method::POST,
            "/test/v1/users",
            &[("Content-Type", "application/json")],
            Some(spec.to_string().into_bytes()),
        )
    };
    for n in 0..3 {
        assert_eq!(create(n).await.status, 201);
    }
    let full = create(3).await;
    full.assert_kind(FailureKind::TestUsersFull);
    assert!(full.text.contains("--max-test-users"), "{}", full.text);
    assert_eq!(create(1).await.status, 201, "replacing a user still works");
    assert_eq!(gateway.gateway.flow.store_sizes().users.created, 3);
}

/// 40 load-style flows, each resetting a new generated user, on a gateway that remembers 10
/// changes: 10 users are kept with their new password, 30 forgotten (a bit each), none is a
/// full record, and a forgotten one opens to neither password.
#[tokio::test]
async fn changed_generated_users_stay_bounded() {
    let mut config = harness::config(Vec::new());
    config.generated.count = 1_000;
    config.max_changed_users = 10;
    config.resend_interval = std::time::Duration::ZERO;
    let gateway = harness::start(config).await;
    let before = gateway.gateway.flow.store_sizes().users;
    for i in 0..40u32 {
        let user = format!("+86139{i:08}");
        let t3 = gateway.t3(&user).await;
        assert!(gateway.reset(&user, &t3, "Fresh#Pass42").await.ok());
    }
    let users = gateway.gateway.flow.store_sizes().users;
    assert_eq!(users.records, before.records, "no record per reset user");
    assert_eq!(
        (users.changed_generated, users.forgotten_generated),
        (10, 30)
    );
    assert!(gateway.login("load00000039", "Fresh#Pass42").await.ok());
    let forgotten = gateway.login("load00000000", "Fresh#Pass42").await;
    forgotten.assert_kind(FailureKind::LoginFailed);
    let first = gateway.login("load00000000", "Load#Pass2026").await;
    first.assert_kind(FailureKind::LoginFailed);
}

#[test]
fn the_default_caps_cover_what_a_load_run_needs() {
    use gatecheck::gateway::config::{MAX_CHANGED_USERS, MAX_TEST_USERS};
    // Checked when the tests build: a lower cap does not compile.
    const { assert!(MAX_TEST_USERS as u64 > gatecheck::runner::users::MAX_CREATED) };
    const { assert!(MAX_CHANGED_USERS > gatecheck::runner::pool::MAX_RECYCLED) };
}

/// A body past the drain limit is answered with `Connection: close`, so the client does not
/// send another request on a connection the gateway ends.
#[tokio::test]
async fn a_body_past_the_drain_limit_is_answered_with_connection_close() {
    use tower::ServiceExt;
    let flow = harness::start_clean().await.gateway.flow.clone();
    let big = vec![b'a'; gatecheck::gateway::http::DRAIN_LIMIT + 10];
    for (path, status) in [("/nowhere", 404), ("/v1/usg/acs/verifycode/check", 400)] {
        let request = axum::http::Request::builder()
            .method("PUT")
            .uri(path)
            .header("Content-Type", "application/json")
            .body(axum::body::Body::from(big.clone()))
            .expect("request");
        let response = gatecheck::gateway::router(flow.clone())
            .oneshot(request)
            .await
            .expect("answer");
        assert_eq!(response.status(), status);
        assert_eq!(
            response.headers().get("connection").map(|v| v.as_bytes()),
            Some(&b"close"[..])
        );
    }
}

/// `gatecheck serve` guarded by a token from its environment, and `gatecheck run --target`
/// whose profile names the variable holding it: the suite completes; with another value in
/// that variable it cannot (every oracle call is refused).
#[test]
fn run_with_the_profiles_token_completes_the_suite_against_a_guarded_serve() {
    let dir = crate::support::temp_dir("guarded-serve");
    let profile = gatecheck::profile::REFERENCE_YAML.replacen(
        "test_support: true",
        "test_support: true\ntest_support_token: {env: GC_TOKEN_FOR_RUN}",
        1,
    );
    let profile = crate::support::write_file(&dir, "guarded.yaml", &profile);
    let mut served = gatecheck()
        .args(["serve", "--addr", "127.0.0.1:0"])
        .env("GATECHECK_TEST_SUPPORT_TOKEN", "tok-13-right")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("serve starts");
    let mut line = String::new();
    let stdout = served.stdout.take().expect("stdout");
    std::io::BufRead::read_line(&mut std::io::BufReader::new(stdout), &mut line).expect("line");
    let url = line
        .trim()
        .strip_prefix("listening on ")
        .expect("ready")
        .to_owned();
    let run = |token: &str| {
        gatecheck()
            .args(["run", "--target", &url, "--profile"])
            .arg(&profile)
            .arg("--reports")
            .arg(dir.join(token))
            .env("GC_TOKEN_FOR_RUN", token)
            .output()
            .expect("run runs")
    };
    let right = run("tok-13-right");
    let wrong = run("tok-13-wrong");
    let _ = served.kill();
    let _ = served.wait();
    assert_exit(&right, 0);
    let stdout = String::from_utf8_lossy(&right.stdout);
    assert!(!stdout.contains("FAIL"), "{stdout}");
    assert_ne!(wrong.status.code(), Some(0), "a wrong token must not pass");
}
