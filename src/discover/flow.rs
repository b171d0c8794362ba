//! The flow's steps as `discover` needs them, built on the probe: a fresh test user made
//! through test support, a CAPTCHA with its answer, a T2, a code sent, a T3. Each step that
//! must succeed says what the target answered instead when it did not.

use std::sync::atomic::{AtomicU32, Ordering};

use super::probe::{Probe, ProbeError, Reply};

/// A user made for one probe: its identity, account name and password.
#[derive(Debug, Clone)]
pub struct TestUser {
    pub user: String,
    pub account: String,
    pub password: String,
}

/// A CAPTCHA issued and its answer (from test support).
#[derive(Debug, Clone)]
pub struct Captcha {
    pub t1: String,
    pub x: i64,
    pub expire: Option<i64>,
    /// The answer's `shadowImage`, `cutImage` and `pointY`, as sent.
    pub shadow: Option<String>,
    pub cut: Option<String>,
    pub point_y: Option<i64>,
}

/// A token issued by calls 2 or 4, with the lifetime the answer gave.
#[derive(Debug, Clone)]
pub struct Token {
    pub token: String,
    pub expire: Option<i64>,
}

pub struct Flows<'a> {
    pub probe: &'a Probe,
    /// A slideTime the target accepts (found first).
    pub slide_ms: i64,
    /// Digits of this discovery's users, drawn once so two runs do not meet.
    run: u32,
    next: AtomicU32,
}

/// The current password of every probe user: long, four classes, no repeats, no account name.
pub const PASSWORD: &str = "Gk7#mQ2$vX9!";

impl<'a> Flows<'a> {
    pub fn new(probe: &'a Probe) -> Self {
        Self {
            probe,
            slide_ms: 1500,
            run: rand::random::<u32>() % 10_000,
            next: AtomicU32::new(0),
        }
    }

    /// A new phone user (`+86199…`) with an account name, created through test support.
    pub async fn user(&self) -> Result<TestUser, ProbeError> {
        self.user_with(PASSWORD).await
    }

    /// A new user whose current password is `password`.
    pub async fn user_with(&self, password: &str) -> Result<TestUser, ProbeError> {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        let user = TestUser {
            user: format!("+86199{:04}{:04}", self.run, n % 10_000),
            account: format!("gcdiscover{}x{}", letters(self.run), letters(n)),
            password: password.to_owned(),
        };
        self.probe
            .create_user(&user.user, &user.password, &user.account)
            .await?;
        Ok(user)
    }

    pub async fn captcha(&self, user: &str) -> Result<Captcha, ProbeError> {
        let reply = self.probe.send_captcha(user).await?;
        let t1 = must(&reply, "call 1", "token")?;
        let x = self.probe.answer(&t1).await?;
        Ok(Captcha {
            t1,
            x,
            expire: reply.number("expire"),
            shadow: reply.text("shadowImage"),
            cut: reply.text("cutImage"),
            point_y: reply.number("pointY"),
        })
    }

    pub async fn t2(&self, user: &str) -> Result<Token, ProbeError> {
        let captcha = self.captcha(user).await?;
        let reply = self
            .probe
            .check_captcha(user, &captcha.t1, captcha.x, self.slide_ms)
            .await?;
        token(&reply, "call 2 with the right answer")
    }

    /// Calls 1-3: a code sent to `user`; the answer's `expire`.
    pub async fn code_sent(&self, user: &str) -> Result<Option<i64>, ProbeError> {
        let t2 = self.t2(user).await?;
        let reply = self.probe.send_code(user, &t2.token).await?;
        if !reply.ok() {
            return Err(unexpected("call 3 with a fresh T2", &reply));
        }
        Ok(reply.number("expire"))
    }

    /// Calls 1-4 for `user`: a T3.
    pub async fn t3(&self, user: &str) -> Result<Token, ProbeError> {
        self.code_sent(user).await?;
        let code = self.probe.latest_code(user).await?;
        let reply = self.probe.check_code(user, &code).await?;
        token(&reply, "call 4 with the code sent")
    }
}

fn must(reply: &Reply, what: &str, field: &str) -> Result<String, ProbeError> {
    match reply.text(field) {
        Some(value) if reply.ok() => Ok(value),
        _ => Err(unexpected(what, reply)),
    }
}

fn token(reply: &Reply, what: &str) -> Result<Token, ProbeError> {
    Ok(Token {
        token: must(reply, what, "token")?,
        expire: reply.number("expire"),
    })
}

pub fn unexpected(what: &str, reply: &Reply) -> ProbeError {
    ProbeError::Unexpected(format!("{what} answered {}", reply.shown()))
}

/// A number written in letters (`a`-`j`, `z` between two equal ones), for account names with
/// no digit and no character twice in a row: a password holding one breaks no other rule.
fn letters(n: u32) -> String {
    let mut text = String::new();
    for digit in n.to_string().bytes() {
        let letter = char::from(b'a' + (digit - b'0'));
        if text.ends_with(letter) {
            text.push('z');
        }
        text.push(letter);
    }
    text
}

#[cfg(test)]
mod tests {
    #[test]
    fn account_names_have_no_digit_and_no_repeat() {
        for n in [0, 7, 11, 100, 1_223_334_444, u32::MAX] {
            let name = super::letters(n);
            assert!(name.bytes().all(|b| b.is_ascii_lowercase()), "{name}");
            assert!(name.as_bytes().windows(2).all(|w| w[0] != w[1]), "{name}");
        }
        assert_eq!(super::letters(1_100), "bzbaza");
    }
}
