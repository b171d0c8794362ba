//! The published JSON Schema (`scenarios/schema.json`) agrees with the decoder: every built-in
//! scenario, a corpus of generated valid ones (the fuzzer's renderer) and durations generated
//! from humantime's grammar pass both; invalid files fail both. The validator is boon (draft
//! 2020-12, as the schema says), an editor's view of the file: YAML typed by yaml-rust2 as
//! YAML 1.2's core schema types it, then validated as JSON.

use std::sync::OnceLock;

use gatecheck::fuzz::{ops, render_case};
use gatecheck::profile::Profile;
use gatecheck::scenario::decode_scenario;
use gatecheck::scenario::schema::{duration_pattern, scenario_schema_text, DURATION_UNITS};
use proptest::prelude::*;
use serde_json::Value;
use yaml_rust2::{Yaml, YamlLoader};

use crate::support::{repo_path, yaml_files};

struct Validator {
    schemas: boon::Schemas,
    index: boon::SchemaIndex,
}

/// `scenarios/schema.json` compiled once.
fn validator() -> &'static Validator {
    static VALIDATOR: OnceLock<Validator> = OnceLock::new();
    VALIDATOR.get_or_init(|| {
        let text = std::fs::read_to_string(repo_path("scenarios/schema.json")).expect("schema");
        let schema: Value = serde_json::from_str(&text).expect("schema is JSON");
        let (mut schemas, mut compiler) = (boon::Schemas::new(), boon::Compiler::new());
        compiler
            .add_resource("scenario.json", schema)
            .expect("resource");
        let index = compiler
            .compile("scenario.json", &mut schemas)
            .unwrap_or_else(|e| panic!("the schema compiles: {e:#}"));
        Validator { schemas, index }
    })
}

/// The schema's verdict on a scenario's text: the errors, if any.
fn schema_errors(text: &str) -> Option<String> {
    let docs = YamlLoader::load_from_str(text).expect("YAML");
    let instance = json_of(docs.first().expect("a document"));
    let v = validator();
    v.schemas
        .validate(&instance, v.index)
        .err()
        .map(|e| format!("{e:#}"))
}

fn decoder_errors(text: &str) -> Option<String> {
    decode_scenario("corpus.yaml", text, &Profile::reference())
        .err()
        .map(|e| e.to_string())
}

/// Accepted by both or refused by both, with the reasons when they differ.
#[track_caller]
fn assert_both(text: &str, valid: bool) {
    let (schema, decoder) = (schema_errors(text), decoder_errors(text));
    assert_eq!(
        (schema.is_none(), decoder.is_none()),
        (valid, valid),
        "{text}\nschema: {schema:?}\ndecoder: {decoder:?}"
    );
}

fn json_of(yaml: &Yaml) -> Value {
    match yaml {
        Yaml::Real(text) => text
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map_or(Value::String(text.clone()), Value::Number),
        Yaml::Integer(n) => Value::from(*n),
        Yaml::String(s) => Value::String(s.clone()),
        Yaml::Boolean(b) => Value::Bool(*b),
        Yaml::Array(items) => Value::Array(items.iter().map(json_of).collect()),
        Yaml::Hash(map) => {
            Value::Object(map.iter().map(|(k, v)| (key_of(k), json_of(v))).collect())
        }
        Yaml::Null | Yaml::Alias(_) | Yaml::BadValue => Value::Null,
    }
}

fn key_of(key: &Yaml) -> String {
    match key {
        Yaml::String(s) | Yaml::Real(s) => s.clone(),
        Yaml::Integer(n) => n.to_string(),
        Yaml::Boolean(b) => b.to_string(),
        _ => String::new(),
    }
}

#[test]
fn the_committed_schema_is_the_generated_one() {
    let committed = std::fs::read_to_string(repo_path("scenarios/schema.json")).expect("schema");
    assert!(
        committed == scenario_schema_text(),
        "scenarios/schema.json is stale: cargo run -- schema > scenarios/schema.json"
    );
}

#[test]
fn every_built_in_scenario_passes_the_schema() {
    let files = yaml_files(&repo_path("scenarios"));
    assert!(files.len() >= 90, "{} files", files.len());
    let failed: Vec<String> = files
        .iter()
        .filter_map(|file| {
            let text = std::fs::read_to_string(file).expect("scenario");
            assert!(decoder_errors(&text).is_none(), "{}", file.display());
            schema_errors(&text).map(|e| format!("{}: {e}", file.display()))
        })
        .collect();
    assert!(failed.is_empty(), "{failed:#?}");
}

/// YAML's double-quoted form of `text`, every character past ASCII's printable ones escaped.
fn quoted(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            ' '..='~' => out.push(c),
            _ => out.push_str(&format!("\\u{:04x}", c as u32)),
        }
    }
    out.push('"');
    out
}

fn with_durations(wait: &str, latency: &str) -> String {
    format!(
        "name: durations\nsteps:\n  - wait: {}\n  - send_captcha:\n    expect: {{max_latency: {}}}\n",
        quoted(wait),
        quoted(latency)
    )
}

/// Invalid files the schema and the decoder both refuse, one reason each.
#[test]
fn invalid_scenarios_fail_both() {
    let cases = [
        "name: x\nsteps:\n  - wait: 1.5\n",
        "name: x\nsteps:\n  - wait: 3 parsecs\n",
        "name: x\nsteps:\n  - wait: 1m 30\n",
        "name: x\nsteps:\n  - wait: 2 MINUTES\n",
        "name: x\nsteps:\n  - wait: \" 0\"\n",
        "name: x\nsteps:\n  - wait: 1.s\n",
        "name: x\nsteps:\n  - send_captcha:\n    expect: {error: no_such_kind}\n",
        "name: x\nsteps:\n  - send_captcha:\n    expect: {status: 99}\n",
        "name: x\nsteps:\n  - reach: t4\n",
        "name: x\nsteps:\n  - reach: t3\n    name: named\n",
        "name: x\nusers: {a: robot}\nsteps:\n  - send_captcha:\n",
        "name: x\nsteps: []\n",
        "name: x\ncolour: red\nsteps:\n  - send_captcha:\n",
        "steps:\n  - send_captcha:\n",
        "name: x\nsteps:\n  - send_captcha:\n    repeat: true\n",
    ];
    for text in cases {
        assert_both(text, false);
    }
}

/// What the old schema refused though `validate` took it: humantime's other spellings, the
/// optional failure kinds, `reach: t3`, text written as a number.
#[test]
fn valid_scenarios_the_old_schema_refused_pass_both() {
    for (wait, latency) in [
        ("3 seconds", "1.5s"),
        ("2 minutes", "1m 30s"),
        ("1h30m", "250 msec"),
        ("0", "0s"),
        ("1.25 hours", "2 µs"),
    ] {
        assert_both(&with_durations(wait, latency), true);
    }
    let cases = [
        "name: x\nsteps:\n  - wait: 0\n",
        "name: x\nsteps:\n  - send_code:\n    expect: {error: unsupported_media_type}\n",
        "name: x\nsteps:\n  - send_code:\n    parallel: 2\n    expect: {outcomes: {success: 1, payload_too_large: 1}}\n",
        "name: x\nsteps:\n  - reach: t3\n  - reach: {token: code, user: \"{{ users.user }}\"}\n",
        "name: 2024\ntags: [1, true]\nsteps:\n  - send_captcha:\n    name: 7\n",
        "name: x\nsteps:\n  - send_captcha:\n    repeat: 3\n",
    ];
    for text in cases {
        assert_both(text, true);
    }
}

/// Every word of the schema's unit table is one humantime takes, and no other word is.
#[test]
fn the_unit_table_is_humantimes() {
    for unit in DURATION_UNITS {
        let text = format!("2{unit}");
        assert!(humantime::parse_duration(&text).is_ok(), "{text}");
    }
}

/// A duration as humantime's grammar writes it, with values it can represent: 1-4 spans of a
/// number (maybe with whitespace inside), an optional fraction no finer than its unit allows,
/// whitespace or none, a unit word; whitespace around and between.
fn duration() -> impl Strategy<Value = String> {
    // (unit, fraction digits it always represents exactly)
    const UNITS: &[(&str, usize)] = &[
        ("ns", 0),
        ("nsec", 0),
        ("nanos", 0),
        ("us", 3),
        ("µs", 3),
        ("usec", 3),
        ("ms", 6),
        ("msec", 6),
        ("millis", 6),
        ("s", 9),
        ("sec", 9),
        ("secs", 9),
        ("second", 9),
        ("seconds", 9),
        ("m", 8),
        ("min", 8),
        ("mins", 8),
        ("minute", 8),
        ("minutes", 8),
        ("h", 2),
        ("hr", 2),
        ("hrs", 2),
        ("hour", 2),
        ("hours", 2),
        ("d", 2),
        ("day", 2),
        ("days", 2),
        ("w", 2),
        ("wk", 2),
        ("wks", 2),
        ("week", 2),
        ("weeks", 2),
        ("M", 0),
        ("month", 0),
        ("months", 0),
        ("y", 2),
        ("yr", 2),
        ("yrs", 2),
        ("year", 2),
        ("years", 2),
    ];
    let space = || "[ \\t\u{a0}\u{2003}\u{3000}]{0,2}";
    let span = (
        "[0-9]{1,4}",
        space(),
        prop::sample::select(UNITS),
        prop::option::of("[0-9]{1,9}"),
        space(),
    )
        .prop_map(|(number, inner, (unit, exact), fraction, before_unit)| {
            let number = match number.split_at_checked(1) {
                Some((first, rest)) if !inner.is_empty() => format!("{first}{inner}{rest}"),
                _ => number,
            };
            let fraction = match fraction {
                Some(digits) if exact > 0 => format!(".{}", &digits[..digits.len().min(exact)]),
                _ => String::new(),
            };
            format!("{number}{fraction}{before_unit}{unit}")
        });
    (
        space(),
        prop::collection::vec((space(), span), 1..=4),
        space(),
    )
        .prop_map(|(lead, spans, trail)| {
            let spans: String = spans.into_iter().map(|(gap, span)| gap + &span).collect();
            format!("{lead}{spans}{trail}")
        })
}

fn pattern() -> &'static regex::Regex {
    static PATTERN: OnceLock<regex::Regex> = OnceLock::new();
    PATTERN.get_or_init(|| regex::Regex::new(&duration_pattern()).expect("pattern"))
}

/// The decoder's verdict on `wait: <text>`: `None` when it parses.
fn wait_errors(text: &str) -> Option<String> {
    decoder_errors(&format!("name: x\nsteps:\n  - wait: {}\n", quoted(text)))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn generated_durations_pass_the_decoder_and_the_schema(wait in duration(), latency in duration()) {
        prop_assert!(pattern().is_match(&wait), "{wait:?}");
        let text = with_durations(&wait, &latency);
        prop_assert_eq!(decoder_errors(&text), None, "{}", text);
        prop_assert_eq!(schema_errors(&text), None, "{}", text);
    }

    /// Strings drawn from the pattern itself parse, unless a number is past what humantime
    /// represents (the one thing a regular expression cannot say).
    #[test]
    fn what_the_pattern_accepts_parses(text in pattern_strings()) {
        if let Some(error) = wait_errors(&text) {
            prop_assert!(error.contains("too large"), "{text:?}: {error}");
        }
    }

    /// Over a dense alphabet of digits, dots, spaces and unit letters, what the pattern
    /// refuses the decoder refuses, and what it accepts the decoder takes unless it is finer
    /// than the unit allows (`1.5ns`).
    #[test]
    fn the_pattern_and_the_decoder_agree(text in "[0-9 .smhdyMµnuecwk]{0,9}") {
        match (pattern().is_match(&text), wait_errors(&text)) {
            (true, Some(error)) => prop_assert!(error.contains("too large"), "{text:?}: {error}"),
            (false, None) => prop_assert!(false, "{text:?} parses but the pattern refuses it"),
            _ => {}
        }
    }

    #[test]
    fn no_other_word_is_a_unit(word in "[a-zA-Zµ]{1,7}") {
        let parses = humantime::parse_duration(&format!("2{word}")).is_ok();
        prop_assert_eq!(parses, DURATION_UNITS.contains(&word.as_str()), "{}", word);
    }

    /// The fuzzer's scenarios are valid scenario text: the decoder and the schema take them.
    #[test]
    fn generated_scenarios_pass_the_schema(sequence in ops::sequence(12), seed in any::<u64>()) {
        let case = render_case(&Profile::reference(), &sequence, seed, None);
        prop_assert_eq!(decoder_errors(&case.yaml), None, "{}", case.yaml);
        prop_assert_eq!(schema_errors(&case.yaml), None, "{}", case.yaml);
    }
}

/// Strings in the pattern's language, drawn by proptest from the pattern less its anchors.
fn pattern_strings() -> impl Strategy<Value = String> {
    let pattern = duration_pattern();
    let inner = &pattern[1..pattern.len() - 1];
    proptest::string::string_regex(inner).expect("pattern generates")
}
