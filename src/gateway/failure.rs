//! The failure kinds of the reference profile: for each, the HTTP status, the `error_code`, and
//! the `error_msg` in both languages the API speaks. One table, so a kind cannot drift apart
//! from its code.

use axum::http::StatusCode;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FailureKind {
    InvalidRequest,
    CaptchaTokenInvalid,
    CaptchaMismatch,
    AccessTokenInvalid,
    SendTooFrequent,
    CodeMismatch,
    CodeAttemptsExceeded,
    ResetTokenInvalid,
    PasswordPolicy,
    LoginFailed,
    /// The public "user does not exist" answer; only the `reveal-unknown-users` fault gives it.
    UserNotFound,
    /// Test-support lookups of something that is not there, and unknown paths.
    NotFound,
    MethodNotAllowed,
    /// A `Content-Type` the gateway does not read, where it answers 415 (profile choice C6).
    UnsupportedMediaType,
    /// A body past the cap, where it answers 413 (profile choice C9).
    PayloadTooLarge,
    /// A test-support request without the right `X-Test-Support-Token`.
    TestSupportUnauthorized,
    /// `POST /test/v1/users` past the test-support user store's cap.
    TestUsersFull,
    Internal,
}

/// Status, code and messages of one kind.
pub struct KindInfo {
    pub name: &'static str,
    pub status: u16,
    pub code: &'static str,
    pub en: &'static str,
    pub zh: &'static str,
}

impl FailureKind {
    pub const ALL: [FailureKind; 18] = [
        FailureKind::InvalidRequest,
        FailureKind::CaptchaTokenInvalid,
        FailureKind::CaptchaMismatch,
        FailureKind::AccessTokenInvalid,
        FailureKind::SendTooFrequent,
        FailureKind::CodeMismatch,
        FailureKind::CodeAttemptsExceeded,
        FailureKind::ResetTokenInvalid,
        FailureKind::PasswordPolicy,
        FailureKind::LoginFailed,
        FailureKind::UserNotFound,
        FailureKind::NotFound,
        FailureKind::MethodNotAllowed,
        FailureKind::UnsupportedMediaType,
        FailureKind::PayloadTooLarge,
        FailureKind::TestSupportUnauthorized,
        FailureKind::TestUsersFull,
        FailureKind::Internal,
    ];

    pub fn info(self) -> KindInfo {
        use FailureKind::*;
        let (name, status, code, en, zh) = match self {
            InvalidRequest => (
                "invalid_request",
                400,
                "USG.290000400",
                "The request parameters are invalid",
                "请求参数错误",
            ),
            CaptchaTokenInvalid => (
                "captcha_token_invalid",
                401,
                "USG.290010401",
                "The CAPTCHA token is invalid or has expired",
                "滑块验证码令牌无效或已过期",
            ),
            CaptchaMismatch => (
                "captcha_mismatch",
                400,
                "USG.290010400",
                "The CAPTCHA check failed",
                "滑块验证失败",
            ),
            AccessTokenInvalid => (
                "access_token_invalid",
                401,
                "USG.290020401",
                "The verification token is invalid or has expired",
                "验证令牌无效或已过期",
            ),
            SendTooFrequent => (
                "send_too_frequent",
                403,
                "USG.290020403",
                "Verification codes are sent too frequently, try again later",
                "验证码发送过于频繁，请稍后再试",
            ),
            CodeMismatch => (
                "code_mismatch",
                400,
                "USG.290030400",
                "The verification code is wrong or has expired",
                "验证码错误或已过期",
            ),
            CodeAttemptsExceeded => (
                "code_attempts_exceeded",
                403,
                "USG.290030403",
                "Too many wrong verification codes, request a new one",
                "验证码错误次数过多，请重新获取",
            ),
            ResetTokenInvalid => (
                "reset_token_invalid",
                401,
                "USG.290040401",
                "The reset token is invalid or has expired",
                "重置令牌无效或已过期",
            ),
            PasswordPolicy => (
                "password_policy",
                400,
                "USG.290040400",
                "The new password does not meet the password policy",
                "新密码不符合密码策略",
            ),
            LoginFailed => (
                "login_failed",
                401,
                "USG.206010000",
                "The account or password is wrong",
                "账号或密码错误",
            ),
            UserNotFound => (
                "user_not_found",
                400,
                "USG.201040000",
                "The user does not exist",
                "用户不存在",
            ),
            NotFound => ("not_found", 404, "USG.290000404", "Not found", "资源不存在"),
            MethodNotAllowed => (
                "method_not_allowed",
                405,
                "USG.290000405",
                "Method not allowed",
                "不支持的请求方法",
            ),
            UnsupportedMediaType => (
                "unsupported_media_type",
                415,
                "USG.290000415",
                "The Content-Type is not supported, send application/json",
                "不支持的 Content-Type，请使用 application/json",
            ),
            PayloadTooLarge => (
                "payload_too_large",
                413,
                "USG.290000413",
                "The request body is too large",
                "请求体过大",
            ),
            TestSupportUnauthorized => (
                "test_support_unauthorized",
                401,
                "USG.290000401",
                "The X-Test-Support-Token header is missing or wrong",
                "X-Test-Support-Token 请求头缺失或错误",
            ),
            TestUsersFull => (
                "test_users_full",
                507,
                "USG.290000507",
                "The test-support user store is full",
                "测试用户数量已达上限",
            ),
            Internal => (
                "internal",
                500,
                "USG.290000500",
                "Internal server error",
                "服务器内部错误",
            ),
        };
        KindInfo {
            name,
            status,
            code,
            en,
            zh,
        }
    }

    pub fn status(self) -> StatusCode {
        StatusCode::from_u16(self.info().status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    pub fn code(self) -> &'static str {
        self.info().code
    }

    pub fn name(self) -> &'static str {
        self.info().name
    }
}

/// A failed call: its kind and, for `invalid_request`, which field and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub kind: FailureKind,
    pub detail: Option<String>,
    /// The sub-case a gateway may answer with its kind's second code (C3): for
    /// `invalid_request`, a body that is not JSON at all, told apart from a wrong field.
    pub second_case: bool,
}

impl Failure {
    pub fn invalid(detail: impl Into<String>) -> Self {
        Self {
            kind: FailureKind::InvalidRequest,
            detail: Some(detail.into()),
            second_case: false,
        }
    }

    /// The same failure, as the sub-case a second code may name.
    pub fn second_case(self) -> Self {
        Self {
            second_case: true,
            ..self
        }
    }
}

impl From<FailureKind> for Failure {
    fn from(kind: FailureKind) -> Self {
        Self {
            kind,
            detail: None,
            second_case: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn every_kind_has_a_distinct_well_formed_code() {
        let mut codes = HashSet::new();
        for kind in FailureKind::ALL {
            let code = kind.code();
            assert!(codes.insert(code), "{code} used twice");
            let digits = code.strip_prefix("USG.").expect("USG. prefix");
            assert_eq!(digits.len(), 9);
            assert!(digits.bytes().all(|b| b.is_ascii_digit()));
            assert_eq!(kind.status().as_u16(), kind.info().status);
        }
    }
}
