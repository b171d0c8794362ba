//! The embedded reference gateway set to a profile's choices, so that `run`, `load` and `fuzz`
//! with `--profile P` (and `serve --profile P`) meet a gateway that behaves as P says: its
//! lifetimes, CAPTCHA tolerance and slideTime bounds, code length, attempt limit and resend
//! interval, which refusals burn a token, the token and code semantics (`tokens:`), the
//! password policy, the status and code of each failure kind, and whether it serves test
//! support. The fault switches stay on top.

use std::time::Duration;

use serde_json::Value;

use crate::gateway::config;
use crate::gateway::password::PasswordPolicy;
use crate::gateway::{FailureKind, GatewayConfig};
use crate::profile::{OtherUserCode, Profile, ResendScope};

/// `base` (faults, pools, caps) with every choice the profile states.
pub fn config_for(profile: &Profile, base: GatewayConfig) -> GatewayConfig {
    let lifetime = |name: &str, default: Duration| profile.lifetime(name).unwrap_or(default);
    let password = |name: &str| profile.password.get(name);
    let number = |name: &str, default: usize| {
        password(name)
            .and_then(Value::as_u64)
            .map_or(default, |n| n as usize)
    };
    let reference = PasswordPolicy::default();
    let burns = |name: &str| profile.burns.get(name).copied().unwrap_or(true);
    GatewayConfig {
        t1_lifetime: lifetime("t1", base.t1_lifetime),
        t2_lifetime: lifetime("t2", base.t2_lifetime),
        code_lifetime: lifetime("code", base.code_lifetime),
        t3_lifetime: lifetime("t3", base.t3_lifetime),
        captcha_tolerance: u32::try_from(profile.captcha_tolerance)
            .unwrap_or(base.captcha_tolerance),
        slide_time_min_ms: clamp_i32(profile.slide_time_min),
        slide_time_max_ms: clamp_i32(profile.slide_time_max),
        code_attempts: u32::try_from(profile.code_attempts).unwrap_or(base.code_attempts),
        exceeded_on_last_attempt: profile.exceeded_on_last_attempt,
        code_digits: usize::try_from(profile.code_length).unwrap_or(base.code_digits),
        resend_interval: profile.resend_interval,
        password_policy: PasswordPolicy {
            min_len: number("min_length", reference.min_len),
            max_len: number("max_length", reference.max_len),
            min_classes: number("min_classes", reference.min_classes),
            max_run: number("max_run", reference.max_run),
            forbid_user_name: password("forbid_user_name")
                .and_then(Value::as_bool)
                .unwrap_or(reference.forbid_user_name),
        },
        t1_tries: profile.tokens.t1_tries,
        t1_bound_to_client: profile.tokens.t1_bound_to_client,
        t1_consumed_by_invalid_body: profile.tokens.t1_consumed_by_invalid_body,
        t2_consumed_by_too_frequent: profile.tokens.t2_consumed_by_too_frequent,
        new_code_resets_counter: profile.tokens.new_code_resets_counter,
        other_user_code: match profile.tokens.other_user_code {
            OtherUserCode::Intact => config::OtherUserCode::Intact,
            OtherUserCode::Counts => config::OtherUserCode::Counts,
            OtherUserCode::UsedUp => config::OtherUserCode::UsedUp,
        },
        new_captcha_replaces: profile.tokens.new_captcha_replaces,
        single_use: config::SingleUse {
            t1: profile.tokens.single_use.t1,
            t2: profile.tokens.single_use.t2,
            code: profile.tokens.single_use.code,
            t3: profile.tokens.single_use.t3,
        },
        resend_scope: match profile.tokens.resend_scope {
            ResendScope::User => config::ResendScope::User,
            ResendScope::Destination => config::ResendScope::Destination,
            ResendScope::Account => config::ResendScope::Account,
        },
        burn_t3_on_policy: burns("t3_on_policy"),
        burn_other_user: burns("other_user"),
        answers: FailureKind::ALL
            .iter()
            .filter_map(|kind| {
                let spec = profile.error(kind.name())?;
                Some((*kind, spec.status, spec.code.clone()))
            })
            .collect(),
        test_support: base.test_support && profile.test_support,
        ..base
    }
}

fn clamp_i32(value: i64) -> i32 {
    value.clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reference_profile_gives_the_reference_gateway() {
        let config = config_for(&Profile::reference(), GatewayConfig::default());
        let reference = GatewayConfig::default();
        let without_answers = |c: &GatewayConfig| {
            let mut c = c.clone();
            c.answers.clear();
            format!("{c:?}")
        };
        assert_eq!(without_answers(&config), without_answers(&reference));
        for (kind, status, code) in &config.answers {
            assert_eq!(
                (kind.info().status, kind.info().code),
                (*status, code.as_str())
            );
        }
    }
}
