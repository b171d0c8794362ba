//! The conformance runner: runs checked scenarios against a target (the embedded reference
//! gateway when none is given), each with its own users, many at once, and returns the plain
//! `RunRecord` that every report renders. Scenarios that move the target's clock run alone at
//! the end so they cannot expire another scenario's tokens. `run_observed` says when the run
//! starts and hands over each scenario's record as it finishes, for a console that keeps up.

pub mod build;
pub mod context;
pub mod embedded;
pub mod flat;
pub mod judge;
pub mod oracle;
pub mod outcome;
pub mod peek;
pub mod picture;
pub mod pool;
pub mod record;
pub mod redaction;
pub mod scenario;
pub mod session;
pub mod step;
pub mod target;
pub mod users;

use std::sync::Arc;
use std::time::Instant;

use crate::gateway;
use crate::profile::Profile;
use crate::scenario::model::Scenario;
use record::{RunRecord, ScenarioRecord, SCHEMA_VERSION};
pub use scenario::context_for;
pub use session::{Session, SessionOptions, Users};

#[derive(Debug, Clone)]
pub struct RunOptions {
    /// The target, profile, oracles, connection and embedded gateway.
    pub session: SessionOptions,
    /// Run only scenarios with one of these tags (all when empty).
    pub tags: Vec<String>,
    pub skip_tags: Vec<String>,
    pub jobs: usize,
    /// The run's id (its report directory's name); made when the run starts if `None`.
    pub run_id: Option<String>,
}

/// CAPTCHA images the embedded gateway keeps ready for a conformance run (fast to start).
pub const RUN_CAPTCHA_POOL: usize = 16;

impl RunOptions {
    pub fn new(profile: Profile) -> Self {
        let mut session = SessionOptions::new(profile);
        session.embedded.captcha_pool = RUN_CAPTCHA_POOL;
        Self {
            session,
            tags: Vec::new(),
            skip_tags: Vec::new(),
            jobs: 16,
            run_id: None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("{0}")]
    Config(String),
    #[error("target {url} is unreachable: {reason}")]
    Unreachable { url: String, reason: String },
    #[error("cannot start the embedded gateway: {0}")]
    Embedded(#[from] gateway::GatewayError),
}

/// What a run says as it goes: once when the scenarios are chosen, then each record as its
/// scenario finishes (in completion order, not the record's sorted order).
#[derive(Debug)]
pub enum RunEvent<'a> {
    Started(&'a RunStart),
    Finished(&'a ScenarioRecord),
}

/// What is known when a run starts: enough for a console header and a progress line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunStart {
    pub run_id: String,
    pub target: String,
    pub profile: String,
    pub secrets_revealed: bool,
    /// The names of the selected scenarios (their count is the run's size).
    pub selected: Vec<String>,
}

/// Runs `scenarios`; stops early (keeping what finished) when `interrupted` resolves.
pub async fn run(
    scenarios: Vec<Scenario>,
    options: &RunOptions,
    interrupted: impl std::future::Future<Output = ()>,
) -> Result<(RunRecord, bool), RunError> {
    run_observed(scenarios, options, interrupted, |_| {}).await
}

/// `run`, telling `observe` when the run starts and as each scenario finishes.
pub async fn run_observed(
    scenarios: Vec<Scenario>,
    options: &RunOptions,
    interrupted: impl std::future::Future<Output = ()>,
    mut observe: impl FnMut(RunEvent<'_>),
) -> Result<(RunRecord, bool), RunError> {
    let started = Instant::now();
    let started_at = humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string();
    // Stamped with the start, so report directories sort by when runs began.
    let run_id = options.run_id.clone().unwrap_or_else(run_id);
    let mut session = Session::start(&options.session, Users::Fresh).await?;
    let gateway = session.detach_gateway();
    let session = Arc::new(session);
    let selected = select(scenarios, options, session.moves_clock())?;
    let start = RunStart {
        run_id,
        target: session.shown_target.clone(),
        profile: options.session.profile.name.clone(),
        secrets_revealed: options.session.reveal_secrets,
        selected: selected.iter().map(|s| s.name.clone()).collect(),
    };
    observe(RunEvent::Started(&start));
    let embedded_target = session.is_embedded();
    let (alone, together): (Vec<_>, Vec<_>) = selected.into_iter().partition(Scenario::moves_time);
    let (sender, receiver) = tokio::sync::mpsc::unbounded_channel();
    let work = run_all(
        together,
        alone,
        Arc::clone(&session),
        options.jobs.max(1),
        sender,
    );
    let (mut scenarios, completed) = collect(work, receiver, interrupted, &mut observe).await;
    // Stopped now, whether or not the aborted scenarios' tasks have let go of the session.
    drop(gateway);
    drop(session);
    scenarios.sort_by(|a, b| a.file.cmp(&b.file).then(a.name.cmp(&b.name)));
    Ok((
        RunRecord {
            schema_version: SCHEMA_VERSION,
            run_id: start.run_id,
            target: start.target,
            embedded_target,
            secrets_revealed: start.secrets_revealed,
            interrupted: !completed,
            not_run: start.selected.len().saturating_sub(scenarios.len()),
            profile: start.profile,
            started_at,
            duration_ms: started.elapsed().as_millis() as u64,
            scenarios,
        },
        completed,
    ))
}

/// The records as they arrive, each shown to `observe`, until the work is done (true) or
/// `interrupted` resolves (false; the records already sent are kept).
async fn collect(
    work: impl std::future::Future<Output = ()>,
    mut receiver: tokio::sync::mpsc::UnboundedReceiver<ScenarioRecord>,
    interrupted: impl std::future::Future<Output = ()>,
    observe: &mut impl FnMut(RunEvent<'_>),
) -> (Vec<ScenarioRecord>, bool) {
    let mut records = Vec::new();
    let mut finished = |record: ScenarioRecord| {
        observe(RunEvent::Finished(&record));
        records.push(record);
    };
    tokio::pin!(work);
    tokio::pin!(interrupted);
    let completed = loop {
        tokio::select! {
            biased;
            Some(record) = receiver.recv() => finished(record),
            () = &mut work => break true,
            () = &mut interrupted => break false,
        }
    };
    while let Ok(record) = receiver.try_recv() {
        finished(record);
    }
    (records, completed)
}

/// The scenarios the tag filters let run; none at all is an error naming the tags there are.
fn select(
    scenarios: Vec<Scenario>,
    options: &RunOptions,
    clock: bool,
) -> Result<Vec<Scenario>, RunError> {
    let known = known_tags(&scenarios);
    let chosen: Vec<Scenario> = scenarios
        .into_iter()
        .filter(|s| selected(s, options, clock))
        .collect();
    if chosen.is_empty() && !(options.tags.is_empty() && options.skip_tags.is_empty()) {
        return Err(RunError::Config(format!(
            "the tag filters select no scenario (tags there are: {})",
            known.join(", ")
        )));
    }
    Ok(chosen)
}

/// Every tag of `scenarios`, and `slow`, sorted.
pub fn known_tags(scenarios: &[Scenario]) -> Vec<String> {
    let mut tags: Vec<String> = scenarios
        .iter()
        .flat_map(|s| s.tags.iter().cloned())
        .chain(["slow".to_owned()])
        .collect();
    tags.sort();
    tags.dedup();
    tags
}

/// Up to `jobs` of `together` at once, then `alone` one by one; each record sent as it
/// finishes.
async fn run_all(
    together: Vec<Scenario>,
    alone: Vec<Scenario>,
    session: Arc<Session>,
    jobs: usize,
    records: tokio::sync::mpsc::UnboundedSender<ScenarioRecord>,
) {
    let limit = Arc::new(tokio::sync::Semaphore::new(jobs));
    let mut set = tokio::task::JoinSet::new();
    for scenario in together {
        let (session, records, limit) = (Arc::clone(&session), records.clone(), Arc::clone(&limit));
        set.spawn(async move {
            let _permit = limit.acquire().await;
            let record = session.run(&scenario).await;
            let _ = records.send(record);
        });
    }
    while set.join_next().await.is_some() {}
    for scenario in alone {
        let record = session.run(&scenario).await;
        let _ = records.send(record);
    }
}

/// Whether the tag filters let `scenario` run. A scenario that must really wait (no clock to
/// advance) counts as tagged `slow`.
fn selected(scenario: &Scenario, options: &RunOptions, clock: bool) -> bool {
    let slow = !clock && scenario.moves_time();
    let has = |tags: &[String]| {
        scenario.tags.iter().any(|t| tags.contains(t)) || (slow && tags.iter().any(|t| t == "slow"))
    };
    (options.tags.is_empty() || has(&options.tags)) && !has(&options.skip_tags)
}

/// A sortable, unique-enough name for a run's report directory.
pub fn run_id() -> String {
    let now = humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string();
    let compact: String = now.chars().filter(|c| c.is_ascii_alphanumeric()).collect();
    format!("{compact}-{:04x}", rand::random::<u16>())
}
