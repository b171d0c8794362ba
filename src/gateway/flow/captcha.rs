//! Calls 1 and 2: hand out a slider CAPTCHA with T1; check the answer and trade T1 for T2.

use serde::Serialize;

use super::{seconds, CaptchaEntry, Flow, Reply, TokenReply};
use crate::gateway::failure::{Failure, FailureKind};
use crate::gateway::fault::Fault;
use crate::gateway::request::{self, CheckCaptchaBody, SendCaptchaBody, MAX_NAME_CHARS};
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
        self.captchas.lock().insert(
            token::selector(&t1).to_owned(),
            CaptchaEntry {
                token: t1.clone(),
                user,
                client_type,
                check_type,
                point_x: captcha.point_x,
                point_y: captcha.point_y,
                used: false,
            },
            self.deadline(now, self.config.t1_lifetime),
            now,
        );
        Ok(Reply::json(&SendCaptchaReply {
            shadow_image: &captcha.shadow_image,
            cut_image: &captcha.cut_image,
            point_y: captcha.point_y,
            token: &t1,
            expire: seconds(self.config.t1_lifetime),
        }))
    }

    pub fn check_captcha(&self, body: CheckCaptchaBody) -> Result<Reply, Failure> {
        let user = request::user(body.user)?;
        let client_type = request::client_type(body.client_type, &self.config.requests)?;
        let check_type = request::check_type(body.check_type, &self.config.requests)?;
        let t1 = request::text(
            request::required(body.token, "token")?,
            "token",
            1,
            MAX_NAME_CHARS,
        )?;
        let point_x = request::required(body.point_x, "pointX")?;
        let slide_time = request::required(body.slide_time, "slideTime")?;

        let answer_x = self.consume_captcha(&t1, &user, client_type, check_type)?;

        let plausible =
            (self.config.slide_time_min_ms..=self.config.slide_time_max_ms).contains(&slide_time);
        let off_by = (i64::from(point_x) - i64::from(answer_x)).unsigned_abs();
        let close = off_by <= u64::from(self.config.captcha_tolerance);
        if !(plausible || self.has(Fault::CaptchaAnySlideTime))
            || !(close || self.has(Fault::CaptchaAnyX))
        {
            if !self.config.burn_t1_on_mismatch {
                self.release_captcha(&t1);
            }
            return Err(FailureKind::CaptchaMismatch.into());
        }
        let t2 = self.issue_token(&self.access_tokens, &user, self.config.t2_lifetime);
        Ok(Reply::json(&TokenReply {
            token: &t2,
            expire: seconds(self.config.t2_lifetime),
        }))
    }

    /// Gives a T1 that a wrong answer used back (a gateway whose T1 allows another try).
    fn release_captcha(&self, t1: &str) {
        let now = self.clock.now_ms();
        if let Some(entry) = self
            .captchas
            .lock()
            .get_mut(&token::selector(t1).to_owned(), now)
            .filter(|entry| token::matches(&entry.token, t1))
        {
            entry.used = false;
        }
    }

    /// Uses T1 up (pass or fail) and returns the answer's X.
    fn consume_captcha(
        &self,
        t1: &str,
        user: &str,
        client_type: u8,
        check_type: u8,
    ) -> Result<u32, Failure> {
        let invalid = || Failure::from(FailureKind::CaptchaTokenInvalid);
        let now = self.clock.now_ms();
        let mut captchas = self.captchas.lock();
        let entry = captchas
            .get_mut(&token::selector(t1).to_owned(), now)
            .filter(|entry| token::matches(&entry.token, t1))
            .ok_or_else(invalid)?;
        if entry.used && !self.has(Fault::ReuseT1) {
            return Err(invalid());
        }
        let bound = entry.user == user
            && entry.client_type == client_type
            && entry.check_type == check_type;
        if !bound && !self.has(Fault::UnboundT1) {
            // Used up, unless the gateway keeps a T1 presented for someone else.
            entry.used |= self.config.burn_other_user;
            return Err(invalid());
        }
        entry.used = true;
        Ok(entry.point_x)
    }
}
