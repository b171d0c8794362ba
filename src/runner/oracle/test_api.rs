//! The test-support oracle (`test-api`): the CAPTCHA answer and the newest code read from the
//! target's own test-support endpoints, and the target's clock moved by them.

use serde_json::{json, Value};

use super::{encode, get_json, post_json, AnswerSource, CodeSource, Lookup};
use crate::api::test_support::{CAPTCHA_PREFIX, CLOCK_ADVANCE, OUTBOX_LATEST};
use crate::runner::context::LazyJson;
use crate::runner::target::{Prepared, Target};

pub struct TestApi;

impl AnswerSource for TestApi {
    fn answer<'a>(
        &'a self,
        target: &'a Target,
        t1: &'a str,
        _: Option<&'a LazyJson>,
    ) -> Lookup<'a, Value> {
        Box::pin(async move {
            let path = format!("{CAPTCHA_PREFIX}{}", encode(t1));
            let answer = get_json(target, &path)
                .await
                .map_err(|e| format!("test-api CAPTCHA oracle: {e}"))?;
            if answer.get("pointX").and_then(Value::as_i64).is_none() {
                return Err(format!(
                    "test-api CAPTCHA oracle: no integer pointX in {answer}"
                ));
            }
            Ok(answer)
        })
    }
}

impl CodeSource for TestApi {
    fn code<'a>(&'a self, target: &'a Target, user: &'a str) -> Lookup<'a, String> {
        Box::pin(async move {
            let path = format!("{OUTBOX_LATEST}?user={}", encode(user));
            let message = get_json(target, &path)
                .await
                .map_err(|e| format!("test-api code oracle: {e}"))?;
            message
                .get("code")
                .and_then(Value::as_str)
                .map(str::to_owned)
                .ok_or_else(|| format!("test-api code oracle: no code in {message}"))
        })
    }
}

/// Moves the target's clock on by whole seconds.
pub async fn advance_clock(target: &Target, seconds: u64) -> Result<(), String> {
    let request = post_json(CLOCK_ADVANCE, &json!({ "seconds": seconds }));
    let answer = target
        .send(&request)
        .await
        .map_err(|e| format!("clock advance: {e}"))?;
    if answer.status != 200 {
        return Err(format!("clock advance answered {}", answer.status));
    }
    Ok(())
}

/// Whether the target answers the test-support outbox and clock.
pub async fn answers(target: &Target) -> bool {
    let request = Prepared {
        method: hyper::Method::GET,
        path: format!("{OUTBOX_LATEST}?user=gatecheck-probe"),
        headers: Vec::new(),
        body: None,
    };
    // A test-support outbox answers 404 with a JSON body (no message for that user) or 200.
    match target.send(&request).await {
        Ok(answer) => {
            matches!(answer.status, 200 | 404)
                && answer.json().is_some_and(Value::is_object)
                && advance_clock(target, 0).await.is_ok()
        }
        Err(_) => false,
    }
}
