//! Calls 3 and 4: trade T2 for a verification code sent to the user's phone or mailbox; trade
//! the code for T3. Unknown users are answered exactly like known ones up to call 3.

use serde::Serialize;

use super::{
    consume_token, peek_token, seconds, Flow, OutboxMessage, PendingCode, Reply, TokenReply,
};
use crate::gateway::clock::Millis;
use crate::gateway::config::{OtherUserCode, ResendScope};
use crate::gateway::failure::{Failure, FailureKind};
use crate::gateway::fault::Fault;
use crate::gateway::request::{self, CheckCodeBody, SendCodeBody, MAX_CODE_CHARS, MAX_NAME_CHARS};
use crate::gateway::store::ExpiringStore;
use crate::gateway::token;
use crate::gateway::users::{self, identity_kind, IdentityKind};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Channel {
    Sms,
    Email,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SendCodeReply<'a> {
    expire: u64,
    bind_phone: Option<&'a str>,
    bind_email: Option<&'a str>,
    /// Only with the `leak-code` fault.
    #[serde(skip_serializing_if = "Option::is_none")]
    code: Option<&'a str>,
}

impl Flow {
    pub fn send_code(&self, body: SendCodeBody) -> Result<Reply, Failure> {
        let user = request::user(body.user)?;
        let send_method = match body.send_method.as_deref() {
            None => None,
            Some("sms") => Some(Channel::Sms),
            Some("email") => Some(Channel::Email),
            Some(other) => {
                return Err(Failure::invalid(format!(
                    "field `sendMethod` must be \"sms\" or \"email\", got {other:?}"
                )))
            }
        };
        let kind = identity_kind(&user);
        let channel = match (kind, send_method) {
            (IdentityKind::Phone, _) => Channel::Sms,
            (IdentityKind::Email, _) => Channel::Email,
            (IdentityKind::Account, Some(channel)) => channel,
            (IdentityKind::Account, None) => {
                return Err(Failure::invalid(
                    "field `sendMethod` is required for an account name",
                ))
            }
        };
        let t2 = match body.token {
            None => return Err(FailureKind::AccessTokenInvalid.into()),
            Some(t2) => request::text(t2, "token", 1, MAX_NAME_CHARS)?,
        };
        let destination = self.destination(&user, kind, channel);
        let scope = match self.config.resend_scope {
            ResendScope::User => user.clone(),
            ResendScope::Destination => destination
                .clone()
                .unwrap_or_else(|| made_up(channel, &user)),
            ResendScope::Account => self
                .users
                .bindings(&user)
                .and_then(|bindings| bindings.account)
                .unwrap_or_else(|| user.clone()),
        };
        self.use_t2_and_start_timer(&t2, &user, scope)?;

        let code = match &self.config.fixed_code {
            Some(code) => code.clone(),
            None => token::new_digits(self.config.code_digits),
        };
        let now = self.clock.now_ms();
        self.store_code(&user, &code, destination.is_some(), now);
        let shown = match destination {
            Some(destination) => {
                let masked = mask(channel, &destination);
                self.deliver(OutboxMessage {
                    user: user.clone(),
                    channel,
                    destination,
                    code: code.clone(),
                    sent_at: now / 1000,
                });
                masked
            }
            None => mask(channel, &made_up(channel, &user)),
        };
        Ok(Reply::json(&SendCodeReply {
            expire: seconds(self.config.code_lifetime),
            bind_phone: (channel == Channel::Sms).then_some(shown.as_str()),
            bind_email: (channel == Channel::Email).then_some(shown.as_str()),
            code: self.has(Fault::LeakCode).then_some(code.as_str()),
        }))
    }

    pub fn check_code(&self, body: CheckCodeBody) -> Result<Reply, Failure> {
        let user = request::user(body.user)?;
        let code = request::text(
            request::required(body.code, "code")?,
            "code",
            1,
            MAX_CODE_CHARS,
        )?;
        self.consume_code(&user, &code)?;
        let t3 = self.issue_token(&self.reset_tokens, &user, self.config.t3_lifetime);
        Ok(Reply::json(&TokenReply {
            token: &t3,
            expire: seconds(self.config.t3_lifetime),
        }))
    }

    /// The pending code of a new send: its counter starts again, or carries the live pending
    /// code's (`new_code_resets_counter` off).
    fn store_code(&self, user: &str, code: &str, deliverable: bool, now: Millis) {
        let mut codes = self.codes.lock();
        let carried = match self.config.new_code_resets_counter {
            true => 0,
            false => codes
                .get(&user.to_owned(), now)
                .map_or(0, |pending| pending.wrong_checks),
        };
        let limited = !self.has(Fault::NoAttemptLimit);
        codes.insert(
            user.to_owned(),
            PendingCode {
                code: code.to_owned(),
                wrong_checks: carried,
                burnt: limited && carried >= self.config.code_attempts,
                deliverable,
            },
            self.deadline(now, self.config.code_lifetime),
            now,
        );
    }

    /// T2 first (used up pass or fail), then the resend interval. The timers' lock is held
    /// throughout, so a refusal that keeps T2 (`t2_consumed_by_too_frequent` off) judges T2
    /// and the interval as one step: concurrent sends see one order.
    /// `key` is the interval's: the user string, the destination or the account.
    fn use_t2_and_start_timer(&self, t2: &str, user: &str, key: String) -> Result<(), Failure> {
        let now = self.clock.now_ms();
        let mut timers = self.resend_timers.lock();
        let busy = timers.get(&key, now).is_some() && !self.has(Fault::NoResendInterval);
        let keep = !self.config.t2_consumed_by_too_frequent;
        // A T2 that passes is only looked at where a success leaves it (reusable) or the
        // refusal keeps it; any other outcome is judged, and T2 used up, as always.
        let reuse = !self.config.single_use.t2 && !busy;
        let looked = (busy && keep) || reuse;
        if looked && self.consume_access_token(t2, user, false).is_ok() {
            if busy {
                return Err(FailureKind::SendTooFrequent.into());
            }
        } else {
            self.consume_access_token(t2, user, true)?;
        }
        if self.has(Fault::RevealUnknownUsers) && !self.users.exists(user) {
            return Err(FailureKind::UserNotFound.into());
        }
        if busy {
            return Err(FailureKind::SendTooFrequent.into());
        }
        if !self.has(Fault::NoResendInterval) {
            let deadline = now.saturating_add(self.config.resend_interval.as_millis() as u64);
            timers.insert(key, (), deadline, now);
        }
        Ok(())
    }

    /// Uses T2 up (pass or fail; only looks at it without `take`); it must be bound to `user`.
    fn consume_access_token(&self, t2: &str, user: &str, take: bool) -> Result<(), Failure> {
        let now = self.clock.now_ms();
        if self.keeps_other_users_token(&self.access_tokens, t2, user, Fault::UnboundT2) {
            return Err(FailureKind::AccessTokenInvalid.into());
        }
        let look_only = self.has(Fault::ReuseT2) || !take;
        let mut bound_to = consume_token(&self.access_tokens, t2, now, look_only);
        if bound_to.is_none() && self.has(Fault::T2FromAnyStep) {
            bound_to = self
                .peek_captcha_token(t2, now)
                .or_else(|| peek_token(&self.reset_tokens, t2, now));
        }
        match bound_to {
            Some(owner) if owner == user || self.has(Fault::UnboundT2) => Ok(()),
            _ => Err(FailureKind::AccessTokenInvalid.into()),
        }
    }

    /// Where a code for `user` goes, or None when it goes nowhere (unknown user, or an account
    /// without that binding).
    fn destination(&self, user: &str, kind: IdentityKind, channel: Channel) -> Option<String> {
        let bindings = self.users.bindings(user)?;
        match (kind, channel) {
            (IdentityKind::Phone | IdentityKind::Email, _) => Some(user.to_owned()),
            (IdentityKind::Account, Channel::Sms) => bindings.phone,
            (IdentityKind::Account, Channel::Email) => bindings.email,
        }
    }

    /// Checks a code; a match uses it up, a miss counts towards the attempt limit (and, as
    /// `other_user_code` says, against the pending code of the user it belongs to).
    fn consume_code(&self, user: &str, presented: &str) -> Result<(), Failure> {
        let now = self.clock.now_ms();
        let mut codes = self.codes.lock();
        if self.has(Fault::UnboundCode) {
            let matched = codes.iter_live(now).any(|(_, pending)| {
                pending.deliverable && !pending.burnt && token::matches(&pending.code, presented)
            });
            if matched {
                return Ok(());
            }
        }
        let result = self.check_own_code(&mut codes, user, presented, now);
        if result.is_err() && self.config.other_user_code != OtherUserCode::Intact {
            self.count_against_owner(&mut codes, user, presented, now);
        }
        result
    }

    fn check_own_code(
        &self,
        codes: &mut ExpiringStore<String, PendingCode>,
        user: &str,
        presented: &str,
        now: Millis,
    ) -> Result<(), Failure> {
        let key = user.to_owned();
        let pending = codes.get_mut(&key, now).ok_or(FailureKind::CodeMismatch)?;
        let limited = !self.has(Fault::NoAttemptLimit);
        if pending.burnt && limited {
            return Err(FailureKind::CodeAttemptsExceeded.into());
        }
        let right = pending.deliverable && token::matches(&pending.code, presented);
        if right || (self.has(Fault::AnyCode) && pending.deliverable) {
            if !self.has(Fault::ReuseCode) && self.config.single_use.code {
                codes.take(&key, now);
            }
            return Ok(());
        }
        pending.wrong_checks += 1;
        if pending.wrong_checks >= self.config.code_attempts && limited {
            pending.burnt = true;
            if self.config.exceeded_on_last_attempt {
                return Err(FailureKind::CodeAttemptsExceeded.into());
            }
        }
        Err(FailureKind::CodeMismatch.into())
    }

    /// A failed check whose code is another user's live one: one wrong check against it, or
    /// it is used up.
    fn count_against_owner(
        &self,
        codes: &mut ExpiringStore<String, PendingCode>,
        user: &str,
        presented: &str,
        now: Millis,
    ) {
        let owner = codes
            .iter_live(now)
            .find(|(owner, pending)| {
                owner.as_str() != user
                    && pending.deliverable
                    && !pending.burnt
                    && token::matches(&pending.code, presented)
            })
            .map(|(owner, _)| owner.clone());
        let Some(owner) = owner else {
            return;
        };
        if self.config.other_user_code == OtherUserCode::UsedUp {
            codes.take(&owner, now);
            return;
        }
        let limited = !self.has(Fault::NoAttemptLimit);
        if let Some(pending) = codes.get_mut(&owner, now) {
            pending.wrong_checks += 1;
            pending.burnt = limited && pending.wrong_checks >= self.config.code_attempts;
        }
    }
}

fn mask(channel: Channel, destination: &str) -> String {
    match channel {
        Channel::Sms => users::mask_phone(destination),
        Channel::Email => users::mask_email(destination),
    }
}

fn made_up(channel: Channel, user: &str) -> String {
    match (channel, identity_kind(user)) {
        (Channel::Sms, IdentityKind::Phone) | (Channel::Email, IdentityKind::Email) => {
            user.to_owned()
        }
        (Channel::Sms, _) => users::made_up_phone(user),
        (Channel::Email, _) => users::made_up_email(user),
    }
}
