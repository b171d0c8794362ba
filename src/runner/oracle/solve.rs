//! The `solve` oracle: the CAPTCHA answer found in the images themselves (`puzzle`), as a
//! user's eye finds it, without asking the gateway.

use serde_json::Value;

use super::{point, puzzle, AnswerSource, Lookup};
use crate::profile::XFrom;
use crate::runner::context::LazyJson;
use crate::runner::target::Target;

/// Where the gateway measures `pointX` (the profile's `captcha.image.x_from`).
pub struct Solve {
    pub x_from: XFrom,
}

impl AnswerSource for Solve {
    fn answer<'a>(
        &'a self,
        _: &'a Target,
        _: &'a str,
        captcha: Option<&'a LazyJson>,
    ) -> Lookup<'a, Value> {
        Box::pin(async move {
            answer(
                captcha
                    .map(LazyJson::value)
                    .ok_or("no send_captcha answer to solve")?,
                self.x_from,
            )
        })
    }
}

fn answer(captcha: &Value, x_from: XFrom) -> Result<Value, String> {
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
    let x = puzzle::solve(image("shadowImage")?, image("cutImage")?, point_y, x_from)
        .map_err(|e| format!("solve oracle: {e}"))?;
    Ok(point(x, point_y))
}
