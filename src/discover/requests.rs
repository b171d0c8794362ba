//! How the target reads a request (`requests:`), probed on call 1, which needs no token: a
//! body that is not JSON (a second `invalid_request` code?), another `Content-Type`, `0.0`
//! for an integer, `null` for a field, duplicate keys, the largest body and what a larger one
//! gets, the `clientType` and `checkType` values accepted, and `checkType`'s default.

use serde_json::{json, Value};

use super::findings::Findings;
use super::flow::{unexpected, Flows};
use super::probe::{ProbeError, Reply};
use super::search::largest;
use crate::api::Operation;

/// The values `requests.client_types` and `check_types` may list.
const ENUM_VALUES: std::ops::RangeInclusive<i64> = 0..=255;
/// The largest body cap a profile can state (16 MiB), and the smallest.
const BODY_CAP: i64 = 16 * 1024 * 1024;
const BODY_FLOOR: i64 = 1024;

pub async fn probe(flows: &Flows<'_>, found: &mut Findings) -> Result<(), ProbeError> {
    let user = flows.user().await?.user;
    let invalid = invalid_answer(found)?;
    let not_json = send(flows, Some("application/json"), "{\"user\": ".into()).await?;
    if let Some(refusal) = not_json.refusal() {
        found.error(
            "invalid_request",
            refusal,
            "call 1 with a body that is not JSON",
        );
    }
    content_type(flows, found, &user, &invalid).await?;
    let body = json!({"user": user, "clientType": 0.0, "checkType": 1});
    let float = call(flows, &body).await?;
    word(
        found,
        "float_integers",
        float.ok(),
        ("accepted", "refused"),
        "call 1 with clientType 0.0",
    );
    let body = json!({"user": user, "clientType": 0, "checkType": null});
    let null = call(flows, &body).await?;
    word(
        found,
        "null_fields",
        null.ok(),
        ("absent", "refused"),
        "call 1 with checkType null",
    );
    duplicate_keys(flows, found, &user).await?;
    body_cap(flows, found, &user, &invalid).await?;
    enums(flows, found, &user).await?;
    check_type_default(flows, found, &user).await
}

/// The answer to call 1 without `user`, found before this section runs.
fn invalid_answer(found: &Findings) -> Result<(u16, String), ProbeError> {
    let spec = found
        .is_found("errors.invalid_request")
        .then(|| found.profile.error("invalid_request"))
        .flatten()
        .ok_or_else(|| ProbeError::Unexpected("call 1 without `user` was not refused".into()))?;
    Ok((spec.status, spec.code.clone()))
}

async fn send(
    flows: &Flows<'_>,
    content_type: Option<&str>,
    body: String,
) -> Result<Reply, ProbeError> {
    flows
        .probe
        .raw(Operation::SendCaptcha, content_type, body)
        .await
}

async fn call(flows: &Flows<'_>, body: &Value) -> Result<Reply, ProbeError> {
    flows.probe.call(Operation::SendCaptcha, body.clone()).await
}

fn word(found: &mut Findings, key: &str, passed: bool, words: (&str, &str), how: &str) {
    let (word, verb) = if passed {
        (words.0, "passed")
    } else {
        (words.1, "was refused")
    };
    set_word(found, key, word);
    found.found(&format!("requests.{key}"), format!("{how} {verb}"));
}

fn set_word(found: &mut Findings, key: &str, word: &str) {
    let requests = &mut found.profile.requests;
    let slot = match key {
        "content_type" => &mut requests.content_type,
        "float_integers" => &mut requests.float_integers,
        "null_fields" => &mut requests.null_fields,
        "too_large" => &mut requests.too_large,
        _ => &mut requests.duplicate_keys,
    };
    *slot = word.to_owned();
}

/// A good body as `text/plain`: read as JSON, refused as an invalid request, or another kind.
async fn content_type(
    flows: &Flows<'_>,
    found: &mut Findings,
    user: &str,
    invalid: &(u16, String),
) -> Result<(), ProbeError> {
    let body = json!({"user": user, "clientType": 0, "checkType": 1}).to_string();
    let reply = send(flows, Some("text/plain"), body).await?;
    let how = "call 1 with a JSON body sent as text/plain";
    let word = match reply.refusal() {
        None if reply.ok() => "json",
        Some(refusal) if refusal == *invalid => "refused",
        Some(refusal) => {
            found.error("unsupported_media_type", refusal, how);
            "unsupported"
        }
        None => return Err(unexpected(how, &reply)),
    };
    set_word(found, "content_type", word);
    found.found(
        "requests.content_type",
        format!("{how} answered {}", reply.shown()),
    );
    Ok(())
}

/// `user` twice: refused, or which one the T1 is bound to.
async fn duplicate_keys(
    flows: &Flows<'_>,
    found: &mut Findings,
    first: &str,
) -> Result<(), ProbeError> {
    let last = flows.user().await?.user;
    let body = format!(
        "{{\"user\": {}, \"user\": {}, \"clientType\": 0, \"checkType\": 1}}",
        Value::from(first),
        Value::from(last.as_str())
    );
    let reply = send(flows, Some("application/json"), body).await?;
    let how = "call 1 with `user` twice";
    let Some(t1) = reply.text("token").filter(|_| reply.ok()) else {
        set_word(found, "duplicate_keys", "refused");
        found.found("requests.duplicate_keys", format!("{how} was refused"));
        return Ok(());
    };
    let x = flows.probe.answer(&t1).await?;
    let as_first = flows
        .probe
        .check_captcha(first, &t1, x, flows.slide_ms)
        .await?;
    let word = if as_first.ok() { "first" } else { "last" };
    set_word(found, "duplicate_keys", word);
    found.found(
        "requests.duplicate_keys",
        format!("{how} passed; its T1 passed for the {word} one"),
    );
    Ok(())
}

/// The largest body call 1 takes (an unknown field padding it), and what a larger one gets.
async fn body_cap(
    flows: &Flows<'_>,
    found: &mut Findings,
    user: &str,
    invalid: &(u16, String),
) -> Result<(), ProbeError> {
    let mut too_large = None;
    let cap = largest(BODY_FLOOR, BODY_CAP, async |size| {
        let reply = send(flows, Some("application/json"), padded(user, size)).await?;
        if !reply.ok() {
            too_large = reply.refusal();
        }
        Ok(reply.ok())
    })
    .await?;
    found.profile.requests.max_body_bytes = cap as u64;
    found.found(
        "requests.max_body_bytes",
        super::captcha::bound_note(cap, BODY_CAP, "bytes"),
    );
    let how = format!("call 1 with a body of {} bytes", cap + 1);
    match too_large {
        Some(refusal) if refusal == *invalid => set_word(found, "too_large", "invalid_request"),
        Some(refusal) => {
            found.error("payload_too_large", refusal, &how);
            set_word(found, "too_large", "payload_too_large");
        }
        None => return Ok(()),
    }
    found.found(
        "requests.too_large",
        format!("{how} answered {}", found.profile.requests.too_large),
    );
    Ok(())
}

/// A good call 1 body of exactly `size` bytes.
fn padded(user: &str, size: i64) -> String {
    let bare = json!({"user": user, "clientType": 0, "checkType": 1, "pad": ""}).to_string();
    let pad = (size as usize).saturating_sub(bare.len());
    json!({"user": user, "clientType": 0, "checkType": 1, "pad": "x".repeat(pad)}).to_string()
}

/// Every `clientType` and `checkType` from 0 to 255, one call 1 each.
async fn enums(flows: &Flows<'_>, found: &mut Findings, user: &str) -> Result<(), ProbeError> {
    let mut client_types = Vec::new();
    let mut check_types = Vec::new();
    for value in ENUM_VALUES {
        if call(
            flows,
            &json!({"user": user, "clientType": value, "checkType": 1}),
        )
        .await?
        .ok()
        {
            client_types.push(value);
        }
        if call(
            flows,
            &json!({"user": user, "clientType": 0, "checkType": value}),
        )
        .await?
        .ok()
        {
            check_types.push(value);
        }
    }
    let how = |list: &[i64]| format!("call 1 passed with {list:?} of 0-255");
    found.found("requests.client_types", how(&client_types));
    found.found("requests.check_types", how(&check_types));
    found.profile.requests.client_types = client_types;
    found.profile.requests.check_types = check_types;
    Ok(())
}

/// Call 1 without `checkType`; call 2 with each accepted value, a fresh T1 each.
async fn check_type_default(
    flows: &Flows<'_>,
    found: &mut Findings,
    user: &str,
) -> Result<(), ProbeError> {
    let mut passing = Vec::new();
    for check_type in found.profile.requests.check_types.clone() {
        let reply = call(flows, &json!({"user": user, "clientType": 0})).await?;
        let t1 = reply
            .text("token")
            .filter(|_| reply.ok())
            .ok_or_else(|| unexpected("call 1 without checkType", &reply))?;
        let x = flows.probe.answer(&t1).await?;
        let body = json!({"user": user, "clientType": 0, "checkType": check_type, "token": t1, "pointX": x, "slideTime": flows.slide_ms});
        if flows.probe.call(Operation::CheckCaptcha, body).await?.ok() {
            passing.push(check_type);
        }
    }
    // Undetermined, the default still has to be one of the values found.
    let requests = &mut found.profile.requests;
    if !requests.check_types.contains(&requests.check_type_default) {
        requests.check_type_default = requests.check_types.first().copied().unwrap_or(1);
    }
    match passing.as_slice() {
        [default] => {
            found.profile.requests.check_type_default = *default;
            found.found(
                "requests.check_type_default",
                format!("a T1 sent without checkType passed call 2 with checkType {default} only"),
            );
        }
        [] => found.undetermined(
            &["requests.check_type_default".into()],
            "a T1 sent without checkType passed call 2 with no checkType",
        ),
        several => found.undetermined(
            &["requests.check_type_default".into()],
            &format!("a T1 sent without checkType passed call 2 with each of {several:?} (T1 is not bound to a checkType), so the choice cannot show"),
        ),
    }
    Ok(())
}
