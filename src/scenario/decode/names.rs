//! The names templates read: every path and function a template uses must be something the
//! run will know (a flow value, a variable, a user, a capture, a path of the profile, a
//! built-in), and `step_templates` lists the templates a step holds.

use serde_json::Value;

use super::Decoder;
use crate::scenario::diagnostic::{Diagnostic, Location};
use crate::scenario::matcher::Matcher;
use crate::scenario::model::{
    defaults_of, fields_of, Action, Call, RawBody, Scenario, Step, TValue,
};
use crate::scenario::template::{Template, BUILTINS};

/// Values the runner provides to every scenario's templates.
pub const FLOW_NAMES: &[&str] = &[
    "user",
    "users",
    "account",
    "account_reversed",
    "password",
    "new_password",
    "old_password",
    "client_type",
    "send_method",
    "t1",
    "t2",
    "code",
    "wrong_code",
    "t3",
    "answer",
    "captcha",
    "profile",
    "last",
];

/// What a scenario's templates may read.
struct Defined<'s> {
    /// First parts of paths: flow values, variables and captures.
    names: Vec<String>,
    /// What may follow `users.`.
    users: Vec<&'s str>,
    /// What may follow `profile.`.
    profile: Value,
}

impl Decoder<'_> {
    /// Every template name must be something the run will know: a flow value, a variable, a
    /// user, a capture of some step, or a path of the profile.
    pub(super) fn check_names(&mut self, scenario: &Scenario) {
        let defined = self.defined(scenario);
        let mut templates: Vec<(Location, &Template)> = scenario
            .vars
            .iter()
            .flat_map(|(_, v)| v.templates())
            .map(|t| (t.at, t))
            .collect();
        for step in &scenario.steps {
            templates.extend(step_templates(step).into_iter().map(|t| (step.at, t)));
        }
        for (step_at, template) in templates {
            // Defaults of left-out fields have no place in the file: point at their step.
            let at = if template.at == Location::default() {
                step_at
            } else {
                template.at
            };
            for path in template.paths() {
                self.check_path(at, path, &defined);
            }
            self.check_calls(at, template);
        }
    }

    fn defined<'s>(&self, scenario: &'s Scenario) -> Defined<'s> {
        let mut names: Vec<String> = FLOW_NAMES.iter().map(|s| (*s).to_owned()).collect();
        names.extend(scenario.vars.iter().map(|(k, _)| k.clone()));
        names.extend(
            scenario
                .steps
                .iter()
                .flat_map(|s| s.capture.iter().map(|c| c.name.clone())),
        );
        Defined {
            names,
            users: scenario.users.iter().map(|u| u.name.as_str()).collect(),
            profile: self.profile.to_value(),
        }
    }

    /// One path a template reads, like `users.alice` or `profile.burns.t1`.
    fn check_path(&mut self, at: Location, path: &[String], defined: &Defined) {
        let Some(first) = path.first() else { return };
        if !defined.names.contains(first) {
            self.errors.push(
                Diagnostic::new(
                    at,
                    1,
                    format!("template reads `{}`, which nothing defines", path.join(".")),
                )
                .suggest(first, defined.names.iter().map(String::as_str)),
            );
        } else if first == "users" {
            let users = &defined.users;
            if let Some(name) = path.get(1).filter(|n| !users.contains(&n.as_str())) {
                self.errors.push(
                    Diagnostic::new(at, 1, format!("`users.{name}` is not a declared user"))
                        .suggest(name, users.iter().copied()),
                );
            }
        } else if first == "profile" {
            self.check_profile_path(at, path, &defined.profile);
        }
    }

    /// Walks `profile.a.b...` down the profile's values; reports the first part it lacks.
    fn check_profile_path(&mut self, at: Location, path: &[String], profile: &Value) {
        let mut value = profile;
        for (depth, part) in path.iter().enumerate().skip(1) {
            match value.get(part) {
                Some(next) => value = next,
                None => {
                    let options: Vec<&str> = value
                        .as_object()
                        .map(|m| m.keys().map(String::as_str).collect())
                        .unwrap_or_default();
                    self.errors.push(
                        Diagnostic::new(
                            at,
                            1,
                            format!("the profile has no `{}`", path[..=depth].join(".")),
                        )
                        .suggest(part, options),
                    );
                    break;
                }
            }
        }
    }

    /// Every function a template calls must be a built-in.
    fn check_calls(&mut self, at: Location, template: &Template) {
        for call in template.calls() {
            if !BUILTINS.contains(&call) {
                self.errors.push(
                    Diagnostic::new(at, 1, format!("unknown function `{call}()`"))
                        .suggest(call, BUILTINS.iter().copied()),
                );
            }
        }
    }
}

/// Every template a step renders or compares with, the defaults of the fields it leaves out
/// included.
pub fn step_templates(step: &Step) -> Vec<&Template> {
    let mut templates: Vec<&Template> = Vec::new();
    match &step.action {
        Action::Call(call) => {
            templates.extend(call_defaults(call));
            templates.extend(call.fields.iter().flat_map(|(_, v)| v.templates()));
            templates.extend(call.with.iter().flat_map(|(_, v)| v.templates()));
            templates.extend(call.headers.iter().map(|(_, t)| t));
            templates.extend(call.content_type.iter());
        }
        Action::Request(request) => {
            templates.push(&request.path);
            templates.extend(request.headers.iter().map(|(_, t)| t));
            match &request.body {
                RawBody::Text(t) => templates.push(t),
                RawBody::Json(v) => templates.extend(v.templates()),
                RawBody::None => {}
            }
        }
        Action::Wait(_) => {}
    }
    if let Some(repeat) = &step.repeat {
        templates.extend(repeat.templates());
    }
    for check in step.expect.body.iter().chain(&step.expect.headers) {
        for matcher in &check.matchers {
            match matcher {
                Matcher::Equals(v) => templates.extend(v.templates()),
                Matcher::OneOf(vs) => templates.extend(vs.iter().flat_map(TValue::templates)),
                _ => {}
            }
        }
    }
    templates
}

/// The templates of the default values of the fields a call leaves out.
fn call_defaults<'c>(call: &'c Call) -> impl Iterator<Item = &'c Template> + 'c {
    fields_of(call.operation)
        .iter()
        .zip(defaults_of(call.operation))
        .filter(|(spec, _)| !call.fields.iter().any(|(name, _)| name == &spec.name))
        .filter_map(|(_, default)| default.as_ref())
        .flat_map(TValue::templates)
}
