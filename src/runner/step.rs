//! One step of a scenario: build the request (typed fields with flow defaults, or raw), ask
//! the oracles for what the step needs, send it (N times at once for `parallel`), judge the
//! answer against the expectations, and move the flow forward. Failed expectations are values
//! in the step's record; only a request that cannot be built stops the scenario.

use base64::Engine;
use serde_json::{Map, Value};

use super::context::Context;
use super::oracle::Oracles;
use super::record::{shown, FailureRecord, RequestRecord, ResponseRecord, StepRecord};
use super::target::{Answer, Prepared, Target, TransportError};
use crate::api::Operation;
use crate::profile::Profile;
use crate::scenario::diagnostic::Location;
use crate::scenario::matcher::Matcher;
use crate::scenario::model::{
    fields_of, Action, Call, Check, CheckTarget, Place, RawBody, RawRequest, Reads, Step, Wait,
};
use crate::scenario::template::Template;

pub struct Env<'a> {
    pub target: &'a Target,
    pub profile: &'a Profile,
    pub oracles: &'a Oracles,
    /// Keep the request and response of every step; when false (load runs), only of steps
    /// that failed, so a passing step costs no copies.
    pub keep_exchanges: bool,
    /// Some step of the scenario reads `last` (see `keeps_last`).
    pub keeps_last: bool,
}

/// Whether a step of `scenario` reads the answer before it (`last`).
pub fn keeps_last(scenario: &crate::scenario::model::Scenario) -> bool {
    scenario.steps.iter().any(|s| s.reads.last)
}

/// Runs one step. `Err` means the scenario cannot go on (the step could not be built or sent
/// for a reason that is not the target's answer).
pub async fn run_step(
    step: &Step,
    context: &mut Context,
    env: &Env<'_>,
) -> Result<StepRecord, String> {
    let mut record = StepRecord {
        name: step.name.clone(),
        line: step.at.line,
        request: None,
        response: None,
        transport_error: None,
        status: None,
        latency_ms: 0.0,
        outcomes: Vec::new(),
        failures: Vec::new(),
    };
    let prepared = match &step.action {
        Action::Wait(wait) => {
            let duration = match wait {
                Wait::For(duration) => *duration,
                Wait::ExpireOf(what) => {
                    env.profile
                        .lifetime(what)
                        .ok_or_else(|| format!("the profile has no lifetime for `{what}`"))?
                        + std::time::Duration::from_secs(1)
                }
            };
            // Learn what the oracles know before time moves: a test-support answer may not
            // outlive its token. A failure here resurfaces in the step that needs the value.
            let pending = Reads {
                answer: true,
                code: true,
                last: false,
            };
            let _ = resolve_oracles(pending, context, env).await;
            env.oracles.wait(env.target, duration).await?;
            return Ok(record);
        }
        Action::Call(call) => {
            resolve_oracles(step.reads, context, env).await?;
            build_call(call, context)?
        }
        Action::Request(raw) => {
            resolve_oracles(step.reads, context, env).await?;
            build_raw(raw, context)?
        }
    };
    let answers = send_all(env.target, &prepared, step.parallel.unwrap_or(1)).await;
    let first_ok = answers.iter().find_map(|a| a.as_ref().ok());
    let shown = answers.first().and_then(|a| a.as_ref().ok()).or(first_ok);
    if let Some(answer) = shown {
        record.latency_ms = answer.latency.as_secs_f64() * 1000.0;
        record.status = Some(answer.status);
    }
    if let Some(Err(error)) = answers.iter().find(|a| a.is_err()) {
        record.transport_error = Some(error.0.clone());
    }

    if step.parallel.is_some() && !step.expect.outcomes.is_empty() {
        judge_outcomes(step, &answers, env.profile, &mut record);
        for answer in answers.iter().filter_map(|a| a.as_ref().ok()) {
            strict_error_shape(step, answer, env.profile, &mut record.failures);
        }
    } else {
        for answer in &answers {
            match answer {
                Ok(answer) => judge(step, answer, context, env.profile, &mut record.failures),
                Err(error) => record.failures.push(failure(
                    step.expect.at,
                    "transport",
                    "an HTTP answer",
                    &error.0,
                )),
            }
        }
        record.failures.dedup();
    }

    if let Some(answer) = answers
        .iter()
        .filter_map(|a| a.as_ref().ok())
        .find(|a| (200..300).contains(&a.status))
    {
        if let Action::Call(call) = &step.action {
            advance_flow(call, &prepared, answer, context);
        }
    }
    if let Some(answer) = first_ok {
        // Kept for the steps after only when one of them reads it: it copies the whole body.
        if env.keeps_last {
            let body = answer.json().cloned().unwrap_or(Value::Null);
            context.set(
                "last",
                serde_json::json!({"status": answer.status, "body": body}),
            );
        }
        let body = answer.json().unwrap_or(&Value::Null);
        for capture in &step.capture {
            match capture.path.find(body) {
                Some(value) => {
                    context.captures.insert(capture.name.clone(), value.clone());
                }
                None => record.failures.push(failure(
                    capture.at,
                    &format!("capture `{}`", capture.name),
                    &format!("a value at {}", capture.path.text),
                    "nothing there",
                )),
            }
        }
    }
    if env.keep_exchanges || !record.failures.is_empty() {
        record.request = Some(request_record(env.target, &prepared));
        record.response = shown.map(response_record);
    }
    Ok(record)
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
        answers.push(
            joined.unwrap_or_else(|e| Err(TransportError(format!("request task failed: {e}")))),
        );
    }
    answers
}

/// Looks up the CAPTCHA answer or the code when a template of the step needs them.
async fn resolve_oracles(reads: Reads, context: &mut Context, env: &Env<'_>) -> Result<(), String> {
    if reads.answer {
        if let Some(t1) = context.text("t1") {
            if context.answer_for.as_deref() != Some(t1.as_str()) {
                let answer = env
                    .oracles
                    .answer(env.target, &t1, context.flow.get("captcha"))
                    .await?;
                context.set("answer", answer);
                context.answer_for = Some(t1);
            }
        }
    }
    if reads.code {
        if let Some(user) = context.code_pending_for.take() {
            let code = env.oracles.code(env.target, &user).await?;
            // Every digit moved by one: surely not the code, same length and alphabet.
            let wrong: String = code
                .chars()
                .map(|c| {
                    c.to_digit(10)
                        .map_or('x', |d| char::from(b'0' + ((d + 1) % 10) as u8))
                })
                .collect();
            context.set("wrong_code", Value::String(wrong));
            context.set("code", Value::String(code));
        }
    }
    Ok(())
}

fn render(template: &Template, context: &Context) -> Result<Value, String> {
    template.render(&|path| context.lookup(path))
}

fn as_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn build_call(call: &Call, context: &Context) -> Result<Prepared, String> {
    let lookup = |path: &[String]| context.lookup(path);
    let mut body = Map::new();
    let mut headers = vec![("Content-Type".to_owned(), "application/json".to_owned())];
    let (mut account, mut password) = (None, None);
    for spec in fields_of(call.operation) {
        let value = match call.fields.iter().find(|(name, _)| name == &spec.name) {
            Some((_, value)) => value.render(&lookup),
            None => spec
                .default_value()
                .map_or(Ok(Value::Null), |d| d.render(&lookup)),
        }
        .map_err(|e| format!("field `{}`: {e}", spec.name))?;
        if value.is_null() {
            continue;
        }
        match spec.place {
            Place::Body => {
                body.insert(spec.json.to_owned(), value);
            }
            Place::Header => headers.push((spec.json.to_owned(), as_text(&value))),
            Place::BasicAuth if spec.name == "account" => {
                account = Some(as_text(&value));
                body.insert(spec.json.to_owned(), value);
            }
            Place::BasicAuth => password = Some(as_text(&value)),
        }
    }
    if let (Some(account), Some(password)) = (account, password) {
        let basic =
            base64::engine::general_purpose::STANDARD.encode(format!("{account}:{password}"));
        headers.push(("Authorization".into(), format!("Basic {basic}")));
    }
    for (key, value) in &call.with {
        body.insert(
            key.clone(),
            value
                .render(&lookup)
                .map_err(|e| format!("`with.{key}`: {e}"))?,
        );
    }
    for key in &call.without {
        body.remove(key);
        headers.retain(|(name, _)| !name.eq_ignore_ascii_case(key));
    }
    for (name, template) in &call.headers {
        let value =
            as_text(&render(template, context).map_err(|e| format!("header `{name}`: {e}"))?);
        headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        headers.push((name.clone(), value));
    }
    if let Some(content_type) = &call.content_type {
        let value =
            as_text(&render(content_type, context).map_err(|e| format!("`content_type`: {e}"))?);
        headers.retain(|(n, _)| !n.eq_ignore_ascii_case("content-type"));
        if !value.is_empty() {
            headers.push(("Content-Type".into(), value));
        }
    }
    Ok(Prepared {
        method: call.operation.method(),
        path: call.operation.path().to_owned(),
        headers,
        body: Some(
            serde_json::to_vec(&Value::Object(body))
                .unwrap_or_default()
                .into(),
        ),
    })
}

fn build_raw(raw: &RawRequest, context: &Context) -> Result<Prepared, String> {
    let method = hyper::Method::from_bytes(raw.method.as_bytes())
        .map_err(|_| format!("`{}` is not an HTTP method", raw.method))?;
    let path = as_text(&render(&raw.path, context).map_err(|e| format!("`path`: {e}"))?);
    let mut headers = Vec::new();
    for (name, template) in &raw.headers {
        headers.push((
            name.clone(),
            as_text(&render(template, context).map_err(|e| format!("header `{name}`: {e}"))?),
        ));
    }
    let body = match &raw.body {
        RawBody::None => None,
        RawBody::Text(template) => {
            Some(as_text(&render(template, context).map_err(|e| format!("`body`: {e}"))?).into())
        }
        RawBody::Json(value) => {
            let value = value
                .render(&|p| context.lookup(p))
                .map_err(|e| format!("`json`: {e}"))?;
            Some(serde_json::to_vec(&value).unwrap_or_default().into())
        }
    };
    Ok(Prepared {
        method,
        path,
        headers,
        body,
    })
}

/// Moves the flow forward after a successful call: new tokens, a pending code, a new password.
fn advance_flow(call: &Call, prepared: &Prepared, answer: &Answer, context: &mut Context) {
    let body = answer.json();
    let token = body.and_then(|b| b.get("token")).cloned();
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
            if let Some(t1) = token {
                context.set("t1", t1);
            }
            context.set("captcha", body.cloned().unwrap_or(Value::Null));
        }
        Operation::CheckCaptcha => {
            if let Some(t2) = token {
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
            if let Some(t3) = token {
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

fn failure(at: Location, check: &str, expected: &str, actual: &str) -> FailureRecord {
    FailureRecord {
        check: check.to_owned(),
        expected: expected.to_owned(),
        actual: actual.to_owned(),
        line: at.line,
        column: at.column,
    }
}

/// Checks one answer against the step's expectations.
fn judge(
    step: &Step,
    answer: &Answer,
    context: &Context,
    profile: &Profile,
    failures: &mut Vec<FailureRecord>,
) {
    let expect = &step.expect;
    let kind_spec = expect
        .error
        .as_ref()
        .and_then(|kind| profile.error(kind).map(|spec| (kind, spec)));
    let expected_status = expect
        .status
        .or(kind_spec.map(|(_, spec)| spec.status))
        .or(matches!(step.action, Action::Call(_)).then_some(200));
    let body = answer.json();
    if let Some(status) = expected_status {
        if answer.status != status {
            let actual = describe_answer(answer, body, profile);
            let expected = match kind_spec {
                Some((kind, spec)) => format!("{status} {} ({kind})", spec.code),
                None => status.to_string(),
            };
            failures.push(failure(expect.at, "status", &expected, &actual));
        }
    }
    if let Some((kind, spec)) = kind_spec {
        let code = body
            .and_then(|b| b.get("error_code"))
            .and_then(Value::as_str);
        if code != Some(spec.code.as_str()) {
            let actual = code.map_or_else(|| "no error_code".to_owned(), str::to_owned);
            failures.push(failure(
                expect.at,
                "error_code",
                &format!("{} ({kind})", spec.code),
                &actual,
            ));
        }
    }
    strict_error_shape(step, answer, profile, failures);
    for check in &expect.body {
        let CheckTarget::Body(path) = &check.target else {
            continue;
        };
        let actual = body.and_then(|b| path.find(b));
        run_matchers(
            check,
            &format!("body {}", path.text),
            actual,
            context,
            failures,
        );
    }
    for check in &expect.headers {
        let CheckTarget::Header(name) = &check.target else {
            continue;
        };
        let actual = answer.header(name).map(|v| Value::String(v.to_owned()));
        run_matchers(
            check,
            &format!("header {name}"),
            actual.as_ref(),
            context,
            failures,
        );
    }
    if let Some(ceiling) = expect.max_latency {
        if answer.latency > ceiling {
            failures.push(failure(
                expect.at,
                "latency",
                &format!("at most {ceiling:?}"),
                &format!("{:?}", answer.latency),
            ));
        }
    }
}

fn run_matchers(
    check: &Check,
    what: &str,
    actual: Option<&Value>,
    context: &Context,
    failures: &mut Vec<FailureRecord>,
) {
    for matcher in &check.matchers {
        let rendered: Result<Matcher<Value>, String> =
            matcher.map(|v| v.render(&|p| context.lookup(p)));
        match rendered {
            Ok(matcher) => {
                if let Err(mismatch) = matcher.check(actual) {
                    failures.push(failure(
                        check.at,
                        what,
                        &mismatch.expected,
                        &mismatch.actual,
                    ));
                }
            }
            Err(e) => failures.push(failure(
                check.at,
                what,
                "a value to compare with",
                &format!("template error: {e}"),
            )),
        }
    }
}

/// With `strict_errors`, every error answer is exactly `{"error_code", "error_msg"}` with a
/// well-formed code and an `X-Request-Id` header.
fn strict_error_shape(
    step: &Step,
    answer: &Answer,
    profile: &Profile,
    failures: &mut Vec<FailureRecord>,
) {
    if !profile.strict_errors || answer.status < 400 {
        return;
    }
    let at = step.expect.at;
    let shape_ok = answer
        .json()
        .and_then(Value::as_object)
        .is_some_and(|object| {
            object.len() == 2
                && object
                    .get("error_msg")
                    .and_then(Value::as_str)
                    .is_some_and(|m| !m.is_empty())
                && object
                    .get("error_code")
                    .and_then(Value::as_str)
                    .is_some_and(well_formed_code)
        });
    if !shape_ok {
        let actual = shown(&String::from_utf8_lossy(&answer.body));
        failures.push(failure(
            at,
            "error body",
            r#"exactly {"error_code": "USG.nnnnnnnnn", "error_msg": "..."}"#,
            &actual,
        ));
    }
    if answer.header("x-request-id").is_none_or(str::is_empty) {
        failures.push(failure(
            at,
            "header x-request-id",
            "present on every error",
            "absent",
        ));
    }
}

fn well_formed_code(code: &str) -> bool {
    let digits = code
        .strip_prefix("USG.")
        .or_else(|| code.strip_prefix("MMC."));
    digits.is_some_and(|d| d.len() == 9 && d.bytes().all(|b| b.is_ascii_digit()))
}

fn describe_answer(answer: &Answer, body: Option<&Value>, profile: &Profile) -> String {
    let code = body
        .and_then(|b| b.get("error_code"))
        .and_then(Value::as_str);
    match code {
        Some(code) => match profile.kind_of(answer.status, code) {
            Some(kind) => format!("{} {code} ({kind})", answer.status),
            None => format!("{} {code}", answer.status),
        },
        None => answer.status.to_string(),
    }
}

/// What one of N parallel answers was: `success`, a failure kind, or something unexpected.
fn outcome_of(answer: &Result<Answer, TransportError>, profile: &Profile) -> String {
    match answer {
        Err(error) => format!("transport error ({})", error.0),
        Ok(answer) if (200..300).contains(&answer.status) => "success".into(),
        Ok(answer) => {
            let code = answer.json().and_then(|b| {
                b.get("error_code")
                    .and_then(Value::as_str)
                    .map(str::to_owned)
            });
            match code
                .as_deref()
                .and_then(|c| profile.kind_of(answer.status, c))
            {
                Some(kind) => kind.to_owned(),
                None => format!("{} {}", answer.status, code.unwrap_or_default()),
            }
        }
    }
}

fn judge_outcomes(
    step: &Step,
    answers: &[Result<Answer, TransportError>],
    profile: &Profile,
    record: &mut StepRecord,
) {
    let mut counts: Vec<(String, u32)> = Vec::new();
    for answer in answers {
        let outcome = outcome_of(answer, profile);
        match counts.iter_mut().find(|(o, _)| *o == outcome) {
            Some((_, n)) => *n += 1,
            None => counts.push((outcome, 1)),
        }
    }
    counts.sort();
    let mut expected = step.expect.outcomes.clone();
    expected.retain(|(_, n)| *n > 0);
    expected.sort();
    if counts != expected {
        let show = |list: &[(String, u32)]| {
            list.iter()
                .map(|(o, n)| format!("{n} {o}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        record.failures.push(failure(
            step.expect.at,
            "outcomes",
            &show(&expected),
            &show(&counts),
        ));
    }
    record.outcomes = counts;
}

fn request_record(target: &Target, prepared: &Prepared) -> RequestRecord {
    RequestRecord {
        method: prepared.method.to_string(),
        url: format!("{}{}", target.base_url, prepared.path),
        headers: prepared.headers.clone(),
        body: prepared
            .body
            .as_deref()
            .map(|b| shown(&String::from_utf8_lossy(b)))
            .unwrap_or_default(),
    }
}

fn response_record(answer: &Answer) -> ResponseRecord {
    ResponseRecord {
        status: answer.status,
        headers: answer.header_list(),
        body: shown(&String::from_utf8_lossy(&answer.body)),
        body_bytes: answer.body.len(),
    }
}
