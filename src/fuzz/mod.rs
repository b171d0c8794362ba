//! `gatecheck fuzz`: stateful property-based testing of a gateway. proptest generates sequences
//! of operations (`ops`): valid calls, mutated requests, tokens of other users and steps,
//! replays, clock moves, and pairs sent at once. The model (`model`) turns each sequence into a
//! scenario whose every step expects what a correct gateway must answer; the conformance runner
//! sends and judges it. A case that fails is a finding: proptest shrinks it (each smaller case
//! replayed against the target) and the smallest is written as a runnable scenario.

pub mod model;
pub mod ops;
pub mod report;

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use proptest::strategy::Strategy;
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestError, TestRng, TestRunner};
use serde::Serialize;
use sha2::Digest;

use crate::profile::Profile;
use crate::runner::outcome::Outcome;
use crate::runner::record::{ScenarioRecord, StepRecord, Verdict};
use crate::runner::Session;
use model::{Expected, Model, PlannedStep};

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
    /// Answers the cases without a finding got, by call and outcome (`check_code code_mismatch`):
    /// how much of the model the run exercised.
    pub coverage: BTreeMap<String, u64>,
    /// With `keep_going`: cases that failed like a finding already made (not shrunk again).
    pub repeated: u64,
    pub findings: Vec<Finding>,
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
        call: planned(line).map_or("", PlannedStep::call).to_owned(),
        step,
        expected,
        actual,
        checks,
        ops: case.steps.len(),
        shrink_runs: 0,
        repro: case.yaml.clone(),
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
    let status = match &step.outcome {
        Some(Outcome::Transport { .. }) | None => return FindingKind::Transport,
        Some(outcome) => outcome.status().unwrap_or(0),
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

/// proptest's generator for a round, seeded from `seed`: the same seed, the same cases. Round
/// 0 hashes the seed alone.
fn rng(seed: u64, round: u64) -> TestRng {
    let mut bytes = seed.to_le_bytes().to_vec();
    if round > 0 {
        bytes.extend_from_slice(&round.to_le_bytes());
    }
    let digest = sha2::Sha256::digest(&bytes);
    TestRng::from_seed(RngAlgorithm::ChaCha, &digest)
}

/// Generates and runs cases until one fails (then shrinks it), the count is reached, the time
/// limit passes or `stop` is set; with `keep_going`, after a finding it goes on looking for
/// findings unlike those already made. Blocks on `runtime` for each case.
pub fn fuzz(
    runtime: &tokio::runtime::Runtime,
    session: &Session,
    options: &FuzzOptions,
    stop: Arc<AtomicBool>,
    progress: &report::Progress,
) -> FuzzOutcome {
    let profile = &session.profile;
    let started = Instant::now();
    let without_waits = !session.moves_clock();
    let cases_run = Cell::new(0u64);
    let repeated = Cell::new(0u64);
    let time_limited = Cell::new(false);
    let coverage: RefCell<BTreeMap<String, u64>> = RefCell::new(BTreeMap::new());
    let mut findings: Vec<Finding> = Vec::new();
    let strategy = if without_waits {
        ops::sequence_without_waits(options.max_ops).boxed()
    } else {
        ops::sequence(options.max_ops).boxed()
    };
    // Each round is one proptest run over the cases left, seeded from the seed and the round:
    // the same seed replays the same rounds.
    for round in 0u64.. {
        let remaining = u64::from(options.cases).saturating_sub(cases_run.get());
        if remaining == 0 || stop.load(Ordering::Relaxed) || time_limited.get() {
            break;
        }
        let config = Config {
            cases: remaining as u32,
            max_shrink_iters: options.max_shrink_iters,
            failure_persistence: None,
            // Each case is a scenario against a live target; proptest's timeouts are not used.
            ..Config::default()
        };
        let mut runner = TestRunner::new_with_rng(config, rng(options.seed, round));
        let shrink_runs = Cell::new(0u32);
        // The finding being shrunk: a smaller case counts as failing only if it fails the same
        // way, so the repro shows the bug that was found, not another one met on the way.
        let shrinking: RefCell<Option<Signature>> = RefCell::new(None);
        let last_finding: RefCell<Option<Finding>> = RefCell::new(None);
        let known: Vec<Signature> = findings.iter().map(Signature::of).collect();
        // Past the time limit no new case starts, but a shrink in progress goes on (bounded by
        // `max_shrink_iters`): the point of a finding is its smallest case. A stop ends both.
        let over = || {
            if stop.load(Ordering::Relaxed) {
                return true;
            }
            let late = shrinking.borrow().is_none()
                && options
                    .time_limit
                    .is_some_and(|limit| started.elapsed() >= limit);
            if late {
                time_limited.set(true);
            }
            late
        };
        let test = |ops: Vec<ops::Op>| -> Result<(), TestCaseError> {
            // Past the limit, the remaining cases pass at once.
            if over() {
                return Ok(());
            }
            let target_signature = shrinking.borrow().clone();
            if target_signature.is_some() {
                shrink_runs.set(shrink_runs.get() + 1);
                progress.shrinking(shrink_runs.get(), ops.len());
            } else {
                cases_run.set(cases_run.get() + 1);
                progress.case(cases_run.get());
            }
            let case = render_case(profile, &ops, options.seed, None);
            let Some(finding) = runtime.block_on(run_case(session, profile, &case)) else {
                let mut coverage = coverage.borrow_mut();
                for step in &case.steps {
                    for outcome in step.outcomes() {
                        *coverage.entry(outcome).or_default() += 1;
                    }
                }
                return Ok(());
            };
            let signature = Signature::of(&finding);
            match &target_signature {
                Some(wanted) if *wanted != signature => return Ok(()),
                None if known.contains(&signature) => {
                    repeated.set(repeated.get() + 1);
                    return Ok(());
                }
                _ => {}
            }
            let reason = format!("{}: {}", finding.kind.name(), finding.step);
            *shrinking.borrow_mut() = Some(signature);
            *last_finding.borrow_mut() = Some(finding);
            Err(TestCaseError::fail(reason))
        };
        let Err(TestError::Fail(_, minimal)) = runner.run(&strategy, test) else {
            break;
        };
        // The smallest failing case, run once more for its record (and to check it still fails).
        let first = last_finding.borrow().clone();
        let kind = first.as_ref().map(|f| f.kind.name());
        let case = render_case(profile, &minimal, options.seed, kind);
        let replayed = runtime.block_on(run_case(session, profile, &case));
        if let Some(mut finding) = replayed.or(first) {
            finding.shrink_runs = shrink_runs.get();
            finding.ops = case.steps.len();
            // The header names the kind the shrunk case shows.
            finding.repro =
                render_case(profile, &minimal, options.seed, Some(finding.kind.name())).yaml;
            findings.push(finding);
        }
        if !options.keep_going {
            break;
        }
        progress.found(findings.len());
    }
    FuzzOutcome {
        seed: options.seed,
        cases_run: cases_run.get(),
        requested_cases: options.cases,
        target: session.shown_target.clone(),
        elapsed_s: started.elapsed().as_secs_f64(),
        interrupted: stop.load(Ordering::Relaxed),
        time_limited: time_limited.get(),
        without_waits,
        coverage: coverage.into_inner(),
        repeated: repeated.get(),
        findings,
    }
}

/// What makes two findings the same bug: the kind, the call, and what the model expected.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Signature {
    kind: FindingKind,
    call: String,
    expected: String,
}

impl Signature {
    fn of(finding: &Finding) -> Self {
        // The call, not the step: its position in the case does not matter.
        Self {
            kind: finding.kind,
            call: finding.call.clone(),
            expected: finding.expected.clone(),
        }
    }
}
