//! The conformance runner: runs checked scenarios against a target (the embedded reference
//! gateway when none is given), each with its own users, many at once, and returns the plain
//! `RunRecord` that every report renders. Scenarios that move the target's clock run alone at
//! the end so they cannot expire another scenario's tokens.

pub mod context;
pub mod oracle;
pub mod record;
pub mod solve;
pub mod step;
pub mod target;
pub mod users;

use std::sync::Arc;
use std::time::Instant;

use parking_lot::Mutex;
use serde_json::{json, Map, Value};

use crate::gateway::{self, Clock, GatewayConfig, SpawnedGateway};
use crate::profile::{CaptchaOracle, CodeOracle, Profile};
use crate::scenario::model::{Scenario, UserKind};
use context::Context;
use oracle::Oracles;
use record::{RunRecord, ScenarioRecord, Verdict, SCHEMA_VERSION};
use step::{run_step, Env};
use target::{ClientOptions, Target};
use users::UserPool;

#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Base URL of the gateway; None starts the embedded reference gateway.
    pub target: Option<String>,
    pub profile: Profile,
    pub captcha_oracle: Option<CaptchaOracle>,
    pub code_oracle: Option<CodeOracle>,
    /// Run only scenarios with one of these tags (all when empty).
    pub tags: Vec<String>,
    pub skip_tags: Vec<String>,
    pub jobs: usize,
    /// Timeout, body cap, HTTP version and TLS choices of the connection to the target.
    pub client: ClientOptions,
    /// Options for the embedded gateway (faults, choices); ignored with a target.
    pub embedded: GatewayConfig,
}

impl RunOptions {
    pub fn new(profile: Profile) -> Self {
        Self {
            target: None,
            profile,
            captcha_oracle: None,
            code_oracle: None,
            tags: Vec::new(),
            skip_tags: Vec::new(),
            jobs: 16,
            client: ClientOptions::default(),
            embedded: GatewayConfig {
                captcha_pool: 16,
                ..GatewayConfig::default()
            },
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
    let (target_url, embedded) = match &options.target {
        Some(url) => (url.clone(), None),
        None => {
            let gateway = gateway::spawn(options.embedded.clone(), Clock::system()).await?;
            (gateway.base_url(), Some(gateway))
        }
    };
    let shared = Arc::new(Session::connect(&target_url, options).await?.shared);

    let selected: Vec<Scenario> = scenarios
        .into_iter()
        .filter(|s| selected(s, options, shared.oracles.clock))
        .collect();
    let (alone, together): (Vec<_>, Vec<_>) = selected.into_iter().partition(Scenario::moves_time);
    let records = Arc::new(Mutex::new(Vec::new()));
    let work = {
        let (shared, records) = (Arc::clone(&shared), Arc::clone(&records));
        let jobs = options.jobs.max(1);
        async move {
            let limit = Arc::new(tokio::sync::Semaphore::new(jobs));
            let mut set = tokio::task::JoinSet::new();
            for scenario in together {
                let (shared, records, limit) = (
                    Arc::clone(&shared),
                    Arc::clone(&records),
                    Arc::clone(&limit),
                );
                set.spawn(async move {
                    let _permit = limit.acquire().await;
                    let record = run_scenario(&scenario, &shared).await;
                    records.lock().push(record);
                });
            }
            while set.join_next().await.is_some() {}
            for scenario in alone {
                let record = run_scenario(&scenario, &shared).await;
                records.lock().push(record);
            }
        }
    };
    let completed = tokio::select! {
        _ = work => true,
        _ = interrupted => false,
    };
    drop(embedded.map(SpawnedGateway::stop));
    let mut scenarios = std::mem::take(&mut *records.lock());
    scenarios.sort_by(|a, b| a.file.cmp(&b.file).then(a.name.cmp(&b.name)));
    Ok((
        RunRecord {
            schema_version: SCHEMA_VERSION,
            run_id: run_id(),
            target: if options.target.is_some() {
                target_url
            } else {
                format!("{target_url} (embedded reference gateway)")
            },
            embedded_target: options.target.is_none(),
            profile: options.profile.name.clone(),
            started_at,
            duration_ms: started.elapsed().as_millis() as u64,
            scenarios,
        },
        completed,
    ))
}

/// A client for `url` that has answered once, and the oracles chosen for it.
pub async fn connect(
    url: &str,
    client: &ClientOptions,
    profile: &Profile,
    captcha: Option<CaptchaOracle>,
    code: Option<CodeOracle>,
) -> Result<(Target, Oracles), RunError> {
    let target = Target::new(url, client.clone()).map_err(RunError::Config)?;
    if let Err(e) = target.reachable().await {
        return Err(RunError::Unreachable {
            url: url.to_owned(),
            reason: e.0,
        });
    }
    let oracles = Oracles::choose(profile, captcha, code, &target)
        .await
        .map_err(RunError::Config)?;
    Ok((target, oracles))
}

struct Shared {
    target: Target,
    profile: Profile,
    oracles: Oracles,
    pool: Arc<UserPool>,
}

/// One target, connected, its oracles chosen: runs scenarios one at a time, each with fresh
/// users (how `gatecheck fuzz` runs its generated cases).
pub struct Session {
    shared: Shared,
}

impl Session {
    pub async fn connect(url: &str, options: &RunOptions) -> Result<Self, RunError> {
        let (target, oracles) = connect(
            url,
            &options.client,
            &options.profile,
            options.captcha_oracle,
            options.code_oracle.clone(),
        )
        .await?;
        let pool = Arc::new(if oracles.clock || options.profile.test_support {
            UserPool::created()
        } else {
            UserPool::accounts(options.profile.accounts.clone())
        });
        Ok(Self {
            shared: Shared {
                target,
                profile: options.profile.clone(),
                oracles,
                pool,
            },
        })
    }

    /// Whether the target's clock can be moved (test support), so waits cost no real time.
    pub fn moves_clock(&self) -> bool {
        self.shared.oracles.clock
    }

    pub async fn run(&self, scenario: &Scenario) -> ScenarioRecord {
        run_scenario(scenario, &self.shared).await
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

async fn run_scenario(scenario: &Scenario, shared: &Shared) -> ScenarioRecord {
    let started = Instant::now();
    let mut record = ScenarioRecord {
        name: scenario.name.clone(),
        file: scenario.path.clone(),
        tags: scenario.tags.clone(),
        verdict: Verdict::Passed,
        reason: None,
        duration_ms: 0,
        steps: Vec::new(),
    };
    if !shared.oracles.clock && scenario.moves_time() && !record.tags.iter().any(|t| t == "slow") {
        record.tags.push("slow".into());
    }
    let profile_value = shared.profile.to_value();
    for (switch, _) in &scenario.requires {
        let on = switch
            .split('.')
            .try_fold(&profile_value, |v, k| v.get(k))
            .and_then(Value::as_bool)
            .unwrap_or(false);
        if !on {
            record.verdict = Verdict::Skipped;
            record.reason = Some(format!("the profile has `{switch}` off"));
            return record;
        }
    }
    let result = async {
        let mut context = prepare(scenario, shared).await?;
        let env = Env {
            target: &shared.target,
            profile: &shared.profile,
            oracles: &shared.oracles,
            keep_exchanges: true,
            keeps_last: step::keeps_last(scenario),
        };
        'steps: for step in &scenario.steps {
            let times = repeat_count(step, &context)
                .map_err(|e| format!("step `{}` (line {}): {e}", step.name, step.at.line))?;
            for _ in 0..times {
                let step_record = run_step(step, &mut context, &env)
                    .await
                    .map_err(|e| format!("step `{}` (line {}): {e}", step.name, step.at.line))?;
                let failed = !step_record.failures.is_empty();
                record.steps.push(step_record);
                if failed {
                    record.verdict = Verdict::Failed;
                    break 'steps;
                }
            }
        }
        Ok::<(), String>(())
    }
    .await;
    if let Err(reason) = result {
        record.verdict = Verdict::Error;
        record.reason = Some(reason);
    }
    record.duration_ms = started.elapsed().as_millis() as u64;
    record
}

fn repeat_count(step: &crate::scenario::model::Step, context: &Context) -> Result<u64, String> {
    let Some(repeat) = &step.repeat else {
        return Ok(1);
    };
    match repeat.render(&|p| context.lookup(p))? {
        Value::Number(n) => n
            .as_u64()
            .filter(|c| (1..=1000).contains(c))
            .ok_or_else(|| format!("`repeat` is {n}, not a count from 1 to 1000")),
        other => Err(format!("`repeat` is {other}, not a count")),
    }
}

/// Users, variables and the flow's starting values.
async fn prepare(scenario: &Scenario, shared: &Shared) -> Result<Context, String> {
    let mut users = Vec::new();
    for declared in &scenario.users {
        users.push(shared.pool.take(declared.kind, &shared.target).await?);
    }
    context_for(scenario, &shared.profile, &users)
}

/// The starting context of one run of `scenario` with these users (one per declared user, the
/// first is `user`).
pub fn context_for(
    scenario: &Scenario,
    profile: &Profile,
    users: &[users::TestUser],
) -> Result<Context, String> {
    let mut context = Context {
        profile: profile.shared_value(),
        ..Context::default()
    };
    let mut names = Map::new();
    for (declared, user) in scenario.users.iter().zip(users) {
        names.insert(declared.name.clone(), Value::String(user.identity.clone()));
    }
    if let Some(user) = users.first() {
        context.set("user", json!(user.identity));
        context.set("password", json!(user.password));
        context.set("old_password", json!(user.password));
        context.set("new_password", json!(new_password(profile)));
        context.set("client_type", json!(0));
        context.set(
            "account",
            user.account.clone().map_or(Value::Null, Value::String),
        );
        let method = if user.kind == UserKind::Account {
            json!("sms")
        } else {
            Value::Null
        };
        context.set("send_method", method);
    }
    context.set("users", Value::Object(names));
    for (name, value) in &scenario.vars {
        let rendered = value
            .render(&|p| context.lookup(p))
            .map_err(|e| format!("variable `{name}`: {e}"))?;
        context.vars.insert(name.clone(), rendered);
    }
    Ok(context)
}

/// A new password the profile's rules accept: four classes, no runs, within the length limits.
fn new_password(profile: &Profile) -> String {
    let min = profile
        .password
        .get("min_length")
        .and_then(Value::as_u64)
        .unwrap_or(8) as usize;
    let max = profile
        .password
        .get("max_length")
        .and_then(Value::as_u64)
        .unwrap_or(32) as usize;
    let pattern = "Nw7#Qz4!Rk2$Tb9&Vm5*Xp3^Ld8%Hc6@";
    let length = 12.clamp(min.max(1), max.max(min).max(1)).min(pattern.len());
    pattern[..length].to_owned()
}
