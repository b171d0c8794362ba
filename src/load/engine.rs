//! The load engine: one worker loop per virtual user (closed model) or one per flow started by
//! the pacer (open model), in `flows`. Each flow runs the scenario's steps with the conformance
//! runner's step executor, so expectations still hold under load; a failed expectation is
//! counted by kind and never stops the run. Every flow records its intended start next to its
//! actual one, so latency is reported both corrected for coordinated omission and raw. This
//! file sets the run up (the session, the agreed start), closes an interval every second, and
//! stops the run at its bound.

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::watch;

use super::flows::{closed, open, LoadRun};
use super::live::Reading;
use super::metrics::Metrics;
use super::pacer::{Pacer, Stage};
use super::shard::{Shard, StartAt};
use super::sink::{Sink, Sinks};
use super::tally::IntervalGauges;
use crate::runner::session::{LoadSource, LoadUsers, Session, SessionOptions, Users};
use crate::runner::users::MAX_CREATED;
use crate::runner::RunError;
use crate::scenario::load_spec::{step_keys, LoadSpec, Model};
use crate::scenario::model::Scenario;

#[derive(Debug, Clone)]
pub struct LoadOptions {
    pub spec: LoadSpec,
    /// The target, profile, oracles and connection; the embedded gateway's configuration
    /// (faults), whose resend interval is relaxed for load.
    pub session: SessionOptions,
    /// A flow starting later than this after its intended start counts as late.
    pub late_after: Duration,
    pub progress: bool,
    /// Where the flows' users come from (`--generated-users`, `--accounts`, else as the
    /// target and profile allow).
    pub users: LoadSource,
    /// Users to create per declared user when they are created (`--create-users`); else as
    /// many as the run's bound needs (`users_needed`).
    pub create_users: Option<u64>,
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

/// Starts the session a load run needs: the embedded gateway with generated users (the
/// profile's numbering, else 50 million of the reference one) and no resend interval, and
/// users per flow from this shard's slice, created before the run when they must be.
async fn start_session(
    scenario: &Scenario,
    options: &LoadOptions,
) -> Result<(Session, Option<String>), RunError> {
    let mut session_options = options.session.clone();
    let profile = &session_options.profile;
    crate::runner::embedded::for_load(profile, &mut session_options.embedded);
    let users = Users::Load(LoadUsers {
        source: options.users.clone(),
        slice: options.shard.users(),
        kinds: super::flows::user_kinds(scenario),
        create: options
            .create_users
            .unwrap_or_else(|| users_needed(&options.spec, options.shard)),
    });
    let session = Session::start(&session_options, users).await?;
    if let Some(note) = &session.users_note {
        eprintln!("users: {note}");
    }
    let relaxed = session.is_embedded().then(|| format!("embedded reference gateway with {} generated users; resend interval relaxed from 60s to 0 so repeated flows are not throttled", session_options.embedded.generated.count));
    Ok((session, relaxed))
}

/// Flows a user can assume per virtual user and second when a closed run's bound is its
/// duration (a 10 ms flow); past them users are reused once their resend interval is over.
const FLOWS_PER_VU_SECOND: u64 = 100;

/// Fresh users this shard's run takes, one per flow: the open model's schedule over warm-up
/// and duration (exact); a closed run's iterations plus one per virtual user, or else its
/// virtual users times `FLOWS_PER_VU_SECOND` times its seconds, plus as many for its warm-up;
/// at most what may be created.
pub fn users_needed(spec: &LoadSpec, shard: Shard) -> u64 {
    let seconds = |d: Duration| d.as_secs_f64().ceil() as u64;
    let needed = match &spec.model {
        Model::Open { rate, stages, .. } => {
            let schedule = pacer(*rate, stages, spec.warmup, spec.duration);
            let due = |at: Duration| shard.owned_below(schedule.due_by(at).ceil().max(0.0) as u64);
            let warm = due(spec.warmup);
            let scheduled = spec.duration.map(|d| due(spec.warmup + d));
            match (scheduled, spec.iterations) {
                (Some(all), Some(n)) => all.min(warm + n),
                (Some(all), None) => all,
                (None, n) => warm + n.unwrap_or(0),
            }
        }
        Model::Closed { vus, .. } => {
            let per_second = u64::from(*vus) * FLOWS_PER_VU_SECOND;
            let measured = match spec.iterations {
                Some(n) => n + u64::from(*vus),
                None => per_second * seconds(spec.duration.unwrap_or_default()).max(1),
            };
            measured + per_second * seconds(spec.warmup)
        }
    };
    needed.clamp(1, MAX_CREATED / u64::from(shard.count.max(1)))
}

/// Runs `scenario` under load until its bound, a stop, or `interrupted` resolves; every step,
/// flow and interval also goes to `sinks` (the interval logs, exporters).
pub async fn run(
    scenario: &Scenario,
    options: &LoadOptions,
    sinks: Vec<Box<dyn Sink>>,
    interrupted: impl Future<Output = ()>,
) -> Result<LoadOutcome, RunError> {
    let (mut session, relaxed) = start_session(scenario, options).await?;
    // Stopped when the run returns, whatever still holds the session.
    let _gateway = session.detach_gateway();
    let target = session.url().to_owned();
    tokio::pin!(interrupted);
    let started_at = match &options.start {
        None => None,
        Some(start) => match start.wait(&mut interrupted).await {
            Ok(Some(time)) => Some(time),
            Ok(None) => {
                return Ok(LoadOutcome {
                    metrics: Metrics::for_steps(step_keys(&scenario.steps)),
                    measured: Duration::ZERO,
                    interrupted: true,
                    target,
                    relaxed,
                    started_at: None,
                })
            }
            Err(e) => return Err(RunError::Config(e)),
        },
    };
    let metrics = Metrics::for_steps(step_keys(&scenario.steps));
    let sinks = Sinks::new(metrics, sinks);
    let measured = measure(scenario, options, session, sinks, interrupted).await;
    Ok(LoadOutcome {
        metrics: measured.metrics,
        measured: measured.window,
        interrupted: measured.interrupted,
        target,
        relaxed,
        started_at,
    })
}

struct Measured {
    metrics: Metrics,
    window: Duration,
    interrupted: bool,
}

/// Runs the flows, closing an interval every second, until the bound or an interruption.
async fn measure(
    scenario: &Scenario,
    options: &LoadOptions,
    session: Session,
    sinks: Sinks,
    mut interrupted: std::pin::Pin<&mut impl Future<Output = ()>>,
) -> Measured {
    let spec = &options.spec;
    let (stop_tx, stop_rx) = watch::channel(false);
    let started = Instant::now();
    let run = load_run(scenario, options, session, sinks, stop_rx, started);
    let deadline = spec.duration.map(|d| started + spec.warmup + d);
    // The open model's schedule, kept to count the flows that were due but never started.
    let schedule = match &spec.model {
        Model::Open { rate, stages, .. } => Some(pacer(*rate, stages, spec.warmup, spec.duration)),
        Model::Closed { .. } => None,
    };
    run.sinks
        .live(&super::live::live(&run, schedule.clone(), started));
    let workers = spawn_workers(&run, &spec.model, schedule.clone(), started);
    let progress =
        super::progress::Progress::start(options.progress, spec, snapshots(&run), started);
    tokio::pin!(workers);

    // The stop condition: time, the workers running out (iterations), or an interruption.
    let mut intervals = 0u64;
    let (interrupted_flag, workers_done) = loop {
        let interval_start = run.measure_from + Duration::from_secs(intervals);
        // Intervals end on whole seconds of the measured window, however late each wake-up:
        // counting from the wake-up drifted 0.58 s over a 10-minute run, and the last second
        // then held 42 of its 100 flows.
        let next_tick = interval_start + Duration::from_secs(1);
        let wake = deadline.map_or(next_tick, |d| d.min(next_tick));
        tokio::select! {
            _ = &mut interrupted => break (true, false),
            _ = &mut workers => break (false, true),
            _ = tokio::time::sleep_until(wake.into()) => {}
        }
        let now = Instant::now();
        let interval_end = interval_start + Duration::from_secs(1);
        if now >= interval_end {
            let span = (interval_start, interval_end);
            let gauges = super::live::at_close(&run, schedule.as_ref(), started, span);
            run.sinks.close_interval(intervals as f64, false, gauges);
            intervals += 1;
        }
        if deadline.is_some_and(|d| now >= d) {
            break (false, false);
        }
    };
    let measured_end = Instant::now();
    // The last interval's gauges are the measured window's end's, not the grace period's.
    let last_span = (
        run.measure_from + Duration::from_secs(intervals),
        measured_end,
    );
    let last = super::live::at_close(&run, schedule.as_ref(), started, last_span);
    let _ = stop_tx.send(true);
    // In-flight flows may finish within a second; after that, what ran is reported.
    if !workers_done {
        let _ = tokio::time::timeout(Duration::from_secs(1), &mut workers).await;
        workers.abort();
    }
    progress.finish();
    let elapsed = measured_end.saturating_duration_since(started);
    let metrics = wind_down(
        &run,
        options,
        schedule.as_ref(),
        started,
        elapsed,
        (intervals, last),
    );
    Measured {
        metrics,
        window: measured_end.saturating_duration_since(run.measure_from),
        interrupted: interrupted_flag,
    }
}

/// The closed model's virtual users or the open model's flows, in a task of their own.
fn spawn_workers(
    run: &Arc<LoadRun>,
    model: &Model,
    schedule: Option<Pacer>,
    started: Instant,
) -> tokio::task::JoinHandle<()> {
    let run = Arc::clone(run);
    let model = model.clone();
    tokio::spawn(async move {
        match (model, schedule) {
            (Model::Open { max_in_flight, .. }, Some(pacer)) => {
                open(run, pacer, started, max_in_flight).await
            }
            (Model::Closed { vus, think_time }, _) => closed(run, vus, think_time).await,
            (Model::Open { .. }, None) => {}
        }
    })
}

/// What every flow of the run shares.
fn load_run(
    scenario: &Scenario,
    options: &LoadOptions,
    session: Session,
    sinks: Sinks,
    stop: watch::Receiver<bool>,
    started: Instant,
) -> Arc<LoadRun> {
    Arc::new(LoadRun {
        step_names: step_keys(&scenario.steps)
            .into_iter()
            .map(|k| k.name)
            .collect(),
        keeps_last: crate::runner::step::keeps_last(scenario),
        user_kinds: super::flows::user_kinds(scenario),
        scenario: scenario.clone(),
        session,
        sinks,
        measure_from: started + options.spec.warmup,
        late_after: options.late_after,
        in_flight: AtomicU64::new(0),
        active_vus: AtomicU64::new(0),
        ended: AtomicU64::new(0),
        stop,
        iterations: options.spec.iterations,
        claimed: AtomicU64::new(0),
        shard: options.shard,
    })
}

/// The run has stopped: the flows the open model dropped, the sinks told and finished.
fn wind_down(
    run: &Arc<LoadRun>,
    options: &LoadOptions,
    schedule: Option<&Pacer>,
    started: Instant,
    elapsed: Duration,
    (intervals, last): (u64, IntervalGauges),
) -> Metrics {
    let started_flows = run.sinks.metrics().flows_started;
    let warmup = options.spec.warmup;
    let flows_dropped =
        schedule.map(|pacer| dropped(pacer, options.shard, warmup, started_flows, elapsed));
    let end = Reading::End {
        dropped: flows_dropped,
    };
    run.sinks
        .ended(&super::live::gauges(run, schedule, started, end));
    let mut metrics = finish_sinks(run, intervals, last);
    metrics.flows_dropped = flows_dropped.unwrap_or(metrics.flows_dropped);
    metrics
}

/// Closes the last, partial interval (with the gauges read as the measured window ended) and
/// finishes every sink; the metrics.
fn finish_sinks(run: &LoadRun, intervals: u64, last: IntervalGauges) -> Metrics {
    run.sinks.close_interval(intervals as f64, true, last);
    let (metrics, error) = run.sinks.finish();
    if let Some(e) = error {
        eprintln!("gatecheck: the interval logs are incomplete: {e}");
    }
    metrics
}

/// Flows of this shard's slice of the schedule that fell due in the measured window (from
/// the warm-up's end to `elapsed`) but never started.
fn dropped(pacer: &Pacer, shard: Shard, warmup: Duration, started: u64, elapsed: Duration) -> u64 {
    let due_by = |at: Duration| shard.owned_below(pacer.due_by(at).floor().max(0.0) as u64);
    let due = due_by(elapsed).saturating_sub(due_by(warmup));
    due.saturating_sub(started)
}

fn snapshots(run: &Arc<LoadRun>) -> Arc<dyn Fn() -> super::progress::Snapshot + Send + Sync> {
    let run = Arc::clone(run);
    Arc::new(move || {
        let metrics = run.sinks.metrics();
        let in_flight = run.in_flight.load(Ordering::Relaxed);
        super::progress::Snapshot::of(&metrics, in_flight, run.ended.load(Ordering::Relaxed))
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
