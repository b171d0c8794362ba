//! Oracles: how the harness learns what a user would see. Each is one small type behind one of
//! two traits, one file each: the CAPTCHA answer (`AnswerSource`: the test-support endpoint or
//! solving the images) and the code (`CodeSource`: the test-support outbox, a fixed value, an
//! HTTP sink or a command). `choose` turns the profile's and the command line's choices into
//! them; `auto` picks test support when the target has it. A new oracle is a new file with
//! one impl, a choice in `profile`, and its arm in `choose`.

pub mod command;
pub mod fixed;
pub mod puzzle;
pub mod sink;
pub mod solve;
pub mod test_api;

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use serde_json::{json, Value};

use super::context::LazyJson;
use super::target::{Prepared, Target};
use crate::profile::{CaptchaOracle, CodeOracle, Profile};

/// What an oracle's lookup returns: boxed, so oracles can sit behind `dyn` (two lookups a flow
/// at most, so the allocation does not show).
pub type Lookup<'a, T> = Pin<Box<dyn Future<Output = Result<T, String>> + Send + 'a>>;

/// Finds the answer `{"pointX", "pointY"}` to the CAPTCHA behind a T1.
pub trait AnswerSource: Send + Sync {
    /// `captcha` is the send_captcha answer (for oracles that look at the images; parsed only
    /// by them).
    fn answer<'a>(
        &'a self,
        target: &'a Target,
        t1: &'a str,
        captcha: Option<&'a LazyJson>,
    ) -> Lookup<'a, Value>;
}

/// Finds the code most recently sent to a user.
pub trait CodeSource: Send + Sync {
    fn code<'a>(&'a self, target: &'a Target, user: &'a str) -> Lookup<'a, String>;
}

pub struct Oracles {
    answers: Box<dyn AnswerSource>,
    codes: Box<dyn CodeSource>,
    /// What was chosen, for messages and tests.
    pub captcha: CaptchaOracle,
    pub code: CodeOracle,
    /// Whether `wait` can advance the target's clock instead of sleeping.
    pub clock: bool,
}

impl std::fmt::Debug for Oracles {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Oracles")
            .field("captcha", &self.captcha)
            .field("code", &self.code)
            .field("clock", &self.clock)
            .finish()
    }
}

impl Oracles {
    /// Resolves `auto` choices: test-support when the profile says the target has it and it
    /// answers, else solving and (for codes) nothing.
    pub async fn choose(
        profile: &Profile,
        captcha: Option<CaptchaOracle>,
        code: Option<CodeOracle>,
        target: &Target,
    ) -> Result<Self, String> {
        let test_api = profile.test_support && test_api::answers(target).await;
        if profile.test_support && !test_api {
            return Err(format!(
                "profile `{}` says the target serves the test-support endpoints, but {} does not answer them; \
                 use a profile with `test_support: false` (and accounts and oracles), or, if they are \
                 guarded by a token (401), set the profile's `test_support_token`",
                profile.name, target.base_url
            ));
        }
        let captcha = match captcha.unwrap_or(profile.oracle.captcha) {
            CaptchaOracle::Auto if test_api => CaptchaOracle::TestApi,
            CaptchaOracle::Auto => CaptchaOracle::Solve,
            other => other,
        };
        let code = match code.unwrap_or_else(|| profile.oracle.code.clone()) {
            CodeOracle::Auto if test_api => CodeOracle::TestApi,
            other => other,
        };
        Ok(Self::resolved(profile, captcha, code, test_api))
    }

    /// The oracles of choices already resolved (`captcha` and `code` not `auto` but for no
    /// code at all); `clock`: the target's clock can be moved.
    pub fn resolved(
        profile: &Profile,
        captcha: CaptchaOracle,
        code: CodeOracle,
        clock: bool,
    ) -> Self {
        let answers: Box<dyn AnswerSource> = match captcha {
            CaptchaOracle::TestApi => Box::new(test_api::TestApi),
            CaptchaOracle::Solve | CaptchaOracle::Auto => Box::new(solve::Solve {
                x_from: profile.captcha_image.x_from,
            }),
        };
        let codes: Box<dyn CodeSource> = match &code {
            CodeOracle::TestApi => Box::new(test_api::TestApi),
            CodeOracle::Fixed(code) => Box::new(fixed::Fixed(code.clone())),
            CodeOracle::Sink { url, pointer } => Box::new(sink::Sink {
                url: url.clone(),
                pointer: pointer.clone(),
            }),
            CodeOracle::Command(argv) => Box::new(command::Command(argv.clone())),
            CodeOracle::Auto => Box::new(NoCode),
        };
        Self {
            answers,
            codes,
            captcha,
            code,
            clock,
        }
    }

    /// The same oracles again, for another engine thread.
    pub fn again(&self, profile: &Profile) -> Self {
        Self::resolved(profile, self.captcha, self.code.clone(), self.clock)
    }

    pub async fn answer(
        &self,
        target: &Target,
        t1: &str,
        captcha: Option<&LazyJson>,
    ) -> Result<Value, String> {
        self.answers.answer(target, t1, captcha).await
    }

    pub async fn code(&self, target: &Target, user: &str) -> Result<String, String> {
        self.codes.code(target, user).await
    }

    /// Moves the target's clock (or really waits) by `duration`.
    pub async fn wait(&self, target: &Target, duration: Duration) -> Result<(), String> {
        if self.clock {
            test_api::advance_clock(target, duration.as_secs_f64().ceil() as u64).await
        } else {
            tokio::time::sleep(duration).await;
            Ok(())
        }
    }
}

/// `auto` without test support: there is no way to learn a code.
struct NoCode;

impl CodeSource for NoCode {
    fn code<'a>(&'a self, _: &'a Target, _: &'a str) -> Lookup<'a, String> {
        Box::pin(async {
            Err("no code oracle: the target has no test-support endpoints; set `oracle.code` in the profile or pass --oracle code=...".into())
        })
    }
}

/// GETs `path` and reads its JSON answer, which must be a 200.
pub(crate) async fn get_json(target: &Target, path: &str) -> Result<Value, String> {
    let request = Prepared {
        method: hyper::Method::GET,
        path: path.to_owned(),
        headers: Vec::new(),
        body: None,
    };
    let answer = target.send(&request).await.map_err(|e| e.to_string())?;
    if answer.status != 200 {
        // Not the body: a test-support answer may hold codes, answers or an echoed token.
        let code = answer
            .json()
            .and_then(|v| v.get("error_code"))
            .and_then(Value::as_str)
            .map(|c| format!(" {}", c.chars().take(40).collect::<String>()))
            .unwrap_or_default();
        return Err(format!(
            "{path} answered {}{code} ({} bytes)",
            answer.status,
            answer.body.len()
        ));
    }
    answer
        .into_json()
        .ok_or_else(|| format!("{path} did not answer JSON"))
}

/// A JSON POST of the test-support API.
pub(crate) fn post_json(path: &str, body: &Value) -> Prepared {
    Prepared {
        method: hyper::Method::POST,
        path: path.to_owned(),
        headers: vec![("Content-Type".into(), "application/json".into())],
        body: Some(body.to_string().into()),
    }
}

/// Percent-encodes for a path segment or query value (`+` becomes `%2B`).
pub fn encode(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// `{{ user }}` in an oracle's URL or command, replaced by `value`.
pub(crate) fn with_user(text: &str, value: &str) -> String {
    text.replace("{{ user }}", value).replace("{{user}}", value)
}

/// A `{"pointX", "pointY"}` answer.
pub(crate) fn point(x: i64, y: i64) -> Value {
    json!({"pointX": x, "pointY": y})
}
