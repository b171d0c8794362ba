//! What each call sends, as scenario YAML: every field given, tokens and codes as the flow's
//! template variables when the flow has them (a forged or wrong literal otherwise), malformed
//! requests, what a step expects, and the whole scenario of a case.

use std::fmt::Write;

use super::{Expected, Model, PlannedStep};
use crate::api::Operation;
use crate::fuzz::ops::{
    Call, Channel, Expiry, Guess, LoginWith, Mutation, NewPassword, Op, Point, Slide, Tok, Who,
};

impl Model {
    /// The step's call in YAML, every field given (no default reads a value the flow may not
    /// have yet).
    pub(super) fn render(&self, op: &Op) -> String {
        match *op {
            Op::SendCaptcha {
                who,
                client_type,
                check_type,
            } => format!(
                "  - send_captcha: {{user: {}, client_type: {client_type}, check_type: {check_type}}}\n",
                user(who)
            ),
            Op::CheckCaptcha {
                who,
                client_type,
                check_type,
                token,
                point,
                slide,
            } => format!(
                "  - check_captcha: {{user: {}, client_type: {client_type}, check_type: {check_type}, token: {}, point_x: {}, slide_time: {}}}\n",
                user(who),
                self.token_yaml(token),
                self.point_x(point),
                self.slide_time(slide)
            ),
            Op::SendCode {
                who,
                token,
                channel,
            } => format!(
                "  - send_code: {{user: {}, token: {}, send_method: {}}}\n",
                user(who),
                self.token_yaml(token),
                send_method(channel)
            ),
            Op::CheckCode { who, guess } => format!(
                "  - check_code: {{user: {}, code: {}}}\n",
                user(who),
                self.code_yaml(who, guess)
            ),
            Op::Reset {
                who,
                token,
                password,
            } => format!(
                "  - reset_password: {{user: {}, token: {}, new_password: {}}}\n",
                user(who),
                self.token_yaml(token),
                self.new_password_yaml(password)
            ),
            Op::Login { with } => format!(
                "  - login: {{account: \"{{{{ user }}}}\", password: {}}}\n",
                login_password(with)
            ),
            Op::Wait(expiry) => format!("  - wait: {{expire_of: {}}}\n", expire_of(expiry)),
            Op::Malformed { call, mutation } => {
                malformed_yaml(call, mutation, &self.rules.requests)
            }
            Op::WrongCodes { .. } | Op::Twice(_) | Op::Reach(..) => String::new(),
        }
    }

    /// Where the CAPTCHA piece is dropped: relative to the answer the oracle read for the
    /// flow's newest T1; without a T1 there is no answer to aim at, so a fixed spot.
    fn point_x(&self, point: Point) -> String {
        let has_t1 = self.newest[0].is_some();
        let tolerance = self.rules.tolerance;
        match (point, has_t1) {
            (Point::Negative, _) => format!("\"{{{{ 0 - {} }}}}\"", tolerance + 1),
            (Point::Huge, _) => i32::MAX.to_string(),
            (_, false) => "150".to_owned(),
            (Point::Right, true) => "\"{{ answer.pointX }}\"".to_owned(),
            (Point::AtTolerance, true) => format!("\"{{{{ answer.pointX + {tolerance} }}}}\""),
            (Point::Beyond, true) => format!("\"{{{{ answer.pointX + {} }}}}\"", tolerance + 1),
        }
    }

    /// A slide time inside the profile's window, or one millisecond outside it.
    fn slide_time(&self, slide: Slide) -> String {
        let (min, max) = (self.rules.slide_min, self.rules.slide_max);
        match slide {
            Slide::Plausible => 1500.clamp(min, max.max(min)).to_string(),
            Slide::TooFast => (min - 1).to_string(),
            Slide::TooSlow => (max + 1).to_string(),
            // A field set to null is left out.
            Slide::Missing => "null".to_owned(),
        }
    }

    /// The code a check sends: the flow's (right or deliberately wrong) when it can read one,
    /// else a literal no gateway sends.
    fn code_yaml(&self, who: Who, guess: Guess) -> String {
        let readable = self.code_readable();
        match guess {
            Guess::Right if readable => "\"{{ code }}\"".to_owned(),
            Guess::Wrong if readable && self.wrong_code_sure(who) => {
                "\"{{ wrong_code }}\"".to_owned()
            }
            Guess::Unicode => "\"\\u0661\\u0662\\u0663\\u0664\\u0665\\u0666\"".to_owned(),
            Guess::Right | Guess::Wrong => format!("\"{}\"", wrong_literal()),
        }
    }

    fn new_password_yaml(&self, password: NewPassword) -> String {
        match password {
            NewPassword::Valid => "\"{{ password(12) }}\"".to_owned(),
            NewPassword::TooShort => {
                format!("\"{{{{ password({}) }}}}\"", self.rules.min_length - 1)
            }
            NewPassword::OneClass => "\"abcdefghjkmn\"".to_owned(),
            NewPassword::Run => "\"Aa1#xxxB2c$d\"".to_owned(),
            NewPassword::UserName => "\"Zz9!{{ account }}\"".to_owned(),
        }
    }

    fn token_yaml(&self, tok: Tok) -> String {
        let has = |slot: usize| self.newest[slot].is_some();
        match tok {
            Tok::T1 if has(0) => "\"{{ t1 }}\"".into(),
            Tok::T2 if has(1) => "\"{{ t2 }}\"".into(),
            Tok::T3 if has(2) => "\"{{ t3 }}\"".into(),
            Tok::Missing => "null".into(),
            _ => format!("\"{}\"", forged_token()),
        }
    }
}

fn send_method(channel: Channel) -> &'static str {
    match channel {
        Channel::Default => "null",
        Channel::Sms => "sms",
        Channel::Email => "email",
        Channel::Bogus => "fax",
    }
}

fn login_password(with: LoginWith) -> &'static str {
    match with {
        LoginWith::Current => "\"{{ password }}\"",
        LoginWith::Old => "\"{{ old_password }}\"",
        LoginWith::Wrong => "\"Wrong#Pass99\"",
    }
}

fn expire_of(expiry: Expiry) -> &'static str {
    match expiry {
        Expiry::T1 => "t1",
        Expiry::Code => "code",
    }
}

/// A token-shaped string no gateway issued.
pub fn forged_token() -> &'static str {
    "ForgedTokenForgedTokenForgedToken"
}

/// A code no gateway sends (letters, where codes are digits).
pub(super) fn wrong_literal() -> &'static str {
    "xxxxxx"
}

pub(super) fn user(who: Who) -> &'static str {
    match who {
        Who::Main => "\"{{ user }}\"",
        Who::Other => "\"{{ users.other }}\"",
        Who::Account => "\"{{ users.acct }}\"",
        Who::Ghost => "\"{{ users.ghost }}\"",
    }
}

pub(super) fn expect_yaml(expected: &Expected) -> String {
    match expected {
        Expected::Nothing => String::new(),
        Expected::Success => "    expect: {status: 200}\n".into(),
        Expected::Error(kind) => format!("    expect: {{error: {kind}}}\n"),
        Expected::Outcomes(outcomes) => {
            let mut out = String::from("    expect:\n      outcomes: {");
            let parts: Vec<String> = outcomes.iter().map(|(k, n)| format!("{k}: {n}")).collect();
            out.push_str(&parts.join(", "));
            out.push_str("}\n");
            out
        }
    }
}

/// A call's `expect:`, and for a success what it carries: the next token, and never the code
/// itself.
pub(super) fn call_expect_yaml(expected: &Expected, op: &Op) -> String {
    match (expected, op) {
        (Expected::Success, Op::SendCaptcha { .. } | Op::CheckCaptcha { .. } | Op::CheckCode { .. }) => {
            "    expect:\n      status: 200\n      body: {/token: {type: string}}\n".to_owned()
        }
        (Expected::Success, Op::SendCode { .. }) => {
            "    expect:\n      status: 200\n      body: {/expire: {type: integer}, /code: {exists: false}}\n".to_owned()
        }
        _ => expect_yaml(expected),
    }
}

/// A request the gateway must refuse, whatever the flow's state: as `invalid_request`, or a
/// wrong Content-Type as the profile's `requests.content_type` says. A duplicated key's
/// winning value is a wrong type; a Content-Type read as JSON comes with no `user`.
fn malformed_yaml(
    call: Call,
    mutation: Mutation,
    requests: &crate::profile::RequestChoices,
) -> String {
    let forged = forged_token();
    let (operation, fields) = match call {
        Call::SendCaptcha => (
            Operation::SendCaptcha,
            "user: \"{{ user }}\", client_type: 0, check_type: 1".to_owned(),
        ),
        Call::CheckCaptcha => (
            Operation::CheckCaptcha,
            format!("user: \"{{{{ user }}}}\", client_type: 0, check_type: 1, token: \"{forged}\", point_x: 150, slide_time: 1500"),
        ),
        Call::SendCode => (
            Operation::SendCode,
            format!("user: \"{{{{ user }}}}\", token: \"{forged}\""),
        ),
        Call::CheckCode => (
            Operation::CheckCode,
            format!("user: \"{{{{ user }}}}\", code: \"{}\"", wrong_literal()),
        ),
        Call::Reset => (
            Operation::ResetPassword,
            format!("user: \"{{{{ user }}}}\", token: \"{forged}\", new_password: \"{{{{ password(12) }}}}\""),
        ),
    };
    let (name, method, path) = (operation.name(), operation.method(), operation.path());
    let user_field = "user: \"{{ user }}\"";
    let typed = |fields: &str| format!("  - {name}: {{{fields}}}\n");
    let raw = |body: &str| {
        let mut out = String::new();
        let _ = writeln!(out, "  - request:");
        let _ = writeln!(out, "      method: {method}");
        let _ = writeln!(out, "      path: {path}");
        let _ = writeln!(out, "      headers: {{Content-Type: application/json}}");
        let _ = writeln!(
            out,
            "      body: {}",
            serde_json::to_string(body).unwrap_or_default()
        );
        out
    };
    match mutation {
        Mutation::NotJson => raw("{\"user\": \"+8613600000000\", "),
        Mutation::DuplicateKey => raw(&duplicated(&requests.duplicate_keys)),
        Mutation::WrongContentType if requests.content_type == "json" => {
            format!("  - {name}: {{{fields}, content_type: text/plain, without: [user]}}\n")
        }
        Mutation::WrongContentType => {
            format!("  - {name}: {{{fields}, content_type: text/plain}}\n")
        }
        Mutation::MissingUser => format!("  - {name}: {{{fields}, without: [user]}}\n"),
        Mutation::UserNotAString => typed(&fields.replacen(user_field, "user: 8613600000000", 1)),
        Mutation::EmptyUser => typed(&fields.replacen(user_field, "user: \"\"", 1)),
        Mutation::LongUser => {
            typed(&fields.replacen(user_field, &format!("user: \"{}\"", "u".repeat(256)), 1))
        }
        Mutation::HugeNumber => match call {
            Call::SendCaptcha | Call::CheckCaptcha => typed(&fields.replacen(
                "client_type: 0",
                "client_type: 123456789012345678901234567890",
                1,
            )),
            _ => typed(&fields.replacen(user_field, "user: 123456789012345678901234567890", 1)),
        },
    }
}

/// A body with `user` twice, whichever the gateway keeps a number.
fn duplicated(duplicate_keys: &str) -> String {
    let (first, second) = match duplicate_keys {
        "first" => ("5", "\"+8613600000001\""),
        "last" => ("\"+8613600000001\"", "5"),
        _ => ("\"+8613600000000\"", "\"+8613600000001\""),
    };
    format!("{{\"user\": {first}, \"user\": {second}, \"clientType\": 0, \"checkType\": 1}}")
}

/// The whole scenario of a case.
pub fn scenario_yaml(name: &str, header: &str, steps: &[PlannedStep]) -> String {
    let mut out = String::new();
    for line in header.lines() {
        let _ = writeln!(out, "# {line}");
    }
    let _ = writeln!(
        out,
        "name: {}",
        serde_json::to_string(name).unwrap_or_default()
    );
    out.push_str("tags: [fuzz]\n");
    out.push_str("users: {main: phone, other: email, acct: account, ghost: unknown}\n");
    out.push_str("steps:\n");
    for step in steps {
        out.push_str(&step.yaml);
    }
    out
}
