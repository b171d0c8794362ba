//! `gatecheck discover`: probes one live gateway through its test-support endpoints and fresh
//! test users, and writes the profile it found, each value with a comment saying how. What it
//! cannot determine (without test support, or past its budget) keeps the base profile's value
//! and is flagged for review. It talks to the given target only, within a request budget and a
//! deadline, and moves the target's clock instead of waiting.
//!
//! `probe` is the wire, `flow` the flow's steps, `search` the boundary searches, `findings`
//! what was learnt; one file per part of the flow: `captcha` (calls 1-2), `code` (3-4),
//! `password` (5-6), `requests` (how a body is read, probed on call 1), `image` (what the
//! CAPTCHAs look like) and `tokens` (what each use and refusal does to a token or code).

mod captcha;
mod code;
pub mod findings;
mod flow;
mod image;
mod password;
pub mod probe;
mod requests;
mod search;
mod tokens;

use std::time::{Duration, Instant};

use serde_json::json;

use crate::api::Operation;
use crate::profile::render;
use crate::profile::Profile;
use crate::runner::target::Target;

use findings::{probed_paths, Findings};
use flow::Flows;
use probe::{Budget, Probe, ProbeError};

/// What one discovery did and found.
pub struct Discovery {
    pub url: String,
    pub findings: Findings,
    pub requests: u32,
    pub elapsed: Duration,
    /// Probes that stopped early, and why.
    pub stops: Vec<String>,
}

pub async fn discover(target: Target, base: &Profile, budget: Budget) -> Discovery {
    let started = Instant::now();
    let probe = Probe::new(target, budget);
    let mut found = Findings::new(base.clone());
    found.profile.name = "discovered".into();
    let mut stops = Vec::new();
    let mut stopped = |what: &str, error: ProbeError| stops.push(format!("{what}: {error}"));
    if let Err(e) = without_test_support(&probe, &mut found).await {
        stopped("the first probes", e);
    }
    match probe.has_test_support().await {
        Ok(true) => {
            found.profile.test_support = true;
            found.found("test_support", "the outbox answered and the clock moved");
            let mut flows = Flows::new(&probe);
            if let Err(e) = captcha::probe(&mut flows, &mut found).await {
                stopped("calls 1-2", e);
            }
            if let Err(e) = code::probe(&flows, &mut found).await {
                stopped("calls 3-4", e);
            }
            if let Err(e) = password::probe(&flows, &mut found).await {
                stopped("calls 5-6", e);
            }
            if let Err(e) = requests::probe(&flows, &mut found).await {
                stopped("request parsing", e);
            }
            if let Err(e) = tokens::probe(&flows, &mut found).await {
                stopped("tokens", e);
            }
        }
        Ok(false) => {
            found.profile.test_support = false;
            found.found("test_support", "no test-support outbox or clock answered");
            found.undetermined(
                &probed_paths(),
                "needs test support (test users, CAPTCHA answers, codes, the clock)",
            );
        }
        Err(e) => stopped("test support", e),
    }
    error_shape(&probe, &mut found);
    found.undetermined(
        &["errors.internal".to_owned()],
        "not provoked: a correct gateway never answers it",
    );
    found.undetermined(
        &probed_paths(),
        "not determined: a probe stopped (see the top of the file)",
    );
    Discovery {
        url: probe.url().to_owned(),
        requests: probe.sent(),
        elapsed: started.elapsed(),
        findings: found,
        stops,
    }
}

/// What any gateway answers without test support: a body without `user`, and call 1's T1
/// lifetime.
async fn without_test_support(probe: &Probe, found: &mut Findings) -> Result<(), ProbeError> {
    let invalid = probe
        .call(Operation::SendCaptcha, json!({"clientType": 0}))
        .await?;
    if let Some(refusal) = invalid.refusal() {
        found.error("invalid_request", refusal, "call 1 without `user`");
    }
    let captcha = probe.send_captcha("+8619900000000").await?;
    if let Some(expire) = captcha.number("expire").filter(|_| captcha.ok()) {
        found
            .profile
            .lifetimes
            .insert("t1".into(), captcha::secs(expire));
        found.found("lifetimes.t1", format!("call 1 answered expire: {expire}"));
    }
    Ok(())
}

fn error_shape(probe: &Probe, found: &mut Findings) {
    let (refusals, strict) = probe.error_shape();
    if refusals == 0 {
        return;
    }
    found.profile.strict_errors = strict;
    let how = match strict {
        true => format!("all {refusals} refusals were exactly {{error_code, error_msg}} with an X-Request-Id"),
        false => format!("not all of {refusals} refusals were exactly {{error_code, error_msg}} with an X-Request-Id"),
    };
    found.found("strict_errors", how);
}

/// What an account's password is written as when it is withheld.
pub const WITHHELD_PASSWORD: &str = "<withheld>";

impl Discovery {
    /// The profile file: a header saying what was done, then every value with its note.
    pub fn to_yaml(&self) -> String {
        let flagged = self.findings.review.len();
        let mut text = format!(
            "# Written by `gatecheck discover` against {}: {} requests in {:.1} s.\n\
             # Each value says how it was found. {flagged} marked REVIEW could not be determined:\n\
             # they are the base profile's; check them against the gateway's documentation.\n\
             # Not probed: `users` and `accounts` (the test environment's users) and `oracle`.\n",
            self.url,
            self.requests,
            self.elapsed.as_secs_f64()
        );
        for stop in &self.stops {
            text.push_str(&format!("# Stopped early, {stop}\n"));
        }
        text.push_str(&render::to_yaml(&self.findings.profile, &self.findings));
        text
    }

    /// Replaces the passwords of the accounts (and of the generated users) copied from the base profile with
    /// `WITHHELD_PASSWORD`, each flagged for review: the written profile is a file people
    /// share and commit (`--reveal-secrets` keeps them).
    pub fn withhold_passwords(&mut self) {
        for (i, account) in self.findings.profile.accounts.iter_mut().enumerate() {
            let length = account.password.chars().count();
            account.password = WITHHELD_PASSWORD.to_owned();
            self.findings.review.insert(
                format!("accounts.{i}"),
                format!("password withheld ({length} characters): copy it from the base profile's accounts, or run discover with --reveal-secrets"),
            );
        }
        // One password for every generated user: the most valuable of them.
        if let Some(generated) = &mut self.findings.profile.generated {
            let length = generated.password.chars().count();
            generated.password = WITHHELD_PASSWORD.to_owned();
            self.findings.review.insert(
                "users.generated".to_owned(),
                format!("password withheld ({length} characters): copy it from the base profile, or run discover with --reveal-secrets"),
            );
        }
    }

    /// What the console shows: one line per stop, then the count of what was found.
    pub fn summary(&self) -> String {
        let mut text = String::new();
        for stop in &self.stops {
            text.push_str(&format!("stopped early, {stop}\n"));
        }
        text.push_str(&format!(
            "discover: {} requests to {} in {:.1} s; {} values found, {} flagged REVIEW\n",
            self.requests,
            self.url,
            self.elapsed.as_secs_f64(),
            self.findings.found.len(),
            self.findings.review.len()
        ));
        for (path, why) in &self.findings.review {
            text.push_str(&format!("  REVIEW {path}: {why}\n"));
        }
        text
    }
}
