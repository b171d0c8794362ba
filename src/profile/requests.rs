//! The `requests:` section: how a gateway reads a request where `api.md` leaves room
//! (`docs/choices.md` C6-C9, S1, S2): other `Content-Type`s, `5.0` for an integer, `null` for
//! a field, the largest body and what a larger one gets, duplicate keys, the `clientType` and
//! `checkType` values accepted and `checkType`'s default. Every field is optional and defaults
//! to the reference gateway's choice, so a profile without the section keeps its meaning.

use marked_yaml::Node;
use serde_json::{json, Value};

use crate::yaml::Errors;

/// The word-valued choices, each with its legal words (the first is the reference's), as
/// scenarios' `requires:` compare them (`requests.content_type == json`).
pub const WORDS: &[(&str, &[&str])] = &[
    ("requests.content_type", &["refused", "json", "unsupported"]),
    ("requests.float_integers", &["refused", "accepted"]),
    ("requests.null_fields", &["absent", "refused"]),
    (
        "requests.too_large",
        &["invalid_request", "payload_too_large"],
    ),
    ("requests.duplicate_keys", &["refused", "last", "first"]),
    ("password.charset", &["any", "ascii"]),
];

const KEYS: &[&str] = &[
    "content_type",
    "float_integers",
    "null_fields",
    "max_body_bytes",
    "too_large",
    "duplicate_keys",
    "client_types",
    "check_types",
    "check_type_default",
];

/// The `clientType` values `api.md` documents: every gateway accepts them.
pub const DOCUMENTED_CLIENT_TYPES: &[i64] = &[0, 5, 6];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestChoices {
    /// A `Content-Type` other than JSON (with or without charset) or none: `refused` as
    /// `invalid_request`, read as `json`, or `unsupported` (the `unsupported_media_type` kind).
    pub content_type: String,
    /// `5.0` for an integer field: `refused` or `accepted` (as 5).
    pub float_integers: String,
    /// A field sent as `null`: taken as `absent`, or `refused`.
    pub null_fields: String,
    pub max_body_bytes: u64,
    /// A body past the cap: `invalid_request`, or `payload_too_large` (that kind).
    pub too_large: String,
    /// A key twice in one body: `refused`, the `last` wins, or the `first`.
    pub duplicate_keys: String,
    pub client_types: Vec<i64>,
    pub check_types: Vec<i64>,
    pub check_type_default: i64,
}

impl Default for RequestChoices {
    fn default() -> Self {
        Self {
            content_type: "refused".into(),
            float_integers: "refused".into(),
            null_fields: "absent".into(),
            max_body_bytes: 64 * 1024,
            too_large: "invalid_request".into(),
            duplicate_keys: "refused".into(),
            client_types: DOCUMENTED_CLIENT_TYPES.to_vec(),
            check_types: vec![0, 1],
            check_type_default: 0,
        }
    }
}

impl RequestChoices {
    /// As templates and `requires:` see it, with three values that are not fields: a
    /// `clientType` and a `checkType` the gateway refuses (the smallest unlisted), and a
    /// listed `checkType` other than 1.
    pub fn to_value(&self) -> Value {
        let outside = |list: &[i64]| (0..).find(|n| !list.contains(n)).unwrap_or(-1);
        json!({
            "content_type": self.content_type,
            "float_integers": self.float_integers,
            "null_fields": self.null_fields,
            "max_body_bytes": self.max_body_bytes,
            "too_large": self.too_large,
            "duplicate_keys": self.duplicate_keys,
            "client_types": self.client_types,
            "check_types": self.check_types,
            "check_type_default": self.check_type_default,
            "client_type_outside": outside(&self.client_types),
            "check_type_outside": outside(&self.check_types),
            // A listed checkType other than this flow's 1, or -1 when there is none.
            "check_type_other": self.check_types.iter().copied().find(|t| *t != 1).unwrap_or(-1),
        })
    }
}

/// One of `WORDS`' words for `path`, else an error listing them.
pub(super) fn word(errors: &mut Errors, node: &Node, path: &str) -> Option<String> {
    let what = format!("`{path}`");
    let text = errors.string(node, &what)?;
    let legal = WORDS
        .iter()
        .find(|(p, _)| *p == path)
        .map_or(&[][..], |(_, words)| *words);
    if legal.contains(&text.as_str()) {
        return Some(text);
    }
    errors.at(
        node,
        format!("{what} must be one of {}, not `{text}`", legal.join(", ")),
    );
    None
}

fn integers(errors: &mut Errors, node: &Node, what: &str) -> Option<Vec<i64>> {
    let Node::Sequence(items) = node else {
        errors.at(node, format!("{what} must be a list of integers"));
        return None;
    };
    let values: Vec<Option<i64>> = items.iter().map(|n| errors.integer(n, what)).collect();
    let values: Option<Vec<i64>> = values.into_iter().collect();
    let values = values?;
    if let Some(bad) = values.iter().find(|v| !(0..=255).contains(*v)) {
        errors.at(node, format!("{what} must be from 0 to 255, not {bad}"));
        return None;
    }
    Some(values)
}

pub(super) fn decode(node: &Node, errors: &mut Errors) -> RequestChoices {
    let mut choices = RequestChoices::default();
    let Some(map) = errors.mapping(node, "`requests`") else {
        return choices;
    };
    errors.known_keys(map, KEYS, "`requests`");
    let set_word = |key: &str, slot: &mut String, errors: &mut Errors| {
        if let Some(n) = map.get_node(key) {
            if let Some(w) = word(errors, n, &format!("requests.{key}")) {
                *slot = w;
            }
        }
    };
    set_word("content_type", &mut choices.content_type, errors);
    set_word("float_integers", &mut choices.float_integers, errors);
    set_word("null_fields", &mut choices.null_fields, errors);
    set_word("too_large", &mut choices.too_large, errors);
    set_word("duplicate_keys", &mut choices.duplicate_keys, errors);
    if let Some(n) = map.get_node("max_body_bytes") {
        // Every valid call fits in 1 KiB; past 16 MiB a cap protects nothing.
        match errors.integer(n, "`requests.max_body_bytes`") {
            Some(v @ 1024..=16_777_216) => choices.max_body_bytes = v as u64,
            Some(v) => errors.at(
                n,
                format!("`requests.max_body_bytes` must be from 1024 to 16777216, not {v}"),
            ),
            None => {}
        }
    }
    if let Some(n) = map.get_node("client_types") {
        if let Some(list) = integers(errors, n, "`requests.client_types`") {
            if let Some(missing) = DOCUMENTED_CLIENT_TYPES.iter().find(|t| !list.contains(t)) {
                errors.at(
                    n,
                    format!("`requests.client_types` must list the documented 0, 5 and 6 (no {missing})"),
                );
            }
            choices.client_types = list;
        }
    }
    decode_check_types(map, errors, &mut choices);
    choices
}

fn decode_check_types(
    map: &marked_yaml::types::MarkedMappingNode,
    errors: &mut Errors,
    choices: &mut RequestChoices,
) {
    if let Some(n) = map.get_node("check_types") {
        if let Some(list) = integers(errors, n, "`requests.check_types`") {
            // The forgot-password flow sends 1.
            if !list.contains(&1) {
                errors.at(n, "`requests.check_types` must list 1 (this flow's)");
            }
            choices.check_types = list;
        }
    }
    if let Some(n) = map.get_node("check_type_default") {
        if let Some(v) = errors.integer(n, "`requests.check_type_default`") {
            choices.check_type_default = v;
        }
    }
    if !choices.check_types.contains(&choices.check_type_default) {
        let at = map
            .get_node("check_type_default")
            .or_else(|| map.get_node("check_types"));
        if let Some(at) = at {
            errors.at(
                at,
                format!(
                    "`requests.check_type_default` ({}) must be one of `requests.check_types` {:?}",
                    choices.check_type_default, choices.check_types
                ),
            );
        }
    }
}
