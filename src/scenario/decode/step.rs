//! One YAML step: its single action, name, `expect`, `capture`, and `parallel` or `repeat`,
//! with the rules that tie them together (an `outcomes` count fits `parallel`, a raw
//! `request` says what it expects).

use marked_yaml::types::MarkedMappingNode;
use marked_yaml::Node;

use super::{Decoder, ACTIONS, COMMON_STEP_KEYS};
use crate::api::Operation;
use crate::scenario::diagnostic::{Diagnostic, Location};
use crate::scenario::model::{Action, Capture, Expect, Reads, Step, TValue};
use crate::scenario::path::JsonPath;
use crate::scenario::yaml_templates::TemplateErrors;
use crate::yaml;

impl Decoder<'_> {
    /// One YAML step; `reach` expands to the calls it takes.
    pub(super) fn step(&mut self, index: usize, node: &Node) -> Vec<Step> {
        let Some(map) = self.errors.mapping(node, "a step") else {
            return Vec::new();
        };
        if let Some(args) = map.get_node("reach") {
            return self.reach(yaml::at(node), map, args);
        }
        self.single_step(index, node, map).into_iter().collect()
    }

    fn single_step(&mut self, index: usize, node: &Node, map: &MarkedMappingNode) -> Option<Step> {
        let at = yaml::at(node);
        let unknown_keys = self.unknown_step_keys(map);
        let (action_key, args) = self.only_action(index, at, map, unknown_keys)?;
        let action = match action_key {
            "request" => Action::Request(self.request(args)?),
            "wait" => Action::Wait(self.wait(args)?),
            op => Action::Call(self.call(Operation::from_name(op)?, args)?),
        };
        let name = match map.get_node("name") {
            Some(n) => self.errors.string(n, "`name`").unwrap_or_default(),
            None => format!("{} {action_key}", index + 1),
        };
        let parallel = map.get_node("parallel").and_then(|n| self.parallel(n));
        let expect = match map.get_node("expect") {
            Some(n) => self.expect(n),
            None => Expect {
                at,
                ..Expect::default()
            },
        };
        self.check_outcomes(&expect, parallel);
        self.check_request_expects(at, &action, &expect);
        let capture = map
            .get_node("capture")
            .map(|n| self.captures(n))
            .unwrap_or_default();
        let repeat = map.get_node("repeat").and_then(|n| self.repeat(n));
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

    /// Reports every key that is neither an action nor a common step key; says whether there
    /// was one (a step with only such keys is not also told it has no action).
    fn unknown_step_keys(&mut self, map: &MarkedMappingNode) -> bool {
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
        unknown_keys
    }

    /// The step's one action key and its arguments; none or two are an error.
    fn only_action<'m>(
        &mut self,
        index: usize,
        at: Location,
        map: &'m MarkedMappingNode,
        unknown_keys: bool,
    ) -> Option<(&'m str, &'m Node)> {
        let actions: Vec<_> = map
            .iter()
            .filter(|(k, _)| ACTIONS.contains(&k.as_str()))
            .collect();
        match actions.as_slice() {
            [(key, args)] => Some((key.as_str(), *args)),
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
                None
            }
            [_, (second, _), ..] => {
                self.errors.push(Diagnostic::new(
                    Location::of(second.span()),
                    second.as_str().len(),
                    "a step has exactly one action",
                ));
                None
            }
        }
    }

    fn parallel(&mut self, node: &Node) -> Option<u32> {
        match self.errors.integer(node, "`parallel`") {
            Some(count @ 1..=1000) => Some(count as u32),
            Some(_) => {
                self.errors.at(node, "`parallel` must be from 1 to 1000");
                None
            }
            None => None,
        }
    }

    /// `outcomes` counts the answers of a parallel step, so they must add up to its runs.
    fn check_outcomes(&mut self, expect: &Expect, parallel: Option<u32>) {
        if expect.outcomes.is_empty() {
            return;
        }
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

    /// A raw `request` has no operation to say what a good answer is, so it must say.
    fn check_request_expects(&mut self, at: Location, action: &Action, expect: &Expect) {
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
    }

    /// A count, or a template the run renders to one.
    fn repeat(&mut self, node: &Node) -> Option<TValue> {
        match self.errors.tvalue(node) {
            TValue::Number(count) if count.as_u64().is_some_and(|c| (1..=1000).contains(&c)) => {
                Some(TValue::Number(count))
            }
            TValue::Text(template) => Some(TValue::Text(template)),
            _ => {
                self.errors.at(
                    node,
                    "`repeat` must be a count from 1 to 1000 or a template giving one",
                );
                None
            }
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
}
