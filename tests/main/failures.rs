//! Every failure kind of the reference profile met along the flow: boundary values, burnt
//! tokens, the resend interval and attempt limit, password policy, login, and the
//! no-enumeration rule. Request-level refusals are in `requests`.

use gatecheck::api::Operation;
use gatecheck::gateway::FailureKind::*;
use serde_json::json;

use crate::support::{percent_encode, start_clean, NEW_PASSWORD};

#[tokio::test]
async fn x_tolerance_boundaries_are_inclusive_at_4() {
    let h = start_clean().await;
    let user = h.new_user().await;
    for (delta, passes) in [(-5i64, false), (-4, true), (0, true), (4, true), (5, false)] {
        let (t1, x) = h.captcha(&user).await;
        let answer = h.check_captcha(&user, &t1, x + delta).await;
        if passes {
            assert!(answer.ok(), "delta {delta}: {}", answer.text);
        } else {
            answer.assert_kind(CaptchaMismatch);
        }
    }
    for far in [-5i64, -300, 100_000, i32::MAX as i64] {
        let (t1, _) = h.captcha(&user).await;
        h.check_captcha(&user, &t1, far)
            .await
            .assert_kind(CaptchaMismatch);
    }
}

#[tokio::test]
async fn slide_time_must_be_plausible() {
    let h = start_clean().await;
    let user = h.new_user().await;
    for (slide_time, passes) in [
        (99, false),
        (100, true),
        (60_000, true),
        (60_001, false),
        (-1, false),
        (0, false),
    ] {
        let (t1, x) = h.captcha(&user).await;
        let answer = h
            .call(Operation::CheckCaptcha, json!({"user": user, "clientType": 0, "checkType": 1, "token": t1, "pointX": x, "slideTime": slide_time}))
            .await;
        if passes {
            assert!(answer.ok(), "{slide_time}: {}", answer.text);
        } else {
            answer.assert_kind(CaptchaMismatch);
        }
    }
}

#[tokio::test]
async fn a_failed_captcha_check_burns_t1() {
    let h = start_clean().await;
    let user = h.new_user().await;
    let (t1, x) = h.captcha(&user).await;
    h.check_captcha(&user, &t1, x + 50)
        .await
        .assert_kind(CaptchaMismatch);
    h.check_captcha(&user, &t1, x)
        .await
        .assert_kind(CaptchaTokenInvalid);
}

#[tokio::test]
async fn token_failures_of_each_step() {
    let h = start_clean().await;
    let user = h.new_user().await;
    h.check_captcha(&user, "PXB2RkHvI88hHwRv9dGFVN234I7h55lEZ", 100)
        .await
        .assert_kind(CaptchaTokenInvalid);
    h.call(Operation::SendCode, json!({"user": user}))
        .await
        .assert_kind(AccessTokenInvalid);
    h.send_code(&user, "agK_sFo41Av3soACz1UlGjtfRsFjD4e1y")
        .await
        .assert_kind(AccessTokenInvalid);
    h.call(
        Operation::ResetPassword,
        json!({"user": user, "newPwd": NEW_PASSWORD}),
    )
    .await
    .assert_kind(ResetTokenInvalid);
    h.reset(&user, "cQBefFS2y_rcG90p76daCPdViej7yPgXi", NEW_PASSWORD)
        .await
        .assert_kind(ResetTokenInvalid);
}

#[tokio::test]
async fn resend_interval_applies_per_user() {
    let h = start_clean().await;
    let user = h.new_user().await;
    let _ = h.code(&user).await;
    let t2 = h.t2(&user).await;
    h.send_code(&user, &t2).await.assert_kind(SendTooFrequent);
    let other = h.new_user().await;
    let _ = h.code(&other).await; // another user is not held back
    h.advance(60).await;
    let t2 = h.t2(&user).await;
    assert!(h.send_code(&user, &t2).await.ok());
}

#[tokio::test]
async fn wrong_codes_and_the_attempt_limit() {
    let h = start_clean().await;
    let user = h.new_user().await;
    h.check_code(&user, "000000")
        .await
        .assert_kind(CodeMismatch); // nothing pending
    let code = h.code(&user).await;
    let wrong = if code == "999999" { "999998" } else { "999999" };
    for _ in 0..5 {
        h.check_code(&user, wrong).await.assert_kind(CodeMismatch);
    }
    h.check_code(&user, &code)
        .await
        .assert_kind(CodeAttemptsExceeded);
    h.check_code(&user, &code)
        .await
        .assert_kind(CodeAttemptsExceeded);
    h.advance(60).await;
    let fresh = h.code(&user).await; // a new send replaces the burnt code
    assert!(h.check_code(&user, &fresh).await.ok());
}

#[tokio::test]
async fn four_wrong_codes_still_leave_the_right_one_usable() {
    let h = start_clean().await;
    let user = h.new_user().await;
    let code = h.code(&user).await;
    let wrong = if code == "999999" { "999998" } else { "999999" };
    for _ in 0..4 {
        h.check_code(&user, wrong).await.assert_kind(CodeMismatch);
    }
    assert!(h.check_code(&user, &code).await.ok());
}

#[tokio::test]
async fn a_new_send_replaces_the_pending_code() {
    let h = start_clean().await;
    let user = h.new_user().await;
    let first = h.code(&user).await;
    h.advance(61).await;
    let second = h.code(&user).await;
    if first != second {
        h.check_code(&user, &first).await.assert_kind(CodeMismatch);
    }
    assert!(h.check_code(&user, &second).await.ok());
}

#[tokio::test]
async fn password_policy_boundaries() {
    let h = start_clean().await;
    let user = h.new_user().await; // account name acct<digits>
    let cases = [
        ("Abcd123", false),                           // 7 characters
        ("Abcd1234", true),                           // 8
        (&*format!("Ab{}", "12".repeat(15)), true),   // 32
        (&*format!("Ab{}3", "12".repeat(15)), false), // 33
        ("Abcc1234", true),                           // a run of 2
        ("Abccc123", false),                          // a run of 3
        ("abcdefgh", false),                          // one class
        ("abcdefg1", true),                           // two classes
    ];
    for (password, passes) in cases {
        let t3 = h.t3(&user).await;
        let answer = h.reset(&user, &t3, password).await;
        if passes {
            assert!(answer.ok(), "{password}: {}", answer.text);
        } else {
            answer.assert_kind(PasswordPolicy);
        }
        h.advance(61).await;
    }
    let account = format!("acct{}", &user[6..]);
    for password in [
        format!("X{account}1"),
        format!(
            "x1{}",
            account.chars().rev().collect::<String>().to_uppercase()
        ),
    ] {
        let t3 = h.t3(&user).await;
        h.reset(&user, &t3, &password)
            .await
            .assert_kind(PasswordPolicy);
        h.advance(61).await;
    }
}

#[tokio::test]
async fn login_failures() {
    let h = start_clean().await;
    h.login("acct_user3", "wrong")
        .await
        .assert_kind(LoginFailed);
    h.login("nobody", "Init#Pass04")
        .await
        .assert_kind(LoginFailed);
    h.call(
        Operation::Login,
        json!({"account": "acct_user3", "clientType": 72}),
    )
    .await
    .assert_kind(LoginFailed);
    assert!(h.login("acct_user3", "Init#Pass04").await.ok());
}

/// An unknown user sees the same statuses and shapes as a known one through call 3; call 4
/// then fails with code_mismatch, and nothing is delivered.
#[tokio::test]
async fn unknown_users_are_not_enumerable() {
    let h = start_clean().await;
    let known = h.new_user().await;
    let unknown = "+8613799999999";
    let mut shapes = Vec::new();
    for user in [known.as_str(), unknown] {
        let first = h.send_captcha(user).await;
        let t1 = first.token();
        let x = h.answer_x(&t1).await;
        let second = h.check_captcha(user, &t1, x).await;
        let third = h.send_code(user, &second.token()).await;
        shapes.push([first.status, second.status, third.status]);
        let keys: Vec<&String> = third.json.as_object().expect("object").keys().collect();
        assert_eq!(keys, ["bindEmail", "bindPhone", "expire"]);
        assert!(third.json["bindPhone"]
            .as_str()
            .expect("masked")
            .contains('*'));
    }
    assert_eq!(shapes[0], shapes[1]);
    assert_eq!(shapes[0], [200, 200, 200]);
    let outbox = h
        .request(
            reqwest::Method::GET,
            &format!("/test/v1/outbox/latest?user={}", percent_encode(unknown)),
            &[],
            None,
        )
        .await;
    assert_eq!(outbox.status, 404);
    for guess in ["000000", "123456"] {
        h.check_code(unknown, guess).await.assert_kind(CodeMismatch);
    }
}
