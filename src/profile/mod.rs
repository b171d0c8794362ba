//! Profiles: what a gateway chose where the API is silent (failure kinds → status and code,
//! lifetimes, tolerance, limits, which failed uses burn a token, password rules, test support,
//! oracles, test accounts, generated users, token and code semantics). Scenarios read these instead of hard-coding them.
//! The reference gateway's profile is built in (`profiles/reference.yaml`). Part of the pure
//! layer with the scenario language (which reads it); `decode` reads a file, `oracle` its
//! `oracle:` section, `users` its `users:` and `accounts:` sections and accounts files,
//! `captcha_image` its `captcha.image:`, `tokens` its `tokens:` section, `secrets` its
//! `secrets:` section.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::{json, Value};

use crate::yaml::diagnostic::FileErrors;
use crate::yaml::{self, Errors};

mod accounts_csv;
mod captcha_image;
mod codes;
mod decode;
mod oracle;
pub mod render;
mod requests;
mod secrets;
pub mod support_token;
mod tokens;
mod users;

pub use codes::OPTIONAL_KINDS;
pub use requests::{RequestChoices, DOCUMENTED_CLIENT_TYPES, WORDS};
pub use users::{parse_accounts_file, GeneratedUsers, MAX_ACCOUNTS};

pub use captcha_image::{CaptchaImage, ImageFormat, PieceShape, XFrom};
pub use secrets::SecretNames;
pub use tokens::{OtherUserCode, ResendScope, SingleUse, TokenChoices};

pub const REFERENCE_YAML: &str = include_str!("../../profiles/reference.yaml");

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
    /// The kind's code (the first of `codes`).
    pub code: String,
    /// Every code the kind may answer (C3: sub-cases told apart), `code` first.
    pub codes: Vec<String>,
}

impl ErrorSpec {
    pub fn accepts(&self, code: &str) -> bool {
        self.codes.iter().any(|c| c == code)
    }

    /// `USG.290000400` or `USG.290000400 or USG.290000401`.
    pub fn shown(&self) -> String {
        self.codes.join(" or ")
    }
}

#[derive(Debug, Clone)]
pub struct Profile {
    pub name: String,
    pub test_support: bool,
    /// What the test-support endpoints require in `X-Test-Support-Token`, if anything.
    pub test_support_token: Option<support_token::TestSupportToken>,
    pub errors: BTreeMap<String, ErrorSpec>,
    pub lifetimes: BTreeMap<String, Duration>,
    pub captcha_tolerance: i64,
    /// What the CAPTCHA images look like (`captcha.image`).
    pub captcha_image: CaptchaImage,
    pub slide_time_min: i64,
    pub slide_time_max: i64,
    pub code_attempts: i64,
    /// The last wrong code the limit allows already answers `code_attempts_exceeded`.
    pub exceeded_on_last_attempt: bool,
    pub resend_interval: Duration,
    pub code_length: i64,
    pub burns: BTreeMap<String, bool>,
    pub password: BTreeMap<String, Value>,
    pub strict_errors: bool,
    pub requests: RequestChoices,
    pub oracle: OracleChoice,
    pub accounts: Vec<Account>,
    /// The generated users the gateway serves (`users.generated`), if it says.
    pub generated: Option<GeneratedUsers>,
    /// What the gateway does with T1, T2 and codes where the API is silent (`tokens:`).
    pub tokens: TokenChoices,
    /// Secret fields and headers of this gateway's own, masked in reports (`secrets:`).
    pub secrets: SecretNames,
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

impl CaptchaOracle {
    /// The name a profile or `--oracle` gives it.
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "auto" => Some(CaptchaOracle::Auto),
            "test-api" => Some(CaptchaOracle::TestApi),
            "solve" => Some(CaptchaOracle::Solve),
            _ => None,
        }
    }
}

impl CodeOracle {
    /// The code oracles named by a word alone (`fixed`, `sink` and `command` need more).
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "auto" => Some(CodeOracle::Auto),
            "test-api" => Some(CodeOracle::TestApi),
            _ => None,
        }
    }
}

/// `USG.` or `MMC.` and nine digits, as the API's error codes are.
pub fn well_formed_code(code: &str) -> bool {
    let digits = code
        .strip_prefix("USG.")
        .or_else(|| code.strip_prefix("MMC."));
    digits.is_some_and(|d| d.len() == 9 && d.bytes().all(|b| b.is_ascii_digit()))
}

/// A test account of a gateway without test support.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub user: String,
    pub password: String,
    pub kind: UserKind,
    pub account: Option<String>,
}

/// What identity a test user is known by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserKind {
    Phone,
    Email,
    Account,
    /// An identity no gateway knows (for the no-enumeration checks).
    Unknown,
}

pub const USER_KINDS: &[&str] = &["phone", "email", "account", "unknown"];

impl UserKind {
    pub fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "phone" => UserKind::Phone,
            "email" => UserKind::Email,
            "account" => UserKind::Account,
            "unknown" => UserKind::Unknown,
            _ => return None,
        })
    }
}

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
        let profile = decode::decode(&root, &mut errors);
        errors.finish(path, text, profile)
    }

    pub fn error(&self, kind: &str) -> Option<&ErrorSpec> {
        self.errors.get(kind)
    }

    /// The kind whose status and code these are.
    pub fn kind_of(&self, status: u16, code: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|(_, spec)| spec.status == status && spec.accepts(code))
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
            "errors": self.errors.iter().map(|(k, e)| (k.clone(), json!({"status": e.status, "code": e.code, "codes": e.codes}))).collect::<serde_json::Map<_, _>>(),
            "lifetimes": self.lifetimes.iter().map(|(k, d)| (k.clone(), secs(d))).collect::<serde_json::Map<_, _>>(),
            "captcha": {
                "tolerance": self.captcha_tolerance,
                "slide_time_min": self.slide_time_min,
                "slide_time_max": self.slide_time_max,
                // Not a field: the slideTime steps send unless told otherwise.
                "slide_time_typical": 1500.clamp(self.slide_time_min, self.slide_time_max.max(self.slide_time_min)),
                "image": self.captcha_image.to_value(),
            },
            "code": {
                "attempts": self.code_attempts,
                "exceeded_on_last_attempt": self.exceeded_on_last_attempt,
                "resend_interval": secs(&self.resend_interval),
                "length": self.code_length,
            },
            "burns": self.burns,
            "password": self.password,
            "strict_errors": self.strict_errors,
            "requests": self.requests.to_value(),
            "tokens": self.tokens.to_value(),
        })
    }
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
        assert_eq!(profile.errors.len(), KINDS.len() + OPTIONAL_KINDS.len());
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

    #[test]
    fn nonsense_values_are_refused_with_their_bounds() {
        let cases = [
            (
                "tolerance: 4",
                "tolerance: -1",
                "`captcha.tolerance` must be from 0 to 1000, not -1",
            ),
            (
                "length: 6",
                "length: 0",
                "`code.length` must be from 1 to 32, not 0",
            ),
            (
                "attempts: 5",
                "attempts: 0",
                "`code.attempts` must be from 1 to 1000, not 0",
            ),
            (
                "max_length: 32",
                "max_length: 6",
                "`password.max_length` (6) is below `password.min_length` (8)",
            ),
            (
                "slide_time_max: 60000",
                "slide_time_max: 50",
                "`captcha.slide_time_max` (50) is below `captcha.slide_time_min` (100)",
            ),
            (
                "t1: 60s",
                "t1: 0s",
                "lifetime `t1` must be from 1s to 1day, not 0s",
            ),
            (
                "min_classes: 2",
                "min_classes: 5",
                "`password.min_classes` must be from 1 to 4, not 5",
            ),
            (
                "tolerance: 4",
                "tolerance: 300",
                "`captcha.tolerance` (300) accepts every place on an image 300 px wide",
            ),
            (
                "min_length: 8\n  max_length: 32",
                "min_length: 1\n  max_length: 2",
                "`password.max_length` (2) is below `password.min_classes` (3)",
            ),
            (
                "code: USG.290030400",
                "code: E42",
                "`errors.code_mismatch.code` must be `USG.` or `MMC.` and nine digits, not `E42`",
            ),
        ];
        for (from, to, message) in cases {
            assert!(REFERENCE_YAML.contains(from), "{from}");
            // The class count case needs three classes in two characters.
            let text = REFERENCE_YAML.replacen(from, to, 1);
            let text = match to.ends_with("max_length: 2") {
                true => text.replacen("min_classes: 2", "min_classes: 3", 1),
                false => text,
            };
            let errors = Profile::parse("p.yaml", &text).expect_err(to).to_string();
            assert!(errors.contains(message), "{to}: {errors}");
        }
    }
}
