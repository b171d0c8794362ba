//! The keys and action names the decoder accepts, one table a place in the file; `schema`
//! builds the JSON Schema from the same tables, so the two cannot drift.

pub const TOP_KEYS: &[&str] = &[
    "name",
    "description",
    "tags",
    "vars",
    "users",
    "requires",
    "covers",
    "steps",
    "load",
];
pub const COMMON_STEP_KEYS: &[&str] = &["name", "expect", "capture", "parallel", "repeat"];
pub const ACTIONS: &[&str] = &[
    "send_captcha",
    "check_captcha",
    "send_code",
    "check_code",
    "reset_password",
    "login",
    "request",
    "wait",
    "reach",
];
pub const CALL_EXTRAS: &[&str] = &["with", "without", "headers", "content_type"];
pub const EXPECT_KEYS: &[&str] = &[
    "status",
    "error",
    "body",
    "headers",
    "max_latency",
    "outcomes",
];
pub const REQUEST_KEYS: &[&str] = &["method", "path", "headers", "body", "json"];
