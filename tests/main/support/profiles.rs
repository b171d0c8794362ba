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

/// How requests are read, the second code and the password's extra rules (`docs/choices.md`
/// C3, C6-C9, S1, S2, R4-R5). `forbid_reuse` is not drawn: the fuzz model resets to one fixed
/// valid password, so it does not predict a refused reuse.
#[derive(Debug, Clone)]
pub struct Requests {
    pub content_type: &'static str,
    pub float_integers: &'static str,
    pub null_fields: &'static str,
    pub max_body_bytes: u32,
    pub too_large: &'static str,
    pub duplicate_keys: &'static str,
    pub extra_client_type: Option<u8>,
    pub check_types: (&'static str, u8),
    /// A second code for `invalid_request` (a body that is not JSON), as nine digits.
    pub second_code: Option<u32>,
    pub user_name_reversed: bool,
    pub charset: &'static str,
}

pub fn requests() -> impl Strategy<Value = Requests> {
    let word = |words: &[&'static str]| prop::sample::select(words.to_vec());
    (
        (
            word(&["refused", "json", "unsupported"]),
            word(&["refused", "accepted"]),
            word(&["absent", "refused"]),
            prop::sample::select(vec![16_384u32, 65_536, 200_000]),
            word(&["invalid_request", "payload_too_large"]),
            word(&["refused", "last", "first"]),
        ),
        (
            prop::option::of(7u8..=99),
            prop::sample::select(vec![
                ("[0, 1]", 0u8),
                ("[0, 1]", 1),
                ("[1]", 1),
                ("[1, 2]", 2),
            ]),
            prop::option::of(290_000_000u32..=299_989_999),
            any::<bool>(),
            word(&["any", "ascii"]),
        ),
    )
        .prop_map(|(a, b)| Requests {
            content_type: a.0,
            float_integers: a.1,
            null_fields: a.2,
            max_body_bytes: a.3,
            too_large: a.4,
            duplicate_keys: a.5,
            extra_client_type: b.0,
            check_types: b.1,
            second_code: b.2,
            user_name_reversed: b.3,
            charset: b.4,
        })
}

fn requests_yaml(r: &Requests) -> String {
    let clients = match r.extra_client_type {
        Some(extra) => format!("[0, 5, 6, {extra}]"),
        None => "[0, 5, 6]".to_owned(),
    };
    format!(
        "requests: {{content_type: {}, float_integers: {}, null_fields: {}, max_body_bytes: {}, too_large: {}, duplicate_keys: {}, client_types: {clients}, check_types: {}, check_type_default: {}}}
",
        r.content_type, r.float_integers, r.null_fields, r.max_body_bytes, r.too_large, r.duplicate_keys, r.check_types.0, r.check_types.1,
    )
}

/// `captcha.image`: what the CAPTCHAs look like (`docs/choices.md` S5-S7).
#[derive(Debug, Clone)]
pub struct CaptchaImage {
    pub jpeg: bool,
    pub width: u32,
    pub height: u32,
    pub piece: (u32, u32),
    pub shape: &'static str,
    pub margin: u32,
    pub x_from_piece: bool,
    pub decoys: u32,
    pub noise: u32,
}

/// Styles whose piece, margin and decoys fit: the background is what they need plus some.
pub fn captcha_images() -> impl Strategy<Value = CaptchaImage> {
    (
        (any::<bool>(), 0u32..=160, 0u32..=80, 30u32..=70, 30u32..=70),
        (
            prop::sample::select(vec!["puzzle", "square", "round"]),
            0u32..=8,
        ),
        (
            any::<bool>(),
            0u32..=3,
            prop::sample::select(vec![0u32, 0, 6, 16]),
        ),
    )
        .prop_map(
            |((jpeg, wide, high, pw, ph), (shape, margin), (x_from_piece, decoys, noise))| {
                CaptchaImage {
                    jpeg,
                    width: ((decoys + 1) * pw + 2 * margin + wide).max(60),
                    height: (ph + 2 * margin + high).max(30),
                    piece: (pw, ph),
                    shape,
                    margin,
                    x_from_piece,
                    decoys,
                    noise,
                }
            },
        )
}

impl CaptchaImage {
    /// Its `image:` value, as a flow mapping.
    pub fn yaml(&self) -> String {
        format!(
            "{{format: {}, width: {}, height: {}, piece_width: {}, piece_height: {}, shape: {}, margin: {}, x_from: {}, decoys: {}, noise: {}}}",
            if self.jpeg { "jpeg" } else { "png" },
            self.width,
            self.height,
            self.piece.0,
            self.piece.1,
            self.shape,
            self.margin,
            if self.x_from_piece { "piece" } else { "image" },
            self.decoys,
            self.noise
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
    pub requests: Requests,
    /// Per failure kind but `internal`: status and the code's nine digits.
    pub answers: Vec<(u16, u32)>,
    pub image: CaptchaImage,
    /// `strict_errors`: the error body's exact shape and `X-Request-Id` (C4).
    pub strict_errors: bool,
    pub users: Generated,
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
        generated_users(),
        // The sections added since: one element, so the tuple stays within proptest's 12.
        (requests(), captcha_images(), prop::bool::weighted(0.7)),
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
                users,
                (requests, image, strict_errors),
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
                users,
                requests,
                image,
                strict_errors,
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
        .enumerate()
        // The kind's index in the last two digits: no two kinds share a code, even shrunk.
        .map(|(i, (kind, (status, digits)))| (kind, status, digits / 100 * 100 + i as u32))
        .map(|(kind, status, digits)| match c.requests.second_code {
            Some(second) if kind == "invalid_request" => format!(
                "  {kind}: {{status: {status}, code: USG.{digits:09}, codes: [USG.{second:09}]}}\n"
            ),
            _ => format!("  {kind}: {{status: {status}, code: USG.{digits:09}}}\n"),
        })
        .collect();
    let [t1, t2, code, t3] = c.lifetimes;
    let p = c.policy;
    format!(
        "name: generated\ntest_support: true\nstrict_errors: {}\nerrors:\n{errors}  internal: {{status: 500, code: USG.290000500}}\n\
         lifetimes: {{t1: {t1}s, t2: {t2}s, code: {code}s, t3: {t3}s}}\n\
         captcha: {{tolerance: {}, slide_time_min: {}, slide_time_max: {}, image: {}}}\n\
         code: {{attempts: {}, exceeded_on_last_attempt: {}, resend_interval: {}s, length: {}}}\n\
         burns: {{t1_on_mismatch: {}, t3_on_policy: {}, other_user: {}}}\n\
         password: {{min_length: {}, max_length: {}, min_classes: {}, max_run: {}, forbid_user_name: true, user_name_reversed: {}, charset: {}}}\n{}{}{}",
        c.strict_errors,
        // With 2 or 3 tries the first wrong answer does not use T1 up.
        c.tolerance, c.slide.0, c.slide.1, c.image.yaml(), c.attempts, c.exceeded_on_last_attempt, c.resend, c.code_length, c.burns.0 && c.tokens.t1_tries.is_none(), c.burns.1, c.burns.2,
        p.min_length, p.max_length, p.min_classes, p.max_run, c.requests.user_name_reversed, c.requests.charset,
        requests_yaml(&c.requests), c.users.yaml(), c.tokens.yaml(),
    )
}
