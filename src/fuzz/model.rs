//! A model of what a correct gateway must answer: users, live tokens with their bindings and
//! lifetimes, pending codes and their attempt counts, resend timers, passwords and the clock,
//! with the profile's numbers. `plan` walks a sequence of operations through it and writes each
//! as a scenario step whose `expect:` is the model's prediction, so a case is an ordinary
//! scenario: the runner sends it and judges it, and its YAML is the reproduction.
//!
//! The model follows `shared/spec/api.md` and the profile; where both are silent it takes the
//! reference gateway's order of checks (request validation, then the token, which a use
//! consumes pass or fail, then the answer). It also mirrors the scenario context (which token
//! is "the flow's newest", which code the oracle last fetched), so that what the YAML sends is
//! what the model reasons about.

use std::collections::BTreeMap;
use std::fmt::Write;

use serde_json::Value;

use super::ops::{
    Call, Channel, Expiry, Guess, LoginWith, Mutation, NewPassword, Op, Point, Slide, Tok, Who,
};
use crate::api::Operation;
use crate::profile::Profile;

/// What a step must get back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expected {
    Success,
    Error(&'static str),
    /// Answers of a parallel step, by outcome (`success` or a failure kind).
    Outcomes(BTreeMap<&'static str, u32>),
    /// A clock move: nothing is sent.
    Nothing,
}

impl Expected {
    fn outcome(&self) -> &'static str {
        match self {
            Expected::Error(kind) => kind,
            _ => "success",
        }
    }
}

/// One step of a planned case: its YAML and the prediction it carries.
#[derive(Debug, Clone)]
pub struct PlannedStep {
    pub yaml: String,
    pub expected: Expected,
    pub op: Op,
}

impl PlannedStep {
    /// The call the step makes (the call sent twice, for a pair sent at once).
    pub fn call(&self) -> &'static str {
        match &self.op {
            Op::Twice(inner) => call_name(inner),
            op => call_name(op),
        }
    }

    /// `call outcome` for each answer the step expects (two for a pair sent at once).
    pub fn outcomes(&self) -> Vec<String> {
        let call = self.call();
        match &self.expected {
            Expected::Nothing => vec![call.to_owned()],
            Expected::Outcomes(outcomes) => outcomes
                .keys()
                .map(|outcome| format!("{call} (twice at once) {outcome}"))
                .collect(),
            single => vec![format!("{call} {}", single.outcome())],
        }
    }
}

fn call_name(op: &Op) -> &'static str {
    match op {
        Op::SendCaptcha { .. } => "send_captcha",
        Op::CheckCaptcha { .. } => "check_captcha",
        Op::SendCode { .. } => "send_code",
        Op::CheckCode { .. } | Op::WrongCodes { .. } => "check_code",
        Op::Reset { .. } => "reset_password",
        Op::Login { .. } => "login",
        Op::Wait(_) => "wait",
        Op::Malformed { .. } => "malformed request",
        Op::Twice(_) | Op::Reach(..) => "sequence",
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    T1,
    T2,
    T3,
}

#[derive(Debug, Clone)]
struct Token {
    kind: Kind,
    user: Who,
    client_type: u8,
    check_type: u8,
    issued: u64,
    used: bool,
}

#[derive(Debug, Clone)]
struct Pending {
    /// Which send this code came from (the oracle's "newest code" names one).
    send: u64,
    issued: u64,
    wrong: u64,
    burnt: bool,
    deliverable: bool,
}

/// The profile's numbers the model needs.
#[derive(Debug, Clone)]
struct Rules {
    t1: u64,
    t2: u64,
    code: u64,
    t3: u64,
    resend: u64,
    tolerance: i64,
    slide_min: i64,
    slide_max: i64,
    attempts: u64,
    burns_t1_on_mismatch: bool,
    burns_t3_on_policy: bool,
    min_length: u64,
    min_classes: u64,
    max_run: u64,
    forbid_user_name: bool,
}

impl Rules {
    fn of(profile: &Profile) -> Self {
        let secs =
            |name: &str, default: u64| profile.lifetime(name).map_or(default, |d| d.as_secs());
        let password = |name: &str| profile.password.get(name).and_then(Value::as_u64);
        Self {
            t1: secs("t1", 60),
            t2: secs("t2", 60),
            code: secs("code", 180),
            t3: secs("t3", 180),
            resend: profile.resend_interval.as_secs(),
            tolerance: profile.captcha_tolerance,
            slide_min: profile.slide_time_min,
            slide_max: profile.slide_time_max,
            attempts: profile.code_attempts.max(1) as u64,
            burns_t1_on_mismatch: profile.burns.get("t1_on_mismatch").copied().unwrap_or(true),
            burns_t3_on_policy: profile.burns.get("t3_on_policy").copied().unwrap_or(true),
            min_length: password("min_length").unwrap_or(8),
            min_classes: password("min_classes").unwrap_or(2),
            max_run: password("max_run").unwrap_or(0),
            forbid_user_name: profile
                .password
                .get("forbid_user_name")
                .and_then(Value::as_bool)
                .unwrap_or(false),
        }
    }
}

/// The gateway's state as a correct gateway must keep it, and the flow context's view of it.
#[derive(Debug, Clone)]
pub struct Model {
    rules: Rules,
    /// Seconds the clock was moved.
    now: u64,
    tokens: Vec<Token>,
    /// The flow's newest T1, T2, T3 (indexes into `tokens`): what `{{ t1 }}` and so on send.
    newest: [Option<usize>; 3],
    codes: BTreeMap<Who, Pending>,
    sends: u64,
    /// The last successful send to each user.
    last_send: BTreeMap<Who, u64>,
    resend_until: BTreeMap<Who, u64>,
    /// The user of the last code sent, until a step reads `{{ code }}` (the oracle's fetch).
    code_pending_for: Option<Who>,
    /// The code the flow holds after a fetch: whose, and from which send.
    code_held: Option<(Who, u64)>,
    /// Whether the main user's `old_password` differs from `password` (a reset happened).
    main_reset: bool,
}

impl Model {
    pub fn new(profile: &Profile) -> Self {
        Self {
            rules: Rules::of(profile),
            now: 0,
            tokens: Vec::new(),
            newest: [None; 3],
            codes: BTreeMap::new(),
            sends: 0,
            last_send: BTreeMap::new(),
            resend_until: BTreeMap::new(),
            code_pending_for: None,
            code_held: None,
            main_reset: false,
        }
    }

    /// Which operations this profile can predict (those whose rule is off are left out).
    pub fn can_plan(&self, op: &Op) -> bool {
        let rules = &self.rules;
        match op {
            Op::CheckCaptcha {
                slide: Slide::TooFast,
                ..
            } => rules.slide_min > 0,
            Op::Reset { password, .. } => match password {
                NewPassword::TooShort => rules.min_length > 1,
                NewPassword::OneClass => rules.min_classes >= 2,
                NewPassword::Run => rules.max_run >= 1 && rules.max_run <= 2,
                NewPassword::UserName => rules.forbid_user_name,
                NewPassword::Valid => true,
            },
            Op::Twice(inner) => self.can_plan(inner),
            _ => true,
        }
    }

    /// The steps of a case: each operation as YAML with its prediction, the model moved on as
    /// the prediction says (a case stops at the first answer that differs).
    pub fn plan(mut self, ops: &[Op]) -> Vec<PlannedStep> {
        let plannable: Vec<Op> = ops
            .iter()
            .flat_map(Op::expand)
            .filter(|op| self.can_plan(op))
            .collect();
        plannable.iter().map(|op| self.step(op)).collect()
    }

    fn step(&mut self, op: &Op) -> PlannedStep {
        let (yaml, expected) = match op {
            Op::Twice(inner) => {
                // Both copies carry the same request; whichever comes first finds the state as
                // it is, the other the state the first left (the first use of a token wins).
                let yaml = self.render(inner);
                let presented = self.presented_token(inner);
                let first = self.predict_with(inner, presented);
                let second = self.predict_with(inner, presented);
                let mut outcomes = BTreeMap::new();
                *outcomes.entry(first.outcome()).or_insert(0) += 1;
                *outcomes.entry(second.outcome()).or_insert(0) += 1;
                let expected = Expected::Outcomes(outcomes);
                (
                    format!("{yaml}    parallel: 2\n{}", expect_yaml(&expected)),
                    expected,
                )
            }
            Op::WrongCodes { who } => {
                let repeat = match self.codes.get(who) {
                    Some(p) if self.live_code(p) && !p.burnt => {
                        self.rules.attempts - p.wrong.min(self.rules.attempts - 1)
                    }
                    _ => self.rules.attempts,
                };
                let mut last = Expected::Nothing;
                for _ in 0..repeat {
                    last = self.check_code(*who, None);
                }
                let yaml = format!(
                    "  - check_code: {{user: {}, code: \"{}\"}}\n    repeat: {repeat}\n",
                    user(*who),
                    wrong_literal(),
                );
                (format!("{yaml}{}", expect_yaml(&last)), last)
            }
            other => {
                let (yaml, expected) = self.call(other);
                let expect = match (&expected, other) {
                    // What a success carries: the next token, and never the code itself.
                    (Expected::Success, Op::SendCaptcha { .. } | Op::CheckCaptcha { .. } | Op::CheckCode { .. }) => {
                        "    expect:\n      status: 200\n      body: {/token: {type: string}}\n".to_owned()
                    }
                    (Expected::Success, Op::SendCode { .. }) => {
                        "    expect:\n      status: 200\n      body: {/expire: {type: integer}, /code: {exists: false}}\n".to_owned()
                    }
                    _ => expect_yaml(&expected),
                };
                (format!("{yaml}{expect}"), expected)
            }
        };
        PlannedStep {
            yaml,
            expected,
            op: op.clone(),
        }
    }

    /// The token index a call presents (before the call changes what is newest).
    fn presented_token(&self, op: &Op) -> Option<usize> {
        let tok = match op {
            Op::CheckCaptcha { token, .. }
            | Op::SendCode { token, .. }
            | Op::Reset { token, .. } => *token,
            _ => return None,
        };
        self.resolve(tok)
    }

    fn resolve(&self, tok: Tok) -> Option<usize> {
        match tok {
            Tok::T1 => self.newest[0],
            Tok::T2 => self.newest[1],
            Tok::T3 => self.newest[2],
            Tok::Missing | Tok::Forged => None,
        }
    }

    /// A call's YAML (without `expect`) and its prediction, the model moved on.
    fn call(&mut self, op: &Op) -> (String, Expected) {
        let yaml = self.render(op);
        let presented = self.presented_token(op);
        let expected = self.predict_with(op, presented);
        (yaml, expected)
    }

    fn predict_with(&mut self, op: &Op, presented: Option<usize>) -> Expected {
        match *op {
            Op::SendCaptcha {
                who,
                client_type,
                check_type,
            } => {
                self.issue(Kind::T1, who, client_type, check_type);
                Expected::Success
            }
            Op::CheckCaptcha {
                who,
                client_type,
                check_type,
                token,
                point,
                slide,
            } => self.check_captcha(who, client_type, check_type, token, presented, point, slide),
            Op::SendCode { who, channel, .. } => self.send_code(who, channel, presented),
            Op::CheckCode { who, guess } => {
                // As `render` chose: `{{ code }}` or `{{ wrong_code }}` when the flow can read
                // a code (which makes the oracle fetch it), a literal otherwise.
                let readable = self.code_readable();
                let presented = match guess {
                    Guess::Right if readable => self.read_code(),
                    Guess::Wrong if readable => {
                        let _ = self.read_code();
                        None
                    }
                    _ => None,
                };
                self.check_code(who, presented)
            }
            Op::Reset { who, password, .. } => self.reset(who, presented, password),
            Op::Login { with } => match with {
                LoginWith::Current => Expected::Success,
                LoginWith::Old if !self.main_reset => Expected::Success,
                LoginWith::Old | LoginWith::Wrong => Expected::Error("login_failed"),
            },
            Op::Wait(expiry) => {
                // The runner fetches what the oracles know before the clock moves.
                let _ = self.read_code();
                self.now += match expiry {
                    Expiry::T1 => self.rules.t1,
                    Expiry::Code => self.rules.code,
                } + 1;
                Expected::Nothing
            }
            Op::Malformed { .. } => Expected::Error("invalid_request"),
            Op::WrongCodes { .. } | Op::Twice(_) | Op::Reach(..) => Expected::Nothing,
        }
    }

    fn issue(&mut self, kind: Kind, user: Who, client_type: u8, check_type: u8) {
        self.tokens.push(Token {
            kind,
            user,
            client_type,
            check_type,
            issued: self.now,
            used: false,
        });
        let slot = match kind {
            Kind::T1 => 0,
            Kind::T2 => 1,
            Kind::T3 => 2,
        };
        self.newest[slot] = Some(self.tokens.len() - 1);
    }

    fn lifetime(&self, kind: Kind) -> u64 {
        match kind {
            Kind::T1 => self.rules.t1,
            Kind::T2 => self.rules.t2,
            Kind::T3 => self.rules.t3,
        }
    }

    /// Uses up the presented token if it is a live, unused one of `kind` (a use consumes it,
    /// pass or fail); returns it.
    fn use_token(&mut self, index: Option<usize>, kind: Kind) -> Option<usize> {
        let i = index?;
        let token = &self.tokens[i];
        let live =
            token.kind == kind && !token.used && self.now - token.issued < self.lifetime(kind);
        if live {
            self.tokens[i].used = true;
        }
        live.then_some(i)
    }

    /// `use_token`, and the token must be bound to `who` (another user's is used up too).
    fn use_token_of(&mut self, index: Option<usize>, kind: Kind, who: Who) -> Option<usize> {
        self.use_token(index, kind)
            .filter(|&i| self.tokens[i].user == who)
    }

    #[allow(clippy::too_many_arguments)]
    fn check_captcha(
        &mut self,
        who: Who,
        client_type: u8,
        check_type: u8,
        token: Tok,
        presented: Option<usize>,
        point: Point,
        slide: Slide,
    ) -> Expected {
        if token == Tok::Missing {
            return Expected::Error("invalid_request");
        }
        let Some(i) = self.use_token(presented, Kind::T1) else {
            return Expected::Error("captcha_token_invalid");
        };
        let t1 = &self.tokens[i];
        if (t1.user, t1.client_type, t1.check_type) != (who, client_type, check_type) {
            return Expected::Error("captcha_token_invalid");
        }
        // The answer the YAML aims at is the newest T1's: only that one's is known.
        let aimed_at_this = self.newest[0] == Some(i);
        let point_ok = matches!(point, Point::Right | Point::AtTolerance) && aimed_at_this;
        let slide_ok = slide == Slide::Plausible;
        if !(point_ok && slide_ok) {
            if !self.rules.burns_t1_on_mismatch {
                self.tokens[i].used = false;
            }
            return Expected::Error("captcha_mismatch");
        }
        self.issue(Kind::T2, who, 0, 0);
        Expected::Success
    }

    fn send_code(&mut self, who: Who, channel: Channel, presented: Option<usize>) -> Expected {
        // The channel is read before the token: an account name must name one, and only `sms`
        // and `email` exist (an identity's own channel wins over what it asks).
        if channel == Channel::Bogus || (who == Who::Account && channel == Channel::Default) {
            return Expected::Error("invalid_request");
        }
        // A missing T2 presents nothing, and fails as an unknown one does.
        if self.use_token_of(presented, Kind::T2, who).is_none() {
            return Expected::Error("access_token_invalid");
        }
        if self
            .resend_until
            .get(&who)
            .is_some_and(|until| self.now < *until)
        {
            return Expected::Error("send_too_frequent");
        }
        self.resend_until.insert(who, self.now + self.rules.resend);
        self.sends += 1;
        self.last_send.insert(who, self.sends);
        self.codes.insert(
            who,
            Pending {
                send: self.sends,
                issued: self.now,
                wrong: 0,
                burnt: false,
                deliverable: who != Who::Ghost,
            },
        );
        self.code_pending_for = Some(who);
        Expected::Success
    }

    fn live_code(&self, pending: &Pending) -> bool {
        self.now - pending.issued < self.rules.code
    }

    /// The code a step reading `{{ code }}` sends: the oracle fetches the newest code of the
    /// user last sent one, once. `None` when there is no code to read (see `code_readable`).
    fn read_code(&mut self) -> Option<(Who, u64)> {
        if let Some(who) = self.code_pending_for.take() {
            // The newest message to that user: from the last send to them. None reaches an
            // unknown user, so that fetch fails and the flow keeps the code it had.
            if let (true, Some(send)) = (who != Who::Ghost, self.last_send.get(&who)) {
                self.code_held = Some((who, *send));
            }
        }
        self.code_held
    }

    /// Whether a step may read `{{ code }}`: the oracle has, or will fetch, a code (a code
    /// "sent" to an unknown user goes nowhere, so the oracle has none).
    fn code_readable(&self) -> bool {
        match self.code_pending_for {
            Some(Who::Ghost) => false,
            Some(_) => true,
            None => self.code_held.is_some(),
        }
    }

    fn check_code(&mut self, who: Who, presented: Option<(Who, u64)>) -> Expected {
        let attempts = self.rules.attempts;
        let now = self.now;
        let code_lifetime = self.rules.code;
        let Some(pending) = self
            .codes
            .get_mut(&who)
            .filter(|p| now - p.issued < code_lifetime)
        else {
            return Expected::Error("code_mismatch");
        };
        if pending.burnt {
            return Expected::Error("code_attempts_exceeded");
        }
        if pending.deliverable && presented == Some((who, pending.send)) {
            self.codes.remove(&who);
            self.issue(Kind::T3, who, 0, 0);
            return Expected::Success;
        }
        pending.wrong += 1;
        if pending.wrong >= attempts {
            pending.burnt = true;
        }
        Expected::Error("code_mismatch")
    }

    fn reset(&mut self, who: Who, presented: Option<usize>, password: NewPassword) -> Expected {
        // A missing T3 header presents nothing, and fails as an unknown one does.
        let Some(i) = self.use_token_of(presented, Kind::T3, who) else {
            return Expected::Error("reset_token_invalid");
        };
        let breaks_policy = match password {
            NewPassword::Valid => false,
            // The main user's account name is no rule for another user's password.
            NewPassword::UserName => who == Who::Main,
            NewPassword::TooShort | NewPassword::OneClass | NewPassword::Run => true,
        };
        if breaks_policy {
            if !self.rules.burns_t3_on_policy {
                self.tokens[i].used = false;
            }
            return Expected::Error("password_policy");
        }
        if who == Who::Main {
            self.main_reset = true;
        }
        Expected::Success
    }

    /// The step's call in YAML, every field given (no default reads a value the flow may not
    /// have yet).
    fn render(&self, op: &Op) -> String {
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
            } => {
                let has_t1 = self.newest[0].is_some();
                let tolerance = self.rules.tolerance;
                let point_x = match (point, has_t1) {
                    (Point::Negative, _) => format!("\"{{{{ 0 - {} }}}}\"", tolerance + 1),
                    (Point::Huge, _) => i32::MAX.to_string(),
                    (_, false) => "150".to_owned(),
                    (Point::Right, true) => "\"{{ answer.pointX }}\"".to_owned(),
                    (Point::AtTolerance, true) => format!("\"{{{{ answer.pointX + {tolerance} }}}}\""),
                    (Point::Beyond, true) => format!("\"{{{{ answer.pointX + {} }}}}\"", tolerance + 1),
                };
                let slide_time = match slide {
                    Slide::Plausible => 1500.clamp(self.rules.slide_min, self.rules.slide_max.max(self.rules.slide_min)),
                    Slide::TooFast => self.rules.slide_min - 1,
                    Slide::TooSlow => self.rules.slide_max + 1,
                };
                format!(
                    "  - check_captcha: {{user: {}, client_type: {client_type}, check_type: {check_type}, token: {}, point_x: {point_x}, slide_time: {slide_time}}}\n",
                    user(who),
                    self.token_yaml(token)
                )
            }
            Op::SendCode {
                who,
                token,
                channel,
            } => {
                let method = match channel {
                    Channel::Default => "null",
                    Channel::Sms => "sms",
                    Channel::Email => "email",
                    Channel::Bogus => "fax",
                };
                format!(
                    "  - send_code: {{user: {}, token: {}, send_method: {method}}}\n",
                    user(who),
                    self.token_yaml(token)
                )
            }
            Op::CheckCode { who, guess } => {
                let code = match guess {
                    Guess::Right if self.code_readable() => "\"{{ code }}\"".to_owned(),
                    Guess::Wrong if self.code_readable() => "\"{{ wrong_code }}\"".to_owned(),
                    Guess::Unicode => "\"\\u0661\\u0662\\u0663\\u0664\\u0665\\u0666\"".to_owned(),
                    Guess::Right | Guess::Wrong => format!("\"{}\"", wrong_literal()),
                };
                format!("  - check_code: {{user: {}, code: {code}}}\n", user(who))
            }
            Op::Reset {
                who,
                token,
                password,
            } => {
                let new_password = match password {
                    NewPassword::Valid => "\"{{ password(12) }}\"".to_owned(),
                    NewPassword::TooShort => format!("\"{{{{ password({}) }}}}\"", self.rules.min_length - 1),
                    NewPassword::OneClass => "\"abcdefghjkmn\"".to_owned(),
                    NewPassword::Run => "\"Aa1#xxxB2c$d\"".to_owned(),
                    NewPassword::UserName => "\"Zz9!{{ account }}\"".to_owned(),
                };
                format!(
                    "  - reset_password: {{user: {}, token: {}, new_password: {new_password}}}\n",
                    user(who),
                    self.token_yaml(token)
                )
            }
            Op::Login { with } => {
                let password = match with {
                    LoginWith::Current => "\"{{ password }}\"",
                    LoginWith::Old => "\"{{ old_password }}\"",
                    LoginWith::Wrong => "\"Wrong#Pass99\"",
                };
                format!("  - login: {{account: \"{{{{ user }}}}\", password: {password}}}\n")
            }
            Op::Wait(expiry) => {
                let of = match expiry {
                    Expiry::T1 => "t1",
                    Expiry::Code => "code",
                };
                format!("  - wait: {{expire_of: {of}}}\n")
            }
            Op::Malformed { call, mutation } => malformed_yaml(call, mutation),
            Op::WrongCodes { .. } | Op::Twice(_) | Op::Reach(..) => String::new(),
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

/// A token-shaped string no gateway issued.
pub fn forged_token() -> &'static str {
    "ForgedTokenForgedTokenForgedToken"
}

/// A code no gateway sends (letters, where codes are digits).
fn wrong_literal() -> &'static str {
    "xxxxxx"
}

fn user(who: Who) -> &'static str {
    match who {
        Who::Main => "\"{{ user }}\"",
        Who::Other => "\"{{ users.other }}\"",
        Who::Account => "\"{{ users.acct }}\"",
        Who::Ghost => "\"{{ users.ghost }}\"",
    }
}

fn expect_yaml(expected: &Expected) -> String {
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

/// A request the gateway must refuse as `invalid_request`, whatever the flow's state.
fn malformed_yaml(call: Call, mutation: Mutation) -> String {
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
        Mutation::DuplicateKey => raw("{\"user\": \"+8613600000000\", \"user\": \"+8613600000001\", \"clientType\": 0, \"checkType\": 1}"),
        Mutation::WrongContentType => format!("  - {name}: {{{fields}, content_type: text/plain}}\n"),
        Mutation::MissingUser => format!("  - {name}: {{{fields}, without: [user]}}\n"),
        Mutation::UserNotAString => typed(&fields.replacen(user_field, "user: 8613600000000", 1)),
        Mutation::EmptyUser => typed(&fields.replacen(user_field, "user: \"\"", 1)),
        Mutation::LongUser => typed(&fields.replacen(user_field, &format!("user: \"{}\"", "u".repeat(256)), 1)),
        Mutation::HugeNumber => match call {
            Call::SendCaptcha | Call::CheckCaptcha => typed(&fields.replacen("client_type: 0", "client_type: 123456789012345678901234567890", 1)),
            _ => typed(&fields.replacen(user_field, "user: 123456789012345678901234567890", 1)),
        },
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fuzz::ops::Stage;

    fn expected(ops: &[Op]) -> Vec<Expected> {
        Model::new(&Profile::reference())
            .plan(ops)
            .into_iter()
            .map(|step| step.expected)
            .collect()
    }

    fn error(kind: &'static str) -> Expected {
        Expected::Error(kind)
    }

    #[test]
    fn a_token_race_has_one_winner() {
        let reset = Op::Reset {
            who: Who::Main,
            token: Tok::T3,
            password: NewPassword::Valid,
        };
        let steps = expected(&[Op::Reach(Who::Main, Stage::T3), Op::Twice(Box::new(reset))]);
        let outcomes = BTreeMap::from([("reset_token_invalid", 1), ("success", 1)]);
        assert_eq!(steps.last(), Some(&Expected::Outcomes(outcomes)));
    }

    #[test]
    fn wrong_codes_burn_the_code_at_the_limit() {
        let steps = expected(&[
            Op::Reach(Who::Main, Stage::Code),
            Op::CheckCode {
                who: Who::Main,
                guess: Guess::Wrong,
            },
            Op::WrongCodes { who: Who::Main },
            Op::CheckCode {
                who: Who::Main,
                guess: Guess::Right,
            },
        ]);
        assert_eq!(
            &steps[3..],
            [
                error("code_mismatch"),
                error("code_mismatch"),
                error("code_attempts_exceeded")
            ]
        );
        // One wrong code before: the repeat makes up the rest of the limit only.
        let plan = Model::new(&Profile::reference()).plan(&[
            Op::Reach(Who::Main, Stage::Code),
            Op::CheckCode {
                who: Who::Main,
                guess: Guess::Wrong,
            },
            Op::WrongCodes { who: Who::Main },
        ]);
        assert!(plan[4].yaml.contains("repeat: 4"), "{}", plan[4].yaml);
    }

    #[test]
    fn a_token_used_for_another_user_is_used_up() {
        let send = |who| Op::SendCode {
            who,
            token: Tok::T2,
            channel: Channel::Default,
        };
        let steps = expected(&[
            Op::Reach(Who::Main, Stage::T2),
            send(Who::Other),
            send(Who::Main),
        ]);
        assert_eq!(
            &steps[2..],
            [error("access_token_invalid"), error("access_token_invalid")]
        );
    }

    #[test]
    fn tokens_expire_past_their_lifetime_and_the_resend_interval_ends() {
        let steps = expected(&[
            Op::Reach(Who::Main, Stage::Code),
            Op::Wait(Expiry::Code),
            Op::CheckCode {
                who: Who::Main,
                guess: Guess::Right,
            },
            Op::Reach(Who::Main, Stage::T3),
        ]);
        assert_eq!(steps[4], error("code_mismatch"));
        assert!(
            steps[5..].iter().all(|e| *e == Expected::Success),
            "{steps:?}"
        );
    }

    #[test]
    fn an_account_name_must_say_where_the_code_goes() {
        let send = |channel| Op::SendCode {
            who: Who::Account,
            token: Tok::T2,
            channel,
        };
        let steps = expected(&[
            Op::Reach(Who::Account, Stage::T2),
            send(Channel::Default),
            send(Channel::Bogus),
            send(Channel::Email),
        ]);
        // Refused before the token is read: T2 is still there for the third try.
        assert_eq!(
            &steps[2..],
            [
                error("invalid_request"),
                error("invalid_request"),
                Expected::Success
            ]
        );
    }

    #[test]
    fn a_code_sent_to_an_unknown_user_is_never_read() {
        let plan = Model::new(&Profile::reference()).plan(&[
            Op::Reach(Who::Ghost, Stage::Code),
            Op::CheckCode {
                who: Who::Ghost,
                guess: Guess::Right,
            },
        ]);
        assert_eq!(plan[3].expected, error("code_mismatch"));
        assert!(!plan[3].yaml.contains("{{ code }}"), "{}", plan[3].yaml);
    }
}
