//! Call 5 (reset the password with T3) and call 6 (log in, proving the reset took effect).

use base64::Engine;
use serde::Serialize;

use super::{consume_token, peek_token, Flow, Reply};
use crate::gateway::failure::{Failure, FailureKind};
use crate::gateway::fault::Fault;
use crate::gateway::request::{self, LoginBody, ResetPasswordBody, MAX_NAME_CHARS};
use crate::gateway::token;

/// How long a login token is said to be valid; nothing checks it (no call needs it).
const LOGIN_VALID_SECONDS: u64 = 12 * 3600;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct LoginReply<'a> {
    access_token: &'a str,
    valid_period: u64,
    account: &'a str,
    force_update_password: bool,
}

impl Flow {
    /// `x_access_token` is the header's value, if the request had one that is valid text.
    pub fn reset_password(
        &self,
        x_access_token: Option<&str>,
        body: ResetPasswordBody,
    ) -> Result<Reply, Failure> {
        let user = request::user(body.user)?;
        let new_password = request::required(body.new_pwd, "newPwd")?;
        let temporary = body.pass_word_type == Some(1);
        let t3 = x_access_token.ok_or(FailureKind::ResetTokenInvalid)?;
        let allowed = self.has(Fault::NoPasswordPolicy) || {
            let bindings = self.users.bindings(&user).unwrap_or_default();
            let user_name = bindings.account.as_deref().unwrap_or(&user);
            let policy = &self.config.password_policy;
            policy.check(&new_password, user_name).is_ok()
                && !(policy.forbid_reuse && self.users.verify(&user, &new_password).is_some())
        };
        if !allowed && !self.config.burn_t3_on_policy {
            // Refused with T3 kept, if it is this user's live T3; any other T3 is judged (and
            // used up) as always.
            let owner = peek_token(&self.reset_tokens, t3, self.clock.now_ms());
            if owner.as_deref() == Some(user.as_str()) {
                return Err(FailureKind::PasswordPolicy.into());
            }
        }
        // A reusable T3 that passes is only looked at; any other is judged as always.
        let reusable = allowed && !self.config.single_use.t3;
        let own = || peek_token(&self.reset_tokens, t3, self.clock.now_ms()) == Some(user.clone());
        if !(reusable && own()) {
            self.consume_reset_token(t3, &user)?;
        }
        if !allowed {
            return Err(FailureKind::PasswordPolicy.into());
        }
        if !self.users.set_password(&user, &new_password, temporary) {
            // Only reachable when a fault issued T3 for a user who does not exist.
            return Err(FailureKind::ResetTokenInvalid.into());
        }
        Ok(Reply::Empty)
    }

    /// `authorization` is the `Authorization` header's value.
    pub fn login(&self, authorization: Option<&str>, body: LoginBody) -> Result<Reply, Failure> {
        let account = request::text(
            request::required(body.account, "account")?,
            "account",
            1,
            MAX_NAME_CHARS,
        )?;
        request::required(body.client_type, "clientType")?;
        let (header_account, password) = authorization
            .and_then(basic_credentials)
            .ok_or(FailureKind::LoginFailed)?;
        if header_account != account {
            return Err(FailureKind::LoginFailed.into());
        }
        let temporary = self
            .users
            .verify(&account, &password)
            .ok_or(FailureKind::LoginFailed)?;
        Ok(Reply::json(&LoginReply {
            access_token: &token::new_token(),
            valid_period: LOGIN_VALID_SECONDS,
            account: &account,
            force_update_password: temporary,
        }))
    }

    /// Uses T3 up (pass or fail); it must be bound to `user`.
    fn consume_reset_token(&self, t3: &str, user: &str) -> Result<(), Failure> {
        let now = self.clock.now_ms();
        if self.keeps_other_users_token(&self.reset_tokens, t3, user, Fault::UnboundT3) {
            return Err(FailureKind::ResetTokenInvalid.into());
        }
        let mut bound_to = consume_token(&self.reset_tokens, t3, now, self.has(Fault::ReuseT3));
        if bound_to.is_none() && self.has(Fault::T3FromAnyStep) {
            bound_to = peek_token(&self.access_tokens, t3, now);
        }
        match bound_to {
            Some(owner) if owner == user || self.has(Fault::UnboundT3) => Ok(()),
            _ => Err(FailureKind::ResetTokenInvalid.into()),
        }
    }
}

/// `Basic base64(account:password)` → (account, password).
fn basic_credentials(header: &str) -> Option<(String, String)> {
    let (scheme, encoded) = header.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (account, password) = text.split_once(':')?;
    Some((account.to_owned(), password.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_credentials_split_at_the_first_colon() {
        let header = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode("acct:pa:ss")
        );
        assert_eq!(
            basic_credentials(&header),
            Some(("acct".into(), "pa:ss".into()))
        );
        assert_eq!(basic_credentials("Bearer abc"), None);
        assert_eq!(basic_credentials("Basic !!!"), None);
    }
}
