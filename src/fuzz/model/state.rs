//! What the model remembers: the profile's numbers, the tokens issued (kind, binding, age,
//! whether used), the pending codes and resend timers, the clock, and the flow context's view
//! of them (which token is the flow's newest, which code the oracle has fetched). Also the
//! moves every call is made of: issuing and using up a token, reading a code.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::fuzz::ops::{Op, Tok, Who};
use crate::profile::{OtherUserCode, Profile, TokenChoices};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    T1,
    T2,
    T3,
}

#[derive(Debug, Clone)]
pub(super) struct Token {
    pub(super) kind: Kind,
    pub(super) user: Who,
    pub(super) client_type: u8,
    pub(super) check_type: u8,
    pub(super) issued: u64,
    pub(super) used: bool,
    /// Wrong CAPTCHA answers this T1 took.
    pub(super) wrong: u64,
}

#[derive(Debug, Clone)]
pub(super) struct Pending {
    /// Which send this code came from (the oracle's "newest code" names one).
    pub(super) send: u64,
    pub(super) issued: u64,
    pub(super) wrong: u64,
    pub(super) burnt: bool,
    pub(super) deliverable: bool,
}

/// The profile's numbers the model needs.
#[derive(Debug, Clone)]
pub(super) struct Rules {
    pub(super) t1: u64,
    pub(super) t2: u64,
    pub(super) code: u64,
    pub(super) t3: u64,
    pub(super) resend: u64,
    pub(super) tolerance: i64,
    pub(super) slide_min: i64,
    pub(super) slide_max: i64,
    pub(super) attempts: u64,
    pub(super) tokens: TokenChoices,
    pub(super) burns_t3_on_policy: bool,
    pub(super) burns_other_user: bool,
    pub(super) exceeded_on_last_attempt: bool,
    pub(super) min_length: u64,
    pub(super) min_classes: u64,
    pub(super) max_run: u64,
    pub(super) forbid_user_name: bool,
    /// How requests are read (`requests:`): the checkTypes accepted, other Content-Types,
    /// duplicate keys.
    pub(super) requests: crate::profile::RequestChoices,
}

impl Rules {
    fn of(profile: &Profile) -> Self {
        let secs =
            |name: &str, default: u64| profile.lifetime(name).map_or(default, |d| d.as_secs());
        let password = |name: &str| profile.password.get(name).and_then(Value::as_u64);
        Self {
            t1: secs("t1", 60),
            t2: secs("t2", 60),
            code: secs("code", 180),
            t3: secs("t3", 180),
            resend: profile.resend_interval.as_secs(),
            tolerance: profile.captcha_tolerance,
            slide_min: profile.slide_time_min,
            slide_max: profile.slide_time_max,
            attempts: profile.code_attempts.max(1) as u64,
            tokens: profile.tokens.clone(),
            burns_t3_on_policy: profile.burns.get("t3_on_policy").copied().unwrap_or(true),
            burns_other_user: profile.burns.get("other_user").copied().unwrap_or(true),
            exceeded_on_last_attempt: profile.exceeded_on_last_attempt,
            min_length: password("min_length").unwrap_or(8),
            min_classes: password("min_classes").unwrap_or(2),
            max_run: password("max_run").unwrap_or(0),
            forbid_user_name: profile
                .password
                .get("forbid_user_name")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            requests: profile.requests.clone(),
        }
    }
}

/// The gateway's state as a correct gateway must keep it, and the flow context's view of it.
#[derive(Debug, Clone)]
pub struct Model {
    pub(super) rules: Rules,
    /// Seconds the clock was moved.
    pub(super) now: u64,
    pub(super) tokens: Vec<Token>,
    /// The flow's newest T1, T2, T3 (indexes into `tokens`): what `{{ t1 }}` and so on send.
    pub(super) newest: [Option<usize>; 3],
    pub(super) codes: BTreeMap<Who, Pending>,
    pub(super) sends: u64,
    /// The last successful send to each user.
    pub(super) last_send: BTreeMap<Who, u64>,
    /// Per user: the model's users share no destination and no account, so this is exact for
    /// every `tokens.resend_scope`.
    pub(super) resend_until: BTreeMap<Who, u64>,
    /// The user of the last code sent, until a step reads `{{ code }}` (the oracle's fetch).
    pub(super) code_pending_for: Option<Who>,
    /// The code the flow holds after a fetch: whose, and from which send.
    pub(super) code_held: Option<(Who, u64)>,
    /// Whether the main user's `old_password` differs from `password` (a reset happened).
    pub(super) main_reset: bool,
}

impl Model {
    pub fn new(profile: &Profile) -> Self {
        Self {
            rules: Rules::of(profile),
            now: 0,
            tokens: Vec::new(),
            newest: [None; 3],
            codes: BTreeMap::new(),
            sends: 0,
            last_send: BTreeMap::new(),
            resend_until: BTreeMap::new(),
            code_pending_for: None,
            code_held: None,
            main_reset: false,
        }
    }

    /// The token index a call presents (before the call changes what is newest).
    pub(super) fn presented_token(&self, op: &Op) -> Option<usize> {
        let tok = match op {
            Op::CheckCaptcha { token, .. }
            | Op::SendCode { token, .. }
            | Op::Reset { token, .. } => *token,
            _ => return None,
        };
        self.resolve(tok)
    }

    pub(super) fn resolve(&self, tok: Tok) -> Option<usize> {
        match tok {
            Tok::T1 => self.newest[0],
            Tok::T2 => self.newest[1],
            Tok::T3 => self.newest[2],
            Tok::Missing | Tok::Forged => None,
        }
    }

    pub(super) fn issue(&mut self, kind: Kind, user: Who, client_type: u8, check_type: u8) {
        self.tokens.push(Token {
            kind,
            user,
            client_type,
            check_type,
            issued: self.now,
            used: false,
            wrong: 0,
        });
        let slot = match kind {
            Kind::T1 => 0,
            Kind::T2 => 1,
            Kind::T3 => 2,
        };
        self.newest[slot] = Some(self.tokens.len() - 1);
    }

    fn lifetime(&self, kind: Kind) -> u64 {
        match kind {
            Kind::T1 => self.rules.t1,
            Kind::T2 => self.rules.t2,
            Kind::T3 => self.rules.t3,
        }
    }

    /// Uses up the presented token if it is a live, unused one of `kind` (a use consumes it,
    /// pass or fail); returns it.
    pub(super) fn use_token(&mut self, index: Option<usize>, kind: Kind) -> Option<usize> {
        let i = index?;
        let token = &self.tokens[i];
        let live =
            token.kind == kind && !token.used && self.now - token.issued < self.lifetime(kind);
        if live {
            self.tokens[i].used = true;
        }
        live.then_some(i)
    }

    /// `use_token`, and the token must be bound to `who` (another user's is used up too,
    /// unless the profile keeps it).
    pub(super) fn use_token_of(
        &mut self,
        index: Option<usize>,
        kind: Kind,
        who: Who,
    ) -> Option<usize> {
        let i = self.use_token(index, kind)?;
        if self.tokens[i].user == who {
            return Some(i);
        }
        self.tokens[i].used = self.rules.burns_other_user;
        None
    }

    pub(super) fn live_code(&self, pending: &Pending) -> bool {
        self.now - pending.issued < self.rules.code
    }

    /// The code a step reading `{{ code }}` sends: the oracle fetches the newest code of the
    /// user last sent one, once. `None` when there is no code to read (see `code_readable`).
    pub(super) fn read_code(&mut self) -> Option<(Who, u64)> {
        if let Some(who) = self.code_pending_for.take() {
            // The newest message to that user: from the last send to them. None reaches an
            // unknown user, so that fetch fails and the flow keeps the code it had.
            if let (true, Some(send)) = (who != Who::Ghost, self.last_send.get(&who)) {
                self.code_held = Some((who, *send));
            }
        }
        self.code_held
    }

    /// Whether `{{ wrong_code }}` is surely wrong for `who`: the code the flow holds after the
    /// fetch is `who`'s pending one. (It is only the held code changed, so for anyone else it
    /// may happen to be their code: one in 10^length.)
    pub(super) fn wrong_code_sure(&self, who: Who) -> bool {
        let held = match self.code_pending_for {
            Some(w) if w != Who::Ghost => self.last_send.get(&w).map(|s| (w, *s)),
            _ => None,
        }
        .or(self.code_held);
        held.is_some() && held == self.codes.get(&who).map(|p| (who, p.send))
    }

    /// Whether a step may read `{{ code }}`: the oracle has, or will fetch, a code (a code
    /// "sent" to an unknown user goes nowhere, so the oracle has none).
    pub(super) fn code_readable(&self) -> bool {
        match self.code_pending_for {
            Some(Who::Ghost) => false,
            Some(_) => true,
            None => self.code_held.is_some(),
        }
    }

    /// A new T1 for `who`: with `new_captcha_replaces`, that user's pending T1s are used up.
    pub(super) fn issue_t1(&mut self, who: Who, client_type: u8, check_type: u8) {
        if self.rules.tokens.new_captcha_replaces {
            self.tokens
                .iter_mut()
                .filter(|t| t.kind == Kind::T1 && t.user == who)
                .for_each(|t| t.used = true);
        }
        self.issue(Kind::T1, who, client_type, check_type);
    }

    /// A wrong answer for T1 `i`: used up at `t1_tries`, else kept for another try.
    pub(super) fn missed_t1(&mut self, i: usize) {
        let token = &mut self.tokens[i];
        token.wrong += 1;
        token.used = self
            .rules
            .tokens
            .t1_tries
            .is_some_and(|tries| token.wrong >= u64::from(tries));
    }

    /// A new send's wrong-check count: 0, or the live pending code's (`new_code_resets_counter`
    /// off).
    pub(super) fn carried_wrong(&self, who: Who) -> u64 {
        if self.rules.tokens.new_code_resets_counter {
            return 0;
        }
        self.codes
            .get(&who)
            .filter(|p| self.live_code(p))
            .map_or(0, |p| p.wrong)
    }

    /// A failed check for `who` with `presented`, another user's live code: what
    /// `other_user_code` says happens to it.
    pub(super) fn against_owner(&mut self, who: Who, presented: Option<(Who, u64)>) {
        let Some((owner, send)) = presented.filter(|(owner, _)| *owner != who) else {
            return;
        };
        let (now, lifetime, attempts) = (self.now, self.rules.code, self.rules.attempts);
        let Some(pending) = self
            .codes
            .get_mut(&owner)
            .filter(|p| p.send == send && p.deliverable && !p.burnt && now - p.issued < lifetime)
        else {
            return;
        };
        match self.rules.tokens.other_user_code {
            OtherUserCode::Intact => {}
            OtherUserCode::Counts => {
                pending.wrong += 1;
                pending.burnt = pending.wrong >= attempts;
            }
            OtherUserCode::UsedUp => {
                self.codes.remove(&owner);
            }
        }
    }
}
