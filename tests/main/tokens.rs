//! Every token (T1, T2, code, T3) replayed, expired, used for another user and used in the
//! wrong step.

use gatecheck::api::Operation;
use gatecheck::gateway::FailureKind::*;
use serde_json::json;

use crate::support::{start_clean, NEW_PASSWORD};

#[tokio::test]
async fn replayed_tokens_fail() {
    let h = start_clean().await;
    let user = h.new_user().await;
    let (t1, x) = h.captcha(&user).await;
    let t2 = h.check_captcha(&user, &t1, x).await.token();
    h.check_captcha(&user, &t1, x)
        .await
        .assert_kind(CaptchaTokenInvalid);
    assert!(h.send_code(&user, &t2).await.ok());
    // T2 is judged before the resend interval, so a replay is a token failure.
    h.send_code(&user, &t2)
        .await
        .assert_kind(AccessTokenInvalid);
    let code = h.outbox_code(&user).await;
    let t3 = h.check_code(&user, &code).await.token();
    h.check_code(&user, &code).await.assert_kind(CodeMismatch);
    assert!(h.reset(&user, &t3, NEW_PASSWORD).await.ok());
    h.reset(&user, &t3, "Other#Pass55")
        .await
        .assert_kind(ResetTokenInvalid);
    assert!(h.login(&user, NEW_PASSWORD).await.ok());
}

#[tokio::test]
async fn expired_tokens_fail_and_live_ones_pass_just_before() {
    let h = start_clean().await;
    let user = h.new_user().await;

    let (t1, x) = h.captcha(&user).await;
    h.advance(59).await;
    assert!(
        h.check_captcha(&user, &t1, x).await.ok(),
        "T1 at 59 s is live"
    );
    let (t1, x) = h.captcha(&user).await;
    h.advance(60).await;
    h.check_captcha(&user, &t1, x)
        .await
        .assert_kind(CaptchaTokenInvalid);

    let t2 = h.t2(&user).await;
    h.advance(60).await;
    h.send_code(&user, &t2)
        .await
        .assert_kind(AccessTokenInvalid);

    let code = h.code(&user).await;
    h.advance(180).await;
    h.check_code(&user, &code).await.assert_kind(CodeMismatch);

    h.advance(60).await;
    let t3 = h.t3(&user).await;
    h.advance(180).await;
    h.reset(&user, &t3, NEW_PASSWORD)
        .await
        .assert_kind(ResetTokenInvalid);
}

#[tokio::test]
async fn tokens_of_another_user_fail() {
    let h = start_clean().await;
    let alice = h.new_user().await;
    let bob = h.new_user().await;

    let (t1, x) = h.captcha(&alice).await;
    h.check_captcha(&bob, &t1, x)
        .await
        .assert_kind(CaptchaTokenInvalid);
    let (t1, x) = h.captcha(&alice).await;
    let other_client = h
        .call(Operation::CheckCaptcha, json!({"user": alice, "clientType": 5, "checkType": 1, "token": t1, "pointX": x, "slideTime": 900}))
        .await;
    other_client.assert_kind(CaptchaTokenInvalid);
    let (t1, x) = h.captcha(&alice).await;
    let other_check_type = h
        .call(Operation::CheckCaptcha, json!({"user": alice, "clientType": 0, "checkType": 0, "token": t1, "pointX": x, "slideTime": 900}))
        .await;
    other_check_type.assert_kind(CaptchaTokenInvalid);

    let t2 = h.t2(&alice).await;
    h.send_code(&bob, &t2).await.assert_kind(AccessTokenInvalid);

    let code = h.code(&alice).await;
    h.check_code(&bob, &code).await.assert_kind(CodeMismatch);

    let t3 = h.check_code(&alice, &code).await.token();
    h.reset(&bob, &t3, NEW_PASSWORD)
        .await
        .assert_kind(ResetTokenInvalid);
    h.login(&bob, NEW_PASSWORD).await.assert_kind(LoginFailed);
}

#[tokio::test]
async fn tokens_used_in_the_wrong_step_fail() {
    let h = start_clean().await;
    let user = h.new_user().await;
    let (t1, _) = h.captcha(&user).await;
    h.send_code(&user, &t1)
        .await
        .assert_kind(AccessTokenInvalid); // T1 as T2
    h.reset(&user, &t1, NEW_PASSWORD)
        .await
        .assert_kind(ResetTokenInvalid); // T1 as T3

    let t2 = h.t2(&user).await;
    h.check_captcha(&user, &t2, 100)
        .await
        .assert_kind(CaptchaTokenInvalid); // T2 as T1
    h.reset(&user, &t2, NEW_PASSWORD)
        .await
        .assert_kind(ResetTokenInvalid); // T2 as T3

    let t3 = h.t3(&user).await;
    h.check_captcha(&user, &t3, 100)
        .await
        .assert_kind(CaptchaTokenInvalid); // T3 as T1
    h.advance(61).await;
    h.send_code(&user, &t3)
        .await
        .assert_kind(AccessTokenInvalid); // T3 as T2
    h.check_code(&user, &t3).await.assert_kind(InvalidRequest); // T3 is too long for a code
    assert!(
        h.reset(&user, &t3, NEW_PASSWORD).await.ok(),
        "T3 itself was not burnt by the misuses"
    );
}

#[tokio::test]
async fn the_login_token_does_not_authorise_a_reset() {
    let h = start_clean().await;
    let login = h.login("acct_user3", "Init#Pass04").await;
    let access_token = login.json["accessToken"].as_str().expect("accessToken");
    h.reset("acct_user3", access_token, NEW_PASSWORD)
        .await
        .assert_kind(ResetTokenInvalid);
}
