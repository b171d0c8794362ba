//! A profile written back as the YAML file a user would keep (what `gatecheck discover` writes),
//! each value with an optional comment saying where it came from. Parsing the text gives the
//! same profile again (a property test holds this for generated profiles).

use std::collections::BTreeMap;
use std::fmt::Write;
use std::time::Duration;

use serde_json::Value;

use super::decode::{BURNS, LIFETIMES, PASSWORD};
use super::{
    CaptchaImage, CaptchaOracle, CodeOracle, ErrorSpec, ImageFormat, PieceShape, Profile,
    RequestChoices, TokenChoices, UserKind, XFrom, KINDS, OPTIONAL_KINDS,
};

/// The comment for the value at a dotted path (`captcha.tolerance`, `errors.code_mismatch`).
pub trait Notes {
    fn note(&self, path: &str) -> Option<String>;
}

/// No comments at all.
pub struct Bare;

impl Notes for Bare {
    fn note(&self, _: &str) -> Option<String> {
        None
    }
}

pub fn to_yaml(profile: &Profile, notes: &dyn Notes) -> String {
    let mut out = Out {
        text: String::new(),
        notes,
    };
    out.line(0, "name", &quoted(&profile.name), "name");
    out.line(
        0,
        "test_support",
        &profile.test_support.to_string(),
        "test_support",
    );
    if let Some(token) = &profile.test_support_token {
        test_support_token(&mut out, token);
    }
    out.section("errors");
    let optional = OPTIONAL_KINDS.iter().map(|(kind, _, _)| *kind);
    for kind in KINDS.iter().copied().chain(optional) {
        if let Some(spec) = profile.error(kind) {
            out.line(1, kind, &error_spec(spec), &format!("errors.{kind}"));
        }
    }
    out.section("lifetimes");
    for (name, lifetime) in in_order(&profile.lifetimes, LIFETIMES) {
        out.line(1, name, &seconds(*lifetime), &format!("lifetimes.{name}"));
    }
    out.section("captcha");
    for (key, value) in [
        ("tolerance", profile.captcha_tolerance),
        ("slide_time_min", profile.slide_time_min),
        ("slide_time_max", profile.slide_time_max),
    ] {
        out.line(1, key, &value.to_string(), &format!("captcha.{key}"));
    }
    captcha_image(&mut out, &profile.captcha_image);
    out.section("code");
    let code = [
        ("attempts", profile.code_attempts.to_string()),
        (
            "exceeded_on_last_attempt",
            profile.exceeded_on_last_attempt.to_string(),
        ),
        ("resend_interval", seconds(profile.resend_interval)),
        ("length", profile.code_length.to_string()),
    ];
    for (key, value) in code {
        out.line(1, key, &value, &format!("code.{key}"));
    }
    out.section("burns");
    for (key, burns) in in_order(&profile.burns, BURNS) {
        // `t1_on_mismatch` is `tokens.t1_tries: 1` in other words: written so they agree.
        let burns = match key {
            "t1_on_mismatch" => profile.tokens.t1_tries == Some(1),
            _ => *burns,
        };
        out.line(1, key, &burns.to_string(), &format!("burns.{key}"));
    }
    tokens(&mut out, &profile.tokens);
    out.section("password");
    for (key, value) in in_order(&profile.password, PASSWORD) {
        out.line(1, key, &scalar(value), &format!("password.{key}"));
    }
    out.line(
        0,
        "strict_errors",
        &profile.strict_errors.to_string(),
        "strict_errors",
    );
    requests(&mut out, &profile.requests);
    oracle(&mut out, profile);
    accounts(&mut out, profile);
    users(&mut out, profile);
    secrets(&mut out, profile);
    out.text
}

/// `secrets:`, only when the profile names some.
fn secrets(out: &mut Out, profile: &Profile) {
    let names = &profile.secrets;
    if names.fields.is_empty() && names.headers.is_empty() {
        return;
    }
    out.section("secrets");
    for (key, list) in [("fields", &names.fields), ("headers", &names.headers)] {
        let quoted: Vec<String> = list.iter().map(|n| quoted(n)).collect();
        out.line(
            1,
            key,
            &format!("[{}]", quoted.join(", ")),
            &format!("secrets.{key}"),
        );
    }
}

/// A section's entries in the order the reference profile writes them, any others after.
fn in_order<'m, V>(map: &'m BTreeMap<String, V>, order: &[&str]) -> Vec<(&'m str, &'m V)> {
    let rank = |key: &str| order.iter().position(|k| *k == key).unwrap_or(order.len());
    let mut entries: Vec<(&str, &V)> = map.iter().map(|(k, v)| (k.as_str(), v)).collect();
    entries.sort_by_key(|(key, _)| rank(key));
    entries
}

struct Out<'a> {
    text: String,
    notes: &'a dyn Notes,
}

impl Out<'_> {
    fn section(&mut self, key: &str) {
        let _ = writeln!(self.text, "{key}:");
    }

    fn line(&mut self, depth: usize, key: &str, value: &str, path: &str) {
        let indent = "  ".repeat(depth);
        let _ = match self.notes.note(path) {
            Some(note) => writeln!(self.text, "{indent}{key}: {value}  # {}", one_line(&note)),
            None => writeln!(self.text, "{indent}{key}: {value}"),
        };
    }
}

/// Where the token comes from, never its value: a literal one becomes the default variable.
fn test_support_token(out: &mut Out, token: &super::support_token::TestSupportToken) {
    let note = match token {
        super::support_token::TestSupportToken::Env { .. } => String::new(),
        super::support_token::TestSupportToken::Literal(_) => format!(
            "  # REVIEW: the token was written in the base profile; it is not written here: set {}",
            token.env_name()
        ),
    };
    let _ = writeln!(
        out.text,
        "test_support_token: {{env: {}}}{note}",
        token.env_name()
    );
}

fn captcha_image(out: &mut Out, image: &CaptchaImage) {
    let _ = writeln!(out.text, "  image:");
    let format = match image.format {
        ImageFormat::Png => "png",
        ImageFormat::Jpeg => "jpeg",
    };
    let shape = match image.shape {
        PieceShape::Puzzle => "puzzle",
        PieceShape::Square => "square",
        PieceShape::Round => "round",
    };
    let x_from = match image.x_from {
        XFrom::Image => "image",
        XFrom::Piece => "piece",
    };
    let entries = [
        ("format", format.to_owned()),
        ("width", image.width.to_string()),
        ("height", image.height.to_string()),
        ("piece_width", image.piece_width.to_string()),
        ("piece_height", image.piece_height.to_string()),
        ("shape", shape.to_owned()),
        ("margin", image.margin.to_string()),
        ("x_from", x_from.to_owned()),
        ("decoys", image.decoys.to_string()),
        ("noise", image.noise.to_string()),
    ];
    for (key, value) in entries {
        out.line(2, key, &value, &format!("captcha.image.{key}"));
    }
}

/// `{status: 400, code: "USG…"}`, with `codes: [...]` when the kind lists more than one.
fn error_spec(spec: &ErrorSpec) -> String {
    let mut value = format!("{{status: {}, code: {}", spec.status, quoted(&spec.code));
    if spec.codes.len() > 1 {
        let codes: Vec<String> = spec.codes.iter().map(|c| quoted(c)).collect();
        value.push_str(&format!(", codes: [{}]", codes.join(", ")));
    }
    value.push('}');
    value
}

fn tokens(out: &mut Out, tokens: &TokenChoices) {
    out.section("tokens");
    let tries = tokens
        .t1_tries
        .map_or("unlimited".to_owned(), |n| n.to_string());
    let entries = [
        ("t1_tries", tries),
        ("t1_bound_to_client", tokens.t1_bound_to_client.to_string()),
        (
            "t1_consumed_by_invalid_body",
            tokens.t1_consumed_by_invalid_body.to_string(),
        ),
        (
            "t2_consumed_by_too_frequent",
            tokens.t2_consumed_by_too_frequent.to_string(),
        ),
        (
            "new_code_resets_counter",
            tokens.new_code_resets_counter.to_string(),
        ),
        ("other_user_code", tokens.other_user_code.name().to_owned()),
        (
            "new_captcha_replaces",
            tokens.new_captcha_replaces.to_string(),
        ),
        ("t1_single_use", tokens.single_use.t1.to_string()),
        ("t2_single_use", tokens.single_use.t2.to_string()),
        ("code_single_use", tokens.single_use.code.to_string()),
        ("t3_single_use", tokens.single_use.t3.to_string()),
        ("resend_scope", tokens.resend_scope.name().to_owned()),
    ];
    for (key, value) in entries {
        out.line(1, key, &value, &format!("tokens.{key}"));
    }
}

fn requests(out: &mut Out, requests: &RequestChoices) {
    out.section("requests");
    let list = |values: &[i64]| {
        let values: Vec<String> = values.iter().map(i64::to_string).collect();
        format!("[{}]", values.join(", "))
    };
    let entries = [
        ("content_type", quoted(&requests.content_type)),
        ("float_integers", quoted(&requests.float_integers)),
        ("null_fields", quoted(&requests.null_fields)),
        ("max_body_bytes", requests.max_body_bytes.to_string()),
        ("too_large", quoted(&requests.too_large)),
        ("duplicate_keys", quoted(&requests.duplicate_keys)),
        ("client_types", list(&requests.client_types)),
        ("check_types", list(&requests.check_types)),
        (
            "check_type_default",
            requests.check_type_default.to_string(),
        ),
    ];
    for (key, value) in entries {
        out.line(1, key, &value, &format!("requests.{key}"));
    }
}

fn oracle(out: &mut Out, profile: &Profile) {
    out.section("oracle");
    let captcha = match profile.oracle.captcha {
        CaptchaOracle::Auto => "auto",
        CaptchaOracle::TestApi => "test-api",
        CaptchaOracle::Solve => "solve",
    };
    out.line(1, "captcha", captcha, "oracle.captcha");
    match &profile.oracle.code {
        CodeOracle::Auto => out.line(1, "code", "auto", "oracle.code"),
        CodeOracle::TestApi => out.line(1, "code", "test-api", "oracle.code"),
        CodeOracle::Fixed(code) => {
            out.line(1, "code", "fixed", "oracle.code");
            out.line(1, "fixed_code", &quoted(code), "oracle.fixed_code");
        }
        CodeOracle::Sink { url, pointer } => {
            out.line(1, "code", "sink", "oracle.code");
            let sink = format!("{{url: {}, pointer: {}}}", quoted(url), quoted(pointer));
            out.line(1, "sink", &sink, "oracle.sink");
        }
        CodeOracle::Command(args) => {
            out.line(1, "code", "command", "oracle.code");
            let args: Vec<String> = args.iter().map(|a| quoted(a)).collect();
            out.line(
                1,
                "command",
                &format!("[{}]", args.join(", ")),
                "oracle.command",
            );
        }
    }
}

fn accounts(out: &mut Out, profile: &Profile) {
    if profile.accounts.is_empty() {
        out.line(0, "accounts", "[]", "accounts");
        return;
    }
    out.section("accounts");
    for (i, account) in profile.accounts.iter().enumerate() {
        let kind = match account.kind {
            UserKind::Phone => "phone",
            UserKind::Email => "email",
            UserKind::Account => "account",
            UserKind::Unknown => "unknown",
        };
        let mut fields = vec![
            format!("user: {}", quoted(&account.user)),
            format!("password: {}", quoted(&account.password)),
            format!("kind: {kind}"),
        ];
        if let Some(name) = &account.account {
            fields.push(format!("account: {}", quoted(name)));
        }
        let line = format!("  - {{{}}}", fields.join(", "));
        let _ = match out.notes.note(&format!("accounts.{i}")) {
            Some(note) => writeln!(out.text, "{line}  # {}", one_line(&note)),
            None => writeln!(out.text, "{line}"),
        };
    }
}

/// `users.generated`, when the profile states it.
fn users(out: &mut Out, profile: &Profile) {
    let Some(g) = &profile.generated else {
        return;
    };
    let kind = match g.kind {
        UserKind::Email => "email",
        UserKind::Account => "account",
        UserKind::Phone | UserKind::Unknown => "phone",
    };
    let mut value = format!(
        "{{prefix: {}, suffix: {}, digits: {}, first: {}, count: {}, password: {}, kind: {kind}",
        quoted(&g.prefix),
        quoted(&g.suffix),
        g.digits,
        g.first,
        g.count,
        quoted(&g.password)
    );
    if let Some(account) = &g.account {
        value += &format!(", account: {}", quoted(account));
    }
    value.push('}');
    out.section("users");
    out.line(1, "generated", &value, "users.generated");
}

/// A YAML double-quoted scalar (JSON's string syntax is a subset of it).
fn quoted(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_else(|_| "\"\"".to_owned())
}

fn scalar(value: &Value) -> String {
    match value {
        Value::String(text) => quoted(text),
        other => other.to_string(),
    }
}

/// Whole seconds as `60s`; anything finer as humantime writes it (`1s 500ms`).
fn seconds(duration: Duration) -> String {
    if duration.subsec_nanos() == 0 {
        format!("{}s", duration.as_secs())
    } else {
        humantime::format_duration(duration).to_string()
    }
}

/// A comment stays on its line: no newline may end it early.
fn one_line(note: &str) -> String {
    note.replace(['\n', '\r'], " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Says;

    impl Notes for Says {
        fn note(&self, path: &str) -> Option<String> {
            (path == "captcha.tolerance").then(|| "4 px accepted,\n5 px refused".to_owned())
        }
    }

    #[test]
    fn the_reference_profile_round_trips_with_its_comments() {
        let reference = Profile::reference();
        let text = to_yaml(&reference, &Says);
        assert!(
            text.contains("  tolerance: 4  # 4 px accepted, 5 px refused\n"),
            "{text}"
        );
        let again = Profile::parse("written.yaml", &text).expect("parses back");
        assert_eq!(again.to_value(), reference.to_value());
        assert_eq!(again.oracle, reference.oracle);
        assert_eq!(again.accounts, reference.accounts);
        assert_eq!(again.generated, reference.generated);
    }

    #[test]
    fn every_choice_off_the_reference_round_trips() {
        let mut profile = Profile::reference();
        let spec = profile.errors.get_mut("invalid_request").expect("kind");
        spec.codes.push("USG.290000499".into());
        profile.requests.content_type = "unsupported".into();
        profile.requests.client_types = vec![0, 5, 6, 7];
        profile.requests.max_body_bytes = 2048;
        profile.password.insert("charset".into(), "ascii".into());
        profile.tokens.t1_tries = Some(3);
        profile.burns.insert("t1_on_mismatch".into(), false);
        profile.tokens.other_user_code = super::super::OtherUserCode::Counts;
        profile.tokens.resend_scope = super::super::ResendScope::Account;
        profile.tokens.single_use.t2 = false;
        profile.secrets.fields = vec!["otp".into(), "pin: #1".into()];
        profile.secrets.headers = vec!["X-Api-Key".into()];
        profile.captcha_image = CaptchaImage {
            format: ImageFormat::Jpeg,
            shape: PieceShape::Round,
            margin: 3,
            x_from: XFrom::Piece,
            decoys: 2,
            noise: 9,
            ..CaptchaImage::default()
        };
        let again = Profile::parse("written.yaml", &to_yaml(&profile, &Bare)).expect("parses");
        assert_eq!(again.to_value(), profile.to_value());
        assert_eq!(again.errors, profile.errors);
        assert_eq!(again.secrets, profile.secrets);
    }

    #[test]
    fn text_that_looks_like_yaml_stays_text() {
        let mut profile = Profile::reference();
        profile.name = "a: b # c\n- d".to_owned();
        profile.oracle.code = CodeOracle::Command(vec!["echo".into(), "{{ user }}: #1".into()]);
        profile.accounts = vec![super::super::Account {
            user: "+8613600000001".into(),
            password: "p'\"w: #d".into(),
            kind: UserKind::Account,
            account: Some("[x]".into()),
        }];
        let again = Profile::parse("written.yaml", &to_yaml(&profile, &Bare)).expect("parses");
        assert_eq!(again.name, profile.name);
        assert_eq!(again.oracle, profile.oracle);
        assert_eq!(again.accounts, profile.accounts);
    }
}
