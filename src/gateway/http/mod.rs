//! The HTTP face of the gateway: routes, body reading, and the one place that turns a reply or a
//! failure into a response (status, JSON error body in the caller's language, `X-Request-Id`,
//! and the faults that bend responses).

mod body;
mod test_support;

pub use body::{DRAIN_LIMIT, DRAIN_TIME};
pub use test_support::token_accepted;

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::Response;
use axum::routing::{get, post, put, MethodRouter};
use axum::Router;
use rand::Rng;
use serde::Serialize;

use super::failure::{Failure, FailureKind};
use super::fault::{Fault, FaultSet};
use super::flow::{Flow, Reply};
use super::request::{self, CallBody};
use crate::api::{test_support as paths, Operation};

pub const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
pub const X_ACCESS_TOKEN: HeaderName = HeaderName::from_static("x-access-token");
const JSON_UTF8: HeaderValue = HeaderValue::from_static("application/json;charset=UTF-8");
const NO_CACHE: HeaderValue = HeaderValue::from_static("no-cache");

/// The gateway's router: the six calls, and the test-support endpoints when enabled.
pub fn router(flow: Arc<Flow>) -> Router {
    let mut router = Router::new();
    for operation in Operation::ALL {
        let handler = move |State(flow): State<Arc<Flow>>, request: Request| {
            api_call(flow, operation, request)
        };
        let route: MethodRouter<Arc<Flow>> = if operation.method() == axum::http::Method::POST {
            post(handler)
        } else {
            put(handler)
        };
        router = router.route(operation.path(), route);
    }
    if flow.config().test_support {
        router = router
            .route(
                &format!("{}{{token}}", paths::CAPTCHA_PREFIX),
                get(test_support::captcha_answer),
            )
            .route(paths::OUTBOX_LATEST, get(test_support::outbox_latest))
            .route(paths::CLOCK_ADVANCE, post(test_support::advance_clock))
            .route(paths::USERS, post(test_support::create_user));
    }
    router
        .fallback(
            |State(flow): State<Arc<Flow>>, headers: HeaderMap| async move {
                respond(
                    &flow,
                    Route::Api,
                    &headers,
                    Err(FailureKind::NotFound.into()),
                )
            },
        )
        .method_not_allowed_fallback(
            |State(flow): State<Arc<Flow>>, headers: HeaderMap| async move {
                respond(
                    &flow,
                    Route::Api,
                    &headers,
                    Err(FailureKind::MethodNotAllowed.into()),
                )
            },
        )
        .layer(axum::middleware::from_fn_with_state(
            Arc::clone(&flow),
            body::read_first,
        ))
        .with_state(flow)
}

async fn api_call(flow: Arc<Flow>, operation: Operation, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let headers = parts.headers;
    if let Some((from, to)) = flow.config().faults.stall() {
        let now = flow.uptime();
        if now >= from && now < to {
            tokio::time::sleep(to - now).await;
        }
    }
    let fails_on_purpose = flow
        .config()
        .faults
        .fail_fraction()
        .is_some_and(|p| rand::rng().random_bool(p));
    let result = if fails_on_purpose {
        Err(FailureKind::Internal.into())
    } else {
        let policy = &flow.config().requests;
        match axum::body::to_bytes(body, policy.max_body_bytes).await {
            Ok(bytes) => dispatch(&flow, operation, &headers, &bytes),
            Err(_) if policy.too_large_is_413 => Err(FailureKind::PayloadTooLarge.into()),
            Err(_) => Err(Failure::invalid(format!(
                "body larger than {} bytes or unreadable",
                policy.max_body_bytes
            ))),
        }
    };
    if let Some(delay) = flow.config().faults.latency_of(operation) {
        tokio::time::sleep(delay).await;
    }
    respond(&flow, Route::Api, &headers, result)
}

fn dispatch(
    flow: &Flow,
    operation: Operation,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Reply, Failure> {
    fn parse<T: CallBody>(flow: &Flow, headers: &HeaderMap, body: &[u8]) -> Result<T, Failure> {
        let json_500 = flow.config().faults.has(&Fault::MalformedJson500);
        request::parse_call(headers, body, &flow.config().requests, json_500)
    }
    let header_text = |name: &HeaderName| headers.get(name).and_then(|v| v.to_str().ok());
    match operation {
        Operation::SendCaptcha => flow.send_captcha(parse(flow, headers, body)?),
        Operation::CheckCaptcha => flow.check_captcha(parse(flow, headers, body)?),
        Operation::SendCode => flow.send_code(parse(flow, headers, body)?),
        Operation::CheckCode => flow.check_code(parse(flow, headers, body)?),
        Operation::ResetPassword => {
            let body = parse(flow, headers, body)?;
            flow.reset_password(header_text(&X_ACCESS_TOKEN), body)
        }
        Operation::Login => {
            let body = parse(flow, headers, body)?;
            flow.login(header_text(&header::AUTHORIZATION), body)
        }
    }
}

/// The value of `name` in a query string, percent-decoded per RFC 3986: `%2B` is a plus and so
/// is a literal `+` (no form decoding).
pub fn query_param(query: &str, name: &str) -> Option<String> {
    query.split('&').find_map(|pair| {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        (key == name).then(|| {
            percent_encoding::percent_decode_str(value)
                .decode_utf8_lossy()
                .into_owned()
        })
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Route {
    Api,
    TestSupport,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Language {
    Chinese,
    English,
}

/// The preferred of English and Chinese in `Accept-Language` (q-values honoured); Chinese when
/// neither is named, as the API's default is `zh-CN`.
pub fn language(headers: &HeaderMap) -> Language {
    let Some(value) = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
    else {
        return Language::Chinese;
    };
    let mut best = (Language::Chinese, -1.0f32);
    for item in value.split(',') {
        let mut parts = item.split(';');
        let tag = parts.next().unwrap_or("").trim().to_ascii_lowercase();
        let q = parts
            .find_map(|p| {
                p.trim()
                    .strip_prefix("q=")
                    .and_then(|q| q.trim().parse::<f32>().ok())
            })
            .unwrap_or(1.0);
        let language = if tag.starts_with("en") {
            Language::English
        } else if tag.starts_with("zh") {
            Language::Chinese
        } else {
            continue;
        };
        if q > best.1 {
            best = (language, q);
        }
    }
    best.0
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    error_code: &'a str,
    error_msg: &'a str,
    /// Only from a gateway set to a lenient error shape (`strict_errors` off).
    #[serde(skip_serializing_if = "Option::is_none")]
    request_id: Option<String>,
}

/// `Route::Api` answers may be bent by the response faults; test-support answers never are
/// (they are the harness's oracle, not the API under test).
pub(super) fn respond(
    flow: &Flow,
    route: Route,
    headers: &HeaderMap,
    result: Result<Reply, Failure>,
) -> Response {
    let no_faults = FaultSet::default();
    let faults = match route {
        Route::Api => &flow.config().faults,
        Route::TestSupport => &no_faults,
    };
    // A lenient gateway's errors carry their request id in the body, not in a header.
    let lenient = !flow.config().strict_errors && route == Route::Api && result.is_err();
    let (status, body) = match result {
        Ok(Reply::Json(body)) => (StatusCode::OK, body),
        Ok(Reply::Created(body)) => (StatusCode::CREATED, body),
        Ok(Reply::Empty) => (StatusCode::OK, Vec::new()),
        Err(failure) => error_parts(faults, flow, headers, &failure, lenient),
    };
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    let out = response.headers_mut();
    out.insert(header::CONTENT_TYPE, JSON_UTF8);
    out.insert(header::CACHE_CONTROL, NO_CACHE);
    if !faults.has(&Fault::NoRequestId) && !lenient {
        let id = match headers.get(X_REQUEST_ID) {
            Some(id) => Some(id.clone()),
            None => HeaderValue::from_str(&uuid::Uuid::new_v4().to_string()).ok(),
        };
        if let Some(id) = id {
            out.insert(X_REQUEST_ID, id);
        }
    }
    response
}

fn error_parts(
    faults: &FaultSet,
    flow: &Flow,
    headers: &HeaderMap,
    failure: &Failure,
    lenient: bool,
) -> (StatusCode, Vec<u8>) {
    let info = failure.kind.info();
    // A gateway set to answer this kind otherwise (a profile's status and code).
    let config = flow.config();
    let (own_status, mut own_code) = config
        .answers
        .iter()
        .find(|(kind, _, _)| *kind == failure.kind)
        .map_or((info.status, info.code), |(_, status, code)| {
            (*status, code.as_str())
        });
    // A gateway that tells the kind's sub-case apart (a profile listing two codes).
    if let Some((_, second)) = config
        .second_codes
        .iter()
        .find(|(kind, _)| failure.second_case && *kind == failure.kind)
    {
        own_code = second;
    }
    let language = if faults.has(&Fault::IgnoreAcceptLanguage) {
        Language::Chinese
    } else {
        language(headers)
    };
    let mut message = match language {
        Language::English => info.en.to_owned(),
        Language::Chinese => info.zh.to_owned(),
    };
    if let Some(detail) = &failure.detail {
        message.push_str(match language {
            Language::English => ": ",
            Language::Chinese => "：",
        });
        message.push_str(detail);
    }
    let status = if faults.has(&Fault::WrongStatus) {
        wrong_status(own_status)
    } else {
        own_status
    };
    let wrong_code;
    let code = if faults.has(&Fault::WrongErrorCodes) {
        wrong_code = format!("USG.29999{:04}", own_status);
        &wrong_code
    } else {
        own_code
    };
    let request_id = lenient.then(|| uuid::Uuid::new_v4().to_string());
    let body = serde_json::to_vec(&ErrorBody {
        error_code: code,
        error_msg: &message,
        request_id,
    })
    .unwrap_or_default();
    (
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        body,
    )
}

/// Another plausible status for the `wrong-status` fault.
fn wrong_status(status: u16) -> u16 {
    match status {
        400 => 403,
        401 => 400,
        403 => 401,
        500 => 503,
        _ => 400,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::ACCEPT_LANGUAGE,
            HeaderValue::from_str(value).expect("header"),
        );
        headers
    }

    #[test]
    fn language_follows_accept_language() {
        assert_eq!(language(&HeaderMap::new()), Language::Chinese);
        assert_eq!(language(&accept("en-US")), Language::English);
        assert_eq!(language(&accept("zh-CN")), Language::Chinese);
        assert_eq!(language(&accept("fr-FR, en;q=0.8")), Language::English);
        assert_eq!(
            language(&accept("en;q=0.3, zh-CN;q=0.9")),
            Language::Chinese
        );
        assert_eq!(language(&accept("de")), Language::Chinese);
    }

    #[test]
    fn query_decoding_keeps_plus_signs() {
        assert_eq!(
            query_param("user=%2B8613600000001", "user").as_deref(),
            Some("+8613600000001")
        );
        assert_eq!(
            query_param("user=+8613600000001", "user").as_deref(),
            Some("+8613600000001")
        );
        assert_eq!(
            query_param("a=1&user=a%40b.c", "user").as_deref(),
            Some("a@b.c")
        );
        assert_eq!(query_param("a=1", "user"), None);
    }
}
