//! Turning a request's headers and body into a typed, validated call, or an `invalid_request`
//! saying which field is wrong and why. Strict where `api.md` is: JSON only (three accepted
//! `Content-Type` forms), exact field names, integer types, enum values and lengths. Unknown
//! fields are ignored; a duplicated field is an error.

mod json;

use axum::http::HeaderMap;
use serde::de::DeserializeOwned;
use serde::Deserialize;

use super::failure::Failure;

pub use json::{
    check_content_type, parse_call, CallBody, Duplicates, OtherContentType, RequestPolicy,
};

/// Bodies past this size are refused before parsing (the reference's cap; `RequestPolicy`'s
/// `max_body_bytes` is the gateway's).
pub const MAX_BODY_BYTES: usize = 64 * 1024;
/// `user`, tokens and account names: 1-255 characters.
pub const MAX_NAME_CHARS: usize = 255;
pub const MAX_CODE_CHARS: usize = 32;

/// Parses a JSON body as the reference reads one (test support reads every body so: it is the
/// harness's oracle, not the API under test). `syntax_is_internal` is the `malformed-json-500`
/// fault.
pub fn parse_json<T: DeserializeOwned>(
    headers: &HeaderMap,
    body: &[u8],
    syntax_is_internal: bool,
) -> Result<T, Failure> {
    check_content_type(headers, OtherContentType::Refused)?;
    // Test support tells no sub-case apart.
    serde_json::from_slice(body).map_err(|e| json::body_failure(&e, syntax_is_internal, false))
}

pub fn required<T>(value: Option<T>, field: &str) -> Result<T, Failure> {
    value.ok_or_else(|| Failure::invalid(format!("field `{field}` is required")))
}

/// A string of `min..=max` characters.
pub fn text(value: String, field: &str, min: usize, max: usize) -> Result<String, Failure> {
    let chars = value.chars().count();
    if (min..=max).contains(&chars) {
        Ok(value)
    } else {
        Err(Failure::invalid(format!(
            "field `{field}` must have {min} to {max} characters, it has {chars}"
        )))
    }
}

pub fn one_of(value: i32, field: &str, allowed: &[i32]) -> Result<u8, Failure> {
    if allowed.contains(&value) && (0..=255).contains(&value) {
        Ok(value as u8)
    } else {
        Err(Failure::invalid(format!(
            "field `{field}` must be one of {allowed:?}, got {value}"
        )))
    }
}

pub fn user(value: Option<String>) -> Result<String, Failure> {
    text(required(value, "user")?, "user", 1, MAX_NAME_CHARS)
}

pub fn client_type(value: Option<i32>, policy: &RequestPolicy) -> Result<u8, Failure> {
    let value = required(value, "clientType")?;
    one_of(value, "clientType", &policy.client_types)
}

pub fn check_type(value: Option<i32>, policy: &RequestPolicy) -> Result<u8, Failure> {
    let value = value.unwrap_or(policy.check_type_default);
    one_of(value, "checkType", &policy.check_types)
}

/// The raw bodies, as serde reads them. Every field is optional here so that a missing field
/// gets our message and our kind, not serde's.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SendCaptchaBody {
    pub user: Option<String>,
    pub client_type: Option<i32>,
    pub check_type: Option<i32>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CheckCaptchaBody {
    pub user: Option<String>,
    pub client_type: Option<i32>,
    pub check_type: Option<i32>,
    pub token: Option<String>,
    pub point_x: Option<i32>,
    pub slide_time: Option<i32>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SendCodeBody {
    pub user: Option<String>,
    pub send_method: Option<String>,
    pub token: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CheckCodeBody {
    pub user: Option<String>,
    pub code: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct ResetPasswordBody {
    pub user: Option<String>,
    #[serde(rename = "newPwd")]
    pub new_pwd: Option<String>,
    #[serde(rename = "passWordType")]
    pub pass_word_type: Option<i32>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LoginBody {
    pub account: Option<String>,
    pub client_type: Option<i32>,
}

impl CallBody for SendCaptchaBody {
    const FIELDS: &'static [&'static str] = &["user", "clientType", "checkType"];
}

impl CallBody for CheckCaptchaBody {
    const FIELDS: &'static [&'static str] = &[
        "user",
        "clientType",
        "checkType",
        "token",
        "pointX",
        "slideTime",
    ];
}

impl CallBody for SendCodeBody {
    const FIELDS: &'static [&'static str] = &["user", "sendMethod", "token"];
}

impl CallBody for CheckCodeBody {
    const FIELDS: &'static [&'static str] = &["user", "code"];
}

impl CallBody for ResetPasswordBody {
    const FIELDS: &'static [&'static str] = &["user", "newPwd", "passWordType"];
}

impl CallBody for LoginBody {
    const FIELDS: &'static [&'static str] = &["account", "clientType"];
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gateway::failure::FailureKind;
    use axum::http::{header, HeaderValue};

    fn check_content_type(headers: &HeaderMap) -> Result<(), Failure> {
        json::check_content_type(headers, OtherContentType::Refused)
    }

    fn with_content_type(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_str(value).expect("header"),
        );
        headers
    }

    #[test]
    fn the_three_documented_content_type_forms_pass() {
        assert!(check_content_type(&HeaderMap::new()).is_ok());
        assert!(check_content_type(&with_content_type("application/json")).is_ok());
        assert!(check_content_type(&with_content_type("application/json; charset=UTF-8")).is_ok());
        assert!(check_content_type(&with_content_type("Application/JSON;charset=utf-8")).is_ok());
    }

    #[test]
    fn other_content_types_fail() {
        for value in [
            "text/plain",
            "application/x-www-form-urlencoded",
            "application/json; charset=latin1",
            "application/jsonx",
            "application/json; garbage",
        ] {
            assert!(
                check_content_type(&with_content_type(value)).is_err(),
                "{value}"
            );
        }
    }

    #[test]
    fn malformed_json_is_invalid_request_or_internal_under_the_fault() {
        let headers = HeaderMap::new();
        let strict: Result<CheckCodeBody, _> = parse_json(&headers, b"{nope", false);
        assert_eq!(
            strict.map(|_| ()).unwrap_err().kind,
            FailureKind::InvalidRequest
        );
        let faulty: Result<CheckCodeBody, _> = parse_json(&headers, b"{nope", true);
        assert_eq!(faulty.map(|_| ()).unwrap_err().kind, FailureKind::Internal);
        // A wrong type is not a syntax error: still 400 under the fault.
        let typed: Result<CheckCodeBody, _> = parse_json(&headers, br#"{"code": 5}"#, true);
        assert_eq!(
            typed.map(|_| ()).unwrap_err().kind,
            FailureKind::InvalidRequest
        );
    }

    #[test]
    fn duplicated_and_mistyped_fields_fail_unknown_fields_pass() {
        let headers = HeaderMap::new();
        let dup: Result<CheckCodeBody, _> =
            parse_json(&headers, br#"{"code": "1", "code": "2"}"#, false);
        assert!(dup.is_err());
        let float: Result<SendCaptchaBody, _> =
            parse_json(&headers, br#"{"clientType": 0.5}"#, false);
        assert!(float.is_err());
        let extra: Result<CheckCodeBody, _> =
            parse_json(&headers, br#"{"code": "1", "whatever": [1]}"#, false);
        assert!(extra.is_ok());
    }

    #[test]
    fn lengths_are_counted_in_characters() {
        assert!(text("é".repeat(255), "user", 1, 255).is_ok());
        assert!(text("é".repeat(256), "user", 1, 255).is_err());
        assert!(text(String::new(), "user", 1, 255).is_err());
    }
}
