//! Every choice the reference gateway makes where `api.md` is silent (`reference-gateway.md`),
//! with its default. Each is a field of the profile (`runner::embedded` sets them from one) and
//! most are flags of `gatecheck serve`.

use std::time::Duration;

use super::captcha::CaptchaStyle;
use super::failure::FailureKind;
use super::fault::FaultSet;
use super::password::PasswordPolicy;
use super::request::RequestPolicy;
use super::users::{GeneratedUsers, UserSpec};

/// The default cap of users made through test support: above the 1,000,000 a load run may
/// create (`runner::users::MAX_CREATED`), with room for the suite's and discover's own.
pub const MAX_TEST_USERS: usize = 1_100_000;

/// The default number of changed generated users remembered: above the 200,000 a load pool
/// keeps for reuse (`runner::pool::MAX_RECYCLED`) plus the users of the flows in flight.
pub const MAX_CHANGED_USERS: usize = 250_000;

/// What check_code for user B with user A's pending code does to A's code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OtherUserCode {
    /// Nothing: only B's own pending code (if any) counts the wrong check.
    Intact,
    /// One wrong check against A's code (burnt at the attempt limit).
    Counts,
    /// A's code is used up.
    UsedUp,
}

/// What one resend interval covers: sends for one user string, to one destination, or for
/// one account (whichever identity names it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResendScope {
    User,
    Destination,
    Account,
}

/// Which tokens a successful use consumes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SingleUse {
    pub t1: bool,
    pub t2: bool,
    pub code: bool,
    pub t3: bool,
}

#[derive(Debug, Clone)]
pub struct GatewayConfig {
    pub t1_lifetime: Duration,
    pub t2_lifetime: Duration,
    pub code_lifetime: Duration,
    pub t3_lifetime: Duration,
    /// How long the test-support outbox keeps the newest message to a user.
    pub outbox_lifetime: Duration,
    /// Largest accepted `|pointX - x|`, in px.
    pub captcha_tolerance: u32,
    pub slide_time_min_ms: i32,
    pub slide_time_max_ms: i32,
    /// Wrong checks a pending code survives; the next check after that many is refused.
    pub code_attempts: u32,
    /// The last wrong check the limit allows already answers `code_attempts_exceeded` (else
    /// `code_mismatch`, and the check after it is refused).
    pub exceeded_on_last_attempt: bool,
    pub code_digits: usize,
    /// Every code sent is this one (for harnesses without test support); random when None.
    pub fixed_code: Option<String>,
    pub resend_interval: Duration,
    /// Caps of the stores (oldest entry evicted first past the cap).
    pub max_captchas: usize,
    pub max_tokens: usize,
    pub max_codes: usize,
    /// CAPTCHAs kept ready, and how many times each is served before it is redrawn.
    pub captcha_pool: usize,
    pub captcha_reuse: u32,
    /// Most CPU the background renderer may use, as a share of one core.
    pub captcha_render_budget: f64,
    /// What the CAPTCHAs look like, and where their `pointX` is measured.
    pub captcha_style: CaptchaStyle,
    pub password_policy: PasswordPolicy,
    /// Wrong CAPTCHA answers one T1 takes before it is used up (None: unlimited).
    pub t1_tries: Option<u32>,
    /// T1 is bound to `clientType` and `checkType` as well as to the user.
    pub t1_bound_to_client: bool,
    /// A check_captcha whose fields fail validation uses up the live T1 it carries.
    pub t1_consumed_by_invalid_body: bool,
    /// A send_code refused for the resend interval uses its T2 up (else T2 stays usable).
    pub t2_consumed_by_too_frequent: bool,
    /// A new send starts the wrong-check count again (else the new code inherits the count of
    /// the live pending code it replaces).
    pub new_code_resets_counter: bool,
    /// What a code checked for another user does to its owner's pending code.
    pub other_user_code: OtherUserCode,
    /// send_captcha uses up the user's pending T1s (else a new T1 lives beside them).
    pub new_captcha_replaces: bool,
    /// A successful use consumes T1, T2, the code, T3 (else each is reusable until it
    /// expires; failed uses still burn it as the other choices say).
    pub single_use: SingleUse,
    /// What one resend interval covers.
    pub resend_scope: ResendScope,
    /// A new password the policy refuses uses T3 up (else T3 may be used again).
    pub burn_t3_on_policy: bool,
    /// A token presented for another user (or T1 for another client or check type) is used
    /// up (else its owner may still use it).
    pub burn_other_user: bool,
    /// Status and `error_code` of a failure kind, where they differ from the reference table.
    pub answers: Vec<(FailureKind, u16, String)>,
    /// A kind's second code, answered for its sub-case (`Failure::second_case`) when set.
    pub second_codes: Vec<(FailureKind, String)>,
    /// How requests are read: Content-Type, duplicates, floats, nulls, body cap, enums.
    pub requests: RequestPolicy,
    pub test_support: bool,
    /// When set, every test-support request must carry it in `X-Test-Support-Token`.
    pub test_support_token: Option<String>,
    /// Most users `POST /test/v1/users` may add (replacing one does not count); past it the
    /// endpoint answers `test_users_full`.
    pub max_test_users: usize,
    /// Most generated users whose changed password is remembered; past it the one changed
    /// longest ago is forgotten and refuses every login (it never gets its first password back).
    pub max_changed_users: usize,
    /// Error bodies exactly `{"error_code", "error_msg"}` with an `X-Request-Id`; off, a
    /// gateway that adds a `request_id` field to the body and sends no header (both legal
    /// under a profile's `strict_errors: false`).
    pub strict_errors: bool,
    pub faults: FaultSet,
    /// Users on top of the built-in ones.
    pub users: Vec<UserSpec>,
    /// Generated users (none unless `count` says how many), served without memory until a
    /// reset changes one.
    pub generated: GeneratedUsers,
}

impl Default for GatewayConfig {
    fn default() -> Self {
        Self {
            t1_lifetime: Duration::from_secs(60),
            t2_lifetime: Duration::from_secs(60),
            code_lifetime: Duration::from_secs(180),
            t3_lifetime: Duration::from_secs(180),
            outbox_lifetime: Duration::from_secs(3600),
            captcha_tolerance: 4,
            slide_time_min_ms: 100,
            slide_time_max_ms: 60_000,
            code_attempts: 5,
            exceeded_on_last_attempt: false,
            code_digits: 6,
            fixed_code: None,
            resend_interval: Duration::from_secs(60),
            max_captchas: 100_000,
            max_tokens: 100_000,
            max_codes: 100_000,
            captcha_pool: 64,
            captcha_reuse: 16,
            captcha_render_budget: 0.05,
            captcha_style: CaptchaStyle::default(),
            password_policy: PasswordPolicy::default(),
            t1_tries: Some(1),
            t1_bound_to_client: true,
            t1_consumed_by_invalid_body: false,
            t2_consumed_by_too_frequent: true,
            new_code_resets_counter: true,
            other_user_code: OtherUserCode::Intact,
            new_captcha_replaces: false,
            single_use: SingleUse {
                t1: true,
                t2: true,
                code: true,
                t3: true,
            },
            resend_scope: ResendScope::User,
            burn_t3_on_policy: true,
            burn_other_user: true,
            answers: Vec::new(),
            second_codes: Vec::new(),
            requests: RequestPolicy::default(),
            test_support: true,
            test_support_token: None,
            max_test_users: MAX_TEST_USERS,
            max_changed_users: MAX_CHANGED_USERS,
            strict_errors: true,
            faults: FaultSet::default(),
            users: Vec::new(),
            generated: GeneratedUsers::reference(0),
        }
    }
}
