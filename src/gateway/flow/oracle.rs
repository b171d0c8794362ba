//! What the test-support endpoints reveal: CAPTCHA answers, the outbox, the clock, users.
//! Never part of a production gateway; `--no-test-support` removes the routes.

use serde::{Deserialize, Serialize};

use super::code::Channel;
use super::{Flow, Reply};
use crate::gateway::clock::Millis;
use crate::gateway::failure::{Failure, FailureKind};
use crate::gateway::request::{self, MAX_NAME_CHARS};
use crate::gateway::token;
use crate::gateway::users::{Full, UserSpec};

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct CaptchaAnswer {
    pub point_x: u32,
    pub point_y: u32,
}

/// The newest message sent to a user.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct OutboxMessage {
    pub user: String,
    pub channel: Channel,
    pub destination: String,
    pub code: String,
    /// Unix seconds on the gateway's clock.
    pub sent_at: u64,
}

#[derive(Debug, Deserialize)]
pub struct AdvanceBody {
    seconds: Option<u64>,
}

/// Ten years: more would only overflow deadlines.
const MAX_ADVANCE_SECONDS: u64 = 10 * 365 * 24 * 3600;

impl Flow {
    /// The answer to T1, used or not, until T1 expires.
    pub fn captcha_answer(&self, t1: &str) -> Option<CaptchaAnswer> {
        let now = self.clock.now_ms();
        let captchas = self.captchas.lock();
        let entry = captchas.get(&token::selector(t1).to_owned(), now)?;
        token::matches(&entry.token, t1).then_some(CaptchaAnswer {
            point_x: entry.point_x,
            point_y: entry.point_y,
        })
    }

    pub fn latest_message(&self, user: &str) -> Option<OutboxMessage> {
        self.outbox
            .lock()
            .get(&user.to_owned(), self.clock.now_ms())
            .cloned()
    }

    pub(super) fn deliver(&self, message: OutboxMessage) {
        let now = self.clock.now_ms();
        let deadline = now.saturating_add(self.config.outbox_lifetime.as_millis() as u64);
        self.outbox
            .lock()
            .insert(message.user.clone(), message, deadline, now);
    }

    /// The user a live T1 is bound to, without using it (for the `t2-from-any-step` fault).
    pub(super) fn peek_captcha_token(&self, presented: &str, now: Millis) -> Option<String> {
        let captchas = self.captchas.lock();
        let entry = captchas.get(&token::selector(presented).to_owned(), now)?;
        token::matches(&entry.token, presented).then(|| entry.user.clone())
    }

    pub fn advance_clock(&self, body: AdvanceBody) -> Result<Reply, Failure> {
        let seconds = request::required(body.seconds, "seconds")?;
        if seconds > MAX_ADVANCE_SECONDS {
            return Err(Failure::invalid(format!(
                "field `seconds` must be at most {MAX_ADVANCE_SECONDS}"
            )));
        }
        self.clock.advance_ms(seconds * 1000);
        Ok(Reply::json(
            &serde_json::json!({ "now": self.clock.now_secs() }),
        ))
    }

    pub fn create_user(&self, spec: UserSpec) -> Result<Reply, Failure> {
        let user = request::text(spec.user.clone(), "user", 1, MAX_NAME_CHARS)?;
        request::text(spec.password.clone(), "password", 1, MAX_NAME_CHARS)?;
        self.users
            .create(&spec, self.config.max_test_users)
            .map_err(|Full(cap)| Failure {
                detail: Some(format!(
                    "{cap} users were created through test support, the most this gateway keeps (gatecheck serve --max-test-users); replacing one of them still works"
                )),
                ..FailureKind::TestUsersFull.into()
            })?;
        let body = serde_json::to_vec(&serde_json::json!({ "user": user })).unwrap_or_default();
        Ok(Reply::Created(body))
    }
}
