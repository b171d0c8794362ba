//! Templates: parsing, rendering, built-ins, the nesting bound.

use super::*;
use proptest::prelude::*;
use serde_json::json;

fn lookup(path: &[String]) -> Option<Value> {
    let root = json!({"answer": {"pointX": 120}, "profile": {"captcha": {"tolerance": 4}}, "user": "+86135"});
    path.iter()
        .try_fold(root, |value, key| value.get(key).cloned())
}

#[test]
fn arithmetic_keeps_numbers() {
    let t = Template::parse("{{ answer.pointX + profile.captcha.tolerance + 1 }}").expect("parse");
    assert_eq!(t.render(&lookup), Ok(json!(125)));
    let t = Template::parse("{{answer.pointX-200}}").expect("parse");
    assert_eq!(t.render(&lookup), Ok(json!(-80)));
}

#[test]
fn interpolation_makes_text() {
    let t = Template::parse("user={{ user }}, x={{ answer.pointX }}").expect("parse");
    assert_eq!(t.render(&lookup), Ok(json!("user=+86135, x=120")));
    assert_eq!(
        Template::parse("plain").expect("parse").render(&lookup),
        Ok(json!("plain"))
    );
}

#[test]
fn errors_point_into_the_text() {
    assert_eq!(Template::parse("a {{ b").map(|_| ()).unwrap_err().offset, 2);
    let error = Template::parse("{{ a + * }}").map(|_| ()).unwrap_err();
    assert_eq!(error.offset, 7);
    assert!(Template::parse("{{ }}").is_err());
    let missing = Template::parse("{{ nope.x }}").expect("parse");
    assert_eq!(
        missing.render(&lookup),
        Err("`nope.x` has no value here".into())
    );
}

#[test]
fn builtins() {
    let t = Template::parse("{{ digits(6) }}").expect("parse");
    let value = t.render(&lookup).expect("render");
    assert_eq!(value.as_str().map(str::len), Some(6));
    assert!(Template::parse("{{ uuid() }}")
        .expect("parse")
        .render(&lookup)
        .is_ok());
    assert!(Template::parse("{{ digits() }}")
        .expect("parse")
        .render(&lookup)
        .is_err());
    let t = Template::parse("{{ password(profile.captcha.tolerance + 4) }}").expect("parse");
    assert_eq!(t.render(&lookup), Ok(json!("Aa1#Bb2$")));
    let t = Template::parse("{{ letters(3) }}").expect("parse");
    assert_eq!(t.render(&lookup), Ok(json!("abc")));
}

#[test]
fn calls_nest_at_most_the_limit() {
    let nested = |depth: usize| {
        format!(
            "{{{{ {}1{} }}}}",
            "digits(".repeat(depth),
            ")".repeat(depth)
        )
    };
    assert!(Template::parse(&nested(MAX_CALL_DEPTH)).is_ok());
    let error = Template::parse(&nested(MAX_CALL_DEPTH + 1))
        .map(|_| ())
        .unwrap_err();
    // At the call one past the limit: `{{ ` and 16 `digits(` before it.
    assert_eq!(error.offset, 3 + 7 * MAX_CALL_DEPTH);
    assert!(
        error.message.contains("nested more than 16"),
        "{}",
        error.message
    );
    // Far past it, the parse stops at the limit instead of recursing on.
    assert!(Template::parse(&nested(100_000)).is_err());
}

proptest! {
    #[test]
    fn parsing_and_rendering_never_panic(text in "\\PC{0,60}") {
        if let Ok(template) = Template::parse(&text) {
            let _ = template.render(&lookup);
        }
    }

    #[test]
    fn text_without_braces_is_itself(text in "[^{}]{0,40}") {
        let template = Template::parse(&text).expect("plain text parses");
        prop_assert_eq!(template.render(&lookup), Ok(Value::String(text)));
    }
}
