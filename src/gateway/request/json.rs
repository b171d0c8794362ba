//! Reading a call's body as the gateway's `RequestPolicy` says (`docs/choices.md` C6-C9, S1,
//! S2): which `Content-Type`s are read, duplicate keys, `5.0` for an integer, `null` for a
//! field. The body's members are read in order first, so that a duplicated key can be refused
//! or resolved (serde's own maps keep the last silently), then the typed body is made from them.

use std::fmt;

use axum::http::{header, HeaderMap};
use serde::de::{DeserializeOwned, MapAccess, Visitor};
use serde::Deserializer;
use serde_json::{Map, Value};

use crate::gateway::failure::{Failure, FailureKind};

/// A `Content-Type` that is neither JSON (with or without a UTF-8 charset) nor absent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OtherContentType {
    /// `invalid_request` (the reference).
    Refused,
    /// Read as JSON all the same.
    Json,
    /// `unsupported_media_type` (415).
    Unsupported,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Duplicates {
    Refused,
    LastWins,
    FirstWins,
}

/// How the gateway reads requests; the default is the reference gateway's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestPolicy {
    pub other_content_type: OtherContentType,
    /// `5.0` for an integer field is read as 5 (else refused).
    pub accept_float_integers: bool,
    /// A known field sent as `null` is refused (else taken as absent).
    pub refuse_null: bool,
    pub max_body_bytes: usize,
    /// A larger body answers `payload_too_large` (else `invalid_request`).
    pub too_large_is_413: bool,
    pub duplicates: Duplicates,
    pub client_types: Vec<i32>,
    pub check_types: Vec<i32>,
    pub check_type_default: i32,
}

impl Default for RequestPolicy {
    fn default() -> Self {
        Self {
            other_content_type: OtherContentType::Refused,
            accept_float_integers: false,
            refuse_null: false,
            max_body_bytes: super::MAX_BODY_BYTES,
            too_large_is_413: false,
            duplicates: Duplicates::Refused,
            client_types: vec![0, 5, 6],
            check_types: vec![0, 1],
            check_type_default: 0,
        }
    }
}

/// A call's body type and the JSON names of its fields (what a `null` is refused for: a
/// `null` unknown field is ignored like any unknown field).
pub trait CallBody: DeserializeOwned {
    const FIELDS: &'static [&'static str];
}

/// Accepts `application/json`, with or without `charset=UTF-8` (any case, any spacing), and a
/// missing `Content-Type`; anything else as `other` says.
pub fn check_content_type(headers: &HeaderMap, other: OtherContentType) -> Result<(), Failure> {
    let Some(value) = headers.get(header::CONTENT_TYPE) else {
        return Ok(());
    };
    if is_json(value.to_str().ok()) {
        return Ok(());
    }
    match other {
        OtherContentType::Refused => Err(Failure::invalid("Content-Type must be application/json")),
        OtherContentType::Json => Ok(()),
        OtherContentType::Unsupported => Err(FailureKind::UnsupportedMediaType.into()),
    }
}

fn is_json(value: Option<&str>) -> bool {
    let Some(value) = value else {
        return false;
    };
    let mut parts = value.split(';');
    let media_type = parts.next().unwrap_or("").trim();
    if !media_type.eq_ignore_ascii_case("application/json") {
        return false;
    }
    parts.map(str::trim).filter(|p| !p.is_empty()).all(|p| {
        let Some((name, value)) = p.split_once('=') else {
            return false;
        };
        let value = value.trim().trim_matches('"');
        !name.trim().eq_ignore_ascii_case("charset")
            || value.eq_ignore_ascii_case("utf-8")
            || value.eq_ignore_ascii_case("utf8")
    })
}

/// A call's body, read as `policy` says. `syntax_is_internal` is the `malformed-json-500`
/// fault.
pub fn parse_call<T: CallBody>(
    headers: &HeaderMap,
    body: &[u8],
    policy: &RequestPolicy,
    syntax_is_internal: bool,
) -> Result<T, Failure> {
    check_content_type(headers, policy.other_content_type)?;
    let members = read_members(body, syntax_is_internal)?;
    let mut object = Map::new();
    for (key, value) in members {
        if object.contains_key(&key) {
            match policy.duplicates {
                Duplicates::Refused => {
                    return Err(Failure::invalid(format!("duplicate field `{key}`")))
                }
                Duplicates::FirstWins => continue,
                Duplicates::LastWins => {}
            }
        }
        if policy.refuse_null && value.is_null() && T::FIELDS.contains(&key.as_str()) {
            return Err(Failure::invalid(format!("field `{key}` is null")));
        }
        let value = match value {
            Value::Number(n) if policy.accept_float_integers => Value::Number(integral(n)),
            other => other,
        };
        object.insert(key, value);
    }
    serde_json::from_value(Value::Object(object)).map_err(|e| Failure::invalid(e.to_string()))
}

/// `5.0` as 5, within the integers a double holds exactly; any other number as it is.
fn integral(n: serde_json::Number) -> serde_json::Number {
    match n.as_f64() {
        Some(f) if !n.is_i64() && !n.is_u64() && f.fract() == 0.0 && f.abs() <= 9e15 => {
            serde_json::Number::from(f as i64)
        }
        _ => n,
    }
}

/// Why a body did not parse: not JSON at all (answered 500 under the `malformed-json-500`
/// fault, and marked as `invalid_request`'s second case where the caller tells it apart), or
/// JSON of the wrong shape.
pub(super) fn body_failure(
    e: &serde_json::Error,
    syntax_is_internal: bool,
    second_case: bool,
) -> Failure {
    let not_json = matches!(
        e.classify(),
        serde_json::error::Category::Syntax | serde_json::error::Category::Eof
    );
    match (not_json, syntax_is_internal) {
        (true, true) => FailureKind::Internal.into(),
        (true, false) => {
            let failure = Failure::invalid(format!("body is not JSON: {e}"));
            if second_case {
                failure.second_case()
            } else {
                failure
            }
        }
        (false, _) => Failure::invalid(e.to_string()),
    }
}

/// The members of a JSON object, in order, duplicates kept.
fn read_members(body: &[u8], syntax_is_internal: bool) -> Result<Vec<(String, Value)>, Failure> {
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let members = deserializer
        .deserialize_map(MembersVisitor)
        .and_then(|members| deserializer.end().map(|()| members));
    members.map_err(|e| body_failure(&e, syntax_is_internal, true))
}

struct MembersVisitor;

impl<'de> Visitor<'de> for MembersVisitor {
    type Value = Vec<(String, Value)>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut members = Vec::new();
        while let Some(member) = map.next_entry::<String, Value>()? {
            members.push(member);
        }
        Ok(members)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gateway::request::{CheckCodeBody, SendCaptchaBody};

    fn parse<T: CallBody>(body: &str, policy: &RequestPolicy) -> Result<T, Failure> {
        parse_call(&HeaderMap::new(), body.as_bytes(), policy, false)
    }

    #[test]
    fn duplicates_are_refused_or_resolved_as_the_policy_says() {
        let body = r#"{"code": "1", "code": "2"}"#;
        let mut policy = RequestPolicy::default();
        assert!(parse::<CheckCodeBody>(body, &policy).is_err());
        policy.duplicates = Duplicates::LastWins;
        let last = parse::<CheckCodeBody>(body, &policy).expect("last wins");
        assert_eq!(last.code.as_deref(), Some("2"));
        policy.duplicates = Duplicates::FirstWins;
        let first = parse::<CheckCodeBody>(body, &policy).expect("first wins");
        assert_eq!(first.code.as_deref(), Some("1"));
    }

    #[test]
    fn floats_and_nulls_follow_the_policy() {
        let mut policy = RequestPolicy::default();
        let float = r#"{"user": "u", "clientType": 5.0}"#;
        assert!(parse::<SendCaptchaBody>(float, &policy).is_err());
        let null = r#"{"user": "u", "clientType": 0, "checkType": null, "other": null}"#;
        assert!(parse::<SendCaptchaBody>(null, &policy).is_ok());
        policy.accept_float_integers = true;
        policy.refuse_null = true;
        let read = parse::<SendCaptchaBody>(float, &policy).expect("5.0 is 5");
        assert_eq!(read.client_type, Some(5));
        assert!(parse::<SendCaptchaBody>(r#"{"clientType": 0.5}"#, &policy).is_err());
        assert!(parse::<SendCaptchaBody>(r#"{"clientType": 1e300}"#, &policy).is_err());
        assert!(parse::<SendCaptchaBody>(null, &policy).is_err());
        // An unknown field stays ignored, null or not.
        let unknown = r#"{"user": "u", "clientType": 0, "other": null}"#;
        assert!(parse::<SendCaptchaBody>(unknown, &policy).is_ok());
    }

    #[test]
    fn not_json_is_the_second_case_a_wrong_shape_is_not() {
        let policy = RequestPolicy::default();
        let syntax = parse::<CheckCodeBody>("{nope", &policy)
            .map(|_| ())
            .unwrap_err();
        assert!(syntax.second_case);
        for shape in ["[]", "null", r#"{"code": 5}"#] {
            let wrong = parse::<CheckCodeBody>(shape, &policy)
                .map(|_| ())
                .unwrap_err();
            assert_eq!(wrong.kind, FailureKind::InvalidRequest, "{shape}");
            assert!(!wrong.second_case, "{shape}");
        }
        let trailing = parse::<CheckCodeBody>(r#"{"code": "1"} x"#, &policy);
        assert!(trailing.map(|_| ()).unwrap_err().second_case);
    }
}
