//! One step of a scenario: build the request (`build`), ask the oracles for what the step
//! needs, send it (N times at once for `parallel`), judge the answer (`judge`), and move the
//! flow forward. The answer's outcome and every failed expectation are typed values in the
//! step's record; only a request that cannot be built stops the scenario (`StepError`).

use serde_json::Value;

use super::context::{Context, LazyJson};
use super::judge;
use super::oracle::Oracles;
use super::outcome::{Check, Outcome, SetupKind, StepError};
use super::record::StepRecord;
use super::redaction;
use super::target::{Answer, Prepared, Target, TransportError};
use crate::api::Operation;
use crate::profile::Profile;
use crate::scenario::model::{Action, Call, Reads, Step, Wait};

pub struct Env<'a> {
    pub target: &'a Target,
    pub profile: &'a Profile,
    pub oracles: &'a Oracles,
    /// Keep the request and response of every step; when false (load runs), only of steps
    /// that failed, so a passing step costs no copies.
    pub keep_exchanges: bool,
    /// Some step of the scenario reads `last` (see `keeps_last`).
    pub keeps_last: bool,
    /// How the step's record shows secrets.
    pub redactor: &'a crate::redact::Redactor,
}

/// Whether a step of `scenario` reads the answer before it (`last`).
pub fn keeps_last(scenario: &crate::scenario::model::Scenario) -> bool {
    scenario.steps.iter().any(|s| s.reads.last)
}

/// Runs one step; `prebuilt` is its request if it was built once for every run
/// (`build::constant_raw`). `Err` means the scenario cannot go on (the step could not be built
/// or sent for a reason that is not the target's answer).
pub async fn run_step(
    step: &Step,
    prebuilt: Option<&Prepared>,
    context: &mut Context,
    env: &Env<'_>,
) -> Result<StepRecord, StepError> {
    let mut record = StepRecord::new(&step.name, step.at.line);
    let built;
    let prepared = match &step.action {
        Action::Wait(wait) => {
            run_wait(wait, context, env).await?;
            return Ok(record);
        }
        Action::Call(call) => {
            resolve_oracles(step.reads, context, env).await?;
            built = super::build::call(call, context)?;
            &built
        }
        Action::Request(raw) => {
            resolve_oracles(step.reads, context, env).await?;
            match prebuilt {
                Some(prepared) => prepared,
                None => {
                    built = super::build::raw(raw, context)?;
                    &built
                }
            }
        }
    };
    let answers = send_all(env.target, prepared, step.parallel.unwrap_or(1)).await;
    let first_ok = answers.iter().find_map(|a| a.as_ref().ok());
    let shown = answers.first().and_then(|a| a.as_ref().ok()).or(first_ok);
    if let Some(answer) = shown {
        record.latency_ms = answer.latency.as_secs_f64() * 1000.0;
    }
    let outcome = shown.map(|answer| Outcome::of(answer, env.profile));
    judge_answers(step, &answers, &outcome, context, env, &mut record);
    record.outcome = outcome;
    record.transport = answers
        .iter()
        .find_map(|a| a.as_ref().err())
        .map(Into::into);

    if let Some(answer) = answers
        .iter()
        .filter_map(|a| a.as_ref().ok())
        .find(|a| (200..300).contains(&a.status))
    {
        if let Action::Call(call) = &step.action {
            advance_flow(call, prepared, answer, context);
        }
    }
    if let Some(answer) = first_ok {
        keep_answer(step, answer, context, env, &mut record);
    }
    if env.keep_exchanges || !record.failures.is_empty() {
        redaction::learn(env.redactor, context, prepared, shown);
        let secrets = &context.secrets;
        let request = redaction::request(env.redactor, env.target, prepared, secrets);
        record.request = Some(request);
        record.response = shown.map(|answer| redaction::response(env.redactor, answer, secrets));
        redaction::scrub(env.redactor, &mut record, secrets);
    }
    if env.keep_exchanges && !record.failures.is_empty() {
        let oracle = env.oracles.captcha;
        record.captcha = super::picture::of_step(prepared, context, env.profile, oracle);
    }
    Ok(record)
}

/// A wait: learn what the oracles know first (a test-support answer may not outlive its
/// token), then move the target's clock or sleep.
async fn run_wait(wait: &Wait, context: &mut Context, env: &Env<'_>) -> Result<(), StepError> {
    let duration = match wait {
        Wait::For(duration) => *duration,
        Wait::ExpireOf(what) => {
            env.profile.lifetime(what).ok_or_else(|| {
                StepError::new(
                    SetupKind::Profile,
                    format!("the profile has no lifetime for `{what}`"),
                )
            })? + std::time::Duration::from_secs(1)
        }
    };
    // A failure here resurfaces in the step that needs the value.
    let pending = Reads {
        answer: true,
        code: true,
        last: false,
        user: true,
    };
    let _ = resolve_oracles(pending, context, env).await;
    env.oracles
        .wait(env.target, duration)
        .await
        .map_err(StepError::of(SetupKind::Clock))
}

fn judge_answers(
    step: &Step,
    answers: &[Result<Answer, TransportError>],
    outcome: &Option<Outcome>,
    context: &Context,
    env: &Env<'_>,
    record: &mut StepRecord,
) {
    if step.parallel.is_some() && !step.expect.outcomes.is_empty() {
        record.outcomes = judge::outcomes(step, answers, env.profile, &mut record.failures);
        for answer in answers.iter().filter_map(|a| a.as_ref().ok()) {
            judge::strict_error_shape(step, answer, env.profile, &mut record.failures);
        }
        return;
    }
    for answer in answers {
        match answer {
            Ok(answer) => {
                // The first answer's outcome is already read; the others of `parallel` are
                // read here.
                let own;
                let outcome = match (answers.len(), outcome) {
                    (1, Some(outcome)) => outcome,
                    _ => {
                        own = Outcome::of(answer, env.profile);
                        &own
                    }
                };
                judge::answer(
                    step,
                    answer,
                    outcome,
                    context,
                    env.profile,
                    &mut record.failures,
                )
            }
            Err(error) => record.failures.push(judge::failure(
                step.expect.at,
                Check::Transport,
                "an HTTP answer",
                &error.message,
            )),
        }
    }
    record.failures.dedup();
}

/// Keeps the answer for the steps after: `last` when one of them reads it, and the captures.
fn keep_answer(
    step: &Step,
    answer: &Answer,
    context: &mut Context,
    env: &Env<'_>,
    record: &mut StepRecord,
) {
    // Only when a later step reads it: it copies the whole body.
    if env.keeps_last {
        let body = answer.json().cloned().unwrap_or(Value::Null);
        context.set(
            "last",
            serde_json::json!({"status": answer.status, "body": body}),
        );
    }
    if step.capture.is_empty() {
        return;
    }
    let body = answer.json().unwrap_or(&Value::Null);
    for capture in &step.capture {
        match capture.path.find(body) {
            Some(value) => {
                context.captures.insert(capture.name.clone(), value.clone());
            }
            None => record.failures.push(judge::failure(
                capture.at,
                Check::Capture(capture.name.clone()),
                &format!("a value at {}", capture.path.text),
                "nothing there",
            )),
        }
    }
}

async fn send_all(
    target: &Target,
    prepared: &Prepared,
    times: u32,
) -> Vec<Result<Answer, TransportError>> {
    if times <= 1 {
        return vec![target.send(prepared).await];
    }
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..times {
        let (target, prepared) = (target.clone(), prepared.clone());
        set.spawn(async move { target.send(&prepared).await });
    }
    let mut answers = Vec::new();
    while let Some(joined) = set.join_next().await {
        answers.push(joined.unwrap_or_else(|e| {
            Err(TransportError::new(
                crate::transport::TransportKind::Protocol,
                format!("request task failed: {e}"),
            ))
        }));
    }
    answers
}

/// Looks up the CAPTCHA answer or the code when a template of the step needs them.
async fn resolve_oracles(
    reads: Reads,
    context: &mut Context,
    env: &Env<'_>,
) -> Result<(), StepError> {
    if reads.answer {
        if let Some(t1) = context.text("t1") {
            if context.answer_for.as_deref() != Some(t1.as_str()) {
                let answer = env
                    .oracles
                    .answer(env.target, &t1, context.captcha.as_ref())
                    .await
                    .map_err(StepError::of(SetupKind::CaptchaOracle))?;
                context.set("answer", answer);
                context.answer_for = Some(t1);
            }
        }
    }
    if reads.code {
        if let Some(user) = context.code_pending_for.take() {
            let code = env
                .oracles
                .code(env.target, &user)
                .await
                .map_err(StepError::of(SetupKind::CodeOracle))?;
            context.set("wrong_code", Value::String(wrong_code(&code)));
            context.set("code", Value::String(code));
        }
    }
    Ok(())
}

/// Every digit moved by one: surely not the code, same length and alphabet.
fn wrong_code(code: &str) -> String {
    code.chars()
        .map(|c| {
            c.to_digit(10)
                .map_or('x', |d| char::from(b'0' + ((d + 1) % 10) as u8))
        })
        .collect()
}

/// The answer's `token` as its body has it, read without parsing the body whole where it is a
/// string, as it is in every answer that has one (a CAPTCHA answer's images are not parsed).
fn token(answer: &Answer) -> Option<Value> {
    let fields = answer.top_fields()?;
    match &fields.token {
        Some(token) => Some(Value::String(token.clone())),
        None if fields.token_not_text => answer.json()?.get("token").cloned(),
        None => None,
    }
}

/// Moves the flow forward after a successful call: new tokens, a pending code, a new password.
fn advance_flow(call: &Call, prepared: &Prepared, answer: &Answer, context: &mut Context) {
    let token = || token(answer);
    // What was sent, read back only by the calls that need it.
    let sent = || -> Value {
        prepared
            .body
            .as_deref()
            .and_then(|b| serde_json::from_slice(b).ok())
            .unwrap_or(Value::Null)
    };
    match call.operation {
        Operation::SendCaptcha => {
            if let Some(t1) = token() {
                context.set("t1", t1);
            }
            context.captcha = Some(LazyJson::new(answer.body.clone()));
        }
        Operation::CheckCaptcha => {
            if let Some(t2) = token() {
                context.set("t2", t2);
            }
        }
        Operation::SendCode => {
            context.code_pending_for = sent()
                .get("user")
                .and_then(Value::as_str)
                .map(str::to_owned);
        }
        Operation::CheckCode => {
            if let Some(t3) = token() {
                context.set("t3", t3);
            }
        }
        Operation::ResetPassword => {
            let sent = sent();
            let user = sent.get("user").and_then(Value::as_str);
            if user.is_some() && user == context.text("user").as_deref() {
                if let Some(new) = sent.get("newPwd").cloned() {
                    let old = context.flow.get("password").cloned().unwrap_or(Value::Null);
                    context.set("old_password", old);
                    context.set("password", new);
                }
            }
        }
        Operation::Login => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_token_reads_as_the_parsed_body_has_it() {
        for (body, expected) in [
            (
                &br#"{"token": "T1", "cutImage": "iVBOR"}"#[..],
                Some(json!("T1")),
            ),
            (br#"{"token": 5}"#, Some(json!(5))),
            (br#"{"token": {"a": 1}}"#, Some(json!({"a": 1}))),
            (br#"{"token": "a", "token": null}"#, Some(Value::Null)),
            (br#"{"token": 1, "token": "b"}"#, Some(json!("b"))),
            (br#"{"other": "x"}"#, None),
            (br#"{"token": "unterminated"#, None),
            (b"not json", None),
        ] {
            let answer = Answer::of_body(200, body);
            assert_eq!(token(&answer), token_by_value(&answer), "{body:?}");
            assert_eq!(
                token(&answer),
                expected,
                "{}",
                String::from_utf8_lossy(body)
            );
        }
    }

    fn token_by_value(answer: &Answer) -> Option<Value> {
        serde_json::from_slice::<Value>(&answer.body)
            .ok()?
            .get("token")
            .cloned()
    }

    /// The point of keeping the CAPTCHA answer as bytes: a flow that only passes it on never
    /// parses it, and a template that reads it still finds it.
    #[test]
    fn a_captcha_answer_is_parsed_only_when_read() {
        let call = Call {
            operation: Operation::SendCaptcha,
            fields: Vec::new(),
            with: Vec::new(),
            without: Vec::new(),
            headers: Vec::new(),
            content_type: None,
        };
        let prepared = Prepared {
            method: hyper::Method::POST,
            path: Operation::SendCaptcha.path().to_owned(),
            headers: Vec::new(),
            body: None,
        };
        let answer = Answer::of_body(200, br#"{"token": "T1", "pointY": 7, "cutImage": "iVBOR"}"#);
        let mut context = Context::default();
        advance_flow(&call, &prepared, &answer, &mut context);
        assert_eq!(context.text("t1").as_deref(), Some("T1"));
        assert!(answer.json_parsed().is_none(), "the answer was parsed");
        let captcha = context.captcha.as_ref().expect("kept");
        assert!(!captcha.is_parsed());
        assert_eq!(
            context.lookup(&["captcha".into(), "pointY".into()]),
            Some(json!(7))
        );
        assert!(context.captcha.as_ref().is_some_and(LazyJson::is_parsed));
    }
}
