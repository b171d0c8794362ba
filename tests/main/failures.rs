//! Every failure kind of the reference profile, field validation, boundary values, languages
//! and the no-enumeration rule.

use gatecheck::api::Operation;
use gatecheck::gateway::FailureKind::{self, *};
use serde_json::{json, Value};

use crate::support::{percent_encode, start_clean, Answer, Harness, NEW_PASSWORD};

async fn raw(h: &Harness, op: Operation, content_type: Option<&str>, body: &str) -> Answer {
    let headers: Vec<(&str, &str)> = content_type
        .map(|ct| ("Content-Type", ct))
        .into_iter()
        .collect();
    h.request(
        op.method(),
        op.path(),
        &headers,
        Some(body.as_bytes().to_vec()),
    )
    .await
}

#[tokio::test]
async fn bodies_that_are_not_json_objects_are_invalid_requests() {
    let h = start_clean().await;
    for op in Operation::ALL {
        for body in [
            "",
            "{",
            "not json",
            "[]",
            "42",
            "null",
            "{\"user\": \"a\"",
            "\u{feff}{}",
        ] {
            raw(&h, op, Some("application/json"), body)
                .await
                .assert_kind(InvalidRequest);
        }
    }
}

#[tokio::test]
async fn content_type_must_be_json_or_absent() {
    let h = start_clean().await;
    let body = r#"{"user": "+8613600000000", "clientType": 0, "checkType": 1}"#;
    for ok in [
        None,
        Some("application/json"),
        Some("application/json; charset=UTF-8"),
        Some("application/json;charset=utf-8"),
    ] {
        let answer = raw(&h, Operation::SendCaptcha, ok, body).await;
        assert!(answer.ok(), "{ok:?}: {}", answer.text);
    }
    for bad in [
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data",
        "application/json; charset=iso-8859-1",
    ] {
        raw(&h, Operation::SendCaptcha, Some(bad), body)
            .await
            .assert_kind(InvalidRequest);
    }
}

#[tokio::test]
async fn fields_are_validated_for_every_call() {
    let h = start_clean().await;
    let long = "a".repeat(256);
    let cases: Vec<(Operation, Value)> = vec![
        (Operation::SendCaptcha, json!({"clientType": 0})),
        (Operation::SendCaptcha, json!({"user": "+8613600000000"})),
        (
            Operation::SendCaptcha,
            json!({"user": 13600000000i64, "clientType": 0}),
        ),
        (
            Operation::SendCaptcha,
            json!({"user": "+8613600000000", "clientType": "0"}),
        ),
        (
            Operation::SendCaptcha,
            json!({"user": "+8613600000000", "clientType": 3}),
        ),
        (
            Operation::SendCaptcha,
            json!({"user": "+8613600000000", "clientType": 0, "checkType": 2}),
        ),
        (
            Operation::SendCaptcha,
            json!({"user": "+8613600000000", "clientType": 0.0}),
        ),
        (Operation::SendCaptcha, json!({"user": "", "clientType": 0})),
        (
            Operation::SendCaptcha,
            json!({"user": long, "clientType": 0}),
        ),
        (
            Operation::SendCaptcha,
            json!({"user": "+8613600000000", "clientType": 4294967296i64}),
        ),
        (
            Operation::CheckCaptcha,
            json!({"user": "u", "clientType": 0, "pointX": 1, "slideTime": 500}),
        ),
        (
            Operation::CheckCaptcha,
            json!({"user": "u", "clientType": 0, "token": "t", "slideTime": 500}),
        ),
        (
            Operation::CheckCaptcha,
            json!({"user": "u", "clientType": 0, "token": "t", "pointX": 1}),
        ),
        (
            Operation::CheckCaptcha,
            json!({"user": "u", "clientType": 0, "token": "t", "pointX": "1", "slideTime": 500}),
        ),
        (
            Operation::CheckCaptcha,
            json!({"user": "u", "clientType": 0, "token": "", "pointX": 1, "slideTime": 500}),
        ),
        (
            Operation::CheckCaptcha,
            json!({"user": "u", "clientType": 0, "token": long, "pointX": 1, "slideTime": 500}),
        ),
        (
            Operation::CheckCaptcha,
            json!({"user": "u", "clientType": 0, "token": "t", "pointX": 1.5, "slideTime": 500}),
        ),
        (Operation::SendCode, json!({"token": "t"})),
        (
            Operation::SendCode,
            json!({"user": "+8613600000000", "token": "t", "sendMethod": "fax"}),
        ),
        (
            Operation::SendCode,
            json!({"user": "acct_user3", "token": "t"}),
        ),
        (
            Operation::SendCode,
            json!({"user": "+8613600000000", "token": 5}),
        ),
        (Operation::CheckCode, json!({"user": "+8613600000000"})),
        (
            Operation::CheckCode,
            json!({"user": "+8613600000000", "code": 123456}),
        ),
        (
            Operation::CheckCode,
            json!({"user": "+8613600000000", "code": ""}),
        ),
        (
            Operation::CheckCode,
            json!({"user": "+8613600000000", "code": "1".repeat(33)}),
        ),
        (Operation::ResetPassword, json!({"newPwd": NEW_PASSWORD})),
        (Operation::ResetPassword, json!({"user": "+8613600000000"})),
        (
            Operation::ResetPassword,
            json!({"user": "+8613600000000", "newPwd": 12345678}),
        ),
        (
            Operation::ResetPassword,
            json!({"user": "+8613600000000", "newPwd": NEW_PASSWORD, "passWordType": "1"}),
        ),
        (Operation::Login, json!({"clientType": 72})),
        (Operation::Login, json!({"account": "acct_user3"})),
    ];
    for (op, body) in cases {
        let answer = h
            .call_with(op, &[("X-Access-Token", "whatever")], body.clone())
            .await;
        assert_eq!(
            (answer.status, answer.code()),
            (400, "USG.290000400"),
            "{} {body}: {}",
            op.name(),
            answer.text
        );
    }
}

#[tokio::test]
async fn unknown_fields_are_ignored_and_duplicates_refused() {
    let h = start_clean().await;
    let extra = h
        .call(
            Operation::SendCaptcha,
            json!({"user": "+8613600000000", "clientType": 5, "extra": {"a": [1]}}),
        )
        .await;
    assert!(extra.ok(), "{}", extra.text);
    raw(
        &h,
        Operation::SendCaptcha,
        None,
        r#"{"user": "a", "user": "b", "clientType": 0}"#,
    )
    .await
    .assert_kind(InvalidRequest);
}

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

#[tokio::test]
async fn error_messages_follow_accept_language() {
    let h = start_clean().await;
    let body = json!({"user": "+8613600000000", "clientType": 9});
    let en = h
        .call_with(
            Operation::SendCaptcha,
            &[("Accept-Language", "en-US")],
            body.clone(),
        )
        .await;
    let zh = h
        .call_with(
            Operation::SendCaptcha,
            &[("Accept-Language", "zh-CN")],
            body.clone(),
        )
        .await;
    let default = h.call(Operation::SendCaptcha, body).await;
    assert!(en.json["error_msg"]
        .as_str()
        .expect("msg")
        .starts_with("The request parameters are invalid"));
    assert!(zh.json["error_msg"]
        .as_str()
        .expect("msg")
        .starts_with("请求参数错误"));
    assert_eq!(default.json["error_msg"], zh.json["error_msg"]);
}

/// Every error body is exactly {"error_code", "error_msg"} and carries X-Request-Id.
#[tokio::test]
async fn error_bodies_have_one_shape() {
    let h = start_clean().await;
    let answers = [
        h.call(Operation::CheckCode, json!({"user": "x"})).await,
        h.check_captcha("x", "nope", 1).await,
        h.login("x", "y").await,
        h.request(
            reqwest::Method::GET,
            "/v1/usg/acs/verifycode/check",
            &[],
            None,
        )
        .await,
        h.request(reqwest::Method::GET, "/nowhere", &[], None).await,
    ];
    for answer in answers {
        let object = answer.json.as_object().expect("JSON object");
        assert_eq!(object.len(), 2, "{}", answer.text);
        let code = object["error_code"].as_str().expect("code");
        assert!(code.starts_with("USG.") && code.len() == 13, "{code}");
        assert!(object["error_msg"].is_string());
        assert!(answer.headers.contains_key("x-request-id"));
    }
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

#[tokio::test]
async fn unknown_paths_and_methods() {
    let h = start_clean().await;
    let answer = h
        .request(
            reqwest::Method::GET,
            Operation::SendCaptcha.path(),
            &[],
            None,
        )
        .await;
    answer.assert_kind(FailureKind::MethodNotAllowed);
    h.request(reqwest::Method::POST, "/v1/usg/acs/nothing", &[], None)
        .await
        .assert_kind(FailureKind::NotFound);
}

#[tokio::test]
async fn oversized_bodies_are_refused() {
    let h = start_clean().await;
    let body = format!(r#"{{"user": "{}", "clientType": 0}}"#, "a".repeat(100_000));
    raw(&h, Operation::SendCaptcha, None, &body)
        .await
        .assert_kind(InvalidRequest);
}
