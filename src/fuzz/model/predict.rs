//! What a correct gateway answers to each call, and how the call moves its state on: the
//! CAPTCHA check, sending and checking codes, the reset and its password policy, login, the
//! clock. The order of checks inside each call is the reference gateway's.

use super::state::{Kind, Pending};
use super::{Expected, Model};
use crate::fuzz::ops::{
    Channel, Expiry, Guess, LoginWith, Mutation, NewPassword, Op, Point, Slide, Tok, Who,
};

impl Model {
    pub(super) fn predict_with(&mut self, op: &Op, presented: Option<usize>) -> Expected {
        match *op {
            Op::SendCaptcha { check_type, .. } if !self.accepts_check_type(check_type) => {
                Expected::Error("invalid_request")
            }
            Op::SendCaptcha {
                who,
                client_type,
                check_type,
            } => {
                self.issue_t1(who, client_type, check_type);
                Expected::Success
            }
            Op::CheckCaptcha {
                who,
                client_type,
                check_type,
                token,
                point,
                slide,
            } => self.check_captcha(who, client_type, check_type, token, presented, point, slide),
            Op::SendCode { who, channel, .. } => self.send_code(who, channel, presented),
            Op::CheckCode { who, guess } => {
                // As `render` chose: `{{ code }}` or `{{ wrong_code }}` when the flow can read
                // a code (which makes the oracle fetch it; `{{ wrong_code }}` only where it is
                // surely wrong for `who`), a literal otherwise.
                let readable = self.code_readable();
                let presented = match guess {
                    Guess::Right if readable => self.read_code(),
                    Guess::Wrong if readable && self.wrong_code_sure(who) => {
                        let _ = self.read_code();
                        None
                    }
                    _ => None,
                };
                self.check_code(who, presented)
            }
            Op::Reset { who, password, .. } => self.reset(who, presented, password),
            Op::Login { with } => match with {
                LoginWith::Current => Expected::Success,
                LoginWith::Old if !self.main_reset => Expected::Success,
                LoginWith::Old | LoginWith::Wrong => Expected::Error("login_failed"),
            },
            Op::Wait(expiry) => {
                // The runner fetches what the oracles know before the clock moves.
                let _ = self.read_code();
                self.now += match expiry {
                    Expiry::T1 => self.rules.t1,
                    Expiry::Code => self.rules.code,
                } + 1;
                Expected::Nothing
            }
            Op::Malformed {
                mutation: Mutation::WrongContentType,
                ..
            } if self.rules.requests.content_type == "unsupported" => {
                Expected::Error("unsupported_media_type")
            }
            Op::Malformed { .. } => Expected::Error("invalid_request"),
            Op::WrongCodes { .. } | Op::Twice(_) | Op::Reach(..) => Expected::Nothing,
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn check_captcha(
        &mut self,
        who: Who,
        client_type: u8,
        check_type: u8,
        token: Tok,
        presented: Option<usize>,
        point: Point,
        slide: Slide,
    ) -> Expected {
        if token == Tok::Missing || !self.accepts_check_type(check_type) {
            return Expected::Error("invalid_request");
        }
        if slide == Slide::Missing {
            // Refused before T1 is judged; a live T1 is used up if the profile says so.
            if self.rules.tokens.t1_consumed_by_invalid_body {
                let _ = self.use_token(presented, Kind::T1);
            }
            return Expected::Error("invalid_request");
        }
        let Some(i) = self.use_token(presented, Kind::T1) else {
            return Expected::Error("captcha_token_invalid");
        };
        let t1 = &self.tokens[i];
        let client = (t1.client_type, t1.check_type) == (client_type, check_type);
        let bound_to_client = self.rules.tokens.t1_bound_to_client;
        if t1.user != who || (bound_to_client && !client) {
            self.tokens[i].used = self.rules.burns_other_user;
            return Expected::Error("captcha_token_invalid");
        }
        // The answer the YAML aims at is the newest T1's: only that one's is known.
        let aimed_at_this = self.newest[0] == Some(i);
        let point_ok = matches!(point, Point::Right | Point::AtTolerance) && aimed_at_this;
        let slide_ok = slide == Slide::Plausible;
        if !(point_ok && slide_ok) {
            self.missed_t1(i);
            return Expected::Error("captcha_mismatch");
        }
        // A reusable T1 stays live after a success.
        self.tokens[i].used = self.rules.tokens.single_use.t1;
        self.issue(Kind::T2, who, 0, 0);
        Expected::Success
    }

    fn send_code(&mut self, who: Who, channel: Channel, presented: Option<usize>) -> Expected {
        // The channel is read before the token: an account name must name one, and only `sms`
        // and `email` exist (an identity's own channel wins over what it asks).
        if channel == Channel::Bogus || (who == Who::Account && channel == Channel::Default) {
            return Expected::Error("invalid_request");
        }
        // A missing T2 presents nothing, and fails as an unknown one does.
        let Some(t2) = self.use_token_of(presented, Kind::T2, who) else {
            return Expected::Error("access_token_invalid");
        };
        if self
            .resend_until
            .get(&who)
            .is_some_and(|until| self.now < *until)
        {
            if !self.rules.tokens.t2_consumed_by_too_frequent {
                self.tokens[t2].used = false;
            }
            return Expected::Error("send_too_frequent");
        }
        let wrong = self.carried_wrong(who);
        self.resend_until.insert(who, self.now + self.rules.resend);
        self.sends += 1;
        self.last_send.insert(who, self.sends);
        self.codes.insert(
            who,
            Pending {
                send: self.sends,
                issued: self.now,
                wrong,
                burnt: wrong >= self.rules.attempts,
                deliverable: who != Who::Ghost,
            },
        );
        self.code_pending_for = Some(who);
        self.tokens[t2].used = self.rules.tokens.single_use.t2;
        Expected::Success
    }

    pub(super) fn check_code(&mut self, who: Who, presented: Option<(Who, u64)>) -> Expected {
        let expected = self.check_own_code(who, presented);
        if expected != Expected::Success {
            self.against_owner(who, presented);
        }
        expected
    }

    fn check_own_code(&mut self, who: Who, presented: Option<(Who, u64)>) -> Expected {
        let attempts = self.rules.attempts;
        let now = self.now;
        let code_lifetime = self.rules.code;
        let Some(pending) = self
            .codes
            .get_mut(&who)
            .filter(|p| now - p.issued < code_lifetime)
        else {
            return Expected::Error("code_mismatch");
        };
        if pending.burnt {
            return Expected::Error("code_attempts_exceeded");
        }
        if pending.deliverable && presented == Some((who, pending.send)) {
            if self.rules.tokens.single_use.code {
                self.codes.remove(&who);
            }
            self.issue(Kind::T3, who, 0, 0);
            return Expected::Success;
        }
        pending.wrong += 1;
        if pending.wrong >= attempts {
            pending.burnt = true;
            if self.rules.exceeded_on_last_attempt {
                return Expected::Error("code_attempts_exceeded");
            }
        }
        Expected::Error("code_mismatch")
    }

    /// The checkTypes the profile lists (the fields are checked before any token).
    fn accepts_check_type(&self, check_type: u8) -> bool {
        self.rules
            .requests
            .check_types
            .contains(&i64::from(check_type))
    }

    fn reset(&mut self, who: Who, presented: Option<usize>, password: NewPassword) -> Expected {
        // A missing T3 header presents nothing, and fails as an unknown one does.
        let Some(i) = self.use_token_of(presented, Kind::T3, who) else {
            return Expected::Error("reset_token_invalid");
        };
        let breaks_policy = match password {
            NewPassword::Valid => false,
            // The main user's account name is no rule for another user's password.
            NewPassword::UserName => who == Who::Main,
            NewPassword::TooShort | NewPassword::OneClass | NewPassword::Run => true,
        };
        if breaks_policy {
            if !self.rules.burns_t3_on_policy {
                self.tokens[i].used = false;
            }
            return Expected::Error("password_policy");
        }
        self.tokens[i].used = self.rules.tokens.single_use.t3;
        if who == Who::Main {
            self.main_reset = true;
        }
        Expected::Success
    }
}
