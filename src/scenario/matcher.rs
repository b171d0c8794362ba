//! Body and header matchers. A matcher compares one actual value with what the scenario
//! expects and, on a mismatch, says what it expected and what it saw.

use regex::Regex;
use serde_json::Value;

#[derive(Debug, Clone)]
pub enum Matcher<V> {
    Equals(V),
    Exists(bool),
    Type(JsonType),
    Matches(Regex),
    Length { min: Option<u64>, max: Option<u64> },
    Range { min: Option<f64>, max: Option<f64> },
    OneOf(Vec<V>),
}

/// Matcher names as scenarios spell them.
pub const MATCHER_NAMES: &[&str] = &[
    "equals", "exists", "type", "matches", "length", "range", "one_of",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonType {
    String,
    Number,
    Integer,
    Boolean,
    Object,
    Array,
    Null,
}

pub const TYPE_NAMES: &[&str] = &[
    "string", "number", "integer", "boolean", "object", "array", "null",
];

impl JsonType {
    pub fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "string" => JsonType::String,
            "number" => JsonType::Number,
            "integer" => JsonType::Integer,
            "boolean" => JsonType::Boolean,
            "object" => JsonType::Object,
            "array" => JsonType::Array,
            "null" => JsonType::Null,
            _ => return None,
        })
    }

    fn of(value: &Value) -> &'static str {
        match value {
            Value::String(_) => "string",
            Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
            Value::Number(_) => "number",
            Value::Bool(_) => "boolean",
            Value::Object(_) => "object",
            Value::Array(_) => "array",
            Value::Null => "null",
        }
    }

    fn holds(self, value: &Value) -> bool {
        match self {
            JsonType::String => value.is_string(),
            JsonType::Number => value.is_number(),
            JsonType::Integer => value.is_i64() || value.is_u64(),
            JsonType::Boolean => value.is_boolean(),
            JsonType::Object => value.is_object(),
            JsonType::Array => value.is_array(),
            JsonType::Null => value.is_null(),
        }
    }
}

/// Why a matcher failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch {
    pub expected: String,
    pub actual: String,
}

impl<V> Matcher<V> {
    /// Turns expected values into JSON (rendering templates, for instance).
    pub fn map<W, E>(&self, mut f: impl FnMut(&V) -> Result<W, E>) -> Result<Matcher<W>, E> {
        Ok(match self {
            Matcher::Equals(v) => Matcher::Equals(f(v)?),
            Matcher::OneOf(vs) => Matcher::OneOf(vs.iter().map(f).collect::<Result<_, _>>()?),
            Matcher::Exists(b) => Matcher::Exists(*b),
            Matcher::Type(t) => Matcher::Type(*t),
            Matcher::Matches(r) => Matcher::Matches(r.clone()),
            Matcher::Length { min, max } => Matcher::Length {
                min: *min,
                max: *max,
            },
            Matcher::Range { min, max } => Matcher::Range {
                min: *min,
                max: *max,
            },
        })
    }
}

fn show(value: Option<&Value>) -> String {
    match value {
        None => "nothing (absent)".into(),
        Some(value) => {
            let text = value.to_string();
            if text.len() > 120 {
                format!(
                    "{}... ({} characters)",
                    &text[..text.floor_char_boundary(100)],
                    text.len()
                )
            } else {
                text
            }
        }
    }
}

fn bounds<T: std::fmt::Display>(min: &Option<T>, max: &Option<T>) -> String {
    match (min, max) {
        (Some(min), Some(max)) => format!("from {min} to {max}"),
        (Some(min), None) => format!("at least {min}"),
        (None, Some(max)) => format!("at most {max}"),
        (None, None) => "any".into(),
    }
}

impl Matcher<Value> {
    /// Checks `actual` (None when the path or header is absent).
    pub fn check(&self, actual: Option<&Value>) -> Result<(), Mismatch> {
        let fail = |expected: String| {
            Err(Mismatch {
                expected,
                actual: show(actual),
            })
        };
        match self {
            Matcher::Exists(should) => {
                if actual.is_some() != *should {
                    return fail(if *should {
                        "present".into()
                    } else {
                        "absent".into()
                    });
                }
            }
            Matcher::Equals(expected) => {
                if actual != Some(expected) && !numbers_equal(actual, expected) {
                    return fail(expected.to_string());
                }
            }
            Matcher::OneOf(options) => {
                if !options
                    .iter()
                    .any(|o| actual == Some(o) || numbers_equal(actual, o))
                {
                    return fail(format!("one of {}", Value::Array(options.clone())));
                }
            }
            Matcher::Type(expected) => check_type(*expected, actual)?,
            Matcher::Matches(regex) => {
                if !actual
                    .and_then(Value::as_str)
                    .is_some_and(|s| regex.is_match(s))
                {
                    return fail(format!("a string matching /{}/", regex.as_str()));
                }
            }
            Matcher::Length { min, max } => check_length(min, max, actual)?,
            Matcher::Range { min, max } => {
                let number = actual.and_then(Value::as_f64);
                let ok = number
                    .is_some_and(|n| min.is_none_or(|m| n >= m) && max.is_none_or(|m| n <= m));
                if !ok {
                    return fail(format!("a number {}", bounds(min, max)));
                }
            }
        }
        Ok(())
    }
}

/// A wrong type is told with the type it found, not only the value.
fn check_type(expected: JsonType, actual: Option<&Value>) -> Result<(), Mismatch> {
    if actual.is_some_and(|v| expected.holds(v)) {
        return Ok(());
    }
    let name = TYPE_NAMES
        .iter()
        .find(|n| JsonType::from_name(n) == Some(expected))
        .unwrap_or(&"?");
    Err(Mismatch {
        expected: format!("a {name}"),
        actual: actual.map_or("nothing (absent)".into(), |v| {
            format!("a {} ({})", JsonType::of(v), show(Some(v)))
        }),
    })
}

/// The length of a string (in characters), array or object; a wrong one is told with the
/// length it found.
fn check_length(
    min: &Option<u64>,
    max: &Option<u64>,
    actual: Option<&Value>,
) -> Result<(), Mismatch> {
    let length = actual.and_then(|v| match v {
        Value::String(s) => Some(s.chars().count() as u64),
        Value::Array(a) => Some(a.len() as u64),
        Value::Object(o) => Some(o.len() as u64),
        _ => None,
    });
    let ok = length.is_some_and(|l| min.is_none_or(|m| l >= m) && max.is_none_or(|m| l <= m));
    if ok {
        return Ok(());
    }
    Err(Mismatch {
        expected: format!("length {}", bounds(min, max)),
        actual: match length {
            Some(l) => format!("length {l}: {}", show(actual)),
            None => show(actual),
        },
    })
}

/// 60 and 60.0 are the same number to a scenario.
fn numbers_equal(actual: Option<&Value>, expected: &Value) -> bool {
    match (actual.and_then(Value::as_f64), expected.as_f64()) {
        (Some(a), Some(b)) => {
            actual.is_some_and(Value::is_number) && expected.is_number() && a == b
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    #[test]
    fn each_matcher_passes_and_fails() {
        let token = json!("abc");
        let cases: Vec<(Matcher<Value>, Option<Value>, bool)> = vec![
            (Matcher::Equals(json!(60)), Some(json!(60)), true),
            (Matcher::Equals(json!(60)), Some(json!(60.0)), true),
            (Matcher::Equals(json!(60)), Some(json!("60")), false),
            (Matcher::Exists(true), None, false),
            (Matcher::Exists(false), None, true),
            (Matcher::Type(JsonType::Integer), Some(json!(3)), true),
            (Matcher::Type(JsonType::Integer), Some(json!(3.5)), false),
            (
                Matcher::Matches(Regex::new("^a").expect("re")),
                Some(token.clone()),
                true,
            ),
            (
                Matcher::Matches(Regex::new("^b").expect("re")),
                Some(token.clone()),
                false,
            ),
            (
                Matcher::Length {
                    min: Some(3),
                    max: Some(3),
                },
                Some(token.clone()),
                true,
            ),
            (
                Matcher::Length {
                    min: Some(4),
                    max: None,
                },
                Some(token),
                false,
            ),
            (
                Matcher::Range {
                    min: Some(0.0),
                    max: Some(10.0),
                },
                Some(json!(10)),
                true,
            ),
            (
                Matcher::Range {
                    min: Some(0.0),
                    max: Some(10.0),
                },
                Some(json!(11)),
                false,
            ),
            (
                Matcher::OneOf(vec![json!(null), json!("x")]),
                Some(json!(null)),
                true,
            ),
            (Matcher::OneOf(vec![json!(1)]), None, false),
        ];
        for (matcher, actual, passes) in cases {
            assert_eq!(
                matcher.check(actual.as_ref()).is_ok(),
                passes,
                "{matcher:?} on {actual:?}"
            );
        }
    }

    #[test]
    fn mismatches_say_what_was_expected_and_seen() {
        let mismatch = Matcher::Type(JsonType::String)
            .check(Some(&json!(5)))
            .unwrap_err();
        assert_eq!(mismatch.expected, "a string");
        assert_eq!(mismatch.actual, "a integer (5)");
    }

    fn json_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            any::<f64>()
                .prop_filter("finite", |f| f.is_finite())
                .prop_map(Value::from),
            "\\PC{0,200}".prop_map(Value::from),
        ];
        leaf.prop_recursive(2, 8, 3, |inner| {
            prop::collection::vec(inner, 0..3).prop_map(Value::Array)
        })
    }

    proptest! {
        #[test]
        fn matchers_never_panic(actual in proptest::option::of(json_value()), expected in json_value()) {
            let matchers = vec![
                Matcher::Equals(expected.clone()),
                Matcher::OneOf(vec![expected]),
                Matcher::Exists(true),
                Matcher::Type(JsonType::Integer),
                Matcher::Matches(Regex::new("[a-z]+").expect("re")),
                Matcher::Length { min: Some(1), max: Some(5) },
                Matcher::Range { min: Some(-1.0), max: None },
            ];
            for matcher in matchers {
                let _ = matcher.check(actual.as_ref());
            }
        }
    }
}
