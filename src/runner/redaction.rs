//! The one place a step's record is made safe to show, so that every report (results.json,
//! junit.xml, summary.md, the console, fuzz findings, load failure names) renders redacted
//! data: first every secret the step meets is learnt (the template values, the request's and
//! the answer's secret fields and headers, a token in a test-support path), then bodies and
//! headers are masked and every free text of the record (failures, transport messages) is
//! scrubbed of them, and only then cut to `BODY_SHOWN`, so a cut never leaves half a secret.

use serde_json::Value;

use super::context::{Context, LazyJson};
use super::record::{shown, shown_within, RequestRecord, ResponseRecord, StepRecord, CHECK_SHOWN};
use super::target::{Answer, Prepared, Target};
use crate::redact::{Class, Redactor, Secrets};

/// Template values that are secrets, and how each is shown.
const FLOW_SECRETS: &[(&str, Class)] = &[
    ("t1", Class::Token),
    ("t2", Class::Token),
    ("t3", Class::Token),
    ("code", Class::Code),
    // Every digit of the code moved by one: it gives the code away.
    ("wrong_code", Class::Code),
    ("password", Class::Password),
    ("old_password", Class::Password),
    ("new_password", Class::Password),
];

/// Learns what a step can show: the flow's secret values, then the exchange's.
pub fn learn(
    redactor: &Redactor,
    context: &mut Context,
    prepared: &Prepared,
    answer: Option<&Answer>,
) {
    let secrets = &mut context.secrets;
    let captcha = context.captcha.as_ref().map(LazyJson::value);
    learn_flow(redactor, &context.flow, captcha, secrets);
    redactor.find_in_path(&prepared.path, secrets);
    redactor.find_in_headers(&prepared.headers, secrets);
    if let Some(body) = &prepared.body {
        redactor.find_in_body(&String::from_utf8_lossy(body), secrets);
    }
    if let Some(answer) = answer {
        redactor.find_in_headers(&answer.header_list(), secrets);
        if let Some(body) = answer.json() {
            redactor.find_in_json(body, secrets);
        }
    }
}

fn learn_flow(
    redactor: &Redactor,
    flow: &super::context::FlowValues,
    captcha: Option<&Value>,
    secrets: &mut Secrets,
) {
    for (key, class) in FLOW_SECRETS {
        if let Some(Value::String(value)) = flow.get(key) {
            secrets.add(value, *class);
        }
    }
    // The CAPTCHA answer's body holds T1.
    if let Some(captcha) = captcha {
        redactor.find_in_json(captcha, secrets);
    }
}

pub fn request(
    redactor: &Redactor,
    target: &Target,
    prepared: &Prepared,
    secrets: &Secrets,
) -> RequestRecord {
    let url = format!("{}{}", target.base_url, prepared.path);
    RequestRecord {
        method: prepared.method.to_string(),
        url: redactor.scrub(&url, secrets),
        headers: redactor.headers(&prepared.headers, secrets),
        body: prepared
            .body
            .as_deref()
            .map(|b| shown(&redactor.body(&String::from_utf8_lossy(b), secrets)))
            .unwrap_or_default(),
    }
}

pub fn response(redactor: &Redactor, answer: &Answer, secrets: &Secrets) -> ResponseRecord {
    ResponseRecord {
        status: answer.status,
        headers: redactor.headers(&answer.header_list(), secrets),
        body: shown(&redactor.body(&String::from_utf8_lossy(&answer.body), secrets)),
        body_bytes: answer.body.len(),
    }
}

/// Scrubs the record's free text (failed expectations, transport messages) and bounds it.
pub fn scrub(redactor: &Redactor, record: &mut StepRecord, secrets: &Secrets) {
    let clean = |text: &mut String| *text = shown(&redactor.scrub(text, secrets));
    for failure in &mut record.failures {
        for text in [&mut failure.expected, &mut failure.actual] {
            *text = shown_within(&redactor.scrub(text, secrets), CHECK_SHOWN);
        }
    }
    if let Some(transport) = &mut record.transport {
        clean(&mut transport.message);
    }
    if let Some(super::outcome::Outcome::Transport(transport)) = &mut record.outcome {
        clean(&mut transport.message);
    }
}

/// A scenario's reason (why it was skipped or could not run), scrubbed.
pub fn reason(redactor: &Redactor, reason: &str, context: &Context) -> String {
    let mut secrets = context.secrets.clone();
    learn_flow(
        redactor,
        &context.flow,
        context.captcha_value(),
        &mut secrets,
    );
    shown(&redactor.scrub(reason, &secrets))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_across_the_cut_is_masked_before_the_body_is_cut() {
        let redactor = Redactor::default();
        let t1 = "Qm9xTkVuZ3Rva2VuLXNlY3JldC12YWx1ZQ";
        let mut context = Context::default();
        context.set("t1", Value::String(t1.to_owned()));
        // Not JSON, so found by value only; the token straddles the 2048-byte cut.
        let text = format!("{}{t1} and more", "x".repeat(2030));
        let prepared = Prepared {
            method: hyper::Method::PUT,
            path: format!("/test/v1/captcha/{t1}"),
            headers: vec![("X-Access-Token".into(), t1.to_owned())],
            body: Some(bytes::Bytes::from(text)),
        };
        learn(&redactor, &mut context, &prepared, None);
        let target = Target::new("http://127.0.0.1:9", Default::default()).expect("target");
        let record = request(&redactor, &target, &prepared, &context.secrets);
        let shown = format!("{record:?}");
        assert!(!shown.contains(&t1[..6]), "{shown}");
        assert!(record.body.contains("Qm9x…(34 chars)"), "{}", record.body);
        assert!(record.url.ends_with("/test/v1/captcha/Qm9x…(34 chars)"));
    }
}
