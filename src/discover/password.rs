//! Calls 5-6: T3's refusal, whether a refused password uses T3 up, the password policy (length
//! bounds, classes, runs, the account name), and login's refusal. Every policy probe is one
//! reset: with a T3 kept across refusals when the target keeps it, else a fresh one.

use super::findings::Findings;
use super::flow::{unexpected, Flows, TestUser, Token};
use super::probe::ProbeError;
use super::search::{largest, smallest};

/// The longest password a profile can state.
const LENGTH_CAP: i64 = 1024;

pub async fn probe(flows: &Flows<'_>, found: &mut Findings) -> Result<(), ProbeError> {
    let probe = flows.probe;
    let user = flows.user().await?;
    let unknown = probe
        .reset(
            &user.user,
            "gatecheckdiscoverunknowntoken0000",
            &password(16, 4, 1, 0),
        )
        .await?;
    if let Some(refusal) = unknown.refusal() {
        found.error(
            "reset_token_invalid",
            refusal,
            "call 5 with a token never issued",
        );
    }
    let login = probe.login(&user.account, "Wrong-password-9").await?;
    if let Some(refusal) = login.refusal() {
        found.error("login_failed", refusal, "call 6 with a wrong password");
    }
    let (mut resets, typical) = Resets::start(flows, found).await?;
    policy(&mut resets, found, typical).await
}

async fn policy(
    resets: &mut Resets<'_, '_>,
    found: &mut Findings,
    typical: i64,
) -> Result<(), ProbeError> {
    let (min, max) = lengths(resets, found, typical).await?;
    classes_and_runs(resets, found, typical, max).await?;
    name_rules(resets, found, min, max).await?;
    charset(resets, found, typical).await?;
    reuse(resets.flows, found, typical).await
}

async fn lengths(
    resets: &mut Resets<'_, '_>,
    found: &mut Findings,
    typical: i64,
) -> Result<(i64, i64), ProbeError> {
    let accepts =
        async |resets: &mut Resets<'_, '_>, n: i64| resets.accepts(&password(n, 4, 1, n)).await;
    let min = smallest(1, typical, async |n| accepts(resets, n).await).await?;
    let how = format!("{min} characters accepted, {} refused", min - 1);
    set(found, "min_length", min, how);
    let max = largest(typical, LENGTH_CAP, async |n| accepts(resets, n).await).await?;
    let how = super::captcha::bound_note(max, LENGTH_CAP, "characters");
    set(found, "max_length", max, how);
    Ok((min, max))
}

async fn classes_and_runs(
    resets: &mut Resets<'_, '_>,
    found: &mut Findings,
    typical: i64,
    max: i64,
) -> Result<(), ProbeError> {
    let classes = smallest(1, 4, async |k| {
        resets.accepts(&password(typical, k, 1, k)).await
    })
    .await?;
    let how = match classes {
        1 => "one class accepted".to_owned(),
        k => format!("{k} classes accepted, {} refused", k - 1),
    };
    set(found, "min_classes", classes, how);
    let run_cap = (max - 3).max(1);
    let run = largest(1, run_cap, async |r| {
        let length = typical.max(r + 3).min(max);
        resets.accepts(&password(length, 4, r, r)).await
    })
    .await?;
    let how = super::captcha::bound_note(run, run_cap, "in a row");
    set(found, "max_run", run, how);
    Ok(())
}

/// A password holding the account name, then one holding it reversed.
async fn name_rules(
    resets: &mut Resets<'_, '_>,
    found: &mut Findings,
    min: i64,
    max: i64,
) -> Result<(), ProbeError> {
    let user = resets.holder().await?.0;
    let with_name = format!("{}Q7#", user.account);
    if (with_name.len() as i64) < min || with_name.len() as i64 > max {
        let paths = [
            "password.forbid_user_name".into(),
            "password.user_name_reversed".into(),
        ];
        let why = "a password holding the account name would break the length bounds";
        found.undetermined(&paths, why);
        return Ok(());
    }
    let forbids = !resets.accepts(&with_name).await?;
    flag(
        found,
        "forbid_user_name",
        forbids,
        "a password holding the account name was",
    );
    if !forbids {
        let why = "the account-name rule is off";
        found.undetermined(&["password.user_name_reversed".into()], why);
        return Ok(());
    }
    // The forward probe may have used its T3 up: the reversed name is the next holder's.
    let user = resets.holder().await?.0;
    let reversed: String = user.account.chars().rev().collect();
    let refused = !resets.accepts(&format!("{reversed}Q7#")).await?;
    let probe = "a password holding the account name reversed was";
    flag(found, "user_name_reversed", refused, probe);
    Ok(())
}

/// A good password with one character outside ASCII.
async fn charset(
    resets: &mut Resets<'_, '_>,
    found: &mut Findings,
    typical: i64,
) -> Result<(), ProbeError> {
    let mut unicode: Vec<char> = password(typical, 4, 1, 31).chars().collect();
    unicode[typical as usize / 2] = 'é';
    let unicode: String = unicode.into_iter().collect();
    let ascii_only = !resets.accepts(&unicode).await?;
    let charset = if ascii_only { "ascii" } else { "any" };
    found
        .profile
        .password
        .insert("charset".into(), charset.into());
    let verb = if ascii_only { "refused" } else { "accepted" };
    let how = format!("a password holding `é` was {verb}");
    found.found("password.charset", how);
    Ok(())
}

/// A reset to the password the user has now.
async fn reuse(flows: &Flows<'_>, found: &mut Findings, typical: i64) -> Result<(), ProbeError> {
    let current = password(typical, 4, 1, 55);
    let user = flows.user_with(&current).await?;
    let t3 = flows.t3(&user.user).await?;
    let reply = flows.probe.reset(&user.user, &t3.token, &current).await?;
    flag(
        found,
        "forbid_reuse",
        !reply.ok(),
        "a reset to the current password was",
    );
    Ok(())
}

/// A boolean password rule: `on` when the probe was refused.
fn flag(found: &mut Findings, key: &str, on: bool, probe: &str) {
    found.profile.password.insert(key.into(), on.into());
    let verb = if on { "refused" } else { "accepted" };
    found.found(&format!("password.{key}"), format!("{probe} {verb}"));
}

fn set(found: &mut Findings, key: &str, value: i64, how: String) {
    found.profile.password.insert(key.to_owned(), value.into());
    found.found(&format!("password.{key}"), how);
}

/// Resets for the policy probes, with the T3 they use.
struct Resets<'f, 'p> {
    flows: &'f Flows<'p>,
    held: Option<(TestUser, Token)>,
    /// Whether a refused password uses T3 up.
    burns: bool,
    policy_code: (u16, String),
}

impl<'f, 'p> Resets<'f, 'p> {
    /// The policy's answer (to the password `a`), a length the policy accepts, and whether a
    /// refusal uses T3 up (a refused password, then an accepted one with the same T3). Until
    /// that is known, every probe takes a fresh T3.
    async fn start(flows: &'f Flows<'p>, found: &mut Findings) -> Result<(Self, i64), ProbeError> {
        let user = flows.user().await?;
        let t3 = flows.t3(&user.user).await?;
        let short = flows.probe.reset(&user.user, &t3.token, "a").await?;
        let policy_code = short
            .refusal()
            .ok_or_else(|| unexpected("call 5 with the password `a`", &short))?;
        found.error(
            "password_policy",
            policy_code.clone(),
            "call 5 with the password `a`",
        );
        let mut resets = Self {
            flows,
            held: None,
            burns: true,
            policy_code,
        };
        let typical = resets.typical_length().await?;
        let user = flows.user().await?;
        let t3 = flows.t3(&user.user).await?;
        flows.probe.reset(&user.user, &t3.token, "a").await?;
        let good = flows
            .probe
            .reset(&user.user, &t3.token, &password(typical, 4, 1, 98))
            .await?;
        if good.refusal().as_ref() == Some(&resets.policy_code) {
            return Err(unexpected(
                "call 5 with a password the policy accepted before",
                &good,
            ));
        }
        resets.burns = !good.ok();
        found
            .profile
            .burns
            .insert("t3_on_policy".into(), resets.burns);
        let how = match resets.burns {
            true => "a good password after a refused one was refused with the same T3",
            false => "a good password after a refused one passed with the same T3",
        };
        found.found("burns.t3_on_policy", how);
        Ok((resets, typical))
    }

    /// The first of a few lengths whose password (four classes, no repeats) is accepted.
    async fn typical_length(&mut self) -> Result<i64, ProbeError> {
        for length in [16, 12, 20, 8, 24, 32, 10, 6, 40, 64, 128] {
            if self.accepts(&password(length, 4, 1, length + 1)).await? {
                return Ok(length);
            }
        }
        Err(ProbeError::Unexpected(
            "no password of 6 to 128 characters with four classes was accepted".into(),
        ))
    }

    async fn holder(&mut self) -> Result<(TestUser, Token), ProbeError> {
        if let Some(held) = self.held.clone() {
            return Ok(held);
        }
        let user = self.flows.user().await?;
        let t3 = self.flows.t3(&user.user).await?;
        self.held = Some((user.clone(), t3.clone()));
        Ok((user, t3))
    }

    async fn accepts(&mut self, password: &str) -> Result<bool, ProbeError> {
        let (user, t3) = self.holder().await?;
        let reply = self
            .flows
            .probe
            .reset(&user.user, &t3.token, password)
            .await?;
        if reply.ok() || self.burns {
            self.held = None;
        }
        match reply.refusal() {
            None if reply.ok() => Ok(true),
            Some(refusal) if refusal == self.policy_code => Ok(false),
            _ => Err(unexpected("call 5", &reply)),
        }
    }
}

/// A password of `length` characters from `classes` classes, opening with a run of `run`
/// equal characters and with no other repeat; `salt` varies it. No pool holds a letter of
/// `gcdiscover`, so no password holds a probe user's account name by chance.
pub fn password(length: i64, classes: i64, run: i64, salt: i64) -> String {
    const POOLS: [&str; 4] = ["kmnpqrstuvwyz", "QRSTUVWXYZ", "23456789", "#$%&*+=?@^"];
    let length = length.max(0) as usize;
    let classes = classes.clamp(1, 4) as usize;
    let run = (run.max(1) as usize).min(length);
    let salt = salt.unsigned_abs() as usize;
    let pool = |class: usize| POOLS[class].as_bytes();
    let opening = char::from(pool(0)[salt % pool(0).len()]);
    let mut text: Vec<char> = std::iter::repeat_n(opening, run).collect();
    // The run is of the first class; the others follow it in turn, so a short password still
    // holds every class it is asked for.
    let mut i = 1;
    while text.len() < length {
        let chars = pool(i % classes);
        let c = char::from(chars[(i / classes + salt) % chars.len()]);
        if text.last() != Some(&c) {
            text.push(c);
        }
        i += 1;
    }
    text.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gateway::password::PasswordPolicy;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn passwords_have_what_they_are_asked_for(length in 4i64..200, classes in 1i64..=4, run in 1i64..=4, salt in 0i64..1000) {
            let text = password(length, classes, run, salt);
            prop_assert_eq!(text.chars().count() as i64, length);
            let policy = |min_classes, max_run| PasswordPolicy { min_len: 1, max_len: 1024, min_classes, max_run, ..PasswordPolicy::default() };
            // The run is one class; the rest of the password holds the others.
            let wanted = classes.min(length - run + 1) as usize;
            prop_assert!(policy(wanted, run as usize).check(&text, "gcdiscoverab").is_ok(), "{text}");
            if run > 1 {
                prop_assert!(policy(1, run as usize - 1).check(&text, "gcdiscoverab").is_err(), "{text}");
            }
            if wanted < 4 {
                prop_assert!(policy(wanted + 1, 4).check(&text, "gcdiscoverab").is_err(), "{text}");
            }
        }
    }
}
