//! The JSON Schema of the scenario format, generated from the same tables the decoder checks
//! against (keys, operations and their typed fields, matchers, kinds), so the schema cannot
//! drift from what `gatecheck validate` accepts. Editors use it to complete and check files.
//!
//! Where the decoder reads a scalar as text (`Errors::string`, templates), the schema takes a
//! plain number or boolean too, as YAML types them (`name: 2024`); durations take what
//! humantime parses (`duration_pattern`). `tests/main/schema.rs` holds the two together.

use serde_json::{json, Map, Value};

use super::decode::{
    reachable, ACTIONS, CALL_EXTRAS, COMMON_STEP_KEYS, EXPECT_KEYS, REQUEST_KEYS, TOP_KEYS,
};
use super::matcher::{MATCHER_NAMES, TYPE_NAMES};
use super::model::{fields_of, EXPIRING, USER_KINDS};
use crate::api::Operation;
use crate::profile::{KINDS, OPTIONAL_KINDS};

/// The unit words of `humantime::parse_duration` (2.x, `Unit::from_str`), which durations are
/// read with. Case matters: `M` is months, `m` minutes.
pub const DURATION_UNITS: &[&str] = &[
    "nanos", "nsec", "ns", "usec", "us", "µs", "millis", "msec", "ms", "seconds", "second", "secs",
    "sec", "s", "minutes", "minute", "mins", "min", "m", "hours", "hour", "hrs", "hr", "h", "days",
    "day", "d", "weeks", "week", "wks", "wk", "w", "months", "month", "M", "years", "year", "yrs",
    "yr", "y",
];

/// What Rust's `char::is_whitespace` takes (Unicode White_Space), which humantime skips
/// around and inside numbers; written out, as ECMA-262's `\s` differs (U+FEFF, U+0085).
const WHITESPACE: &str =
    "\\u0009-\\u000d\\u0020\\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000";

/// humantime's grammar as a regular expression: `0` alone, or spans of a number (digits,
/// whitespace between them allowed, an optional fraction with a digit) and a unit word, spans
/// apart by whitespace or none (`1m30s`), whitespace around. What it cannot say: a number past
/// u64, or finer than the unit allows (`0.5ns`, `1.0001h`), which the decoder refuses as
/// "too large or cannot be represented".
pub fn duration_pattern() -> String {
    let (w, dw) = (format!("[{WHITESPACE}]"), format!("[0-9{WHITESPACE}]"));
    let number = format!("[0-9]{dw}*(?:\\.{dw}*[0-9]{dw}*)?");
    let span = format!("{number}(?:{})", DURATION_UNITS.join("|"));
    format!("^(?:0|{w}*{span}(?:{w}*{span})*{w}*)$")
}

/// Every failure kind a scenario may name: the required ones, then those a profile may map.
fn all_kinds() -> Vec<&'static str> {
    let optional = OPTIONAL_KINDS.iter().map(|(kind, _, _)| *kind);
    KINDS.iter().copied().chain(optional).collect()
}

pub fn scenario_schema() -> Value {
    let any = json!({});
    let text = json!({"$ref": "#/$defs/text"});
    let template = json!({"$ref": "#/$defs/template"});
    let string_map = json!({"type": "object", "additionalProperties": template});
    let bounds = json!({"oneOf": [
        {"type": "number"},
        {"type": "object", "properties": {"min": {"type": "number"}, "max": {"type": "number"}}, "additionalProperties": false}
    ]});
    let matcher_props: Map<String, Value> = MATCHER_NAMES
        .iter()
        .map(|name| {
            let schema = match *name {
                "exists" => json!({"type": "boolean"}),
                "type" => json!({"enum": TYPE_NAMES}),
                "matches" => json!({"type": "string", "format": "regex"}),
                "length" | "range" => bounds.clone(),
                "one_of" => json!({"type": "array"}),
                _ => any.clone(),
            };
            ((*name).to_owned(), schema)
        })
        .collect();
    let matcher = json!({"anyOf": [
        {"type": "object", "properties": matcher_props, "additionalProperties": false},
        {"not": {"type": "object"}}
    ]});
    let expect_props: Map<String, Value> = EXPECT_KEYS
        .iter()
        .map(|key| {
            let schema = match *key {
                "status" => json!({"type": "integer", "minimum": 100, "maximum": 599}),
                "error" => json!({"enum": all_kinds()}),
                "body" | "headers" => json!({"type": "object", "additionalProperties": {"$ref": "#/$defs/matcher"}}),
                "max_latency" => json!({"$ref": "#/$defs/duration"}),
                "outcomes" => {
                    let mut names = all_kinds();
                    names.push("success");
                    json!({"type": "object", "propertyNames": {"enum": names}, "additionalProperties": {"type": "integer", "minimum": 0}})
                }
                _ => any.clone(),
            };
            ((*key).to_owned(), schema)
        })
        .collect();

    let mut defs = Map::new();
    defs.insert("duration".into(), json!({"anyOf": [{"type": "string", "pattern": duration_pattern()}, {"const": 0}], "description": "like 500ms, 3s, 1.5s, 2 minutes, 1m 30s (humantime)"}));
    defs.insert("text".into(), json!({"type": ["string", "number", "boolean"], "description": "text; a plain number or boolean is read as its text"}));
    defs.insert("template".into(), json!({"type": ["string", "number", "boolean", "null"], "description": "text with {{ templates }}; a plain scalar is read as its text"}));
    defs.insert("matcher".into(), matcher);
    defs.insert(
        "expect".into(),
        json!({"type": "object", "properties": expect_props, "additionalProperties": false}),
    );

    let mut steps = Vec::new();
    for action in ACTIONS {
        if *action == "reach" {
            // `reach` stands alone in its step: its calls take no name, expectation or count.
            let token = json!({"enum": reachable().collect::<Vec<_>>()});
            let args = json!({"oneOf": [
                token,
                {"type": "object", "properties": {"token": token, "user": any}, "required": ["token"], "additionalProperties": false}
            ]});
            steps.push(json!({"type": "object", "properties": {"reach": args}, "required": ["reach"], "additionalProperties": false}));
            continue;
        }
        let args = match *action {
            "request" => {
                let props: Map<String, Value> = REQUEST_KEYS
                    .iter()
                    .map(|k| {
                        let schema = match *k {
                            "method" => text.clone(),
                            "path" | "body" => template.clone(),
                            "headers" => string_map.clone(),
                            _ => any.clone(),
                        };
                        ((*k).to_owned(), schema)
                    })
                    .collect();
                json!({"type": "object", "properties": props, "required": ["method", "path"], "additionalProperties": false})
            }
            "wait" => json!({"oneOf": [
                {"$ref": "#/$defs/duration"},
                {"type": "object", "properties": {"expire_of": {"enum": EXPIRING}}, "required": ["expire_of"], "additionalProperties": false}
            ]}),
            op => {
                let operation = Operation::from_name(op).unwrap_or(Operation::SendCaptcha);
                let mut props: Map<String, Value> = fields_of(operation)
                    .iter()
                    .map(|f| (f.name.to_owned(), json!({"description": format!("`{}`; default `{}`; null leaves it out", f.json, f.default.unwrap_or("(not sent)"))})))
                    .collect();
                for extra in CALL_EXTRAS {
                    let schema = match *extra {
                        "with" => {
                            json!({"type": "object", "description": "raw JSON members set on the body"})
                        }
                        "without" => {
                            json!({"type": "array", "items": text, "description": "JSON members or headers removed"})
                        }
                        "headers" => string_map.clone(),
                        _ => template.clone(),
                    };
                    props.insert((*extra).to_owned(), schema);
                }
                json!({"oneOf": [{"type": "null"}, {"type": "object", "properties": props, "additionalProperties": false}]})
            }
        };
        let mut props = Map::new();
        props.insert((*action).to_owned(), args);
        for key in COMMON_STEP_KEYS {
            let schema = match *key {
                "name" => text.clone(),
                "expect" => json!({"$ref": "#/$defs/expect"}),
                "capture" => {
                    json!({"type": "object", "additionalProperties": {"$ref": "#/$defs/text", "description": "JSON pointer (/token) or JSONPath ($.token)"}})
                }
                "parallel" => json!({"type": "integer", "minimum": 1, "maximum": 1000}),
                "repeat" => json!({"anyOf": [
                    {"type": "integer", "minimum": 1, "maximum": 1000},
                    {"type": "string", "description": "a template giving a count"}
                ]}),
                _ => any.clone(),
            };
            props.insert((*key).to_owned(), schema);
        }
        steps.push(json!({"type": "object", "properties": props, "required": [action], "additionalProperties": false}));
    }
    defs.insert("step".into(), json!({"oneOf": steps}));

    let top: Map<String, Value> = TOP_KEYS
        .iter()
        .map(|key| {
            let schema = match *key {
                "name" | "description" => text.clone(),
                "tags" | "requires" => json!({"type": "array", "items": text}),
                "covers" => {
                    let ids: Vec<&str> = crate::coverage::catalogue::ids().collect();
                    json!({"type": "array", "uniqueItems": true, "items": {"enum": ids}})
                }
                "vars" => json!({"type": "object"}),
                "users" => json!({"type": "object", "additionalProperties": {"enum": USER_KINDS}}),
                "steps" => {
                    json!({"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/step"}})
                }
                _ => any.clone(),
            };
            ((*key).to_owned(), schema)
        })
        .collect();
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://gatecheck.dev/schema/scenario.json",
        "title": "gatecheck scenario",
        "type": "object",
        "properties": top,
        "required": ["name", "steps"],
        "additionalProperties": false,
        "$defs": defs,
    })
}

/// The schema as committed in `scenarios/schema.json`.
pub fn scenario_schema_text() -> String {
    let mut text = serde_json::to_string_pretty(&scenario_schema()).unwrap_or_default();
    text.push('\n');
    text
}
