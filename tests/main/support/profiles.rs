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

/// A generated-user numbering (`users.generated`, docs/choices.md T5): user `i` is `prefix`,
/// `i` in `digits` digits, `suffix`.
#[derive(Debug, Clone)]
pub struct Generated {
    pub prefix: String,
    pub suffix: String,
    pub digits: u32,
    pub first: u64,
    pub count: u64,
    pub kind: &'static str,
    pub account: bool,
}

pub fn generated_users() -> impl Strategy<Value = Generated> {
    let shape = prop::sample::select(vec![
        ("+86", "", "phone"),
        ("+1555", "", "phone"),
        ("qa.", "@vendor.test", "email"),
        ("acct_", "", "account"),
    ]);
    (shape, 1u32..=18, any::<u64>(), any::<u64>(), any::<bool>()).prop_map(
        |((prefix, suffix, kind), digits, first, count, account)| {
            let space = 10u64.pow(digits);
            let first = first % space;
            Generated {
                prefix: prefix.into(),
                suffix: suffix.into(),
                digits,
                first,
                count: 1 + count % (space - first),
                kind,
                account,
            }
        },
    )
}

impl Generated {
    /// The `users:` section these choices make.
    pub fn yaml(&self) -> String {
        let account = if self.account {
            ", account: \"gen{n}x\""
        } else {
            ""
        };
        format!(
            "users:\n  generated: {{prefix: \"{}\", suffix: \"{}\", digits: {}, first: {}, count: {}, password: \"Gen#Pass2026\", kind: {}{account}}}\n",
            self.prefix, self.suffix, self.digits, self.first, self.count, self.kind
        )
    }
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
    pub users: Generated,
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
        policies(),
        answers,
        generated_users(),
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
                policy,
                answers,
                users,
            )| Choices {
                lifetimes,
                tolerance,
                slide,
                attempts,
                resend,
                code_length,
                burns: (burns.0, burns.1, burns.2),
                exceeded_on_last_attempt: burns.3,
                policy,
                answers,
                users,
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
        c.tolerance, c.slide.0, c.slide.1, c.attempts, c.exceeded_on_last_attempt, c.resend, c.code_length, c.burns.0, c.burns.1, c.burns.2,
        p.min_length, p.max_length, p.min_classes, p.max_run, c.users.yaml(),
    )
}
