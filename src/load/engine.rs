//! The load engine: one worker loop per virtual user (closed model) or one per flow started by
//! the pacer (open model). Each flow runs the scenario's steps with the conformance runner's
//! step executor, so expectations still hold under load; a failed expectation is counted by
//! kind and never stops the run. Every flow records its intended start next to its actual one,
//! so latency is reported both corrected for coordinated omission and raw.

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use tokio::sync::{watch, Semaphore};

use super::interval_log::IntervalLogs;
use super::metrics::Metrics;
use super::pacer::{Pacer, Stage};
use super::shard::{Shard, StartAt};
use crate::gateway::users::{GENERATED_ACCOUNT_PREFIX, GENERATED_PASSWORD, GENERATED_PHONE_PREFIX};
use crate::gateway::{self, Clock, GatewayConfig};
use crate::profile::{CaptchaOracle, CodeOracle, Profile};
use crate::runner::oracle::Oracles;
use crate::runner::step::{run_step, Env};
use crate::runner::target::{ClientOptions, Target};
use crate::runner::users::TestUser;
use crate::runner::{connect, context_for, RunError};
use crate::scenario::load_spec::{LoadSpec, Model};
use crate::scenario::model::{Scenario, UserKind};

/// Generated users the embedded gateway serves to load runs.
const EMBEDDED_USERS: u64 = 50_000_000;

#[derive(Debug, Clone)]
pub struct LoadOptions {
    pub spec: LoadSpec,
    pub target: Option<String>,
    pub profile: Profile,
    pub captcha_oracle: Option<CaptchaOracle>,
    pub code_oracle: Option<CodeOracle>,
    /// Timeout, HTTP version and TLS choices of the connection to the target.
    pub client: ClientOptions,
    /// A flow starting later than this after its intended start counts as late.
    pub late_after: Duration,
    /// Options of the embedded gateway (faults); its resend interval is relaxed for load.
    pub embedded: GatewayConfig,
    pub progress: bool,
    /// The target serves the reference gateway's generated users (`gatecheck serve
    /// --generate-users N`): flows take them as the embedded gateway's flows do.
    pub generated_users: bool,
    /// Where the interval logs go (the run's report directory) and the run id they name.
    pub interval_logs: Option<(std::path::PathBuf, String)>,
    /// Which part of a sharded run this process makes (`spec` is already its share).
    pub shard: Shard,
    /// A start agreed with the other shards; without one the run starts at once.
    pub start: Option<StartAt>,
}

#[derive(Debug)]
pub struct LoadOutcome {
    pub metrics: Metrics,
    /// Length of the measured window (warm-up excluded).
    pub measured: Duration,
    pub interrupted: bool,
    pub target: String,
    /// What was changed on the embedded gateway so it would not throttle the run.
    pub relaxed: Option<String>,
    /// The agreed start the run waited for, if any.
    pub started_at: Option<std::time::SystemTime>,
}

struct Shared {
    scenario: Scenario,
    target: Target,
    profile: Profile,
    oracles: Oracles,
    users: Users,
    metrics: Mutex<Metrics>,
    /// Flows start being measured here.
    measure_from: Instant,
    late_after: Duration,
    in_flight: AtomicU64,
    stop: watch::Receiver<bool>,
    /// The iteration bound: measured flows that may still start, and how many have.
    iterations: Option<u64>,
    claimed: AtomicU64,
    keeps_last: bool,
    shard: Shard,
}

impl Shared {
    /// Whether a flow meant to start at `intended` may start: warm-up flows always may,
    /// measured ones until the iteration bound is used up (exactly, not at the next tick).
    fn claim(&self, intended: Instant) -> bool {
        intended < self.measure_from
            || self
                .iterations
                .is_none_or(|n| self.claimed.fetch_add(1, Ordering::Relaxed) < n)
    }
}

/// Where each flow's users come from; a shard draws only its own slice (every Nth user).
enum Users {
    /// `+86139` + index of the embedded gateway's generated users, a new one per flow.
    Generated(AtomicU64, Shard),
    /// The profile's accounts of this shard's slice, taken in turn (made-up identities when the
    /// profile lists none).
    Accounts(Vec<TestUser>, AtomicU64, Shard),
}

impl Users {
    fn take(&self, count: usize) -> Result<Vec<TestUser>, String> {
        match self {
            Users::Generated(next, shard) => Ok((0..count)
                .map(|_| {
                    let i = shard.global(next.fetch_add(1, Ordering::Relaxed)) % EMBEDDED_USERS;
                    TestUser {
                        identity: format!("{GENERATED_PHONE_PREFIX}{i:08}"),
                        password: GENERATED_PASSWORD.to_owned(),
                        account: Some(format!("{GENERATED_ACCOUNT_PREFIX}{i:08}")),
                        kind: UserKind::Phone,
                    }
                })
                .collect()),
            Users::Accounts(accounts, next, _) if !accounts.is_empty() => Ok((0..count)
                .map(|_| {
                    accounts[next.fetch_add(1, Ordering::Relaxed) as usize % accounts.len()].clone()
                })
                .collect()),
            // No accounts listed: made-up identities, enough for scenarios that need no real user.
            Users::Accounts(_, next, shard) => Ok((0..count)
                .map(|_| TestUser {
                    identity: format!(
                        "+86138{:08}",
                        shard.global(next.fetch_add(1, Ordering::Relaxed)) % 100_000_000
                    ),
                    password: GENERATED_PASSWORD.to_owned(),
                    account: None,
                    kind: UserKind::Unknown,
                })
                .collect()),
        }
    }
}

/// Runs `scenario` under load until its bound, a stop, or `interrupted` resolves.
pub async fn run(
    scenario: &Scenario,
    options: &LoadOptions,
    interrupted: impl Future<Output = ()>,
) -> Result<LoadOutcome, RunError> {
    let (target_url, embedded, relaxed) = match &options.target {
        Some(url) => (url.clone(), None, None),
        None => {
            let config = GatewayConfig {
                generated_users: EMBEDDED_USERS,
                resend_interval: Duration::ZERO,
                ..options.embedded.clone()
            };
            let gateway = gateway::spawn(config, Clock::system()).await?;
            let note = format!("embedded reference gateway with {EMBEDDED_USERS} generated users; resend interval relaxed from 60s to 0 so repeated flows are not throttled");
            (gateway.base_url(), Some(gateway), Some(note))
        }
    };
    let (target, oracles) = connect(
        &target_url,
        &options.client,
        &options.profile,
        options.captcha_oracle,
        options.code_oracle.clone(),
    )
    .await?;
    let shard = options.shard;
    let users = if embedded.is_some() || options.generated_users {
        Users::Generated(AtomicU64::new(0), shard)
    } else {
        if options.profile.accounts.is_empty() {
            eprintln!("note: the profile lists no test accounts; flows use made-up users the target does not know");
        }
        let accounts: Vec<TestUser> = options
            .profile
            .accounts
            .iter()
            .skip(shard.index as usize)
            .step_by(shard.count as usize)
            .map(|a| TestUser {
                identity: a.user.clone(),
                password: a.password.clone(),
                account: a.account.clone(),
                kind: a.kind,
            })
            .collect();
        if accounts.is_empty() && !options.profile.accounts.is_empty() {
            return Err(RunError::Config(format!(
                "shard {shard} has no test account of its own: the profile lists {}, fewer than the {} shards",
                options.profile.accounts.len(),
                shard.count
            )));
        }
        Users::Accounts(accounts, AtomicU64::new(0), shard)
    };
    tokio::pin!(interrupted);
    let started_at = match &options.start {
        None => None,
        Some(start) => match start.wait(&mut interrupted).await {
            Ok(Some(time)) => Some(time),
            Ok(None) => {
                return Ok(LoadOutcome {
                    metrics: Metrics::default(),
                    measured: Duration::ZERO,
                    interrupted: true,
                    target: target_url,
                    relaxed,
                    started_at: None,
                })
            }
            Err(e) => return Err(RunError::Config(e)),
        },
    };

    let spec = &options.spec;
    let (stop_tx, stop_rx) = watch::channel(false);
    let started = Instant::now();
    let shared = Arc::new(Shared {
        scenario: scenario.clone(),
        target,
        profile: options.profile.clone(),
        oracles,
        users,
        metrics: Mutex::new(Metrics::default()),
        measure_from: started + spec.warmup,
        late_after: options.late_after,
        in_flight: AtomicU64::new(0),
        stop: stop_rx,
        iterations: spec.iterations,
        claimed: AtomicU64::new(0),
        keeps_last: crate::runner::step::keeps_last(scenario),
        shard,
    });
    let deadline = spec.duration.map(|d| started + spec.warmup + d);

    // The open model's schedule, kept to count the flows that were due but never started.
    let schedule = match &spec.model {
        Model::Open { rate, stages, .. } => Some(pacer(*rate, stages, spec.warmup, spec.duration)),
        Model::Closed { .. } => None,
    };
    let workers = {
        let shared = Arc::clone(&shared);
        let model = spec.model.clone();
        let schedule = schedule.clone();
        tokio::spawn(async move {
            match (model, schedule) {
                (Model::Open { max_in_flight, .. }, Some(pacer)) => {
                    open(shared, pacer, started, max_in_flight).await
                }
                (Model::Closed { vus, think_time }, _) => closed(shared, vus, think_time).await,
                (Model::Open { .. }, None) => {}
            }
        })
    };
    let progress = super::progress::Progress::start(
        options.progress,
        spec,
        Arc::clone(&shared_metrics(&shared)),
        started,
    );

    // The stop condition: time, the workers running out (iterations), or an interruption.
    let mut interval_start = shared.measure_from;
    let mut intervals = 0u64;
    let mut logs = options
        .interval_logs
        .as_ref()
        .map(|(dir, run_id)| IntervalLogs::new(dir, run_id));
    let mut log_error = None;
    let interrupted_flag;
    let mut workers_done = false;
    tokio::pin!(workers);
    loop {
        let next_tick = interval_start.max(Instant::now()) + Duration::from_secs(1);
        let wake = deadline.map_or(next_tick, |d| d.min(next_tick));
        tokio::select! {
            _ = &mut interrupted => { interrupted_flag = true; break; }
            _ = &mut workers => { interrupted_flag = false; workers_done = true; break; }
            _ = tokio::time::sleep_until(wake.into()) => {}
        }
        let now = Instant::now();
        if now >= shared.measure_from + Duration::from_secs(intervals + 1) {
            let closed = shared.metrics.lock().close_interval(intervals as f64);
            if let Some(Err(e)) = logs.as_mut().map(|logs| logs.append(&closed)) {
                log_error.get_or_insert(e);
            }
            intervals += 1;
            interval_start = shared.measure_from + Duration::from_secs(intervals);
        }
        if deadline.is_some_and(|d| now >= d) {
            interrupted_flag = false;
            break;
        }
    }
    let measured_end = Instant::now();
    let _ = stop_tx.send(true);
    // In-flight flows may finish within a second; after that, what ran is reported.
    if !workers_done {
        let _ = tokio::time::timeout(Duration::from_secs(1), &mut workers).await;
        workers.abort();
    }
    progress.finish();
    let mut metrics = std::mem::take(&mut *shared.metrics.lock());
    let measured = measured_end.saturating_duration_since(shared.measure_from);
    let closed = metrics.close_last_interval(intervals as f64);
    if let Some(mut logs) = logs {
        if let Err(e) = logs.append(&closed).and_then(|_| logs.finish()) {
            log_error.get_or_insert(e);
        }
    }
    if let Some(e) = log_error {
        eprintln!("gatecheck: the interval logs are incomplete: {e}");
    }
    if let Some(pacer) = &schedule {
        // Flows of this shard's slice of the schedule that fell due in the measured window.
        let due_by = |at: Duration| shard.owned_below(pacer.due_by(at).floor().max(0.0) as u64);
        let due = due_by(measured_end.saturating_duration_since(started))
            .saturating_sub(due_by(spec.warmup));
        metrics.flows_dropped = due.saturating_sub(metrics.flows_started);
    }
    drop(embedded);
    Ok(LoadOutcome {
        metrics,
        measured,
        interrupted: interrupted_flag,
        target: target_url,
        relaxed,
        started_at,
    })
}

fn shared_metrics(
    shared: &Arc<Shared>,
) -> Arc<dyn Fn() -> super::progress::Snapshot + Send + Sync> {
    let shared = Arc::clone(shared);
    Arc::new(move || {
        let metrics = shared.metrics.lock();
        super::progress::Snapshot::of(&metrics, shared.in_flight.load(Ordering::Relaxed))
    })
}

/// The open model's schedule over warm-up and measured time.
fn pacer(
    rate: f64,
    stages: &[(Duration, f64)],
    warmup: Duration,
    duration: Option<Duration>,
) -> Pacer {
    let horizon = warmup + duration.unwrap_or(Duration::from_secs(365 * 24 * 3600));
    if stages.is_empty() {
        Pacer::constant(rate, horizon)
    } else {
        let mut all: Vec<Stage> = stages
            .iter()
            .map(|(duration, target)| Stage {
                duration: *duration,
                target: *target,
            })
            .collect();
        let covered: Duration = all.iter().map(|s| s.duration).sum();
        if let (Some(last), true) = (all.last().copied(), covered < horizon) {
            all.push(Stage {
                duration: horizon - covered,
                target: last.target,
            });
        }
        Pacer::stages(rate, all)
    }
}

async fn closed(shared: Arc<Shared>, vus: u32, think_time: Duration) {
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..vus {
        let shared = Arc::clone(&shared);
        set.spawn(async move {
            let mut intended = Instant::now();
            while !*shared.stop.borrow() && shared.claim(intended) {
                let ended = one_flow(&shared, intended).await;
                intended = ended + think_time;
                // Only sleep for real think time: a timer for a moment already past still waits
                // for the timer wheel's next tick (about 1 ms) and would count as lateness.
                if intended > Instant::now() {
                    tokio::time::sleep_until(intended.into()).await;
                }
            }
        });
    }
    while set.join_next().await.is_some() {}
}

async fn open(shared: Arc<Shared>, pacer: Pacer, started: Instant, max_in_flight: u32) {
    let slots = Arc::new(Semaphore::new(max_in_flight as usize));
    let mut set = tokio::task::JoinSet::new();
    let mut due = schedule(pacer, started, shared.shard, shared.stop.clone());
    while let Some(intended) = due.recv().await {
        if *shared.stop.borrow() || !shared.claim(intended) {
            break;
        }
        // At the cap the next flow waits for a slot: it starts late, and that is recorded.
        let Ok(permit) = Arc::clone(&slots).acquire_owned().await else {
            break;
        };
        let shared = Arc::clone(&shared);
        set.spawn(async move {
            one_flow(&shared, intended).await;
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

/// Runs the scenario once as one flow; records it if it was meant to start in the measured
/// window. Returns when it ended.
async fn one_flow(shared: &Shared, intended: Instant) -> Instant {
    let actual = Instant::now();
    let measuring = intended >= shared.measure_from;
    if measuring {
        shared.metrics.lock().flows_started += 1;
    }
    shared.in_flight.fetch_add(1, Ordering::Relaxed);
    let env = Env {
        target: &shared.target,
        profile: &shared.profile,
        oracles: &shared.oracles,
        keep_exchanges: false,
        keeps_last: shared.keeps_last,
    };
    let mut failure: Option<String> = None;
    let mut step_intended = intended;
    match shared
        .users
        .take(shared.scenario.users.len())
        .and_then(|users| context_for(&shared.scenario, &shared.profile, &users))
    {
        Err(e) => failure = Some(format!("setup: {e}")),
        Ok(mut context) => {
            for step in &shared.scenario.steps {
                let began = Instant::now();
                let result = run_step(step, &mut context, &env).await;
                let ended = Instant::now();
                let (raw, status, kind) = match &result {
                    Ok(record) => {
                        let raw = Duration::from_secs_f64(record.latency_ms / 1000.0);
                        let status = record.status;
                        (raw, status, step_failure(record, &shared.profile))
                    }
                    Err(e) => (ended - began, None, Some(format!("setup: {e}"))),
                };
                if measuring && !matches!(step.action, crate::scenario::model::Action::Wait(_)) {
                    // Corrected: from when this step should have begun (the flow's intended start
                    // for the first step, the previous step's end after that), oracle time excluded.
                    let corrected = raw + began.saturating_duration_since(step_intended);
                    shared.metrics.lock().record_step(
                        step.metric_name(),
                        corrected,
                        raw,
                        status,
                        kind.as_deref(),
                    );
                }
                step_intended = ended;
                if let Some(kind) = kind {
                    failure = Some(format!("{}: {kind}", step.metric_name()));
                    break;
                }
            }
        }
    }
    let ended = Instant::now();
    shared.in_flight.fetch_sub(1, Ordering::Relaxed);
    if measuring {
        let late = actual.saturating_duration_since(intended) > shared.late_after;
        shared.metrics.lock().record_flow(
            ended - intended,
            ended - actual,
            failure.as_deref(),
            late,
        );
    }
    ended
}

/// What went wrong in a step, as a short kind: the profile's failure kind of the answer when it
/// was an unexpected error, a transport failure, or the first failed check.
fn step_failure(record: &crate::runner::record::StepRecord, profile: &Profile) -> Option<String> {
    let first = record.failures.first()?;
    if let Some(error) = &record.transport_error {
        let short = error.split(':').next().unwrap_or(error);
        return Some(format!("transport ({short})"));
    }
    if let Some(response) = &record.response {
        if response.status >= 400 {
            let code = serde_json::from_str::<serde_json::Value>(&response.body)
                .ok()
                .and_then(|v| {
                    v.get("error_code")
                        .and_then(|c| c.as_str())
                        .map(str::to_owned)
                });
            if let Some(kind) = code
                .as_deref()
                .and_then(|c| profile.kind_of(response.status, c))
            {
                return Some(kind.to_owned());
            }
            return Some(format!("status {}", response.status));
        }
    }
    Some(first.check.clone())
}
