//! The fuzz loop: rounds of proptest cases run against the target, a failing case shrunk to
//! the smallest that fails the same way and replayed for its record, and with `keep_going`
//! more rounds for findings unlike those made. What a run counts (cases, repeats, coverage)
//! is shared by its rounds.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

use proptest::strategy::{BoxedStrategy, Strategy};
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestError, TestRng, TestRunner};
use sha2::Digest;

use super::model::Exercised;
use super::ops::{self, Op};
use super::{render_case, run_case};
use super::{report, Case, Finding, FindingKind, FuzzOptions, FuzzOutcome};
use crate::runner::Session;

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
    let mut run = Run::new(runtime, session, options, &stop, progress);
    let strategy = if run.without_waits {
        ops::sequence_without_waits(options.max_ops).boxed()
    } else {
        ops::sequence(options.max_ops).boxed()
    };
    // Each round is one proptest run over the cases left, seeded from the seed and the round:
    // the same seed replays the same rounds.
    for number in 0u64.. {
        if run.finished() || !run.round(&strategy, number) || !options.keep_going {
            break;
        }
        progress.found(run.findings.len());
    }
    run.outcome()
}

/// One call of `fuzz`: what it runs against, and what its rounds have counted and found.
struct Run<'a> {
    runtime: &'a tokio::runtime::Runtime,
    session: &'a Session,
    options: &'a FuzzOptions,
    stop: &'a AtomicBool,
    progress: &'a report::Progress,
    started: Instant,
    without_waits: bool,
    // Cells: proptest's test is an `Fn`, and it counts as it runs.
    cases_run: Cell<u64>,
    repeated: Cell<u64>,
    time_limited: Cell<bool>,
    coverage: RefCell<BTreeMap<Exercised, u64>>,
    findings: Vec<Finding>,
}

/// What a round keeps while proptest runs it.
struct Round {
    /// The findings made before the round: a case that fails like one of them is not shrunk.
    known: Vec<Signature>,
    /// The finding being shrunk: a smaller case counts as failing only if it fails the same
    /// way, so the repro shows the bug that was found, not another one met on the way.
    shrinking: RefCell<Option<Signature>>,
    /// The last failing case's finding, kept in case the smallest case passes when replayed.
    last_finding: RefCell<Option<Finding>>,
    shrink_runs: Cell<u32>,
}

impl<'a> Run<'a> {
    fn new(
        runtime: &'a tokio::runtime::Runtime,
        session: &'a Session,
        options: &'a FuzzOptions,
        stop: &'a AtomicBool,
        progress: &'a report::Progress,
    ) -> Self {
        Self {
            runtime,
            session,
            options,
            stop,
            progress,
            started: Instant::now(),
            without_waits: !session.moves_clock(),
            cases_run: Cell::new(0),
            repeated: Cell::new(0),
            time_limited: Cell::new(false),
            coverage: RefCell::new(BTreeMap::new()),
            findings: Vec::new(),
        }
    }

    /// Whether no round is to start: every case ran, a stop was asked or the time is up.
    fn finished(&self) -> bool {
        self.remaining() == 0 || self.stop.load(Ordering::Relaxed) || self.time_limited.get()
    }

    fn remaining(&self) -> u64 {
        u64::from(self.options.cases).saturating_sub(self.cases_run.get())
    }

    /// Round `number`: one proptest run over the cases left. Whether a case failed; if so its
    /// smallest form is among the findings.
    fn round(&mut self, strategy: &BoxedStrategy<Vec<Op>>, number: u64) -> bool {
        let config = Config {
            cases: self.remaining() as u32,
            max_shrink_iters: self.options.max_shrink_iters,
            failure_persistence: None,
            // Each case is a scenario against a live target; proptest's timeouts are not used.
            ..Config::default()
        };
        let mut runner = TestRunner::new_with_rng(config, rng(self.options.seed, number));
        let round = Round {
            known: self.findings.iter().map(Signature::of).collect(),
            shrinking: RefCell::new(None),
            last_finding: RefCell::new(None),
            shrink_runs: Cell::new(0),
        };
        let result = runner.run(strategy, |ops| self.test(&round, ops));
        let Err(TestError::Fail(_, minimal)) = result else {
            return false;
        };
        self.record(&round, &minimal);
        true
    }

    /// One case as proptest runs it, new or a shrink's smaller one: it fails if the target's
    /// answers make a finding not made yet, or (while shrinking) the one being shrunk.
    fn test(&self, round: &Round, ops: Vec<Op>) -> Result<(), TestCaseError> {
        // Past the limit, the remaining cases pass at once.
        if self.over(round) {
            return Ok(());
        }
        let target_signature = round.shrinking.borrow().clone();
        if target_signature.is_some() {
            round.shrink_runs.set(round.shrink_runs.get() + 1);
            self.progress.shrinking(round.shrink_runs.get(), ops.len());
        } else {
            self.cases_run.set(self.cases_run.get() + 1);
            self.progress.case(self.cases_run.get());
        }
        let profile = &self.session.profile;
        let case = render_case(profile, &ops, self.options.seed, None);
        let Some(finding) = self
            .runtime
            .block_on(run_case(self.session, profile, &case))
        else {
            self.cover(&case);
            return Ok(());
        };
        let signature = Signature::of(&finding);
        match &target_signature {
            Some(wanted) if *wanted != signature => return Ok(()),
            None if round.known.contains(&signature) => {
                self.repeated.set(self.repeated.get() + 1);
                return Ok(());
            }
            _ => {}
        }
        let reason = format!("{}: {}", finding.kind.name(), finding.step);
        *round.shrinking.borrow_mut() = Some(signature);
        *round.last_finding.borrow_mut() = Some(finding);
        Err(TestCaseError::fail(reason))
    }

    /// Whether a case is not to run. Past the time limit no new case starts, but a shrink in
    /// progress goes on (bounded by `max_shrink_iters`): the point of a finding is its smallest
    /// case. A stop ends both.
    fn over(&self, round: &Round) -> bool {
        if self.stop.load(Ordering::Relaxed) {
            return true;
        }
        let late = round.shrinking.borrow().is_none()
            && self
                .options
                .time_limit
                .is_some_and(|limit| self.started.elapsed() >= limit);
        if late {
            self.time_limited.set(true);
        }
        late
    }

    /// Counts the answers a case without a finding got, by call and outcome.
    fn cover(&self, case: &Case) {
        let mut coverage = self.coverage.borrow_mut();
        for step in &case.steps {
            for outcome in step.outcomes() {
                *coverage.entry(outcome).or_default() += 1;
            }
        }
    }

    /// The smallest failing case, run once more for its record (and to check it still fails).
    fn record(&mut self, round: &Round, minimal: &[Op]) {
        let (profile, seed) = (&self.session.profile, self.options.seed);
        let first = round.last_finding.borrow().clone();
        let kind = first.as_ref().map(|f| f.kind.name());
        let case = render_case(profile, minimal, seed, kind);
        let replayed = self
            .runtime
            .block_on(run_case(self.session, profile, &case));
        if let Some(mut finding) = replayed.or(first) {
            finding.shrink_runs = round.shrink_runs.get();
            finding.ops = case.steps.len();
            // The header names the kind the shrunk case shows.
            finding.repro = render_case(profile, minimal, seed, Some(finding.kind.name())).yaml;
            self.findings.push(finding);
        }
    }

    fn outcome(self) -> FuzzOutcome {
        FuzzOutcome {
            seed: self.options.seed,
            cases_run: self.cases_run.get(),
            requested_cases: self.options.cases,
            target: self.session.shown_target.clone(),
            elapsed_s: self.started.elapsed().as_secs_f64(),
            interrupted: self.stop.load(Ordering::Relaxed),
            time_limited: self.time_limited.get(),
            without_waits: self.without_waits,
            coverage: self.coverage.into_inner(),
            repeated: self.repeated.get(),
            findings: self.findings,
            secrets_revealed: self.session.redactor.reveals(),
        }
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
