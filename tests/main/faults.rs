//! Each fault switch, demonstrated: a probe that the clean gateway passes and the gateway with
//! that one fault fails. Together with `--fault list` this proves every switch is real and does
//! what its one line says.

use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, Instant};

use gatecheck::api::Operation;
use gatecheck::gateway::fault::CATALOGUE;
use gatecheck::gateway::{FailureKind, Fault};
use serde_json::json;

use crate::support::{config, start, Harness, NEW_PASSWORD};

type Probe = for<'a> fn(&'a Harness) -> Pin<Box<dyn Future<Output = bool> + Send + 'a>>;

/// True when the gateway behaved as the reference profile says.
macro_rules! probe {
    (|$h:ident| $body:block) => {{
        fn probe<'a>($h: &'a Harness) -> Pin<Box<dyn Future<Output = bool> + Send + 'a>> {
            Box::pin(async move { $body })
        }
        probe as Probe
    }};
}

fn probes() -> Vec<(&'static str, Probe)> {
    vec![
        (
            "captcha-any-x",
            probe!(|h| {
                let user = h.new_user().await;
                let (t1, x) = h.captcha(&user).await;
                h.check_captcha(&user, &t1, x + 50)
                    .await
                    .is(FailureKind::CaptchaMismatch)
            }),
        ),
        (
            "captcha-any-slide-time",
            probe!(|h| {
                let user = h.new_user().await;
                let (t1, x) = h.captcha(&user).await;
                let answer = h
                .call(Operation::CheckCaptcha, json!({"user": user, "clientType": 0, "checkType": 1, "token": t1, "pointX": x, "slideTime": 5}))
                .await;
                answer.is(FailureKind::CaptchaMismatch)
            }),
        ),
        (
            "tokens-never-expire",
            probe!(|h| {
                let user = h.new_user().await;
                let (t1, x) = h.captcha(&user).await;
                h.advance(61).await;
                h.check_captcha(&user, &t1, x)
                    .await
                    .is(FailureKind::CaptchaTokenInvalid)
            }),
        ),
        (
            "reuse-t1",
            probe!(|h| {
                let user = h.new_user().await;
                let (t1, x) = h.captcha(&user).await;
                h.check_captcha(&user, &t1, x).await;
                h.check_captcha(&user, &t1, x)
                    .await
                    .is(FailureKind::CaptchaTokenInvalid)
            }),
        ),
        (
            "reuse-t2",
            probe!(|h| {
                let user = h.new_user().await;
                let t2 = h.t2(&user).await;
                h.send_code(&user, &t2).await;
                // T2 is judged before the resend interval, so a replay is a token failure.
                h.send_code(&user, &t2)
                    .await
                    .is(FailureKind::AccessTokenInvalid)
            }),
        ),
        (
            "reuse-code",
            probe!(|h| {
                let user = h.new_user().await;
                let code = h.code(&user).await;
                h.check_code(&user, &code).await;
                h.check_code(&user, &code)
                    .await
                    .is(FailureKind::CodeMismatch)
            }),
        ),
        (
            "reuse-t3",
            probe!(|h| {
                let user = h.new_user().await;
                let t3 = h.t3(&user).await;
                h.reset(&user, &t3, NEW_PASSWORD).await;
                h.reset(&user, &t3, "Other#Pass55")
                    .await
                    .is(FailureKind::ResetTokenInvalid)
            }),
        ),
        (
            "any-code",
            probe!(|h| {
                let user = h.new_user().await;
                let code = h.code(&user).await;
                let wrong = if code == "111111" { "222222" } else { "111111" };
                h.check_code(&user, wrong)
                    .await
                    .is(FailureKind::CodeMismatch)
            }),
        ),
        (
            "no-attempt-limit",
            probe!(|h| {
                let user = h.new_user().await;
                let code = h.code(&user).await;
                let wrong = if code == "111111" { "222222" } else { "111111" };
                for _ in 0..5 {
                    h.check_code(&user, wrong).await;
                }
                h.check_code(&user, &code)
                    .await
                    .is(FailureKind::CodeAttemptsExceeded)
            }),
        ),
        (
            "no-resend-interval",
            probe!(|h| {
                let user = h.new_user().await;
                h.code(&user).await;
                let t2 = h.t2(&user).await;
                h.send_code(&user, &t2)
                    .await
                    .is(FailureKind::SendTooFrequent)
            }),
        ),
        (
            "unbound-t1",
            probe!(|h| {
                let (alice, bob) = (h.new_user().await, h.new_user().await);
                let (t1, x) = h.captcha(&alice).await;
                h.check_captcha(&bob, &t1, x)
                    .await
                    .is(FailureKind::CaptchaTokenInvalid)
            }),
        ),
        (
            "unbound-t2",
            probe!(|h| {
                let (alice, bob) = (h.new_user().await, h.new_user().await);
                let t2 = h.t2(&alice).await;
                h.send_code(&bob, &t2)
                    .await
                    .is(FailureKind::AccessTokenInvalid)
            }),
        ),
        (
            "unbound-code",
            probe!(|h| {
                let (alice, bob) = (h.new_user().await, h.new_user().await);
                let code = h.code(&alice).await;
                h.check_code(&bob, &code)
                    .await
                    .is(FailureKind::CodeMismatch)
            }),
        ),
        (
            "unbound-t3",
            probe!(|h| {
                let (alice, bob) = (h.new_user().await, h.new_user().await);
                let t3 = h.t3(&alice).await;
                h.reset(&bob, &t3, NEW_PASSWORD)
                    .await
                    .is(FailureKind::ResetTokenInvalid)
            }),
        ),
        (
            "t2-from-any-step",
            probe!(|h| {
                let user = h.new_user().await;
                let (t1, _) = h.captcha(&user).await;
                h.send_code(&user, &t1)
                    .await
                    .is(FailureKind::AccessTokenInvalid)
            }),
        ),
        (
            "t3-from-any-step",
            probe!(|h| {
                let user = h.new_user().await;
                let t2 = h.t2(&user).await;
                h.reset(&user, &t2, NEW_PASSWORD)
                    .await
                    .is(FailureKind::ResetTokenInvalid)
            }),
        ),
        (
            "no-password-policy",
            probe!(|h| {
                let user = h.new_user().await;
                let t3 = h.t3(&user).await;
                h.reset(&user, &t3, "aaa")
                    .await
                    .is(FailureKind::PasswordPolicy)
            }),
        ),
        (
            "reveal-unknown-users",
            probe!(|h| { h.send_captcha("+8613799999999").await.ok() }),
        ),
        (
            "malformed-json-500",
            probe!(|h| {
                let op = Operation::CheckCode;
                h.request(op.method(), op.path(), &[], Some(b"{".to_vec()))
                    .await
                    .is(FailureKind::InvalidRequest)
            }),
        ),
        (
            "wrong-error-codes",
            probe!(|h| {
                let answer = h.call(Operation::CheckCode, json!({})).await;
                answer.status == 400 && answer.code() == FailureKind::InvalidRequest.code()
            }),
        ),
        (
            "wrong-status",
            probe!(|h| {
                let answer = h.call(Operation::CheckCode, json!({})).await;
                answer.code() == FailureKind::InvalidRequest.code() && answer.status == 400
            }),
        ),
        (
            "leak-code",
            probe!(|h| {
                let user = h.new_user().await;
                let t2 = h.t2(&user).await;
                h.send_code(&user, &t2).await.json.get("code").is_none()
            }),
        ),
        (
            "no-request-id",
            probe!(|h| {
                h.call(Operation::CheckCode, json!({}))
                    .await
                    .headers
                    .contains_key("x-request-id")
            }),
        ),
        (
            "ignore-accept-language",
            probe!(|h| {
                let answer = h
                    .call_with(
                        Operation::CheckCode,
                        &[("Accept-Language", "en-US")],
                        json!({}),
                    )
                    .await;
                answer.json["error_msg"]
                    .as_str()
                    .unwrap_or("")
                    .starts_with("The request")
            }),
        ),
        (
            "latency=check_code:1s",
            probe!(|h| {
                let started = Instant::now();
                h.check_code("+8613600000000", "123456").await;
                started.elapsed() < Duration::from_millis(500)
            }),
        ),
        (
            "stall=0s:1s",
            probe!(|h| {
                let started = Instant::now();
                h.send_captcha("+8613600000000").await;
                started.elapsed() < Duration::from_millis(500)
            }),
        ),
        (
            "fail-fraction=1",
            probe!(|h| { h.send_captcha("+8613600000000").await.status != 500 }),
        ),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_fault_breaks_exactly_what_its_probe_checks() {
    let probes = probes();
    for (name, probe) in &probes {
        let clean = start(config(Vec::new())).await;
        assert!(
            probe(&clean).await,
            "clean gateway fails the probe of {name}"
        );
        let fault: Fault = name.parse().expect("fault parses");
        let faulty = start(config(vec![fault])).await;
        assert!(
            !probe(&faulty).await,
            "the probe of {name} does not catch it"
        );
    }
}

#[test]
fn every_catalogued_fault_has_a_probe() {
    let probed: Vec<String> = probes()
        .iter()
        .map(|(name, _)| name.split('=').next().unwrap_or(name).to_owned())
        .collect();
    for (syntax, _) in CATALOGUE {
        let name = syntax.split('=').next().unwrap_or(syntax);
        assert!(probed.iter().any(|p| p == name), "no probe for {name}");
    }
}

/// The concurrency guarantee has teeth: with a reuse fault, racing uses all win.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_replays_win_under_the_reuse_fault() {
    let h = std::sync::Arc::new(start(config(vec![Fault::ReuseT3])).await);
    let user = h.new_user().await;
    let t3 = h.t3(&user).await;
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let (h, user, t3) = (std::sync::Arc::clone(&h), user.clone(), t3.clone());
            tokio::spawn(async move { h.reset(&user, &t3, NEW_PASSWORD).await.ok() })
        })
        .collect();
    let mut wins = 0;
    for task in tasks {
        wins += usize::from(task.await.expect("task"));
    }
    assert_eq!(wins, 20);
}
