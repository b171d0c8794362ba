//! The test-support endpoints' HTTP face: CAPTCHA answers, the outbox, the clock, users. With
//! a test-support token set, each needs `X-Test-Support-Token` first (compared in constant
//! time), so a gateway reachable by others does not give its accounts away.

use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::{query_param, respond, Route};
use crate::api::test_support::TOKEN_HEADER;
use crate::gateway::failure::{Failure, FailureKind};
use crate::gateway::flow::{Flow, Reply};
use crate::gateway::request;

/// Whether `presented` is the configured token (any value when none is configured). Both are
/// hashed first, so the comparison's time tells neither the token's bytes nor its length.
pub fn token_accepted(configured: Option<&str>, presented: Option<&[u8]>) -> bool {
    let Some(configured) = configured else {
        return true;
    };
    let Some(presented) = presented else {
        return false;
    };
    let want = Sha256::digest(configured.as_bytes());
    let got = Sha256::digest(presented);
    bool::from(want.ct_eq(&got))
}

/// Refuses a request without the right token, before anything is looked up.
fn authorize(flow: &Flow, headers: &HeaderMap) -> Result<(), Failure> {
    let presented = headers.get(TOKEN_HEADER).map(|value| value.as_bytes());
    match token_accepted(flow.config().test_support_token.as_deref(), presented) {
        true => Ok(()),
        false => Err(FailureKind::TestSupportUnauthorized.into()),
    }
}

/// A test-support body past the gateway's cap (the connection layer keeps one byte more).
fn within_cap(flow: &Flow, body: &[u8]) -> Result<(), Failure> {
    let cap = flow.config().requests.max_body_bytes;
    match body.len() > cap {
        true => Err(Failure::invalid(format!("body larger than {cap} bytes"))),
        false => Ok(()),
    }
}

pub async fn captcha_answer(
    State(flow): State<Arc<Flow>>,
    headers: HeaderMap,
    Path(token): Path<String>,
) -> Response {
    let result = authorize(&flow, &headers).and_then(|()| match flow.captcha_answer(&token) {
        Some(answer) => Ok(Reply::json(&answer)),
        None => Err(FailureKind::NotFound.into()),
    });
    respond(&flow, Route::TestSupport, &headers, result)
}

pub async fn outbox_latest(
    State(flow): State<Arc<Flow>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let result = authorize(&flow, &headers).and_then(|()| {
        match query_param(query.as_deref().unwrap_or(""), "user") {
            None => Err(Failure::invalid("query parameter `user` is required")),
            Some(user) => match flow.latest_message(&user) {
                Some(message) => Ok(Reply::json(&message)),
                None => Err(FailureKind::NotFound.into()),
            },
        }
    });
    respond(&flow, Route::TestSupport, &headers, result)
}

pub async fn advance_clock(
    State(flow): State<Arc<Flow>>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let result = authorize(&flow, &headers)
        .and_then(|()| within_cap(&flow, &body))
        .and_then(|()| request::parse_json(&headers, &body, false))
        .and_then(|body| flow.advance_clock(body));
    respond(&flow, Route::TestSupport, &headers, result)
}

pub async fn create_user(
    State(flow): State<Arc<Flow>>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let result = authorize(&flow, &headers)
        .and_then(|()| within_cap(&flow, &body))
        .and_then(|()| request::parse_json(&headers, &body, false))
        .and_then(|spec| flow.create_user(spec));
    respond(&flow, Route::TestSupport, &headers, result)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_configured_token_passes() {
        assert!(token_accepted(None, None), "no token configured");
        assert!(token_accepted(None, Some(b"anything")));
        assert!(token_accepted(Some("s3cret"), Some(b"s3cret")));
        assert!(!token_accepted(Some("s3cret"), None));
        assert!(!token_accepted(Some("s3cret"), Some(b"s3cre")));
        assert!(!token_accepted(Some("s3cret"), Some(b"s3cret ")));
        assert!(!token_accepted(Some("s3cret"), Some(b"")));
    }
}
