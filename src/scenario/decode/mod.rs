//! YAML → checked `Scenario`. Reports every error of the file at once: unknown keys,
//! operations, kinds, matchers and variables with a "did you mean", wrong types, bad
//! templates, regexes and paths, each at its line and column.

use marked_yaml::Node;

mod expect;

use super::matcher::Matcher;
use super::model::*;
use super::path::JsonPath;
use super::template::{Template, BUILTINS};
use super::yaml_templates::TemplateErrors;
use crate::api::Operation;
use crate::profile::Profile;
use crate::yaml::diagnostic::{Diagnostic, FileErrors, Location};
use crate::yaml::{self, Errors};

pub const TOP_KEYS: &[&str] = &[
    "name",
    "description",
    "tags",
    "vars",
    "users",
    "requires",
    "steps",
    "load",
];
pub const COMMON_STEP_KEYS: &[&str] = &["name", "expect", "capture", "parallel", "repeat"];
pub const ACTIONS: &[&str] = &[
    "send_captcha",
    "check_captcha",
    "send_code",
    "check_code",
    "reset_password",
    "login",
    "request",
    "wait",
    "reach",
];
/// What `reach` can get to, and the calls it takes.
const REACHABLE: &[(&str, &[Operation])] = &[
    ("t1", &[Operation::SendCaptcha]),
    ("t2", &[Operation::SendCaptcha, Operation::CheckCaptcha]),
    (
        "code",
        &[
            Operation::SendCaptcha,
            Operation::CheckCaptcha,
            Operation::SendCode,
        ],
    ),
    (
        "t3",
        &[
            Operation::SendCaptcha,
            Operation::CheckCaptcha,
            Operation::SendCode,
            Operation::CheckCode,
        ],
    ),
];
pub const CALL_EXTRAS: &[&str] = &["with", "without", "headers", "content_type"];
pub const EXPECT_KEYS: &[&str] = &[
    "status",
    "error",
    "body",
    "headers",
    "max_latency",
    "outcomes",
];
pub const REQUEST_KEYS: &[&str] = &["method", "path", "headers", "body", "json"];
/// Values the runner provides to every scenario's templates.
pub const FLOW_NAMES: &[&str] = &[
    "user",
    "users",
    "account",
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
            steps: Vec::new(),
            load: None,
        };
        let Some(map) = self.errors.mapping(root, "a scenario") else {
            return scenario;
        };
        self.errors.known_keys(map, TOP_KEYS, "a scenario");
        match map.get_node("name") {
            Some(node) => scenario.name = self.errors.string(node, "`name`").unwrap_or_default(),
            None => self.errors.push(Diagnostic::new(
                yaml::at(root),
                1,
                "a scenario needs a `name`",
            )),
        }
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
            if let Some(vars) = self.errors.mapping(node, "`vars`") {
                scenario.vars = vars
                    .iter()
                    .map(|(k, v)| (k.as_str().to_owned(), self.errors.tvalue(v)))
                    .collect();
            }
        }
        scenario.users = match map.get_node("users") {
            Some(node) => self.users(node),
            None => vec![UserDecl {
                name: "user".into(),
                kind: UserKind::Phone,
            }],
        };
        if let Some(node) = map.get_node("requires") {
            let switches = self.profile_switches();
            for (name, at) in self.errors.strings(node, "`requires`") {
                if !switches.iter().any(|s| s == &name) {
                    self.errors.push(
                        Diagnostic::new(
                            at,
                            name.chars().count(),
                            format!("`{name}` is not a profile switch"),
                        )
                        .suggest(&name, switches.iter().map(String::as_str)),
                    );
                }
                scenario.requires.push((name, at));
            }
        }
        match map.get_node("steps") {
            Some(Node::Sequence(items)) if !items.is_empty() => {
                scenario.steps = items
                    .iter()
                    .enumerate()
                    .flat_map(|(i, item)| self.step(i, item))
                    .collect();
                for step in &mut scenario.steps {
                    step.reads = Reads::of(step_templates(step));
                }
            }
            Some(other) => self.errors.at(other, "`steps` must be a non-empty list"),
            None => self.errors.push(Diagnostic::new(
                yaml::at(root),
                1,
                "a scenario needs `steps`",
            )),
        }
        if let Some(node) = map.get_node("load") {
            let steps: Vec<&str> = scenario.steps.iter().map(|s| s.metric_name()).collect();
            scenario.load = super::load_spec::decode(node, self.errors, &steps);
        }
        self.check_names(&scenario);
        scenario
    }

    /// Boolean switches of the profile a scenario may require.
    fn profile_switches(&self) -> Vec<String> {
        let mut switches = vec!["test_support".to_owned(), "strict_errors".to_owned()];
        switches.extend(self.profile.burns.keys().map(|k| format!("burns.{k}")));
        switches.push("password.forbid_user_name".into());
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

    /// One YAML step; `reach` expands to the calls it takes.
    fn step(&mut self, index: usize, node: &Node) -> Vec<Step> {
        let Some(map) = self.errors.mapping(node, "a step") else {
            return Vec::new();
        };
        if let Some(args) = map.get_node("reach") {
            return self.reach(yaml::at(node), map, args);
        }
        self.single_step(index, node, map).into_iter().collect()
    }

    fn reach(
        &mut self,
        at: Location,
        map: &marked_yaml::types::MarkedMappingNode,
        args: &Node,
    ) -> Vec<Step> {
        if map.len() > 1 {
            self.errors.push(Diagnostic::new(
                at,
                1,
                "`reach` stands alone in its step (its calls must all succeed)",
            ));
        }
        let (what_node, user) = match args {
            Node::Mapping(args_map) => {
                self.errors
                    .known_keys(args_map, &["token", "user"], "`reach`");
                let user = args_map.get_node("user").map(|n| self.errors.tvalue(n));
                match args_map.get_node("token") {
                    Some(n) => (n, user),
                    None => {
                        self.errors
                            .at(args, "`reach` needs `token`: t1, t2, code or t3");
                        return Vec::new();
                    }
                }
            }
            other => (other, None),
        };
        let Some(what) = self.errors.string(what_node, "`reach`") else {
            return Vec::new();
        };
        let Some((_, operations)) = REACHABLE.iter().find(|(name, _)| *name == what) else {
            let names = REACHABLE.iter().map(|(n, _)| *n);
            self.errors.push(
                Diagnostic::new(
                    yaml::at(what_node),
                    what.chars().count(),
                    format!("cannot reach `{what}`"),
                )
                .suggest(&what, names)
                .with_help("reach one of: t1, t2, code, t3"),
            );
            return Vec::new();
        };
        operations
            .iter()
            .map(|operation| Step {
                at,
                name: format!("reach {what}: {}", operation.name()),
                action: Action::Call(Call {
                    operation: *operation,
                    fields: user.iter().map(|u| ("user", u.clone())).collect(),
                    with: Vec::new(),
                    without: Vec::new(),
                    headers: Vec::new(),
                    content_type: None,
                }),
                expect: Expect {
                    at,
                    ..Expect::default()
                },
                capture: Vec::new(),
                parallel: None,
                repeat: None,
                reads: Reads::default(),
            })
            .collect()
    }

    fn single_step(
        &mut self,
        index: usize,
        node: &Node,
        map: &marked_yaml::types::MarkedMappingNode,
    ) -> Option<Step> {
        let at = yaml::at(node);
        let actions: Vec<_> = map
            .iter()
            .filter(|(k, _)| ACTIONS.contains(&k.as_str()))
            .collect();
        let mut unknown_keys = false;
        for (key, _) in map.iter() {
            let name = key.as_str();
            if !ACTIONS.contains(&name) && !COMMON_STEP_KEYS.contains(&name) {
                unknown_keys = true;
                let known = ACTIONS.iter().chain(COMMON_STEP_KEYS).copied();
                self.errors.push(
                    Diagnostic::new(
                        Location::of(key.span()),
                        name.chars().count(),
                        format!("unknown step key `{name}`"),
                    )
                    .suggest(name, known)
                    .with_help(format!("a step is one of: {}", ACTIONS.join(", "))),
                );
            }
        }
        let (action_key, args) = match actions.as_slice() {
            [(key, args)] => (key.as_str(), *args),
            [] => {
                if !unknown_keys {
                    self.errors.push(Diagnostic::new(
                        at,
                        1,
                        format!(
                            "step {} has no action: use one of {}",
                            index + 1,
                            ACTIONS.join(", ")
                        ),
                    ));
                }
                return None;
            }
            [_, (second, _), ..] => {
                self.errors.push(Diagnostic::new(
                    Location::of(second.span()),
                    second.as_str().len(),
                    "a step has exactly one action",
                ));
                return None;
            }
        };
        let action = match action_key {
            "request" => Action::Request(self.request(args)?),
            "wait" => Action::Wait(self.wait(args)?),
            op => Action::Call(self.call(Operation::from_name(op)?, args)?),
        };
        let name = match map.get_node("name") {
            Some(n) => self.errors.string(n, "`name`").unwrap_or_default(),
            None => format!("{} {action_key}", index + 1),
        };
        let parallel =
            map.get_node("parallel")
                .and_then(|n| match self.errors.integer(n, "`parallel`") {
                    Some(count @ 1..=1000) => Some(count as u32),
                    Some(_) => {
                        self.errors.at(n, "`parallel` must be from 1 to 1000");
                        None
                    }
                    None => None,
                });
        let expect = match map.get_node("expect") {
            Some(n) => self.expect(n),
            None => Expect {
                at,
                ..Expect::default()
            },
        };
        if !expect.outcomes.is_empty() {
            let total: u32 = expect.outcomes.iter().map(|(_, n)| n).sum();
            match parallel {
                None => self.errors.push(Diagnostic::new(
                    expect.at,
                    1,
                    "`outcomes` counts the answers of a `parallel` step; add `parallel: N`",
                )),
                Some(runs) if runs != total => self.errors.push(Diagnostic::new(
                    expect.at,
                    1,
                    format!("`outcomes` add up to {total} but the step runs {runs} times"),
                )),
                Some(_) => {}
            }
        }
        if matches!(action, Action::Request(_))
            && expect.status.is_none()
            && expect.error.is_none()
            && expect.outcomes.is_empty()
        {
            self.errors.push(Diagnostic::new(
                at,
                1,
                "a `request` step needs `expect: {status: ...}` or `expect: {error: ...}`",
            ));
        }
        let capture = map
            .get_node("capture")
            .map(|n| self.captures(n))
            .unwrap_or_default();
        let repeat = map
            .get_node("repeat")
            .and_then(|n| match self.errors.tvalue(n) {
                TValue::Number(count)
                    if count.as_u64().is_some_and(|c| (1..=1000).contains(&c)) =>
                {
                    Some(TValue::Number(count))
                }
                TValue::Text(template) => Some(TValue::Text(template)),
                _ => {
                    self.errors.at(
                        n,
                        "`repeat` must be a count from 1 to 1000 or a template giving one",
                    );
                    None
                }
            });
        if repeat.is_some() && parallel.is_some() {
            self.errors
                .at(node, "a step takes `parallel` or `repeat`, not both");
        }
        Some(Step {
            at,
            name,
            action,
            expect,
            capture,
            parallel,
            repeat,
            reads: Reads::default(),
        })
    }

    fn call(&mut self, operation: Operation, args: &Node) -> Option<Call> {
        let mut call = Call {
            operation,
            fields: Vec::new(),
            with: Vec::new(),
            without: Vec::new(),
            headers: Vec::new(),
            content_type: None,
        };
        if let Node::Scalar(s) = args {
            if yaml::is_null(s) {
                return Some(call);
            }
        }
        let map = self
            .errors
            .mapping(args, &format!("`{}`", operation.name()))?;
        let fields = fields_of(operation);
        for (key, value) in map.iter() {
            let name = key.as_str();
            if let Some(spec) = fields.iter().find(|f| f.name == name) {
                call.fields.push((spec.name, self.errors.tvalue(value)));
                continue;
            }
            match name {
                "with" => {
                    if let Some(with) = self.errors.mapping(value, "`with`") {
                        call.with = with
                            .iter()
                            .map(|(k, v)| (k.as_str().to_owned(), self.errors.tvalue(v)))
                            .collect();
                    }
                }
                "without" => {
                    call.without = self
                        .errors
                        .strings(value, "`without`")
                        .into_iter()
                        .map(|(s, _)| s)
                        .collect()
                }
                "headers" => call.headers = self.headers(value),
                "content_type" => call.content_type = self.errors.template(value, "`content_type`"),
                _ => {
                    let known: Vec<&str> = fields
                        .iter()
                        .map(|f| f.name)
                        .chain(CALL_EXTRAS.iter().copied())
                        .collect();
                    self.errors.push(
                        Diagnostic::new(
                            Location::of(key.span()),
                            name.chars().count(),
                            format!("`{}` has no field `{name}`", operation.name()),
                        )
                        .suggest(name, known.iter().copied())
                        .with_help(format!("fields: {}", known.join(", "))),
                    );
                }
            }
        }
        Some(call)
    }

    fn headers(&mut self, node: &Node) -> Vec<(String, Template)> {
        let Some(map) = self.errors.mapping(node, "`headers`") else {
            return Vec::new();
        };
        map.iter()
            .filter_map(|(k, v)| {
                self.errors
                    .template(v, &format!("header `{}`", k.as_str()))
                    .map(|t| (k.as_str().to_owned(), t))
            })
            .collect()
    }

    fn request(&mut self, node: &Node) -> Option<RawRequest> {
        let map = self.errors.mapping(node, "`request`")?;
        self.errors.known_keys(map, REQUEST_KEYS, "`request`");
        let method = match map.get_node("method") {
            Some(n) => self.errors.string(n, "`method`")?.to_ascii_uppercase(),
            None => {
                self.errors.at(node, "`request` needs a `method`");
                return None;
            }
        };
        let path = match map.get_node("path") {
            Some(n) => {
                let path = self.errors.template(n, "`path`")?;
                if !matches!(path.parts.first(), Some(super::template::Part::Text(t)) if t.starts_with('/'))
                {
                    self.errors.at(
                        n,
                        "`path` must start with `/` (the target's base URL is prepended)",
                    );
                }
                path
            }
            None => {
                self.errors.at(node, "`request` needs a `path`");
                return None;
            }
        };
        let headers = map
            .get_node("headers")
            .map(|n| self.headers(n))
            .unwrap_or_default();
        let body = match (map.get_node("body"), map.get_node("json")) {
            (Some(_), Some(json)) => {
                self.errors
                    .at(json, "give either `body` (raw text) or `json`, not both");
                RawBody::None
            }
            (Some(body), None) => self
                .errors
                .template(body, "`body`")
                .map_or(RawBody::None, RawBody::Text),
            (None, Some(json)) => RawBody::Json(self.errors.tvalue(json)),
            (None, None) => RawBody::None,
        };
        Some(RawRequest {
            method,
            path,
            headers,
            body,
        })
    }

    fn wait(&mut self, node: &Node) -> Option<Wait> {
        match node {
            Node::Mapping(map) => {
                self.errors.known_keys(map, &["expire_of"], "`wait`");
                let of_node = map.get_node("expire_of")?;
                let of = self.errors.string(of_node, "`expire_of`")?;
                if !EXPIRING.contains(&of.as_str()) {
                    self.errors.push(
                        Diagnostic::new(
                            yaml::at(of_node),
                            of.chars().count(),
                            format!("`{of}` does not expire"),
                        )
                        .suggest(&of, EXPIRING.iter().copied())
                        .with_help(format!("one of: {}", EXPIRING.join(", "))),
                    );
                    return None;
                }
                Some(Wait::ExpireOf(of))
            }
            other => self.errors.duration(other, "`wait`").map(Wait::For),
        }
    }

    fn captures(&mut self, node: &Node) -> Vec<Capture> {
        let Some(map) = self.errors.mapping(node, "`capture`") else {
            return Vec::new();
        };
        let mut captures = Vec::new();
        for (name, path_node) in map.iter() {
            let Some(text) = self.errors.string(path_node, "a capture path") else {
                continue;
            };
            match JsonPath::parse(&text) {
                Ok(path) => captures.push(Capture {
                    name: name.as_str().to_owned(),
                    path,
                    at: Location::of(name.span()),
                }),
                Err(e) => self.errors.at(path_node, e),
            }
        }
        captures
    }

    /// Every template name must be something the run will know: a flow value, a variable, a
    /// user, a capture of some step, or a path of the profile.
    fn check_names(&mut self, scenario: &Scenario) {
        let mut known: Vec<String> = FLOW_NAMES.iter().map(|s| (*s).to_owned()).collect();
        known.extend(scenario.vars.iter().map(|(k, _)| k.clone()));
        known.extend(
            scenario
                .steps
                .iter()
                .flat_map(|s| s.capture.iter().map(|c| c.name.clone())),
        );
        let user_names: Vec<&str> = scenario.users.iter().map(|u| u.name.as_str()).collect();
        let profile = self.profile.to_value();
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
            let at = if template.at == Location::default() {
                step_at
            } else {
                template.at
            };
            for path in template.paths() {
                let Some(first) = path.first() else { continue };
                if !known.contains(first) {
                    self.errors.push(
                        Diagnostic::new(
                            at,
                            1,
                            format!("template reads `{}`, which nothing defines", path.join(".")),
                        )
                        .suggest(first, known.iter().map(String::as_str)),
                    );
                } else if first == "users" {
                    if let Some(name) = path.get(1).filter(|n| !user_names.contains(&n.as_str())) {
                        self.errors.push(
                            Diagnostic::new(
                                at,
                                1,
                                format!("`users.{name}` is not a declared user"),
                            )
                            .suggest(name, user_names.iter().copied()),
                        );
                    }
                } else if first == "profile" {
                    let mut value = &profile;
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
                                        format!(
                                            "the profile has no `{}`",
                                            path[..=depth].join(".")
                                        ),
                                    )
                                    .suggest(part, options),
                                );
                                break;
                            }
                        }
                    }
                }
            }
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
}

/// Every template a step holds.
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
        .filter(|spec| !call.fields.iter().any(|(name, _)| name == &spec.name))
        .filter_map(|spec| spec.default_value())
        .flat_map(TValue::templates)
}
