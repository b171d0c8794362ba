//! What a step yields, as typed values made once where the answer is read: the answer's
//! outcome (a success, a refusal with the profile's failure kind, or a transport failure with
//! its kind), each failed expectation with a typed check and its place in the YAML, and why a
//! step could not run at all. Reports render these; load and fuzz match on them and never
//! re-read text.

use serde::{Deserialize, Serialize};

use crate::profile::Profile;
use crate::runner::target::{Answer, TransportError};
pub use crate::transport::TransportKind;

/// What one answer (or its absence) was.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Outcome {
    /// A 2xx answer.
    Success { status: u16 },
    /// Any other answer: `kind` is the profile's failure kind of its status and `error_code`,
    /// when the profile knows the pair.
    Refused {
        status: u16,
        kind: Option<String>,
        code: Option<String>,
    },
    /// No HTTP answer.
    Transport(TransportFailure),
}

/// Why a request got no answer: its kind and the message to show.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct TransportFailure {
    pub kind: TransportKind,
    pub message: String,
}

impl TransportFailure {
    /// `transport (timeout)`: the name a load run counts it by.
    pub fn failure_name(&self) -> String {
        format!("transport ({})", self.kind.name())
    }
}

impl From<&TransportError> for TransportFailure {
    fn from(error: &TransportError) -> Self {
        Self {
            kind: error.kind,
            message: error.message.clone(),
        }
    }
}

impl Outcome {
    /// Reads an answer once: its status and, for a refusal, its code and the profile's kind.
    pub fn of(answer: &Answer, profile: &Profile) -> Self {
        if (200..300).contains(&answer.status) {
            return Outcome::Success {
                status: answer.status,
            };
        }
        let code = answer.top_fields().and_then(|f| f.error_code.clone());
        let kind = code
            .as_deref()
            .and_then(|code| profile.kind_of(answer.status, code))
            .map(str::to_owned);
        Outcome::Refused {
            status: answer.status,
            kind,
            code,
        }
    }

    pub fn of_result(result: &Result<Answer, TransportError>, profile: &Profile) -> Self {
        match result {
            Ok(answer) => Outcome::of(answer, profile),
            Err(error) => Outcome::Transport(error.into()),
        }
    }

    pub fn status(&self) -> Option<u16> {
        match self {
            Outcome::Success { status } | Outcome::Refused { status, .. } => Some(*status),
            Outcome::Transport(_) => None,
        }
    }

    /// How a scenario names it in `expect.outcomes`: `success`, a failure kind, or (for what
    /// the profile does not know) the status and code.
    pub fn label(&self) -> String {
        match self {
            Outcome::Success { .. } => "success".into(),
            Outcome::Refused {
                kind: Some(kind), ..
            } => kind.clone(),
            Outcome::Refused {
                status, code: None, ..
            } => status.to_string(),
            Outcome::Refused {
                status,
                code: Some(code),
                ..
            } => format!("{status} {code}"),
            Outcome::Transport(failure) => format!("transport error ({})", failure.kind.name()),
        }
    }

    /// The failure's name as a load run counts it: a profile kind or a status for an error
    /// answer (4xx, 5xx), a transport kind. Never a value the target chose, so the number of
    /// names stays small. None for a success or another answer (a 3xx is judged by its checks).
    pub fn failure_name(&self) -> Option<String> {
        match self {
            Outcome::Refused {
                kind: Some(kind),
                status: 400..,
                ..
            } => Some(kind.clone()),
            Outcome::Refused {
                status: status @ 400..,
                ..
            } => Some(format!("status {status}")),
            Outcome::Success { .. } | Outcome::Refused { .. } => None,
            Outcome::Transport(failure) => Some(failure.failure_name()),
        }
    }
}

/// What an expectation looked at. In results.json: `"status"`, `{"body": "$.token"}`, ...
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Check {
    /// The answer's status.
    Status,
    /// The `error_code` of an expected failure kind.
    ErrorCode,
    /// `strict_errors`: the error body's shape.
    ErrorBody,
    /// `strict_errors`: an error answer's `X-Request-Id`.
    RequestId,
    /// A body value, by its path as the scenario wrote it.
    Body(String),
    /// A header, by name.
    Header(String),
    /// A `capture` that found nothing.
    Capture(String),
    /// `max_latency`.
    Latency,
    /// The outcome counts of a parallel step.
    Outcomes,
    /// An answer at all.
    Transport,
}

impl Check {
    /// The label shown in reports: `status`, `body $.token`, `header x-request-id`, ...
    pub fn label(&self) -> String {
        match self {
            Check::Status => "status".into(),
            Check::ErrorCode => "error_code".into(),
            Check::ErrorBody => "error body".into(),
            Check::RequestId => "header x-request-id".into(),
            Check::Body(path) => format!("body {path}"),
            Check::Header(name) => format!("header {name}"),
            Check::Capture(name) => format!("capture `{name}`"),
            Check::Latency => "latency".into(),
            Check::Outcomes => "outcomes".into(),
            Check::Transport => "transport".into(),
        }
    }

    /// Whether it judges which failure kind came (status or code), not the answer's details.
    pub fn judges_kind(&self) -> bool {
        matches!(self, Check::Status | Check::ErrorCode)
    }
}

impl std::fmt::Display for Check {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.label())
    }
}

/// Why a step could not run (not the target's answer: that is an `Outcome`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct StepError {
    pub kind: SetupKind,
    pub message: String,
}

/// The kinds of `StepError`, named without per-flow values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SetupKind {
    /// A template without a value, or a value that cannot go where it was put.
    Template,
    /// A raw request that is not one (an unknown method).
    Request,
    /// The CAPTCHA oracle gave no answer.
    CaptchaOracle,
    /// The code oracle gave no code.
    CodeOracle,
    /// The target's clock could not be moved.
    Clock,
    /// No test user could be had.
    Users,
    /// The profile lacks what the step needs.
    Profile,
}

impl SetupKind {
    pub fn name(self) -> &'static str {
        match self {
            SetupKind::Template => "template",
            SetupKind::Request => "request",
            SetupKind::CaptchaOracle => "captcha oracle",
            SetupKind::CodeOracle => "code oracle",
            SetupKind::Clock => "clock",
            SetupKind::Users => "users",
            SetupKind::Profile => "profile",
        }
    }
}

impl StepError {
    pub fn new(kind: SetupKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
        }
    }

    /// A closure for `map_err` that files a message under `kind`.
    pub fn of(kind: SetupKind) -> impl Fn(String) -> StepError {
        move |message| StepError::new(kind, message)
    }

    /// The name a load run counts it by.
    pub fn failure_name(&self) -> String {
        format!("setup ({})", self.kind.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks_are_typed_in_json() {
        let checks = [
            Check::Status,
            Check::RequestId,
            Check::Header("x-request-id".into()),
            Check::Body("$.token".into()),
            Check::Capture("t1".into()),
        ];
        let json = serde_json::to_string(&checks).expect("json");
        assert_eq!(
            json,
            r#"["status","request_id",{"header":"x-request-id"},{"body":"$.token"},{"capture":"t1"}]"#
        );
        let back: Vec<Check> = serde_json::from_str(&json).expect("back");
        assert_eq!(back, checks);
        assert_eq!(
            Check::Header("x-request-id".into()).label(),
            "header x-request-id"
        );
    }

    #[test]
    fn failure_names_carry_no_target_values() {
        let unknown = Outcome::Refused {
            status: 400,
            kind: None,
            code: Some("USG.123456789-unique".into()),
        };
        assert_eq!(unknown.failure_name().as_deref(), Some("status 400"));
        let transport = Outcome::Transport(TransportFailure {
            kind: TransportKind::Timeout,
            message: "timed out after 10s for +8613500000001".into(),
        });
        assert_eq!(
            transport.failure_name().as_deref(),
            Some("transport (timeout)")
        );
    }
}
