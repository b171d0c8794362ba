//! The full five-call flow for a phone, an e-mail and an account-name user, with login proving
//! the reset took effect.

use gatecheck::api::Operation;
use gatecheck::gateway::FailureKind;
use serde_json::json;

use crate::support::{config, start, start_clean, Harness, NEW_PASSWORD};

/// Runs calls 1-5 for `user` (sending the code over `send_method`) and checks the answers' shapes.
async fn reset_flow(h: &Harness, user: &str, send_method: &str) -> serde_json::Value {
    let first = h.send_captcha(user).await;
    assert!(first.ok(), "{}", first.text);
    for field in ["shadowImage", "cutImage"] {
        let image = first.json[field].as_str().expect(field);
        assert!(image.starts_with("data:image/png;base64,"), "{field}");
    }
    assert!(first.json["pointY"].is_u64());
    assert_eq!(first.json["expire"], 60);
    let t1 = first.token();
    assert_eq!(t1.len(), 33);

    let x = h.answer_x(&t1).await;
    let second = h.check_captcha(user, &t1, x).await;
    assert!(second.ok(), "{}", second.text);
    assert_eq!(second.json["expire"], 60);

    let third = h
        .call(
            Operation::SendCode,
            json!({"user": user, "token": second.token(), "sendMethod": send_method}),
        )
        .await;
    assert!(third.ok(), "{}", third.text);
    assert_eq!(third.json["expire"], 180);
    assert!(
        third.json.get("code").is_none(),
        "the code must never be in the response"
    );

    let code = h.outbox_code(user).await;
    assert_eq!(code.len(), 6);
    let fourth = h.check_code(user, &code).await;
    assert!(fourth.ok(), "{}", fourth.text);
    assert_eq!(fourth.json["expire"], 180);

    let fifth = h.reset(user, &fourth.token(), NEW_PASSWORD).await;
    assert_eq!(fifth.status, 200, "{}", fifth.text);
    assert!(fifth.text.is_empty());
    third.json
}

#[tokio::test]
async fn phone_user_resets_and_logs_in_with_the_new_password_only() {
    let h = start_clean().await;
    let sent = reset_flow(&h, "+8613600000000", "sms").await;
    assert_eq!(sent["bindPhone"], "+8613*******00");
    assert_eq!(sent["bindEmail"], serde_json::Value::Null);
    assert!(h.login("+8613600000000", NEW_PASSWORD).await.ok());
    assert!(h.login("phone_user0", NEW_PASSWORD).await.ok());
    h.login("+8613600000000", "Init#Pass00")
        .await
        .assert_kind(FailureKind::LoginFailed);
}

#[tokio::test]
async fn email_user_resets_and_logs_in_with_the_new_password_only() {
    let h = start_clean().await;
    let sent = reset_flow(&h, "user001@example.com", "email").await;
    assert_eq!(sent["bindEmail"], "us****@example.com");
    assert_eq!(sent["bindPhone"], serde_json::Value::Null);
    assert!(h.login("user001@example.com", NEW_PASSWORD).await.ok());
    h.login("user001@example.com", "Init#Pass02")
        .await
        .assert_kind(FailureKind::LoginFailed);
}

#[tokio::test]
async fn account_name_user_resets_over_either_channel() {
    let h = start_clean().await;
    let sent = reset_flow(&h, "acct_user3", "email").await;
    assert_eq!(sent["bindEmail"], "ac****@example.com");
    assert!(h.login("acct_user3", NEW_PASSWORD).await.ok());
    h.login("acct_user3", "Init#Pass04")
        .await
        .assert_kind(FailureKind::LoginFailed);

    let sent = reset_flow(&h, "acct_user4", "sms").await;
    assert_eq!(sent["bindPhone"], "+8613*******04");
    assert!(h.login("+8613600000004", NEW_PASSWORD).await.ok());
}

#[tokio::test]
async fn a_temporary_password_forces_an_update_at_login() {
    let h = start_clean().await;
    let user = h.new_user().await;
    let t3 = h.t3(&user).await;
    let reset = h
        .call_with(
            Operation::ResetPassword,
            &[("X-Access-Token", &t3)],
            json!({"user": user, "newPwd": NEW_PASSWORD, "passWordType": 1}),
        )
        .await;
    assert!(reset.ok(), "{}", reset.text);
    let login = h.login(&user, NEW_PASSWORD).await;
    assert_eq!(login.json["forceUpdatePassword"], true);
}

#[tokio::test]
async fn every_response_carries_the_documented_headers() {
    let h = start_clean().await;
    let answer = h
        .call_with(
            Operation::SendCaptcha,
            &[("X-Request-ID", "trace-123")],
            json!({"user": "x@example.com", "clientType": 6}),
        )
        .await;
    assert!(answer.ok());
    assert_eq!(answer.headers["x-request-id"], "trace-123");
    assert_eq!(
        answer.headers["content-type"],
        "application/json;charset=UTF-8"
    );
    assert_eq!(answer.headers["cache-control"], "no-cache");
    let generated = h.send_captcha("x@example.com").await;
    let id = generated.headers["x-request-id"].to_str().expect("ascii");
    assert!(uuid::Uuid::parse_str(id).is_ok(), "{id}");
}

#[tokio::test]
async fn generated_users_can_reset() {
    let h = start(gatecheck::gateway::GatewayConfig {
        generated: gatecheck::gateway::users::GeneratedUsers::reference(1000),
        ..config(Vec::new())
    })
    .await;
    let user = "+8613900000999";
    let t3 = h.t3(user).await;
    assert!(h.reset(user, &t3, NEW_PASSWORD).await.ok());
    assert!(h.login("load00000999", NEW_PASSWORD).await.ok());
    h.login(user, gatecheck::gateway::users::GENERATED_PASSWORD)
        .await
        .assert_kind(FailureKind::LoginFailed);
}
