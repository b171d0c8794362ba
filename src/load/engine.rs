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

use super::flows::LoadRun;
use super::live::Reading;
use super::metrics::Metrics;
use super::pacer::{Pacer, Stage};
use super::shard::{Shard, StartAt};
use super::sink::{Sink, Sinks};
use super::tally::IntervalGauges;
use super::threads;
use crate::runner::session::{LoadSource, LoadUsers, Session, SessionOptions, Users};
use crate::runner::users::MAX_CREATED;
use crate::runner::RunError;
use crate::scenario::load_spec::{step_keys, LoadSpec, Model};
use crate::scenario::model::{Action, Scenario};

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
    /// Engine threads asked for (`--threads`; fewer when there is less to share,
    /// `threads::parts`).
    pub threads: u32,
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
    /// Engine threads the run had.
    pub threads: u32,
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
    let kinds = super::flows::user_kinds(scenario);
    let parts = threads::parts(
        options.threads,
        &options.spec,
        options.shard,
        &session,
        &kinds,
    );
    let threads = parts.len() as u32;
    let sessions = session.split(u64::from(threads))?;
    let outcome = |metrics, measured, interrupted, started_at| LoadOutcome {
        metrics,
        measured,
        interrupted,
        target: target.clone(),
        relaxed: relaxed.clone(),
        started_at,
        threads,
    };
    tokio::pin!(interrupted);
    let started_at = match &options.start {
        None => None,
        Some(start) => match start.wait(&mut interrupted).await {
            Ok(Some(time)) => Some(time),
            Ok(None) => {
                let metrics = Metrics::for_steps(step_keys(&scenario.steps));
                return Ok(outcome(metrics, Duration::ZERO, true, None));
            }
            Err(e) => return Err(RunError::Config(e)),
        },
    };
    let metrics = Metrics::for_steps(step_keys(&scenario.steps));
    let sinks = Sinks::new(metrics, sinks);
    let parts = parts.into_iter().zip(sessions).collect();
    let measured = measure(scenario, options, parts, sinks, interrupted).await?;
    Ok(outcome(
        measured.metrics,
        measured.window,
        measured.interrupted,
        started_at,
    ))
}

struct Measured {
    metrics: Metrics,
    window: Duration,
    interrupted: bool,
}

/// The run's engine threads, and how it is measured across them.
struct Engine {
    runs: Vec<Arc<LoadRun>>,
    /// The run's own: the threads' seconds merged, the command's sinks.
    sinks: Sinks,
    /// The open model's whole schedule (each thread takes its flows of it).
    schedule: Option<Pacer>,
    started: Instant,
    measure_from: Instant,
}

impl Engine {
    /// Merges every thread's open second into the run's and closes it (`last`: only if
    /// anything is in it) with the gauges read at its close.
    fn close_interval(&self, index: u64, last: bool, gauges: IntervalGauges) {
        {
            let mut merged = self.sinks.metrics();
            for run in &self.runs {
                run.sinks.metrics().drain_interval_into(&mut merged);
            }
        }
        self.sinks.close_interval(index as f64, last, gauges);
    }
}

/// Runs the flows on their threads, closing an interval every second, until the bound or an
/// interruption.
async fn measure(
    scenario: &Scenario,
    options: &LoadOptions,
    parts: Vec<(threads::Part, Session)>,
    sinks: Sinks,
    mut interrupted: std::pin::Pin<&mut impl Future<Output = ()>>,
) -> Result<Measured, RunError> {
    let spec = &options.spec;
    let (stop_tx, stop_rx) = watch::channel(false);
    let started = Instant::now();
    let (engine, runs) = engine(scenario, options, parts, sinks, stop_rx, started);
    let deadline = spec.duration.map(|d| started + spec.warmup + d);
    let live = super::live::live(&engine.runs, engine.schedule.clone(), started);
    engine.sinks.live(&live);
    let mut running =
        threads::spawn(&runs, engine.schedule.as_ref(), started).map_err(RunError::Config)?;
    drop(runs);
    let progress =
        super::progress::Progress::start(options.progress, spec, snapshots(&engine), started);
    let finished = running.finished();
    tokio::pin!(finished);

    let (interrupted_flag, workers_done, intervals) =
        tick(&engine, deadline, &mut interrupted, &mut finished).await;
    let measured_end = Instant::now();
    // The last interval's gauges are the measured window's end's, not the grace period's.
    let last_from = engine.measure_from + Duration::from_secs(intervals);
    let last = super::live::at_close(
        &engine.runs,
        engine.schedule.as_ref(),
        started,
        (last_from, measured_end),
    );
    let _ = stop_tx.send(true);
    // Each thread gives its flows in flight `GRACE`; a thread stuck past it is not waited for.
    if !workers_done {
        let _ =
            tokio::time::timeout(threads::GRACE + Duration::from_millis(500), &mut finished).await;
    }
    progress.finish();
    let elapsed = measured_end.saturating_duration_since(started);
    let metrics = wind_down(&engine, options, elapsed, (intervals, last));
    Ok(Measured {
        metrics,
        window: measured_end.saturating_duration_since(engine.measure_from),
        interrupted: interrupted_flag,
    })
}

/// The engine of `parts`, one thread's run each, with their models, from `started`.
fn engine(
    scenario: &Scenario,
    options: &LoadOptions,
    parts: Vec<(threads::Part, Session)>,
    sinks: Sinks,
    stop: watch::Receiver<bool>,
    started: Instant,
) -> (Engine, Vec<(Arc<LoadRun>, Model)>) {
    let spec = &options.spec;
    let runs: Vec<(Arc<LoadRun>, Model)> = parts
        .into_iter()
        .map(|(part, session)| {
            let metrics = Metrics::for_steps(step_keys(&scenario.steps));
            let sinks = sinks.for_thread(metrics);
            let run = load_run(
                scenario,
                options,
                &part,
                session,
                sinks,
                stop.clone(),
                started,
            );
            (run, part.spec.model)
        })
        .collect();
    // The open model's schedule, kept to count the flows that were due but never started.
    let schedule = match &spec.model {
        Model::Open { rate, stages, .. } => Some(pacer(*rate, stages, spec.warmup, spec.duration)),
        Model::Closed { .. } => None,
    };
    let engine = Engine {
        runs: runs.iter().map(|(run, _)| Arc::clone(run)).collect(),
        sinks,
        schedule,
        started,
        measure_from: started + spec.warmup,
    };
    (engine, runs)
}

/// Closes an interval every second until the stop condition: time (`deadline`), the threads
/// running out of flows (iterations), or an interruption; whether it was interrupted, whether
/// the threads ended, and the intervals closed.
async fn tick(
    engine: &Engine,
    deadline: Option<Instant>,
    interrupted: &mut std::pin::Pin<&mut impl Future<Output = ()>>,
    finished: &mut std::pin::Pin<&mut impl Future<Output = ()>>,
) -> (bool, bool, u64) {
    let mut intervals = 0u64;
    loop {
        let interval_start = engine.measure_from + Duration::from_secs(intervals);
        // Intervals end on whole seconds of the measured window, however late each wake-up:
        // counting from the wake-up drifted 0.58 s over a 10-minute run, and the last second
        // then held 42 of its 100 flows.
        let next_tick = interval_start + Duration::from_secs(1);
        let wake = deadline.map_or(next_tick, |d| d.min(next_tick));
        tokio::select! {
            _ = interrupted.as_mut() => return (true, false, intervals),
            _ = finished.as_mut() => return (false, true, intervals),
            _ = tokio::time::sleep_until(wake.into()) => {}
        }
        let now = Instant::now();
        if now >= next_tick {
            let span = (interval_start, next_tick);
            let schedule = engine.schedule.as_ref();
            let gauges = super::live::at_close(&engine.runs, schedule, engine.started, span);
            engine.close_interval(intervals, false, gauges);
            intervals += 1;
        }
        if deadline.is_some_and(|d| now >= d) {
            return (false, false, intervals);
        }
    }
}

/// What every flow of one engine thread shares.
fn load_run(
    scenario: &Scenario,
    options: &LoadOptions,
    part: &threads::Part,
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
        prebuilt: scenario
            .steps
            .iter()
            .map(|step| match &step.action {
                Action::Request(raw) => crate::runner::build::constant_raw(raw),
                _ => None,
            })
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
        iterations: part.spec.iterations,
        claimed: AtomicU64::new(0),
        shard: part.shard,
    })
}

/// The run has stopped: the flows the open model dropped, the last interval closed, the
/// threads' totals added up, the sinks told and finished.
fn wind_down(
    engine: &Engine,
    options: &LoadOptions,
    elapsed: Duration,
    (intervals, last): (u64, IntervalGauges),
) -> Metrics {
    let warmup = options.spec.warmup;
    let flows_dropped = engine.schedule.as_ref().map(|pacer| {
        let of = |run: &Arc<LoadRun>| {
            let started = run.sinks.metrics().flows_started;
            dropped(pacer, run.shard, warmup, started, elapsed)
        };
        engine.runs.iter().map(of).sum()
    });
    let end = Reading::End {
        dropped: flows_dropped,
    };
    let schedule = engine.schedule.as_ref();
    let gauges = super::live::gauges_of(&engine.runs, schedule, engine.started, end);
    engine.sinks.ended(&gauges);
    // The last, partial interval, with the gauges read as the measured window ended.
    engine.close_interval(intervals, true, last);
    {
        let mut merged = engine.sinks.metrics();
        for run in &engine.runs {
            merged.add_totals(&run.sinks.metrics());
        }
    }
    let (mut metrics, error) = engine.sinks.finish();
    if let Some(e) = error {
        eprintln!("gatecheck: the interval logs are incomplete: {e}");
    }
    metrics.flows_dropped = flows_dropped.unwrap_or(metrics.flows_dropped);
    metrics
}

/// Flows of this thread's slice of the schedule that fell due in the measured window (from
/// the warm-up's end to `elapsed`) but never started.
fn dropped(pacer: &Pacer, shard: Shard, warmup: Duration, started: u64, elapsed: Duration) -> u64 {
    let due_by = |at: Duration| shard.owned_below(pacer.due_by(at).floor().max(0.0) as u64);
    let due = due_by(elapsed).saturating_sub(due_by(warmup));
    due.saturating_sub(started)
}

/// The progress line's reading of the threads' metrics together.
fn snapshots(engine: &Engine) -> Arc<dyn Fn() -> super::progress::Snapshot + Send + Sync> {
    let runs = engine.runs.clone();
    Arc::new(move || {
        let in_flight = runs
            .iter()
            .map(|r| r.in_flight.load(Ordering::Relaxed))
            .sum();
        let ended = runs.iter().map(|r| r.ended.load(Ordering::Relaxed)).sum();
        let parts = runs.iter().map(|run| run.sinks.metrics());
        super::progress::Snapshot::of_parts(parts, in_flight, ended)
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
