//! Generated profiles: a strategy over the choice space (`docs/choices.md`) and the YAML file a
//! user would write for each, shared by the choice-space sweep and `discover`'s round trip.

use proptest::prelude::*;

#[derive(Debug, Clone, Copy)]
pub struct Policy {
    pub min_length: usize,
    pub max_length: usize,
    pub min_classes: usize,
    pub max_run: usize,
}

pub fn policies() -> impl Strategy<Value = Policy> {
    (
        6usize..=12,
        prop::sample::select(vec![24usize, 32, 64]),
        1usize..=4,
        1usize..=5,
    )
        .prop_map(|(min_length, max_length, min_classes, max_run)| Policy {
            min_length,
            max_length,
            min_classes,
            max_run,
        })
}

/// A profile's choices, generated: what `profile_yaml` writes.
#[derive(Debug, Clone)]
pub struct Choices {
    pub lifetimes: [u64; 4],
    pub tolerance: u32,
    pub slide: (u32, u32),
    pub attempts: u32,
    pub resend: u64,
    pub code_length: u32,
    pub burns: (bool, bool, bool),
    pub exceeded_on_last_attempt: bool,
    pub policy: Policy,
    /// Per failure kind but `internal`: status and the code's nine digits.
    pub answers: Vec<(u16, u32)>,
    pub tokens: TokenChoices,
}

/// The `tokens:` section (`docs/choices.md` K4, K6, K7, D5, D8, V5, S10).
#[derive(Debug, Clone)]
pub struct TokenChoices {
    /// `None`: left out (then `burns.t1_on_mismatch` says 1 or unlimited); else 2 or 3 tries.
    pub t1_tries: Option<u32>,
    pub t1_bound_to_client: bool,
    pub t1_consumed_by_invalid_body: bool,
    pub t2_consumed_by_too_frequent: bool,
    pub new_code_resets_counter: bool,
    pub other_user_code: &'static str,
    pub new_captcha_replaces: bool,
    /// T1, T2, the code, T3: a success uses it up (else reusable until it expires).
    pub single_use: [bool; 4],
    pub resend_scope: &'static str,
}

pub fn token_choices() -> impl Strategy<Value = TokenChoices> {
    let tries = prop_oneof![2 => Just(None), 1 => Just(Some(2)), 1 => Just(Some(3))];
    let other = prop::sample::select(vec!["intact", "counts", "used_up"]);
    let single = || prop::bool::weighted(0.75);
    let single_use = [single(), single(), single(), single()];
    let scope = prop::sample::select(vec!["user", "destination", "account"]);
    (tries, any::<[bool; 5]>(), (other, single_use, scope)).prop_map(
        |(t1_tries, b, (other_user_code, single_use, resend_scope))| TokenChoices {
            t1_tries,
            t1_bound_to_client: b[0],
            t1_consumed_by_invalid_body: b[1],
            t2_consumed_by_too_frequent: b[2],
            new_code_resets_counter: b[3],
            other_user_code,
            new_captcha_replaces: b[4],
            single_use,
            resend_scope,
        },
    )
}

impl TokenChoices {
    fn yaml(&self) -> String {
        let tries = self
            .t1_tries
            .map_or(String::new(), |n| format!("t1_tries: {n}, "));
        format!(
            "tokens: {{{tries}t1_bound_to_client: {}, t1_consumed_by_invalid_body: {}, \
             t2_consumed_by_too_frequent: {}, new_code_resets_counter: {}, other_user_code: {}, \
             new_captcha_replaces: {}, t1_single_use: {}, t2_single_use: {}, code_single_use: {}, \
             t3_single_use: {}, resend_scope: {}}}\n",
            self.t1_bound_to_client,
            self.t1_consumed_by_invalid_body,
            self.t2_consumed_by_too_frequent,
            self.new_code_resets_counter,
            self.other_user_code,
            self.new_captcha_replaces,
            self.single_use[0],
            self.single_use[1],
            self.single_use[2],
            self.single_use[3],
            self.resend_scope,
        )
    }
}

/// The failure kinds a profile maps, but `internal` (kept at 500: it must never happen).
pub fn kinds() -> impl Iterator<Item = &'static str> {
    gatecheck::profile::KINDS
        .iter()
        .copied()
        .filter(|k| *k != "internal")
}

pub fn choices() -> impl Strategy<Value = Choices> {
    let lifetimes =
        (10u64..=300, 10u64..=300, 30u64..=600, 30u64..=600).prop_map(|(a, b, c, d)| [a, b, c, d]);
    let slide = (0u32..=500, 1_000u32..=120_000);
    // Codes stay clear of the `wrong-error-codes` switch's USG.29999....
    let answers = prop::collection::vec(
        (
            prop::sample::select(vec![400u16, 401, 403, 409, 429]),
            100_000_000u32..=289_999_999,
        ),
        kinds().count(),
    );
    (
        lifetimes,
        0u32..=10,
        slide,
        1u32..=8,
        1u64..=300,
        4u32..=8,
        any::<(bool, bool, bool, bool)>(),
        (policies(), token_choices()),
        answers,
    )
        .prop_map(
            |(
                lifetimes,
                tolerance,
                slide,
                attempts,
                resend,
                code_length,
                burns,
                (policy, tokens),
                answers,
            )| Choices {
                lifetimes,
                tolerance,
                slide,
                attempts,
                resend,
                burns: (burns.0, burns.1, burns.2),
                exceeded_on_last_attempt: burns.3,
                policy,
                answers,
                // Another user's code touches the owner's only where codes cannot collide:
                // the whole suite shares one gateway, and a wrong code that happens to be
                // another scenario's live one would count against it.
                code_length: if tokens.other_user_code == "intact" {
                    code_length
                } else {
                    8
                },
                tokens,
            },
        )
}

/// The profile these choices make, as a file a user would write.
pub fn profile_yaml(c: &Choices) -> String {
    let errors: String = kinds()
        .zip(&c.answers)
        .map(|(kind, (status, digits))| {
            format!("  {kind}: {{status: {status}, code: USG.{digits:09}}}\n")
        })
        .collect();
    let [t1, t2, code, t3] = c.lifetimes;
    let p = c.policy;
    format!(
        "name: generated\ntest_support: true\nerrors:\n{errors}  internal: {{status: 500, code: USG.290000500}}\n\
         lifetimes: {{t1: {t1}s, t2: {t2}s, code: {code}s, t3: {t3}s}}\n\
         captcha: {{tolerance: {}, slide_time_min: {}, slide_time_max: {}}}\n\
         code: {{attempts: {}, exceeded_on_last_attempt: {}, resend_interval: {}s, length: {}}}\n\
         burns: {{t1_on_mismatch: {}, t3_on_policy: {}, other_user: {}}}\n\
         password: {{min_length: {}, max_length: {}, min_classes: {}, max_run: {}, forbid_user_name: true}}\n{}",
        // With 2 or 3 tries the first wrong answer does not use T1 up.
        c.tolerance, c.slide.0, c.slide.1, c.attempts, c.exceeded_on_last_attempt, c.resend, c.code_length, c.burns.0 && c.tokens.t1_tries.is_none(), c.burns.1, c.burns.2,
        p.min_length, p.max_length, p.min_classes, p.max_run, c.tokens.yaml(),
    )
}
