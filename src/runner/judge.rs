//! Judging answers against a step's expectations: status and failure kind, body and header
//! matchers, latency, the strict error shape, and for parallel steps the count of each
//! outcome. Every failed expectation is a `FailureRecord` with a typed `Check` and its place in
//! the YAML.

use serde_json::Value;

use super::context::Context;
use super::outcome::{Check, Outcome};
use super::record::FailureRecord;
use super::target::{Answer, TransportError};
use crate::output::text::duration;
use crate::profile::Profile;
use crate::scenario::diagnostic::Location;
use crate::scenario::matcher::Matcher;
use crate::scenario::model::{Action, CheckTarget, Step};

pub fn failure(at: Location, check: Check, expected: &str, actual: &str) -> FailureRecord {
    FailureRecord {
        check,
        expected: expected.to_owned(),
        actual: actual.to_owned(),
        line: at.line,
        column: at.column,
    }
}

/// Checks one answer against the step's expectations.
pub fn answer(
    step: &Step,
    answer: &Answer,
    outcome: &Outcome,
    context: &Context,
    profile: &Profile,
    failures: &mut Vec<FailureRecord>,
) {
    kind_and_status(step, answer, outcome, profile, failures);
    strict_error_shape(step, answer, profile, failures);
    let expect = &step.expect;
    // Parsed only when a check reads the body (`answer.json` is lazy, and costly).
    let body = (!expect.body.is_empty()).then(|| answer.json()).flatten();
    for check in &expect.body {
        let CheckTarget::Body(path) = &check.target else {
            continue;
        };
        let actual = body.and_then(|b| path.find(b));
        run_matchers(
            check,
            Check::Body(path.text.clone()),
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
            Check::Header(name.clone()),
            actual.as_ref(),
            context,
            failures,
        );
    }
    if let Some(ceiling) = expect.max_latency {
        if answer.latency > ceiling {
            failures.push(failure(
                expect.at,
                Check::Latency,
                &format!("at most {}", duration(ceiling)),
                &latency_shown(answer.latency, ceiling),
            ));
        }
    }
}

/// A latency over its ceiling as the ceiling is written (`1.2 s`, `850 ms`), in milliseconds
/// if rounding would show it equal to the ceiling.
fn latency_shown(latency: std::time::Duration, ceiling: std::time::Duration) -> String {
    let shown = duration(latency);
    match shown == duration(ceiling) {
        true => format!("{:.1} ms", latency.as_secs_f64() * 1000.0),
        false => shown,
    }
}

/// The expected status (the kind's, 200 for a call, or the one written) and the kind's code.
fn kind_and_status(
    step: &Step,
    answer: &Answer,
    outcome: &Outcome,
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
    let code = match outcome {
        Outcome::Refused { code, .. } => code.as_deref(),
        _ => None,
    };
    if let Some(status) = expected_status {
        if answer.status != status {
            let expected = match kind_spec {
                Some((kind, spec)) => format!("{status} {} ({kind})", spec.shown()),
                None => status.to_string(),
            };
            failures.push(failure(
                expect.at,
                Check::Status,
                &expected,
                &describe(outcome),
            ));
        }
    }
    if let Some((kind, spec)) = kind_spec {
        if !code.is_some_and(|code| spec.accepts(code)) {
            let actual = code.map_or_else(|| "no error_code".to_owned(), str::to_owned);
            failures.push(failure(
                expect.at,
                Check::ErrorCode,
                &format!("{} ({kind})", spec.shown()),
                &actual,
            ));
        }
    }
}

fn run_matchers(
    check: &crate::scenario::model::Check,
    what: Check,
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
                        what.clone(),
                        &mismatch.expected,
                        &mismatch.actual,
                    ));
                }
            }
            Err(e) => failures.push(failure(
                check.at,
                what.clone(),
                "a value to compare with",
                &format!("template error: {e}"),
            )),
        }
    }
}

/// With `strict_errors`, every error answer is exactly `{"error_code", "error_msg"}` with a
/// well-formed code and an `X-Request-Id` header.
pub fn strict_error_shape(
    step: &Step,
    answer: &Answer,
    profile: &Profile,
    failures: &mut Vec<FailureRecord>,
) {
    if !profile.strict_errors || answer.status < 400 {
        return;
    }
    let at = step.expect.at;
    let shape_ok = answer.top_fields().is_some_and(|fields| {
        fields.keys == 2
            && fields.has_message
            && fields
                .error_code
                .as_deref()
                .is_some_and(crate::profile::well_formed_code)
    });
    if !shape_ok {
        // Cut later, once secrets are scrubbed from it (`runner::redaction`).
        let actual = String::from_utf8_lossy(&answer.body).into_owned();
        failures.push(failure(
            at,
            Check::ErrorBody,
            r#"exactly {"error_code": "USG.nnnnnnnnn", "error_msg": "..."}"#,
            &actual,
        ));
    }
    if answer.header("x-request-id").is_none_or(str::is_empty) {
        failures.push(failure(
            at,
            Check::RequestId,
            "present on every error",
            "absent",
        ));
    }
}

/// `400 USG.290040401 (reset_token_invalid)`, `400 USG.1`, or `200`.
fn describe(outcome: &Outcome) -> String {
    match outcome {
        Outcome::Refused {
            status,
            code: Some(code),
            kind,
        } => match kind {
            Some(kind) => format!("{status} {code} ({kind})"),
            None => format!("{status} {code}"),
        },
        other => other.status().map_or_else(String::new, |s| s.to_string()),
    }
}

/// Counts the outcomes of N answers sent at once and compares them with the expected counts.
pub fn outcomes(
    step: &Step,
    answers: &[Result<Answer, TransportError>],
    profile: &Profile,
    failures: &mut Vec<FailureRecord>,
) -> Vec<(Outcome, u32)> {
    // Counted by label: transport failures with different messages are one outcome.
    let mut counts: Vec<(Outcome, u32)> = Vec::new();
    for answer in answers {
        let outcome = Outcome::of_result(answer, profile);
        match counts
            .iter_mut()
            .find(|(o, _)| o.label() == outcome.label())
        {
            Some((_, n)) => *n += 1,
            None => counts.push((outcome, 1)),
        }
    }
    counts.sort_by_key(|(o, _)| o.label());
    let actual: Vec<(String, u32)> = counts.iter().map(|(o, n)| (o.label(), *n)).collect();
    let mut expected = step.expect.outcomes.clone();
    expected.retain(|(_, n)| *n > 0);
    expected.sort();
    if actual != expected {
        let show = |list: &[(String, u32)]| {
            list.iter()
                .map(|(o, n)| format!("{n} {o}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        failures.push(failure(
            step.expect.at,
            Check::Outcomes,
            &show(&expected),
            &show(&actual),
        ));
    }
    counts
}
