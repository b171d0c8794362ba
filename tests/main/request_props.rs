//! Property tests of request handling, in-process (no sockets): arbitrary and mutated bodies,
//! headers and content types for every endpoint never produce a 5xx or a panic, and every error
//! is a well-formed body with a code of the reference profile.

use std::sync::LazyLock;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::Router;
use gatecheck::api::Operation;
use gatecheck::gateway::{router, Clock, FailureKind, Fault, FaultSet, Flow, GatewayConfig};
use http_body_util::BodyExt;
use proptest::prelude::*;
use serde_json::{json, Value};
use tower::ServiceExt;

static RUNTIME: LazyLock<tokio::runtime::Runtime> =
    LazyLock::new(crate::support::current_thread_runtime);

static APP: LazyLock<Router> = LazyLock::new(|| app(Vec::new()));

fn app(faults: Vec<Fault>) -> Router {
    let config = GatewayConfig {
        captcha_pool: 2,
        faults: FaultSet::new(faults),
        ..GatewayConfig::default()
    };
    router(std::sync::Arc::new(
        Flow::new(config, Clock::system()).expect("gateway"),
    ))
}

/// Every route the gateway serves, with a valid body to mutate.
fn endpoints() -> Vec<(String, String, Value)> {
    let mut all: Vec<(String, String, Value)> = Operation::ALL
        .into_iter()
        .map(|op| {
            (
                op.method().to_string(),
                op.path().to_owned(),
                valid_body(op),
            )
        })
        .collect();
    let test_support = [
        (
            "POST",
            "/test/v1/users",
            json!({"user": "p@example.com", "password": "Xy#12345"}),
        ),
        ("POST", "/test/v1/clock/advance", json!({"seconds": 0})),
        (
            "GET",
            "/test/v1/outbox/latest?user=%2B8613600000000",
            Value::Null,
        ),
        ("GET", "/test/v1/captcha/abc", Value::Null),
    ];
    all.extend(test_support.map(|(method, path, body)| (method.to_owned(), path.to_owned(), body)));
    all
}

fn valid_body(op: Operation) -> Value {
    let user = "+8613600000001";
    match op {
        Operation::SendCaptcha => json!({"user": user, "clientType": 0, "checkType": 1}),
        Operation::CheckCaptcha => {
            json!({"user": user, "clientType": 0, "checkType": 1, "token": "aaRxSVfSPmqVbfuoCluTt09PKlqoEHLUT", "pointX": 202, "slideTime": 1800})
        }
        Operation::SendCode => {
            json!({"user": user, "token": "agK_sFo41Av3soACz1UlGjtfRsFjD4e1y", "sendMethod": "sms"})
        }
        Operation::CheckCode => json!({"user": user, "code": "123456"}),
        Operation::ResetPassword => {
            json!({"user": user, "newPwd": "Abcd1234!x", "passWordType": 1})
        }
        Operation::Login => json!({"account": user, "clientType": 72}),
    }
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        "\\PC{0,40}".prop_map(Value::from),
        "[a-zA-Z0-9_-]{250,260}".prop_map(Value::from),
        Just(Value::from(-1)),
        Just(Value::from(0)),
        Just(Value::from(i64::from(i32::MAX) + 1)),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-zA-Z]{1,8}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

#[derive(Debug, Clone)]
enum Mutation {
    Keep,
    Remove(usize),
    Replace(usize, Value),
    Add(String, Value),
    Duplicate(usize),
    WholeBody(Value),
    Bytes(Vec<u8>),
    Truncate(usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        Just(Mutation::Keep),
        any::<usize>().prop_map(Mutation::Remove),
        (any::<usize>(), json_value()).prop_map(|(i, v)| Mutation::Replace(i, v)),
        ("[a-zA-Z]{1,10}", json_value()).prop_map(|(k, v)| Mutation::Add(k, v)),
        any::<usize>().prop_map(Mutation::Duplicate),
        json_value().prop_map(Mutation::WholeBody),
        prop::collection::vec(any::<u8>(), 0..64).prop_map(Mutation::Bytes),
        any::<usize>().prop_map(Mutation::Truncate),
    ]
}

fn apply(body: &Value, mutations: &[Mutation]) -> Vec<u8> {
    let mut value = body.clone();
    let mut raw: Option<Vec<u8>> = None;
    for mutation in mutations {
        let keys: Vec<String> = value
            .as_object()
            .map(|o| o.keys().cloned().collect())
            .unwrap_or_default();
        let pick = |i: &usize| keys.get(i % keys.len().max(1)).cloned();
        match mutation {
            Mutation::Keep => {}
            Mutation::Remove(i) => {
                if let (Some(key), Some(object)) = (pick(i), value.as_object_mut()) {
                    object.remove(&key);
                }
            }
            Mutation::Replace(i, v) => {
                if let (Some(key), Some(object)) = (pick(i), value.as_object_mut()) {
                    object.insert(key, v.clone());
                }
            }
            Mutation::Add(key, v) => {
                if let Some(object) = value.as_object_mut() {
                    object.insert(key.clone(), v.clone());
                }
            }
            Mutation::Duplicate(i) => {
                if let Some(key) = pick(i) {
                    let text = value.to_string();
                    let text = text.trim_end_matches('}');
                    let separator = if text.ends_with('{') { "" } else { ", " };
                    raw = Some(format!("{text}{separator}\"{key}\": \"dup\"}}").into_bytes());
                }
            }
            Mutation::WholeBody(v) => value = v.clone(),
            Mutation::Bytes(bytes) => raw = Some(bytes.clone()),
            Mutation::Truncate(at) => {
                let text = value.to_string().into_bytes();
                raw = Some(text[..at % (text.len() + 1)].to_vec());
            }
        }
    }
    raw.unwrap_or_else(|| value.to_string().into_bytes())
}

fn content_type() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        Just(None),
        Just(Some("application/json".to_owned())),
        Just(Some("application/json; charset=UTF-8".to_owned())),
        Just(Some("text/plain".to_owned())),
        Just(Some("application/json; charset=latin1".to_owned())),
        "[ -~]{0,40}".prop_map(Some),
    ]
}

fn header_value() -> impl Strategy<Value = Option<String>> {
    prop_oneof![Just(None), "[ -~]{0,60}".prop_map(Some)]
}

#[derive(Debug, Clone)]
struct Case {
    endpoint: usize,
    mutations: Vec<Mutation>,
    content_type: Option<String>,
    accept_language: Option<String>,
    request_id: Option<String>,
    access_token: Option<String>,
    authorization: Option<String>,
}

fn case() -> impl Strategy<Value = Case> {
    (
        0..endpoints().len(),
        prop::collection::vec(mutation(), 0..4),
        content_type(),
        header_value(),
        header_value(),
        header_value(),
        header_value(),
    )
        .prop_map(
            |(
                endpoint,
                mutations,
                content_type,
                accept_language,
                request_id,
                access_token,
                authorization,
            )| Case {
                endpoint,
                mutations,
                content_type,
                accept_language,
                request_id,
                access_token,
                authorization,
            },
        )
}

async fn send(app: &Router, case: &Case) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
    let (method, path, body) = &endpoints()[case.endpoint];
    let mut request = Request::builder()
        .method(method.as_str())
        .uri(path.as_str());
    let headers = [
        ("content-type", &case.content_type),
        ("accept-language", &case.accept_language),
        ("x-request-id", &case.request_id),
        ("x-access-token", &case.access_token),
        ("authorization", &case.authorization),
    ];
    for (name, value) in headers {
        if let Some(value) = value {
            request = request.header(name, value.trim());
        }
    }
    let request = request
        .body(Body::from(apply(body, &case.mutations)))
        .expect("request");
    let response = app.clone().oneshot(request).await.expect("infallible");
    let (parts, body) = response.into_parts();
    let bytes = body.collect().await.expect("body").to_bytes().to_vec();
    (parts.status, parts.headers, bytes)
}

/// The invariant: never a 5xx, an X-Request-Id always, and every error exactly
/// `{"error_code", "error_msg"}` with a known code and that code's status.
fn check_answer(
    status: StatusCode,
    headers: &axum::http::HeaderMap,
    body: &[u8],
) -> Result<(), String> {
    if status.as_u16() >= 500 {
        return Err(format!("{status}: {}", String::from_utf8_lossy(body)));
    }
    if !headers.contains_key("x-request-id") {
        return Err("no X-Request-Id".into());
    }
    if status.is_success() {
        let object = serde_json::from_slice::<Value>(body)
            .map(|v| v.is_object())
            .unwrap_or(false);
        return if body.is_empty() || object {
            Ok(())
        } else {
            Err("success body is not a JSON object".into())
        };
    }
    let value: Value =
        serde_json::from_slice(body).map_err(|e| format!("error body is not JSON: {e}"))?;
    let object = value.as_object().ok_or("error body is not an object")?;
    let message = object
        .get("error_msg")
        .and_then(Value::as_str)
        .unwrap_or("");
    if object.len() != 2 || message.is_empty() {
        return Err(format!("error body has the wrong shape: {value}"));
    }
    let code = object
        .get("error_code")
        .and_then(Value::as_str)
        .unwrap_or("");
    match FailureKind::ALL.into_iter().find(|k| k.code() == code) {
        Some(kind) if kind.info().status == status.as_u16() => Ok(()),
        Some(kind) => Err(format!(
            "{code} is {} but came with {status}",
            kind.info().status
        )),
        None => Err(format!("unknown code {code}")),
    }
}

#[test]
fn the_invariant_catches_faulty_gateways() {
    let malformed = Case {
        endpoint: 3,
        mutations: vec![Mutation::Bytes(b"{".to_vec())],
        content_type: None,
        accept_language: None,
        request_id: None,
        access_token: None,
        authorization: None,
    };
    for fault in [
        Fault::MalformedJson500,
        Fault::WrongErrorCodes,
        Fault::WrongStatus,
        Fault::NoRequestId,
    ] {
        let faulty = app(vec![fault.clone()]);
        let (status, headers, body) = RUNTIME.block_on(send(&faulty, &malformed));
        assert!(
            check_answer(status, &headers, &body).is_err(),
            "{fault:?} not caught"
        );
    }
    let (status, headers, body) = RUNTIME.block_on(send(&APP, &malformed));
    assert_eq!(check_answer(status, &headers, &body), Ok(()));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn never_a_5xx_and_always_a_well_formed_answer(case in case()) {
        let (status, headers, body) = RUNTIME.block_on(send(&APP, &case));
        prop_assert_eq!(check_answer(status, &headers, &body), Ok(()), "{:?}", case);
    }
}
