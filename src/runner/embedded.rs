//! The embedded reference gateway set to a profile's choices, so that `run`, `load` and `fuzz`
//! with `--profile P` (and `serve --profile P`) meet a gateway that behaves as P says: its
//! lifetimes, CAPTCHA tolerance, slideTime bounds and image style, code length, attempt limit and resend
//! interval, which refusals burn a token, the token and code semantics (`tokens:`), the password policy, the status and code of each
//! failure kind, whether it serves test support, and the numbering of its generated users
//! (`users.generated`). The fault switches stay on top.

use std::time::Duration;

use serde_json::Value;

use crate::gateway::captcha::style::{Format, Shape, Style, XFrom};
use crate::gateway::config;
use crate::gateway::password::PasswordPolicy;
use crate::gateway::request::{Duplicates, OtherContentType, RequestPolicy};
use crate::gateway::users::{GeneratedUsers, IdentityKind};
use crate::gateway::{FailureKind, GatewayConfig};
use crate::profile::{
    CaptchaImage, ImageFormat, OtherUserCode, PieceShape, Profile, RequestChoices, ResendScope,
    UserKind,
};

/// `base` (faults, pools, caps) with every choice the profile states.
pub fn config_for(profile: &Profile, base: GatewayConfig) -> GatewayConfig {
    let lifetime = |name: &str, default: Duration| profile.lifetime(name).unwrap_or(default);
    let burns = |name: &str| profile.burns.get(name).copied().unwrap_or(true);
    let config = GatewayConfig {
        t1_lifetime: lifetime("t1", base.t1_lifetime),
        t2_lifetime: lifetime("t2", base.t2_lifetime),
        code_lifetime: lifetime("code", base.code_lifetime),
        t3_lifetime: lifetime("t3", base.t3_lifetime),
        captcha_tolerance: u32::try_from(profile.captcha_tolerance)
            .unwrap_or(base.captcha_tolerance),
        captcha_style: style(&profile.captcha_image),
        slide_time_min_ms: clamp_i32(profile.slide_time_min),
        slide_time_max_ms: clamp_i32(profile.slide_time_max),
        code_attempts: u32::try_from(profile.code_attempts).unwrap_or(base.code_attempts),
        exceeded_on_last_attempt: profile.exceeded_on_last_attempt,
        code_digits: usize::try_from(profile.code_length).unwrap_or(base.code_digits),
        resend_interval: profile.resend_interval,
        password_policy: password_policy(profile),
        burn_t3_on_policy: burns("t3_on_policy"),
        burn_other_user: burns("other_user"),
        answers: FailureKind::ALL
            .iter()
            .filter_map(|kind| {
                let spec = profile.error(kind.name())?;
                Some((*kind, spec.status, spec.code.clone()))
            })
            .collect(),
        second_codes: FailureKind::ALL
            .iter()
            .filter_map(|kind| {
                let second = profile.error(kind.name())?.codes.get(1)?;
                Some((*kind, second.clone()))
            })
            .collect(),
        requests: request_policy(&profile.requests),
        test_support: base.test_support && profile.test_support,
        // The embedded gateway guards its test support as the profile says the target does.
        test_support_token: profile
            .test_support_token
            .as_ref()
            .map(|token| token.value().to_owned())
            .or(base.test_support_token),
        generated: profile
            .generated
            .as_ref()
            .map_or(base.generated, generated_users),
        strict_errors: profile.strict_errors,
        ..base
    };
    with_tokens(config, profile)
}

/// The profile's `password:` rules, the reference's where it says nothing.
fn password_policy(profile: &Profile) -> PasswordPolicy {
    let password = |name: &str| profile.password.get(name);
    let number = |name: &str, default: usize| {
        password(name)
            .and_then(Value::as_u64)
            .map_or(default, |n| n as usize)
    };
    let switch =
        |name: &str, default: bool| password(name).and_then(Value::as_bool).unwrap_or(default);
    let reference = PasswordPolicy::default();
    PasswordPolicy {
        min_len: number("min_length", reference.min_len),
        max_len: number("max_length", reference.max_len),
        min_classes: number("min_classes", reference.min_classes),
        max_run: number("max_run", reference.max_run),
        forbid_user_name: switch("forbid_user_name", reference.forbid_user_name),
        user_name_reversed: switch("user_name_reversed", reference.user_name_reversed),
        forbid_reuse: switch("forbid_reuse", reference.forbid_reuse),
        ascii_only: password("charset").and_then(Value::as_str) == Some("ascii"),
    }
}

/// `base` with the profile's `tokens:` choices.
fn with_tokens(base: GatewayConfig, profile: &Profile) -> GatewayConfig {
    let tokens = &profile.tokens;
    GatewayConfig {
        t1_tries: tokens.t1_tries,
        t1_bound_to_client: tokens.t1_bound_to_client,
        t1_consumed_by_invalid_body: tokens.t1_consumed_by_invalid_body,
        t2_consumed_by_too_frequent: tokens.t2_consumed_by_too_frequent,
        new_code_resets_counter: tokens.new_code_resets_counter,
        other_user_code: match tokens.other_user_code {
            OtherUserCode::Intact => config::OtherUserCode::Intact,
            OtherUserCode::Counts => config::OtherUserCode::Counts,
            OtherUserCode::UsedUp => config::OtherUserCode::UsedUp,
        },
        new_captcha_replaces: tokens.new_captcha_replaces,
        single_use: config::SingleUse {
            t1: tokens.single_use.t1,
            t2: tokens.single_use.t2,
            code: tokens.single_use.code,
            t3: tokens.single_use.t3,
        },
        resend_scope: match tokens.resend_scope {
            ResendScope::User => config::ResendScope::User,
            ResendScope::Destination => config::ResendScope::Destination,
            ResendScope::Account => config::ResendScope::Account,
        },
        ..base
    }
}

/// The embedded gateway of a load run: the profile's generated users, else 50 million of the
/// reference numbering, and no resend interval, so repeated flows are not throttled.
pub fn for_load(profile: &Profile, config: &mut GatewayConfig) {
    config.generated = profile.generated.as_ref().map_or_else(
        || GeneratedUsers::reference(super::users::EMBEDDED_USERS),
        generated_users,
    );
    config.resend_interval = Duration::ZERO;
}

/// The gateway's numbering of generated users as the profile's `users.generated` gives it.
pub fn generated_users(pattern: &crate::profile::GeneratedUsers) -> GeneratedUsers {
    GeneratedUsers {
        prefix: pattern.prefix.clone(),
        suffix: pattern.suffix.clone(),
        digits: pattern.digits,
        first: pattern.first,
        count: pattern.count,
        password: pattern.password.clone(),
        kind: match pattern.kind {
            UserKind::Email => IdentityKind::Email,
            UserKind::Account => IdentityKind::Account,
            UserKind::Phone | UserKind::Unknown => IdentityKind::Phone,
        },
        account: pattern.account.clone(),
    }
}

/// The profile's `requests:` section as the gateway reads requests.
fn request_policy(choices: &RequestChoices) -> RequestPolicy {
    let ints = |list: &[i64]| list.iter().map(|&v| clamp_i32(v)).collect();
    RequestPolicy {
        other_content_type: match choices.content_type.as_str() {
            "json" => OtherContentType::Json,
            "unsupported" => OtherContentType::Unsupported,
            _ => OtherContentType::Refused,
        },
        accept_float_integers: choices.float_integers == "accepted",
        refuse_null: choices.null_fields == "refused",
        max_body_bytes: usize::try_from(choices.max_body_bytes).unwrap_or(usize::MAX),
        too_large_is_413: choices.too_large == "payload_too_large",
        duplicates: match choices.duplicate_keys.as_str() {
            "last" => Duplicates::LastWins,
            "first" => Duplicates::FirstWins,
            _ => Duplicates::Refused,
        },
        client_types: ints(&choices.client_types),
        check_types: ints(&choices.check_types),
        check_type_default: clamp_i32(choices.check_type_default),
    }
}

/// The gateway's drawing style for the profile's `captcha.image`.
fn style(image: &CaptchaImage) -> Style {
    Style {
        format: match image.format {
            ImageFormat::Png => Format::Png,
            ImageFormat::Jpeg => Format::Jpeg,
        },
        width: image.width,
        height: image.height,
        piece_width: image.piece_width,
        piece_height: image.piece_height,
        shape: match image.shape {
            PieceShape::Puzzle => Shape::Puzzle,
            PieceShape::Square => Shape::Square,
            PieceShape::Round => Shape::Round,
        },
        margin: image.margin,
        x_from: match image.x_from {
            crate::profile::XFrom::Image => XFrom::Image,
            crate::profile::XFrom::Piece => XFrom::Piece,
        },
        decoys: image.decoys,
        noise: image.noise,
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
        // The reference profile states the numbering the embedded gateway serves to load runs
        // (50 million users); `serve` alone serves none until `--generate-users N`.
        assert_eq!(config.generated, GeneratedUsers::reference(50_000_000));
        let without_answers = |c: &GatewayConfig| {
            let mut c = c.clone();
            c.answers.clear();
            c.generated.count = 0;
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

    #[test]
    fn the_profile_s_captcha_image_is_the_gateway_s_style() {
        let mut profile = Profile::reference();
        profile.captcha_image = CaptchaImage {
            format: ImageFormat::Jpeg,
            shape: PieceShape::Round,
            x_from: crate::profile::XFrom::Piece,
            margin: 3,
            decoys: 1,
            noise: 7,
            ..CaptchaImage::default()
        };
        let style = config_for(&profile, GatewayConfig::default()).captcha_style;
        assert_eq!(
            style,
            Style {
                format: Format::Jpeg,
                shape: Shape::Round,
                x_from: XFrom::Piece,
                margin: 3,
                decoys: 1,
                noise: 7,
                ..Style::default()
            }
        );
    }
}
