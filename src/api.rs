//! The password-reset API as both sides see it: the six operations, their methods and paths.
//! Shared by the reference gateway and the client side so a path is written down once.

use axum::http::Method;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operation {
    SendCaptcha,
    CheckCaptcha,
    SendCode,
    CheckCode,
    ResetPassword,
    Login,
}

impl Operation {
    pub const ALL: [Operation; 6] = [
        Operation::SendCaptcha,
        Operation::CheckCaptcha,
        Operation::SendCode,
        Operation::CheckCode,
        Operation::ResetPassword,
        Operation::Login,
    ];

    /// The name scenarios and flags use.
    pub fn name(self) -> &'static str {
        match self {
            Operation::SendCaptcha => "send_captcha",
            Operation::CheckCaptcha => "check_captcha",
            Operation::SendCode => "send_code",
            Operation::CheckCode => "check_code",
            Operation::ResetPassword => "reset_password",
            Operation::Login => "login",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|op| op.name() == name)
    }

    pub fn method(self) -> Method {
        match self {
            Operation::SendCaptcha | Operation::SendCode | Operation::Login => Method::POST,
            Operation::CheckCaptcha | Operation::CheckCode | Operation::ResetPassword => {
                Method::PUT
            }
        }
    }

    pub fn path(self) -> &'static str {
        match self {
            Operation::SendCaptcha => "/v1/usg/acs/auth/slideverifycode/send",
            Operation::CheckCaptcha => "/v1/usg/acs/auth/slideverifycode/check",
            Operation::SendCode => "/v1/usg/acs/verifycode/send",
            Operation::CheckCode => "/v1/usg/acs/verifycode/check",
            Operation::ResetPassword => "/v1/usg/acs/password/reset",
            Operation::Login => "/v1/usg/acs/auth/account",
        }
    }
}

/// Test-support paths (the oracle contract of `reference-gateway.md`).
pub mod test_support {
    /// Every test-support path starts so.
    pub const PREFIX: &str = "/test/v1/";
    pub const CAPTCHA_PREFIX: &str = "/test/v1/captcha/";
    pub const OUTBOX_LATEST: &str = "/test/v1/outbox/latest";
    pub const CLOCK_ADVANCE: &str = "/test/v1/clock/advance";
    pub const USERS: &str = "/test/v1/users";
    /// The header a gateway set to a test-support token requires on every test-support call.
    pub const TOKEN_HEADER: &str = "X-Test-Support-Token";
}
