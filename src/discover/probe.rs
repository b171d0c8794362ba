//! `discover`'s wire: the six calls and the test-support endpoints, each one request to the one
//! target it was given, counted against the request budget and the deadline. An answer is read
//! once into a `Reply` (status, JSON body, error code); every refusal is also checked for the
//! strict error shape (`{"error_code", "error_msg"}` and an `X-Request-Id` header).

use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::Instant;

use base64::Engine;
use hyper::Method;
use serde_json::{json, Value};

use crate::api::test_support::{CAPTCHA_PREFIX, CLOCK_ADVANCE, OUTBOX_LATEST, USERS};
use crate::api::Operation;
use crate::runner::oracle::encode;
use crate::runner::target::{Prepared, Target};

/// Why a probe stopped.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ProbeError {
    #[error("the request budget ({0}) is spent")]
    Requests(u32),
    #[error("the time limit is reached")]
    Time,
    #[error("{0}")]
    Transport(String),
    /// The target answered something a correct gateway does not (said in words).
    #[error("{0}")]
    Unexpected(String),
}

/// One answer, read once.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub body: Option<Value>,
}

impl Reply {
    pub fn ok(&self) -> bool {
        self.status == 200
    }

    /// The refusal's `(status, error_code)`.
    pub fn refusal(&self) -> Option<(u16, String)> {
        let code = self.body.as_ref()?.get("error_code")?.as_str()?;
        (!self.ok()).then(|| (self.status, code.to_owned()))
    }

    pub fn text(&self, field: &str) -> Option<String> {
        Some(self.body.as_ref()?.get(field)?.as_str()?.to_owned())
    }

    pub fn number(&self, field: &str) -> Option<i64> {
        self.body.as_ref()?.get(field)?.as_i64()
    }

    /// `{status} {error_code}` or `200`, for messages.
    pub fn shown(&self) -> String {
        match self.refusal() {
            Some((status, code)) => format!("{status} {code}"),
            None => self.status.to_string(),
        }
    }
}

/// The bounds of one discovery.
#[derive(Debug, Clone, Copy)]
pub struct Budget {
    pub max_requests: u32,
    pub deadline: Instant,
}

pub struct Probe {
    target: Target,
    budget: Budget,
    sent: AtomicU32,
    refusals: AtomicU32,
    /// Every refusal so far had exactly the strict error shape.
    strict: AtomicBool,
}

impl Probe {
    pub fn new(target: Target, budget: Budget) -> Self {
        Self {
            target,
            budget,
            sent: AtomicU32::new(0),
            refusals: AtomicU32::new(0),
            strict: AtomicBool::new(true),
        }
    }

    /// Requests sent (an attempt past the budget is counted by the error, not here).
    pub fn sent(&self) -> u32 {
        self.sent
            .load(Ordering::Relaxed)
            .min(self.budget.max_requests)
    }

    /// Refusals seen, and whether each had the strict shape.
    pub fn error_shape(&self) -> (u32, bool) {
        (
            self.refusals.load(Ordering::Relaxed),
            self.strict.load(Ordering::Relaxed),
        )
    }

    pub fn url(&self) -> &str {
        &self.target.base_url
    }

    pub async fn send(&self, request: Prepared) -> Result<Reply, ProbeError> {
        if Instant::now() >= self.budget.deadline {
            return Err(ProbeError::Time);
        }
        if self.sent.fetch_add(1, Ordering::Relaxed) >= self.budget.max_requests {
            return Err(ProbeError::Requests(self.budget.max_requests));
        }
        let answer = self.target.send(&request).await.map_err(|e| {
            ProbeError::Transport(format!("{} {}: {e}", request.method, request.path))
        })?;
        let reply = Reply {
            status: answer.status,
            body: answer.json().cloned(),
        };
        if !reply.ok() && !request.path.starts_with("/test/") {
            self.refusals.fetch_add(1, Ordering::Relaxed);
            let keys_exact = reply
                .body
                .as_ref()
                .and_then(Value::as_object)
                .is_some_and(|o| {
                    o.len() == 2
                        && o.get("error_code").is_some_and(Value::is_string)
                        && o.get("error_msg").is_some_and(Value::is_string)
                });
            if !keys_exact || answer.header("x-request-id").is_none() {
                self.strict.store(false, Ordering::Relaxed);
            }
        }
        Ok(reply)
    }

    pub async fn call(&self, operation: Operation, body: Value) -> Result<Reply, ProbeError> {
        self.call_with(operation, body, &[]).await
    }

    /// A JSON call with these headers besides `Content-Type`.
    async fn call_with(
        &self,
        operation: Operation,
        body: Value,
        headers: &[(&str, String)],
    ) -> Result<Reply, ProbeError> {
        self.send(json_request(
            operation.method(),
            operation.path(),
            &body,
            headers,
        ))
        .await
    }

    /// A call with this body text as it is, and this `Content-Type` (or none).
    pub async fn raw(
        &self,
        operation: Operation,
        content_type: Option<&str>,
        body: String,
    ) -> Result<Reply, ProbeError> {
        let headers = content_type
            .map(|value| ("Content-Type".to_owned(), value.to_owned()))
            .into_iter()
            .collect();
        let request = Prepared {
            method: operation.method(),
            path: operation.path().to_owned(),
            headers,
            body: Some(body.into()),
        };
        self.send(request).await
    }

    pub async fn send_captcha(&self, user: &str) -> Result<Reply, ProbeError> {
        let body = json!({"user": user, "clientType": 0, "checkType": 1});
        self.call(Operation::SendCaptcha, body).await
    }

    pub async fn check_captcha(
        &self,
        user: &str,
        t1: &str,
        x: i64,
        slide_ms: i64,
    ) -> Result<Reply, ProbeError> {
        let body = json!({"user": user, "clientType": 0, "checkType": 1, "token": t1, "pointX": x, "slideTime": slide_ms});
        self.call(Operation::CheckCaptcha, body).await
    }

    pub async fn send_code(&self, user: &str, t2: &str) -> Result<Reply, ProbeError> {
        let body = json!({"user": user, "token": t2, "sendMethod": "sms"});
        self.call(Operation::SendCode, body).await
    }

    pub async fn check_code(&self, user: &str, code: &str) -> Result<Reply, ProbeError> {
        self.call(Operation::CheckCode, json!({"user": user, "code": code}))
            .await
    }

    pub async fn reset(&self, user: &str, t3: &str, password: &str) -> Result<Reply, ProbeError> {
        let body = json!({"user": user, "newPwd": password});
        let headers = [("X-Access-Token", t3.to_owned())];
        self.call_with(Operation::ResetPassword, body, &headers)
            .await
    }

    pub async fn login(&self, account: &str, password: &str) -> Result<Reply, ProbeError> {
        let basic =
            base64::engine::general_purpose::STANDARD.encode(format!("{account}:{password}"));
        let headers = [("Authorization", format!("Basic {basic}"))];
        let body = json!({"account": account, "clientType": 72});
        self.call_with(Operation::Login, body, &headers).await
    }

    /// Whether the target serves test support: the outbox answers (200 or 404 with JSON) and
    /// the clock moves by nothing.
    pub async fn has_test_support(&self) -> Result<bool, ProbeError> {
        let outbox = self
            .send(get(&format!("{OUTBOX_LATEST}?user=gatecheck-discover")))
            .await?;
        if !matches!(outbox.status, 200 | 404) || outbox.body.is_none() {
            return Ok(false);
        }
        Ok(self.advance(0).await.is_ok())
    }

    pub async fn create_user(
        &self,
        user: &str,
        password: &str,
        account: &str,
    ) -> Result<(), ProbeError> {
        let body = json!({"user": user, "password": password, "phone": user, "account": account});
        let reply = self
            .send(json_request(Method::POST, USERS, &body, &[]))
            .await?;
        expect_status(&reply, &[200, 201], "creating a test user")
    }

    /// The test-support answer of a CAPTCHA: `(pointX, pointY)`.
    pub async fn answer(&self, t1: &str) -> Result<i64, ProbeError> {
        let reply = self
            .send(get(&format!("{CAPTCHA_PREFIX}{}", encode(t1))))
            .await?;
        expect_status(&reply, &[200], "the CAPTCHA answer")?;
        reply.number("pointX").ok_or_else(|| {
            ProbeError::Unexpected("the CAPTCHA answer has no integer pointX".into())
        })
    }

    pub async fn latest_code(&self, user: &str) -> Result<String, ProbeError> {
        let reply = self
            .send(get(&format!("{OUTBOX_LATEST}?user={}", encode(user))))
            .await?;
        expect_status(&reply, &[200], "the outbox")?;
        reply
            .text("code")
            .ok_or_else(|| ProbeError::Unexpected("the outbox message has no code".into()))
    }

    pub async fn advance(&self, seconds: u64) -> Result<(), ProbeError> {
        let request = json_request(
            Method::POST,
            CLOCK_ADVANCE,
            &json!({"seconds": seconds}),
            &[],
        );
        let reply = self.send(request).await?;
        expect_status(&reply, &[200], "moving the clock")
    }
}

fn expect_status(reply: &Reply, wanted: &[u16], what: &str) -> Result<(), ProbeError> {
    if wanted.contains(&reply.status) {
        return Ok(());
    }
    Err(ProbeError::Unexpected(format!(
        "{what} answered {}",
        reply.shown()
    )))
}

fn get(path: &str) -> Prepared {
    Prepared {
        method: Method::GET,
        path: path.to_owned(),
        headers: Vec::new(),
        body: None,
    }
}

fn json_request(method: Method, path: &str, body: &Value, extra: &[(&str, String)]) -> Prepared {
    let mut headers = vec![("Content-Type".to_owned(), "application/json".to_owned())];
    headers.extend(
        extra
            .iter()
            .map(|(name, value)| ((*name).to_owned(), value.clone())),
    );
    Prepared {
        method,
        path: path.to_owned(),
        headers,
        body: Some(body.to_string().into()),
    }
}
