//! The reset flow's state and rules, free of HTTP: each call takes a validated request and
//! answers with a reply body or a failure. Tokens are single use (unless the configuration makes
//! one reusable until it expires) and bound to their user; every "check and consume" happens
//! under one lock, so concurrent uses of one token see exactly one success.

mod account;
mod captcha;
mod code;
mod oracle;

use std::time::Duration;

use parking_lot::Mutex;
use serde::Serialize;

use super::captcha::{CaptchaPool, RenderError};
use super::clock::{Clock, Millis};
use super::config::GatewayConfig;
use super::fault::Fault;
use super::store::ExpiringStore;
use super::token;
use super::users::{builtin_users, Directory, DirectorySizes};

pub use code::Channel;
pub use oracle::{AdvanceBody, CaptchaAnswer, OutboxMessage};

/// What a successful call answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// 200 with this JSON body.
    Json(Vec<u8>),
    /// 201 with this JSON body (test-support user creation).
    Created(Vec<u8>),
    /// 200 with an empty body (reset_password).
    Empty,
}

impl Reply {
    pub fn json(value: &impl Serialize) -> Self {
        // Serialising our own reply structs cannot fail: no maps with non-string keys.
        Reply::Json(serde_json::to_vec(value).unwrap_or_default())
    }
}

/// The answer of calls 2 and 4: the next token and its lifetime in seconds.
#[derive(Serialize)]
struct TokenReply<'a> {
    token: &'a str,
    expire: u64,
}

#[derive(Debug)]
struct CaptchaEntry {
    token: String,
    user: String,
    client_type: u8,
    check_type: u8,
    point_x: u32,
    point_y: u32,
    /// Kept after use so the test-support oracle can answer until T1 expires.
    used: bool,
    /// Wrong answers so far (the profile's `t1_tries` uses T1 up at its limit).
    wrong: u32,
}

#[derive(Debug)]
struct TokenEntry {
    token: String,
    user: String,
}

#[derive(Debug)]
struct PendingCode {
    code: String,
    wrong_checks: u32,
    burnt: bool,
    /// False for unknown users: they get a code nobody receives and nothing can match.
    deliverable: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoreSizes {
    pub captchas: usize,
    pub access_tokens: usize,
    pub codes: usize,
    pub resend_timers: usize,
    pub outbox: usize,
    pub reset_tokens: usize,
    pub users: DirectorySizes,
}

/// The state behind the six calls and the test-support endpoints.
#[derive(Debug)]
pub struct Flow {
    config: GatewayConfig,
    /// When the gateway started (the `stall` fault counts from here).
    started: std::time::Instant,
    clock: Clock,
    users: Directory,
    pool: CaptchaPool,
    captchas: Mutex<ExpiringStore<String, CaptchaEntry>>,
    access_tokens: Mutex<ExpiringStore<String, TokenEntry>>,
    codes: Mutex<ExpiringStore<String, PendingCode>>,
    resend_timers: Mutex<ExpiringStore<String, ()>>,
    outbox: Mutex<ExpiringStore<String, OutboxMessage>>,
    reset_tokens: Mutex<ExpiringStore<String, TokenEntry>>,
}

impl Flow {
    pub fn new(config: GatewayConfig, clock: Clock) -> Result<Self, RenderError> {
        let users = Directory::new(
            builtin_users()
                .into_iter()
                .chain(config.users.iter().cloned()),
            config.generated.clone(),
            config.max_changed_users,
        );
        Ok(Self {
            pool: CaptchaPool::new(
                config.captcha_pool,
                config.captcha_reuse,
                config.captcha_render_budget,
                config.captcha_style.clone(),
            )?,
            captchas: Mutex::new(ExpiringStore::new(config.max_captchas)),
            access_tokens: Mutex::new(ExpiringStore::new(config.max_tokens)),
            codes: Mutex::new(ExpiringStore::new(config.max_codes)),
            resend_timers: Mutex::new(ExpiringStore::new(config.max_codes)),
            outbox: Mutex::new(ExpiringStore::new(config.max_codes)),
            reset_tokens: Mutex::new(ExpiringStore::new(config.max_tokens)),
            users,
            clock,
            config,
            started: std::time::Instant::now(),
        })
    }

    pub fn config(&self) -> &GatewayConfig {
        &self.config
    }

    /// Time since the gateway started.
    pub fn uptime(&self) -> Duration {
        self.started.elapsed()
    }

    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    pub fn captcha_pool(&self) -> &CaptchaPool {
        &self.pool
    }

    /// How many entries each store holds now (memory checks, benchmarks).
    pub fn store_sizes(&self) -> StoreSizes {
        StoreSizes {
            captchas: self.captchas.lock().len(),
            access_tokens: self.access_tokens.lock().len(),
            codes: self.codes.lock().len(),
            resend_timers: self.resend_timers.lock().len(),
            outbox: self.outbox.lock().len(),
            reset_tokens: self.reset_tokens.lock().len(),
            users: self.users.sizes(),
        }
    }

    fn has(&self, fault: Fault) -> bool {
        self.config.faults.has(&fault)
    }

    /// The deadline of an entry with this lifetime issued now.
    fn deadline(&self, now: Millis, lifetime: Duration) -> Millis {
        if self.has(Fault::TokensNeverExpire) {
            Millis::MAX
        } else {
            now.saturating_add(lifetime.as_millis() as u64)
        }
    }

    /// Stores a fresh single-use token bound to `user` and returns it.
    fn issue_token(
        &self,
        store: &Mutex<ExpiringStore<String, TokenEntry>>,
        user: &str,
        lifetime: Duration,
    ) -> String {
        let token = token::new_token();
        let now = self.clock.now_ms();
        store.lock().insert(
            token::selector(&token).to_owned(),
            TokenEntry {
                token: token.clone(),
                user: user.to_owned(),
            },
            self.deadline(now, lifetime),
            now,
        );
        token
    }
}

/// Takes the token `presented` from `store` (or only looks at it when `reuse` is on) and
/// returns the user it is bound to. The lookup and the removal are one critical section.
fn consume_token(
    store: &Mutex<ExpiringStore<String, TokenEntry>>,
    presented: &str,
    now: Millis,
    reuse: bool,
) -> Option<String> {
    let key = token::selector(presented).to_owned();
    let mut store = store.lock();
    let entry = store.get(&key, now)?;
    if !token::matches(&entry.token, presented) {
        return None;
    }
    if reuse {
        return Some(entry.user.clone());
    }
    store.take(&key, now).map(|entry| entry.user)
}

impl Flow {
    /// A gateway that keeps a token presented for another user (`burn_other_user` off): true
    /// when `presented` is a live token of someone else, left as it was.
    fn keeps_other_users_token(
        &self,
        store: &Mutex<ExpiringStore<String, TokenEntry>>,
        presented: &str,
        user: &str,
        unbound: Fault,
    ) -> bool {
        if self.config.burn_other_user || self.has(unbound) {
            return false;
        }
        let owner = peek_token(store, presented, self.clock.now_ms());
        owner.is_some_and(|owner| owner != user)
    }
}

/// Whether `presented` is a live token of `store`, without consuming it.
fn peek_token(
    store: &Mutex<ExpiringStore<String, TokenEntry>>,
    presented: &str,
    now: Millis,
) -> Option<String> {
    let store = store.lock();
    let entry = store.get(&token::selector(presented).to_owned(), now)?;
    token::matches(&entry.token, presented).then(|| entry.user.clone())
}

fn seconds(lifetime: Duration) -> u64 {
    lifetime.as_secs()
}
