//! Oracles: how the harness learns what a user would see. The CAPTCHA answer comes from the
//! test-support endpoint or from solving the images; the code from the test-support outbox, a
//! fixed value, an HTTP sink or a command. `auto` picks test-support when the target has it.

use std::time::Duration;

use serde_json::{json, Value};

use super::solve::solve;
use super::target::{ClientOptions, Prepared, Target};
use crate::profile::{CaptchaOracle, CodeOracle, Profile};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Oracles {
    pub captcha: CaptchaOracle,
    pub code: CodeOracle,
    /// Whether `wait` can advance the target's clock instead of sleeping.
    pub clock: bool,
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
        let test_api = profile.test_support && answers_test_api(target).await;
        if profile.test_support && !test_api {
            return Err(format!(
                "profile `{}` says the target serves the test-support endpoints, but {} does not answer them; \
                 use a profile with `test_support: false` (and accounts and oracles)",
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
        Ok(Self {
            captcha,
            code,
            clock: test_api,
        })
    }

    /// `{"pointX", "pointY"}` for T1; `captcha` is the send_captcha answer (for solving).
    pub async fn answer(
        &self,
        target: &Target,
        t1: &str,
        captcha: Option<&Value>,
    ) -> Result<Value, String> {
        match self.captcha {
            CaptchaOracle::Solve | CaptchaOracle::Auto => {
                let captcha = captcha.ok_or("no send_captcha answer to solve")?;
                let image = |field: &str| {
                    captcha
                        .get(field)
                        .and_then(Value::as_str)
                        .ok_or_else(|| format!("send_captcha answer has no `{field}`"))
                };
                let point_y = captcha
                    .get("pointY")
                    .and_then(Value::as_i64)
                    .ok_or("send_captcha answer has no integer `pointY`")?;
                let x = solve(image("shadowImage")?, image("cutImage")?, point_y)
                    .map_err(|e| format!("solve oracle: {e}"))?;
                Ok(json!({"pointX": x, "pointY": point_y}))
            }
            CaptchaOracle::TestApi => {
                let path = format!("{}{}", crate::api::test_support::CAPTCHA_PREFIX, encode(t1));
                let answer = get_json(target, &path)
                    .await
                    .map_err(|e| format!("test-api CAPTCHA oracle: {e}"))?;
                if answer.get("pointX").and_then(Value::as_i64).is_none() {
                    return Err(format!(
                        "test-api CAPTCHA oracle: no integer pointX in {answer}"
                    ));
                }
                Ok(answer)
            }
        }
    }

    /// The code most recently sent to `user`.
    pub async fn code(&self, target: &Target, user: &str) -> Result<String, String> {
        match &self.code {
            CodeOracle::TestApi => {
                let path = format!("{}?user={}", crate::api::test_support::OUTBOX_LATEST, encode(user));
                let message = get_json(target, &path).await.map_err(|e| format!("test-api code oracle: {e}"))?;
                message.get("code").and_then(Value::as_str).map(str::to_owned).ok_or_else(|| format!("test-api code oracle: no code in {message}"))
            }
            CodeOracle::Fixed(code) => Ok(code.clone()),
            CodeOracle::Sink { url, pointer } => {
                let url = url.replace("{{ user }}", &encode(user)).replace("{{user}}", &encode(user));
                let body = sink_json(target, &url).await.map_err(|e| format!("sink code oracle: {e}"))?;
                match body.pointer(pointer) {
                    Some(Value::String(code)) => Ok(code.clone()),
                    Some(other) => Ok(other.to_string()),
                    None => Err(format!("sink code oracle: nothing at {pointer} in {body}")),
                }
            }
            CodeOracle::Command(command) => {
                let args: Vec<String> = command.iter().map(|a| a.replace("{{ user }}", user).replace("{{user}}", user)).collect();
                let run = tokio::process::Command::new(&args[0]).args(&args[1..]).kill_on_drop(true).output();
                let output = tokio::time::timeout(Duration::from_secs(10), run)
                    .await
                    .map_err(|_| "command code oracle: timed out after 10 s".to_owned())?
                    .map_err(|e| format!("command code oracle: cannot run `{}`: {e}", args[0]))?;
                if !output.status.success() {
                    return Err(format!("command code oracle: `{}` exited with {}", args[0], output.status));
                }
                let code = String::from_utf8_lossy(&output.stdout).trim().to_owned();
                if code.is_empty() {
                    return Err("command code oracle: the command printed nothing".into());
                }
                Ok(code)
            }
            CodeOracle::Auto => Err("no code oracle: the target has no test-support endpoints; set `oracle.code` in the profile or pass --oracle code=...".into()),
        }
    }

    /// Moves the target's clock (or really waits) by `duration`.
    pub async fn wait(&self, target: &Target, duration: Duration) -> Result<(), String> {
        if self.clock {
            let seconds = duration.as_secs_f64().ceil() as u64;
            let request = Prepared {
                method: hyper::Method::POST,
                path: crate::api::test_support::CLOCK_ADVANCE.into(),
                headers: vec![("Content-Type".into(), "application/json".into())],
                body: Some(json!({ "seconds": seconds }).to_string().into()),
            };
            let answer = target
                .send(&request)
                .await
                .map_err(|e| format!("clock advance: {e}"))?;
            if answer.status != 200 {
                return Err(format!("clock advance answered {}", answer.status));
            }
            Ok(())
        } else {
            tokio::time::sleep(duration).await;
            Ok(())
        }
    }
}

async fn answers_test_api(target: &Target) -> bool {
    let probe = format!(
        "{}?user=gatecheck-probe",
        crate::api::test_support::OUTBOX_LATEST
    );
    let request = Prepared {
        method: hyper::Method::GET,
        path: probe,
        headers: Vec::new(),
        body: None,
    };
    // A test-support outbox answers 404 with a JSON body (no message for that user) or 200.
    match target.send(&request).await {
        Ok(answer) => {
            matches!(answer.status, 200 | 404) && answer.json().is_some_and(|v| v.is_object()) && {
                let clock = Prepared {
                    method: hyper::Method::POST,
                    path: crate::api::test_support::CLOCK_ADVANCE.into(),
                    headers: vec![("Content-Type".into(), "application/json".into())],
                    body: Some(bytes::Bytes::from_static(br#"{"seconds": 0}"#)),
                };
                target.send(&clock).await.is_ok_and(|a| a.status == 200)
            }
        }
        Err(_) => false,
    }
}

async fn get_json(target: &Target, path: &str) -> Result<Value, String> {
    let request = Prepared {
        method: hyper::Method::GET,
        path: path.to_owned(),
        headers: Vec::new(),
        body: None,
    };
    let answer = target.send(&request).await.map_err(|e| e.to_string())?;
    if answer.status != 200 {
        return Err(format!(
            "{path} answered {}: {}",
            answer.status,
            String::from_utf8_lossy(&answer.body)
        ));
    }
    answer
        .json()
        .cloned()
        .ok_or_else(|| format!("{path} did not answer JSON"))
}

/// GETs JSON from a URL of its own (a mail or SMS sink), trusting what the target's TLS options trust.
async fn sink_json(target: &Target, url: &str) -> Result<Value, String> {
    let uri: hyper::Uri = url
        .parse()
        .map_err(|e| format!("`{url}` is not a URL: {e}"))?;
    let (Some(scheme), Some(authority)) = (uri.scheme_str(), uri.authority()) else {
        return Err(format!("`{url}` is not an absolute URL"));
    };
    // A sink is a plain service of its own: HTTP/1.1 whatever the target speaks.
    let options = ClientOptions {
        timeout: Duration::from_secs(10),
        http2: false,
        ..target.options().clone()
    };
    let sink = Target::new(&format!("{scheme}://{authority}"), options)?;
    let path = uri.path_and_query().map_or("/", |p| p.as_str());
    get_json(&sink, path).await
}

/// Percent-encodes for a path segment or query value (`+` becomes `%2B`).
pub fn encode(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, percent_encoding::NON_ALPHANUMERIC).to_string()
}
