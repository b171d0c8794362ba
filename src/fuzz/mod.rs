//! `gatecheck fuzz`: stateful property-based testing of a gateway. proptest generates sequences
//! of operations (`ops`): valid calls, mutated requests, tokens of other users and steps,
//! replays, clock moves, and pairs sent at once. The model (`model`) turns each sequence into a
//! scenario whose every step expects what a correct gateway must answer; the conformance runner
//! sends and judges it. A case that fails is a finding: proptest shrinks it (each smaller case
//! replayed against the target) and the smallest is written as a runnable scenario.
//!
//! Here: a case (planned, rendered, run) and what its failure is as a finding. The loop of
//! rounds, shrinking and `keep_going` is `run`; progress and the files written, `report`;
//! the run's `report.html`, `html`.

pub mod html;
pub mod model;
pub mod ops;
pub mod report;
mod run;

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Serialize;

use crate::profile::Profile;
use crate::runner::outcome::Outcome;
use crate::runner::record::{ScenarioRecord, StepRecord, Verdict};
use crate::runner::Session;
use model::{Exercised, Expected, Model, PlannedStep};
pub use run::fuzz;

#[derive(Debug, Clone)]
pub struct FuzzOptions {
    pub cases: u32,
    pub seed: u64,
    pub time_limit: Option<Duration>,
    /// Longest sequence of operations in a case.
    pub max_ops: usize,
    pub max_shrink_iters: u32,
    /// After a finding, go on looking for findings unlike it.
    pub keep_going: bool,
}

/// What kind of wrong a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingKind {
    /// A 5xx answer.
    ServerError,
    /// A success where a correct gateway must refuse.
    Security,
    /// A refusal where a correct gateway must succeed.
    Availability,
    /// Refused, but with another failure kind than the right one.
    WrongFailureKind,
    /// Concurrent requests answered in a way no order of them explains.
    Concurrency,
    /// An answer of the right kind but the wrong shape (error body, headers, leaked fields).
    MalformedAnswer,
    /// No HTTP answer (reset, timeout, garbage).
    Transport,
    /// The case could not run (an oracle failed, the target refused a test user).
    CouldNotRun,
}

impl FindingKind {
    pub fn name(self) -> &'static str {
        match self {
            FindingKind::ServerError => "server_error",
            FindingKind::Security => "security",
            FindingKind::Availability => "availability",
            FindingKind::WrongFailureKind => "wrong_failure_kind",
            FindingKind::Concurrency => "concurrency",
            FindingKind::MalformedAnswer => "malformed_answer",
            FindingKind::Transport => "transport",
            FindingKind::CouldNotRun => "could_not_run",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    pub kind: FindingKind,
    /// The failing step's line in the repro scenario, and its call.
    pub line: usize,
    pub step: String,
    /// The call of the failing step (empty when the case did not run).
    pub call: String,
    pub expected: String,
    pub actual: String,
    /// Every failed check of the step, as the runner reports them.
    pub checks: Vec<String>,
    /// Operations in the shrunk case, and shrink runs it took to get there.
    pub ops: usize,
    pub shrink_runs: u32,
    /// The runnable scenario that shows it.
    pub repro: String,
    /// The shrunk case's steps as its last run recorded them (redacted), and why it stopped
    /// if a step could not run: what `report.html` draws. Not in fuzz.json (the repro is).
    #[serde(skip)]
    pub steps: Vec<StepRecord>,
    #[serde(skip)]
    pub setup_error: Option<String>,
}

impl Finding {
    /// The file its repro is written to under `repro/`, `1-security.yaml` for the first.
    pub fn repro_name(&self, n: usize) -> String {
        format!("{}-{}.yaml", n + 1, self.kind.name())
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct FuzzOutcome {
    pub seed: u64,
    pub cases_run: u64,
    pub requested_cases: u32,
    pub target: String,
    pub elapsed_s: f64,
    pub interrupted: bool,
    pub time_limited: bool,
    /// Clock moves were left out: the target's clock cannot be advanced.
    pub without_waits: bool,
    /// Answers the cases without a finding got, by call and outcome: how much of the model
    /// the run exercised. In fuzz.json, keyed `check_code code_mismatch`.
    #[serde(serialize_with = "by_name")]
    pub coverage: BTreeMap<Exercised, u64>,
    /// With `keep_going`: cases that failed like a finding already made (not shrunk again).
    pub repeated: u64,
    pub findings: Vec<Finding>,
    /// True with `--reveal-secrets`: findings show passwords, tokens and codes as they are.
    pub secrets_revealed: bool,
}

fn by_name<S: serde::Serializer>(
    coverage: &BTreeMap<Exercised, u64>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.collect_map(coverage.iter().map(|(key, n)| (key.to_string(), n)))
}

/// A case planned and rendered: its steps and its scenario text.
pub struct Case {
    pub steps: Vec<PlannedStep>,
    pub yaml: String,
    /// The line each step starts at in `yaml`.
    pub lines: Vec<usize>,
}

/// The header of a repro: how it was found and how to run it.
fn header(seed: u64, kind: Option<&str>) -> String {
    let mut text = match kind {
        Some(kind) => format!("gatecheck fuzz finding: {kind}, seed {seed}\n"),
        None => format!("gatecheck fuzz case, seed {seed}\n"),
    };
    text.push_str(
        "Run it: gatecheck run THIS_FILE --target URL (it passes on a correct gateway).\n",
    );
    text.push_str("Keep it: move it into scenarios/ and give it a name that says what it proves.");
    text
}

pub fn render_case(profile: &Profile, ops: &[ops::Op], seed: u64, kind: Option<&str>) -> Case {
    let steps = Model::new(profile).plan(ops);
    let header = header(seed, kind);
    let name = match kind {
        Some(kind) => format!("fuzz finding ({kind}), seed {seed}"),
        None => format!("fuzz case, seed {seed}"),
    };
    let yaml = model::scenario_yaml(&name, &header, &steps);
    // Steps start after the header comments and the four lines of name, tags, users, steps.
    let mut line = header.lines().count() + 5;
    let mut lines = Vec::with_capacity(steps.len());
    for step in &steps {
        lines.push(line);
        line += step.yaml.lines().count();
    }
    Case { steps, yaml, lines }
}

/// Runs one case; a finding if the target's answers differ from the model's.
pub async fn run_case(session: &Session, profile: &Profile, case: &Case) -> Option<Finding> {
    // Every operation was one the profile gives nothing to check (`Model::can_plan`).
    if case.steps.is_empty() {
        return None;
    }
    let scenario = match crate::scenario::decode_scenario("fuzz-case.yaml", &case.yaml, profile) {
        Ok(scenario) => scenario,
        Err(errors) => {
            // A generated case that does not load is gatecheck's bug, shown as such.
            return Some(Finding {
                kind: FindingKind::CouldNotRun,
                line: 0,
                step: "the generated scenario".into(),
                call: String::new(),
                expected: "a valid scenario".into(),
                actual: errors.to_string(),
                checks: Vec::new(),
                ops: case.steps.len(),
                shrink_runs: 0,
                repro: case.yaml.clone(),
                steps: Vec::new(),
                setup_error: None,
            });
        }
    };
    let record = session.run(&scenario).await;
    classify(&record, case)
}

fn classify(record: &ScenarioRecord, case: &Case) -> Option<Finding> {
    let planned = |line: usize| {
        case.lines
            .iter()
            .position(|l| *l == line)
            .and_then(|i| case.steps.get(i))
    };
    let finding = |kind, line, step: String, expected: String, actual: String, checks| Finding {
        kind,
        line,
        // A case that could not run names no call: which step it stopped at is not known.
        call: match kind {
            FindingKind::CouldNotRun => String::new(),
            _ => planned(line).map_or("", PlannedStep::call).to_owned(),
        },
        step,
        expected,
        actual,
        checks,
        ops: case.steps.len(),
        shrink_runs: 0,
        repro: case.yaml.clone(),
        steps: record.steps.clone(),
        setup_error: match record.verdict {
            Verdict::Error => record.reason.clone(),
            _ => None,
        },
    };
    match record.verdict {
        Verdict::Passed | Verdict::Skipped => None,
        Verdict::Error => {
            let reason = record.reason.clone().unwrap_or_default();
            Some(finding(
                FindingKind::CouldNotRun,
                record.steps.last().map_or(0, |s| s.line),
                "the case".into(),
                "every step to run".into(),
                reason,
                Vec::new(),
            ))
        }
        Verdict::Failed => {
            let failed = record.steps.iter().find(|s| !s.failures.is_empty())?;
            let expected = planned(failed.line).map_or(Expected::Nothing, |s| s.expected.clone());
            let checks: Vec<String> = failed
                .failures
                .iter()
                .map(|f| {
                    format!(
                        "{}: expected {}, got {}",
                        f.check.label(),
                        f.expected,
                        f.actual
                    )
                })
                .collect();
            let kind = kind_of(failed, &expected);
            Some(finding(
                kind,
                failed.line,
                failed.name.clone(),
                describe(&expected),
                actual(failed),
                checks,
            ))
        }
    }
}

fn kind_of(step: &StepRecord, expected: &Expected) -> FindingKind {
    let server_error = |o: &Outcome| o.status().is_some_and(|s| s >= 500);
    let any_5xx = step.outcome.as_ref().is_some_and(server_error)
        || step.outcomes.iter().any(|(o, _)| server_error(o));
    if any_5xx {
        return FindingKind::ServerError;
    }
    let status = match (&step.transport, step.status()) {
        (None, Some(status)) => status,
        _ => return FindingKind::Transport,
    };
    let status_or_kind_failed = step.failures.iter().any(|f| f.check.judges_kind());
    match expected {
        Expected::Outcomes(_) => FindingKind::Concurrency,
        Expected::Error(_) if (200..300).contains(&status) => FindingKind::Security,
        Expected::Success if status >= 400 => FindingKind::Availability,
        Expected::Error(_) if status_or_kind_failed => FindingKind::WrongFailureKind,
        _ => FindingKind::MalformedAnswer,
    }
}

fn describe(expected: &Expected) -> String {
    match expected {
        Expected::Success => "success (200)".into(),
        Expected::Error(kind) => format!("failure `{kind}`"),
        Expected::Outcomes(outcomes) => outcomes
            .iter()
            .map(|(k, n)| format!("{n} x {k}"))
            .collect::<Vec<_>>()
            .join(", "),
        Expected::Nothing => "nothing".into(),
    }
}

fn actual(step: &StepRecord) -> String {
    if !step.outcomes.is_empty() {
        return step
            .outcomes
            .iter()
            .map(|(outcome, n)| format!("{n} x {}", outcome.label()))
            .collect::<Vec<_>>()
            .join(", ");
    }
    if let Some(error) = step.transport_error() {
        return error.to_owned();
    }
    match &step.response {
        Some(response) => {
            let body: String = response.body.chars().take(200).collect();
            format!("{} {body}", response.status)
        }
        None => step.status().map_or("no answer".into(), |s| s.to_string()),
    }
}
