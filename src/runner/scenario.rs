//! One scenario run once against a session's target: users of its own, its variables, then
//! each step in turn (repeated where it says so) until one fails. The record says what ran.

use std::time::Instant;

use serde_json::{json, Map, Value};

use super::context::Context;
use super::outcome::{SetupKind, StepError};
use super::record::{ScenarioRecord, Verdict};
use super::session::Session;
use super::step::{self, run_step, Env};
use super::users::TestUser;
use crate::profile::Profile;
use crate::scenario::model::{Scenario, UserKind};

impl Session {
    /// Runs one scenario with users of its own (how `gatecheck fuzz` runs its generated cases).
    pub async fn run(&self, scenario: &Scenario) -> ScenarioRecord {
        run_scenario(scenario, self).await
    }
}

async fn run_scenario(scenario: &Scenario, session: &Session) -> ScenarioRecord {
    let started = Instant::now();
    let mut record = ScenarioRecord {
        name: scenario.name.clone(),
        file: scenario.path.clone(),
        tags: scenario.tags.clone(),
        covers: scenario.covers.clone(),
        verdict: Verdict::Passed,
        reason: None,
        setup: None,
        duration_ms: 0,
        steps: Vec::new(),
    };
    if !session.oracles.clock && scenario.moves_time() && !record.tags.iter().any(|t| t == "slow") {
        record.tags.push("slow".into());
    }
    let profile_value = session.profile.to_value();
    for (requirement, _) in &scenario.requires {
        if let Err(reason) = requirement.check(&profile_value) {
            record.verdict = Verdict::Skipped;
            record.reason = Some(reason);
            return record;
        }
    }
    // Kept outside the steps' block: the reason of a scenario that could not run is scrubbed
    // of the secrets its steps met.
    let mut kept: Option<Context> = None;
    let result = async {
        let context = kept.insert(prepare(scenario, session).await?);
        let env = Env {
            target: &session.target,
            profile: &session.profile,
            oracles: &session.oracles,
            keep_exchanges: true,
            keeps_last: step::keeps_last(scenario),
            redactor: &session.redactor,
        };
        'steps: for step in &scenario.steps {
            let times = repeat_count(step, context)
                .map_err(StepError::of(SetupKind::Template))
                .map_err(|e| at(step, e))?;
            for _ in 0..times {
                let step_record = run_step(step, None, context, &env)
                    .await
                    .map_err(|e| at(step, e))?;
                let failed = !step_record.failures.is_empty();
                record.steps.push(step_record);
                if failed {
                    record.verdict = Verdict::Failed;
                    break 'steps;
                }
            }
        }
        Ok::<(), StepError>(())
    }
    .await;
    if let Err(error) = result {
        record.verdict = Verdict::Error;
        record.reason = Some(match &kept {
            Some(context) => super::redaction::reason(&session.redactor, &error.message, context),
            None => error.message,
        });
        record.setup = Some(error.kind);
    }
    record.duration_ms = started.elapsed().as_millis() as u64;
    record
}

/// The error with the step it happened in.
fn at(step: &crate::scenario::model::Step, error: StepError) -> StepError {
    StepError {
        message: format!("step `{}` (line {}): {error}", step.name, step.at.line),
        ..error
    }
}

/// How many times in a row `step` runs (`repeat`, 1 without it; 0 leaves it out).
pub fn repeat_count(step: &crate::scenario::model::Step, context: &Context) -> Result<u64, String> {
    let Some(repeat) = &step.repeat else {
        return Ok(1);
    };
    match repeat.render(&|p| context.lookup(p))? {
        Value::Number(n) => n
            .as_u64()
            // A template may give 0 (`profile.code.attempts - 1` where the limit is 1): the
            // step is left out.
            .filter(|c| (0..=1000).contains(c))
            .ok_or_else(|| format!("`repeat` is {n}, not a count from 0 to 1000")),
        other => Err(format!("`repeat` is {other}, not a count")),
    }
}

/// Users, variables and the flow's starting values.
async fn prepare(scenario: &Scenario, session: &Session) -> Result<Context, StepError> {
    let mut users = Vec::new();
    for declared in &scenario.users {
        let user = session.users.take(declared.kind, &session.target).await;
        users.push(user.map_err(StepError::of(SetupKind::Users))?);
    }
    context_for(scenario, &session.profile, &users)
}

/// The starting context of one run of `scenario` with these users (one per declared user, the
/// first is `user`).
pub fn context_for(
    scenario: &Scenario,
    profile: &Profile,
    users: &[TestUser],
) -> Result<Context, StepError> {
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
        // Password rule 4's reversed half (`password.user_name_reversed`).
        let reversed = user
            .account
            .as_ref()
            .map(|a| a.chars().rev().collect::<String>());
        context.set(
            "account_reversed",
            reversed.map_or(Value::Null, Value::String),
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
            .map_err(|e| StepError::new(SetupKind::Template, format!("variable `{name}`: {e}")))?;
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
