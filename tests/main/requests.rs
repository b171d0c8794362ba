//! Requests the reference gateway must refuse before any flow state is touched: bodies that
//! are not JSON objects, Content-Type, field validation of every call, duplicate keys, error
//! messages by Accept-Language, the one error shape, unknown paths and methods, body size.

use gatecheck::api::Operation;
use gatecheck::gateway::FailureKind::{self, *};
use serde_json::{json, Value};

use crate::support::{start_clean, Answer, Harness, NEW_PASSWORD};

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
