//! The conformance runner: runs checked scenarios against a target (the embedded reference
//! gateway when none is given), each with its own users, many at once, and returns the plain
//! `RunRecord` that every report renders. Scenarios that move the target's clock run alone at
//! the end so they cannot expire another scenario's tokens.

pub mod build;
pub mod context;
pub mod embedded;
pub mod judge;
pub mod oracle;
pub mod outcome;
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

use parking_lot::Mutex;

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

/// Runs `scenarios`; stops early (keeping what finished) when `interrupted` resolves.
pub async fn run(
    scenarios: Vec<Scenario>,
    options: &RunOptions,
    interrupted: impl std::future::Future<Output = ()>,
) -> Result<(RunRecord, bool), RunError> {
    let started = Instant::now();
    let started_at = humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string();
    let mut session = Session::start(&options.session, Users::Fresh).await?;
    let gateway = session.detach_gateway();
    let session = Arc::new(session);
    let selected: Vec<Scenario> = scenarios
        .into_iter()
        .filter(|s| selected(s, options, session.moves_clock()))
        .collect();
    let selected_count = selected.len();
    let (alone, together): (Vec<_>, Vec<_>) = selected.into_iter().partition(Scenario::moves_time);
    let (target, embedded_target) = (session.shown_target.clone(), session.is_embedded());
    let records = Arc::new(Mutex::new(Vec::new()));
    let work = run_all(
        together,
        alone,
        Arc::clone(&session),
        options.jobs.max(1),
        Arc::clone(&records),
    );
    let completed = tokio::select! {
        _ = work => true,
        _ = interrupted => false,
    };
    // Stopped now, whether or not the aborted scenarios' tasks have let go of the session.
    drop(gateway);
    drop(session);
    let mut scenarios = std::mem::take(&mut *records.lock());
    scenarios.sort_by(|a, b| a.file.cmp(&b.file).then(a.name.cmp(&b.name)));
    Ok((
        RunRecord {
            schema_version: SCHEMA_VERSION,
            run_id: run_id(),
            target,
            embedded_target,
            secrets_revealed: options.session.reveal_secrets,
            interrupted: !completed,
            not_run: selected_count.saturating_sub(scenarios.len()),
            profile: options.session.profile.name.clone(),
            started_at,
            duration_ms: started.elapsed().as_millis() as u64,
            scenarios,
        },
        completed,
    ))
}

/// Up to `jobs` of `together` at once, then `alone` one by one; each record as it finishes.
async fn run_all(
    together: Vec<Scenario>,
    alone: Vec<Scenario>,
    session: Arc<Session>,
    jobs: usize,
    records: Arc<Mutex<Vec<ScenarioRecord>>>,
) {
    let limit = Arc::new(tokio::sync::Semaphore::new(jobs));
    let mut set = tokio::task::JoinSet::new();
    for scenario in together {
        let (session, records, limit) = (
            Arc::clone(&session),
            Arc::clone(&records),
            Arc::clone(&limit),
        );
        set.spawn(async move {
            let _permit = limit.acquire().await;
            let record = session.run(&scenario).await;
            records.lock().push(record);
        });
    }
    while set.join_next().await.is_some() {}
    for scenario in alone {
        let record = session.run(&scenario).await;
        records.lock().push(record);
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
