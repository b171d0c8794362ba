//! The JSON Schema of the scenario format, generated from the same tables the decoder checks
//! against (keys, operations and their typed fields, matchers, kinds), so the schema cannot
//! drift from what `gatecheck validate` accepts. Editors use it to complete and check files.

use serde_json::{json, Map, Value};

use super::decode::{ACTIONS, CALL_EXTRAS, COMMON_STEP_KEYS, EXPECT_KEYS, REQUEST_KEYS, TOP_KEYS};
use super::matcher::{MATCHER_NAMES, TYPE_NAMES};
use super::model::{fields_of, EXPIRING, USER_KINDS};
use crate::api::Operation;
use crate::profile::KINDS;

pub fn scenario_schema() -> Value {
    let any = json!({});
    let string_map = json!({"type": "object", "additionalProperties": {"type": "string"}});
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
                "error" => json!({"enum": KINDS}),
                "body" | "headers" => json!({"type": "object", "additionalProperties": {"$ref": "#/$defs/matcher"}}),
                "max_latency" => json!({"$ref": "#/$defs/duration"}),
                "outcomes" => {
                    let mut names: Vec<&str> = KINDS.to_vec();
                    names.push("success");
                    json!({"type": "object", "propertyNames": {"enum": names}, "additionalProperties": {"type": "integer", "minimum": 0}})
                }
                _ => any.clone(),
            };
            ((*key).to_owned(), schema)
        })
        .collect();

    let mut defs = Map::new();
    defs.insert("duration".into(), json!({"type": "string", "pattern": "^[0-9]+ ?(ns|us|ms|s|m|h|sec|min|hour)s?$", "description": "like 500ms, 3s, 2m"}));
    defs.insert("matcher".into(), matcher);
    defs.insert(
        "expect".into(),
        json!({"type": "object", "properties": expect_props, "additionalProperties": false}),
    );

    let mut steps = Vec::new();
    for action in ACTIONS {
        let args = match *action {
            "request" => {
                let props: Map<String, Value> = REQUEST_KEYS
                    .iter()
                    .map(|k| {
                        let schema = match *k {
                            "method" | "path" | "body" => json!({"type": "string"}),
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
                            json!({"type": "array", "items": {"type": "string"}, "description": "JSON members or headers removed"})
                        }
                        "headers" => string_map.clone(),
                        _ => json!({"type": "string"}),
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
                "name" => json!({"type": "string"}),
                "expect" => json!({"$ref": "#/$defs/expect"}),
                "capture" => {
                    json!({"type": "object", "additionalProperties": {"type": "string", "description": "JSON pointer (/token) or JSONPath ($.token)"}})
                }
                "parallel" => json!({"type": "integer", "minimum": 1, "maximum": 1000}),
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
                "name" | "description" => json!({"type": "string"}),
                "tags" | "requires" => json!({"type": "array", "items": {"type": "string"}}),
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
