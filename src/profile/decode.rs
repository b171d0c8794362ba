//! Reading a profile file: every section checked, every error with its place and a "did you
//! mean", all errors at once.

use std::collections::BTreeMap;
use std::time::Duration;

use marked_yaml::Node;
use serde_json::Value;

use super::{CaptchaOracle, CodeOracle, OracleChoice, Profile};
use crate::yaml::Errors;

const TOP_KEYS: &[&str] = &[
    "name",
    "test_support",
    "test_support_token",
    "errors",
    "lifetimes",
    "captcha",
    "code",
    "burns",
    "password",
    "strict_errors",
    "oracle",
    "accounts",
    "users",
    "requests",
    "tokens",
    "secrets",
];
pub(super) const LIFETIMES: &[&str] = &["t1", "t2", "code", "t3"];
pub(super) const BURNS: &[&str] = &["t1_on_mismatch", "t3_on_policy", "other_user"];
pub(super) const PASSWORD: &[&str] = &[
    "min_length",
    "max_length",
    "min_classes",
    "max_run",
    "forbid_user_name",
    "user_name_reversed",
    "forbid_reuse",
    "charset",
];

pub(super) fn decode(root: &Node, errors: &mut Errors) -> Profile {
    let mut profile = empty();
    let Some(map) = errors.mapping(root, "a profile") else {
        return profile;
    };
    errors.known_keys(map, TOP_KEYS, "a profile");
    let required = |errors: &mut Errors, key: &str| {
        let node = map.get_node(key);
        if node.is_none() {
            errors.at(root, format!("the profile needs `{key}`"));
        }
        node
    };
    if let Some(node) = required(errors, "name") {
        profile.name = errors.string(node, "`name`").unwrap_or_default();
    }
    if let Some(node) = required(errors, "test_support") {
        profile.test_support = errors.boolean(node, "`test_support`").unwrap_or(false);
    }
    if let Some(node) = map.get_node("test_support_token") {
        profile.test_support_token = super::support_token::decode(node, errors);
    }
    if let Some(node) = map.get_node("strict_errors") {
        profile.strict_errors = errors.boolean(node, "`strict_errors`").unwrap_or(true);
    }
    if let Some(node) = required(errors, "errors") {
        super::codes::decode(node, errors, &mut profile);
    }
    if let Some(node) = required(errors, "lifetimes") {
        decode_lifetimes(node, errors, &mut profile);
    }
    if let Some(node) = required(errors, "captcha") {
        decode_captcha(node, errors, &mut profile);
    }
    if let Some(node) = required(errors, "code") {
        decode_code(node, errors, &mut profile);
    }
    if let Some(node) = map.get_node("burns") {
        decode_burns(node, errors, &mut profile);
    }
    for key in BURNS {
        profile.burns.entry((*key).to_owned()).or_insert(true);
    }
    profile.tokens = super::tokens::decode(map.get_node("tokens"), map.get_node("burns"), errors);
    // "The first wrong answer uses T1 up", whichever of the two fields said so.
    let first_burns = profile.tokens.t1_tries == Some(1);
    profile.burns.insert("t1_on_mismatch".into(), first_burns);
    if let Some(node) = map.get_node("password") {
        decode_password(node, errors, &mut profile);
    }
    // Absent rules take the reference's, so `requires:` and templates always find them.
    for (key, default) in [
        ("user_name_reversed", Value::from(true)),
        ("forbid_reuse", Value::from(false)),
        ("charset", Value::from("any")),
    ] {
        profile.password.entry(key.to_owned()).or_insert(default);
    }
    if let Some(node) = map.get_node("requests") {
        profile.requests = super::requests::decode(node, errors);
    }
    if let Some(node) = map.get_node("oracle") {
        profile.oracle = super::oracle::decode(node, errors);
    }
    if let Some(node) = map.get_node("accounts") {
        profile.accounts = super::users::decode_accounts(node, errors);
    }
    if let Some(node) = map.get_node("users") {
        profile.generated = super::users::decode_users(node, errors);
    }
    if let Some(node) = map.get_node("secrets") {
        profile.secrets = super::secrets::decode(node, errors);
    }
    profile
}

/// A profile with nothing set: what decoding fills in.
fn empty() -> Profile {
    Profile {
        name: String::new(),
        test_support: false,
        test_support_token: None,
        errors: BTreeMap::new(),
        lifetimes: BTreeMap::new(),
        captcha_tolerance: 0,
        captcha_image: Default::default(),
        slide_time_min: 0,
        slide_time_max: 0,
        code_attempts: 0,
        exceeded_on_last_attempt: false,
        resend_interval: Duration::ZERO,
        code_length: 6,
        burns: BTreeMap::new(),
        password: BTreeMap::new(),
        strict_errors: true,
        requests: super::requests::RequestChoices::default(),
        oracle: OracleChoice {
            captcha: CaptchaOracle::Auto,
            code: CodeOracle::Auto,
        },
        accounts: Vec::new(),
        generated: None,
        tokens: super::TokenChoices::default(),
        secrets: super::SecretNames::default(),
        value_cache: std::sync::OnceLock::new(),
    }
}

/// An integer within `range`, else an error saying which range.
pub(super) fn bounded(
    errors: &mut Errors,
    node: &Node,
    what: &str,
    range: std::ops::RangeInclusive<i64>,
) -> Option<i64> {
    let value = errors.integer(node, what)?;
    if range.contains(&value) {
        return Some(value);
    }
    errors.at(
        node,
        format!(
            "{what} must be from {} to {}, not {value}",
            range.start(),
            range.end()
        ),
    );
    None
}

/// A duration within `range`, else an error saying which range.
fn bounded_duration(
    errors: &mut Errors,
    node: &Node,
    what: &str,
    range: std::ops::RangeInclusive<Duration>,
) -> Option<Duration> {
    let value = errors.duration(node, what)?;
    if range.contains(&value) {
        return Some(value);
    }
    let show = |d: &Duration| humantime::format_duration(*d).to_string();
    errors.at(
        node,
        format!(
            "{what} must be from {} to {}, not {}",
            show(range.start()),
            show(range.end()),
            show(&value)
        ),
    );
    None
}

/// `min` at most `max`, else an error at `max`'s node.
fn ordered(errors: &mut Errors, max_node: Option<&Node>, what: (&str, &str), min: i64, max: i64) {
    if let (Some(node), true) = (max_node, min > max) {
        errors.at(
            node,
            format!("{} ({max}) is below {} ({min})", what.1, what.0),
        );
    }
}

const DAY: Duration = Duration::from_secs(24 * 3600);

fn decode_lifetimes(node: &Node, errors: &mut Errors, profile: &mut Profile) {
    let Some(lifetimes) = errors.mapping(node, "`lifetimes`") else {
        return;
    };
    errors.known_keys(lifetimes, LIFETIMES, "`lifetimes`");
    for key in LIFETIMES {
        match lifetimes.get_node(key) {
            Some(value) => {
                let what = format!("lifetime `{key}`");
                let range = Duration::from_secs(1)..=DAY;
                if let Some(d) = bounded_duration(errors, value, &what, range) {
                    profile.lifetimes.insert((*key).to_owned(), d);
                }
            }
            None => errors.at(node, format!("`lifetimes` needs `{key}`")),
        }
    }
}

fn decode_captcha(node: &Node, errors: &mut Errors, profile: &mut Profile) {
    let Some(captcha) = errors.mapping(node, "`captcha`") else {
        return;
    };
    errors.known_keys(
        captcha,
        &["tolerance", "slide_time_min", "slide_time_max", "image"],
        "`captcha`",
    );
    if let Some(n) = captcha.get_node("image") {
        profile.captcha_image = super::captcha_image::decode(n, errors);
    }
    let mut int = |key: &str, range| {
        captcha
            .get_node(key)
            .and_then(|n| bounded(errors, n, &format!("`captcha.{key}`"), range))
    };
    // Images are a few hundred pixels wide; a drag takes well under an hour.
    profile.captcha_tolerance = int("tolerance", 0..=1000).unwrap_or(0);
    profile.slide_time_min = int("slide_time_min", 0..=3_600_000).unwrap_or(0);
    profile.slide_time_max = int("slide_time_max", 0..=3_600_000).unwrap_or(3_600_000);
    ordered(
        errors,
        captcha.get_node("slide_time_max"),
        ("`captcha.slide_time_min`", "`captcha.slide_time_max`"),
        profile.slide_time_min,
        profile.slide_time_max,
    );
    let width = i64::from(profile.captcha_image.width);
    if let Some(n) = captcha.get_node("tolerance") {
        if profile.captcha_tolerance >= width {
            let message = format!("`captcha.tolerance` ({}) accepts every place on an image {width} px wide (`captcha.image.width`)", profile.captcha_tolerance);
            errors.at(n, message);
        }
    }
}

fn decode_code(node: &Node, errors: &mut Errors, profile: &mut Profile) {
    let Some(code) = errors.mapping(node, "`code`") else {
        return;
    };
    errors.known_keys(
        code,
        &[
            "attempts",
            "exceeded_on_last_attempt",
            "resend_interval",
            "length",
        ],
        "`code`",
    );
    if let Some(n) = code.get_node("exceeded_on_last_attempt") {
        profile.exceeded_on_last_attempt = errors
            .boolean(n, "`code.exceeded_on_last_attempt`")
            .unwrap_or(false);
    }
    if let Some(n) = code.get_node("attempts") {
        profile.code_attempts = bounded(errors, n, "`code.attempts`", 1..=1000).unwrap_or(1);
    }
    if let Some(n) = code.get_node("length") {
        // The API's code is a string of 1-32 characters.
        profile.code_length = bounded(errors, n, "`code.length`", 1..=32).unwrap_or(6);
    }
    if let Some(n) = code.get_node("resend_interval") {
        profile.resend_interval =
            bounded_duration(errors, n, "`code.resend_interval`", Duration::ZERO..=DAY)
                .unwrap_or_default();
    }
}

fn decode_burns(node: &Node, errors: &mut Errors, profile: &mut Profile) {
    let Some(burns) = errors.mapping(node, "`burns`") else {
        return;
    };
    errors.known_keys(burns, BURNS, "`burns`");
    for (key, value) in burns.iter() {
        if let Some(b) = errors.boolean(value, &format!("`burns.{}`", key.as_str())) {
            profile.burns.insert(key.as_str().to_owned(), b);
        }
    }
}

fn decode_password(node: &Node, errors: &mut Errors, profile: &mut Profile) {
    let Some(password) = errors.mapping(node, "`password`") else {
        return;
    };
    errors.known_keys(password, PASSWORD, "`password`");
    for (key, value) in password.iter() {
        let what = format!("`password.{}`", key.as_str());
        let range = match key.as_str() {
            "min_classes" => 1..=4,
            _ => 1..=1024,
        };
        let parsed = if key.as_str() == "charset" {
            super::requests::word(errors, value, "password.charset").map(Value::from)
        } else if key.as_str().starts_with("forbid_") || key.as_str() == "user_name_reversed" {
            errors.boolean(value, &what).map(Value::from)
        } else {
            bounded(errors, value, &what, range).map(Value::from)
        };
        if let Some(parsed) = parsed {
            profile.password.insert(key.as_str().to_owned(), parsed);
        }
    }
    let length = |key: &str| profile.password.get(key).and_then(Value::as_i64);
    if let (Some(min), Some(max)) = (length("min_length"), length("max_length")) {
        ordered(
            errors,
            password.get_node("max_length"),
            ("`password.min_length`", "`password.max_length`"),
            min,
            max,
        );
    }
    // A class takes a character: no password could have more classes than characters.
    if let (Some(classes), Some(max)) = (length("min_classes"), length("max_length")) {
        ordered(
            errors,
            password.get_node("min_classes"),
            ("`password.min_classes`", "`password.max_length`"),
            classes,
            max,
        );
    }
}
