//! Profiles: what a gateway chose where the API is silent (failure kinds → status and code,
//! lifetimes, tolerance, limits, which failed uses burn a token, password rules, test support,
//! oracles, test accounts). Scenarios read these instead of hard-coding them. The reference
//! gateway's profile is built in (`profiles/reference.yaml`).

use std::collections::BTreeMap;
use std::time::Duration;

use marked_yaml::Node;
use serde_json::{json, Value};

use crate::scenario::diagnostic::FileErrors;
use crate::scenario::model::UserKind;
use crate::scenario::yaml::{self, Errors};

pub const REFERENCE_YAML: &str = include_str!("../profiles/reference.yaml");

/// The failure kinds a profile must map.
pub const KINDS: &[&str] = &[
    "invalid_request",
    "captcha_token_invalid",
    "captcha_mismatch",
    "access_token_invalid",
    "send_too_frequent",
    "code_mismatch",
    "code_attempts_exceeded",
    "reset_token_invalid",
    "password_policy",
    "login_failed",
    "internal",
];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorSpec {
    pub status: u16,
    pub code: String,
}

#[derive(Debug, Clone)]
pub struct Profile {
    pub name: String,
    pub test_support: bool,
    pub errors: BTreeMap<String, ErrorSpec>,
    pub lifetimes: BTreeMap<String, Duration>,
    pub captcha_tolerance: i64,
    pub slide_time_min: i64,
    pub slide_time_max: i64,
    pub code_attempts: i64,
    pub resend_interval: Duration,
    pub code_length: i64,
    pub burns: BTreeMap<String, bool>,
    pub password: BTreeMap<String, Value>,
    pub strict_errors: bool,
    pub oracle: OracleChoice,
    pub accounts: Vec<Account>,
    /// `to_value()`, built once and shared by every flow of a run.
    value_cache: std::sync::OnceLock<std::sync::Arc<Value>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OracleChoice {
    pub captcha: CaptchaOracle,
    pub code: CodeOracle,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaptchaOracle {
    Auto,
    TestApi,
    Solve,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CodeOracle {
    Auto,
    TestApi,
    Fixed(String),
    /// An HTTP sink: URL template (`{{ user }}`, `{{ destination }}`) and a JSON pointer to the code.
    Sink {
        url: String,
        pointer: String,
    },
    /// A program (and arguments, templated) that prints the code.
    Command(Vec<String>),
}

/// A test account of a gateway without test support.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub user: String,
    pub password: String,
    pub kind: UserKind,
    pub account: Option<String>,
}

const TOP_KEYS: &[&str] = &[
    "name",
    "test_support",
    "errors",
    "lifetimes",
    "captcha",
    "code",
    "burns",
    "password",
    "strict_errors",
    "oracle",
    "accounts",
];
const LIFETIMES: &[&str] = &["t1", "t2", "code", "t3"];
const BURNS: &[&str] = &["t1_on_mismatch", "t3_on_policy"];
const PASSWORD: &[&str] = &[
    "min_length",
    "max_length",
    "min_classes",
    "max_run",
    "forbid_user_name",
];

impl Profile {
    pub fn reference() -> Self {
        // The built-in file is checked by a unit test; failing here would be a build defect.
        match Self::parse("<built-in reference profile>", REFERENCE_YAML) {
            Ok(profile) => profile,
            Err(e) => panic!("built-in reference profile is invalid:\n{e}"),
        }
    }

    pub fn parse(path: &str, text: &str) -> Result<Self, FileErrors> {
        let root = yaml::parse(path, text)?;
        let mut errors = Errors::default();
        let profile = decode(&root, &mut errors);
        errors.finish(path, text, profile)
    }

    pub fn error(&self, kind: &str) -> Option<&ErrorSpec> {
        self.errors.get(kind)
    }

    /// The kind whose status and code these are.
    pub fn kind_of(&self, status: u16, code: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|(_, spec)| spec.status == status && spec.code == code)
            .map(|(kind, _)| kind.as_str())
    }

    pub fn lifetime(&self, of: &str) -> Option<Duration> {
        match of {
            "resend" => Some(self.resend_interval),
            other => self.lifetimes.get(other).copied(),
        }
    }

    /// `to_value()`, computed on first use and then shared: adjust a profile before running
    /// with it, not after.
    pub fn shared_value(&self) -> std::sync::Arc<Value> {
        std::sync::Arc::clone(
            self.value_cache
                .get_or_init(|| std::sync::Arc::new(self.to_value())),
        )
    }

    /// The profile as templates see it (`profile.captcha.tolerance`); durations in seconds.
    pub fn to_value(&self) -> Value {
        let secs = |d: &Duration| json!(d.as_secs());
        json!({
            "name": self.name,
            "test_support": self.test_support,
            "errors": self.errors.iter().map(|(k, e)| (k.clone(), json!({"status": e.status, "code": e.code}))).collect::<serde_json::Map<_, _>>(),
            "lifetimes": self.lifetimes.iter().map(|(k, d)| (k.clone(), secs(d))).collect::<serde_json::Map<_, _>>(),
            "captcha": {"tolerance": self.captcha_tolerance, "slide_time_min": self.slide_time_min, "slide_time_max": self.slide_time_max},
            "code": {"attempts": self.code_attempts, "resend_interval": secs(&self.resend_interval), "length": self.code_length},
            "burns": self.burns,
            "password": self.password,
            "strict_errors": self.strict_errors,
        })
    }
}

fn decode(root: &Node, errors: &mut Errors) -> Profile {
    let mut profile = Profile {
        name: String::new(),
        test_support: false,
        errors: BTreeMap::new(),
        lifetimes: BTreeMap::new(),
        captcha_tolerance: 0,
        slide_time_min: 0,
        slide_time_max: 0,
        code_attempts: 0,
        resend_interval: Duration::ZERO,
        code_length: 6,
        burns: BTreeMap::new(),
        password: BTreeMap::new(),
        strict_errors: true,
        oracle: OracleChoice {
            captcha: CaptchaOracle::Auto,
            code: CodeOracle::Auto,
        },
        accounts: Vec::new(),
        value_cache: std::sync::OnceLock::new(),
    };
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
    if let Some(node) = map.get_node("strict_errors") {
        profile.strict_errors = errors.boolean(node, "`strict_errors`").unwrap_or(true);
    }
    if let Some(node) = required(errors, "errors") {
        decode_errors(node, errors, &mut profile);
    }
    if let Some(node) = required(errors, "lifetimes") {
        if let Some(lifetimes) = errors.mapping(node, "`lifetimes`") {
            errors.known_keys(lifetimes, LIFETIMES, "`lifetimes`");
            for key in LIFETIMES {
                match lifetimes.get_node(key) {
                    Some(value) => {
                        if let Some(d) = errors.duration(value, &format!("lifetime `{key}`")) {
                            profile.lifetimes.insert((*key).to_owned(), d);
                        }
                    }
                    None => errors.at(node, format!("`lifetimes` needs `{key}`")),
                }
            }
        }
    }
    if let Some(node) = required(errors, "captcha") {
        if let Some(captcha) = errors.mapping(node, "`captcha`") {
            errors.known_keys(
                captcha,
                &["tolerance", "slide_time_min", "slide_time_max"],
                "`captcha`",
            );
            let mut int = |key: &str| {
                captcha
                    .get_node(key)
                    .and_then(|n| errors.integer(n, &format!("`captcha.{key}`")))
            };
            profile.captcha_tolerance = int("tolerance").unwrap_or(0);
            profile.slide_time_min = int("slide_time_min").unwrap_or(0);
            profile.slide_time_max = int("slide_time_max").unwrap_or(i64::MAX);
        }
    }
    if let Some(node) = required(errors, "code") {
        if let Some(code) = errors.mapping(node, "`code`") {
            errors.known_keys(code, &["attempts", "resend_interval", "length"], "`code`");
            if let Some(n) = code.get_node("attempts") {
                profile.code_attempts = errors.integer(n, "`code.attempts`").unwrap_or(0);
            }
            if let Some(n) = code.get_node("length") {
                profile.code_length = errors.integer(n, "`code.length`").unwrap_or(6);
            }
            if let Some(n) = code.get_node("resend_interval") {
                profile.resend_interval = errors
                    .duration(n, "`code.resend_interval`")
                    .unwrap_or_default();
            }
        }
    }
    if let Some(node) = map.get_node("burns") {
        if let Some(burns) = errors.mapping(node, "`burns`") {
            errors.known_keys(burns, BURNS, "`burns`");
            for (key, value) in burns.iter() {
                if let Some(b) = errors.boolean(value, &format!("`burns.{}`", key.as_str())) {
                    profile.burns.insert(key.as_str().to_owned(), b);
                }
            }
        }
    }
    for key in BURNS {
        profile.burns.entry((*key).to_owned()).or_insert(true);
    }
    if let Some(node) = map.get_node("password") {
        if let Some(password) = errors.mapping(node, "`password`") {
            errors.known_keys(password, PASSWORD, "`password`");
            for (key, value) in password.iter() {
                let what = format!("`password.{}`", key.as_str());
                let parsed = if key.as_str() == "forbid_user_name" {
                    errors.boolean(value, &what).map(Value::from)
                } else {
                    errors.integer(value, &what).map(Value::from)
                };
                if let Some(parsed) = parsed {
                    profile.password.insert(key.as_str().to_owned(), parsed);
                }
            }
        }
    }
    if let Some(node) = map.get_node("oracle") {
        profile.oracle = decode_oracle(node, errors);
    }
    if let Some(node) = map.get_node("accounts") {
        profile.accounts = decode_accounts(node, errors);
    }
    profile
}

fn decode_errors(node: &Node, errors: &mut Errors, profile: &mut Profile) {
    let Some(map) = errors.mapping(node, "`errors`") else {
        return;
    };
    errors.known_keys(map, KINDS, "`errors`");
    for kind in KINDS {
        let Some(spec) = map.get_node(kind) else {
            errors.at(node, format!("`errors` needs the failure kind `{kind}`"));
            continue;
        };
        let Some(spec_map) = errors.mapping(spec, &format!("`errors.{kind}`")) else {
            continue;
        };
        errors.known_keys(spec_map, &["status", "code"], &format!("`errors.{kind}`"));
        let status = spec_map
            .get_node("status")
            .and_then(|n| errors.integer(n, "`status`"));
        let code = spec_map
            .get_node("code")
            .and_then(|n| errors.string(n, "`code`"));
        match (status, code) {
            (Some(status @ 100..=599), Some(code)) => {
                profile.errors.insert(
                    (*kind).to_owned(),
                    ErrorSpec {
                        status: status as u16,
                        code,
                    },
                );
            }
            (Some(_), Some(_)) => errors.at(
                spec,
                format!("`errors.{kind}.status` must be an HTTP status (100-599)"),
            ),
            _ => errors.at(spec, format!("`errors.{kind}` needs `status` and `code`")),
        }
    }
}

fn decode_oracle(node: &Node, errors: &mut Errors) -> OracleChoice {
    let mut choice = OracleChoice {
        captcha: CaptchaOracle::Auto,
        code: CodeOracle::Auto,
    };
    let Some(map) = errors.mapping(node, "`oracle`") else {
        return choice;
    };
    errors.known_keys(
        map,
        &["captcha", "code", "fixed_code", "sink", "command"],
        "`oracle`",
    );
    if let Some(n) = map.get_node("captcha") {
        match errors.string(n, "`oracle.captcha`").as_deref() {
            Some("auto") => choice.captcha = CaptchaOracle::Auto,
            Some("test-api") => choice.captcha = CaptchaOracle::TestApi,
            Some("solve") => choice.captcha = CaptchaOracle::Solve,
            Some(other) => errors.push(
                crate::scenario::diagnostic::Diagnostic::new(
                    yaml::at(n),
                    other.len(),
                    format!("unknown CAPTCHA oracle `{other}`"),
                )
                .suggest(other, ["auto", "test-api", "solve"]),
            ),
            None => {}
        }
    }
    if let Some(n) = map.get_node("code") {
        let name = errors.string(n, "`oracle.code`").unwrap_or_default();
        choice.code = match name.as_str() {
            "auto" => CodeOracle::Auto,
            "test-api" => CodeOracle::TestApi,
            "fixed" => match map
                .get_node("fixed_code")
                .and_then(|c| errors.string(c, "`oracle.fixed_code`"))
            {
                Some(code) => CodeOracle::Fixed(code),
                None => {
                    errors.at(n, "the `fixed` code oracle needs `fixed_code`");
                    CodeOracle::Auto
                }
            },
            "sink" => {
                let sink = map
                    .get_node("sink")
                    .and_then(|s| errors.mapping(s, "`oracle.sink`"));
                let url = sink
                    .and_then(|s| s.get_node("url"))
                    .and_then(|u| errors.string(u, "`oracle.sink.url`"));
                let pointer = sink
                    .and_then(|s| s.get_node("pointer"))
                    .and_then(|p| errors.string(p, "`oracle.sink.pointer`"));
                match (url, pointer) {
                    (Some(url), Some(pointer)) => CodeOracle::Sink { url, pointer },
                    _ => {
                        errors.at(n, "the `sink` code oracle needs `sink: {url, pointer}`");
                        CodeOracle::Auto
                    }
                }
            }
            "command" => {
                let command: Vec<String> = map
                    .get_node("command")
                    .map(|c| {
                        errors
                            .strings(c, "`oracle.command`")
                            .into_iter()
                            .map(|(s, _)| s)
                            .collect()
                    })
                    .unwrap_or_default();
                if command.is_empty() {
                    errors.at(
                        n,
                        "the `command` code oracle needs `command: [program, args...]`",
                    );
                    CodeOracle::Auto
                } else {
                    CodeOracle::Command(command)
                }
            }
            other => {
                errors.push(
                    crate::scenario::diagnostic::Diagnostic::new(
                        yaml::at(n),
                        other.len().max(1),
                        format!("unknown code oracle `{other}`"),
                    )
                    .suggest(other, ["auto", "test-api", "fixed", "sink", "command"]),
                );
                CodeOracle::Auto
            }
        };
    }
    choice
}

fn decode_accounts(node: &Node, errors: &mut Errors) -> Vec<Account> {
    let Node::Sequence(items) = node else {
        errors.at(node, "`accounts` must be a list");
        return Vec::new();
    };
    let mut accounts = Vec::new();
    for item in items.iter() {
        let Some(map) = errors.mapping(item, "an account") else {
            continue;
        };
        errors.known_keys(map, &["user", "password", "kind", "account"], "an account");
        let user = map
            .get_node("user")
            .and_then(|n| errors.string(n, "`user`"));
        let password = map
            .get_node("password")
            .and_then(|n| errors.string(n, "`password`"));
        let kind = match map
            .get_node("kind")
            .and_then(|n| errors.string(n, "`kind`"))
        {
            None => Some(UserKind::Phone),
            Some(name) => {
                let kind = UserKind::from_name(&name);
                if kind.is_none() {
                    errors.at(item, format!("unknown user kind `{name}`"));
                }
                kind
            }
        };
        let account = map
            .get_node("account")
            .and_then(|n| errors.string(n, "`account`"));
        match (user, password, kind) {
            (Some(user), Some(password), Some(kind)) => accounts.push(Account {
                user,
                password,
                kind,
                account,
            }),
            _ => errors.at(item, "an account needs `user` and `password`"),
        }
    }
    accounts
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gateway::{FailureKind, GatewayConfig};

    #[test]
    fn the_reference_profile_matches_the_reference_gateway() {
        let profile = Profile::reference();
        for kind in FailureKind::ALL {
            if let Some(spec) = profile.error(kind.name()) {
                assert_eq!(
                    (spec.status, spec.code.as_str()),
                    (kind.info().status, kind.code()),
                    "{}",
                    kind.name()
                );
            }
        }
        assert_eq!(profile.errors.len(), KINDS.len());
        let config = GatewayConfig::default();
        assert_eq!(profile.lifetime("t1"), Some(config.t1_lifetime));
        assert_eq!(profile.lifetime("t3"), Some(config.t3_lifetime));
        assert_eq!(profile.lifetime("code"), Some(config.code_lifetime));
        assert_eq!(profile.resend_interval, config.resend_interval);
        assert_eq!(
            profile.captcha_tolerance,
            i64::from(config.captcha_tolerance)
        );
        assert_eq!(profile.code_attempts, i64::from(config.code_attempts));
        assert_eq!(profile.to_value()["captcha"]["tolerance"], 4);
    }

    #[test]
    fn profile_errors_name_the_place() {
        let text = REFERENCE_YAML
            .replace("tolerance: 4", "tolerence: 4")
            .replace("code_mismatch:  ", "code_mismatc:");
        let errors = Profile::parse("p.yaml", &text).unwrap_err();
        let rendered = errors.to_string();
        assert!(rendered.contains("unknown key `tolerence`"), "{rendered}");
        assert!(rendered.contains("did you mean `tolerance`?"), "{rendered}");
        assert!(
            rendered.contains("did you mean `code_mismatch`?"),
            "{rendered}"
        );
        assert!(
            rendered.contains("needs the failure kind `code_mismatch`"),
            "{rendered}"
        );
    }
}
