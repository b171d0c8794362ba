//! The top-level fields of an answer that the engine reads on every answer: an error's
//! `error_code` and `error_msg`, a success's `token`, and how many keys the body has, read
//! without building the body's `serde_json::Value`: all that a load step's outcome, the strict
//! error-shape check and the flow's next token need, where the Value cost a tenth of a
//! request's instructions, and a CAPTCHA answer's two images a sixth of a flow's
//! (`bench/README.md`). It reads as `Value` would: the last of duplicate keys
//! (counted once), nothing for a body that is not a JSON object, `None` for a field that is
//! not a string.

use std::borrow::Cow;
use std::fmt;

use serde::de::{Deserializer, MapAccess, SeqAccess, Visitor};

/// What an answer's body holds at its top level.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AnswerFields {
    /// Distinct top-level keys.
    pub keys: usize,
    pub error_code: Option<String>,
    /// `error_msg` is a string and not empty (its text is not kept: nothing reads it).
    pub has_message: bool,
    /// `token`, if it is a string.
    pub token: Option<String>,
    /// There is a `token`, but not a string (read then from the whole body).
    pub token_not_text: bool,
}

impl AnswerFields {
    /// The same, read from a parsed body.
    pub fn of_value(value: &serde_json::Value) -> Option<Self> {
        let object = value.as_object()?;
        let text = |key: &str| object.get(key)?.as_str().map(str::to_owned);
        Some(Self {
            keys: object.len(),
            error_code: text("error_code"),
            has_message: object
                .get("error_msg")
                .and_then(serde_json::Value::as_str)
                .is_some_and(|m| !m.is_empty()),
            token: text("token"),
            token_not_text: object.get("token").is_some_and(|t| !t.is_string()),
        })
    }
}

/// `body`'s fields, if it is a JSON object: in one pass if it is a flat one (`flat`), else
/// through serde_json.
pub fn fields(body: &[u8]) -> Option<AnswerFields> {
    if let super::flat::Flat::Read(fields) = super::flat::read(body) {
        return Some(fields);
    }
    let mut de = serde_json::Deserializer::from_slice(body);
    let found = de.deserialize_any(Fields).ok()?;
    de.end().ok()?;
    found
}

struct Fields;

impl<'de> Visitor<'de> for Fields {
    type Value = Option<AnswerFields>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut fields = AnswerFields::default();
        // Keys seen, to count a duplicate once as `Value` keeps it once (sorted at the end: a
        // hostile body of many keys costs k log k, not k squared).
        let mut seen: Vec<Cow<'de, str>> = Vec::new();
        while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
            match key.as_ref() {
                "error_code" => fields.error_code = map.next_value::<StringOrNot<String>>()?.0,
                "token" => {
                    // The last of duplicate keys decides, as in `Value`.
                    fields.token = map.next_value::<StringOrNot<String>>()?.0;
                    fields.token_not_text = fields.token.is_none();
                }
                "error_msg" => {
                    fields.has_message = map
                        .next_value::<StringOrNot<usize>>()?
                        .0
                        .is_some_and(|n| n > 0)
                }
                _ => {
                    map.next_value::<Skip>()?;
                }
            }
            seen.push(key);
        }
        seen.sort_unstable();
        seen.dedup();
        fields.keys = seen.len();
        Ok(Some(fields))
    }

    // Any other JSON value: read whole (so invalid JSON is still an error), no field.
    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<Skip>()?.is_some() {}
        Ok(None)
    }
}

/// A key, borrowed from the body unless it has escapes (`Cow`'s own `Deserialize` always
/// copies).
struct Key<'de>(Cow<'de, str>);

impl<'de> serde::Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Text;
        impl<'de> Visitor<'de> for Text {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a key")
            }
            fn visit_borrowed_str<E>(self, text: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(text)))
            }
            fn visit_str<E>(self, text: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(text.to_owned())))
            }
        }
        deserializer.deserialize_str(Text)
    }
}

/// A value read whole and dropped, checked as `Value` checks it (depth, number range, UTF-8,
/// escapes): serde's `IgnoredAny` skips without those checks, and would take bodies `Value`
/// refuses.
struct Skip;

impl Skip {
    fn seq<'de, A: SeqAccess<'de>>(mut seq: A) -> Result<Skip, A::Error> {
        while seq.next_element::<Skip>()?.is_some() {}
        Ok(Skip)
    }

    fn map<'de, A: MapAccess<'de>>(mut map: A) -> Result<Skip, A::Error> {
        while map.next_entry::<Skip, Skip>()?.is_some() {}
        Ok(Skip)
    }
}

impl<'de> serde::Deserialize<'de> for Skip {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Any;
        impl<'de> Visitor<'de> for Any {
            type Value = Skip;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_bool<E>(self, _: bool) -> Result<Skip, E> {
                Ok(Skip)
            }
            fn visit_i64<E>(self, _: i64) -> Result<Skip, E> {
                Ok(Skip)
            }
            fn visit_u64<E>(self, _: u64) -> Result<Skip, E> {
                Ok(Skip)
            }
            fn visit_f64<E>(self, _: f64) -> Result<Skip, E> {
                Ok(Skip)
            }
            fn visit_str<E>(self, _: &str) -> Result<Skip, E> {
                Ok(Skip)
            }
            fn visit_unit<E>(self) -> Result<Skip, E> {
                Ok(Skip)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Skip, A::Error> {
                Skip::seq(seq)
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Skip, A::Error> {
                Skip::map(map)
            }
        }
        deserializer.deserialize_any(Any)
    }
}

/// What is kept of a string: its text, or only its length.
trait Kept: Sized {
    fn of(text: &str) -> Self;
}

impl Kept for String {
    fn of(text: &str) -> Self {
        text.to_owned()
    }
}

impl Kept for usize {
    fn of(text: &str) -> Self {
        text.len()
    }
}

/// A value of which something is kept if it is a string.
struct StringOrNot<K>(Option<K>);

impl<'de, K: Kept> serde::Deserialize<'de> for StringOrNot<K> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Any<K>(std::marker::PhantomData<K>);
        impl<'de, K: Kept> Visitor<'de> for Any<K> {
            type Value = StringOrNot<K>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_str<E>(self, text: &str) -> Result<Self::Value, E> {
                Ok(StringOrNot(Some(K::of(text))))
            }
            fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
                Ok(StringOrNot(None))
            }
            fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
                Ok(StringOrNot(None))
            }
            fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
                Ok(StringOrNot(None))
            }
            fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
                Ok(StringOrNot(None))
            }
            fn visit_unit<E>(self) -> Result<Self::Value, E> {
                Ok(StringOrNot(None))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                seq: A,
            ) -> Result<Self::Value, A::Error> {
                Skip::seq(seq).map(|_| StringOrNot(None))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                Skip::map(map).map(|_| StringOrNot(None))
            }
        }
        deserializer.deserialize_any(Any(std::marker::PhantomData))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::Value;

    /// What `Value` says of the body.
    fn by_value(body: &[u8]) -> Option<AnswerFields> {
        AnswerFields::of_value(&serde_json::from_slice::<Value>(body).ok()?)
    }

    #[test]
    fn reads_as_value_reads() {
        for body in [
            &br#"{"error_code": "USG.000000001", "error_msg": "x"}"#[..],
            br#"{"error_code": 7, "error_msg": null}"#,
            br#"{"error_code": "a", "error_code": "b"}"#,
            br#"{"token": "t", "token": 1, "error_msg": ""}"#,
            br#"{"token": "a\u0041", "cutImage": "iVBOR", "pointY": 7}"#,
            br#"{"nested": {"error_code": "no"}, "list": [1, {"a": 2}]}"#,
            br#"{"error_code": "esc\u0041ped\n", "error\u005fmsg": "m"}"#,
            br#"["error_code"]"#,
            br#""error_code""#,
            br#"{"error_code": "x"} trailing"#,
            br#"{"error_code": "x""#,
            b"",
            b"null",
            b"{}",
            br#"{"x": 1e400, "error_code": "a"}"#,
            b"{\"x\": \"\xff\", \"error_code\": \"a\"}",
            br#"{"x": "\ud800", "error_code": "a"}"#,
        ] {
            assert_eq!(
                fields(body),
                by_value(body),
                "{}",
                String::from_utf8_lossy(body)
            );
        }
        // Deeper than serde_json's limit of 128, in a skipped field.
        let deep = format!(
            "{{\"x\": {}{}, \"error_code\": \"a\"}}",
            "[".repeat(200),
            "]".repeat(200)
        );
        assert_eq!(fields(deep.as_bytes()), by_value(deep.as_bytes()));
    }

    proptest! {
        /// Any JSON object of such fields, and any bytes: the same answer as through `Value`.
        #[test]
        fn any_body_reads_as_value_reads(
            pairs in prop::collection::vec(("(error_code|error_msg|token|e|x)", prop_oneof![
                "[a-z]{0,5}".prop_map(Value::from),
                any::<i64>().prop_map(Value::from),
                Just(Value::Null),
                Just(serde_json::json!({"error_code": "inner"})),
                Just(serde_json::json!([1, "a", {"b": []}])),
            ]), 0..6),
            noise in prop::collection::vec(any::<u8>(), 0..40),
        ) {
            let text = pairs
                .iter()
                .map(|(k, v)| format!("{}: {v}", Value::from(k.as_str())))
                .collect::<Vec<_>>()
                .join(", ");
            let body = format!("{{{text}}}");
            prop_assert_eq!(fields(body.as_bytes()), by_value(body.as_bytes()));
            prop_assert_eq!(fields(&noise), by_value(&noise));
        }
    }
}
