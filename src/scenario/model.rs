//! The checked scenario model: what a YAML file means once decoded and validated. Every part a
//! failure can point at carries its `Location` in the file.

use std::time::Duration;

use serde_json::Value;

use super::matcher::Matcher;
use super::path::JsonPath;
use super::template::Template;
pub use crate::api::Operation;
use crate::yaml::diagnostic::Location;

#[derive(Debug, Clone)]
pub struct Scenario {
    /// The file it came from, as given.
    pub path: String,
    pub name: String,
    pub description: Option<String>,
    pub tags: Vec<String>,
    pub vars: Vec<(String, TValue)>,
    /// Fresh users this scenario needs; the first is `user`.
    pub users: Vec<UserDecl>,
    /// Profile switches that must be true for the scenario to apply (else it is skipped).
    pub requires: Vec<(super::requirement::Requirement, Location)>,
    /// The ids of the choice catalogue and the API rules it checks (`covers:`), in its order.
    pub covers: Vec<String>,
    pub steps: Vec<Step>,
    /// How to run it under load (`gatecheck load`).
    pub load: Option<super::load_spec::LoadSpec>,
}

impl Scenario {
    /// Whether a step or a variable reads one of its test users: if none does, a load run
    /// creates and takes none (a bare request should not cost a user per flow).
    pub fn reads_users(&self) -> bool {
        let vars = self.vars.iter().flat_map(|(_, value)| value.templates());
        self.steps.iter().any(|s| s.reads.user) || Reads::of(vars).user
    }

    /// Whether some step moves time (so it must not share the gateway's clock with others).
    pub fn moves_time(&self) -> bool {
        self.steps
            .iter()
            .any(|s| matches!(s.action, Action::Wait(_)))
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserDecl {
    pub name: String,
    pub kind: UserKind,
}

pub use crate::profile::{UserKind, USER_KINDS};

#[derive(Debug, Clone)]
pub struct Step {
    pub at: Location,
    pub name: String,
    pub action: Action,
    pub expect: Expect,
    pub capture: Vec<Capture>,
    /// Run the step this many times at once.
    pub parallel: Option<u32>,
    /// Run the step this many times one after the other (a count or a template giving one).
    pub repeat: Option<TValue>,
    /// What its templates read that the runner must provide; worked out once, by the decoder.
    pub reads: Reads,
}

/// Values a step reads that cost something to provide: oracle answers, the last answer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Reads {
    /// `answer.*`: the CAPTCHA oracle.
    pub answer: bool,
    /// `code` or `wrong_code`: the code oracle.
    pub code: bool,
    /// `last.*`: the previous step's status and body.
    pub last: bool,
    /// A test user: its identity, password or account (`user`, `users.NAME`, `password`, ...),
    /// or the code oracle, which looks the user's code up.
    pub user: bool,
}

/// The context's names that come from the scenario's test users (`runner::scenario::context_for`).
const USER_NAMES: [&str; 9] = [
    "user",
    "users",
    "password",
    "old_password",
    "new_password",
    "client_type",
    "account",
    "account_reversed",
    "send_method",
];

impl Reads {
    pub fn of<'t>(templates: impl IntoIterator<Item = &'t super::template::Template>) -> Self {
        let mut reads = Reads::default();
        for template in templates {
            for path in template.paths() {
                match path.first().map(String::as_str) {
                    Some("answer") => reads.answer = true,
                    Some("code" | "wrong_code") => reads.code = true,
                    Some("last") => reads.last = true,
                    Some(name) if USER_NAMES.contains(&name) => reads.user = true,
                    _ => {}
                }
            }
        }
        reads.user |= reads.code;
        reads
    }
}

impl Step {
    /// The name its latency is reported under in load runs: the operation, `request` or `wait`.
    pub fn metric_name(&self) -> &'static str {
        match &self.action {
            Action::Call(call) => call.operation.name(),
            Action::Request(_) => "request",
            Action::Wait(_) => "wait",
        }
    }
}

#[derive(Debug, Clone)]
pub enum Action {
    Call(Call),
    Request(RawRequest),
    Wait(Wait),
}

/// One of the six operations, its body built from typed fields with flow defaults.
#[derive(Debug, Clone)]
pub struct Call {
    pub operation: Operation,
    /// Fields the scenario set, by field name (`point_x`); null means "leave it out".
    pub fields: Vec<(&'static str, TValue)>,
    /// Raw JSON members set on the body after the fields (any type: for mistyped fields).
    pub with: Vec<(String, TValue)>,
    /// JSON members removed from the body.
    pub without: Vec<String>,
    pub headers: Vec<(String, Template)>,
    pub content_type: Option<Template>,
}

#[derive(Debug, Clone)]
pub struct RawRequest {
    pub method: String,
    pub path: Template,
    pub headers: Vec<(String, Template)>,
    pub body: RawBody,
}

#[derive(Debug, Clone)]
pub enum RawBody {
    None,
    Text(Template),
    Json(TValue),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Wait {
    For(Duration),
    /// Past the lifetime of a token (`t1`, `t2`, `code`, `t3`) or the resend interval (`resend`).
    ExpireOf(String),
}

pub const EXPIRING: &[&str] = &["t1", "t2", "code", "t3", "resend"];

#[derive(Debug, Clone)]
pub struct Capture {
    pub name: String,
    pub path: JsonPath,
    pub at: Location,
}

/// What a step's answer must be. With neither `status` nor `error`, a call must succeed.
#[derive(Debug, Clone, Default)]
pub struct Expect {
    pub at: Location,
    pub status: Option<u16>,
    pub error: Option<String>,
    pub body: Vec<Check>,
    pub headers: Vec<Check>,
    pub max_latency: Option<Duration>,
    /// For `parallel` steps: how many answers of each outcome (`success` or a failure kind).
    pub outcomes: Vec<(String, u32)>,
}

/// Matchers on one place (a body path or a header name).
#[derive(Debug, Clone)]
pub struct Check {
    pub at: Location,
    pub target: CheckTarget,
    pub matchers: Vec<Matcher<TValue>>,
}

#[derive(Debug, Clone)]
pub enum CheckTarget {
    Body(JsonPath),
    Header(String),
}

/// A JSON value whose strings may hold templates.
#[derive(Debug, Clone, PartialEq)]
pub enum TValue {
    Null,
    Bool(bool),
    Number(serde_json::Number),
    Text(Template),
    Array(Vec<TValue>),
    Object(Vec<(String, TValue)>),
}

impl TValue {
    /// Renders every template; `lookup` resolves paths.
    pub fn render(&self, lookup: &dyn Fn(&[String]) -> Option<Value>) -> Result<Value, String> {
        Ok(match self {
            TValue::Null => Value::Null,
            TValue::Bool(b) => Value::Bool(*b),
            TValue::Number(n) => Value::Number(n.clone()),
            TValue::Text(t) => t.render(lookup)?,
            TValue::Array(items) => Value::Array(
                items
                    .iter()
                    .map(|i| i.render(lookup))
                    .collect::<Result<_, _>>()?,
            ),
            TValue::Object(members) => Value::Object(
                members
                    .iter()
                    .map(|(k, v)| Ok((k.clone(), v.render(lookup)?)))
                    .collect::<Result<_, String>>()?,
            ),
        })
    }

    /// The path, if the value is a template of one path and nothing else (`Template::single_path`).
    pub fn single_path(&self) -> Option<&[String]> {
        match self {
            TValue::Text(template) => template.single_path(),
            _ => None,
        }
    }

    /// Whether no template inside has a hole.
    pub fn is_constant(&self) -> bool {
        self.templates().iter().all(|t| t.is_constant())
    }

    /// Every template inside.
    pub fn templates(&self) -> Vec<&Template> {
        match self {
            TValue::Text(t) => vec![t],
            TValue::Array(items) => items.iter().flat_map(TValue::templates).collect(),
            TValue::Object(members) => members.iter().flat_map(|(_, v)| v.templates()).collect(),
            _ => Vec::new(),
        }
    }
}

/// A typed field of an operation: its scenario name, its JSON name, and where it goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldSpec {
    pub name: &'static str,
    pub json: &'static str,
    pub place: Place,
    /// The template used when the scenario does not set the field (None: not sent).
    pub default: Option<&'static str>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    Body,
    Header,
    /// Basic credentials (login's account and password).
    BasicAuth,
}

const fn field(name: &'static str, json: &'static str, default: Option<&'static str>) -> FieldSpec {
    FieldSpec {
        name,
        json,
        place: Place::Body,
        default,
    }
}

const USER: FieldSpec = field("user", "user", Some("{{ user }}"));
const CLIENT: FieldSpec = field("client_type", "clientType", Some("{{ client_type }}"));
const CHECK: FieldSpec = field("check_type", "checkType", Some("1"));
const SEND_CAPTCHA: &[FieldSpec] = &[USER, CLIENT, CHECK];
const CHECK_CAPTCHA: &[FieldSpec] = &[
    USER,
    CLIENT,
    CHECK,
    field("token", "token", Some("{{ t1 }}")),
    field("point_x", "pointX", Some("{{ answer.pointX }}")),
    // A human drag of 1.5 s where the profile's bounds allow it (`Profile::to_value`).
    field(
        "slide_time",
        "slideTime",
        Some("{{ profile.captcha.slide_time_typical }}"),
    ),
];
const SEND_CODE: &[FieldSpec] = &[
    USER,
    field("send_method", "sendMethod", Some("{{ send_method }}")),
    field("token", "token", Some("{{ t2 }}")),
];
const CHECK_CODE: &[FieldSpec] = &[USER, field("code", "code", Some("{{ code }}"))];
const RESET_PASSWORD: &[FieldSpec] = &[
    USER,
    field("new_password", "newPwd", Some("{{ new_password }}")),
    field("password_type", "passWordType", None),
    FieldSpec {
        name: "token",
        json: "X-Access-Token",
        place: Place::Header,
        default: Some("{{ t3 }}"),
    },
];
const LOGIN: &[FieldSpec] = &[
    FieldSpec {
        name: "account",
        json: "account",
        place: Place::BasicAuth,
        default: Some("{{ user }}"),
    },
    FieldSpec {
        name: "password",
        json: "password",
        place: Place::BasicAuth,
        default: Some("{{ password }}"),
    },
    field("client_type", "clientType", Some("72")),
];

impl FieldSpec {
    /// The default as a value: literal numbers (`1`, `72`) stay numbers, the rest are templates.
    fn parsed_default(&self) -> Option<TValue> {
        let text = self.default?;
        Some(match text.parse::<serde_json::Number>() {
            Ok(number) => TValue::Number(number),
            // The defaults are ours and well formed (a test parses each); a bad one would be
            // left out of the request.
            Err(_) => Template::parse(text).map_or_else(|_| TValue::Null, TValue::Text),
        })
    }
}

/// The defaults of `fields_of(operation)`, in its order, parsed once per process: not once
/// per request, nor looked up by their text (hashing it was 3% of a flow's instructions).
pub fn defaults_of(operation: Operation) -> &'static [Option<TValue>] {
    static PARSED: std::sync::OnceLock<Vec<Vec<Option<TValue>>>> = std::sync::OnceLock::new();
    let parsed = PARSED.get_or_init(|| {
        Operation::ALL
            .iter()
            .map(|op| {
                fields_of(*op)
                    .iter()
                    .map(FieldSpec::parsed_default)
                    .collect()
            })
            .collect()
    });
    &parsed[operation as usize]
}

/// The typed fields of each operation with the flow's defaults, so a happy path is a few lines.
pub fn fields_of(operation: Operation) -> &'static [FieldSpec] {
    match operation {
        Operation::SendCaptcha => SEND_CAPTCHA,
        Operation::CheckCaptcha => CHECK_CAPTCHA,
        Operation::SendCode => SEND_CODE,
        Operation::CheckCode => CHECK_CODE,
        Operation::ResetPassword => RESET_PASSWORD,
        Operation::Login => LOGIN,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_operation_has_its_own_defaults_in_field_order() {
        for (index, operation) in Operation::ALL.iter().enumerate() {
            // `defaults_of` indexes by the declaration order.
            assert_eq!(*operation as usize, index);
            let defaults = defaults_of(*operation);
            assert_eq!(defaults.len(), fields_of(*operation).len());
            for (spec, default) in fields_of(*operation).iter().zip(defaults) {
                // Every default parses: a broken one would silently be null.
                assert_eq!(spec.default.is_some(), default.is_some(), "{}", spec.name);
                assert!(!matches!(default, Some(TValue::Null)), "{}", spec.name);
            }
        }
        let login = defaults_of(Operation::Login);
        assert!(matches!(login[2], Some(TValue::Number(_))), "{login:?}");
        assert!(matches!(login[0], Some(TValue::Text(_))), "{login:?}");
    }
}
