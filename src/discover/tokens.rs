//! What the target does with its tokens and codes (`tokens:`): how many wrong answers a T1
//! survives, what T1 is bound to, whether an invalid body or a new CAPTCHA uses it up, which
//! tokens a success uses up, whether a send refused for the interval keeps its T2, and what a
//! new send and another user's check do to a pending code. The resend interval's scope needs
//! users sharing a destination and is flagged.

use serde_json::json;

use super::findings::Findings;
use super::flow::{unexpected, Flows};
use super::probe::ProbeError;
use super::search::largest;
use crate::api::Operation;

/// Wrong answers tried on one T1 before its tries are taken to be unlimited.
const TRIES_CAP: i64 = 20;

pub async fn probe(flows: &Flows<'_>, found: &mut Findings) -> Result<(), ProbeError> {
    let user = flows.user().await?.user;
    t1_tries(flows, found, &user).await?;
    t1_choices(flows, found, &user).await?;
    single_use(flows, found).await?;
    t2_kept(flows, found).await?;
    pending_code(flows, found).await?;
    let why = "needs users that share a phone or mailbox: not probed";
    found.undetermined(&["tokens.resend_scope".into()], why);
    Ok(())
}

fn set(found: &mut Findings, key: &str, on: bool, how: String) {
    let tokens = &mut found.profile.tokens;
    let slot = match key {
        "t1_bound_to_client" => &mut tokens.t1_bound_to_client,
        "t1_consumed_by_invalid_body" => &mut tokens.t1_consumed_by_invalid_body,
        "new_captcha_replaces" => &mut tokens.new_captcha_replaces,
        "t1_single_use" => &mut tokens.single_use.t1,
        "t2_single_use" => &mut tokens.single_use.t2,
        "code_single_use" => &mut tokens.single_use.code,
        "t3_single_use" => &mut tokens.single_use.t3,
        "t2_consumed_by_too_frequent" => &mut tokens.t2_consumed_by_too_frequent,
        _ => &mut tokens.new_code_resets_counter,
    };
    *slot = on;
    found.found(&format!("tokens.{key}"), how);
}

/// `k` wrong answers on one T1, then the right one: the most it survives.
async fn t1_tries(flows: &Flows<'_>, found: &mut Findings, user: &str) -> Result<(), ProbeError> {
    let far = found.profile.captcha_tolerance + 50;
    let survives = async |wrongs: i64| {
        let captcha = flows.captcha(user).await?;
        let wrong = if captcha.x < 150 {
            captcha.x + far
        } else {
            captcha.x - far
        };
        for _ in 0..wrongs {
            flows
                .probe
                .check_captcha(user, &captcha.t1, wrong, flows.slide_ms)
                .await?;
        }
        let right = flows
            .probe
            .check_captcha(user, &captcha.t1, captcha.x, flows.slide_ms)
            .await?;
        Ok::<bool, ProbeError>(right.ok())
    };
    let most = largest(0, TRIES_CAP, survives).await?;
    let (tries, how) = if most >= TRIES_CAP {
        (
            None,
            format!("T1 still passed after {TRIES_CAP} wrong answers: unlimited (or more)"),
        )
    } else {
        let how = format!(
            "T1 passed after {most} wrong answers, not after {}",
            most + 1
        );
        (Some(most as u32 + 1), how)
    };
    found.profile.tokens.t1_tries = tries;
    found
        .profile
        .burns
        .insert("t1_on_mismatch".into(), tries == Some(1));
    found.found("tokens.t1_tries", how.clone());
    found.found("burns.t1_on_mismatch", how);
    Ok(())
}

/// Another clientType, a body without slideTime, a newer CAPTCHA, and a T1 used twice.
async fn t1_choices(flows: &Flows<'_>, found: &mut Findings, user: &str) -> Result<(), ProbeError> {
    let probe = flows.probe;
    let slide = flows.slide_ms;
    let captcha = flows.captcha(user).await?;
    let body = json!({"user": user, "clientType": 5, "checkType": 1, "token": captcha.t1, "pointX": captcha.x, "slideTime": slide});
    let other_client = probe.call(Operation::CheckCaptcha, body).await?;
    let how = format!(
        "a T1 of clientType 0 checked as clientType 5 answered {}",
        other_client.shown()
    );
    set(found, "t1_bound_to_client", !other_client.ok(), how);

    let captcha = flows.captcha(user).await?;
    let body = json!({"user": user, "clientType": 0, "checkType": 1, "token": captcha.t1, "pointX": captcha.x});
    probe.call(Operation::CheckCaptcha, body).await?;
    let after = probe
        .check_captcha(user, &captcha.t1, captcha.x, slide)
        .await?;
    let how = format!(
        "the right answer after a body without slideTime answered {}",
        after.shown()
    );
    set(found, "t1_consumed_by_invalid_body", !after.ok(), how);

    let older = flows.captcha(user).await?;
    flows.captcha(user).await?;
    let reply = probe.check_captcha(user, &older.t1, older.x, slide).await?;
    let how = format!(
        "a T1 checked after a newer one was issued answered {}",
        reply.shown()
    );
    set(found, "new_captcha_replaces", !reply.ok(), how);

    let captcha = flows.captcha(user).await?;
    probe
        .check_captcha(user, &captcha.t1, captcha.x, slide)
        .await?;
    let again = probe
        .check_captcha(user, &captcha.t1, captcha.x, slide)
        .await?;
    let how = format!(
        "a T1 checked again after it passed answered {}",
        again.shown()
    );
    set(found, "t1_single_use", !again.ok(), how);
    Ok(())
}

/// The code and T3 used again after they passed.
async fn single_use(flows: &Flows<'_>, found: &mut Findings) -> Result<(), ProbeError> {
    let user = flows.user().await?.user;
    flows.code_sent(&user).await?;
    let code = flows.probe.latest_code(&user).await?;
    let first = flows.probe.check_code(&user, &code).await?;
    let t3 = first
        .text("token")
        .filter(|_| first.ok())
        .ok_or_else(|| unexpected("call 4 with the code sent", &first))?;
    let again = flows.probe.check_code(&user, &code).await?;
    let how = format!(
        "the code checked again after it passed answered {}",
        again.shown()
    );
    set(found, "code_single_use", !again.ok(), how);
    let good = super::password::password(16, 4, 1, 61);
    let reset = flows.probe.reset(&user, &t3, &good).await?;
    if !reset.ok() {
        found.undetermined(
            &["tokens.t3_single_use".into()],
            "a 16-character password was refused",
        );
        return Ok(());
    }
    let again = flows
        .probe
        .reset(&user, &t3, &super::password::password(16, 4, 1, 62))
        .await?;
    let how = format!("T3 used again after it passed answered {}", again.shown());
    set(found, "t3_single_use", !again.ok(), how);
    Ok(())
}

/// A T2 used again at once, after its send passed and after one refused for the interval:
/// a used-up T2 answers `access_token_invalid`, a live one the interval again (a gateway
/// judges T2 before the interval, as the reference does).
async fn t2_kept(flows: &Flows<'_>, found: &mut Findings) -> Result<(), ProbeError> {
    let user = flows.user().await?.user;
    let t2 = flows.t2(&user).await?;
    flows.probe.send_code(&user, &t2.token).await?;
    let again = flows.probe.send_code(&user, &t2.token).await?;
    let how = format!(
        "a T2 that passed, sent again at once, answered {}",
        again.shown()
    );
    let spec = found.profile.error("access_token_invalid").cloned();
    let invalid = |reply: &super::probe::Reply| {
        let spec = spec.as_ref();
        reply.refusal().is_some_and(|(status, code)| {
            spec.is_some_and(|s| s.status == status && s.accepts(&code))
        })
    };
    let single = invalid(&again);
    set(found, "t2_single_use", single, how);
    if found.profile.resend_interval.is_zero() {
        let why = "no resend interval: no send is refused for it";
        found.undetermined(&["tokens.t2_consumed_by_too_frequent".into()], why);
        return Ok(());
    }
    let refused_t2 = flows.t2(&user).await?;
    flows.probe.send_code(&user, &refused_t2.token).await?;
    let after = flows.probe.send_code(&user, &refused_t2.token).await?;
    let how = format!(
        "a T2 refused for the interval, sent again at once, answered {}",
        after.shown()
    );
    let consumed = invalid(&after);
    set(found, "t2_consumed_by_too_frequent", consumed, how);
    Ok(())
}

/// How many wrong codes `user`'s pending code answers `code_mismatch` before the limit.
async fn mismatches_until_limit(
    flows: &Flows<'_>,
    found: &Findings,
    user: &str,
    code: &str,
) -> Result<i64, ProbeError> {
    let mismatch = found.profile.error("code_mismatch").cloned();
    let is_mismatch = |reply: &super::probe::Reply| {
        reply.refusal().is_some_and(|(status, code)| {
            mismatch
                .as_ref()
                .is_some_and(|m| m.status == status && m.accepts(&code))
        })
    };
    let wrong = super::code::wrong_code(code);
    let mut count = 0;
    while count < 64 {
        let reply = flows.probe.check_code(user, &wrong).await?;
        if !is_mismatch(&reply) {
            reply
                .refusal()
                .ok_or_else(|| unexpected("call 4 with a wrong code", &reply))?;
            break;
        }
        count += 1;
    }
    Ok(count)
}

/// A new send after one wrong code, and another user's check of a pending code: the wrong
/// codes the code then takes before the limit, against a fresh one's.
async fn pending_code(flows: &Flows<'_>, found: &mut Findings) -> Result<(), ProbeError> {
    let paths = [
        "tokens.new_code_resets_counter".into(),
        "tokens.other_user_code".into(),
    ];
    let fresh = i64::from(found.profile.exceeded_on_last_attempt);
    let full = found.profile.code_attempts - fresh;
    let mismatch = found
        .profile
        .error("code_mismatch")
        .map(|e| (e.status, e.code.clone()));
    if found.profile.code_attempts >= 64 || mismatch.is_none() {
        found.undetermined(&paths, "the attempt limit was not found");
        return Ok(());
    }
    let interval = found.profile.resend_interval.as_secs();
    let code_lifetime = found
        .profile
        .lifetimes
        .get("code")
        .map_or(0, |d| d.as_secs());
    if full < 1 {
        let why = "no wrong code answers code_mismatch before the limit, so the choice cannot show";
        found.undetermined(&["tokens.new_code_resets_counter".into()], why);
    } else if code_lifetime > interval + 1 {
        new_send(flows, found, interval, full).await?;
    } else {
        let why = "a code expires before a new one may be sent, so the choice cannot show";
        found.undetermined(&["tokens.new_code_resets_counter".into()], why);
    }
    other_user(flows, found, interval, full).await
}

/// One wrong code, a new send once the interval is over: the new code's wrong codes.
async fn new_send(
    flows: &Flows<'_>,
    found: &mut Findings,
    interval: u64,
    full: i64,
) -> Result<(), ProbeError> {
    let user = flows.user().await?.user;
    flows.code_sent(&user).await?;
    let code = flows.probe.latest_code(&user).await?;
    flows
        .probe
        .check_code(&user, &super::code::wrong_code(&code))
        .await?;
    flows.probe.advance(interval + 1).await?;
    flows.code_sent(&user).await?;
    let code = flows.probe.latest_code(&user).await?;
    let left = mismatches_until_limit(flows, found, &user, &code).await?;
    let how = format!("after one wrong code and a new send, {left} wrong codes answered code_mismatch (a fresh code takes {full})");
    set(found, "new_code_resets_counter", left >= full, how);
    Ok(())
}

/// Another user checks the owner's pending code: is it used up, counted against, or intact.
async fn other_user(
    flows: &Flows<'_>,
    found: &mut Findings,
    interval: u64,
    full: i64,
) -> Result<(), ProbeError> {
    let (owner, other) = (flows.user().await?.user, flows.user().await?.user);
    flows.code_sent(&owner).await?;
    let code = flows.probe.latest_code(&owner).await?;
    flows.probe.check_code(&other, &code).await?;
    let right = flows.probe.check_code(&owner, &code).await?;
    let exceeded = found.profile.error("code_attempts_exceeded").cloned();
    let burnt = right.refusal().is_some_and(|(status, code)| {
        exceeded.is_some_and(|e| e.status == status && e.accepts(&code))
    });
    let how = format!(
        "the owner's right code after another user checked it answered {}",
        right.shown()
    );
    use crate::profile::OtherUserCode;
    let (choice, how) = if burnt {
        // A limit of one wrong code: the other user's check was the owner's one wrong code.
        (OtherUserCode::Counts, how)
    } else if !right.ok() {
        (OtherUserCode::UsedUp, how)
    } else if found.profile.code_attempts == 1 {
        (OtherUserCode::Intact, how)
    } else {
        flows.probe.advance(interval + 1).await?;
        flows.code_sent(&owner).await?;
        let code = flows.probe.latest_code(&owner).await?;
        flows.probe.check_code(&other, &code).await?;
        let left = mismatches_until_limit(flows, found, &owner, &code).await?;
        let choice = if left >= full {
            crate::profile::OtherUserCode::Intact
        } else {
            crate::profile::OtherUserCode::Counts
        };
        (choice, format!("after another user checked the owner's code, {left} wrong codes answered code_mismatch (a fresh code takes {full})"))
    };
    found.profile.tokens.other_user_code = choice;
    found.found("tokens.other_user_code", how);
    Ok(())
}
