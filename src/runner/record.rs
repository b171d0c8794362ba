//! The plain result records of a conformance run: what every report renders from. Serialised as
//! `results.json` (schema version in `SCHEMA_VERSION`; documented in `reports/README.md`).

use serde::{Deserialize, Serialize};

pub use super::outcome::{Check, Outcome, TransportFailure};
pub use super::picture::CaptchaPicture;

/// Bumped whenever a field changes meaning or disappears (2: a step's `outcome` and `transport`
/// replaced its `status` and `transport_error`; parallel `outcomes` and checks are typed. 3:
/// secrets are masked and long JSON strings cut in bodies, headers and messages, unless
/// `secrets_revealed`).
pub const SCHEMA_VERSION: u32 = 3;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct RunRecord {
    pub schema_version: u32,
    pub run_id: String,
    pub target: String,
    /// True when gatecheck started its embedded reference gateway.
    pub embedded_target: bool,
    /// True with `--reveal-secrets`: passwords, tokens and codes are shown as they are.
    #[serde(default)]
    pub secrets_revealed: bool,
    /// True when Ctrl-C or SIGTERM stopped the run: `scenarios` holds the ones that finished.
    #[serde(default)]
    pub interrupted: bool,
    /// How many selected scenarios did not finish (0 unless `interrupted`).
    #[serde(default)]
    pub not_run: usize,
    pub profile: String,
    pub started_at: String,
    pub duration_ms: u64,
    pub scenarios: Vec<ScenarioRecord>,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Passed,
    Failed,
    Skipped,
    /// The scenario could not run (no test users left, a template without a value, ...).
    Error,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ScenarioRecord {
    pub name: String,
    pub file: String,
    pub tags: Vec<String>,
    /// The catalogue entries and API rules it checks (its `covers:`), for the coverage matrix;
    /// left out of results.json when it has none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub covers: Vec<String>,
    pub verdict: Verdict,
    /// Why it was skipped or could not run.
    pub reason: Option<String>,
    /// What could not be had when it could not run.
    pub setup: Option<super::outcome::SetupKind>,
    pub duration_ms: u64,
    pub steps: Vec<StepRecord>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct StepRecord {
    pub name: String,
    pub line: usize,
    /// The (first) request sent; absent for waits.
    pub request: Option<RequestRecord>,
    pub response: Option<ResponseRecord>,
    /// What the shown (first) answer was; absent for waits and when no answer came.
    pub outcome: Option<Outcome>,
    /// The first request of the step that got no answer, if one did not.
    pub transport: Option<TransportFailure>,
    pub latency_ms: f64,
    /// For parallel steps: how many answers of each outcome.
    pub outcomes: Vec<(Outcome, u32)>,
    pub failures: Vec<FailureRecord>,
    /// A failing check_captcha step's images and figures, for `report.html`
    /// (`runner::picture`); not in results.json, so a re-rendered report has none.
    #[serde(skip)]
    pub captcha: Option<CaptchaPicture>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct RequestRecord {
    pub method: String,
    pub url: String,
    pub headers: Vec<(String, String)>,
    /// The body as text (lossy UTF-8), secrets masked, long JSON strings cut, then cut at
    /// `BODY_SHOWN` bytes (`runner::redaction`).
    pub body: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ResponseRecord {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
    pub body_bytes: usize,
}

/// A failed expectation: what was checked, expected and seen, and where in the YAML.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct FailureRecord {
    pub check: Check,
    pub expected: String,
    pub actual: String,
    pub line: usize,
    pub column: usize,
}

/// How much of a body a record keeps.
pub const BODY_SHOWN: usize = 2048;

/// How much of a failed expectation's expected and actual values a record keeps: the answer's
/// body is kept beside them, and a check on the whole body would otherwise repeat it (against a
/// target whose every answer was new, that repetition was 69 KB of a 258 KB results.json).
pub const CHECK_SHOWN: usize = 512;

impl StepRecord {
    pub fn new(name: &str, line: usize) -> Self {
        Self {
            name: name.to_owned(),
            line,
            request: None,
            response: None,
            outcome: None,
            transport: None,
            latency_ms: 0.0,
            outcomes: Vec::new(),
            failures: Vec::new(),
            captcha: None,
        }
    }

    pub fn status(&self) -> Option<u16> {
        self.outcome.as_ref().and_then(Outcome::status)
    }

    /// The message of a transport failure, if the step met one.
    pub fn transport_error(&self) -> Option<&str> {
        self.transport.as_ref().map(|t| t.message.as_str())
    }

    /// `3 success, 1 t2_invalid` for a parallel step.
    pub fn outcome_counts(&self) -> String {
        self.outcomes
            .iter()
            .map(|(outcome, n)| format!("{n} {}", outcome.label()))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl RunRecord {
    /// What an interrupted run's reports say first.
    pub fn interruption(&self) -> Option<String> {
        self.interrupted.then(|| {
            let noun = if self.not_run == 1 { "scenario" } else { "scenarios" };
            format!(
                "INTERRUPTED: {} selected {noun} did not finish; these results cover the {} that did",
                self.not_run,
                self.scenarios.len()
            )
        })
    }

    pub fn count(&self, verdict: Verdict) -> usize {
        self.scenarios
            .iter()
            .filter(|s| s.verdict == verdict)
            .count()
    }

    /// No failure, no error, and every selected scenario finished.
    pub fn passed(&self) -> bool {
        self.count(Verdict::Failed) == 0 && self.count(Verdict::Error) == 0 && !self.interrupted
    }
}

/// Keeps at most `BODY_SHOWN` bytes of text, cut at a character boundary.
pub fn shown(text: &str) -> String {
    shown_within(text, BODY_SHOWN)
}

/// `text` cut at `limit` bytes (on a character boundary), saying how long it was.
pub fn shown_within(text: &str, limit: usize) -> String {
    if text.len() <= limit {
        text.to_owned()
    } else {
        format!(
            "{}... ({} bytes)",
            &text[..text.floor_char_boundary(limit)],
            text.len()
        )
    }
}
