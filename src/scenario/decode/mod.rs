//! YAML → checked `Scenario`. Reports every error of the file at once: unknown keys,
//! operations, kinds, matchers and variables with a "did you mean", wrong types, bad
//! templates, regexes and paths, each at its line and column.
//!
//! This file decodes the top of a scenario (name, tags, vars, users, requires, the list of
//! steps); `step` decodes one step, `reach` expands the `reach` shorthand, `action` the call,
//! request or wait a step takes, `expect` its expectations, and `names` checks what the
//! templates read. `keys` holds the tables of keys, which `schema` reads too.

use marked_yaml::types::MarkedMappingNode;
use marked_yaml::Node;

mod action;
mod expect;
mod keys;
mod names;
mod reach;
mod step;

pub use keys::{ACTIONS, CALL_EXTRAS, COMMON_STEP_KEYS, EXPECT_KEYS, REQUEST_KEYS, TOP_KEYS};
pub use names::{step_templates, FLOW_NAMES};
pub use reach::reachable;

use super::model::*;
use super::requirement::Requirement;
use super::yaml_templates::TemplateErrors;
use crate::coverage::catalogue;
use crate::profile::Profile;
use crate::yaml::diagnostic::{Diagnostic, FileErrors, Location};
use crate::yaml::{self, Errors};

/// The most steps a scenario may have, `reach` expanded (the longest of `scenarios/` has 13,
/// a fuzz repro a few dozen): each run keeps a record of every step, so this bounds a run's
/// memory along with `repeat` and `parallel` (each at most 1,000).
pub const MAX_STEPS: usize = 1000;

/// Parses and checks one scenario file against `profile` (for `profile.*` names and `requires`).
pub fn decode_scenario(path: &str, text: &str, profile: &Profile) -> Result<Scenario, FileErrors> {
    let root = yaml::parse(path, text)?;
    let mut errors = Errors::default();
    let scenario = Decoder {
        errors: &mut errors,
        profile,
    }
    .scenario(path, &root);
    errors.finish(path, text, scenario)
}

struct Decoder<'a> {
    errors: &'a mut Errors,
    profile: &'a Profile,
}

impl Decoder<'_> {
    fn scenario(&mut self, path: &str, root: &Node) -> Scenario {
        let mut scenario = Scenario {
            path: path.to_owned(),
            name: String::new(),
            description: None,
            tags: Vec::new(),
            vars: Vec::new(),
            users: Vec::new(),
            requires: Vec::new(),
            covers: Vec::new(),
            steps: Vec::new(),
            load: None,
        };
        let Some(map) = self.errors.mapping(root, "a scenario") else {
            return scenario;
        };
        self.errors.known_keys(map, TOP_KEYS, "a scenario");
        scenario.name = self.name(root, map);
        if let Some(node) = map.get_node("description") {
            scenario.description = self.errors.string(node, "`description`");
        }
        if let Some(node) = map.get_node("tags") {
            scenario.tags = self
                .errors
                .strings(node, "`tags`")
                .into_iter()
                .map(|(t, _)| t)
                .collect();
        }
        if let Some(node) = map.get_node("vars") {
            scenario.vars = self.vars(node);
        }
        scenario.users = match map.get_node("users") {
            Some(node) => self.users(node),
            None => vec![UserDecl {
                name: "user".into(),
                kind: UserKind::Phone,
            }],
        };
        if let Some(node) = map.get_node("requires") {
            scenario.requires = self.requires(node);
        }
        if let Some(node) = map.get_node("covers") {
            scenario.covers = self.covers(node);
        }
        scenario.steps = self.steps(root, map);
        if let Some(node) = map.get_node("load") {
            let steps = super::load_spec::step_keys(&scenario.steps);
            scenario.load = super::load_spec::decode(node, self.errors, &steps);
        }
        self.check_names(&scenario);
        scenario
    }

    /// The scenario's `name`, which it must have (empty when it has none or a bad one).
    fn name(&mut self, root: &Node, map: &MarkedMappingNode) -> String {
        match map.get_node("name") {
            Some(node) => self.errors.string(node, "`name`").unwrap_or_default(),
            None => {
                self.errors.push(Diagnostic::new(
                    yaml::at(root),
                    1,
                    "a scenario needs a `name`",
                ));
                String::new()
            }
        }
    }

    fn vars(&mut self, node: &Node) -> Vec<(String, TValue)> {
        let Some(vars) = self.errors.mapping(node, "`vars`") else {
            return Vec::new();
        };
        vars.iter()
            .map(|(k, v)| (k.as_str().to_owned(), self.errors.tvalue(v)))
            .collect()
    }

    /// The catalogue entries and API rules the scenario checks (`covers: [K1, A18]`): ids of
    /// `coverage::catalogue`, each once.
    fn covers(&mut self, node: &Node) -> Vec<String> {
        let mut covers: Vec<String> = Vec::new();
        for (id, at) in self.errors.strings(node, "`covers`") {
            let width = id.chars().count().max(1);
            if catalogue::find(&id).is_none() {
                let message = format!(
                    "`{id}` is neither an entry of docs/choices.md nor a rule of docs/api.md"
                );
                let d = Diagnostic::new(at, width, message);
                // `c1` for `C1`: the ids' case is all that differs, which Jaro-Winkler weighs
                // as much as any other letter.
                let d = match catalogue::ids().find(|known| known.eq_ignore_ascii_case(&id)) {
                    Some(known) => d.with_help(format!("did you mean `{known}`?")),
                    None => d.suggest(&id, catalogue::ids()),
                };
                self.errors.push(d);
            } else if covers.contains(&id) {
                let message = format!("`{id}` is listed twice in `covers`");
                self.errors.push(Diagnostic::new(at, width, message));
            } else {
                covers.push(id);
            }
        }
        covers
    }

    /// What the scenario requires of the profile: switches it has, or comparisons of its
    /// numbers.
    fn requires(&mut self, node: &Node) -> Vec<(Requirement, Location)> {
        let switches = self.profile_switches();
        let numbers = self.profile_numbers();
        let mut requires = Vec::new();
        for (text, at) in self.errors.strings(node, "`requires`") {
            let requirement = match Requirement::parse(&text) {
                Ok(requirement) => requirement,
                Err(message) => {
                    self.errors
                        .push(Diagnostic::new(at, text.chars().count(), message));
                    continue;
                }
            };
            let either = match &requirement {
                Requirement::Any(either) => either.clone(),
                one => vec![one.clone()],
            };
            for one in &either {
                if let Requirement::Compare {
                    left,
                    right: crate::scenario::requirement::Operand::Path(word, 0),
                    ..
                } = one
                {
                    if let Some((_, words)) = crate::profile::WORDS.iter().find(|(p, _)| p == left)
                    {
                        if !words.contains(&word.as_str()) {
                            let message = format!("`{left}` is one of: {}", words.join(", "));
                            let d = Diagnostic::new(at, text.chars().count(), message);
                            self.errors.push(d.suggest(word, words.iter().copied()));
                        }
                        continue;
                    }
                }
                let (known, what) = match one {
                    Requirement::Compare { .. } => (&numbers, "a number of the profile"),
                    _ => (&switches, "a profile switch"),
                };
                for path in one.paths() {
                    if !known.iter().any(|k| k == path) {
                        self.errors.push(
                            Diagnostic::new(
                                at,
                                text.chars().count(),
                                format!("`{path}` is not {what}"),
                            )
                            .suggest(path, known.iter().map(String::as_str)),
                        );
                    }
                }
            }
            requires.push((requirement, at));
        }
        requires
    }

    /// The profile's numbers a requirement may compare (`password.min_classes`, ...).
    fn profile_numbers(&self) -> Vec<String> {
        fn walk(prefix: &str, value: &serde_json::Value, out: &mut Vec<String>) {
            match value {
                serde_json::Value::Object(map) => {
                    for (key, value) in map {
                        let path = match prefix {
                            "" => key.clone(),
                            _ => format!("{prefix}.{key}"),
                        };
                        walk(&path, value, out);
                    }
                }
                serde_json::Value::Number(_) => out.push(prefix.to_owned()),
                _ => {}
            }
        }
        let mut numbers = Vec::new();
        let mut value = self.profile.to_value();
        // Failure kinds' statuses are not choices a scenario could depend on.
        if let Some(map) = value.as_object_mut() {
            map.remove("errors");
        }
        walk("", &value, &mut numbers);
        numbers
    }

    /// Boolean switches of the profile a scenario may require.
    fn profile_switches(&self) -> Vec<String> {
        let mut switches = vec!["test_support".to_owned(), "strict_errors".to_owned()];
        switches.extend(self.profile.burns.keys().map(|k| format!("burns.{k}")));
        switches.push("password.forbid_user_name".into());
        switches.push("password.user_name_reversed".into());
        switches.push("password.forbid_reuse".into());
        switches.push("code.exceeded_on_last_attempt".into());
        let tokens = self.profile.tokens.to_value();
        let tokens = tokens.as_object().into_iter().flatten();
        for (key, value) in tokens {
            match value {
                serde_json::Value::Bool(_) => switches.push(format!("tokens.{key}")),
                serde_json::Value::Object(map) => {
                    switches.extend(map.keys().map(|name| format!("tokens.{key}.{name}")))
                }
                _ => {}
            }
        }
        switches
    }

    fn users(&mut self, node: &Node) -> Vec<UserDecl> {
        let Some(map) = self.errors.mapping(node, "`users`") else {
            return Vec::new();
        };
        let mut users = Vec::new();
        for (name, kind) in map.iter() {
            let Some(kind_name) = self.errors.string(kind, "a user kind") else {
                continue;
            };
            match UserKind::from_name(&kind_name) {
                Some(kind) => users.push(UserDecl {
                    name: name.as_str().to_owned(),
                    kind,
                }),
                None => self.errors.push(
                    Diagnostic::new(
                        yaml::at(kind),
                        kind_name.chars().count(),
                        format!("unknown user kind `{kind_name}`"),
                    )
                    .suggest(&kind_name, USER_KINDS.iter().copied())
                    .with_help(format!("user kinds: {}", USER_KINDS.join(", "))),
                ),
            }
        }
        if map.is_empty() {
            self.errors.at(node, "`users` must name at least one user");
        }
        users
    }

    fn too_many_steps(&mut self, first_past: &Node) {
        let message = format!("more than {MAX_STEPS} steps: split the scenario");
        self.errors
            .push(Diagnostic::new(yaml::at(first_past), 1, message));
    }

    /// The steps, which must be a non-empty list, each knowing the names it reads.
    fn steps(&mut self, root: &Node, map: &MarkedMappingNode) -> Vec<Step> {
        match map.get_node("steps") {
            Some(Node::Sequence(items)) if items.len() > MAX_STEPS => {
                self.too_many_steps(&items[MAX_STEPS]);
                Vec::new()
            }
            Some(Node::Sequence(items)) if !items.is_empty() => {
                let mut steps: Vec<Step> = items
                    .iter()
                    .enumerate()
                    .flat_map(|(i, item)| self.step(i, item))
                    .collect();
                if let Some(past) = steps.get(MAX_STEPS) {
                    let message = format!(
                        "more than {MAX_STEPS} steps (`reach` expanded): split the scenario"
                    );
                    self.errors.push(Diagnostic::new(past.at, 1, message));
                    return Vec::new();
                }
                for step in &mut steps {
                    step.reads = Reads::of(step_templates(step));
                }
                steps
            }
            Some(other) => {
                self.errors.at(other, "`steps` must be a non-empty list");
                Vec::new()
            }
            None => {
                self.errors.push(Diagnostic::new(
                    yaml::at(root),
                    1,
                    "a scenario needs `steps`",
                ));
                Vec::new()
            }
        }
    }
}
