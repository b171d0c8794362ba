//! Calls 3-4: T2's refusal, the code's length and lifetime, the attempt limit and what its
//! last wrong try answers, T3's lifetime, and the resend interval (the clock moved, not
//! waited for).

use std::time::Duration;

use super::captcha::secs;
use super::findings::Findings;
use super::flow::{unexpected, Flows};
use super::probe::{ProbeError, Reply};
use super::search::largest;

/// Wrong codes tried before the limit is taken to be beyond the search.
const ATTEMPTS_CAP: i64 = 64;
/// The longest resend interval a profile can state (a day).
const RESEND_CAP: i64 = 86_400;

pub async fn probe(flows: &Flows<'_>, found: &mut Findings) -> Result<(), ProbeError> {
    let probe = flows.probe;
    let user = flows.user().await?;
    let unknown = probe
        .send_code(&user.user, "gatecheckdiscoverunknowntoken0000")
        .await?;
    if let Some(refusal) = unknown.refusal() {
        found.error(
            "access_token_invalid",
            refusal,
            "call 3 with a token never issued",
        );
    }
    if let Some(expire) = flows.code_sent(&user.user).await? {
        found.profile.lifetimes.insert("code".into(), secs(expire));
        found.found(
            "lifetimes.code",
            format!("call 3 answered expire: {expire}"),
        );
    }
    let code = probe.latest_code(&user.user).await?;
    found.profile.code_length = code.chars().count() as i64;
    found.found(
        "code.length",
        format!("the outbox's code has {} characters", code.chars().count()),
    );
    let mismatches = wrong_codes_until_refused(flows, found, &user.user, &code).await?;
    limit_boundary(flows, found, mismatches).await?;
    resend_interval(flows, found).await
}

/// Wrong codes until the answer changes: how many answered `code_mismatch` before the
/// limit's answer. When every answer is alike, they are all mismatches (a limit past the
/// search) or all the limit's (a limit of one whose last try answers so): a check with no
/// code pending, which a correct gateway answers `code_mismatch`, tells them apart.
async fn wrong_codes_until_refused(
    flows: &Flows<'_>,
    found: &mut Findings,
    user: &str,
    code: &str,
) -> Result<i64, ProbeError> {
    let wrong = wrong_code(code);
    let mut first: Option<(u16, String)> = None;
    let mut alike = 0;
    while alike < ATTEMPTS_CAP {
        let reply = flows.probe.check_code(user, &wrong).await?;
        let refusal = reply
            .refusal()
            .ok_or_else(|| unexpected("call 4 with a wrong code", &reply))?;
        match &first {
            Some(answer) if *answer != refusal => {
                found.error("code_mismatch", answer.clone(), "call 4 with a wrong code");
                let how = format!("call 4 after {alike} wrong codes");
                found.error("code_attempts_exceeded", refusal, &how);
                return Ok(alike);
            }
            _ => alike += 1,
        }
        first.get_or_insert(refusal);
    }
    let first = first.unwrap_or_default();
    let unsent = flows.user().await?;
    let reply = flows.probe.check_code(&unsent.user, &wrong).await?;
    let none_pending = reply
        .refusal()
        .ok_or_else(|| unexpected("call 4 with no code pending", &reply))?;
    if none_pending == first {
        found.error("code_mismatch", first, "call 4 with a wrong code");
        return Ok(ATTEMPTS_CAP);
    }
    found.error("code_mismatch", none_pending, "call 4 with no code pending");
    found.error(
        "code_attempts_exceeded",
        first,
        "call 4 with the first wrong code",
    );
    Ok(0)
}

/// `m` wrong codes answered `code_mismatch` before the limit's answer. Either the limit is m
/// and the next check is refused, or it is m + 1 and its last try already answered so: the
/// right code after m wrong ones tells them apart.
async fn limit_boundary(flows: &Flows<'_>, found: &mut Findings, m: i64) -> Result<(), ProbeError> {
    if m >= ATTEMPTS_CAP {
        found.profile.code_attempts = ATTEMPTS_CAP;
        found.found(
            "code.attempts",
            format!("{ATTEMPTS_CAP} wrong codes all answered code_mismatch (searched no further)"),
        );
        found.undetermined(
            &["code.exceeded_on_last_attempt".into()],
            "the limit was not reached",
        );
        return Ok(());
    }
    let user = flows.user().await?;
    flows.code_sent(&user.user).await?;
    let code = flows.probe.latest_code(&user.user).await?;
    for _ in 0..m {
        flows
            .probe
            .check_code(&user.user, &wrong_code(&code))
            .await?;
    }
    let right = flows.probe.check_code(&user.user, &code).await?;
    let last_attempt_refused = right.ok();
    if let (true, Some(expire)) = (right.ok(), right.number("expire")) {
        record_t3(found, expire);
    }
    let attempts = if last_attempt_refused { m + 1 } else { m };
    found.profile.code_attempts = attempts;
    found.profile.exceeded_on_last_attempt = last_attempt_refused;
    let how = match last_attempt_refused {
        true => format!("{m} wrong codes answered code_mismatch and the next one the limit; the right code after {m} passed"),
        false => format!("{m} wrong codes answered code_mismatch; the right code after them was refused"),
    };
    found.found("code.attempts", how.clone());
    found.found("code.exceeded_on_last_attempt", how);
    if !found.is_found("lifetimes.t3") {
        let t3 = flows.t3(&flows.user().await?.user).await?;
        if let Some(expire) = t3.expire {
            record_t3(found, expire);
        }
    }
    Ok(())
}

fn record_t3(found: &mut Findings, expire: i64) {
    found.profile.lifetimes.insert("t3".into(), secs(expire));
    found.found("lifetimes.t3", format!("call 4 answered expire: {expire}"));
}

/// A second send at once; then, with the clock moved, the shortest wait a resend needs.
async fn resend_interval(flows: &Flows<'_>, found: &mut Findings) -> Result<(), ProbeError> {
    let user = flows.user().await?;
    flows.code_sent(&user.user).await?;
    let again = second_send(flows, &user.user).await?;
    let Some(refusal) = again.refusal() else {
        found.profile.resend_interval = Duration::ZERO;
        found.found("code.resend_interval", "a second send at once passed");
        return Ok(());
    };
    found.error("send_too_frequent", refusal, "call 3 again at once");
    let refused_after = |wait: i64| async move {
        let user = flows.user().await?;
        flows.code_sent(&user.user).await?;
        flows.probe.advance(wait as u64).await?;
        Ok::<bool, ProbeError>(!second_send(flows, &user.user).await?.ok())
    };
    // Waits double from 1 s to the first that passes, then bisect: the longest refused.
    let longest_refused = largest(0, RESEND_CAP, async |wait| refused_after(wait).await).await?;
    if longest_refused >= RESEND_CAP {
        found.undetermined(
            &["code.resend_interval".into()],
            "a resend was refused even a day later",
        );
        return Ok(());
    }
    let interval = longest_refused + 1;
    found.profile.resend_interval = Duration::from_secs(interval as u64);
    found.found(
        "code.resend_interval",
        format!(
            "a resend {interval}s after passed, {longest_refused}s after was refused (clock moved)"
        ),
    );
    Ok(())
}

async fn second_send(flows: &Flows<'_>, user: &str) -> Result<Reply, ProbeError> {
    let t2 = flows.t2(user).await?;
    flows.probe.send_code(user, &t2.token).await
}

/// A code of the same length that is not `code` (digits stay digits).
pub fn wrong_code(code: &str) -> String {
    code.chars()
        .map(|c| match c {
            '0'..='8' => char::from(c as u8 + 1),
            '9' => '0',
            'a'..='y' | 'A'..='Y' => char::from(c as u8 + 1),
            _ => 'a',
        })
        .collect()
}
