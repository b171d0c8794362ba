//! The flows of a load run: the closed model's virtual users, the open model's pacer and its
//! clock thread, and one flow run from its users to its last step, measured into the sinks.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::{watch, Semaphore};

use super::pacer::Pacer;
use super::shard::Shard;
use super::sink::{FlowSample, Sinks, StepSample};
use crate::runner::context_for;
use crate::runner::outcome::{Outcome, SetupKind, StepError, TransportFailure};
use crate::runner::record::StepRecord;
use crate::runner::scenario::repeat_count;
use crate::runner::session::Session;
use crate::runner::step::{run_step, Env};
use crate::runner::target::Prepared;
use crate::runner::users::UserPool;
use crate::scenario::load_spec::Model;
use crate::scenario::model::{Action, Operation, Scenario, UserKind};

pub(super) struct LoadRun {
    pub scenario: Scenario,
    /// Each step's request if it has no template hole, built once (`build::constant_raw`).
    pub prebuilt: Vec<Option<Prepared>>,
    /// Each step's key name, in flow order (`load_spec::step_keys`).
    pub step_names: Vec<String>,
    pub session: Session,
    pub sinks: Sinks,
    /// Flows start being measured here.
    pub measure_from: Instant,
    pub late_after: Duration,
    pub in_flight: AtomicU64,
    /// Closed model: virtual users still looping (a live gauge).
    pub active_vus: AtomicU64,
    /// Flows ended, warm-up ones included: the progress line's warm-up rate.
    pub ended: AtomicU64,
    pub stop: watch::Receiver<bool>,
    /// The iteration bound: measured flows that may still start, and how many have.
    pub iterations: Option<u64>,
    pub claimed: AtomicU64,
    pub keeps_last: bool,
    /// The kinds of the users a flow takes: none when no step reads a user.
    pub user_kinds: Vec<UserKind>,
    pub shard: Shard,
}

/// The kinds of the users each flow of `scenario` takes: one per declared user, or none if
/// nothing in it reads a user (`Scenario::reads_users`).
pub(super) fn user_kinds(scenario: &Scenario) -> Vec<UserKind> {
    if !scenario.reads_users() {
        return Vec::new();
    }
    scenario.users.iter().map(|u| u.kind).collect()
}

impl LoadRun {
    /// Whether a flow meant to start at `intended` may start: warm-up flows always may,
    /// measured ones until the iteration bound is used up (exactly, not at the next tick).
    fn claim(&self, intended: Instant) -> bool {
        intended < self.measure_from
            || self
                .iterations
                .is_none_or(|n| self.claimed.fetch_add(1, Ordering::Relaxed) < n)
    }
}

/// The closed model's virtual users or the open model's flows (on `pacer`) of one engine
/// thread, until they end.
pub(super) async fn workers(
    run: Arc<LoadRun>,
    model: Model,
    pacer: Option<Pacer>,
    started: Instant,
) {
    match (model, pacer) {
        (Model::Open { max_in_flight, .. }, Some(pacer)) => {
            open(run, pacer, started, max_in_flight).await
        }
        (Model::Closed { vus, think_time }, _) => closed(run, vus, think_time).await,
        (Model::Open { .. }, None) => {}
    }
}

async fn closed(run: Arc<LoadRun>, vus: u32, think_time: Duration) {
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..vus {
        let run = Arc::clone(&run);
        set.spawn(async move {
            run.active_vus.fetch_add(1, Ordering::Relaxed);
            let mut intended = Instant::now();
            while !*run.stop.borrow() && run.claim(intended) {
                let flow = one_flow(&run, intended).await;
                intended = flow.ended + think_time;
                if flow.found_no_user {
                    // It failed without an await that yields: a virtual user looping on it would
                    // hold a worker thread and starve the timer that ends the run (a 2 s run
                    // against too few users lasted 61 s and counted 45 million flows).
                    intended = intended.max(flow.ended + NO_USER_PAUSE);
                }
                // Only sleep for real think time: a timer for a moment already past still waits
                // for the timer wheel's next tick (about 1 ms) and would count as lateness.
                if intended > Instant::now() {
                    tokio::time::sleep_until(intended.into()).await;
                }
            }
            run.active_vus.fetch_sub(1, Ordering::Relaxed);
        });
    }
    while set.join_next().await.is_some() {}
}

async fn open(run: Arc<LoadRun>, pacer: Pacer, started: Instant, max_in_flight: u32) {
    let slots = Arc::new(Semaphore::new(max_in_flight as usize));
    let mut set = tokio::task::JoinSet::new();
    let mut due = schedule(pacer, started, run.shard, run.stop.clone());
    while let Some(intended) = due.recv().await {
        if *run.stop.borrow() || !run.claim(intended) {
            break;
        }
        // At the cap the next flow waits for a slot: it starts late, and that is recorded.
        let Ok(permit) = Arc::clone(&slots).acquire_owned().await else {
            break;
        };
        let run = Arc::clone(&run);
        set.spawn(async move {
            one_flow(&run, intended).await;
            drop(permit);
        });
        // Reap finished flows so the set stays small.
        while set.try_join_next().is_some() {}
    }
    while set.join_next().await.is_some() {}
}

/// The open model's clock: a thread that sleeps until each flow is due and hands its intended
/// start to the runtime. The OS timer wakes it tens of microseconds late, where tokio's timer
/// wheel rounds up to its next millisecond tick: measured at 200 flows/s, the first step's
/// corrected p50 carried 1.5 ms of the client's own wake-up delay. A shard takes every Nth
/// flow of the whole run's schedule. The bounded channel makes the clock wait, as the loop did,
/// when flows cannot start (the in-flight cap): they start late and are counted so.
fn schedule(
    pacer: Pacer,
    started: Instant,
    shard: Shard,
    stop: watch::Receiver<bool>,
) -> tokio::sync::mpsc::Receiver<Instant> {
    let (due, receiver) = tokio::sync::mpsc::channel(1024);
    let clock = move || {
        let mut n = 0u64;
        while let Some(offset) = pacer.due(shard.global(n)) {
            let intended = started + offset;
            loop {
                if *stop.borrow() {
                    return;
                }
                let now = Instant::now();
                if now >= intended {
                    break;
                }
                // In slices, so a stop is seen within one.
                std::thread::sleep((intended - now).min(Duration::from_millis(20)));
            }
            if due.blocking_send(intended).is_err() {
                return;
            }
            n += 1;
        }
    };
    if let Err(e) = std::thread::Builder::new()
        .name("gatecheck-pacer".into())
        .spawn(clock)
    {
        eprintln!("gatecheck: cannot start the pacer thread: {e}");
    }
    receiver
}

/// How long a virtual user pauses after a flow that found no test user free (`setup (users)`).
const NO_USER_PAUSE: Duration = Duration::from_millis(10);

/// How a flow ended: when, and whether for want of a free test user.
struct FlowEnd {
    ended: Instant,
    found_no_user: bool,
}

/// Runs the scenario once as one flow; records it if it was meant to start in the measured
/// window.
async fn one_flow(run: &LoadRun, intended: Instant) -> FlowEnd {
    let actual = Instant::now();
    let measuring = intended >= run.measure_from;
    if measuring {
        run.sinks.metrics().flows_started += 1;
    }
    run.in_flight.fetch_add(1, Ordering::Relaxed);
    let (failure, found_no_user) = match run_flow(run, intended, measuring).await {
        Ok(failure) => (failure, false),
        Err(no_user) => (Some(no_user), true),
    };
    let ended = Instant::now();
    run.in_flight.fetch_sub(1, Ordering::Relaxed);
    run.ended.fetch_add(1, Ordering::Relaxed);
    if measuring {
        let late = actual.saturating_duration_since(intended) > run.late_after;
        run.sinks.flow(&FlowSample {
            corrected: ended - intended,
            raw: ended - actual,
            failure: failure.as_deref(),
            late,
        });
    }
    FlowEnd {
        ended,
        found_no_user,
    }
}

/// The flow's steps in turn until one fails; the failure's name, if one did. `Err` (the
/// failure's name too) when no test user was free.
async fn run_flow(
    run: &LoadRun,
    intended: Instant,
    measuring: bool,
) -> Result<Option<String>, String> {
    let session = &run.session;
    let env = Env {
        target: &session.target,
        profile: &session.profile,
        oracles: &session.oracles,
        keep_exchanges: false,
        keeps_last: run.keeps_last,
        redactor: &run.session.redactor,
    };
    let UserPool::Load(pool) = &session.users else {
        return Err(StepError::new(SetupKind::Users, "no users for load").failure_name());
    };
    let mut users = match pool.take(&run.user_kinds) {
        Ok(users) => users,
        Err(e) => return Err(StepError::new(SetupKind::Users, e).failure_name()),
    };
    let mut context = match context_for(&run.scenario, &session.profile, &users) {
        Ok(context) => context,
        Err(e) => {
            pool.give_back(users);
            return Ok(Some(e.failure_name()));
        }
    };
    let mut reset = Reset::NotYet;
    let failure = run_steps(run, &env, &mut context, &mut reset, intended, measuring).await;
    // The first user's password is what the flow left it (the runner moves `password` on
    // when a reset passes); after a reset that got no clear answer nobody knows, so that user
    // is not reused.
    match (reset, context.text("password")) {
        (Reset::Unclear, _) => {
            users.remove(0);
        }
        (Reset::Done, Some(password)) => users[0].password = password,
        _ => {}
    }
    pool.give_back(users);
    Ok(failure)
}

/// Whether the flow's first user had its password reset.
#[derive(Clone, Copy)]
enum Reset {
    NotYet,
    Done,
    Unclear,
}

async fn run_steps(
    run: &LoadRun,
    env: &Env<'_>,
    context: &mut crate::runner::context::Context,
    reset: &mut Reset,
    intended: Instant,
    measuring: bool,
) -> Option<String> {
    let mut step_intended = intended;
    for (index, step) in run.scenario.steps.iter().enumerate() {
        // `repeat: N` runs the step N times in a row, as `run` does, each time a sample.
        let times = match repeat_count(step, context) {
            Ok(times) => times,
            Err(e) => {
                let failure = StepError::new(SetupKind::Template, e).failure_name();
                return Some(format!("{}: {failure}", step_name(run, index)));
            }
        };
        for _ in 0..times {
            let (ended, failure) =
                step_once(run, env, context, reset, index, step_intended, measuring).await;
            step_intended = ended;
            if failure.is_some() {
                return failure;
            }
        }
    }
    None
}

fn step_name(run: &LoadRun, index: usize) -> &str {
    run.step_names.get(index).map_or("?", String::as_str)
}

/// The step at `index` run once and measured from `since` (the flow's intended start for the
/// first step, the previous step's end after that): when it ended, and its failure, named.
async fn step_once(
    run: &LoadRun,
    env: &Env<'_>,
    context: &mut crate::runner::context::Context,
    reset: &mut Reset,
    index: usize,
    since: Instant,
    measuring: bool,
) -> (Instant, Option<String>) {
    let step = &run.scenario.steps[index];
    let name = step_name(run, index);
    let began = Instant::now();
    let prebuilt = run.prebuilt.get(index).and_then(Option::as_ref);
    let result = run_step(step, prebuilt, context, env).await;
    if let Action::Call(call) = &step.action {
        if call.operation == Operation::ResetPassword {
            *reset = match &result {
                Ok(record) if record.failures.is_empty() => Reset::Done,
                // Refused: the password stays what it was.
                Ok(record) if record.status().is_some_and(|s| s >= 400) => *reset,
                _ => Reset::Unclear,
            };
        }
    }
    let ended = Instant::now();
    let (raw, status, kind) = match &result {
        // No answer came: the time until the step gave up.
        Ok(record) if record.outcome.is_none() => (ended - began, None, failure_name(record)),
        Ok(record) => (
            Duration::from_secs_f64(record.latency_ms / 1000.0),
            record.status(),
            failure_name(record),
        ),
        Err(e) => (ended - began, None, Some(e.failure_name())),
    };
    if measuring && !matches!(step.action, Action::Wait(_)) {
        // Corrected: from when this step should have begun, oracle time excluded.
        run.sinks.step(&StepSample {
            step: index,
            name,
            corrected: raw + began.saturating_duration_since(since),
            raw,
            status,
            failure: kind.as_deref(),
        });
    }
    (ended, kind.map(|kind| format!("{name}: {kind}")))
}

/// What went wrong in a step, by a bounded name: a transport kind, the profile's kind or the
/// status of an error answer, else the first failed check.
fn failure_name(record: &StepRecord) -> Option<String> {
    let first = record.failures.first()?;
    let answered = || record.outcome.as_ref().and_then(Outcome::failure_name);
    record
        .transport
        .as_ref()
        .map(TransportFailure::failure_name)
        .or_else(answered)
        .or_else(|| Some(first.check.label()))
}
