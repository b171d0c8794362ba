//! Calls 1 and 2: hand out a slider CAPTCHA with T1; check the answer and trade T1 for T2.

use serde::Serialize;

use super::{seconds, CaptchaEntry, Flow, Reply, TokenReply};
use crate::gateway::failure::{Failure, FailureKind};
use crate::gateway::fault::Fault;
use crate::gateway::request::{
    self, CheckCaptchaBody, RequestPolicy, SendCaptchaBody, MAX_NAME_CHARS,
};
use crate::gateway::token;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SendCaptchaReply<'a> {
    shadow_image: &'a str,
    cut_image: &'a str,
    point_y: u32,
    token: &'a str,
    expire: u64,
}

impl Flow {
    pub fn send_captcha(&self, body: SendCaptchaBody) -> Result<Reply, Failure> {
        let user = request::user(body.user)?;
        let client_type = request::client_type(body.client_type, &self.config.requests)?;
        let check_type = request::check_type(body.check_type, &self.config.requests)?;
        if self.has(Fault::RevealUnknownUsers) && !self.users.exists(&user) {
            return Err(FailureKind::UserNotFound.into());
        }
        let captcha = self.pool.take();
        let t1 = token::new_token();
        let now = self.clock.now_ms();
        let mut captchas = self.captchas.lock();
        if self.config.new_captcha_replaces {
            // Used up, not removed: the test-support oracle answers until T1 expires.
            captchas
                .iter_live_mut(now)
                .filter(|(_, entry)| entry.user == user)
                .for_each(|(_, entry)| entry.used = true);
        }
        captchas.insert(
            token::selector(&t1).to_owned(),
            CaptchaEntry {
                token: t1.clone(),
                user,
                client_type,
                check_type,
                point_x: captcha.point_x,
                point_y: captcha.point_y,
                used: false,
                wrong: 0,
            },
            self.deadline(now, self.config.t1_lifetime),
            now,
        );
        drop(captchas);
        Ok(Reply::json(&SendCaptchaReply {
            shadow_image: &captcha.shadow_image,
            cut_image: &captcha.cut_image,
            point_y: captcha.point_y,
            token: &t1,
            expire: seconds(self.config.t1_lifetime),
        }))
    }

    pub fn check_captcha(&self, body: CheckCaptchaBody) -> Result<Reply, Failure> {
        let carried = body.token.clone();
        let check = match CaptchaCheck::of(body, &self.config.requests) {
            Ok(check) => check,
            Err(failure) => {
                if let (true, Some(t1)) = (self.config.t1_consumed_by_invalid_body, carried) {
                    self.use_up_captcha(&t1);
                }
                return Err(failure);
            }
        };
        self.judge_captcha(&check)?;
        let t2 = self.issue_token(&self.access_tokens, &check.user, self.config.t2_lifetime);
        Ok(Reply::json(&TokenReply {
            token: &t2,
            expire: seconds(self.config.t2_lifetime),
        }))
    }

    /// Uses up a live T1 whatever its state (a gateway that spends T1 on an invalid body).
    fn use_up_captcha(&self, t1: &str) {
        let now = self.clock.now_ms();
        if let Some(entry) = self
            .captchas
            .lock()
            .get_mut(&token::selector(t1).to_owned(), now)
            .filter(|entry| token::matches(&entry.token, t1))
        {
            entry.used = true;
        }
    }

    /// Judges T1 and the answer under T1's lock: a right answer uses T1 up, a wrong one counts
    /// towards `t1_tries`, a T1 of someone else is used up as `burn_other_user` says.
    fn judge_captcha(&self, check: &CaptchaCheck) -> Result<(), Failure> {
        let invalid = || Failure::from(FailureKind::CaptchaTokenInvalid);
        let now = self.clock.now_ms();
        let mut captchas = self.captchas.lock();
        let entry = captchas
            .get_mut(&token::selector(&check.t1).to_owned(), now)
            .filter(|entry| token::matches(&entry.token, &check.t1))
            .ok_or_else(invalid)?;
        if entry.used && !self.has(Fault::ReuseT1) {
            return Err(invalid());
        }
        let client = (entry.client_type, entry.check_type) == (check.client_type, check.check_type);
        let bound = entry.user == check.user && (client || !self.config.t1_bound_to_client);
        if !bound && !self.has(Fault::UnboundT1) {
            // Used up, unless the gateway keeps a T1 presented for someone else.
            entry.used |= self.config.burn_other_user;
            return Err(invalid());
        }
        let config = &self.config;
        let plausible =
            (config.slide_time_min_ms..=config.slide_time_max_ms).contains(&check.slide_time);
        let off_by = (i64::from(check.point_x) - i64::from(entry.point_x)).unsigned_abs();
        let close = off_by <= u64::from(config.captcha_tolerance);
        if !(plausible || self.has(Fault::CaptchaAnySlideTime))
            || !(close || self.has(Fault::CaptchaAnyX))
        {
            entry.wrong += 1;
            entry.used |= config.t1_tries.is_some_and(|tries| entry.wrong >= tries);
            return Err(FailureKind::CaptchaMismatch.into());
        }
        entry.used = config.single_use.t1;
        Ok(())
    }
}

/// A check_captcha body with every field validated.
struct CaptchaCheck {
    user: String,
    client_type: u8,
    check_type: u8,
    t1: String,
    point_x: i32,
    slide_time: i32,
}

impl CaptchaCheck {
    fn of(body: CheckCaptchaBody, policy: &RequestPolicy) -> Result<Self, Failure> {
        Ok(Self {
            user: request::user(body.user)?,
            client_type: request::client_type(body.client_type, policy)?,
            check_type: request::check_type(body.check_type, policy)?,
            t1: request::text(
                request::required(body.token, "token")?,
                "token",
                1,
                MAX_NAME_CHARS,
            )?,
            point_x: request::required(body.point_x, "pointX")?,
            slide_time: request::required(body.slide_time, "slideTime")?,
        })
    }
}
